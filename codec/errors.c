#include "codec/errors.h"

#include <stddef.h>

struct error_row {
  const char *name;
  uint16_t close_code;
  int http_status;
  const char *rfc;
  const char *message;
};

static const struct error_row rows[WS_E__COUNT] = {
    [WS_OK] = {"WS_OK", 0, 0, "", "no error"},
#define WS_ERROR_ROW(name, close, http, rfc, msg)                              \
  [name] = {#name, close, http, rfc, msg},
    WS_ERROR_TABLE(WS_ERROR_ROW)
#undef WS_ERROR_ROW
};

static const struct error_row *row_for(int err) {
  static const struct error_row unknown = {"WS_E_UNKNOWN", 0, 0, "",
                                           "unknown error"};
  int index = err < 0 ? -err : err;
  if (index >= WS_E__COUNT)
    return &unknown;
  return &rows[index];
}

const char *ws_error_name(int err) { return row_for(err)->name; }
const char *ws_error_message(int err) { return row_for(err)->message; }
uint16_t ws_error_close_code(int err) { return row_for(err)->close_code; }
int ws_error_http_status(int err) { return row_for(err)->http_status; }
const char *ws_error_rfc(int err) { return row_for(err)->rfc; }
