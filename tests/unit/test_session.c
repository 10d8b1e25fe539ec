/* Tests for harness/engine/session*.c: a session driven by feeding bytes,
 * with no socket and no thread, on a virtual clock. Its peer is in memory:
 * the reference server's own sans-I/O connection (server/conn.h) for the
 * client role, a client-role session for the server role, or scripted
 * bytes. Every exchange runs twice: whole writes, and one byte per write
 * and per read. */
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/handshake.h"
#include "engine/session.h"
#include "server/conn.h"
#include "tests/unit/case_fixture.h"
#include "tests/unit/session_pump.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

/* ---- client role ---- */

ParameterizedTestParameters(session, client_echo_and_close) {
  return cr_make_param_array(bool, bytewise_modes, 2);
}

ParameterizedTest(const bool *bytewise, session, client_echo_and_close) {
  tcase t;
  tc_init(&t, "s.echo", 2000);
  tc_text(&t, "Hello");
  uint8_t bin[300];
  for (size_t i = 0; i < sizeof bin; i++)
    bin[i] = (uint8_t)(i * 7);
  tc_frame(&t, WS_OP_BINARY, bin, sizeof bin)->echo = true;
  tc_frame(&t, WS_OP_PING, "pp", 2)->echo = true;
  tc_close(&t, 1000);
  ws_observation obs;
  against_reference(&t, &obs, *bytewise);
  assert_clean(&obs);
  assert_message(&obs, 0, WS_OP_TEXT, "Hello", 5);
  assert_message(&obs, 1, WS_OP_BINARY, bin, sizeof bin);
  const ws_obs_event *pong = nth_event(&obs, WS_OBS_PONG, 0);
  cr_assert_not_null(pong);
  cr_assert_eq(pong->len, 2);
  assert_closed_1000(&obs);
  cr_assert_eq(obs.steps_started, 4);
  cr_assert_str_eq(header_value(&obs, "Upgrade"), "websocket");
  ws_observation_free(&obs);
}

Test(session, client_frames_are_masked_and_the_request_is_the_shared_one) {
  tcase t;
  tc_init(&t, "s.masked", 2000);
  tc_text(&t, "abc");
  tc_close(&t, 1000);
  ws_observation obs;
  against_reference(&t, &obs, false);
  size_t len;
  uint8_t *tx = wire_bytes(&obs, WS_WIRE_TX, &len);
  char *end = strstr((char *)tx, "\r\n\r\n");
  cr_assert_not_null(end);
  /* The request is case_bytes.c's, byte for byte. */
  ws_buf want = {0};
  ws_session_opts o = client_opts();
  ws_prng keys;
  char key[WS_KEY_LEN + 1];
  ws_case_keys_init(&keys, o.seed, t.c.id, key);
  cr_assert_eq(ws_case_request(NULL, &o.target, key, &want), 0);
  cr_assert_eq((size_t)(end + 4 - (char *)tx), want.len);
  cr_assert_eq(memcmp(tx, want.ptr, want.len), 0);
  const uint8_t *frame = (const uint8_t *)end + 4;
  cr_assert(frame[1] & 0x80, "a client frame is masked (RFC 6455 5.3)");
  ws_buf_free(&want);
  free(tx);
  ws_observation_free(&obs);
}

Test(session, chop_makes_every_write_its_own_piece) {
  tcase t;
  tc_init(&t, "s.chop", 2000);
  ws_step *chop = tc_add(&t, WS_STEP_CHOP);
  chop->number = 3;
  tc_text(&t, "a longer message, cut in 3-byte writes");
  tc_close(&t, 1000);
  ws_observation obs;
  pump_stats st = against_reference(&t, &obs, false);
  assert_clean(&obs);
  assert_message(&obs, 0, WS_OP_TEXT, "a longer message, cut in 3-byte writes",
                 38);
  /* The request is whole; every step write after `chop 3` is 3 bytes at
   * most (the answering replies are not chopped, but none are sent). */
  cr_assert_gt(st.first_write, 3);
  cr_assert_geq(st.writes, 1 + (6 + 38) / 3 + (6 + 2) / 3);
  cr_assert(wire_has_note(&obs, "(in 3-byte writes)"));
  ws_observation_free(&obs);
}

Test(session, coalesce_sends_request_and_frames_in_one_write) {
  tcase t;
  tc_init(&t, "s.coalesce", 2000);
  ws_step *hs = tc_add(&t, WS_STEP_HANDSHAKE);
  hs->coalesce = true;
  tc_text(&t, "pipelined");
  ws_observation obs;
  pump_stats st = against_reference(&t, &obs, false);
  size_t len;
  uint8_t *tx = wire_bytes(&obs, WS_WIRE_TX, &len);
  cr_assert_eq(st.first_write, len - 0,
               "request and frame leave in the first write");
  cr_assert(wire_has_note(&obs, "one write: handshake request; step 2"));
  cr_assert(obs.upgraded);
  free(tx);
  ws_observation_free(&obs);
}

Test(session, a_silent_peer_ends_the_case_at_its_deadline) {
  tcase t;
  tc_init(&t, "s.silent", 1500);
  tc_text(&t, "x");
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = client_opts();
  o.timeout_scale = 2.0;
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  script sc = {0};
  peer p = script_peer(&sc);
  pump_stats st = pump(s, &p, false);
  cr_assert_eq(st.end, T0 + 3000 * 1000, "deadline = timeout * scale: %lld",
               (long long)(st.end - T0));
  cr_assert(obs.deadline_hit);
  cr_assert_not(obs.response_complete);
  cr_assert(wire_has_note(&obs, "no complete HTTP response before the "
                                "deadline"));
  cr_assert_gt(sc.got_len, 0, "the request was sent");
  ws_session_free(s);
  ws_observation_free(&obs);
}

Test(session, the_cases_own_pauses_extend_its_deadline) {
  tcase t;
  tc_init(&t, "s.pauses", 1500);
  tc_wait(&t, 300);
  tc_wait(&t, 200);
  tc_text(&t, "x")->echo = true;
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = client_opts();
  o.timeout_scale = 2.0;
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  script sc = {0};
  peer p = script_peer(&sc);
  pump_stats st = pump(s, &p, false);
  cr_assert_eq(st.end, T0 + (3000 + 500) * 1000,
               "deadline = timeout * scale + pauses: %lld",
               (long long)(st.end - T0));
  ws_session_free(s);
  ws_observation_free(&obs);
}

/* A valid 101 for the session's key, then `tail`. */
static size_t response_then(const tcase *t, const uint8_t *tail,
                            size_t tail_len, uint8_t *out, size_t cap) {
  ws_session_opts o = client_opts();
  ws_prng keys;
  char key[WS_KEY_LEN + 1], accept[WS_ACCEPT_LEN + 1];
  ws_case_keys_init(&keys, o.seed, t->c.id, key);
  cr_assert_eq(ws_hs_accept_value(key, strlen(key), accept), 0);
  ssize_t n = ws_hs_build_response((char *)out, cap, accept, NULL, NULL);
  cr_assert_gt(n, 0);
  if (tail_len)
    memcpy(out + n, tail, tail_len);
  return (size_t)n + tail_len;
}

ParameterizedTestParameters(session, a_peer_closing_mid_frame_is_recorded) {
  return cr_make_param_array(bool, bytewise_modes, 2);
}

ParameterizedTest(const bool *bytewise, session,
                  a_peer_closing_mid_frame_is_recorded) {
  tcase t;
  tc_init(&t, "s.midframe", 2000);
  tc_text(&t, "hi");
  /* A text frame announcing 10 bytes, only 4 of them sent. */
  static const uint8_t half[] = {0x81, 0x0a, 'a', 'b', 'c', 'd'};
  uint8_t bytes[1024];
  script sc = {.close_after = true};
  sc.len = response_then(&t, half, sizeof half, bytes, sizeof bytes);
  sc.bytes = bytes;
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = client_opts();
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  pump(s, &p, *bytewise);
  cr_assert(obs.upgraded);
  cr_assert(obs.peer_closed_tcp);
  cr_assert_not(obs.peer_reset);
  cr_assert_eq(count_events(&obs, WS_OBS_MESSAGE), 0);
  cr_assert_eq(count_events(&obs, WS_OBS_CLOSE), 0);
  cr_assert_not(obs.deadline_hit);
  ws_session_free(s);
  ws_observation_free(&obs);
}

Test(session, a_masked_server_frame_is_a_violation) {
  tcase t;
  tc_init(&t, "s.masked-server", 2000);
  uint8_t frame[16];
  ws_frame_spec spec = {.fin = true, .opcode = WS_OP_TEXT, .masked = true};
  ssize_t fl =
      ws_frame_encode(&spec, (const uint8_t *)"x", 1, frame, sizeof frame);
  uint8_t bytes[1024];
  script sc = {.close_after = true};
  sc.len = response_then(&t, frame, (size_t)fl, bytes, sizeof bytes);
  sc.bytes = bytes;
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = client_opts();
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  pump(s, &p, false);
  const ws_obs_event *v = nth_event(&obs, WS_OBS_VIOLATION, 0);
  cr_assert_not_null(v);
  cr_assert_eq(v->violation, WS_E_MASKED_FRAME);
  ws_session_free(s);
  ws_observation_free(&obs);
}

Test(session, the_peers_close_is_answered_and_the_steps_stop) {
  tcase t;
  tc_init(&t, "s.peer-close", 2000);
  tc_wait(&t, 100);
  tc_text(&t, "never sent");
  static const uint8_t close_1001[] = {0x88, 0x02, 0x03, 0xe9};
  uint8_t bytes[1024];
  script sc = {0};
  sc.len =
      response_then(&t, close_1001, sizeof close_1001, bytes, sizeof bytes);
  sc.bytes = bytes;
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = client_opts();
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  pump(s, &p, false);
  const ws_obs_event *c = nth_event(&obs, WS_OBS_CLOSE, 0);
  cr_assert_not_null(c);
  cr_assert_eq(c->close_code, 1001);
  cr_assert(obs.close_sent, "the close was answered");
  cr_assert(obs.closing_handshake);
  cr_assert(wire_has_note(&obs, "close 1001 answering the peer's close"));
  cr_assert(wire_has_note(&obs, "not sent: the peer sent a close"));
  /* The peer never closed TCP: the grace ran out. */
  cr_assert(wire_has_note(&obs, "the peer did not close TCP within"));
  /* What the peer got after the request: one masked close frame. */
  const uint8_t *after = memmem(sc.got, sc.got_len, "\r\n\r\n", 4);
  cr_assert_not_null(after);
  after += 4;
  cr_assert_eq(after[0], 0x88);
  cr_assert_eq(after[1], 0x82);
  ws_session_free(s);
  ws_observation_free(&obs);
}

/* `await` holds the next step until the replies marked echo are in: with a
 * peer that never echoes, the message after it is never sent; with one that
 * echoes, it is. */
static void await_case(tcase *t) {
  tc_init(t, "s.await", 1500);
  tc_text(t, "a")->echo = true;
  tc_add(t, WS_STEP_AWAIT);
  tc_text(t, "b");
}

static size_t sent_after_request(const script *sc) {
  const uint8_t *after = memmem(sc->got, sc->got_len, "\r\n\r\n", 4);
  cr_assert_not_null(after);
  return sc->got_len - (size_t)(after + 4 - sc->got);
}

Test(session, await_holds_the_next_step_until_the_echo_is_in) {
  tcase t;
  await_case(&t);
  uint8_t bytes[1024];
  script sc = {0};
  sc.len = response_then(&t, NULL, 0, bytes, sizeof bytes);
  sc.bytes = bytes;
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = client_opts();
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  pump(s, &p, false);
  cr_assert(obs.deadline_hit);
  cr_assert(wire_has_note(&obs, "steps 3 to 3 not sent: the case deadline"));
  /* Only "a" left: a masked 1-byte frame is 2 + 4 + 1 bytes. */
  cr_assert_eq(sent_after_request(&sc), 7);
  ws_session_free(s);
  ws_observation_free(&obs);
}

Test(session, await_lets_the_next_step_go_once_the_echo_is_in) {
  tcase t;
  await_case(&t);
  static const uint8_t echo[] = {0x81, 0x01, 'a'};
  uint8_t bytes[1024];
  script sc = {0};
  sc.len = response_then(&t, echo, sizeof echo, bytes, sizeof bytes);
  sc.bytes = bytes;
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = client_opts();
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  pump(s, &p, false);
  assert_message(&obs, 0, WS_OP_TEXT, "a", 1);
  cr_assert_eq(sent_after_request(&sc), 14, "both messages were sent");
  ws_session_free(s);
  ws_observation_free(&obs);
}

/* ---- server role ---- */

ParameterizedTestParameters(session, server_and_client_sessions_talk) {
  return cr_make_param_array(bool, bytewise_modes, 2);
}

ParameterizedTest(const bool *bytewise, session,
                  server_and_client_sessions_talk) {
  /* The server-role session sends a message and closes; the client-role
   * session, its peer, waits and answers. */
  tcase server_case, client_case;
  tc_init(&server_case, "s.server", 2000);
  tc_frame(&server_case, WS_OP_TEXT, "from the server", 15);
  tc_close(&server_case, 1000);
  tc_init(&client_case, "s.client", 2000);
  tc_wait(&client_case, 500);
  ws_observation sobs, cobs;
  ws_observation_init(&sobs);
  ws_observation_init(&cobs);
  ws_session_opts so = server_opts(), co = client_opts();
  ws_session *server = ws_session_new(&server_case.c, &so, &sobs, T0);
  ws_session *client = ws_session_new(&client_case.c, &co, &cobs, T0);
  peer p = session_peer(client);
  pump(server, &p, *bytewise);
  ws_session_end(client, T0);
  /* The server saw a valid request and upgraded. */
  cr_assert(sobs.upgraded);
  cr_assert_str_eq(header_value(&sobs, "Sec-WebSocket-Version"), "13");
  cr_assert_eq(count_events(&sobs, WS_OBS_VIOLATION), 0,
               "the client's frames are masked");
  /* The client got an unmasked message and the close. */
  cr_assert(cobs.upgraded);
  cr_assert_eq(cobs.status, 101);
  cr_assert_eq(count_events(&cobs, WS_OBS_VIOLATION), 0,
               "the server's frames are not masked");
  assert_message(&cobs, 0, WS_OP_TEXT, "from the server", 15);
  cr_assert_eq(nth_event(&cobs, WS_OBS_CLOSE, 0)->close_code, 1000);
  /* Server frames on the wire carry no mask bit. */
  size_t len;
  uint8_t *tx = wire_bytes(&sobs, WS_WIRE_TX, &len);
  const uint8_t *frame = memmem(tx, len, "\r\n\r\n", 4);
  cr_assert_not_null(frame);
  cr_assert_eq(frame[4], 0x81);
  cr_assert_eq(frame[5] & 0x80, 0);
  /* RFC 6455 7.1.1: the server closed TCP first. */
  cr_assert(sobs.closing_handshake);
  cr_assert(wire_has_note(&sobs, "harness closed TCP (write side)"));
  cr_assert(cobs.peer_closed_first);
  free(tx);
  ws_session_free(server);
  ws_session_free(client);
  ws_observation_free(&sobs);
  ws_observation_free(&cobs);
}

Test(session, server_refuses_an_invalid_request) {
  tcase t;
  tc_init(&t, "s.refuse", 2000);
  tc_frame(&t, WS_OP_TEXT, "never", 5);
  static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  script sc = {.bytes = (const uint8_t *)req, .len = sizeof req - 1};
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = server_opts();
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  pump(s, &p, false);
  cr_assert_not(obs.upgraded);
  cr_assert_eq(obs.upgrade_error, WS_E_HS_NO_UPGRADE);
  cr_assert_eq(strncmp((char *)sc.got, "HTTP/1.1 400 ", 13), 0, "%.*s",
               (int)sc.got_len, sc.got);
  cr_assert_null(memmem(sc.got, sc.got_len, "never", 5));
  cr_assert(sc.got_eof, "the server closes after refusing");
  ws_session_free(s);
  ws_observation_free(&obs);
}

Test(session, server_requires_masked_frames) {
  tcase t;
  tc_init(&t, "s.unmasked", 1000);
  tc_wait(&t, 200);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: "
                   "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                   "\r\n\x81\x02hi");
  script sc = {.bytes = (const uint8_t *)req, .len = (size_t)n};
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = server_opts();
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  pump(s, &p, true);
  cr_assert(obs.upgraded);
  /* RFC 6455 1.3's example accept value. */
  cr_assert_not_null(
      memmem(sc.got, sc.got_len, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", 28));
  const ws_obs_event *v = nth_event(&obs, WS_OBS_VIOLATION, 0);
  cr_assert_not_null(v);
  cr_assert_eq(v->violation, WS_E_UNMASKED_FRAME);
  ws_session_free(s);
  ws_observation_free(&obs);
}

/* ---- bounds ---- */

Test(session, a_ping_flood_stays_within_the_observation_bounds) {
  tcase t;
  tc_init(&t, "s.flood", 500);
  tc_wait(&t, 400);
  enum { PINGS = 20000 };
  size_t frame_len = 2 + 125;
  uint8_t *tail = malloc(PINGS * frame_len);
  for (size_t i = 0; i < PINGS; i++) {
    tail[i * frame_len] = 0x89;
    tail[i * frame_len + 1] = 125;
    memset(tail + i * frame_len + 2, 'p', 125);
  }
  uint8_t *bytes = malloc(PINGS * frame_len + 1024);
  script sc = {0};
  sc.len = response_then(&t, tail, PINGS * frame_len, bytes,
                         PINGS * frame_len + 1024);
  sc.bytes = bytes;
  ws_observation obs;
  ws_observation_init(&obs);
  obs.wire_max = 64 << 10;
  ws_session_opts o = client_opts();
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  pump(s, &p, false);
  cr_assert_eq(obs.kind_total[WS_OBS_PING], PINGS, "every ping counted");
  cr_assert_leq(count_events(&obs, WS_OBS_PING), WS_OBS_MAX_PINGS_KEPT);
  cr_assert_leq(obs.wire_charge, obs.wire_max);
  cr_assert_gt(obs.wire_dropped, 0);
  cr_assert(wire_has_note(&obs, "wire log full"));
  ws_session_free(s);
  ws_observation_free(&obs);
  free(tail);
  free(bytes);
}

Test(session, a_peer_that_stops_reading_mid_frame_cannot_hold_the_case) {
  /* A frame of ours announces 100000 bytes; the peer reads the request and
   * 16 bytes of the frame, sends its close, and reads nothing more: our
   * close cannot be answered (the frame cannot be padded out), and the case
   * still ends by its deadline plus the closing grace. */
  tcase t;
  tc_init(&t, "s.stall", 1000);
  ws_step *lie = tc_frame(&t, WS_OP_BINARY, "0123456789", 10);
  lie->frame.lie_length = true;
  lie->frame.declared_length = 100000;
  static const uint8_t close_1000[] = {0x88, 0x02, 0x03, 0xe8};
  uint8_t bytes[1024];
  script sc = {0};
  sc.len =
      response_then(&t, close_1000, sizeof close_1000, bytes, sizeof bytes);
  sc.bytes = bytes;
  ws_buf req = {0};
  ws_session_opts o = client_opts();
  ws_prng keys;
  char key[WS_KEY_LEN + 1];
  ws_case_keys_init(&keys, o.seed, t.c.id, key);
  cr_assert_eq(ws_case_request(NULL, &o.target, key, &req), 0);
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session *s = ws_session_new(&t.c, &o, &obs, T0);
  peer p = script_peer(&sc);
  sc.hold_at = sc.len - sizeof close_1000; /* the 101 at once, the close */
  sc.hold_until = req.len + 16;            /* once the frame started */
  pump_stats st = pump_stalling(s, &p, false, req.len + 16);
  cr_assert_leq(st.end, T0 + (1000 + 1000) * 1000);
  cr_assert_not_null(nth_event(&obs, WS_OBS_CLOSE, 0));
  cr_assert_not(obs.close_sent);
  cr_assert(wire_has_note(&obs, "padding:"), "the frame was to be padded out");
  cr_assert(wire_has_note(&obs, "write timed out"));
  cr_assert_null(obs.harness_error, "%s", obs.harness_error);
  ws_buf_free(&req);
  ws_session_free(s);
  ws_observation_free(&obs);
}
