/* RSV1 in the message layer once permessage-deflate is negotiated
 * (ws_message_config.permessage_deflate): it marks the first frame of a
 * compressed message and nothing else (RFC 7692 6 and 6.1). The bytes are
 * handed over compressed; codec/inflate.h inflates them. */
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/message.h"

#include <criterion/criterion.h>
#include <string.h>

/* A payload from a string literal, NULs included. */
#define LIT(s) (s), sizeof(s) - 1

static size_t add_frame(uint8_t *out, bool fin, uint8_t rsv, uint8_t opcode,
                        const char *payload, size_t len) {
  ws_frame_spec spec = {.fin = fin,
                        .rsv = rsv,
                        .opcode = opcode,
                        .masked = true,
                        .mask_key = {9, 8, 7, 6}};
  ssize_t n = ws_frame_encode(&spec, (const uint8_t *)payload, len, out, 256);
  cr_assert_gt(n, 0);
  return (size_t)n;
}

static ws_message_reader reader(enum ws_policy policy, bool deflate) {
  ws_message_reader r;
  ws_message_config config = {.sender = WS_SENDER_CLIENT,
                              .policy = policy,
                              .permessage_deflate = deflate};
  ws_message_reader_init(&r, &config);
  return r;
}

/* Reads everything; returns the first error, or 0. Events go to evs. */
static int read_all(ws_message_reader *r, uint8_t *buf, size_t len,
                    ws_message_event *evs, size_t *count) {
  size_t off = 0;
  *count = 0;
  for (int guard = 0; guard < 64; guard++) {
    size_t used = 0;
    int rc = ws_message_read(r, buf + off, len - off, &used, &evs[*count]);
    off += used;
    if (rc < 0)
      return rc;
    if (rc == 1) {
      (*count)++;
      continue;
    }
    if (off == len)
      return 0;
  }
  cr_assert_fail("no progress");
  return 0;
}

Test(message_rsv1, first_frame_marks_the_message_compressed) {
  uint8_t buf[512];
  size_t n = add_frame(buf, false, WS_RSV1, WS_OP_TEXT, LIT("\xf2\x48\xcd"));
  n += add_frame(buf + n, true, 0, WS_OP_CONTINUATION, LIT("\xc9\xc9\x07\x00"));
  n += add_frame(buf + n, true, 0, WS_OP_TEXT, LIT("plain"));
  ws_message_reader r = reader(WS_POLICY_STRICT, true);
  ws_message_event evs[8];
  size_t count;
  cr_assert_eq(read_all(&r, buf, n, evs, &count), 0);
  cr_assert_eq(count, 2);
  cr_assert(evs[0].compressed);
  cr_assert_eq(evs[0].len, 7, "handed over compressed, not UTF-8 checked");
  cr_assert_not(evs[1].compressed);
  ws_message_reader_free(&r);
}

Test(message_rsv1, on_a_continuation_fails_1002) {
  uint8_t buf[512];
  size_t n = add_frame(buf, false, WS_RSV1, WS_OP_BINARY, LIT("ab"));
  n += add_frame(buf + n, true, WS_RSV1, WS_OP_CONTINUATION, LIT("cd"));
  ws_message_reader r = reader(WS_POLICY_STRICT, true);
  ws_message_event evs[8];
  size_t count;
  int rc = read_all(&r, buf, n, evs, &count);
  cr_assert_eq(rc, -WS_E_RSV1_ON_CONTINUATION, "%s", ws_error_name(rc));
  cr_assert_eq(ws_error_close_code(rc), 1002);
  ws_message_reader_free(&r);
  /* Also when the first frame was not compressed. */
  n = add_frame(buf, false, 0, WS_OP_TEXT, LIT("ab"));
  n += add_frame(buf + n, true, WS_RSV1, WS_OP_CONTINUATION, LIT("cd"));
  r = reader(WS_POLICY_STRICT, true);
  cr_assert_eq(read_all(&r, buf, n, evs, &count), -WS_E_RSV1_ON_CONTINUATION);
  ws_message_reader_free(&r);
}

Test(message_rsv1, on_control_frames_fails_1002) {
  const uint8_t ops[] = {WS_OP_PING, WS_OP_PONG, WS_OP_CLOSE};
  for (size_t i = 0; i < sizeof ops; i++) {
    uint8_t buf[512];
    size_t n = add_frame(buf, true, WS_RSV1, ops[i], LIT(""));
    ws_message_reader r = reader(WS_POLICY_STRICT, true);
    ws_message_event evs[8];
    size_t count;
    int rc = read_all(&r, buf, n, evs, &count);
    cr_assert_eq(rc, -WS_E_RSV1_ON_CONTROL, "%s", ws_opcode_name(ops[i]));
    cr_assert_eq(ws_error_close_code(rc), 1002);
    ws_message_reader_free(&r);
  }
}

Test(message_rsv1, without_negotiation_rsv1_is_a_reserved_bit) {
  uint8_t buf[512];
  size_t n = add_frame(buf, true, WS_RSV1, WS_OP_TEXT, LIT("\xf2\x48"));
  ws_message_reader r = reader(WS_POLICY_STRICT, false);
  ws_message_event evs[8];
  size_t count;
  cr_assert_eq(read_all(&r, buf, n, evs, &count), -WS_E_RESERVED_BITS);
  ws_message_reader_free(&r);
  /* RSV2 and RSV3 stay reserved with permessage-deflate (it defines RSV1
   * only). */
  n = add_frame(buf, true, WS_RSV2, WS_OP_TEXT, LIT("x"));
  r = reader(WS_POLICY_STRICT, true);
  cr_assert_eq(read_all(&r, buf, n, evs, &count), -WS_E_RESERVED_BITS);
  ws_message_reader_free(&r);
}

Test(message_rsv1, observe_reports_and_reads_on) {
  uint8_t buf[512];
  size_t n = add_frame(buf, true, WS_RSV1, WS_OP_PING, LIT("p"));
  n += add_frame(buf + n, false, WS_RSV1, WS_OP_TEXT, LIT("\xf2"));
  n += add_frame(buf + n, true, WS_RSV1, WS_OP_CONTINUATION, LIT("\x00"));
  ws_message_reader r = reader(WS_POLICY_OBSERVE, true);
  ws_message_event evs[8];
  size_t count;
  cr_assert_eq(read_all(&r, buf, n, evs, &count), 0);
  cr_assert_eq(count, 4);
  cr_assert_eq(evs[0].type, WS_MSG_VIOLATION);
  cr_assert_eq(evs[0].violation, WS_E_RSV1_ON_CONTROL);
  cr_assert_eq(evs[1].type, WS_MSG_PING);
  cr_assert_eq(evs[2].type, WS_MSG_VIOLATION);
  cr_assert_eq(evs[2].violation, WS_E_RSV1_ON_CONTINUATION);
  cr_assert_eq(evs[3].type, WS_MSG_TEXT);
  cr_assert(evs[3].compressed);
  ws_message_reader_free(&r);
}
