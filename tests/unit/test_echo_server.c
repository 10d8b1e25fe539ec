/* Tests for server/echo_server.c: the real reactor in a thread on loopback,
 * driven through real sockets. Every receive has a timeout (SO_RCVTIMEO), and
 * every loop is bounded, so a broken server fails a test instead of hanging
 * it. */
#include "codec/frame.h"
#include "server/echo_server.h"
#include "server/timers.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define SAMPLE_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static const char request[] = "GET / HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";

/* ---- the server under test, in its own thread ---- */

struct running {
  ws_echo_server *server;
  pthread_t thread;
  int run_rc;
};

static void *run_thread(void *arg) {
  struct running *r = arg;
  r->run_rc = ws_echo_server_run(r->server);
  return NULL;
}

static void start_with(struct running *r, ws_echo_server_options *o) {
  memset(r, 0, sizeof(*r));
  r->run_rc = 1;
  cr_assert_eq(ws_echo_server_open(o, &r->server), 0);
  cr_assert_neq(ws_echo_server_port(r->server), 0);
  cr_assert_eq(pthread_create(&r->thread, NULL, run_thread, r), 0);
}

static void start(struct running *r) {
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.handshake_timeout_ms = 2000;
  start_with(r, &o);
}

static void stop(struct running *r) {
  ws_echo_server_stop(r->server);
  cr_assert_eq(pthread_join(r->thread, NULL), 0);
  cr_assert_eq(r->run_rc, 0);
  ws_echo_server_close(r->server);
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls cond until it holds or 2 s pass. */
#define EVENTUALLY(cond)                                                       \
  do {                                                                         \
    int64_t until_ = mono_ms() + 2000;                                         \
    while (!(cond) && mono_ms() < until_)                                      \
      usleep(5000);                                                            \
    cr_assert(cond, "never true: %s", #cond);                                  \
  } while (0)

/* ---- a minimal blocking client ---- */

static int dial(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_geq(fd, 0);
  struct timeval tv = {.tv_sec = 2};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return fd;
}

static void send_all(int fd, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    cr_assert_gt(n, 0, "send: %s", strerror(errno));
    p += n;
    len -= (size_t)n;
  }
}

/* Reads exactly len bytes; false on EOF, error or timeout. */
static bool recv_exact(int fd, void *out, size_t len) {
  uint8_t *p = out;
  while (len > 0) {
    ssize_t n = recv(fd, p, len, 0);
    if (n <= 0)
      return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

/* Reads the response header block (up to the blank line) into out. */
static void read_response(int fd, char *out, size_t cap) {
  size_t len = 0;
  while (len + 1 < cap) {
    cr_assert(recv_exact(fd, out + len, 1), "response cut short");
    len++;
    out[len] = '\0';
    if (len >= 4 && memcmp(out + len - 4, "\r\n\r\n", 4) == 0)
      return;
  }
  cr_assert_fail("response header block too long");
}

/* Reads the body a refusal announces with Content-Length, so that the next
 * read can tell EOF. */
static void skip_body(int fd, const char *resp) {
  const char *cl = strcasestr(resp, "\r\nContent-Length:");
  if (!cl)
    return;
  size_t len = strtoul(cl + 17, NULL, 10);
  cr_assert_lt(len, 4096);
  char body[4096];
  cr_assert(recv_exact(fd, body, len), "refusal body cut short");
}

static int dial_upgraded(uint16_t port) {
  int fd = dial(port);
  send_all(fd, request, strlen(request));
  char resp[1024];
  read_response(fd, resp, sizeof(resp));
  cr_assert(strncmp(resp, "HTTP/1.1 101", 12) == 0, "got: %s", resp);
  cr_assert_not_null(strstr(resp, SAMPLE_ACCEPT));
  return fd;
}

static void send_frame(int fd, uint8_t opcode, const void *payload,
                       size_t len) {
  ws_frame_spec spec = {
      .fin = true, .opcode = opcode, .masked = true, .mask_key = {1, 2, 3, 4}};
  size_t cap = len + WS_FRAME_MAX_HEADER;
  uint8_t *buf = malloc(cap);
  cr_assert_not_null(buf);
  ssize_t n = ws_frame_encode(&spec, payload, len, buf, cap);
  cr_assert_gt(n, 0);
  send_all(fd, buf, (size_t)n);
  free(buf);
}

/* Reads one server frame; the payload is malloc'ed (caller frees). */
static uint8_t *recv_frame(int fd, uint8_t *opcode, size_t *len) {
  uint8_t h[2];
  cr_assert(recv_exact(fd, h, 2), "no frame header");
  cr_assert_eq(h[1] & 0x80, 0, "server frame is masked");
  *opcode = h[0] & 0x0f;
  uint64_t n = h[1] & 0x7f;
  size_t ext = n == 126 ? 2 : n == 127 ? 8 : 0;
  uint8_t e[8];
  cr_assert(recv_exact(fd, e, ext));
  if (ext) {
    n = 0;
    for (size_t i = 0; i < ext; i++)
      n = n << 8 | e[i];
  }
  cr_assert_lt(n, (uint64_t)64 << 20);
  uint8_t *p = malloc(n ? n : 1);
  cr_assert_not_null(p);
  cr_assert(recv_exact(fd, p, n), "frame payload cut short");
  *len = (size_t)n;
  return p;
}

static void expect_echo(int fd, uint8_t opcode, const void *payload,
                        size_t len) {
  send_frame(fd, opcode, payload, len);
  uint8_t op;
  size_t got;
  uint8_t *p = recv_frame(fd, &op, &got);
  cr_assert_eq(op, opcode);
  cr_assert_eq(got, len);
  cr_assert(len == 0 || memcmp(p, payload, len) == 0);
  free(p);
}

/* True when the next read sees EOF (not a timeout, not data). */
static bool reads_eof(int fd) {
  char c;
  return recv(fd, &c, 1, 0) == 0;
}

/* ---- tests ---- */

Test(echo_server, handshake_and_echo) {
  struct running r;
  start(&r);
  int fd = dial_upgraded(ws_echo_server_port(r.server));
  expect_echo(fd, WS_OP_TEXT, "hello", 5);
  expect_echo(fd, WS_OP_BINARY, "\x00\x01\x02", 3);
  send_frame(fd, WS_OP_PING, "pp", 2);
  uint8_t op;
  size_t len;
  uint8_t *p = recv_frame(fd, &op, &len);
  cr_assert(op == WS_OP_PONG && len == 2 && memcmp(p, "pp", 2) == 0);
  free(p);
  close(fd);
  stop(&r);
}

Test(echo_server, large_message_is_echoed_through_partial_writes) {
  struct running r;
  start(&r);
  int fd = dial_upgraded(ws_echo_server_port(r.server));
  /* Bigger than the socket buffers: the server must queue and use EPOLLOUT
   * while we are still sending. A sender thread is not needed because the
   * server reads the whole message before echoing any of it; SO_SNDBUF on
   * loopback absorbs the rest while we read. */
  size_t len = 3 << 20;
  uint8_t *msg = malloc(len);
  cr_assert_not_null(msg);
  for (size_t i = 0; i < len; i++)
    msg[i] = (uint8_t)(i * 31);
  expect_echo(fd, WS_OP_BINARY, msg, len);
  free(msg);
  close(fd);
  stop(&r);
}

Test(echo_server, two_clients_interleaved) {
  struct running r;
  start(&r);
  uint16_t port = ws_echo_server_port(r.server);
  int a = dial_upgraded(port);
  int b = dial_upgraded(port);
  EVENTUALLY(ws_echo_server_connection_count(r.server) == 2);
  for (int i = 0; i < 20; i++) {
    char msg[32];
    int n = snprintf(msg, sizeof(msg), "message %d", i);
    expect_echo(i % 2 ? a : b, WS_OP_TEXT, msg, (size_t)n);
  }
  close(a);
  close(b);
  EVENTUALLY(ws_echo_server_connection_count(r.server) == 0);
  stop(&r);
}

Test(echo_server, garbage_client_does_not_stop_others) {
  struct running r;
  start(&r);
  uint16_t port = ws_echo_server_port(r.server);
  int good = dial_upgraded(port);
  int bad = dial(port);
  static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\xff\r\n\r\n";
  send_all(bad, junk, sizeof(junk) - 1);
  char resp[1024];
  read_response(bad, resp, sizeof(resp));
  cr_assert(strncmp(resp, "HTTP/1.1 400", 12) == 0, "got: %s", resp);
  skip_body(bad, resp);
  cr_assert(reads_eof(bad), "refused connection is closed");
  close(bad);
  /* An upgraded client that breaks the protocol gets a close, then EOF. */
  int rude = dial_upgraded(port);
  send_all(rude, "\x81\x05hello", 7); /* unmasked */
  uint8_t op;
  size_t len;
  uint8_t *p = recv_frame(rude, &op, &len);
  cr_assert(op == WS_OP_CLOSE && len >= 2 && p[0] == 0x03 && p[1] == 0xEA);
  free(p);
  cr_assert(reads_eof(rude));
  close(rude);
  expect_echo(good, WS_OP_TEXT, "still here", 10);
  close(good);
  stop(&r);
}

Test(echo_server, reset_client_does_not_stop_others) {
  struct running r;
  start(&r);
  uint16_t port = ws_echo_server_port(r.server);
  for (int i = 0; i < 5; i++) {
    int fd = dial_upgraded(port);
    /* Unread echo in our buffer plus SO_LINGER 0: close() sends an RST. */
    send_frame(fd, WS_OP_TEXT, "x", 1);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
  }
  int fd = dial_upgraded(port);
  expect_echo(fd, WS_OP_TEXT, "alive", 5);
  close(fd);
  EVENTUALLY(ws_echo_server_connection_count(r.server) == 0);
  stop(&r);
}

Test(echo_server, handshake_deadline_closes_silent_client) {
  struct running r;
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.handshake_timeout_ms = 200;
  start_with(&r, &o);
  int fd = dial(ws_echo_server_port(r.server));
  int64_t t0 = mono_ms();
  char resp[1024];
  read_response(fd, resp, sizeof(resp));
  int64_t waited = mono_ms() - t0;
  cr_assert(strncmp(resp, "HTTP/1.1 408", 12) == 0, "got: %s", resp);
  cr_assert_geq(waited, 150, "closed after %lld ms", (long long)waited);
  cr_assert_lt(waited, 1500, "closed after %lld ms", (long long)waited);
  skip_body(fd, resp);
  cr_assert(reads_eof(fd));
  close(fd);
  EVENTUALLY(ws_echo_server_connection_count(r.server) == 0);
  stop(&r);
}

Test(echo_server, upgraded_idle_client_has_no_deadline) {
  struct running r;
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.handshake_timeout_ms = 100;
  start_with(&r, &o);
  int fd = dial_upgraded(ws_echo_server_port(r.server));
  usleep(400 * 1000);
  expect_echo(fd, WS_OP_TEXT, "after idle", 10);
  close(fd);
  stop(&r);
}

Test(echo_server, server_closes_tcp_first_after_close_exchange) {
  struct running r;
  start(&r);
  int fd = dial_upgraded(ws_echo_server_port(r.server));
  send_frame(fd, WS_OP_CLOSE, "\x03\xe8", 2);
  uint8_t op;
  size_t len;
  uint8_t *p = recv_frame(fd, &op, &len);
  cr_assert_eq(op, WS_OP_CLOSE);
  cr_assert(len == 2 && p[0] == 0x03 && p[1] == 0xe8);
  free(p);
  /* We have not shut down our side: the EOF is the server's FIN. */
  cr_assert(reads_eof(fd), "server did not close TCP first");
  close(fd);
  EVENTUALLY(ws_echo_server_connection_count(r.server) == 0);
  stop(&r);
}

Test(echo_server, close_frame_survives_unread_input) {
  /* Data sent after the close sits unread in the server's socket when it
   * decides to close; a bare close() would RST and could destroy the close
   * frame. The client must still read the close frame and a clean EOF. */
  struct running r;
  start(&r);
  int fd = dial_upgraded(ws_echo_server_port(r.server));
  /* The close and 200 KB after it in one write: more than the server reads
   * in one go, so input is still unread when it decides to close. */
  static const uint8_t close_frame[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8};
  size_t junk_len = 200 * 1024;
  uint8_t *buf = malloc(sizeof(close_frame) + junk_len);
  cr_assert_not_null(buf);
  memcpy(buf, close_frame, sizeof(close_frame));
  memset(buf + sizeof(close_frame), 0x55, junk_len);
  send_all(fd, buf, sizeof(close_frame) + junk_len);
  free(buf);
  uint8_t op;
  size_t len;
  uint8_t *p = recv_frame(fd, &op, &len);
  cr_assert_eq(op, WS_OP_CLOSE);
  free(p);
  cr_assert(reads_eof(fd));
  close(fd);
  stop(&r);
}

Test(echo_server, byte_at_a_time_handshake) {
  struct running r;
  start(&r);
  int fd = dial(ws_echo_server_port(r.server));
  for (size_t i = 0; i < strlen(request); i++)
    send_all(fd, request + i, 1);
  char resp[1024];
  read_response(fd, resp, sizeof(resp));
  cr_assert(strncmp(resp, "HTTP/1.1 101", 12) == 0, "got: %s", resp);
  expect_echo(fd, WS_OP_TEXT, "drip", 4);
  close(fd);
  stop(&r);
}

Test(echo_server, max_connections_refuses_extra) {
  struct running r;
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.max_connections = 1;
  start_with(&r, &o);
  uint16_t port = ws_echo_server_port(r.server);
  int first = dial_upgraded(port);
  int second = dial(port);
  cr_assert(reads_eof(second), "connection over the limit not closed");
  close(second);
  expect_echo(first, WS_OP_TEXT, "first", 5);
  close(first);
  stop(&r);
}

Test(echo_server, stop_returns_promptly) {
  struct running r;
  start(&r);
  int fd = dial_upgraded(ws_echo_server_port(r.server));
  int64_t t0 = mono_ms();
  stop(&r); /* also closes the open connection */
  cr_assert_lt(mono_ms() - t0, 500);
  close(fd);
}

Test(echo_server, stop_before_run_returns_at_once) {
  ws_echo_server *s;
  cr_assert_eq(ws_echo_server_open(NULL, &s), 0);
  ws_echo_server_stop(s);
  cr_assert_eq(ws_echo_server_run(s), 0);
  ws_echo_server_close(s);
}

Test(echo_server, bad_host_and_busy_port_are_reported) {
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  ws_echo_server *s = (ws_echo_server *)1;
  o.host = "localhost"; /* numeric hosts only */
  cr_assert_eq(ws_echo_server_open(&o, &s), -EINVAL);
  cr_assert_null(s);
  o.host = "127.0.0.1";
  ws_echo_server *first;
  cr_assert_eq(ws_echo_server_open(&o, &first), 0);
  o.port = ws_echo_server_port(first);
  cr_assert_eq(ws_echo_server_open(&o, &s), -EADDRINUSE);
  ws_echo_server_close(first);
}

Test(echo_server, ipv6_loopback) {
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.host = "[::1]";
  ws_echo_server *s;
  int rc = ws_echo_server_open(&o, &s);
  if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT)
    cr_skip_test("no IPv6 loopback here");
  cr_assert_eq(rc, 0);
  struct running r = {.server = s, .run_rc = 1};
  cr_assert_eq(pthread_create(&r.thread, NULL, run_thread, &r), 0);
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct timeval tv = {.tv_sec = 2};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                           .sin6_port = htons(ws_echo_server_port(s)),
                           .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  send_all(fd, request, strlen(request));
  char resp[1024];
  read_response(fd, resp, sizeof(resp));
  cr_assert(strncmp(resp, "HTTP/1.1 101", 12) == 0);
  expect_echo(fd, WS_OP_TEXT, "v6", 2);
  close(fd);
  stop(&r);
}

Test(echo_server, ping_flood_without_reading_keeps_memory_bounded) {
  /* The client floods pings and never reads: the server must stop reading
   * once its backlog is over max_backlog instead of queueing forever, and
   * still serve another client meanwhile. */
  struct running r;
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.conn.max_message = 4096;
  o.conn.max_backlog = 16 * 1024;
  start_with(&r, &o);
  uint16_t port = ws_echo_server_port(r.server);
  int flood = dial_upgraded(port);
  struct timeval tv = {.tv_usec = 200 * 1000};
  setsockopt(flood, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  uint8_t ping[131];
  ws_frame_spec spec = {.fin = true, .opcode = WS_OP_PING, .masked = true};
  uint8_t payload[125] = {0};
  ssize_t n = ws_frame_encode(&spec, payload, 125, ping, sizeof(ping));
  cr_assert_eq(n, 131);
  size_t sent = 0;
  /* Bounded: stop when the kernel buffers are full (send times out). */
  for (int i = 0; i < 200000; i++) {
    ssize_t w = send(flood, ping, sizeof(ping), MSG_NOSIGNAL);
    if (w <= 0)
      break;
    sent += (size_t)w;
  }
  /* Without backpressure the server would read all 26 MB and queue the
   * pongs; with it, the kernel buffers fill and send() times out. */
  cr_assert_lt(sent, (size_t)200000 * sizeof(ping), "server never paused");
  int other = dial_upgraded(port);
  expect_echo(other, WS_OP_TEXT, "unaffected", 10);
  close(other);
  close(flood);
  stop(&r);
}

Test(echo_server, fd_exhaustion_backs_off_instead_of_spinning) {
  struct running r;
  start(&r);
  uint16_t port = ws_echo_server_port(r.server);
  /* Fill the descriptor table with dummies, then free one slot for a client
   * socket: the server's accept4 then fails with EMFILE while the pending
   * connection keeps the listening socket readable. */
  struct rlimit lim = {.rlim_cur = 64, .rlim_max = 64};
  struct rlimit old;
  cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
  lim.rlim_max = old.rlim_max;
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
  int dummies[64];
  int ndummies = 0;
  for (; ndummies < 64; ndummies++) {
    dummies[ndummies] = dup(0);
    if (dummies[ndummies] < 0)
      break;
  }
  cr_assert_gt(ndummies, 1);
  close(dummies[--ndummies]);
  int fd = dial(port);
  send_all(fd, request, strlen(request));
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  usleep(500 * 1000);
  getrusage(RUSAGE_SELF, &after);
  long cpu_us = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1000000L +
                (after.ru_utime.tv_usec - before.ru_utime.tv_usec) +
                (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000000L +
                (after.ru_stime.tv_usec - before.ru_stime.tv_usec);
  cr_assert_lt(cpu_us, 50000, "accept loop spun: %ld us CPU in 500 ms", cpu_us);
  /* Descriptors come back: the pending client is accepted and served. */
  while (ndummies > 0)
    close(dummies[--ndummies]);
  char resp[1024];
  read_response(fd, resp, sizeof(resp));
  cr_assert(strncmp(resp, "HTTP/1.1 101", 12) == 0, "got: %s", resp);
  expect_echo(fd, WS_OP_TEXT, "back", 4);
  close(fd);
  stop(&r);
}

/* The deadline heap against a brute-force minimum, over random arm, re-arm
 * and cancel operations. */
Test(echo_server_timers, heap_always_yields_the_earliest_deadline) {
  enum { N = 200 };
  ws_timers heap;
  ws_timers_init(&heap);
  cr_assert_eq(ws_timers_reserve(&heap, N), 0);
  ws_timer t[N];
  for (int i = 0; i < N; i++)
    ws_timer_init(&t[i]);
  unsigned seed = 12345;
  for (int step = 0; step < 20000; step++) {
    seed = seed * 1103515245u + 12345u;
    int i = (int)((seed >> 8) % N);
    if ((seed >> 20) % 4 == 0)
      ws_timers_cancel(&heap, &t[i]);
    else
      ws_timers_arm(&heap, &t[i], (int64_t)((seed >> 4) % 1000));
    ws_timer *best = NULL;
    for (int k = 0; k < N; k++)
      if (ws_timer_armed(&t[k]) &&
          (!best || t[k].deadline_ms < best->deadline_ms))
        best = &t[k];
    ws_timer *first = ws_timers_first(&heap);
    if (!best) {
      cr_assert_null(first);
      continue;
    }
    cr_assert_not_null(first);
    cr_assert_eq(first->deadline_ms, best->deadline_ms, "step %d", step);
  }
  ws_timers_free(&heap);
  for (int i = 0; i < N; i++)
    cr_assert_not(ws_timer_armed(&t[i]));
}
