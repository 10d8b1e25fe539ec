/* Values of list-valued headers: RFC 7230 7 "#rule" comma lists, and the
 * Sec-WebSocket-Protocol / Sec-WebSocket-Extensions grammars of RFC 6455 4.3
 * and 9.1:
 *
 *   extension-list  = 1#extension
 *   extension       = extension-token *( OWS ";" OWS extension-param )
 *   extension-param = token [ OWS "=" OWS (token | quoted-string) ]
 *
 * A quoted-string value must be a token once unescaped (9.1). Parsers never
 * allocate: results go into caller-provided fixed-size structures, and a list
 * that does not fit is an error, not a truncation. */
#ifndef WS_HEADER_VALUES_H
#define WS_HEADER_VALUES_H

#include "codec/http.h"

#include <stdbool.h>
#include <stddef.h>

/* RFC 7230 3.2.6 tchar. */
bool ws_is_tchar(unsigned char c);
bool ws_is_token(const char *s, size_t len);

/* Iterates the elements of a comma list, skipping empty elements and OWS.
 * *cursor starts at the value and advances; returns false at the end.
 * Elements are returned raw (a quoted string containing a comma is NOT
 * treated specially; use the extension parser for that grammar). */
bool ws_list_next(const char **cursor, const char *end, ws_span *element);

/* Case-insensitive membership of token in a comma list. */
bool ws_list_has_token(const char *value, size_t len, const char *token);

#define WS_MAX_SUBPROTOCOLS 32
#define WS_EXT_MAX 16
#define WS_EXT_MAX_PARAMS 16
#define WS_EXT_VALUE_STORE 512

typedef struct ws_subprotocol_list {
  size_t count;
  ws_span items[WS_MAX_SUBPROTOCOLS];
} ws_subprotocol_list;

/* Appends the tokens of one Sec-WebSocket-Protocol value (call once per header
 * instance). Errors: -WS_E_HS_BAD_PROTOCOL_HEADER for a non-token element, an
 * empty list, or more than WS_MAX_SUBPROTOCOLS. Spans point into value. */
int ws_subprotocols_parse(const char *value, size_t len,
                          ws_subprotocol_list *out);

typedef struct ws_ext_param {
  ws_span name;
  ws_span value; /* unescaped when it was quoted (then points into the
                    list's store) */
  bool has_value;
} ws_ext_param;

typedef struct ws_extension {
  ws_span name;
  size_t param_count;
  ws_ext_param params[WS_EXT_MAX_PARAMS];
} ws_extension;

typedef struct ws_extension_list {
  size_t count;
  ws_extension items[WS_EXT_MAX];
  char store[WS_EXT_VALUE_STORE]; /* unescaped quoted values */
  size_t store_used;
} ws_extension_list;

void ws_extension_list_init(ws_extension_list *list);

/* Appends the extensions of one Sec-WebSocket-Extensions value (call once per
 * header instance; 9.1 allows the header to repeat). Errors:
 * -WS_E_HS_BAD_EXTENSION_HEADER for any grammar violation or when a limit
 * above is exceeded. Spans point into value or into list->store. */
int ws_extensions_parse(const char *value, size_t len, ws_extension_list *out);

/* Writes a canonical header value for the list ("a; x=1, b"), NUL-terminated.
 * Returns its length, or -WS_E_BUFFER_TOO_SMALL. */
long ws_extensions_format(const ws_extension_list *list, char *out, size_t cap);

#endif
