/* The replies a case expects (case/expected.c), for compressed messages
 * written as raw RSV1 frames: they echo as what they inflate to, through one
 * shared window (RFC 7692 7.2.3.2), and a message that does not inflate is
 * not expected. */
#include "case/expected.h"
#include "tests/unit/case_fixture.h"

#include <criterion/criterion.h>
#include <string.h>

static const uint8_t hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
static const uint8_t hello_again[] = {0xf2, 0x00, 0x11, 0x00, 0x00};

static ws_step *rsv1(tcase *t, const uint8_t *p, size_t n, bool echo) {
  ws_step *s = tc_frame(t, WS_OP_TEXT, p, n);
  s->frame.rsv = 4;
  s->echo = echo;
  return s;
}

static void assert_reply(const ws_expected *e, size_t i, const char *text) {
  cr_assert_gt(e->msg_count, i);
  cr_assert_eq(e->msgs[i].len, strlen(text));
  cr_assert_eq(memcmp(e->msgs[i].ptr, text, strlen(text)), 0);
}

Test(expected, the_second_hello_inflates_through_the_first_ones_window) {
  tcase t;
  tc_init(&t, "e.window", 1000);
  rsv1(&t, hello, sizeof hello, true);
  rsv1(&t, hello_again, sizeof hello_again, true);
  ws_expected e;
  cr_assert_eq(ws_expected_build(&t.c, t.c.step_count, &e), 0);
  cr_assert_eq(e.msg_count, 2);
  assert_reply(&e, 0, "Hello");
  assert_reply(&e, 1, "Hello");
  ws_expected_free(&e);
}

Test(expected, a_message_not_marked_echo_still_feeds_the_window) {
  tcase t;
  tc_init(&t, "e.feed", 1000);
  rsv1(&t, hello, sizeof hello, false);
  rsv1(&t, hello_again, sizeof hello_again, true);
  ws_expected e;
  cr_assert_eq(ws_expected_build(&t.c, t.c.step_count, &e), 0);
  cr_assert_eq(e.msg_count, 1);
  assert_reply(&e, 0, "Hello");
  ws_expected_free(&e);
}

Test(expected, invalid_deflate_data_is_not_expected_back) {
  static const uint8_t reserved_block[] = {0x07, 0x00};
  tcase t;
  tc_init(&t, "e.invalid", 1000);
  rsv1(&t, reserved_block, sizeof reserved_block, true);
  ws_expected e;
  cr_assert_eq(ws_expected_build(&t.c, t.c.step_count, &e), 0);
  cr_assert_eq(e.msg_count, 0);
  ws_expected_free(&e);
}

Test(expected, a_deflated_fragmented_step_echoes_inflated) {
  tcase t;
  tc_init(&t, "e.fragmented", 1000);
  ws_step *s = tc_add(&t, WS_STEP_FRAGMENTED);
  s->frame.opcode = WS_OP_TEXT;
  s->frame.rsv = 4;
  s->payload = tc_bytes(&t, hello, sizeof hello);
  s->fragment_size = 2;
  s->echo = true;
  ws_expected e;
  cr_assert_eq(ws_expected_build(&t.c, t.c.step_count, &e), 0);
  cr_assert_eq(e.msg_count, 1);
  assert_reply(&e, 0, "Hello");
  ws_expected_free(&e);
}
