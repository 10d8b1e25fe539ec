/* Close frame payloads, RFC 6455 5.5.1 and 7.4. */
#ifndef WS_CLOSE_H
#define WS_CLOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "No status received": what a close without a payload reports (7.1.5). It is
 * never valid on the wire. */
#define WS_CLOSE_NO_STATUS 1005

/* Valid on the wire: 1000-1003, 1007-1011 (RFC 6455 7.4.1), 1012-1014
 * (registered with IANA since), 3000-4999 (registered and private use).
 * Invalid: 0-999, 1004-1006, 1015, 1016-2999, 5000 and above. */
bool ws_close_code_is_valid(uint16_t code);

/* True for codes RFC 6455 itself allows on the wire (1000-1003, 1007-1011,
 * 3000-4999; not 1012-1014), for graders that want to call those out as
 * informational. */
bool ws_close_code_is_rfc6455(uint16_t code);

/* Parses a close payload. An empty payload gives WS_CLOSE_NO_STATUS and an
 * empty reason. Errors: -WS_E_CLOSE_PAYLOAD_1_BYTE, -WS_E_CONTROL_TOO_LONG
 * (over 125 bytes), -WS_E_CLOSE_CODE_INVALID, -WS_E_CLOSE_REASON_UTF8.
 * *reason points into payload. code/reason/reason_len may be NULL.
 * The outputs are set even on error, to what the wire holds (the 2-byte code
 * and the rest as reason; WS_CLOSE_NO_STATUS and no reason under 2 bytes), so
 * an observer can report what the peer sent. */
int ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code,
                   const uint8_t **reason, size_t *reason_len);

/* Builds a payload: 2-byte code plus reason (truncated to 123 bytes at a
 * UTF-8 boundary). code 0 builds an empty payload. Returns the length. */
size_t ws_close_build(uint16_t code, const char *reason, size_t reason_len,
                      uint8_t out[125]);

#endif
