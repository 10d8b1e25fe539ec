/* Close frames in the message layer: the code and the reason are judged as
 * their bytes arrive (fail fast), not when the frame ends. */
#include "codec/close.h"
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/message.h"

#include <criterion/criterion.h>
#include <string.h>

/* A masked close frame (as a client sends) with this payload. */
static size_t client_close(const uint8_t *payload, size_t len, uint8_t *out) {
  ws_frame_spec spec = {.fin = true,
                        .opcode = WS_OP_CLOSE,
                        .masked = true,
                        .mask_key = {1, 2, 3, 4}};
  ssize_t n = ws_frame_encode(&spec, payload, len, out, 256);
  cr_assert_gt(n, 0);
  return (size_t)n;
}

static ws_message_reader reader(enum ws_policy policy) {
  ws_message_reader r;
  ws_message_config config = {.sender = WS_SENDER_CLIENT, .policy = policy};
  ws_message_reader_init(&r, &config);
  return r;
}

/* Feeds frame[0..upto) and returns the last result. */
static int feed(ws_message_reader *r, uint8_t *frame, size_t upto,
                ws_message_event *ev) {
  size_t off = 0;
  int rc = 0;
  while (off < upto) {
    size_t used = 0;
    rc = ws_message_read(r, frame + off, upto - off, &used, ev);
    off += used;
    if (rc != 0)
      return rc;
  }
  return rc;
}

Test(message_close, invalid_reason_fails_before_the_frame_ends) {
  uint8_t payload[40] = {0x03, 0xE8, 'o', 'k', 0xFF};
  memset(payload + 5, 'x', sizeof payload - 5);
  uint8_t frame[256];
  size_t n = client_close(payload, sizeof payload, frame);
  ws_message_reader r = reader(WS_POLICY_STRICT);
  ws_message_event ev;
  /* Header (6 bytes) plus the first 5 payload bytes: the 0xFF is in. */
  cr_assert_eq(feed(&r, frame, 6 + 5, &ev), -WS_E_CLOSE_REASON_UTF8);
  cr_assert_lt(6 + 5, n);
  ws_message_reader_free(&r);
}

Test(message_close, invalid_code_fails_after_its_two_bytes) {
  uint8_t payload[30] = {0x03, 0xED}; /* 1005 may not be sent */
  memset(payload + 2, 'y', sizeof payload - 2);
  uint8_t frame[256];
  client_close(payload, sizeof payload, frame);
  ws_message_reader r = reader(WS_POLICY_STRICT);
  ws_message_event ev;
  cr_assert_eq(feed(&r, frame, 6 + 2, &ev), -WS_E_CLOSE_CODE_INVALID);
  ws_message_reader_free(&r);
}

Test(message_close, reason_split_inside_a_code_point_is_valid) {
  /* "κ" is CE BA: one byte per call must not be judged early. */
  uint8_t payload[] = {0x03, 0xE8, 0xCE, 0xBA};
  uint8_t frame[256];
  size_t n = client_close(payload, sizeof payload, frame);
  ws_message_reader r = reader(WS_POLICY_STRICT);
  ws_message_event ev;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    size_t used = 0;
    rc = ws_message_read(&r, frame + i, 1, &used, &ev);
  }
  if (rc == 0) {
    size_t used = 0;
    rc = ws_message_read(&r, frame + n, 0, &used, &ev);
  }
  cr_assert_eq(rc, 1);
  cr_assert_eq(ev.type, WS_MSG_CLOSE);
  cr_assert_eq(ev.close_code, 1000);
  cr_assert_eq(ev.close_reason_len, 2);
  ws_message_reader_free(&r);
}

Test(message_close, observe_reports_a_bad_reason_once) {
  uint8_t payload[] = {0x03, 0xE8, 0xFF, 'a'};
  uint8_t frame[256];
  size_t n = client_close(payload, sizeof payload, frame);
  ws_message_reader r = reader(WS_POLICY_OBSERVE);
  int violations = 0, closes = 0;
  size_t off = 0;
  for (int guard = 0; guard < 16; guard++) {
    ws_message_event ev;
    size_t used = 0;
    int rc = ws_message_read(&r, frame + off, n - off, &used, &ev);
    off += used;
    if (rc == 0 && off == n)
      break;
    cr_assert_geq(rc, 0);
    if (rc == 1 && ev.type == WS_MSG_VIOLATION) {
      cr_assert_eq(ev.violation, WS_E_CLOSE_REASON_UTF8);
      violations++;
    }
    if (rc == 1 && ev.type == WS_MSG_CLOSE)
      closes++;
  }
  cr_assert_eq(violations, 1);
  cr_assert_eq(closes, 1);
  ws_message_reader_free(&r);
}
