/* Tests for harness/io/memory.c (the in-memory transport pair) and
 * harness/run/drive.c (the drive loop): two sessions, a client and a
 * server, each driven by its own thread over the two ends of a pair. */
#include "engine/session.h"
#include "io/memory.h"
#include "io/tcp.h"
#include "run/drive.h"
#include "tests/unit/case_fixture.h"
#include "util/clock.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

/* ---- the memory pair ---- */

Test(memory_transport, bytes_flow_both_ways) {
  ws_transport *a, *b;
  cr_assert_eq(ws_memory_pair(64, &a, &b), 0);
  uint8_t buf[64];
  cr_assert_eq(ws_transport_read(b, buf, sizeof buf), -EAGAIN);
  cr_assert_eq(ws_transport_write(a, (const uint8_t *)"hello", 5), 5);
  cr_assert_eq(ws_transport_wait(b, WS_IO_READ, 0), WS_IO_READ);
  cr_assert_eq(ws_transport_read(b, buf, 2), 2);
  cr_assert_eq(memcmp(buf, "he", 2), 0);
  cr_assert_eq(ws_transport_read(b, buf, sizeof buf), 3);
  cr_assert_eq(memcmp(buf, "llo", 3), 0);
  cr_assert_eq(ws_transport_write(b, (const uint8_t *)"x", 1), 1);
  cr_assert_eq(ws_transport_read(a, buf, sizeof buf), 1);
  cr_assert_eq(ws_transport_pending(a), 0);
  ws_transport_close(a);
  ws_transport_close(b);
}

Test(memory_transport, a_full_window_blocks_writes) {
  ws_transport *a, *b;
  cr_assert_eq(ws_memory_pair(8, &a, &b), 0);
  uint8_t buf[16] = {0};
  cr_assert_eq(ws_transport_write(a, buf, 16), 8, "cut to the window");
  cr_assert_eq(ws_transport_write(a, buf, 1), -EAGAIN);
  cr_assert_eq(ws_transport_wait(a, WS_IO_WRITE, 10), 0, "times out");
  cr_assert_eq(ws_transport_read(b, buf, 3), 3);
  cr_assert_eq(ws_transport_wait(a, WS_IO_WRITE, 0), WS_IO_WRITE);
  ws_transport_close(a);
  ws_transport_close(b);
}

Test(memory_transport, shutdown_is_eof_after_the_bytes) {
  ws_transport *a, *b;
  cr_assert_eq(ws_memory_pair(64, &a, &b), 0);
  uint8_t buf[8];
  cr_assert_eq(ws_transport_write(a, (const uint8_t *)"ab", 2), 2);
  cr_assert_eq(ws_transport_shutdown(a), 0);
  cr_assert_eq(ws_transport_write(a, (const uint8_t *)"c", 1), -EPIPE);
  cr_assert_eq(ws_transport_read(b, buf, sizeof buf), 2);
  cr_assert_eq(ws_transport_wait(b, WS_IO_READ, 0), WS_IO_READ);
  cr_assert_eq(ws_transport_read(b, buf, sizeof buf), 0, "EOF");
  /* The other direction still works (a half close). */
  cr_assert_eq(ws_transport_write(b, (const uint8_t *)"d", 1), 1);
  cr_assert_eq(ws_transport_read(a, buf, sizeof buf), 1);
  ws_transport_close(b);
  cr_assert_eq(ws_transport_read(a, buf, sizeof buf), 0);
  ws_transport_close(a);
}

Test(memory_transport, writing_to_a_closed_end_fails) {
  ws_transport *a, *b;
  cr_assert_eq(ws_memory_pair(64, &a, &b), 0);
  ws_transport_close(b);
  cr_assert_eq(ws_transport_write(a, (const uint8_t *)"x", 1), -EPIPE);
  ws_transport_close(a);
}

Test(memory_transport, a_reset_is_seen_by_both_ends) {
  ws_transport *a, *b;
  cr_assert_eq(ws_memory_pair(64, &a, &b), 0);
  uint8_t buf[8];
  cr_assert_eq(ws_transport_write(a, (const uint8_t *)"z", 1), 1);
  ws_memory_reset(a);
  cr_assert_eq(ws_transport_read(b, buf, sizeof buf), 1, "bytes first");
  cr_assert_eq(ws_transport_read(b, buf, sizeof buf), -ECONNRESET);
  cr_assert_eq(ws_transport_write(b, buf, 1), -ECONNRESET);
  ws_transport_close(a);
  ws_transport_close(b);
}

Test(memory_transport, wait_with_no_events_sleeps_for_the_timeout) {
  ws_transport *a, *b;
  cr_assert_eq(ws_memory_pair(64, &a, &b), 0);
  int64_t t0 = ws_now_ms();
  cr_assert_eq(ws_transport_wait(a, 0, 30), 0);
  cr_assert_geq(ws_now_ms() - t0, 25);
  ws_transport_close(a);
  ws_transport_close(b);
}

/* ---- the drive loop over a pair ---- */

typedef struct side {
  ws_session *s;
  ws_transport *t;
} side;

static void *drive_side(void *arg) {
  side *d = arg;
  ws_drive(d->s, d->t);
  ws_session_end(d->s, ws_now_us());
  return NULL;
}

static ws_session_opts opts(enum ws_role role) {
  return (ws_session_opts){.role = role,
                           .timeout_scale = 1.0,
                           .seed = 3,
                           .target = {.authority = "mem", .path = "/"}};
}

/* Two sessions over a pair whose window is `window` bytes (1: every byte
 * is its own read and write). */
static void talk(size_t window) {
  tcase sc, cc;
  tc_init(&sc, "d.server", 3000);
  tc_frame(&sc, WS_OP_TEXT, "ping me", 7);
  tc_frame(&sc, WS_OP_PING, "pp", 2)->echo = true;
  tc_wait(&sc, 200);
  tc_close(&sc, 1000);
  tc_init(&cc, "d.client", 3000);
  ws_step *chop = tc_add(&cc, WS_STEP_CHOP);
  chop->number = 5;
  tc_frame(&cc, WS_OP_BINARY, "0123456789", 10);
  tc_wait(&cc, 1000);
  ws_observation sobs, cobs;
  ws_observation_init(&sobs);
  ws_observation_init(&cobs);
  ws_session_opts so = opts(WS_ROLE_SERVER), co = opts(WS_ROLE_CLIENT);
  side server = {.s = ws_session_new(&sc.c, &so, &sobs, ws_now_us())};
  side client = {.s = ws_session_new(&cc.c, &co, &cobs, ws_now_us())};
  cr_assert_eq(ws_memory_pair(window, &server.t, &client.t), 0);
  pthread_t ts, tcl;
  cr_assert_eq(pthread_create(&ts, NULL, drive_side, &server), 0);
  cr_assert_eq(pthread_create(&tcl, NULL, drive_side, &client), 0);
  pthread_join(ts, NULL);
  pthread_join(tcl, NULL);
  /* The client got the message, answered the ping, and the close. */
  cr_assert(cobs.upgraded);
  assert_message(&cobs, 0, WS_OP_TEXT, "ping me", 7);
  cr_assert_eq(nth_event(&cobs, WS_OBS_CLOSE, 0)->close_code, 1000);
  cr_assert_eq(count_events(&cobs, WS_OBS_VIOLATION), 0);
  /* The server got the client's chopped binary message and the pong. */
  cr_assert(sobs.upgraded);
  assert_message(&sobs, 0, WS_OP_BINARY, "0123456789", 10);
  cr_assert_eq(nth_event(&sobs, WS_OBS_PONG, 0)->len, 2);
  cr_assert(sobs.closing_handshake);
  cr_assert_eq(count_events(&sobs, WS_OBS_VIOLATION), 0);
  cr_assert(cobs.peer_closed_tcp, "the server closed TCP first");
  ws_session_free(server.s);
  ws_session_free(client.s);
  ws_transport_close(server.t);
  ws_transport_close(client.t);
  ws_observation_free(&sobs);
  ws_observation_free(&cobs);
}

Test(drive, two_sessions_over_a_memory_pair, .timeout = 20) { talk(65536); }

Test(drive, two_sessions_one_byte_at_a_time, .timeout = 20) { talk(1); }

Test(drive, connecting_to_a_closed_port_is_a_typed_error) {
  ws_transport *t = NULL;
  /* Port 1 on loopback: nothing listens there in a test environment. */
  int rc = ws_tcp_connect("127.0.0.1", 1, ws_now_ms() + 2000, &t);
  cr_assert_eq(rc, -ECONNREFUSED);
  cr_assert_null(t);
}
