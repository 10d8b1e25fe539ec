/* A resumable, bounded HTTP/1.1 header-block parser (RFC 7230 3), for the
 * opening handshake: the request on the server side, the response on the
 * client side.
 *
 * Bytes are copied into a parser-owned buffer that grows up to max_bytes;
 * scanning resumes where it stopped, so a request dripped one byte at a time
 * costs linear time, not quadratic. Bytes after the blank line that ends the
 * header block are NOT consumed: they belong to the WebSocket stream (frames
 * pipelined in the same segment as the request).
 *
 * Syntax accepted: CRLF or bare LF line ends (RFC 7230 3.5 allows a recipient
 * to accept LF); field names must be tokens; no whitespace between field name
 * and colon and no obsolete line folding (both MUST be rejected, 3.2.4);
 * optional whitespace around values is trimmed. The request line is
 * "method SP target SP HTTP/x.y"; the status line "HTTP/x.y SP 3DIGIT SP
 * reason". */
#ifndef WS_HTTP_H
#define WS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_HTTP_DEFAULT_MAX_BYTES 8192
#define WS_HTTP_DEFAULT_MAX_FIELDS 64

/* Spans into a parsed message are also NUL-terminated in place (the
 * separator after each is overwritten), so .ptr can be used as a C string. */
typedef struct ws_span {
  const char *ptr;
  size_t len;
} ws_span;

enum ws_http_kind { WS_HTTP_REQUEST, WS_HTTP_RESPONSE };

typedef struct ws_http_field {
  ws_span name;  /* as sent (compare case-insensitively) */
  ws_span value; /* OWS trimmed */
} ws_http_field;

typedef struct ws_http_message {
  enum ws_http_kind kind;
  ws_span method; /* request */
  ws_span target; /* request */
  int status;     /* response */
  ws_span reason; /* response */
  int version_major, version_minor;
  const ws_http_field *fields;
  size_t field_count;
} ws_http_message;

/* Fields are private. */
typedef struct ws_http_parser {
  enum ws_http_kind kind;
  size_t max_bytes, max_fields;
  char *raw; /* heap, grows to max_bytes + 1 (room for a final NUL) */
  size_t raw_len, raw_cap;
  size_t scan;  /* where the search for the end of the block resumes */
  size_t lines; /* complete lines seen so far (start line + fields) */
  ws_http_field *fields;
  ws_http_message message;
  int result; /* 0 in progress, 1 done, <0 sticky error */
} ws_http_parser;

/* max_bytes/max_fields 0: the defaults above. */
void ws_http_parser_init(ws_http_parser *p, enum ws_http_kind kind,
                         size_t max_bytes, size_t max_fields);
/* Releases the parser's heap memory; spans into it become invalid. */
void ws_http_parser_free(ws_http_parser *p);

/* Returns 1 when the header block is complete (ws_http_parser_message() is
 * then valid, *consumed counts only the bytes up to the blank line), 0 when
 * more bytes are needed (all consumed), or -WS_E_x:
 * WS_E_HTTP_SYNTAX, WS_E_HTTP_HEADER_TOO_LARGE, WS_E_HTTP_TOO_MANY_HEADERS,
 * WS_E_HTTP_VERSION (major version not 1), WS_E_NOMEM. Errors are sticky. */
int ws_http_parse(ws_http_parser *p, const uint8_t *buf, size_t len,
                  size_t *consumed);

const ws_http_message *ws_http_parser_message(const ws_http_parser *p);

/* Case-insensitive ASCII comparison of a span with a C string. */
bool ws_span_ieq(ws_span s, const char *str);

/* Number of fields named `name` (case-insensitive). */
size_t ws_http_field_count(const ws_http_message *m, const char *name);
/* The index-th field named `name`, or NULL. */
const ws_span *ws_http_field_get(const ws_http_message *m, const char *name,
                                 size_t index);
/* True when any field named `name` has `token` as an element of its
 * comma-separated list, case-insensitively ("keep-alive, Upgrade" has
 * "upgrade"; "NotUpgrade" does not). */
bool ws_http_field_has_token(const ws_http_message *m, const char *name,
                             const char *token);

#endif
