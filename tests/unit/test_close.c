/* Closing: close payloads (close.c: code validity by class, parsing,
 * building) and the closing handshake state machine of message.h (RFC 6455
 * 7.1); the reader's handling of close frames is in test_message.c. */
#include "codec/close.h"
#include "codec/errors.h"
#include "codec/message.h"
#include "codec/utf8.h"

#include <criterion/criterion.h>
#include <string.h>

/* Two-byte close body for `code`, optionally followed by a reason. */
static size_t body(uint8_t *out, uint16_t code, const char *reason,
                   size_t reason_len) {
  out[0] = (uint8_t)(code >> 8);
  out[1] = (uint8_t)code;
  if (reason_len)
    memcpy(out + 2, reason, reason_len);
  return 2 + reason_len;
}

static void assert_code_range(unsigned lo, unsigned hi, bool valid) {
  for (unsigned c = lo; c <= hi; c++)
    cr_assert_eq(ws_close_code_is_valid((uint16_t)c), valid, "code %u", c);
}

static void assert_parse_rejects_code(uint16_t code) {
  uint8_t p[8];
  size_t n = body(p, code, "x", 1);
  uint16_t got = 0;
  cr_assert_eq(ws_close_parse(p, n, &got, NULL, NULL), -WS_E_CLOSE_CODE_INVALID,
               "code %u", code);
  cr_assert_eq(got, code, "the wire code is still reported");
}

/* ---- code classes ---- */

Test(close_code, zero_and_below_1000_are_invalid) {
  cr_assert_not(ws_close_code_is_valid(0));
  cr_assert_not(ws_close_code_is_valid(999));
  assert_code_range(0, 999, false);
  assert_parse_rejects_code(0);
  assert_parse_rejects_code(999);
}

Test(close_code, 1000_to_1003_are_valid_rfc6455) {
  assert_code_range(1000, 1003, true);
  for (uint16_t c = 1000; c <= 1003; c++)
    cr_assert(ws_close_code_is_rfc6455(c));
}

Test(close_code, 1004_reserved_is_invalid) {
  cr_assert_not(ws_close_code_is_valid(1004));
  cr_assert_not(ws_close_code_is_rfc6455(1004));
  assert_parse_rejects_code(1004);
}

Test(close_code, 1005_and_1006_never_go_on_the_wire) {
  cr_assert_not(ws_close_code_is_valid(1005));
  cr_assert_not(ws_close_code_is_valid(1006));
  assert_parse_rejects_code(1005);
  assert_parse_rejects_code(1006);
}

Test(close_code, 1007_to_1011_are_valid_rfc6455) {
  assert_code_range(1007, 1011, true);
  for (uint16_t c = 1007; c <= 1011; c++)
    cr_assert(ws_close_code_is_rfc6455(c));
}

Test(close_code, 1012_to_1014_are_valid_iana_not_rfc6455) {
  assert_code_range(1012, 1014, true);
  for (uint16_t c = 1012; c <= 1014; c++)
    cr_assert_not(ws_close_code_is_rfc6455(c), "code %u", c);
}

Test(close_code, 1015_tls_failure_is_invalid) {
  cr_assert_not(ws_close_code_is_valid(1015));
  assert_parse_rejects_code(1015);
}

Test(close_code, 1016_to_2999_are_invalid) {
  assert_code_range(1016, 2999, false);
  assert_parse_rejects_code(1016);
  assert_parse_rejects_code(2999);
}

Test(close_code, 3000_to_4999_are_valid) {
  assert_code_range(3000, 4999, true);
  cr_assert(ws_close_code_is_rfc6455(3000));
  cr_assert(ws_close_code_is_rfc6455(4999));
}

Test(close_code, 5000_and_above_are_invalid) {
  assert_code_range(5000, 65535, false);
  assert_parse_rejects_code(5000);
  assert_parse_rejects_code(65535);
}

/* ---- parse ---- */

Test(close_parse, empty_payload_is_no_status) {
  uint16_t code = 0;
  const uint8_t *reason = (const uint8_t *)"junk";
  size_t reason_len = 99;
  cr_assert_eq(ws_close_parse(NULL, 0, &code, &reason, &reason_len), 0);
  cr_assert_eq(code, WS_CLOSE_NO_STATUS);
  cr_assert_eq(reason_len, 0);
}

Test(close_parse, one_byte_payload_is_an_error) {
  uint8_t p[1] = {0x03};
  uint16_t code = 0;
  cr_assert_eq(ws_close_parse(p, 1, &code, NULL, NULL),
               -WS_E_CLOSE_PAYLOAD_1_BYTE);
  cr_assert_eq(code, WS_CLOSE_NO_STATUS);
  cr_assert_eq(ws_error_close_code(-WS_E_CLOSE_PAYLOAD_1_BYTE), 1002);
}

Test(close_parse, code_only) {
  uint8_t p[2];
  size_t n = body(p, 1000, NULL, 0);
  uint16_t code = 0;
  const uint8_t *reason = NULL;
  size_t reason_len = 7;
  cr_assert_eq(ws_close_parse(p, n, &code, &reason, &reason_len), 0);
  cr_assert_eq(code, 1000);
  cr_assert_eq(reason_len, 0);
}

Test(close_parse, code_and_reason_point_into_payload) {
  uint8_t p[32];
  size_t n = body(p, 4001, "going away", 10);
  uint16_t code = 0;
  const uint8_t *reason = NULL;
  size_t reason_len = 0;
  cr_assert_eq(ws_close_parse(p, n, &code, &reason, &reason_len), 0);
  cr_assert_eq(code, 4001);
  cr_assert_eq(reason, p + 2);
  cr_assert_eq(reason_len, 10);
  cr_assert_eq(memcmp(reason, "going away", 10), 0);
}

Test(close_parse, outputs_may_be_null) {
  uint8_t p[4];
  size_t n = body(p, 1001, "ok", 2);
  cr_assert_eq(ws_close_parse(p, n, NULL, NULL, NULL), 0);
}

Test(close_parse, 125_bytes_is_the_largest_payload) {
  uint8_t p[125];
  char reason[123];
  memset(reason, 'r', sizeof reason);
  size_t n = body(p, 1000, reason, sizeof reason);
  size_t reason_len = 0;
  cr_assert_eq(n, 125);
  cr_assert_eq(ws_close_parse(p, n, NULL, NULL, &reason_len), 0);
  cr_assert_eq(reason_len, 123);
}

Test(close_parse, 126_bytes_is_too_long) {
  uint8_t p[126];
  char reason[124];
  memset(reason, 'r', sizeof reason);
  size_t n = body(p, 1000, reason, sizeof reason);
  cr_assert_eq(ws_close_parse(p, n, NULL, NULL, NULL), -WS_E_CONTROL_TOO_LONG);
}

Test(close_parse, reason_with_invalid_utf8_is_rejected) {
  static const char bad[] = "ok\xC0\xAF"; /* overlong '/' */
  uint8_t p[16];
  size_t n = body(p, 1000, bad, sizeof bad - 1);
  uint16_t code = 0;
  size_t reason_len = 0;
  cr_assert_eq(ws_close_parse(p, n, &code, NULL, &reason_len),
               -WS_E_CLOSE_REASON_UTF8);
  cr_assert_eq(code, 1000, "the code is still reported");
  cr_assert_eq(reason_len, 4);
  cr_assert_eq(ws_error_close_code(-WS_E_CLOSE_REASON_UTF8), 1007);
}

Test(close_parse, reason_ending_inside_a_sequence_is_rejected) {
  static const char cut[] = "\xE2\x82"; /* first two bytes of the euro sign */
  uint8_t p[8];
  size_t n = body(p, 1000, cut, 2);
  cr_assert_eq(ws_close_parse(p, n, NULL, NULL, NULL), -WS_E_CLOSE_REASON_UTF8);
}

Test(close_parse, multibyte_reason_is_valid) {
  static const char ok[] = "\xCE\xBA\xE1\xBD\xB9\xF0\x9F\x98\x80";
  uint8_t p[16];
  size_t n = body(p, 1000, ok, sizeof ok - 1);
  cr_assert_eq(ws_close_parse(p, n, NULL, NULL, NULL), 0);
}

/* ---- build ---- */

Test(close_build, code_zero_builds_an_empty_payload) {
  uint8_t out[125];
  cr_assert_eq(ws_close_build(0, "ignored", 7, out), 0);
}

Test(close_build, code_only_is_two_bytes_big_endian) {
  uint8_t out[125];
  cr_assert_eq(ws_close_build(1002, NULL, 0, out), 2);
  cr_assert_eq(out[0], 0x03);
  cr_assert_eq(out[1], 0xEA);
}

Test(close_build, reason_is_copied_and_parses_back) {
  uint8_t out[125];
  size_t n = ws_close_build(3001, "bye", 3, out);
  cr_assert_eq(n, 5);
  uint16_t code = 0;
  const uint8_t *reason = NULL;
  size_t reason_len = 0;
  cr_assert_eq(ws_close_parse(out, n, &code, &reason, &reason_len), 0);
  cr_assert_eq(code, 3001);
  cr_assert_eq(reason_len, 3);
  cr_assert_eq(memcmp(reason, "bye", 3), 0);
}

Test(close_build, ascii_reason_is_truncated_to_123_bytes) {
  char reason[200];
  memset(reason, 'a', sizeof reason);
  uint8_t out[125];
  cr_assert_eq(ws_close_build(1000, reason, sizeof reason, out), 125);
  cr_assert_eq(ws_close_parse(out, 125, NULL, NULL, NULL), 0);
}

Test(close_build, truncation_never_splits_a_code_point) {
  /* 121 ASCII bytes then a 3-byte euro sign: bytes 121..123 of the reason.
   * Only 123 fit, so the whole euro sign must go. */
  char reason[130];
  memset(reason, 'a', 121);
  memcpy(reason + 121, "\xE2\x82\xAC", 3);
  memset(reason + 124, 'b', 6);
  uint8_t out[125];
  size_t n = ws_close_build(1000, reason, sizeof reason, out);
  cr_assert_eq(n, 2 + 121);
  cr_assert(ws_utf8_is_valid(out + 2, n - 2, NULL));
  cr_assert_eq(ws_close_parse(out, n, NULL, NULL, NULL), 0);
}

Test(close_build, truncation_keeps_a_code_point_that_ends_at_the_limit) {
  /* 119 ASCII bytes then a 4-byte emoji exactly filling bytes 119..122. */
  char reason[140];
  memset(reason, 'a', 119);
  memcpy(reason + 119, "\xF0\x9F\x98\x80", 4);
  memset(reason + 123, 'z', 17);
  uint8_t out[125];
  size_t n = ws_close_build(1000, reason, sizeof reason, out);
  cr_assert_eq(n, 125);
  cr_assert_eq(memcmp(out + 2 + 119, "\xF0\x9F\x98\x80", 4), 0);
}

Test(close_build, every_multibyte_width_truncates_to_valid_utf8) {
  static const char *chars[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
  for (size_t w = 0; w < 3; w++) {
    size_t cl = strlen(chars[w]);
    char reason[300];
    size_t len = 0;
    while (len + cl <= sizeof reason) {
      memcpy(reason + len, chars[w], cl);
      len += cl;
    }
    uint8_t out[125];
    size_t n = ws_close_build(1000, reason, len, out);
    cr_assert_leq(n, 125);
    cr_assert_eq((n - 2) % cl, 0, "width %zu", cl);
    cr_assert_gt(n, 125 - cl);
    cr_assert(ws_utf8_is_valid(out + 2, n - 2, NULL));
  }
}

/* ---- the closing handshake, RFC 6455 7.1 (message.h) ---- */

Test(state, send_then_receive_close) {
  enum ws_state s = WS_STATE_OPEN;
  cr_assert(ws_state_may_send_data(s));
  s = ws_state_after_send_close(s);
  cr_assert_eq(s, WS_STATE_CLOSE_SENT);
  cr_assert_not(ws_state_may_send_data(s));
  cr_assert_eq(ws_state_after_send_close(s), WS_STATE_CLOSE_SENT);
  s = ws_state_after_receive_close(s);
  cr_assert_eq(s, WS_STATE_CLOSED);
  cr_assert_not(ws_state_may_send_data(s));
}

Test(state, receive_then_send_close) {
  enum ws_state s = ws_state_after_receive_close(WS_STATE_OPEN);
  cr_assert_eq(s, WS_STATE_CLOSE_RECEIVED);
  cr_assert(ws_state_may_send_data(s), "5.5.1 lets it finish a message");
  cr_assert_eq(ws_state_after_receive_close(s), WS_STATE_CLOSE_RECEIVED);
  s = ws_state_after_send_close(s);
  cr_assert_eq(s, WS_STATE_CLOSED);
}

Test(state, closed_is_terminal_and_names_are_distinct) {
  cr_assert_eq(ws_state_after_send_close(WS_STATE_CLOSED), WS_STATE_CLOSED);
  cr_assert_eq(ws_state_after_receive_close(WS_STATE_CLOSED), WS_STATE_CLOSED);
  cr_assert_str_eq(ws_state_name(WS_STATE_OPEN), "open");
  cr_assert_str_eq(ws_state_name(WS_STATE_CLOSE_SENT), "close-sent");
  cr_assert_str_eq(ws_state_name(WS_STATE_CLOSE_RECEIVED), "close-received");
  cr_assert_str_eq(ws_state_name(WS_STATE_CLOSED), "closed");
}
