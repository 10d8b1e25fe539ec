/* Tests for the reference server over TLS (server/tls.c and its use in
 * server/echo_server.c): the reactor in a thread on loopback, a client made
 * of the harness's own TLS transport (io/tls.h), so each client write is one
 * TLS record. The certificate is made with the openssl command. */
#include "codec/frame.h"
#include "io/tcp.h"
#include "io/tls.h"
#include "server/echo_server.h"
#include "util/clock.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 5000

static const char request[] = "GET / HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";

static char dir[64], cert[128], key[128];

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/wsprobe-tls-srv-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
           "-nodes -days 2 -subj /CN=wsprobe-test -addext "
           "subjectAltName=IP:127.0.0.1 -keyout %s -out %s 2>/dev/null",
           key, cert);
  cr_assert_eq(system(cmd), 0, "openssl req failed");
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  (void)system(cmd);
}

TestSuite(echo_server_tls, .init = setup, .fini = teardown, .timeout = 30);

/* ---- the server, in its own thread ---- */

struct running {
  ws_server_tls *tls;
  ws_echo_server *server;
  pthread_t thread;
  int run_rc;
};

static void *run_thread(void *arg) {
  struct running *r = arg;
  r->run_rc = ws_echo_server_run(r->server);
  return NULL;
}

static void start(struct running *r, int handshake_timeout_ms) {
  memset(r, 0, sizeof *r);
  char err[256];
  cr_assert_eq(ws_server_tls_new(cert, key, &r->tls, err, sizeof err), 0, "%s",
               err);
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.handshake_timeout_ms = handshake_timeout_ms;
  o.tls = r->tls;
  cr_assert_eq(ws_echo_server_open(&o, &r->server), 0);
  cr_assert_eq(pthread_create(&r->thread, NULL, run_thread, r), 0);
}

static void stop(struct running *r) {
  ws_echo_server_stop(r->server);
  cr_assert_eq(pthread_join(r->thread, NULL), 0);
  cr_assert_eq(r->run_rc, 0);
  ws_echo_server_close(r->server);
  ws_server_tls_free(r->tls);
}

/* ---- the client ---- */

static ws_transport *dial_tls(struct running *r, ws_tls_context **ctx) {
  ws_tls_client_config c = {.ca_file = cert};
  char err[256];
  cr_assert_eq(ws_tls_client_context(&c, ctx, err, sizeof err), 0, "%s", err);
  int64_t deadline = ws_now_ms() + WAIT_MS;
  int fd;
  cr_assert_eq(ws_tcp_connect_fd("127.0.0.1", ws_echo_server_port(r->server),
                                 deadline, &fd),
               0);
  ws_transport *t;
  cr_assert_eq(
      ws_tls_connect(*ctx, fd, "127.0.0.1", deadline, &t, err, sizeof err), 0,
      "%s", err);
  return t;
}

/* Writes buf in pieces of `piece` bytes: one write, one record, each. */
static void write_records(ws_transport *t, const uint8_t *buf, size_t len,
                          size_t piece) {
  while (len > 0) {
    ssize_t n = ws_transport_write(t, buf, len < piece ? len : piece);
    if (n == -EAGAIN) {
      cr_assert_gt(ws_transport_wait(t, WS_IO_WRITE, WAIT_MS), 0);
      continue;
    }
    cr_assert_gt(n, 0, "write: %zd", n);
    buf += n;
    len -= (size_t)n;
  }
}

/* Reads exactly len bytes (0 < len), or fails the test. */
static void read_exact(ws_transport *t, uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = ws_transport_read(t, buf, len);
    if (n == -EAGAIN) {
      cr_assert_gt(ws_transport_wait(t, WS_IO_READ, WAIT_MS), 0,
                   "nothing from the server");
      continue;
    }
    cr_assert_gt(n, 0, "read: %zd", n);
    buf += n;
    len -= (size_t)n;
  }
}

/* The next read's result once something is there: 0 is the end. */
static ssize_t read_end(ws_transport *t) {
  uint8_t c;
  for (;;) {
    ssize_t n = ws_transport_read(t, &c, 1);
    if (n != -EAGAIN)
      return n;
    if (ws_transport_wait(t, WS_IO_READ, WAIT_MS) <= 0)
      return -ETIMEDOUT;
  }
}

static size_t masked_frame(uint8_t opcode, const uint8_t *payload, size_t len,
                           uint8_t *out, size_t cap) {
  ws_frame_spec spec = {
      .fin = true, .opcode = opcode, .masked = true, .mask_key = {9, 8, 7, 6}};
  ssize_t n = ws_frame_encode(&spec, payload, len, out, cap);
  cr_assert_gt(n, 0);
  return (size_t)n;
}

/* Reads an unmasked server frame whose payload fits 16-bit lengths. */
static void expect_frame(ws_transport *t, uint8_t opcode,
                         const uint8_t *payload, size_t len) {
  uint8_t h[4];
  read_exact(t, h, 2);
  cr_assert_eq(h[0], 0x80 | opcode);
  size_t n = h[1];
  if (n == 126) {
    read_exact(t, h + 2, 2);
    n = (size_t)h[2] << 8 | h[3];
  }
  cr_assert_eq(n, len);
  uint8_t *got = malloc(len + 1);
  cr_assert_not_null(got);
  if (len)
    read_exact(t, got, len);
  cr_assert(len == 0 || memcmp(got, payload, len) == 0);
  free(got);
}

/* A plain TCP connection to the server, blocking, reads bounded by 3 s. */
static int dial_plain(struct running *r) {
  int fd;
  cr_assert_eq(ws_tcp_connect_fd("127.0.0.1", ws_echo_server_port(r->server),
                                 ws_now_ms() + WAIT_MS, &fd),
               0);
  int flags = fcntl(fd, F_GETFL);
  cr_assert_eq(fcntl(fd, F_SETFL, flags & ~O_NONBLOCK), 0);
  struct timeval tv = {.tv_sec = 3};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/* ---- tests ---- */

/* A record per byte, the request included: the server's read-ahead takes
 * many records in one recv, and each must reach the connection, also those
 * left in OpenSSL's buffer when its per-event bound stops the loop. */
Test(echo_server_tls, records_of_one_byte_are_all_read) {
  struct running r;
  start(&r, 5000);
  ws_tls_context *ctx;
  ws_transport *t = dial_tls(&r, &ctx);
  write_records(t, (const uint8_t *)request, strlen(request), 1);
  char resp[256] = "";
  size_t len = 0;
  while (len < 4 || memcmp(resp + len - 4, "\r\n\r\n", 4) != 0) {
    cr_assert_lt(len + 1, sizeof resp);
    read_exact(t, (uint8_t *)resp + len++, 1);
  }
  cr_assert(strncmp(resp, "HTTP/1.1 101 ", 13) == 0, "%s", resp);

  uint8_t payload[3000], frame[3100];
  for (size_t i = 0; i < sizeof payload; i++)
    payload[i] = (uint8_t)('a' + i % 26);
  size_t n =
      masked_frame(WS_OP_TEXT, payload, sizeof payload, frame, sizeof frame);
  write_records(t, frame, n, 1);
  expect_frame(t, WS_OP_TEXT, payload, sizeof payload);
  /* One record holding a frame and a half, then the rest. */
  n = masked_frame(WS_OP_BINARY, payload, 100, frame, sizeof frame);
  size_t n2 =
      masked_frame(WS_OP_BINARY, payload, 200, frame + n, sizeof frame - n);
  write_records(t, frame, n + 50, n + 50);
  write_records(t, frame + n + 50, n2 - 50, 7);
  expect_frame(t, WS_OP_BINARY, payload, 100);
  expect_frame(t, WS_OP_BINARY, payload, 200);

  static const uint8_t code[] = {0x03, 0xe8};
  n = masked_frame(WS_OP_CLOSE, code, 2, frame, sizeof frame);
  write_records(t, frame, n, 1);
  expect_frame(t, WS_OP_CLOSE, code, 2);
  /* RFC 6455 7.1.1: the server closes first; over TLS, close_notify first. */
  cr_assert_eq(read_end(t), 0);
  cr_assert_str_eq(ws_tls_end_note(t), "the peer sent close_notify");
  ws_transport_close(t);
  ws_tls_context_free(ctx);
  stop(&r);
}

/* Full records: the per-event byte bound stops the server's read loop with
 * a record already read ahead into OpenSSL's buffer, where epoll cannot see
 * it. The last record of the message is often such a one, and nothing
 * comes after it: unless the server goes back for it, the echo never comes. */
Test(echo_server_tls, records_left_in_the_read_ahead_are_not_forgotten) {
  struct running r;
  start(&r, 5000);
  ws_tls_context *ctx;
  ws_transport *t = dial_tls(&r, &ctx);
  write_records(t, (const uint8_t *)request, strlen(request), 4096);
  char resp[256] = "";
  size_t len = 0;
  while (len < 4 || memcmp(resp + len - 4, "\r\n\r\n", 4) != 0) {
    cr_assert_lt(len + 1, sizeof resp);
    read_exact(t, (uint8_t *)resp + len++, 1);
  }
  size_t size = 1 << 20;
  uint8_t *payload = malloc(size), *frame = malloc(size + 16),
          *echo = malloc(size);
  cr_assert(payload && frame && echo);
  for (int round = 0; round < 24; round++) {
    for (size_t i = 0; i < size; i++)
      payload[i] = (uint8_t)(i * 7 + (size_t)round);
    size_t n = masked_frame(WS_OP_BINARY, payload, size, frame, size + 16);
    write_records(t, frame, n, WS_TLS_RECORD_MAX);
    uint8_t h[10];
    read_exact(t, h, 10);
    cr_assert_eq(h[0], 0x82);
    cr_assert_eq(h[1], 127);
    read_exact(t, echo, size);
    cr_assert_eq(memcmp(echo, payload, size), 0, "round %d", round);
  }
  free(payload);
  free(frame);
  free(echo);
  ws_transport_close(t);
  ws_tls_context_free(ctx);
  stop(&r);
}

/* A client that never starts TLS holds no slot past the handshake
 * deadline: no 408 can reach it, so the connection is just closed. */
Test(echo_server_tls, a_silent_client_is_closed_at_the_handshake_deadline) {
  struct running r;
  start(&r, 300);
  int fd = dial_plain(&r);
  int64_t t0 = ws_now_ms();
  char c;
  ssize_t got = recv(fd, &c, 1, 0);
  int64_t took = ws_now_ms() - t0;
  cr_assert_eq(got, 0, "the server did not close (recv %zd)", got);
  cr_assert(took >= 250 && took < 2000, "closed after %lld ms",
            (long long)took);
  close(fd);
  stop(&r);
}

/* A plain HTTP request is not a ClientHello: the connection is closed at
 * once, with no answer (a TLS server cannot speak HTTP to it). */
Test(echo_server_tls, a_plain_request_is_closed_without_an_answer) {
  struct running r;
  start(&r, 5000);
  int fd = dial_plain(&r);
  cr_assert_eq(send(fd, request, strlen(request), MSG_NOSIGNAL),
               (ssize_t)strlen(request));
  uint8_t buf[64];
  ssize_t got = recv(fd, buf, sizeof buf, 0);
  /* OpenSSL may send an alert before it closes, never HTTP. */
  while (got > 0) {
    cr_assert_neq(buf[0], 'H', "an HTTP answer from a TLS server");
    got = recv(fd, buf, sizeof buf, 0);
  }
  cr_assert(got == 0 || errno == ECONNRESET, "recv: %zd", got);
  close(fd);
  stop(&r);
}
