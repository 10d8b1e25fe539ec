/* Unit tests for server/conn.c: the connection state machine driven with
 * bytes only (no sockets, no clock). Client frames are built with the
 * codec's encoder and masked; the server's output is parsed here with a small
 * independent frame reader so the tests do not trust the decoder under test
 * to check the server. */
#include "codec/close.h"
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/hooks.h"
#include "server/conn.h"
#include "tests/unit/conn_fixture.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void finish(ws_conn *c, struct bytes *in, struct bytes *out) {
  bytes_free(in);
  bytes_free(out);
  ws_conn_free(c);
}

/* Feeds `in` (then freed) to a fresh open connection and expects the
 * connection to end with exactly one close frame carrying `code`. */
static void expect_closed_with(struct bytes *in, uint16_t code,
                               const ws_server_config *config) {
  ws_conn *c = open_conn(config);
  struct bytes out = exchange(c, in);
  expect_close_only(c, &out, code);
  bytes_free(&out);
  bytes_free(in);
  ws_conn_free(c);
}

/* ---- handshake ---- */

static struct bytes handshake_output(const char *request,
                                     const ws_server_config *config,
                                     enum ws_conn_phase *phase) {
  ws_conn *c = new_conn(config);
  cr_assert_eq(feed(c, request, strlen(request)), 0);
  struct bytes out = {0};
  drain(c, &out);
  bytes_add(&out, "", 1);
  *phase = ws_conn_phase(c);
  if (*phase == WS_CONN_DONE)
    cr_assert(ws_conn_should_close(c));
  ws_conn_free(c);
  return out;
}

Test(conn_handshake, valid_request_gets_101_with_rfc_sample_accept) {
  enum ws_conn_phase phase;
  struct bytes out = handshake_output(valid_request, NULL, &phase);
  const char *text = (const char *)out.p;
  cr_assert(strncmp(text, "HTTP/1.1 101", 12) == 0, "got: %s", text);
  cr_assert_not_null(
      strstr(text, "Sec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n"), "got: %s",
      text);
  cr_assert_not_null(strcasestr(text, "\r\nUpgrade: websocket\r\n"));
  cr_assert_not_null(strcasestr(text, "\r\nConnection: Upgrade\r\n"));
  cr_assert_eq(phase, WS_CONN_OPEN);
  bytes_free(&out);
}

/* permessage-deflate is accepted unless no_deflate (test_conn_deflate.c has
 * the rest); no other extension and no subprotocol ever is. */
Test(conn_handshake, offered_subprotocols_and_extensions_are_not_selected) {
  const char *req = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: " SAMPLE_KEY
                    "\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Protocol: chat, superchat\r\n"
                    "Sec-WebSocket-Extensions: x-unknown; a=1, "
                    "permessage-deflate\r\n\r\n";
  ws_server_config config = {.no_deflate = true};
  enum ws_conn_phase phase;
  struct bytes out = handshake_output(req, &config, &phase);
  const char *text = (const char *)out.p;
  cr_assert(strncmp(text, "HTTP/1.1 101", 12) == 0, "got: %s", text);
  cr_assert_null(strcasestr(text, "Sec-WebSocket-Protocol"));
  cr_assert_null(strcasestr(text, "Sec-WebSocket-Extensions"));
  bytes_free(&out);
}

static void expect_refusal(const char *request, const char *status,
                           const ws_server_config *config) {
  enum ws_conn_phase phase;
  struct bytes out = handshake_output(request, config, &phase);
  const char *text = (const char *)out.p;
  cr_assert(strncmp(text, status, strlen(status)) == 0, "expected %s, got: %s",
            status, text);
  cr_assert_eq(phase, WS_CONN_DONE);
  bytes_free(&out);
}

Test(conn_handshake, post_is_refused_405) {
  expect_refusal("POST / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: " SAMPLE_KEY
                 "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 "HTTP/1.1 405", NULL);
}

Test(conn_handshake, missing_host_is_refused_400) {
  expect_refusal("GET / HTTP/1.1\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Key: " SAMPLE_KEY
                 "\r\nSec-WebSocket-Version: 13\r\n\r\n",
                 "HTTP/1.1 400", NULL);
}

Test(conn_handshake, garbage_is_refused_400) {
  expect_refusal("\x16\x03\x01 this is not http\r\n\r\n", "HTTP/1.1 400", NULL);
}

Test(conn_handshake, wrong_version_is_refused_426_with_version_header) {
  enum ws_conn_phase phase;
  struct bytes out =
      handshake_output("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: " SAMPLE_KEY
                       "\r\nSec-WebSocket-Version: 8\r\n\r\n",
                       NULL, &phase);
  const char *text = (const char *)out.p;
  cr_assert(strncmp(text, "HTTP/1.1 426", 12) == 0, "got: %s", text);
  cr_assert_not_null(strcasestr(text, "\r\nSec-WebSocket-Version: 13\r\n"),
                     "got: %s", text);
  cr_assert_eq(phase, WS_CONN_DONE);
  bytes_free(&out);
}

Test(conn_handshake, oversized_header_block_is_refused_431) {
  ws_server_config config = {.max_header_bytes = 512};
  char req[2048];
  char filler[1024];
  memset(filler, 'a', sizeof(filler) - 1);
  filler[sizeof(filler) - 1] = '\0';
  snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: h\r\nX-Fill: %s\r\n\r\n",
           filler);
  expect_refusal(req, "HTTP/1.1 431", &config);
}

Test(conn_handshake, too_many_headers_is_refused_431) {
  ws_server_config config = {.max_headers = 8};
  char req[4096] = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 20; i++) {
    char line[32];
    snprintf(line, sizeof(line), "X-H%d: v\r\n", i);
    strcat(req, line);
  }
  strcat(req, "\r\n");
  expect_refusal(req, "HTTP/1.1 431", &config);
}

Test(conn_handshake, deadline_in_handshake_gives_408) {
  ws_conn *c = new_conn(NULL);
  cr_assert_eq(feed(c, "GET / HT", 8), 0);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_HANDSHAKE);
  ws_conn_deadline_passed(c);
  struct bytes out = {0};
  drain(c, &out);
  bytes_add(&out, "", 1);
  cr_assert(strncmp((char *)out.p, "HTTP/1.1 408", 12) == 0, "got: %s",
            (char *)out.p);
  cr_assert(ws_conn_should_close(c));
  bytes_free(&out);
  ws_conn_free(c);
}

Test(conn_handshake, frame_pipelined_after_request_is_echoed) {
  struct bytes in = {0};
  bytes_add(&in, valid_request, strlen(valid_request));
  add_msg(&in, WS_OP_TEXT, "early", 5);
  ws_conn *c = new_conn(NULL);
  struct bytes out = exchange(c, &in);
  uint8_t *end = memmem(out.p, out.len, "\r\n\r\n", 4);
  cr_assert_not_null(end);
  size_t pos = (size_t)(end + 4 - out.p);
  struct sframe f;
  cr_assert(next_frame(&out, &pos, &f), "pipelined frame not echoed");
  cr_assert_eq(f.opcode, WS_OP_TEXT);
  cr_assert_eq(f.len, 5);
  cr_assert(memcmp(f.payload, "early", 5) == 0);
  finish(c, &in, &out);
}

/* ---- echo ---- */

static void expect_echo(uint8_t opcode, const uint8_t *payload, size_t len) {
  ws_conn *c = open_conn(NULL);
  struct bytes in = {0};
  add_msg(&in, opcode, payload, len);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  struct sframe f;
  cr_assert(next_frame(&out, &pos, &f), "no echo for length %zu", len);
  cr_assert(f.fin);
  cr_assert_not(f.masked);
  cr_assert_eq(f.rsv, 0);
  cr_assert_eq(f.opcode, opcode);
  cr_assert_eq(f.len, len);
  cr_assert(len == 0 || memcmp(f.payload, payload, len) == 0);
  cr_assert_eq(pos, out.len);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_OPEN);
  finish(c, &in, &out);
}

Test(conn_echo, text_is_echoed) {
  expect_echo(WS_OP_TEXT, (const uint8_t *)"Hello, \xc3\xa9t\xc3\xa9", 12);
}

Test(conn_echo, empty_text_is_echoed) { expect_echo(WS_OP_TEXT, NULL, 0); }

Test(conn_echo, binary_at_length_edges_is_echoed) {
  static const size_t lengths[] = {1, 125, 126, 127, 65535, 65536, 200000};
  uint8_t *p = malloc(200000);
  cr_assert_not_null(p);
  for (size_t i = 0; i < 200000; i++)
    p[i] = (uint8_t)(i * 7 + 3);
  for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
    expect_echo(WS_OP_BINARY, p, lengths[i]);
  free(p);
}

Test(conn_echo, fragmented_message_with_ping_between_is_reassembled) {
  ws_conn *c = open_conn(NULL);
  struct bytes in = {0};
  add_frame(&in, false, 0, WS_OP_TEXT, true, "frag", 4);
  add_frame(&in, false, 0, WS_OP_CONTINUATION, true, NULL, 0);
  add_msg(&in, WS_OP_PING, "between", 7);
  add_frame(&in, false, 0, WS_OP_CONTINUATION, true, "men", 3);
  add_frame(&in, true, 0, WS_OP_CONTINUATION, true, "ted", 3);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  struct sframe f;
  /* RFC 6455 5.4: the pong may come before the message it interrupted. */
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(f.opcode, WS_OP_PONG);
  cr_assert(f.len == 7 && memcmp(f.payload, "between", 7) == 0);
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(f.opcode, WS_OP_TEXT);
  cr_assert(f.fin);
  cr_assert(f.len == 10 && memcmp(f.payload, "fragmented", 10) == 0);
  cr_assert_eq(pos, out.len);
  finish(c, &in, &out);
}

Test(conn_echo, ping_gets_pong_with_same_payload) {
  ws_conn *c = open_conn(NULL);
  uint8_t payload[125];
  for (int i = 0; i < 125; i++)
    payload[i] = (uint8_t)(255 - i);
  struct bytes in = {0};
  add_msg(&in, WS_OP_PING, payload, sizeof(payload));
  add_msg(&in, WS_OP_PING, NULL, 0);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  struct sframe f;
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(f.opcode, WS_OP_PONG);
  cr_assert(f.len == 125 && memcmp(f.payload, payload, 125) == 0);
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(f.opcode, WS_OP_PONG);
  cr_assert_eq(f.len, 0);
  cr_assert_eq(pos, out.len);
  finish(c, &in, &out);
}

Test(conn_echo, unsolicited_pong_is_ignored) {
  ws_conn *c = open_conn(NULL);
  struct bytes in = {0};
  add_msg(&in, WS_OP_PONG, "unsolicited", 11);
  struct bytes out = exchange(c, &in);
  cr_assert_eq(out.len, 0);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_OPEN);
  cr_assert(ws_conn_wants_input(c));
  finish(c, &in, &out);
}

/* ---- closing ---- */

Test(conn_close, close_1000_is_answered_with_1000_and_done) {
  struct bytes in = {0};
  add_close(&in, 1000, "bye");
  expect_closed_with(&in, 1000, NULL);
}

Test(conn_close, empty_close_is_answered_with_1000) {
  struct bytes in = {0};
  add_msg(&in, WS_OP_CLOSE, NULL, 0);
  expect_closed_with(&in, 1000, NULL);
}

Test(conn_close, close_code_is_echoed) {
  struct bytes in = {0};
  add_close(&in, 3000, NULL);
  expect_closed_with(&in, 3000, NULL);
}

Test(conn_close, invalid_close_code_gets_1002) {
  static const uint16_t bad[] = {999, 1004, 1005, 1006, 1015, 2999, 5000};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint8_t payload[2] = {(uint8_t)(bad[i] >> 8), (uint8_t)bad[i]};
    struct bytes in = {0};
    add_msg(&in, WS_OP_CLOSE, payload, 2);
    expect_closed_with(&in, 1002, NULL);
  }
}

Test(conn_close, one_byte_close_payload_gets_1002) {
  struct bytes in = {0};
  add_msg(&in, WS_OP_CLOSE, "\x03", 1);
  expect_closed_with(&in, 1002, NULL);
}

Test(conn_close, nothing_is_echoed_after_a_close) {
  struct bytes in = {0};
  add_close(&in, 1000, NULL);
  add_msg(&in, WS_OP_TEXT, "late", 4);
  add_msg(&in, WS_OP_PING, "late", 4);
  expect_closed_with(&in, 1000, NULL);
}

Test(conn_close, server_initiated_close_waits_for_peer_then_done) {
  ws_conn *c = open_conn(NULL);
  cr_assert_eq(ws_conn_start_close(c, 1001), 0);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_CLOSING);
  struct bytes out = {0};
  drain(c, &out);
  size_t pos = 0;
  struct sframe f;
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(close_code_of(&f), 1001);
  /* Data the peer sent before seeing our close is not echoed (5.5.1). */
  struct bytes in = {0};
  add_msg(&in, WS_OP_TEXT, "x", 1);
  add_close(&in, 1001, NULL);
  struct bytes more = exchange(c, &in);
  cr_assert_eq(more.len, 0, "no second close, no echo");
  cr_assert(ws_conn_should_close(c));
  bytes_free(&in);
  bytes_free(&out);
  bytes_free(&more);
  ws_conn_free(c);
}

Test(conn_close, closing_deadline_ends_connection) {
  ws_conn *c = open_conn(NULL);
  ws_conn_deadline_passed(c); /* no deadline in OPEN: ignored */
  cr_assert_eq(ws_conn_phase(c), WS_CONN_OPEN);
  cr_assert_eq(ws_conn_start_close(c, 1000), 0);
  ws_conn_deadline_passed(c);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_DONE);
  struct bytes out = {0};
  drain(c, &out);
  cr_assert(ws_conn_should_close(c));
  bytes_free(&out);
  ws_conn_free(c);
}

Test(conn_close, peer_eof_ends_connection) {
  ws_conn *c = open_conn(NULL);
  ws_conn_peer_closed(c);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_DONE);
  cr_assert_not(ws_conn_wants_input(c));
  cr_assert(ws_conn_should_close(c));
  ws_conn_free(c);
}

/* ---- failing the connection ---- */

Test(conn_fail, unmasked_frame_gets_1002_and_no_echo) {
  struct bytes in = {0};
  add_frame(&in, true, 0, WS_OP_TEXT, false, "nomask", 6);
  expect_closed_with(&in, 1002, NULL);
}

Test(conn_fail, reserved_opcodes_get_1002) {
  static const uint8_t ops[] = {3, 7, 0xB, 0xF};
  for (size_t i = 0; i < sizeof(ops); i++) {
    struct bytes in = {0};
    add_frame(&in, true, 0, ops[i], true, "x", 1);
    expect_closed_with(&in, 1002, NULL);
  }
}

Test(conn_fail, rsv_bits_get_1002) {
  for (uint8_t rsv = 1; rsv <= 7; rsv++) {
    struct bytes in = {0};
    add_frame(&in, true, rsv, WS_OP_TEXT, true, "x", 1);
    expect_closed_with(&in, 1002, NULL);
  }
}

Test(conn_fail, oversized_or_fragmented_ping_gets_1002) {
  uint8_t big[126] = {0};
  struct bytes in = {0};
  add_msg(&in, WS_OP_PING, big, sizeof(big));
  expect_closed_with(&in, 1002, NULL);
  add_frame(&in, false, 0, WS_OP_PING, true, "x", 1);
  expect_closed_with(&in, 1002, NULL);
}

Test(conn_fail, continuation_without_message_gets_1002) {
  struct bytes in = {0};
  add_frame(&in, true, 0, WS_OP_CONTINUATION, true, "x", 1);
  expect_closed_with(&in, 1002, NULL);
}

Test(conn_fail, valid_message_before_violation_is_still_echoed) {
  ws_conn *c = open_conn(NULL);
  struct bytes in = {0};
  add_msg(&in, WS_OP_TEXT, "ok", 2);
  add_frame(&in, true, 0, WS_OP_TEXT, false, "bad", 3);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  struct sframe f;
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert(f.opcode == WS_OP_TEXT && f.len == 2);
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(close_code_of(&f), 1002);
  finish(c, &in, &out);
}

Test(conn_fail, invalid_utf8_fails_fast_with_1007) {
  /* A 100-byte text frame whose fourth byte is invalid: the close must come
   * as soon as that byte arrives, long before the frame is complete. */
  uint8_t payload[100];
  memset(payload, 'a', sizeof(payload));
  payload[3] = 0xC0;
  struct bytes frame = {0};
  add_msg(&frame, WS_OP_TEXT, payload, sizeof(payload));
  size_t header = frame.len - sizeof(payload);
  ws_conn *c = open_conn(NULL);
  cr_assert_eq(feed(c, frame.p, header + 3), 0);
  cr_assert_eq(ws_conn_pending_output(c, NULL), 0, "valid prefix: no output");
  struct bytes out = {0};
  cr_assert_eq(feed(c, frame.p + header + 3, 1), 0);
  drain(c, &out);
  expect_close_only(c, &out, 1007);
  bytes_free(&frame);
  bytes_free(&out);
  ws_conn_free(c);
}

Test(conn_fail, invalid_utf8_across_fragments_gets_1007) {
  struct bytes in = {0};
  add_frame(&in, false, 0, WS_OP_TEXT, true, "ok\xED", 3);
  add_frame(&in, true, 0, WS_OP_CONTINUATION, true, "\xA0\x80", 2);
  expect_closed_with(&in, 1007, NULL);
}

Test(conn_fail, message_over_max_message_gets_1009) {
  ws_server_config config = {.max_message = 1024};
  uint8_t payload[600] = {0};
  struct bytes in = {0};
  add_frame(&in, false, 0, WS_OP_BINARY, true, payload, sizeof(payload));
  add_frame(&in, true, 0, WS_OP_CONTINUATION, true, payload, sizeof(payload));
  expect_closed_with(&in, 1009, &config);
  /* One frame over the limit is refused from its header alone. */
  uint8_t header[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4};
  bytes_add(&in, header, sizeof(header));
  expect_closed_with(&in, 1009, &config);
}

/* ---- segmentation ---- */

static struct bytes session_input(void) {
  struct bytes in = {0};
  bytes_add(&in, valid_request, strlen(valid_request));
  add_msg(&in, WS_OP_TEXT, "h\xC3\xA9llo", 6);
  add_msg(&in, WS_OP_PING, "p", 1);
  add_frame(&in, false, 0, WS_OP_BINARY, true, "ab", 2);
  add_frame(&in, true, 0, WS_OP_CONTINUATION, true, "cd", 2);
  uint8_t big[300];
  memset(big, 'z', sizeof(big));
  add_msg(&in, WS_OP_TEXT, big, sizeof(big));
  add_msg(&in, WS_OP_TEXT, NULL, 0);
  add_close(&in, 1000, "done");
  return in;
}

Test(conn_segmentation, one_byte_at_a_time_gives_same_output) {
  struct bytes in = session_input();
  ws_conn *whole = new_conn(NULL);
  struct bytes expected = {0};
  cr_assert_eq(feed(whole, in.p, in.len), 0);
  drain(whole, &expected);
  cr_assert(ws_conn_should_close(whole));

  ws_conn *drip = new_conn(NULL);
  struct bytes got = {0};
  for (size_t i = 0; i < in.len; i++) {
    cr_assert_eq(feed(drip, in.p + i, 1), 0);
    drain(drip, &got);
  }
  cr_assert(ws_conn_should_close(drip));
  cr_assert_eq(got.len, expected.len);
  cr_assert(memcmp(got.p, expected.p, got.len) == 0);
  bytes_free(&in);
  bytes_free(&expected);
  bytes_free(&got);
  ws_conn_free(whole);
  ws_conn_free(drip);
}

Test(conn_segmentation, random_bytes_after_handshake_end_cleanly) {
  /* Mutated frames: whatever comes in, the output is a sequence of
   * well-formed unmasked server frames, a close is the last thing sent when
   * the connection ends, and nothing crashes or leaks (ASan). */
  unsigned seed = 42;
  for (int round = 0; round < 300; round++) {
    struct bytes in = {0};
    add_msg(&in, WS_OP_TEXT, "seed", 4);
    add_msg(&in, WS_OP_PING, "p", 1);
    add_frame(&in, false, 0, WS_OP_BINARY, true, "abc", 3);
    add_frame(&in, true, 0, WS_OP_CONTINUATION, true, "def", 3);
    for (int k = 0; k < 3; k++) {
      seed = seed * 1103515245u + 12345u;
      in.p[(seed >> 8) % in.len] ^= (uint8_t)(1u << ((seed >> 4) % 8));
    }
    ws_conn *c = open_conn(NULL);
    struct bytes out = {0};
    for (size_t off = 0; off < in.len; off += 5) {
      size_t n = in.len - off < 5 ? in.len - off : 5;
      cr_assert_eq(feed(c, in.p + off, n), 0);
      drain(c, &out);
    }
    size_t pos = 0;
    struct sframe f = {0};
    bool any = false;
    while (next_frame(&out, &pos, &f)) {
      cr_assert_not(f.masked);
      cr_assert_eq(f.rsv, 0);
      any = true;
    }
    cr_assert_eq(pos, out.len, "round %d: trailing partial frame", round);
    if (ws_conn_phase(c) == WS_CONN_DONE)
      cr_assert(any && f.opcode == WS_OP_CLOSE, "round %d", round);
    finish(c, &in, &out);
  }
}

/* ---- backpressure ---- */

Test(conn_backpressure, ping_flood_pauses_input_until_output_drains) {
  ws_server_config config = {.max_backlog = 1000};
  ws_conn *c = open_conn(&config);
  uint8_t payload[100] = {0};
  struct bytes in = {0};
  for (int i = 0; i < 12; i++)
    add_msg(&in, WS_OP_PING, payload, sizeof(payload));
  cr_assert_eq(feed(c, in.p, in.len), 0);
  cr_assert_gt(ws_conn_pending_output(c, NULL), 1000);
  cr_assert_not(ws_conn_wants_input(c), "backlog over the limit: pause");
  ws_conn_output_written(c, 100);
  cr_assert_not(ws_conn_wants_input(c));
  struct bytes out = {0};
  drain(c, &out);
  cr_assert(ws_conn_wants_input(c), "drained: read again");
  cr_assert_eq(out.len + 100, 12 * (2 + 100));
  finish(c, &in, &out);
}

/* ---- memory ---- */

/* An allocator that counts live bytes and can fail the Nth allocation. Each
 * block carries its size in a 16-byte prefix. */
static size_t live_bytes, live_blocks, alloc_calls, fail_at;

static void *count_malloc(size_t size, void *ctx) {
  (void)ctx;
  if (fail_at && ++alloc_calls == fail_at)
    return NULL;
  size_t *p = malloc(size + 16);
  if (!p)
    return NULL;
  *p = size;
  live_bytes += size;
  live_blocks++;
  return (char *)p + 16;
}

static void count_free(void *ptr, void *ctx) {
  (void)ctx;
  if (!ptr)
    return;
  size_t *p = (size_t *)((char *)ptr - 16);
  live_bytes -= *p;
  live_blocks--;
  free(p);
}

static void *count_realloc(void *ptr, size_t size, void *ctx) {
  if (!ptr)
    return count_malloc(size, ctx);
  if (fail_at && ++alloc_calls == fail_at)
    return NULL;
  size_t *old = (size_t *)((char *)ptr - 16);
  size_t old_size = *old;
  size_t *p = realloc(old, size + 16);
  if (!p)
    return NULL;
  live_bytes += size - old_size;
  *p = size;
  return (char *)p + 16;
}

static const ws_allocator counting = {count_malloc, count_realloc, count_free,
                                      NULL};

Test(conn_memory, idle_upgraded_connection_is_small) {
  ws_set_allocator(&counting);
  ws_conn *c = open_conn(NULL);
  struct bytes in = {0};
  uint8_t payload[5000] = {0};
  add_msg(&in, WS_OP_BINARY, payload, sizeof(payload));
  add_frame(&in, false, 0, WS_OP_TEXT, true, "a", 1);
  add_frame(&in, true, 0, WS_OP_CONTINUATION, true, "b", 1);
  add_msg(&in, WS_OP_PING, "p", 1);
  struct bytes out = exchange(c, &in);
  cr_assert_gt(out.len, 5000);
  /* After traffic and a drained queue, only the struct itself remains. */
  cr_assert_eq(live_blocks, 1, "%zu blocks held while idle", live_blocks);
  cr_assert_eq(ws_conn_heap_bytes(c), live_bytes);
  cr_assert_lt(live_bytes, 1024, "%zu bytes per idle connection", live_bytes);
  cr_log_info("idle upgraded connection: %zu heap bytes in %zu block(s)\n",
              live_bytes, live_blocks);
  fprintf(stderr, "conn_memory: idle upgraded connection holds %zu bytes\n",
          live_bytes);
  ws_conn_free(c);
  cr_assert_eq(live_bytes, 0);
  ws_set_allocator(NULL);
  bytes_free(&in);
  bytes_free(&out);
}

Test(conn_memory, heap_bytes_matches_allocator_during_handshake) {
  ws_set_allocator(&counting);
  ws_conn *c = new_conn(NULL);
  cr_assert_eq(feed(c, valid_request, 40), 0);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_HANDSHAKE);
  cr_assert_eq(ws_conn_heap_bytes(c), live_bytes);
  cr_assert_eq(feed(c, valid_request + 40, strlen(valid_request) - 40), 0);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_OPEN);
  cr_assert_eq(ws_conn_heap_bytes(c), live_bytes, "101 still queued");
  ws_conn_output_written(c, ws_conn_pending_output(c, NULL));
  cr_assert_eq(live_blocks, 1, "the queue is freed once written");
  ws_conn_free(c);
  cr_assert_eq(live_bytes, 0);
  ws_set_allocator(NULL);
}

/* Runs a whole session with the Nth allocation failing; returns how many
 * allocations the session made in all (when it did not fail). */
static size_t session_with_failure(size_t n, const struct bytes *in) {
  live_bytes = live_blocks = alloc_calls = 0;
  fail_at = n;
  ws_set_allocator(&counting);
  ws_conn *c = ws_conn_new(NULL);
  if (c) {
    /* Feed in chunks so the parser and the message buffer both grow. */
    for (size_t off = 0; off < in->len; off += 97) {
      size_t len = in->len - off < 97 ? in->len - off : 97;
      uint8_t chunk[97];
      memcpy(chunk, in->p + off, len);
      int rc = ws_conn_receive(c, chunk, len);
      cr_assert(rc == 0 || rc == -WS_E_NOMEM, "rc %d", rc);
      if (rc < 0)
        cr_assert_eq(ws_conn_phase(c), WS_CONN_DONE);
      const uint8_t *data;
      size_t pending = ws_conn_pending_output(c, &data);
      ws_conn_output_written(c, pending / 2);
      if (ws_conn_phase(c) == WS_CONN_DONE)
        break;
    }
    ws_conn_free(c);
  }
  cr_assert_eq(live_bytes, 0, "leak with allocation %zu failing", n);
  cr_assert_eq(live_blocks, 0);
  ws_set_allocator(NULL);
  size_t calls = alloc_calls;
  fail_at = 0;
  return calls;
}

Test(conn_memory, allocation_failure_at_every_point_is_clean) {
  struct bytes in = session_input();
  uint8_t big[3000];
  memset(big, 'q', sizeof(big));
  struct bytes more = {0};
  bytes_add(&more, in.p, in.len - 12); /* drop the close: keep going */
  add_msg(&more, WS_OP_BINARY, big, sizeof(big));
  add_frame(&more, false, 0, WS_OP_TEXT, true, big, 1000);
  add_frame(&more, true, 0, WS_OP_CONTINUATION, true, big, 2000);
  add_close(&more, 1000, NULL);
  /* Count the allocations of a clean run with a sentinel that never hits. */
  size_t total = session_with_failure(SIZE_MAX, &more);
  cr_assert_gt(total, 3);
  cr_log_info("allocation failure injected at 1..%zu\n", total + 1);
  for (size_t n = 1; n <= total + 1; n++)
    session_with_failure(n, &more);
  bytes_free(&in);
  bytes_free(&more);
}
