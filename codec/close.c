/* Close frame payloads, RFC 6455 5.5.1 and 7.4. */
#include "codec/close.h"

#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/utf8.h"

#include <string.h>

/* The code is two bytes, so the reason gets what is left of a control frame's
 * 125-byte payload. */
#define CLOSE_MAX_REASON (WS_CONTROL_MAX_PAYLOAD - 2)

bool ws_close_code_is_rfc6455(uint16_t code) {
  /* RFC 6455 7.4.1 defines 1000-1003 and 1007-1011 for use on the wire;
   * 1004 is reserved and 1005, 1006 and 1015 "MUST NOT be set as a status
   * code in a Close control frame by an endpoint". */
  if (code >= 1000 && code <= 1003)
    return true;
  if (code >= 1007 && code <= 1011)
    return true;
  /* RFC 6455 7.4.2: 3000-3999 are for libraries and frameworks (registered
   * with IANA), 4000-4999 for private use. */
  return code >= 3000 && code <= 4999;
}

bool ws_close_code_is_valid(uint16_t code) {
  /* 1012 (service restart), 1013 (try again later) and 1014 (bad gateway)
   * were registered in the IANA "WebSocket Close Code Number Registry" after
   * RFC 6455, under the 7.4.2 rule that 1000-2999 are defined by public
   * specifications. Everything else in 0-2999 is "not used" (0-999) or not
   * assigned, and 5000 and above is outside every range 7.4.2 defines. */
  if (code >= 1012 && code <= 1014)
    return true;
  return ws_close_code_is_rfc6455(code);
}

static void set_outputs(uint16_t *code, const uint8_t **reason,
                        size_t *reason_len, uint16_t code_value,
                        const uint8_t *reason_value, size_t reason_len_value) {
  if (code)
    *code = code_value;
  if (reason)
    *reason = reason_value;
  if (reason_len)
    *reason_len = reason_len_value;
}

int ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code,
                   const uint8_t **reason, size_t *reason_len) {
  /* The outputs are filled before the checks, so a caller that observes a
   * peer (and goes on after an error) still learns what was on the wire. */
  if (len < 2) {
    set_outputs(code, reason, reason_len, WS_CLOSE_NO_STATUS, payload, 0);
  } else {
    uint16_t wire_code = (uint16_t)((payload[0] << 8) | payload[1]);
    set_outputs(code, reason, reason_len, wire_code, payload + 2, len - 2);
  }
  /* RFC 6455 5.5: "All control frames MUST have a payload length of 125 bytes
   * or less". */
  if (len > WS_CONTROL_MAX_PAYLOAD)
    return -WS_E_CONTROL_TOO_LONG;
  /* RFC 6455 5.5.1: "If there is a body, the first two bytes of the body MUST
   * be a 2-byte unsigned integer ... representing a status code": a single
   * byte cannot be one. */
  if (len == 1)
    return -WS_E_CLOSE_PAYLOAD_1_BYTE;
  if (len == 0)
    return 0;
  /* RFC 6455 7.4.1 and 7.4.2 say which codes an endpoint may send. */
  if (!ws_close_code_is_valid((uint16_t)((payload[0] << 8) | payload[1])))
    return -WS_E_CLOSE_CODE_INVALID;
  /* RFC 6455 5.5.1: "Following the 2-byte integer, the body MAY contain
   * UTF-8-encoded data with value /reason/"; bytes that are not UTF-8 fail
   * the connection as 8.1 says for any invalid UTF-8. */
  if (!ws_utf8_is_valid(payload + 2, len - 2, NULL))
    return -WS_E_CLOSE_REASON_UTF8;
  return 0;
}

/* Length of reason[0..len) cut to at most `limit` bytes without splitting a
 * UTF-8 sequence: the cut backs off over continuation bytes (10xxxxxx), at
 * most three of them, the most a sequence has. */
static size_t cut_at_boundary(const uint8_t *reason, size_t len, size_t limit) {
  if (len <= limit)
    return len;
  size_t cut = limit;
  for (int i = 0; i < 3 && cut > 0 && (reason[cut] & 0xC0) == 0x80; i++)
    cut--;
  return cut;
}

size_t ws_close_build(uint16_t code, const char *reason, size_t reason_len,
                      uint8_t out[125]) {
  /* RFC 6455 5.5.1: the body is optional; a code of 0 asks for none. */
  if (code == 0)
    return 0;
  out[0] = (uint8_t)(code >> 8);
  out[1] = (uint8_t)(code & 0xFF);
  if (!reason || reason_len == 0)
    return 2;
  const uint8_t *bytes = (const uint8_t *)reason;
  size_t n = cut_at_boundary(bytes, reason_len, CLOSE_MAX_REASON);
  memcpy(out + 2, bytes, n);
  return 2 + n;
}
