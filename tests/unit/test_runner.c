/* Tests for harness/runner*.c: cases built in C (not parsed) run against the
 * real reference server in a thread on loopback, and against small fake
 * peers made here (silent, refusing, pinging, misbehaving), asserting on the
 * observation. Every case has a small deadline, so a broken runner fails a
 * test instead of hanging it. */
#include "case/case.h"
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/message.h"
#include "engine/observation.h"
#include "io/url.h"
#include "run/runner.h"
#include "server/echo_server.h"
#include "tests/unit/case_fixture.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the reference server ---- */

typedef struct echo {
  ws_echo_server *server;
  pthread_t thread;
  uint16_t port;
} echo;

static void *echo_thread(void *arg) {
  (void)ws_echo_server_run(((echo *)arg)->server);
  return NULL;
}

static inline void echo_start(echo *e) {
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.handshake_timeout_ms = 3000;
  o.closing_timeout_ms = 3000;
  cr_assert_eq(ws_echo_server_open(&o, &e->server), 0);
  e->port = ws_echo_server_port(e->server);
  cr_assert_eq(pthread_create(&e->thread, NULL, echo_thread, e), 0);
}

static inline void echo_stop(echo *e) {
  ws_echo_server_stop(e->server);
  pthread_join(e->thread, NULL);
  ws_echo_server_close(e->server);
}

static inline void options_for(ws_run_options *o, uint16_t port) {
  memset(o, 0, sizeof *o);
  char url[64], err[128];
  snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)port);
  cr_assert_eq(ws_url_parse(url, &o->url, err, (int)sizeof err), 0, "%s", err);
  o->timeout_scale = 1.0;
  o->seed = 42;
}

/* A port with nothing listening: bound, then closed. */
static inline uint16_t dead_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

#include "codec/handshake.h"

#include <poll.h>
#include <time.h>

/* ---- fake peers ---- */

enum fake_mode {
  FAKE_SILENT, /* accepts, reads, never answers */
  FAKE_REFUSE, /* answers 404 and closes */
  FAKE_SCRIPT, /* answers 101 plus `after` bytes in the same write, then
                  reads until EOF */
};

typedef struct fake {
  int lfd;
  uint16_t port;
  enum fake_mode mode;
  uint8_t after[512];
  size_t after_len;
  bool close_after; /* FAKE_SCRIPT: close TCP right after sending */
  pthread_t thread;
  uint8_t got[65536]; /* what the harness sent after the request */
  size_t got_len;
} fake;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads until the blank line; returns the Sec-WebSocket-Key value. */
static void read_request(int fd, char *key, size_t cap) {
  char buf[4096];
  size_t len = 0;
  while (len < sizeof buf - 1) {
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0)
      break;
    len += (size_t)n;
    buf[len] = '\0';
    if (strstr(buf, "\r\n\r\n"))
      break;
  }
  buf[len] = '\0';
  key[0] = '\0';
  const char *k = strstr(buf, "Sec-WebSocket-Key: ");
  if (k) {
    k += strlen("Sec-WebSocket-Key: ");
    size_t n = strcspn(k, "\r\n");
    n = n < cap - 1 ? n : cap - 1;
    memcpy(key, k, n);
    key[n] = '\0';
  }
}

static void *fake_thread(void *arg) {
  fake *f = arg;
  int fd = accept(f->lfd, NULL, NULL);
  if (fd < 0)
    return NULL;
  struct timeval tv = {.tv_sec = 3};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char key[128];
  read_request(fd, key, sizeof key);
  if (f->mode == FAKE_REFUSE) {
    const char *r = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                    "Connection: close\r\n\r\n";
    send(fd, r, strlen(r), MSG_NOSIGNAL);
  } else if (f->mode == FAKE_SCRIPT) {
    char accept[WS_ACCEPT_LEN + 1];
    ws_hs_accept_value(key, strlen(key), accept);
    uint8_t out[1024];
    int n = snprintf((char *)out, sizeof out,
                     "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    memcpy(out + n, f->after, f->after_len);
    send(fd, out, (size_t)n + f->after_len, MSG_NOSIGNAL);
  }
  if (f->mode != FAKE_REFUSE && !f->close_after) {
    /* Read what the harness sends until it closes (or 3 s). */
    int64_t until = now_ms() + 3000;
    while (f->got_len < sizeof f->got && now_ms() < until) {
      ssize_t n = recv(fd, f->got + f->got_len, sizeof f->got - f->got_len, 0);
      if (n <= 0)
        break;
      f->got_len += (size_t)n;
    }
  }
  close(fd);
  return NULL;
}

static void fake_start(fake *f, enum fake_mode mode) {
  f->mode = mode;
  f->lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(f->lfd, 4), 0);
  socklen_t len = sizeof a;
  getsockname(f->lfd, (struct sockaddr *)&a, &len);
  f->port = ntohs(a.sin_port);
  if (mode != FAKE_SILENT)
    cr_assert_eq(pthread_create(&f->thread, NULL, fake_thread, f), 0);
}

static void fake_stop(fake *f) {
  if (f->mode != FAKE_SILENT)
    pthread_join(f->thread, NULL);
  close(f->lfd);
}

/* Appends a server frame (unmasked unless told) to the script. */
static void fake_frame(fake *f, uint8_t opcode, bool masked,
                       const void *payload, size_t len) {
  ws_frame_spec spec = {.fin = true, .opcode = opcode, .masked = masked};
  ssize_t n = ws_frame_encode(&spec, payload, len, f->after + f->after_len,
                              sizeof f->after - f->after_len);
  cr_assert_gt(n, 0);
  f->after_len += (size_t)n;
}

/* ---- helpers for running ---- */

typedef struct env {
  echo server;
  ws_run_options opt;
  ws_observation obs;
} env;

static void env_start(env *e) {
  echo_start(&e->server);
  options_for(&e->opt, e->server.port);
  ws_observation_init(&e->obs);
}

static void env_stop(env *e) {
  ws_observation_free(&e->obs);
  echo_stop(&e->server);
}

static void run(env *e, tcase *t) {
  ws_observation_free(&e->obs);
  ws_observation_init(&e->obs);
  ws_run_case(&t->c, &e->opt, &e->obs);
}

/* ---- echoes ---- */

Test(runner, text_echo_and_close) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.text", 3000);
  tc_text(&t, "Hello");
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_TEXT, "Hello", 5);
  assert_closed_1000(&e.obs);
  cr_assert_eq(e.obs.steps_started, 2);
  cr_assert_eq(e.obs.alive, -1);
  env_stop(&e);
}

Test(runner, binary_echo) {
  env e;
  env_start(&e);
  uint8_t bytes[256];
  for (int i = 0; i < 256; i++)
    bytes[i] = (uint8_t)i;
  tcase t;
  tc_init(&t, "t.binary", 3000);
  tc_frame(&t, WS_OP_BINARY, bytes, sizeof bytes)->echo = true;
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_BINARY, bytes, sizeof bytes);
  env_stop(&e);
}

Test(runner, empty_text_echo) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.empty", 3000);
  tc_text(&t, "");
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_TEXT, "", 0);
  assert_closed_1000(&e.obs);
  env_stop(&e);
}

Test(runner, binary_64k_echo) {
  env e;
  env_start(&e);
  size_t len = 65536;
  uint8_t *big = malloc(len);
  for (size_t i = 0; i < len; i++)
    big[i] = (uint8_t)(i * 7 + 3);
  tcase t;
  tc_init(&t, "t.64k", 5000);
  tc_frame(&t, WS_OP_BINARY, big, len)->echo = true;
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_BINARY, big, len);
  assert_closed_1000(&e.obs);
  free(big);
  env_stop(&e);
}

Test(runner, fragmented_echo) {
  env e;
  env_start(&e);
  const char *text = "Hello fragmented world, \xce\xba\xe1\xbd\xb9 split";
  tcase t;
  tc_init(&t, "t.frag", 3000);
  ws_step *s = tc_add(&t, WS_STEP_FRAGMENTED);
  s->frame.opcode = WS_OP_TEXT;
  s->payload = tc_bytes(&t, text, strlen(text));
  s->fragment_size = 5; /* cuts the 2- and 3-byte sequences */
  s->echo = true;
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_TEXT, text, strlen(text));
  cr_assert_eq(count_events(&e.obs, WS_OBS_MESSAGE), 1);
  cr_assert(wire_has_note(&e.obs, "frame continuation fin=0"));
  cr_assert(wire_has_note(&e.obs, "frame continuation fin=1"));
  env_stop(&e);
}

Test(runner, fragmented_empty_is_one_empty_frame) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.frag0", 3000);
  ws_step *s = tc_add(&t, WS_STEP_FRAGMENTED);
  s->frame.opcode = WS_OP_BINARY;
  s->fragment_size = 4;
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_BINARY, "", 0);
  cr_assert(wire_has_note(&e.obs, "frame binary fin=1 len=0"));
  env_stop(&e);
}

Test(runner, ping_gets_pong) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.ping", 3000);
  tc_frame(&t, WS_OP_PING, "abc", 3)->echo = true;
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  const ws_obs_event *p = nth_event(&e.obs, WS_OBS_PONG, 0);
  cr_assert_not_null(p);
  cr_assert_eq(p->len, 3);
  cr_assert_eq(memcmp(p->data, "abc", 3), 0);
  cr_assert_eq(count_events(&e.obs, WS_OBS_MESSAGE), 0);
  env_stop(&e);
}

Test(runner, close_1000_handshake) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.close", 3000);
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_closed_1000(&e.obs);
  cr_assert_eq(e.obs.event_count, 1);
  env_stop(&e);
}

/* ---- violations of ours: the server fails the connection ---- */

Test(runner, unmasked_frame_gets_1002_then_tcp_close) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.unmasked", 3000);
  tc_text(&t, "plain")->frame.mask = WS_MASK_NONE;
  run(&e, &t);
  assert_clean(&e.obs);
  const ws_obs_event *c = nth_event(&e.obs, WS_OBS_CLOSE, 0);
  cr_assert_not_null(c);
  cr_assert_eq(c->close_code, 1002);
  cr_assert_eq(count_events(&e.obs, WS_OBS_MESSAGE), 0);
  cr_assert(e.obs.peer_closed_tcp);
  cr_assert(e.obs.closing_handshake); /* answered with a close */
  cr_assert(wire_has_note(&e.obs, "mask=no"));
  cr_assert(wire_has_note(&e.obs, "close 1002 answering"));
  cr_assert_not(e.obs.deadline_hit);
  env_stop(&e);
}

Test(runner, reserved_opcode_gets_1002) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.op3", 3000);
  tc_frame(&t, 3, "x", 1);
  run(&e, &t);
  assert_clean(&e.obs);
  const ws_obs_event *c = nth_event(&e.obs, WS_OBS_CLOSE, 0);
  cr_assert_not_null(c);
  cr_assert_eq(c->close_code, 1002);
  cr_assert(e.obs.peer_closed_tcp);
  env_stop(&e);
}

Test(runner, harness_close_with_invalid_code_gets_1002) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.close1004", 3000);
  tc_close(&t, 1004);
  run(&e, &t);
  assert_clean(&e.obs);
  const ws_obs_event *c = nth_event(&e.obs, WS_OBS_CLOSE, 0);
  cr_assert_not_null(c);
  cr_assert_eq(c->close_code, 1002);
  cr_assert(e.obs.close_sent);
  cr_assert(e.obs.closing_handshake);
  env_stop(&e);
}

/* ---- transport modifiers ---- */

Test(runner, chop_1_still_echoes) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.chop", 3000);
  tc_add(&t, WS_STEP_CHOP)->number = 1;
  tc_text(&t, "chopped into bytes");
  tc_add(&t, WS_STEP_CHOP)->number = 0;
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_TEXT, "chopped into bytes", 18);
  assert_closed_1000(&e.obs);
  cr_assert(wire_has_note(&e.obs, "(in 1-byte writes)"));
  env_stop(&e);
}

Test(runner, handshake_coalesce_pipelines_frames) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.pipeline", 3000);
  tc_add(&t, WS_STEP_HANDSHAKE)->coalesce = true;
  tc_text(&t, "first");
  tc_text(&t, "second");
  tc_add(&t, WS_STEP_FLUSH);
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_TEXT, "first", 5);
  assert_message(&e.obs, 1, WS_OP_TEXT, "second", 6);
  /* The request and both frames left in one write. */
  const ws_wire_entry *w = NULL;
  for (size_t i = 0; i < e.obs.wire_count && !w; i++)
    if (e.obs.wire[i].dir == WS_WIRE_TX)
      w = &e.obs.wire[i];
  cr_assert_not_null(w);
  cr_assert_eq(memcmp(w->bytes, "GET / HTTP/1.1\r\n", 16), 0);
  cr_assert_not_null(strstr(w->note, "handshake request"));
  cr_assert_not_null(strstr(w->note, "step 3: frame text"));
  const uint8_t *end = memmem(w->bytes, w->len, "\r\n\r\n", 4);
  cr_assert_not_null(end);
  size_t frames = w->len - (size_t)(end + 4 - w->bytes);
  cr_assert_eq(frames, (2 + 4 + 5) + (2 + 4 + 6));
  env_stop(&e);
}

Test(runner, coalesce_step_sends_one_write) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.coalesce", 3000);
  tc_add(&t, WS_STEP_COALESCE);
  tc_text(&t, "a");
  tc_frame(&t, WS_OP_PING, "p", 1)->echo = true;
  tc_text(&t, "b");
  tc_add(&t, WS_STEP_FLUSH);
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_TEXT, "a", 1);
  assert_message(&e.obs, 1, WS_OP_TEXT, "b", 1);
  cr_assert_eq(count_events(&e.obs, WS_OBS_PONG), 1);
  size_t one_write = 0;
  for (size_t i = 0; i < e.obs.wire_count; i++)
    if (e.obs.wire[i].dir == WS_WIRE_TX && e.obs.wire[i].len == 3 * 7)
      one_write++;
  cr_assert_eq(one_write, 1);
  env_stop(&e);
}

/* ---- timing: wait and steps_started ---- */

Test(runner, fail_fast_close_before_labelled_step) {
  env e;
  env_start(&e);
  uint8_t head[10] = {'a', 'b', 'c', 0xff, 'd', 'e', 'f', 'g', 'h', 'i'};
  uint8_t rest[90];
  memset(rest, 'z', sizeof rest);
  tcase t;
  tc_init(&t, "t.failfast", 3000);
  t.c.serial = true;
  ws_step *f = tc_frame(&t, WS_OP_TEXT, head, sizeof head);
  f->frame.lie_length = true;
  f->frame.declared_length = 100;
  tc_wait(&t, 300);
  ws_step *r = tc_add(&t, WS_STEP_RAW);
  r->label = "rest";
  r->payload = tc_bytes(&t, rest, sizeof rest);
  run(&e, &t);
  assert_clean(&e.obs);
  const ws_obs_event *c = nth_event(&e.obs, WS_OBS_CLOSE, 0);
  cr_assert_not_null(c);
  cr_assert_eq(c->close_code, 1007);
  /* Arrived right after the frame or during the wait: the labelled step
   * (index 2) had not started, and never does. */
  cr_assert_geq(c->steps_started, 1);
  cr_assert_leq(c->steps_started, 2);
  cr_assert_lt(c->t_ms, 300);
  cr_assert_leq(e.obs.steps_started, 2);
  cr_assert(e.obs.peer_closed_tcp);
  cr_assert_leq(e.obs.tcp_end_steps_started, 2);
  cr_assert(wire_has_note(&e.obs, "to 3 not sent: the peer"));
  /* Our frame was finished with padding so the close reply is a frame. */
  cr_assert(wire_has_note(&e.obs, "padding: 90 zero bytes"));
  cr_assert(e.obs.closing_handshake);
  cr_assert(e.obs.peer_closed_first);
  env_stop(&e);
}

Test(runner, wait_lets_echo_arrive_between_steps) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.wait", 3000);
  tc_text(&t, "one");
  tc_wait(&t, 200);
  tc_text(&t, "two");
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  const ws_obs_event *m = nth_event(&e.obs, WS_OBS_MESSAGE, 0);
  /* Right after its step or during the wait, never after it. */
  cr_assert_leq(m->steps_started, 2);
  cr_assert_lt(m->t_ms, 200);
  const ws_obs_event *m2 = nth_event(&e.obs, WS_OBS_MESSAGE, 1);
  cr_assert_geq(m2->steps_started, 3);
  cr_assert_geq(m2->t_ms, 200);
  env_stop(&e);
}

/* ---- raw requests ---- */

#define REQ_HEAD                                                               \
  "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"              \
  "Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"

Test(runner, raw_request_bad_version_is_refused) {
  env e;
  env_start(&e);
  const char *req = REQ_HEAD "Sec-WebSocket-Version: 99\r\n\r\n";
  tcase t;
  tc_init(&t, "t.hsver", 3000);
  ws_step *s = tc_add(&t, WS_STEP_REQUEST);
  s->payload = tc_bytes(&t, req, strlen(req));
  s->request_is_template = true;
  tc_text(&t, "never sent");
  run(&e, &t);
  cr_assert_null(e.obs.harness_error);
  cr_assert(e.obs.response_complete);
  cr_assert_eq(e.obs.status, 426);
  cr_assert_not(e.obs.upgraded);
  cr_assert_eq(e.obs.upgrade_error, WS_E_HS_RESPONSE_STATUS);
  const char *v = header_value(&e.obs, "Sec-WebSocket-Version");
  cr_assert_not_null(v);
  cr_assert_str_eq(v, "13");
  cr_assert_eq(e.obs.steps_started, 1);
  cr_assert(e.obs.peer_closed_tcp);
  cr_assert_not(e.obs.deadline_hit);
  size_t len;
  uint8_t *tx = wire_bytes(&e.obs, WS_WIRE_TX, &len);
  cr_assert_not_null(strstr((char *)tx, "Host: 127.0.0.1:"));
  cr_assert_null(strstr((char *)tx, "{key}"));
  free(tx);
  env_stop(&e);
}

Test(runner, raw_request_valid_upgrades_and_echoes) {
  env e;
  env_start(&e);
  const char *req = REQ_HEAD "Sec-WebSocket-Version: 13\r\n\r\n";
  tcase t;
  tc_init(&t, "t.hsraw", 3000);
  ws_step *s = tc_add(&t, WS_STEP_REQUEST);
  s->payload = tc_bytes(&t, req, strlen(req));
  s->request_is_template = true;
  tc_text(&t, "after raw");
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_TEXT, "after raw", 9);
  assert_closed_1000(&e.obs);
  env_stop(&e);
}

Test(runner, handshake_offering_protocols_upgrades) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.hsproto", 3000);
  tc_add(&t, WS_STEP_HANDSHAKE)->protocols = "chat, superchat";
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  cr_assert_null(header_value(&e.obs, "Sec-WebSocket-Protocol"));
  size_t len;
  uint8_t *tx = wire_bytes(&e.obs, WS_WIRE_TX, &len);
  cr_assert_not_null(
      strstr((char *)tx, "Sec-WebSocket-Protocol: chat, superchat\r\n"));
  free(tx);
  env_stop(&e);
}

/* ---- targets that are not there or do not answer ---- */

Test(runner, connect_refused_is_harness_error) {
  ws_run_options o;
  options_for(&o, dead_port());
  tcase t;
  tc_init(&t, "t.refused", 1000);
  tc_text(&t, "x");
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(&t.c, &o, &obs);
  cr_assert_not_null(obs.harness_error);
  cr_assert_eq(obs.connect_error, ECONNREFUSED);
  cr_assert(strstr(obs.harness_error, "cannot connect to 127.0.0.1:"), "%s",
            obs.harness_error);
  cr_assert_not(obs.response_complete);
  ws_observation_free(&obs);
}

Test(runner, silent_peer_hits_deadline) {
  fake f = {0};
  fake_start(&f, FAKE_SILENT);
  ws_run_options o;
  options_for(&o, f.port);
  tcase t;
  tc_init(&t, "t.silent", 300);
  tc_text(&t, "x");
  ws_observation obs;
  ws_observation_init(&obs);
  int64_t start = now_ms();
  ws_run_case(&t.c, &o, &obs);
  int64_t took = now_ms() - start;
  cr_assert_null(obs.harness_error);
  cr_assert(obs.deadline_hit);
  cr_assert_not(obs.response_complete);
  cr_assert_not(obs.peer_closed_tcp);
  cr_assert_geq(took, 280);
  cr_assert_lt(took, 1000);
  cr_assert_eq(obs.steps_started, 0);
  ws_observation_free(&obs);
  fake_stop(&f);
}

Test(runner, timeout_scale_stretches_the_deadline) {
  fake f = {0};
  fake_start(&f, FAKE_SILENT);
  ws_run_options o;
  options_for(&o, f.port);
  o.timeout_scale = 2.0;
  tcase t;
  tc_init(&t, "t.scale", 200);
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(&t.c, &o, &obs);
  cr_assert(obs.deadline_hit);
  cr_assert_geq(obs.duration_ms, 390);
  cr_assert_lt(obs.duration_ms, 1000);
  ws_observation_free(&obs);
  fake_stop(&f);
}

Test(runner, no_close_reads_until_deadline) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.idle", 400);
  tc_text(&t, "no close");
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_TEXT, "no close", 8);
  cr_assert(e.obs.deadline_hit);
  cr_assert_not(e.obs.peer_closed_tcp);
  cr_assert_not(e.obs.close_sent);
  cr_assert_eq(count_events(&e.obs, WS_OBS_CLOSE), 0);
  cr_assert_geq(e.obs.duration_ms, 380);
  env_stop(&e);
}

Test(runner, refusing_peer_recorded) {
  fake f = {0};
  fake_start(&f, FAKE_REFUSE);
  ws_run_options o;
  options_for(&o, f.port);
  tcase t;
  tc_init(&t, "t.404", 2000);
  tc_text(&t, "x");
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(&t.c, &o, &obs);
  cr_assert(obs.response_complete);
  cr_assert_eq(obs.status, 404);
  cr_assert_not(obs.upgraded);
  cr_assert(obs.peer_closed_tcp);
  cr_assert_not(obs.deadline_hit);
  cr_assert_str_eq(header_value(&obs, "content-length"), "0");
  ws_observation_free(&obs);
  fake_stop(&f);
}

/* ---- peers that talk first ---- */

/* Decodes what the harness sent to a fake peer (client frames, strict). */
static size_t decode_client(fake *f, ws_message_event *out, size_t cap,
                            uint8_t copies[][128]) {
  ws_message_config mc = {.sender = WS_SENDER_CLIENT,
                          .policy = WS_POLICY_STRICT};
  ws_message_reader r;
  ws_message_reader_init(&r, &mc);
  size_t n = 0, pos = 0;
  while (n < cap) {
    size_t used = 0;
    int rc =
        ws_message_read(&r, f->got + pos, f->got_len - pos, &used, &out[n]);
    pos += used;
    if (rc != 1)
      break;
    size_t l = out[n].len < 128 ? out[n].len : 128;
    memcpy(copies[n], out[n].data, l);
    out[n].data = copies[n];
    n++;
  }
  ws_message_reader_free(&r);
  return n;
}

Test(runner, peer_frames_behind_101_ping_and_close) {
  fake f = {0};
  fake_frame(&f, WS_OP_TEXT, false, "early", 5);
  fake_frame(&f, WS_OP_PING, false, "hi", 2);
  uint8_t close[2] = {0x03, 0xe9}; /* 1001 */
  fake_frame(&f, WS_OP_CLOSE, false, close, 2);
  fake_start(&f, FAKE_SCRIPT);
  ws_run_options o;
  options_for(&o, f.port);
  o.timeout_scale = 0.3; /* grace: 300 ms */
  tcase t;
  tc_init(&t, "t.talker", 3000);
  tc_wait(&t, 100);
  tc_text(&t, "skipped");
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(&t.c, &o, &obs);
  fake_stop(&f);
  cr_assert(obs.upgraded);
  assert_message(&obs, 0, WS_OP_TEXT, "early", 5);
  const ws_obs_event *p = nth_event(&obs, WS_OBS_PING, 0);
  cr_assert_not_null(p);
  cr_assert_eq(p->len, 2);
  const ws_obs_event *c = nth_event(&obs, WS_OBS_CLOSE, 0);
  cr_assert_eq(c->close_code, 1001);
  cr_assert(obs.close_sent);
  cr_assert(obs.closing_handshake);
  /* The fake never closes TCP: the harness does, after its grace. */
  cr_assert_not(obs.peer_closed_first);
  cr_assert(wire_has_note(&obs, "did not close TCP"));
  cr_assert_eq(obs.steps_started, 0); /* the close came before the wait */
  /* What the fake got: a masked pong "hi", then close 1001. */
  ws_message_event ev[4];
  uint8_t copies[4][128];
  size_t n = decode_client(&f, ev, 4, copies);
  cr_assert_eq(n, 2);
  cr_assert_eq(ev[0].type, WS_MSG_PONG);
  cr_assert_eq(ev[0].len, 2);
  cr_assert_eq(memcmp(ev[0].data, "hi", 2), 0);
  cr_assert_eq(ev[1].type, WS_MSG_CLOSE);
  cr_assert_eq(ev[1].close_code, 1001);
  ws_observation_free(&obs);
}

Test(runner, peer_invalid_close_code_answered_with_1002) {
  fake f = {0};
  uint8_t close[2] = {0x03, 0xec}; /* 1004: invalid on the wire */
  fake_frame(&f, WS_OP_CLOSE, false, close, 2);
  fake_start(&f, FAKE_SCRIPT);
  ws_run_options o;
  options_for(&o, f.port);
  o.timeout_scale = 0.2;
  tcase t;
  tc_init(&t, "t.badclose", 5000);
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(&t.c, &o, &obs);
  fake_stop(&f);
  const ws_obs_event *v = nth_event(&obs, WS_OBS_VIOLATION, 0);
  cr_assert_not_null(v);
  cr_assert_eq(v->violation, WS_E_CLOSE_CODE_INVALID);
  cr_assert_eq(nth_event(&obs, WS_OBS_CLOSE, 0)->close_code, 1004);
  ws_message_event ev[2];
  uint8_t copies[2][128];
  cr_assert_eq(decode_client(&f, ev, 2, copies), 1);
  cr_assert_eq(ev[0].type, WS_MSG_CLOSE);
  cr_assert_eq(ev[0].close_code, 1002);
  ws_observation_free(&obs);
}

Test(runner, masked_server_frame_is_violation_then_drop) {
  fake f = {0};
  fake_frame(&f, WS_OP_TEXT, true, "masked", 6);
  f.close_after = true;
  fake_start(&f, FAKE_SCRIPT);
  ws_run_options o;
  options_for(&o, f.port);
  tcase t;
  tc_init(&t, "t.masked", 3000);
  tc_wait(&t, 1000);
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(&t.c, &o, &obs);
  fake_stop(&f);
  const ws_obs_event *v = nth_event(&obs, WS_OBS_VIOLATION, 0);
  cr_assert_not_null(v);
  cr_assert_eq(v->violation, WS_E_MASKED_FRAME);
  /* A drop: TCP closed, no close frame, at the latest during the wait
   * (the FIN may arrive with the 101, before any step). */
  cr_assert(obs.peer_closed_tcp);
  cr_assert_eq(count_events(&obs, WS_OBS_CLOSE), 0);
  cr_assert_leq(obs.tcp_end_steps_started, 1);
  cr_assert_not(obs.peer_closed_first);
  cr_assert_lt(obs.duration_ms, 900); /* the wait ended with the input */
  ws_observation_free(&obs);
}

/* ---- the wire log and reproducibility ---- */

Test(runner, wire_log_records_both_directions) {
  env e;
  env_start(&e);
  tcase t;
  tc_init(&t, "t.wire", 3000);
  tc_text(&t, "logged");
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  size_t tx_len, rx_len;
  uint8_t *tx = wire_bytes(&e.obs, WS_WIRE_TX, &tx_len);
  uint8_t *rx = wire_bytes(&e.obs, WS_WIRE_RX, &rx_len);
  cr_assert_eq(memcmp(tx, "GET / HTTP/1.1\r\n", 16), 0);
  cr_assert_eq(memcmp(rx, "HTTP/1.1 101", 12), 0);
  /* RX ends with the echo (2+6) and the close (2+2) after the 101. */
  cr_assert_eq(rx[rx_len - 4], 0x88);
  cr_assert_eq(e.obs.wire_bytes, tx_len + rx_len);
  cr_assert_not(e.obs.wire_truncated);
  cr_assert(wire_has_note(&e.obs, "step 1: frame text fin=1 len=6"));
  cr_assert(wire_has_note(&e.obs, "handshake request"));
  double last = 0;
  for (size_t i = 0; i < e.obs.wire_count; i++) {
    cr_assert_geq(e.obs.wire[i].t_ms, last);
    last = e.obs.wire[i].t_ms;
  }
  free(tx);
  free(rx);
  env_stop(&e);
}

static uint8_t *tx_for_seed(env *e, uint64_t seed, size_t *len) {
  tcase t;
  tc_init(&t, "t.seed", 3000);
  tc_text(&t, "same bytes");
  tc_frame(&t, WS_OP_PING, "p", 1);
  tc_close(&t, 1000);
  e->opt.seed = seed;
  run(e, &t);
  assert_clean(&e->obs);
  return wire_bytes(&e->obs, WS_WIRE_TX, len);
}

Test(runner, same_seed_same_bytes) {
  env e;
  env_start(&e);
  size_t a_len, b_len, c_len;
  uint8_t *a = tx_for_seed(&e, 7, &a_len);
  uint8_t *b = tx_for_seed(&e, 7, &b_len);
  uint8_t *c = tx_for_seed(&e, 8, &c_len);
  cr_assert_eq(a_len, b_len);
  cr_assert_eq(memcmp(a, b, a_len), 0);
  cr_assert_eq(a_len, c_len);
  cr_assert_neq(memcmp(a, c, a_len), 0); /* key and mask keys differ */
  free(a);
  free(b);
  free(c);
  env_stop(&e);
}

Test(runner, big_echo_while_sending_no_deadlock, .timeout = 60) {
  env e;
  env_start(&e);
  size_t len = (size_t)16 << 20;
  uint8_t *big = malloc(len);
  for (size_t i = 0; i < len; i++)
    big[i] = (uint8_t)(i >> 3);
  tcase t;
  tc_init(&t, "t.16m", 30000);
  tc_frame(&t, WS_OP_BINARY, big, len)->echo = true;
  tc_frame(&t, WS_OP_BINARY, big, len)->echo = true;
  tc_close(&t, 1000);
  run(&e, &t);
  assert_clean(&e.obs);
  assert_message(&e.obs, 0, WS_OP_BINARY, big, len);
  assert_message(&e.obs, 1, WS_OP_BINARY, big, len);
  assert_closed_1000(&e.obs);
  cr_assert(e.obs.wire_truncated);
  cr_assert_leq(e.obs.wire_charge, e.obs.wire_max);
  cr_assert_gt(e.obs.wire_dropped, 2 * len - e.obs.wire_max);
  cr_assert(wire_has_note(&e.obs, "wire log full"));
  free(big);
  env_stop(&e);
}

/* ---- preflight and liveness ---- */

Test(runner, preflight_ok_and_refused) {
  env e;
  env_start(&e);
  char err[256] = "";
  cr_assert_eq(ws_run_preflight(&e.opt, err, sizeof err), WS_PREFLIGHT_OK, "%s",
               err);
  ws_run_options dead;
  options_for(&dead, dead_port());
  cr_assert_eq(ws_run_preflight(&dead, err, sizeof err),
               WS_PREFLIGHT_UNREACHABLE);
  cr_assert_not_null(strstr(err, "connection refused"), "%s", err);
  env_stop(&e);
}

Test(runner, preflight_reports_http_status) {
  fake f = {0};
  fake_start(&f, FAKE_REFUSE);
  ws_run_options o;
  options_for(&o, f.port);
  char err[256] = "";
  cr_assert_eq(ws_run_preflight(&o, err, sizeof err), WS_PREFLIGHT_REFUSED);
  cr_assert_str_eq(err, "HTTP 404 instead of 101");
  fake_stop(&f);
}

Test(runner, preflight_reports_timeout) {
  fake f = {0};
  fake_start(&f, FAKE_SILENT);
  ws_run_options o;
  options_for(&o, f.port);
  o.timeout_scale = 0.1; /* 500 ms */
  char err[256] = "";
  cr_assert_eq(ws_run_preflight(&o, err, sizeof err), WS_PREFLIGHT_UNREACHABLE);
  cr_assert_not_null(strstr(err, "timed out after 500 ms"), "%s", err);
  fake_stop(&f);
}

Test(runner, liveness_probe) {
  env e;
  env_start(&e);
  cr_assert_eq(ws_run_liveness(&e.opt), 1);
  tcase t;
  tc_init(&t, "t.alive", 3000);
  t.c.uses_alive = true;
  tc_frame(&t, WS_OP_TEXT, "\xff", 1); /* 1007, then the probe */
  run(&e, &t);
  cr_assert_eq(e.obs.alive, 1);
  ws_run_options dead;
  options_for(&dead, dead_port());
  cr_assert_eq(ws_run_liveness(&dead), 0);
  env_stop(&e);
}
