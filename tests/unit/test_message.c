/* Message reader: reassembly, control interleave, UTF-8, limits, close rules,
 * both policies, any input split, allocation failure. Frames are built with
 * the frame encoder, masked as a client sends them. */
#include "codec/close.h"
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/hooks.h"
#include "codec/message.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define WIRE_CAP 16384
#define MAX_EVENTS 64

/* ---- building input ---- */

struct wire {
  uint8_t b[WIRE_CAP];
  size_t len;
};

static void add_spec(struct wire *w, const ws_frame_spec *spec, const void *p,
                     size_t n) {
  ssize_t k = ws_frame_encode(spec, p, n, w->b + w->len, WIRE_CAP - w->len);
  cr_assert_gt(k, 0, "encode failed: %zd", k);
  w->len += (size_t)k;
}

static void add(struct wire *w, bool fin, uint8_t op, const void *p, size_t n) {
  ws_frame_spec s = {.fin = fin,
                     .opcode = op,
                     .masked = true,
                     .mask_key = {0x37, 0xFA, 0x21, 0x3D}};
  add_spec(w, &s, p, n);
}

static void adds(struct wire *w, bool fin, uint8_t op, const char *s) {
  add(w, fin, op, s, strlen(s));
}

static void add_close(struct wire *w, uint16_t code, const char *reason) {
  uint8_t p[125];
  size_t n = ws_close_build(code, reason, reason ? strlen(reason) : 0, p);
  add(w, true, WS_OP_CLOSE, p, n);
}

/* ---- running the reader ---- */

struct rec {
  int type;
  int violation;
  size_t len;
  uint64_t full_len;
  uint32_t fragments;
  bool truncated;
  bool compressed;
  uint16_t close_code;
  size_t reason_len;
  uint8_t data[512];
};

struct run {
  struct rec ev[MAX_EVENTS];
  int n;
  int rc;          /* 0, or the negative error that stopped the run */
  size_t error_at; /* bytes consumed when the error came */
};

static void record(struct run *out, const ws_message_event *ev) {
  cr_assert_lt(out->n, MAX_EVENTS);
  struct rec *e = &out->ev[out->n++];
  memset(e, 0, sizeof *e);
  e->type = ev->type;
  e->violation = ev->violation;
  e->len = ev->len;
  e->full_len = ev->full_len;
  e->fragments = ev->fragments;
  e->truncated = ev->truncated;
  e->compressed = ev->compressed;
  e->close_code = ev->close_code;
  e->reason_len = ev->close_reason_len;
  if (ev->type != WS_MSG_VIOLATION) {
    cr_assert_not_null(ev->data);
    memcpy(e->data, ev->data, ev->len < sizeof e->data ? ev->len : 512);
  }
}

/* Feeds w in chunks of `chunk` bytes (0: all at once), calling again with the
 * rest after every event, as a caller must; stops at the first error. */
static void feed(ws_message_reader *r, const struct wire *w, size_t chunk,
                 struct run *out) {
  static uint8_t copy[WIRE_CAP]; /* the reader unmasks in place */
  memcpy(copy, w->b, w->len);
  memset(out, 0, sizeof *out);
  size_t step = chunk ? chunk : w->len;
  size_t pos = 0;
  do {
    size_t end = pos + step < w->len ? pos + step : w->len;
    for (;;) {
      size_t used = 99;
      ws_message_event ev;
      int rc = ws_message_read(r, copy + pos, end - pos, &used, &ev);
      cr_assert_leq(used, end - pos);
      pos += used;
      if (rc < 0) {
        out->rc = rc;
        out->error_at = pos;
        return;
      }
      if (rc == 0) {
        cr_assert_eq(pos, end, "0 means all input was consumed");
        break;
      }
      record(out, &ev);
    }
  } while (pos < w->len);
}

static ws_message_config cfg(enum ws_policy policy, size_t max_message,
                             uint32_t max_fragments) {
  ws_message_config c = {.sender = WS_SENDER_CLIENT,
                         .policy = policy,
                         .max_message = max_message,
                         .max_fragments = max_fragments};
  return c;
}

/* Runs w through a fresh reader. */
static void run_with(const ws_message_config *c, const struct wire *w,
                     size_t chunk, struct run *out) {
  ws_message_reader r;
  ws_message_reader_init(&r, c);
  feed(&r, w, chunk, out);
  ws_message_reader_free(&r);
}

static void assert_same_runs(const struct run *a, const struct run *b,
                             size_t chunk) {
  cr_assert_eq(a->rc, b->rc, "chunk %zu: rc %d vs %d", chunk, a->rc, b->rc);
  cr_assert_eq(a->n, b->n, "chunk %zu: %d vs %d events", chunk, a->n, b->n);
  for (int i = 0; i < a->n; i++)
    cr_assert_eq(memcmp(&a->ev[i], &b->ev[i], sizeof a->ev[i]), 0,
                 "chunk %zu: event %d differs", chunk, i);
}

static struct run res; /* one result per test (tests run in processes) */

/* Runs w whole, then in chunks of 1, 2, 3 and 7 bytes, asserts that every
 * split yields the same events and result, and leaves the whole run in res. */
static void run_all_cfg(const ws_message_config *c, const struct wire *w) {
  static struct run other;
  static const size_t chunks[] = {1, 2, 3, 7};
  run_with(c, w, 0, &res);
  for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
    run_with(c, w, chunks[i], &other);
    assert_same_runs(&res, &other, chunks[i]);
  }
}

static void run_all(enum ws_policy policy, size_t max_message,
                    uint32_t max_fragments, const struct wire *w) {
  ws_message_config c = cfg(policy, max_message, max_fragments);
  run_all_cfg(&c, w);
}

/* A reader that lives across several feeds within one test. */
static ws_message_reader rd;

static void open_reader(enum ws_policy policy, size_t max_message,
                        uint32_t max_fragments) {
  ws_message_config c = cfg(policy, max_message, max_fragments);
  ws_message_reader_init(&rd, &c);
}

static void assert_msg(const struct rec *e, int type, const void *data,
                       size_t len) {
  cr_assert_eq(e->type, type, "type %d, want %d", e->type, type);
  cr_assert_eq(e->len, len, "len %zu, want %zu", e->len, len);
  cr_assert_eq(memcmp(e->data, data, len), 0);
}

static void assert_violation(const struct rec *e, int code) {
  cr_assert_eq(e->type, WS_MSG_VIOLATION);
  cr_assert_eq(e->violation, code, "got %s, want %s",
               ws_error_name(e->violation), ws_error_name(code));
}

/* ---- state machine ---- */

Test(state, reader_tracks_sent_then_received_close) {
  open_reader(WS_POLICY_STRICT, 0, 0);
  cr_assert_eq(ws_message_reader_state(&rd), WS_STATE_OPEN);
  ws_message_reader_close_sent(&rd);
  cr_assert_eq(ws_message_reader_state(&rd), WS_STATE_CLOSE_SENT);
  struct wire w = {0};
  add_close(&w, 1001, "away");
  feed(&rd, &w, 0, &res);
  cr_assert_eq(res.n, 1);
  cr_assert_eq(res.ev[0].type, WS_MSG_CLOSE);
  cr_assert_eq(res.ev[0].close_code, 1001);
  cr_assert_eq(res.ev[0].reason_len, 4);
  cr_assert_eq(ws_message_reader_state(&rd), WS_STATE_CLOSED);
  ws_message_reader_free(&rd);
}

/* ---- data messages ---- */

Test(message, single_frame_text_and_binary) {
  uint8_t p[300]; /* a 16-bit length, every byte value */
  for (size_t i = 0; i < sizeof p; i++)
    p[i] = (uint8_t)(i * 7);
  struct wire w = {0};
  adds(&w, true, WS_OP_TEXT, "hello");
  add(&w, true, WS_OP_BINARY, p, sizeof p);
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.n, 2);
  assert_msg(&res.ev[0], WS_MSG_TEXT, "hello", 5);
  cr_assert_eq(res.ev[0].fragments, 1);
  cr_assert_eq(res.ev[0].full_len, 5);
  cr_assert_not(res.ev[0].truncated);
  assert_msg(&res.ev[1], WS_MSG_BINARY, p, sizeof p);
}

Test(message, empty_messages_have_non_null_data) {
  struct wire w = {0};
  add(&w, true, WS_OP_TEXT, NULL, 0);
  add(&w, true, WS_OP_BINARY, NULL, 0);
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.n, 2);
  assert_msg(&res.ev[0], WS_MSG_TEXT, "", 0);
  assert_msg(&res.ev[1], WS_MSG_BINARY, "", 0);
}

Test(message, fragmented_text_is_reassembled) {
  struct wire w = {0};
  adds(&w, false, WS_OP_TEXT, "Hel");
  adds(&w, false, WS_OP_CONTINUATION, "lo ");
  adds(&w, true, WS_OP_CONTINUATION, "world");
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.n, 1);
  assert_msg(&res.ev[0], WS_MSG_TEXT, "Hello world", 11);
  cr_assert_eq(res.ev[0].fragments, 3);
}

Test(message, empty_fragments_are_fine) {
  struct wire w = {0};
  adds(&w, false, WS_OP_BINARY, "");
  adds(&w, false, WS_OP_CONTINUATION, "ab");
  adds(&w, false, WS_OP_CONTINUATION, "");
  adds(&w, true, WS_OP_CONTINUATION, "");
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.n, 1);
  assert_msg(&res.ev[0], WS_MSG_BINARY, "ab", 2);
  cr_assert_eq(res.ev[0].fragments, 4);
}

Test(message, one_byte_fragments) {
  uint8_t p[200];
  struct wire w = {0};
  for (size_t i = 0; i < sizeof p; i++) {
    p[i] = (uint8_t)(255 - i);
    add(&w, i == sizeof p - 1, i ? WS_OP_CONTINUATION : WS_OP_BINARY, p + i, 1);
  }
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.n, 1);
  assert_msg(&res.ev[0], WS_MSG_BINARY, p, sizeof p);
  cr_assert_eq(res.ev[0].fragments, 200);
}

Test(message, ping_between_fragments_comes_first) {
  struct wire w = {0};
  adds(&w, false, WS_OP_TEXT, "frag");
  adds(&w, true, WS_OP_PING, "p1");
  adds(&w, true, WS_OP_PONG, "");
  adds(&w, true, WS_OP_CONTINUATION, "ment");
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.n, 3);
  assert_msg(&res.ev[0], WS_MSG_PING, "p1", 2);
  assert_msg(&res.ev[1], WS_MSG_PONG, "", 0);
  assert_msg(&res.ev[2], WS_MSG_TEXT, "fragment", 8);
  cr_assert_eq(res.ev[2].fragments, 2);
}

Test(message, ping_with_125_bytes_is_delivered_whole) {
  uint8_t p[125];
  memset(p, 'p', sizeof p);
  struct wire w = {0};
  add(&w, true, WS_OP_PING, p, sizeof p);
  run_all(WS_POLICY_STRICT, 16, 0, &w);
  cr_assert_eq(res.rc, 0, "a small max_message does not limit pings");
  cr_assert_eq(res.n, 1);
  assert_msg(&res.ev[0], WS_MSG_PING, p, sizeof p);
}

Test(message, several_events_in_one_buffer_report_consumed_exactly) {
  struct wire w = {0};
  adds(&w, true, WS_OP_TEXT, "one");
  size_t first = w.len;
  adds(&w, true, WS_OP_PING, "");
  size_t second = w.len;
  adds(&w, true, WS_OP_BINARY, "two");
  open_reader(WS_POLICY_STRICT, 0, 0);
  ws_message_event ev;
  size_t used = 0;
  cr_assert_eq(ws_message_read(&rd, w.b, w.len, &used, &ev), 1);
  cr_assert_eq(used, first);
  cr_assert_eq(ev.type, WS_MSG_TEXT);
  size_t pos = used;
  cr_assert_eq(ws_message_read(&rd, w.b + pos, w.len - pos, &used, &ev), 1);
  cr_assert_eq(pos + used, second);
  cr_assert_eq(ev.type, WS_MSG_PING);
  pos += used;
  cr_assert_eq(ws_message_read(&rd, w.b + pos, w.len - pos, &used, &ev), 1);
  cr_assert_eq(pos + used, w.len);
  cr_assert_eq(ev.type, WS_MSG_BINARY);
  cr_assert_eq(ws_message_read(&rd, w.b + w.len, 0, &used, &ev), 0);
  cr_assert_eq(used, 0);
  ws_message_reader_free(&rd);
}

/* ---- fragmentation rules ---- */

Test(fragments, new_message_inside_message_fails_strict) {
  struct wire w = {0};
  adds(&w, false, WS_OP_TEXT, "a");
  adds(&w, true, WS_OP_TEXT, "b");
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, -WS_E_EXPECTED_CONTINUATION);
  cr_assert_eq(res.n, 0);
}

Test(fragments, continuation_without_message_fails_strict_for_good) {
  struct wire w = {0};
  adds(&w, true, WS_OP_CONTINUATION, "x");
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, -WS_E_UNEXPECTED_CONTINUATION);
  cr_assert_eq(res.n, 0);
  cr_assert_eq(ws_error_close_code(res.rc), 1002);
  open_reader(WS_POLICY_STRICT, 0, 0);
  feed(&rd, &w, 0, &res);
  cr_assert_eq(res.rc, -WS_E_UNEXPECTED_CONTINUATION);
  struct wire ok = {0};
  adds(&ok, true, WS_OP_TEXT, "fine");
  feed(&rd, &ok, 0, &res);
  cr_assert_eq(res.rc, -WS_E_UNEXPECTED_CONTINUATION);
  cr_assert_eq(res.n, 0);
  ws_message_reader_free(&rd);
}

Test(fragments, observe_reports_stray_continuation_and_ignores_it) {
  struct wire w = {0};
  adds(&w, true, WS_OP_CONTINUATION, "zz");
  adds(&w, true, WS_OP_TEXT, "ok");
  run_all(WS_POLICY_OBSERVE, 0, 0, &w);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.n, 2);
  assert_violation(&res.ev[0], WS_E_UNEXPECTED_CONTINUATION);
  assert_msg(&res.ev[1], WS_MSG_TEXT, "ok", 2);
}

Test(fragments, observe_drops_the_old_message_for_a_new_one) {
  struct wire w = {0};
  adds(&w, false, WS_OP_TEXT, "old");
  adds(&w, true, WS_OP_BINARY, "new");
  run_all(WS_POLICY_OBSERVE, 0, 0, &w);
  cr_assert_eq(res.n, 2);
  assert_violation(&res.ev[0], WS_E_EXPECTED_CONTINUATION);
  assert_msg(&res.ev[1], WS_MSG_BINARY, "new", 3);
  cr_assert_eq(res.ev[1].fragments, 1);
}

/* ---- UTF-8 ---- */

Test(utf8, code_points_split_across_fragments_are_valid) {
  static const uint8_t text[] = "\xE2\x82\xAC-\xF0\x9F\x98\x80";
  struct wire w = {0};
  size_t n = sizeof text - 1;
  for (size_t i = 0; i < n; i++)
    add(&w, i == n - 1, i ? WS_OP_CONTINUATION : WS_OP_TEXT, text + i, 1);
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.n, 1);
  assert_msg(&res.ev[0], WS_MSG_TEXT, text, n);
}

Test(utf8, control_frame_between_halves_of_a_code_point) {
  struct wire w = {0};
  add(&w, false, WS_OP_TEXT, "\xE2\x82", 2);
  adds(&w, true, WS_OP_PING, "\xFF not text");
  add(&w, true, WS_OP_CONTINUATION, "\xAC", 1);
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.n, 2);
  assert_msg(&res.ev[1], WS_MSG_TEXT, "\xE2\x82\xAC", 3);
}

Test(utf8, invalid_byte_fails_before_the_frame_ends) {
  /* A 40-byte frame whose 4th byte is invalid; only the header (2 bytes and
   * a 4-byte mask key) and the first 4 payload bytes are fed, in any split. */
  uint8_t p[40];
  memset(p, 'a', sizeof p);
  p[3] = 0xFF;
  struct wire w = {0};
  add(&w, true, WS_OP_TEXT, p, sizeof p);
  w.len = 6 + 4;
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, -WS_E_INVALID_UTF8);
  cr_assert_eq(ws_error_close_code(res.rc), 1007);
}

Test(utf8, invalid_byte_fails_fast_in_a_later_fragment_bytewise) {
  /* Valid first fragment, then a surrogate (ED A0) in the second; fed one
   * byte at a time the error must come with the A0, before FIN. */
  struct wire w = {0};
  adds(&w, false, WS_OP_TEXT, "hello");
  size_t second = w.len;
  add(&w, false, WS_OP_CONTINUATION, "ab\xED\xA0zzzzzz", 10);
  adds(&w, true, WS_OP_CONTINUATION, "end");
  ws_message_config c = cfg(WS_POLICY_STRICT, 0, 0);
  run_with(&c, &w, 1, &res);
  cr_assert_eq(res.rc, -WS_E_INVALID_UTF8);
  cr_assert_eq(res.n, 0);
  cr_assert_eq(res.error_at, second + 6 + 4, "error at the A0, got %zu",
               res.error_at);
}

Test(utf8, sequence_truncated_at_message_end_fails) {
  struct wire w = {0};
  add(&w, false, WS_OP_TEXT, "a\xE2", 2);
  add(&w, true, WS_OP_CONTINUATION, "\x82", 1);
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, -WS_E_INVALID_UTF8);
  cr_assert_eq(res.n, 0);
}

Test(utf8, observe_reports_once_per_message_and_still_delivers) {
  /* Invalid bytes in both fragments: one report. Then a message cut inside
   * a sequence: reported at its end, before the message. */
  struct wire w = {0};
  add(&w, false, WS_OP_TEXT, "a\xC0\xAF", 3);
  add(&w, true, WS_OP_CONTINUATION, "\xFF!", 2);
  add(&w, true, WS_OP_TEXT, "ab\xF0\x9F", 4);
  adds(&w, true, WS_OP_TEXT, "next");
  run_all(WS_POLICY_OBSERVE, 0, 0, &w);
  cr_assert_eq(res.n, 5);
  assert_violation(&res.ev[0], WS_E_INVALID_UTF8);
  assert_msg(&res.ev[1], WS_MSG_TEXT, "a\xC0\xAF\xFF!", 5);
  assert_violation(&res.ev[2], WS_E_INVALID_UTF8);
  assert_msg(&res.ev[3], WS_MSG_TEXT, "ab\xF0\x9F", 4);
  assert_msg(&res.ev[4], WS_MSG_TEXT, "next", 4);
}

Test(utf8, compressed_text_is_left_to_the_inflater) {
  struct wire w = {0};
  ws_frame_spec s = {.fin = true,
                     .rsv = WS_RSV1,
                     .opcode = WS_OP_TEXT,
                     .masked = true,
                     .mask_key = {1, 2, 3, 4}};
  add_spec(&w, &s, "\xFF\x00\xC0", 3);
  ws_message_config c = cfg(WS_POLICY_STRICT, 0, 0);
  c.allowed_rsv = WS_RSV1;
  run_all_cfg(&c, &w);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.n, 1);
  assert_msg(&res.ev[0], WS_MSG_TEXT, "\xFF\x00\xC0", 3);
  cr_assert(res.ev[0].compressed);
}

/* ---- limits ---- */

Test(limits, strict_fails_at_the_header_of_the_fragment_that_overflows) {
  struct wire w = {0};
  adds(&w, false, WS_OP_TEXT, "12345678");
  size_t before = w.len;
  adds(&w, true, WS_OP_CONTINUATION, "abc");
  w.len = before + 6; /* the second header, none of its payload */
  run_all(WS_POLICY_STRICT, 10, 0, &w);
  cr_assert_eq(res.rc, -WS_E_MESSAGE_TOO_BIG);
  cr_assert_eq(ws_error_close_code(res.rc), 1009);
}

Test(limits, strict_max_message_fits_exactly_and_one_more_fails) {
  struct wire fits = {0}, w = {0};
  adds(&fits, false, WS_OP_BINARY, "12345");
  adds(&fits, true, WS_OP_CONTINUATION, "67890");
  run_all(WS_POLICY_STRICT, 10, 0, &fits);
  cr_assert_eq(res.rc, 0);
  assert_msg(&res.ev[0], WS_MSG_BINARY, "1234567890", 10);
  adds(&w, true, WS_OP_BINARY, "12345678901");
  run_all(WS_POLICY_STRICT, 10, 0, &w);
  cr_assert_lt(res.rc, 0);
  cr_assert_eq(ws_error_close_code(res.rc), 1009, "%s", ws_error_name(res.rc));
  cr_assert_eq(res.n, 0);
}

Test(limits, observe_truncates_and_reports_once) {
  struct wire w = {0};
  adds(&w, false, WS_OP_BINARY, "123456");
  adds(&w, false, WS_OP_CONTINUATION, "7890AB");
  adds(&w, true, WS_OP_CONTINUATION, "CD");
  adds(&w, true, WS_OP_BINARY, "small");
  run_all(WS_POLICY_OBSERVE, 10, 0, &w);
  cr_assert_eq(res.n, 3);
  assert_violation(&res.ev[0], WS_E_MESSAGE_TOO_BIG);
  assert_msg(&res.ev[1], WS_MSG_BINARY, "1234567890", 10);
  cr_assert(res.ev[1].truncated);
  cr_assert_eq(res.ev[1].full_len, 14);
  assert_msg(&res.ev[2], WS_MSG_BINARY, "small", 5);
  cr_assert_not(res.ev[2].truncated, "the next message starts afresh");
}

Test(limits, max_fragments_strict) {
  struct wire ok = {0}, bad = {0};
  for (int i = 0; i < 3; i++)
    adds(&ok, i == 2, i ? WS_OP_CONTINUATION : WS_OP_TEXT, "x");
  for (int i = 0; i < 4; i++)
    adds(&bad, i == 3, i ? WS_OP_CONTINUATION : WS_OP_TEXT, "x");
  run_all(WS_POLICY_STRICT, 0, 3, &ok);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.ev[0].fragments, 3);
  run_all(WS_POLICY_STRICT, 0, 3, &bad);
  cr_assert_eq(res.rc, -WS_E_TOO_MANY_FRAGMENTS);
  cr_assert_eq(res.n, 0);
}

Test(limits, max_fragments_observe_reports_once_and_keeps_all) {
  struct wire w = {0};
  for (int i = 0; i < 5; i++)
    adds(&w, i == 4, i ? WS_OP_CONTINUATION : WS_OP_BINARY, "ab");
  run_all(WS_POLICY_OBSERVE, 0, 2, &w);
  cr_assert_eq(res.n, 2);
  assert_violation(&res.ev[0], WS_E_TOO_MANY_FRAGMENTS);
  assert_msg(&res.ev[1], WS_MSG_BINARY, "ababababab", 10);
  cr_assert_eq(res.ev[1].fragments, 5);
}

/* ---- closing ---- */

Test(close, empty_close_is_no_status) {
  struct wire w = {0};
  add(&w, true, WS_OP_CLOSE, NULL, 0);
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.n, 1);
  cr_assert_eq(res.ev[0].type, WS_MSG_CLOSE);
  cr_assert_eq(res.ev[0].close_code, WS_CLOSE_NO_STATUS);
}

Test(close, strict_rejects_bad_close_payloads) {
  static const struct {
    uint8_t p[4];
    size_t n;
    int err;
  } cases[] = {
      {{0x03}, 1, -WS_E_CLOSE_PAYLOAD_1_BYTE},
      {{0x03, 0xED}, 2, -WS_E_CLOSE_CODE_INVALID}, /* 1005 */
      {{0x03, 0xE8, 0xC0, 0x80}, 4, -WS_E_CLOSE_REASON_UTF8},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct wire w = {0};
    add(&w, true, WS_OP_CLOSE, cases[i].p, cases[i].n);
    ws_message_config c = cfg(WS_POLICY_STRICT, 0, 0);
    ws_message_reader r;
    ws_message_reader_init(&r, &c);
    feed(&r, &w, 0, &res);
    cr_assert_eq(res.rc, cases[i].err, "case %zu: %s", i,
                 ws_error_name(res.rc));
    cr_assert_eq(ws_message_reader_state(&r), WS_STATE_OPEN);
    ws_message_reader_free(&r);
  }
}

Test(close, observe_reports_bad_close_then_delivers_it) {
  struct wire w = {0};
  add(&w, true, WS_OP_CLOSE, "\x03\xE7r", 3); /* code 999 */
  open_reader(WS_POLICY_OBSERVE, 0, 0);
  feed(&rd, &w, 0, &res);
  cr_assert_eq(res.n, 2);
  assert_violation(&res.ev[0], WS_E_CLOSE_CODE_INVALID);
  cr_assert_eq(res.ev[1].type, WS_MSG_CLOSE);
  cr_assert_eq(res.ev[1].close_code, 999);
  cr_assert_eq(res.ev[1].reason_len, 1);
  cr_assert_eq(ws_message_reader_state(&rd), WS_STATE_CLOSE_RECEIVED);
  ws_message_reader_free(&rd);
}

Test(close, strict_ignores_everything_after_a_close) {
  struct wire w = {0};
  adds(&w, true, WS_OP_TEXT, "a");
  add_close(&w, 1000, "bye");
  adds(&w, true, WS_OP_TEXT, "b");
  adds(&w, true, WS_OP_CONTINUATION, "not even legal");
  memcpy(w.b + w.len, "\xFF\xFF\xFF", 3); /* nor is this */
  w.len += 3;
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.n, 2);
  assert_msg(&res.ev[0], WS_MSG_TEXT, "a", 1);
  cr_assert_eq(res.ev[1].type, WS_MSG_CLOSE);
  cr_assert_eq(res.ev[1].close_code, 1000);
}

Test(close, observe_reports_frames_after_close_once) {
  struct wire w = {0};
  add_close(&w, 1000, NULL);
  adds(&w, true, WS_OP_TEXT, "x");
  adds(&w, true, WS_OP_PING, "y");
  run_all(WS_POLICY_OBSERVE, 0, 0, &w);
  cr_assert_eq(res.n, 4);
  cr_assert_eq(res.ev[0].type, WS_MSG_CLOSE);
  assert_violation(&res.ev[1], WS_E_FRAME_AFTER_CLOSE);
  assert_msg(&res.ev[2], WS_MSG_TEXT, "x", 1);
  assert_msg(&res.ev[3], WS_MSG_PING, "y", 1);
}

Test(close, observe_queues_several_violations_from_one_header) {
  /* After a close, a continuation that overflows both limits: three reports
   * from one header, then the message. */
  struct wire w = {0};
  adds(&w, false, WS_OP_BINARY, "12345");
  add_close(&w, 1000, NULL);
  adds(&w, true, WS_OP_CONTINUATION, "6789");
  run_all(WS_POLICY_OBSERVE, 8, 1, &w);
  cr_assert_eq(res.n, 5);
  cr_assert_eq(res.ev[0].type, WS_MSG_CLOSE);
  assert_violation(&res.ev[1], WS_E_FRAME_AFTER_CLOSE);
  assert_violation(&res.ev[2], WS_E_TOO_MANY_FRAGMENTS);
  assert_violation(&res.ev[3], WS_E_MESSAGE_TOO_BIG);
  assert_msg(&res.ev[4], WS_MSG_BINARY, "12345678", 8);
  cr_assert_eq(res.ev[4].full_len, 9);
}

/* ---- policies and frame-level violations ---- */

Test(policy, observe_passes_frame_violations_through) {
  struct wire w = {0};
  ws_frame_spec s = {.fin = true, .opcode = WS_OP_TEXT}; /* unmasked */
  add_spec(&w, &s, "hi", 2);
  run_all(WS_POLICY_OBSERVE, 0, 0, &w);
  cr_assert_eq(res.n, 2);
  assert_violation(&res.ev[0], WS_E_UNMASKED_FRAME);
  assert_msg(&res.ev[1], WS_MSG_TEXT, "hi", 2);
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, -WS_E_UNMASKED_FRAME);
}

Test(policy, observe_skips_reserved_opcodes) {
  struct wire w = {0};
  add(&w, true, 0x3, "??", 2);
  adds(&w, true, WS_OP_TEXT, "after");
  run_all(WS_POLICY_OBSERVE, 0, 0, &w);
  cr_assert_eq(res.n, 2);
  assert_violation(&res.ev[0], WS_E_RESERVED_OPCODE);
  assert_msg(&res.ev[1], WS_MSG_TEXT, "after", 5);
}

Test(policy, any_split_gives_the_same_events_in_both_policies) {
  /* run_all compares whole, 1, 2, 3 and 7 byte feeds; this input mixes
   * every kind of event, in both policies. */
  uint8_t big[300];
  memset(big, 'B', sizeof big);
  struct wire w = {0};
  adds(&w, false, WS_OP_TEXT, "caf\xC3");
  adds(&w, true, WS_OP_PING, "ping");
  adds(&w, true, WS_OP_CONTINUATION, "\xA9");
  add(&w, true, WS_OP_BINARY, big, sizeof big);
  adds(&w, true, WS_OP_PONG, "");
  adds(&w, false, WS_OP_BINARY, "");
  adds(&w, true, WS_OP_CONTINUATION, "");
  add_close(&w, 3000, "done");
  adds(&w, true, WS_OP_TEXT, "late");
  run_all(WS_POLICY_STRICT, 0, 0, &w);
  cr_assert_eq(res.rc, 0);
  cr_assert_eq(res.n, 6);
  run_all(WS_POLICY_OBSERVE, 0, 0, &w);
  cr_assert_eq(res.n, 8);
  assert_msg(&res.ev[0], WS_MSG_PING, "ping", 4);
  assert_msg(&res.ev[1], WS_MSG_TEXT, "caf\xC3\xA9", 5);
  assert_violation(&res.ev[6], WS_E_FRAME_AFTER_CLOSE);
}

/* A caller-driven decoder: OBSERVE, the harness reading a server. */
Test(policy, on_frame_with_a_caller_driven_decoder) {
  struct wire w = {0};
  add(&w, true, WS_OP_TEXT, "ab\xFF", 3); /* masked: wrong for a server */
  ws_message_config c = cfg(WS_POLICY_OBSERVE, 0, 0);
  c.sender = WS_SENDER_SERVER;
  ws_frame_decoder_config fc = {.sender = WS_SENDER_SERVER,
                                .policy = WS_POLICY_OBSERVE};
  ws_frame_decoder dec;
  ws_frame_decoder_init(&dec, &fc);
  ws_message_reader r;
  ws_message_reader_init(&r, &c);
  int types[8], violations[8], n = 0;
  size_t pos = 0;
  ws_frame_event fev;
  ws_message_event ev;
  for (;;) {
    size_t used = 0;
    int rc = ws_frame_decode(&dec, w.b + pos, w.len - pos, &used, &fev);
    pos += used;
    if (rc <= 0)
      break;
    int mrc = ws_message_on_frame(&r, &fev, &ev);
    while (mrc == 1 && n < 8) {
      types[n] = ev.type;
      violations[n++] = ev.violation;
      mrc = ws_message_on_frame(&r, NULL, &ev); /* drain */
    }
    cr_assert_eq(mrc, 0);
  }
  cr_assert_eq(n, 3, "UTF-8 is reported once per message");
  cr_assert_eq(types[0], WS_MSG_VIOLATION);
  cr_assert_eq(violations[0], WS_E_MASKED_FRAME);
  cr_assert_eq(types[1], WS_MSG_VIOLATION);
  cr_assert_eq(violations[1], WS_E_INVALID_UTF8);
  cr_assert_eq(types[2], WS_MSG_TEXT);
  ws_message_reader_free(&r);
}

Test(policy, on_frame_refuses_a_frame_while_events_are_queued) {
  /* A text frame ending inside a sequence: its END raises a violation and
   * completes the message, two events from one frame event. */
  ws_message_config c = cfg(WS_POLICY_OBSERVE, 0, 0);
  ws_message_reader r;
  ws_message_reader_init(&r, &c);
  ws_frame_header h = {.fin = true, .opcode = WS_OP_TEXT, .length = 1};
  uint8_t lead = 0xC3;
  ws_frame_event head = {.type = WS_FRAME_HEADER, .header = &h};
  ws_frame_event pay = {
      .type = WS_FRAME_PAYLOAD, .header = &h, .data = &lead, .len = 1};
  ws_frame_event end = {.type = WS_FRAME_END, .header = &h};
  ws_message_event ev;
  cr_assert_eq(ws_message_on_frame(&r, &head, &ev), 0);
  cr_assert_eq(ws_message_on_frame(&r, &pay, &ev), 0);
  cr_assert_eq(ws_message_on_frame(&r, &end, &ev), 1);
  cr_assert_eq(ev.type, WS_MSG_VIOLATION);
  cr_assert_eq(ev.violation, WS_E_INVALID_UTF8);
  cr_assert_eq(ws_message_on_frame(&r, &head, &ev), -WS_E_STATE);
  cr_assert_eq(ws_message_on_frame(&r, NULL, &ev), 1);
  cr_assert_eq(ev.type, WS_MSG_TEXT);
  cr_assert_eq(ev.len, 1);
  cr_assert_eq(ev.data[0], 0xC3);
  cr_assert_eq(ws_message_on_frame(&r, NULL, &ev), 0);
  cr_assert_eq(ws_message_on_frame(&r, &head, &ev), 0, "usable again");
  ws_message_reader_free(&r);
}

/* ---- memory ---- */

struct alloc_ctl {
  int calls;   /* malloc and realloc calls so far */
  int fail_at; /* the call that fails, 1-based; 0: none */
  long live;   /* blocks allocated and not freed */
};

static void *t_malloc(size_t n, void *ctx) {
  struct alloc_ctl *a = ctx;
  if (++a->calls == a->fail_at)
    return NULL;
  void *p = malloc(n);
  a->live += p != NULL;
  return p;
}
static void *t_realloc(void *p, size_t n, void *ctx) {
  struct alloc_ctl *a = ctx;
  if (++a->calls == a->fail_at)
    return NULL;
  void *q = realloc(p, n);
  a->live += q != NULL && p == NULL;
  return q;
}
static void t_free(void *p, void *ctx) {
  ((struct alloc_ctl *)ctx)->live--;
  free(p);
}

static struct alloc_ctl ctl;

static void use_test_allocator(int fail_at) {
  memset(&ctl, 0, sizeof ctl);
  ctl.fail_at = fail_at;
  ws_allocator a = {t_malloc, t_realloc, t_free, &ctl};
  ws_set_allocator(&a);
}

/* 5000 bytes in ten fragments: several growth steps. */
static void big_message(struct wire *w) {
  uint8_t p[500];
  memset(p, 'm', sizeof p);
  for (int i = 0; i < 10; i++)
    add(w, i == 9, i ? WS_OP_CONTINUATION : WS_OP_TEXT, p, sizeof p);
}

Test(memory, failing_each_allocation_gives_nomem_and_leaks_nothing) {
  struct wire w = {0};
  big_message(&w);
  ws_message_config c = cfg(WS_POLICY_STRICT, 0, 0);
  use_test_allocator(0);
  run_with(&c, &w, 0, &res);
  int total = ctl.calls;
  cr_assert_eq(res.rc, 0);
  /* Doubling from 256 to 8192 bytes: six allocations, not one per
   * fragment. */
  cr_assert(total >= 3 && total <= 6, "%d allocations", total);
  for (int n = 1; n <= total; n++) {
    use_test_allocator(n);
    ws_message_reader r;
    ws_message_reader_init(&r, &c);
    feed(&r, &w, 0, &res);
    cr_assert_eq(res.rc, -WS_E_NOMEM, "failing allocation %d", n);
    cr_assert_eq(ws_message_reader_heap_bytes(&r), 0);
    struct wire more = {0};
    adds(&more, true, WS_OP_TEXT, "x");
    feed(&r, &more, 0, &res);
    cr_assert_eq(res.rc, -WS_E_NOMEM, "sticky");
    ws_message_reader_free(&r);
    cr_assert_eq(ctl.live, 0, "leak after failing allocation %d", n);
  }
  ws_set_allocator(NULL);
}

Test(memory, heap_is_released_on_the_call_after_delivery) {
  struct wire w = {0};
  big_message(&w);
  use_test_allocator(0);
  open_reader(WS_POLICY_STRICT, 0, 0);
  cr_assert_eq(ws_message_reader_heap_bytes(&rd), 0);
  ws_message_event ev;
  size_t used = 0;
  cr_assert_eq(ws_message_read(&rd, w.b, w.len, &used, &ev), 1);
  cr_assert_eq(ev.len, 5000);
  cr_assert_geq(ws_message_reader_heap_bytes(&rd), 5000, "held for the event");
  cr_assert_eq(ev.data[4999], 'm');
  cr_assert_eq(ws_message_read(&rd, w.b + used, 0, &used, &ev), 0);
  cr_assert_eq(ws_message_reader_heap_bytes(&rd), 0);
  cr_assert_eq(ctl.live, 0);
  ws_message_reader_free(&rd);
  ws_set_allocator(NULL);
}

Test(memory, free_mid_message_releases_everything) {
  struct wire w = {0};
  uint8_t p[1000];
  memset(p, 'q', sizeof p);
  add(&w, false, WS_OP_BINARY, p, sizeof p);
  use_test_allocator(0);
  open_reader(WS_POLICY_OBSERVE, 0, 0);
  feed(&rd, &w, 0, &res);
  cr_assert_eq(res.n, 0);
  cr_assert_geq(ws_message_reader_heap_bytes(&rd), 1000);
  cr_assert_eq(ctl.live, 1);
  ws_message_reader_free(&rd);
  cr_assert_eq(ctl.live, 0);
  cr_assert_eq(ws_message_reader_heap_bytes(&rd), 0);
  ws_set_allocator(NULL);
}

Test(memory, buffer_grows_with_arrival_not_with_declared_length) {
  /* A frame claiming 60 MiB that trickles: memory follows the bytes. A zero
   * mask key keeps the payload readable as written. */
  ws_frame_spec s = {.fin = true, .opcode = WS_OP_BINARY, .masked = true};
  uint8_t head[WS_FRAME_MAX_HEADER];
  ssize_t hn = ws_frame_encode_header(&s, (uint64_t)60 << 20, head);
  cr_assert_gt(hn, 0);
  open_reader(WS_POLICY_STRICT, 0, 0);
  ws_message_event ev;
  size_t used = 0;
  cr_assert_eq(ws_message_read(&rd, head, (size_t)hn, &used, &ev), 0);
  cr_assert_eq(ws_message_reader_heap_bytes(&rd), 0);
  static uint8_t chunk[10000];
  memset(chunk, 't', 100);
  cr_assert_eq(ws_message_read(&rd, chunk, 100, &used, &ev), 0);
  cr_assert_leq(ws_message_reader_heap_bytes(&rd), 256);
  cr_assert_eq(ws_message_read(&rd, chunk, sizeof chunk, &used, &ev), 0);
  size_t held = ws_message_reader_heap_bytes(&rd);
  cr_assert_geq(held, 10100);
  cr_assert_leq(held, 2 * 10100);
  ws_message_reader_free(&rd);
}

Test(memory, strict_close_mid_message_drops_the_message) {
  struct wire w = {0};
  adds(&w, false, WS_OP_TEXT, "unfinished");
  add_close(&w, 1000, NULL);
  open_reader(WS_POLICY_STRICT, 0, 0);
  feed(&rd, &w, 0, &res);
  cr_assert_eq(res.n, 1);
  cr_assert_eq(res.ev[0].type, WS_MSG_CLOSE);
  cr_assert_eq(ws_message_reader_heap_bytes(&rd), 0);
  ws_message_reader_free(&rd);
}
