/* One table for every error the codec and the server can report.
 *
 * Each row: X(NAME, CLOSE_CODE, HTTP_STATUS, "rfc", "message").
 *   CLOSE_CODE  the WebSocket close code an endpoint sends when it fails the
 *               connection for this reason (0: not a wire error).
 *   HTTP_STATUS the status a server answers a refused handshake with (0: not
 *               a handshake error).
 *   rfc         the rule the error breaks, as a reason names it ("RFC 6455
 *               5.1"); "" for limits and errors that break no rule.
 *
 * Functions return 0 on success or the NEGATED enum value on error
 * (`return -WS_E_RESERVED_OPCODE;`), the errno convention; every accessor
 * below accepts either sign. */
#ifndef WS_ERRORS_H
#define WS_ERRORS_H

#include <stdint.h>

#define WS_ERROR_TABLE(X)                                                      \
  /* generic */                                                                \
  X(WS_E_NOMEM, 1011, 500, "", "out of memory")                                \
  X(WS_E_INVALID_ARGUMENT, 0, 0, "", "invalid argument")                       \
  X(WS_E_BUFFER_TOO_SMALL, 0, 0, "", "output buffer too small")                \
  X(WS_E_STATE, 0, 0, "", "operation not valid in the current state")          \
  /* framing, RFC 6455 5.2 */                                                  \
  X(WS_E_RESERVED_BITS, 1002, 0, "RFC 6455 5.2",                               \
    "RSV bit set without a negotiated extension")                              \
  X(WS_E_RESERVED_OPCODE, 1002, 0, "RFC 6455 5.2", "reserved opcode")          \
  X(WS_E_UNMASKED_FRAME, 1002, 0, "RFC 6455 5.1",                              \
    "frame from a client is not masked")                                       \
  X(WS_E_MASKED_FRAME, 1002, 0, "RFC 6455 5.1",                                \
    "frame from a server is masked")                                           \
  X(WS_E_LENGTH_TOP_BIT, 1002, 0, "RFC 6455 5.2",                              \
    "64-bit payload length has its most significant bit set")                  \
  X(WS_E_NON_MINIMAL_LENGTH, 1002, 0, "RFC 6455 5.2",                          \
    "payload length not in its minimal encoding")                              \
  X(WS_E_CONTROL_TOO_LONG, 1002, 0, "RFC 6455 5.5",                            \
    "control frame payload longer than 125 bytes")                             \
  X(WS_E_CONTROL_FRAGMENTED, 1002, 0, "RFC 6455 5.5",                          \
    "control frame with FIN clear")                                            \
  X(WS_E_FRAME_TOO_BIG, 1009, 0, "", "frame larger than the configured limit") \
  /* messages, RFC 6455 5.4, 5.6, 8.1 */                                       \
  X(WS_E_UNEXPECTED_CONTINUATION, 1002, 0, "RFC 6455 5.4",                     \
    "continuation frame with no message in progress")                          \
  X(WS_E_EXPECTED_CONTINUATION, 1002, 0, "RFC 6455 5.4",                       \
    "new data frame while a fragmented message is in progress")                \
  X(WS_E_MESSAGE_TOO_BIG, 1009, 0, "",                                         \
    "message larger than the configured limit")                                \
  X(WS_E_TOO_MANY_FRAGMENTS, 1009, 0, "",                                      \
    "message has more fragments than the configured limit")                    \
  X(WS_E_INVALID_UTF8, 1007, 0, "RFC 6455 8.1",                                \
    "text message is not valid UTF-8")                                         \
  X(WS_E_FRAME_AFTER_CLOSE, 1002, 0, "RFC 6455 5.5.1",                         \
    "frame received after a close frame")                                      \
  /* closing, RFC 6455 5.5.1, 7.4 */                                           \
  X(WS_E_CLOSE_PAYLOAD_1_BYTE, 1002, 0, "RFC 6455 5.5.1",                      \
    "close frame with a 1-byte payload")                                       \
  X(WS_E_CLOSE_CODE_INVALID, 1002, 0, "RFC 6455 7.4.1",                        \
    "close code not valid on the wire")                                        \
  X(WS_E_CLOSE_REASON_UTF8, 1007, 0, "RFC 6455 5.5.1",                         \
    "close reason is not valid UTF-8")                                         \
  /* HTTP/1.1 message syntax, RFC 7230 */                                      \
  X(WS_E_HTTP_SYNTAX, 0, 400, "RFC 7230 3", "malformed HTTP message")          \
  X(WS_E_HTTP_HEADER_TOO_LARGE, 0, 431, "",                                    \
    "header block larger than the limit")                                      \
  X(WS_E_HTTP_TOO_MANY_HEADERS, 0, 431, "",                                    \
    "more header fields than the limit")                                       \
  X(WS_E_HTTP_VERSION, 0, 400, "RFC 6455 4.2.1",                               \
    "HTTP version is not 1.1 or later")                                        \
  /* opening handshake, server side, RFC 6455 4.2.1 */                         \
  X(WS_E_HS_METHOD, 0, 405, "RFC 6455 4.2.1", "method is not GET")             \
  X(WS_E_HS_TARGET, 0, 400, "RFC 6455 4.2.1",                                  \
    "request-target is not origin or absolute form")                           \
  X(WS_E_HS_NO_HOST, 0, 400, "RFC 6455 4.2.1",                                 \
    "Host header missing or repeated")                                         \
  X(WS_E_HS_NO_UPGRADE, 0, 400, "RFC 6455 4.2.1",                              \
    "Upgrade header lacks the websocket token")                                \
  X(WS_E_HS_NO_CONNECTION_UPGRADE, 0, 400, "RFC 6455 4.2.1",                   \
    "Connection header lacks the upgrade token")                               \
  X(WS_E_HS_NO_KEY, 0, 400, "RFC 6455 4.2.1", "Sec-WebSocket-Key missing")     \
  X(WS_E_HS_BAD_KEY, 0, 400, "RFC 6455 4.2.1",                                 \
    "Sec-WebSocket-Key is not the base64 of 16 bytes")                         \
  X(WS_E_HS_DUPLICATE_KEY, 0, 400, "RFC 6455 4.2.1",                           \
    "Sec-WebSocket-Key repeated")                                              \
  X(WS_E_HS_VERSION, 0, 426, "RFC 6455 4.2.1",                                 \
    "Sec-WebSocket-Version is not 13")                                         \
  X(WS_E_HS_BAD_PROTOCOL_HEADER, 0, 400, "RFC 6455 4.2.1",                     \
    "Sec-WebSocket-Protocol is not a list of tokens")                          \
  X(WS_E_HS_BAD_EXTENSION_HEADER, 0, 400, "RFC 6455 9.1",                      \
    "Sec-WebSocket-Extensions does not follow RFC 6455 9.1")                   \
  X(WS_E_HS_TIMEOUT, 0, 408, "",                                               \
    "handshake not completed before the deadline")                             \
  /* opening handshake, client side, RFC 6455 4.1 */                           \
  X(WS_E_HS_RESPONSE_STATUS, 0, 0, "RFC 6455 4.2.2",                           \
    "response status is not 101")                                              \
  X(WS_E_HS_RESPONSE_UPGRADE, 0, 0, "RFC 6455 4.2.2",                          \
    "response Upgrade header is not websocket")                                \
  X(WS_E_HS_RESPONSE_CONNECTION, 0, 0, "RFC 6455 4.2.2",                       \
    "response Connection header lacks upgrade")                                \
  X(WS_E_HS_RESPONSE_ACCEPT, 0, 0, "RFC 6455 4.2.2",                           \
    "response Sec-WebSocket-Accept missing or wrong")                          \
  X(WS_E_HS_RESPONSE_PROTOCOL, 0, 0, "RFC 6455 4.2.2",                         \
    "response selects a subprotocol that was not offered")                     \
  X(WS_E_HS_RESPONSE_EXTENSION, 0, 0, "RFC 6455 4.2.2, 9.1",                   \
    "response selects an extension or parameter that was not offered")         \
  /* New rows go below: appending keeps the values of the rows above.          \
   * permessage-deflate data, RFC 7692 6 and 7.2. RFC 7692 names no close      \
   * code for data that does not inflate; 1007 because the frames are well     \
   * formed and it is the message's data that is not what its type (RSV1,      \
   * compressed) says, which is RFC 6455 7.4.1's 1007 ("data within a          \
   * message that was not consistent with the type of the message"). */        \
  X(WS_E_RSV1_ON_CONTINUATION, 1002, 0, "RFC 7692 6.1",                        \
    "RSV1 (compressed) set on a continuation frame")                           \
  X(WS_E_RSV1_ON_CONTROL, 1002, 0, "RFC 7692 6.1",                             \
    "RSV1 (compressed) set on a control frame")                                \
  X(WS_E_DEFLATE_DATA, 1007, 0, "RFC 7692 7.2.2",                              \
    "compressed message is not valid DEFLATE data")                            \
  X(WS_E_DEFLATE_UNFINISHED, 1007, 0, "RFC 7692 7.2.1",                        \
    "compressed message does not end at a DEFLATE block boundary")             \
  X(WS_E_DEFLATE_TOO_BIG, 1009, 0, "",                                         \
    "compressed message inflates past the configured limit")                   \
  X(WS_E_DEFLATE_CONTEXT_LOST, 0, 0, "",                                       \
    "compressed message not inflated: an earlier error lost the shared "       \
    "window")                                                                  \
  /* permessage-deflate negotiation, RFC 7692 5 and 7. The first four are      \
   * also why a server declines an offer (no status: declining is not a        \
   * refusal); all of them fail the connection on the client's side. */        \
  X(WS_E_PMD_UNKNOWN_PARAM, 0, 0, "RFC 7692 7",                                \
    "permessage-deflate parameter not defined for this side")                  \
  X(WS_E_PMD_DUPLICATE_PARAM, 0, 0, "RFC 7692 7",                              \
    "permessage-deflate parameter repeated")                                   \
  X(WS_E_PMD_BAD_VALUE, 0, 0, "RFC 7692 7.1",                                  \
    "permessage-deflate parameter with an invalid or missing value")           \
  X(WS_E_PMD_UNSUPPORTED, 0, 0, "RFC 7692 7",                                  \
    "permessage-deflate configuration the endpoint does not support")          \
  X(WS_E_PMD_PARAM_NOT_OFFERED, 0, 0, "RFC 7692 7.1.2.2",                      \
    "response has client_max_window_bits, which the offer did not have")       \
  X(WS_E_PMD_WINDOW_ABOVE_OFFER, 0, 0, "RFC 7692 7.1.2",                       \
    "response's window bits are larger than the offer's")                      \
  X(WS_E_PMD_OFFER_NOT_HONOURED, 0, 0, "RFC 7692 7.1.1.1, 7.1.2.1",            \
    "response leaves out server_no_context_takeover or "                       \
    "server_max_window_bits, which the offer asked for")                       \
  X(WS_E_PMD_INVALID_OFFER_ACCEPTED, 0, 0, "RFC 7692 7",                       \
    "response accepts a permessage-deflate offer that had to be declined")     \
  X(WS_E_PMD_REPEATED, 0, 0, "RFC 7692 5",                                     \
    "response accepts permessage-deflate more than once")                      \
  /* Masking keys, RFC 6455 5.3: "The masking key MUST be derived from a       \
   * strong source of entropy", a fresh one for each frame, so that the        \
   * server-bound bytes cannot be predicted. A receiver cannot tell a          \
   * weak source from bad luck and is asked to fail on neither (no close       \
   * code); the harness playing the server records them against the client.    \
   * A zero key leaves the payload as it is; a key seen on one of the last     \
   * few frames of the connection is not fresh. */                             \
  X(WS_E_MASK_KEY_ZERO, 0, 0, "RFC 6455 5.3",                                  \
    "client frame masked with the all-zero key (the payload goes unmasked)")   \
  X(WS_E_MASK_KEY_REUSED, 0, 0, "RFC 6455 5.3",                                \
    "client frame masked with a key it already used on this connection")

enum ws_error {
  WS_OK = 0,
#define WS_ERROR_ENUM_ROW(name, close, http, rfc, msg) name,
  WS_ERROR_TABLE(WS_ERROR_ENUM_ROW)
#undef WS_ERROR_ENUM_ROW
      WS_E__COUNT
};

/* "WS_E_RESERVED_OPCODE"; "WS_OK" for 0; "WS_E_UNKNOWN" out of range. */
const char *ws_error_name(int err);
/* One human sentence; never NULL. */
const char *ws_error_message(int err);
/* Close code to fail the connection with, or 0. */
uint16_t ws_error_close_code(int err);
/* HTTP status to refuse a handshake with, or 0. */
int ws_error_http_status(int err);
/* The rule the error breaks ("RFC 6455 5.1"), or "". */
const char *ws_error_rfc(int err);

#endif
