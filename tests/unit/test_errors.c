#include "codec/errors.h"

#include <criterion/criterion.h>
#include <string.h>

Test(errors, ok_has_a_name_and_no_codes) {
  cr_assert_str_eq(ws_error_name(WS_OK), "WS_OK");
  cr_assert_eq(ws_error_close_code(WS_OK), 0);
  cr_assert_eq(ws_error_http_status(WS_OK), 0);
}

Test(errors, both_signs_give_the_same_row) {
  cr_assert_str_eq(ws_error_name(-WS_E_RESERVED_OPCODE),
                   "WS_E_RESERVED_OPCODE");
  cr_assert_str_eq(ws_error_name(WS_E_RESERVED_OPCODE), "WS_E_RESERVED_OPCODE");
  cr_assert_str_eq(ws_error_message(-WS_E_INVALID_UTF8),
                   ws_error_message(WS_E_INVALID_UTF8));
}

Test(errors, out_of_range_is_unknown_not_a_crash) {
  cr_assert_str_eq(ws_error_name(WS_E__COUNT), "WS_E_UNKNOWN");
  cr_assert_str_eq(ws_error_name(-100000), "WS_E_UNKNOWN");
  cr_assert_not_null(ws_error_message(123456));
  cr_assert_eq(ws_error_close_code(-99999), 0);
}

Test(errors, close_codes_follow_rfc6455_7_4_1) {
  cr_assert_eq(ws_error_close_code(WS_E_UNMASKED_FRAME), 1002);
  cr_assert_eq(ws_error_close_code(WS_E_CONTROL_TOO_LONG), 1002);
  cr_assert_eq(ws_error_close_code(WS_E_INVALID_UTF8), 1007);
  cr_assert_eq(ws_error_close_code(WS_E_CLOSE_REASON_UTF8), 1007);
  cr_assert_eq(ws_error_close_code(WS_E_MESSAGE_TOO_BIG), 1009);
  cr_assert_eq(ws_error_close_code(WS_E_NOMEM), 1011);
}

Test(errors, handshake_statuses_follow_rfc6455_4_2_2_and_4_4) {
  cr_assert_eq(ws_error_http_status(WS_E_HS_VERSION), 426);
  cr_assert_eq(ws_error_http_status(WS_E_HS_METHOD), 405);
  cr_assert_eq(ws_error_http_status(WS_E_HS_NO_HOST), 400);
  cr_assert_eq(ws_error_http_status(WS_E_HTTP_HEADER_TOO_LARGE), 431);
}

Test(errors, every_row_is_complete_and_names_are_unique) {
  for (int e = 1; e < WS_E__COUNT; e++) {
    const char *name = ws_error_name(e);
    cr_assert(strncmp(name, "WS_E_", 5) == 0, "row %d: %s", e, name);
    cr_assert(strlen(ws_error_message(e)) > 5, "row %d has no message", e);
    /* A row is a wire error, a handshake error, or neither; never both. */
    cr_assert(!(ws_error_close_code(e) && ws_error_http_status(e)) ||
                  e == WS_E_NOMEM,
              "row %s has both a close code and a status", name);
    for (int f = 1; f < e; f++)
      cr_assert_str_neq(name, ws_error_name(f));
  }
}

Test(errors, wire_errors_map_to_codes_valid_to_send) {
  for (int e = 1; e < WS_E__COUNT; e++) {
    uint16_t code = ws_error_close_code(e);
    if (code)
      cr_assert(code == 1002 || code == 1007 || code == 1009 || code == 1011,
                "%s maps to %u", ws_error_name(e), code);
  }
}
