/* The opening handshake, RFC 6455 4: request validation and the response
 * (server side), request building and response validation (client side).
 * Works on ws_http_message values from http.h; never touches a socket. */
#ifndef WS_HANDSHAKE_H
#define WS_HANDSHAKE_H

#include "codec/header_values.h"
#include "codec/http.h"
#include "codec/pmd.h" /* the RFC 7692 parameter rules the validator uses */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 24    /* base64 of 16 bytes */
#define WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */

/* What a valid request asked for. Spans point into the parser's buffer. */
typedef struct ws_hs_request_info {
  ws_span key;
  ws_span host;
  ws_span target;
  ws_span origin; /* len 0 when absent */
  ws_subprotocol_list subprotocols;
  ws_extension_list extensions;
} ws_hs_request_info;

/* Checks a request against RFC 6455 4.2.1. Returns 0 and fills *info, or the
 * first problem found, as -WS_E_x whose ws_error_http_status() is the status
 * to refuse with:
 *   method not GET (case-sensitive)         WS_E_HS_METHOD (405)
 *   HTTP version below 1.1                  WS_E_HTTP_VERSION (400)
 *   target not origin-form or absolute-form WS_E_HS_TARGET (400)
 *   Host missing or repeated                WS_E_HS_NO_HOST (400)
 *   Upgrade lacks the token websocket       WS_E_HS_NO_UPGRADE (400)
 *   Connection lacks the token upgrade      WS_E_HS_NO_CONNECTION_UPGRADE
 *   Sec-WebSocket-Key missing / repeated /
 *     not base64 of exactly 16 bytes        WS_E_HS_NO_KEY / DUPLICATE_KEY /
 *                                           BAD_KEY (400)
 *   Sec-WebSocket-Version not exactly "13"
 *     (missing, repeated, "013", "8")       WS_E_HS_VERSION (426)
 *   malformed protocol/extension lists      WS_E_HS_BAD_*_HEADER (400)
 * Token comparisons are case-insensitive; lists may span repeated headers. */
int ws_hs_validate_request(const ws_http_message *request,
                           ws_hs_request_info *info);

/* base64(SHA-1(key + WS_GUID)) into out (NUL-terminated). 0 or
 * -WS_E_NOMEM (OpenSSL failure). */
int ws_hs_accept_value(const char *key, size_t key_len,
                       char out[WS_ACCEPT_LEN + 1]);

/* A fresh key from the random hook: base64 of 16 bytes, NUL-terminated. */
void ws_hs_generate_key(char out[WS_KEY_LEN + 1]);

/* The 101 response. protocol/extensions may be NULL (header omitted).
 * Returns bytes written (NUL-terminated, not counted) or
 * -WS_E_BUFFER_TOO_SMALL. */
ssize_t ws_hs_build_response(char *out, size_t cap, const char *accept,
                             const char *protocol, const char *extensions);

/* A refusal for a validation error: the error's HTTP status, a short body,
 * Connection: close, and Sec-WebSocket-Version: 13 for WS_E_HS_VERSION
 * (RFC 6455 4.4). Returns bytes written or -WS_E_BUFFER_TOO_SMALL. */
ssize_t ws_hs_build_refusal(char *out, size_t cap, int error);

/* Client side. */
typedef struct ws_hs_client_request {
  const char *host;          /* "host[:port]" */
  const char *path;          /* origin-form target, "/" when NULL */
  const char *key;           /* WS_KEY_LEN chars */
  const char *origin;        /* optional */
  const char *protocols;     /* optional "a, b" */
  const char *extensions;    /* optional offer */
  const char *extra_headers; /* optional, each line ending in CRLF */
} ws_hs_client_request;

ssize_t ws_hs_build_request(char *out, size_t cap,
                            const ws_hs_client_request *request);

typedef struct ws_hs_response_info {
  ws_span protocol; /* len 0: none selected */
  ws_extension_list extensions;
} ws_hs_response_info;

/* Validates a server response against the request we sent (RFC 6455 4.1,
 * the client's "fail the connection" list). offered_protocols and
 * offered_extensions are the values we sent (NULL: none). Errors:
 * WS_E_HS_RESPONSE_STATUS, _UPGRADE, _CONNECTION, _ACCEPT, _PROTOCOL,
 * _EXTENSION (an extension name not offered, or a parameter the offer did not
 * allow, e.g. client_max_window_bits when not offered: RFC 7692 7.1.2.2).
 * For permessage-deflate, ws_pmd_client_accept (pmd.h) then names the rule a
 * refused answer breaks and gives the agreed parameters of an accepted one. */
int ws_hs_validate_response(const ws_http_message *response, const char *key,
                            const char *offered_protocols,
                            const char *offered_extensions,
                            ws_hs_response_info *info);

#endif
