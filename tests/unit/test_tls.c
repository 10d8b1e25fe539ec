/* Tests for harness/io/tls*.c: a client and a server TLS transport over the
 * two ends of a socket pair, each in its own thread. The certificates are
 * made here with the openssl command (EC P-256: quick to generate). */
#include "io/tls.h"
#include "util/clock.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HANDSHAKE_MS 5000

static char dir[64];
static char cert[128], key[128], other_cert[128], other_key[128];

/* A self-signed certificate with the given subjectAltName. */
static void make_cert(const char *cert_path, const char *key_path,
                      const char *san) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
           "-nodes -days 2 -subj /CN=wsprobe-test -addext "
           "subjectAltName=%s -keyout %s -out %s 2>/dev/null",
           san, key_path, cert_path);
  cr_assert_eq(system(cmd), 0, "openssl req failed: %s", cmd);
}

static void setup(void) {
  signal(SIGPIPE, SIG_DFL); /* the transports must not raise it */
  snprintf(dir, sizeof dir, "/tmp/wsprobe-tls-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(cert, sizeof cert, "%s/cert.pem", dir);
  snprintf(key, sizeof key, "%s/key.pem", dir);
  snprintf(other_cert, sizeof other_cert, "%s/other.pem", dir);
  snprintf(other_key, sizeof other_key, "%s/other-key.pem", dir);
  make_cert(cert, key, "IP:127.0.0.1,DNS:localhost");
  make_cert(other_cert, other_key, "DNS:other.example");
}

static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  (void)system(cmd);
}

TestSuite(tls, .init = setup, .fini = teardown, .timeout = 30);

/* ---- helpers ---- */

static ws_tls_context *client_ctx(const char *ca, bool insecure) {
  ws_tls_client_config c = {.ca_file = ca, .insecure = insecure};
  ws_tls_context *ctx;
  char err[256];
  cr_assert_eq(ws_tls_client_context(&c, &ctx, err, sizeof err), 0, "%s", err);
  return ctx;
}

static ws_tls_context *server_ctx(const char *c, const char *k) {
  ws_tls_context *ctx;
  char err[256];
  cr_assert_eq(ws_tls_server_context(c, k, &ctx, err, sizeof err), 0, "%s",
               err);
  return ctx;
}

/* The server end: a thread that accepts, then runs a script. */
typedef struct server {
  pthread_t thread;
  ws_tls_context *ctx;
  int fd;
  int64_t deadline_ms;
  void (*script)(ws_transport *t, void *arg);
  void *arg;
  int rc;
  char err[256];
} server;

static void *server_main(void *p) {
  server *s = p;
  ws_transport *t;
  s->rc =
      ws_tls_accept(s->ctx, s->fd, s->deadline_ms, &t, s->err, sizeof s->err);
  if (s->rc == 0) {
    if (s->script)
      s->script(t, s->arg);
    ws_transport_close(t);
  }
  return NULL;
}

static void start_server(server *s, ws_tls_context *ctx, int fd,
                         void (*script)(ws_transport *, void *), void *arg) {
  *s = (server){.ctx = ctx,
                .fd = fd,
                .deadline_ms = ws_now_ms() + HANDSHAKE_MS,
                .script = script,
                .arg = arg};
  cr_assert_eq(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void pair(int fds[2]) {
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
}

/* The helpers the server threads use do not assert (an assertion outside
 * the test's own thread cannot end the test): they return, and the test
 * checks what they recorded. */

/* Writes all of buf, waiting as the drive loop does: 0, or the error. */
static ssize_t try_write_all(ws_transport *t, const uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = ws_transport_write(t, buf, len);
    if (n == -EAGAIN) {
      if (ws_transport_wait(t, WS_IO_WRITE, 5000) <= 0)
        return -ETIMEDOUT;
      continue;
    }
    if (n <= 0)
      return n ? n : -EIO;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

static void write_all(ws_transport *t, const uint8_t *buf, size_t len) {
  ssize_t rc = try_write_all(t, buf, len);
  cr_assert_eq(rc, 0, "write: %zd", rc);
}

/* One read once something is there (pending or the socket): its result. */
static ssize_t read_some(ws_transport *t, uint8_t *buf, size_t cap) {
  for (int i = 0; i < 1000; i++) {
    ssize_t n = ws_transport_read(t, buf, cap);
    if (n != -EAGAIN)
      return n;
    if (ws_transport_wait(t, WS_IO_READ, 5000) <= 0)
      return -ETIMEDOUT;
  }
  return -ETIMEDOUT;
}

static void read_exact(ws_transport *t, uint8_t *buf, size_t len) {
  while (len > 0) {
    ssize_t n = read_some(t, buf, len);
    cr_assert_gt(n, 0, "read: %zd", n);
    buf += n;
    len -= (size_t)n;
  }
}

static ws_transport *connect_to(ws_tls_context *ctx, int fd, const char *name) {
  ws_transport *t;
  char err[256];
  int rc = ws_tls_connect(ctx, fd, name, ws_now_ms() + HANDSHAKE_MS, &t, err,
                          sizeof err);
  cr_assert_eq(rc, 0, "connect: %s", err);
  return t;
}

/* ---- bytes ---- */

static void echo_script(ws_transport *t, void *arg) {
  (void)arg;
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = read_some(t, buf, sizeof buf);
    if (n <= 0 || try_write_all(t, buf, (size_t)n) != 0)
      return;
  }
}

Test(tls, bytes_flow_both_ways_and_the_note_names_the_session) {
  int fds[2];
  pair(fds);
  ws_tls_context *sctx = server_ctx(cert, key), *cctx = client_ctx(cert, 0);
  server s;
  start_server(&s, sctx, fds[1], echo_script, NULL);
  ws_transport *c = connect_to(cctx, fds[0], "localhost");
  char info[128];
  ws_tls_describe(c, info, sizeof info);
  cr_assert(strstr(info, "TLSv1.3, cipher TLS_"), "%s", info);
  cr_assert(strstr(info, "ALPN") == NULL, "the server chose no ALPN: %s", info);
  uint8_t out[100000], in[sizeof out];
  for (size_t i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 7 + 3);
  write_all(c, out, sizeof out);
  read_exact(c, in, sizeof in);
  cr_assert_eq(memcmp(in, out, sizeof out), 0);
  ws_transport_close(c); /* close_notify: the echo loop reads its end */
  pthread_join(s.thread, NULL);
  cr_assert_eq(s.rc, 0, "%s", s.err);
  ws_tls_context_free(sctx);
  ws_tls_context_free(cctx);
}

/* The server reads only once every write has arrived: over TCP they would
 * come back as one read; over TLS each write is its own record, and a read
 * returns one record at most. */
typedef struct records {
  int ready[2]; /* the client writes a byte here once it has written all */
  ssize_t got[8];
  int count;
  size_t pending_after_first;
  int wait_pending;
} records;

static void records_script(ws_transport *t, void *arg) {
  records *r = arg;
  uint8_t go;
  while (read(r->ready[0], &go, 1) != 1)
    usleep(1000);
  usleep(50 * 1000); /* and the records have reached our socket */
  uint8_t buf[65536];
  r->got[r->count++] = read_some(t, buf, 2);
  r->pending_after_first = ws_transport_pending(t);
  r->wait_pending = ws_transport_wait(t, WS_IO_READ, 0);
  while (r->count < 8) {
    ssize_t n = read_some(t, buf, sizeof buf);
    r->got[r->count++] = n;
    if (n <= 0)
      break;
  }
}

Test(tls, one_write_is_one_record_and_pending_holds_the_rest) {
  int fds[2];
  pair(fds);
  records r = {0};
  cr_assert_eq(pipe(r.ready), 0);
  ws_tls_context *sctx = server_ctx(cert, key), *cctx = client_ctx(cert, 0);
  server s;
  start_server(&s, sctx, fds[1], records_script, &r);
  ws_transport *c = connect_to(cctx, fds[0], "127.0.0.1");
  static uint8_t big[20000];
  cr_assert_eq(ws_transport_write(c, (const uint8_t *)"abc", 3), 3);
  cr_assert_eq(ws_transport_write(c, (const uint8_t *)"d", 1), 1);
  cr_assert_eq(ws_transport_write(c, (const uint8_t *)"efghi", 5), 5);
  cr_assert_eq(ws_transport_write(c, big, sizeof big), WS_TLS_RECORD_MAX,
               "a write longer than a record is taken in part");
  write_all(c, big + WS_TLS_RECORD_MAX, sizeof big - WS_TLS_RECORD_MAX);
  cr_assert_eq(write(r.ready[1], "x", 1), 1);
  ws_transport_close(c);
  pthread_join(s.thread, NULL);
  cr_assert_eq(s.rc, 0, "%s", s.err);
  /* "ab" of the first record, then its buffered "c" (pending, which poll
   * cannot see), then one record per read. */
  cr_assert_eq(r.got[0], 2);
  cr_assert_eq(r.pending_after_first, 1);
  cr_assert_eq(r.wait_pending, WS_IO_READ);
  cr_assert_eq(r.got[1], 1);
  cr_assert_eq(r.got[2], 1);
  cr_assert_eq(r.got[3], 5);
  cr_assert_eq(r.got[4], WS_TLS_RECORD_MAX);
  cr_assert_eq(r.got[5], (ssize_t)(sizeof big - WS_TLS_RECORD_MAX));
  cr_assert_eq(r.got[6], 0, "close_notify ends the input");
  ws_tls_context_free(sctx);
  ws_tls_context_free(cctx);
  close(r.ready[0]);
  close(r.ready[1]);
}

/* ---- the end ---- */

typedef struct half_close {
  uint8_t got[16];
  ssize_t wrote, shut, write_after, n, end;
  const char *note;
} half_close;

/* The server sends its close_notify first, then goes on reading. */
static void shutdown_script(ws_transport *t, void *arg) {
  half_close *h = arg;
  h->wrote = try_write_all(t, (const uint8_t *)"bye", 3);
  h->shut = ws_transport_shutdown(t);
  h->write_after = ws_transport_write(t, (const uint8_t *)"x", 1);
  h->n = read_some(t, h->got, sizeof h->got);
  h->end = read_some(t, h->got + 8, 8);
  h->note = ws_tls_end_note(t);
}

Test(tls, shutdown_sends_close_notify_and_reading_goes_on) {
  int fds[2];
  pair(fds);
  half_close h = {0};
  ws_tls_context *sctx = server_ctx(cert, key), *cctx = client_ctx(cert, 0);
  server s;
  start_server(&s, sctx, fds[1], shutdown_script, &h);
  ws_transport *c = connect_to(cctx, fds[0], "localhost");
  uint8_t buf[16];
  read_exact(c, buf, 3);
  cr_assert_eq(memcmp(buf, "bye", 3), 0);
  cr_assert_eq(read_some(c, buf, sizeof buf), 0, "close_notify reads as EOF");
  cr_assert_str_eq(ws_tls_end_note(c), "the peer sent close_notify");
  /* A half close: our direction is still open. */
  write_all(c, (const uint8_t *)"late", 4);
  ws_transport_close(c);
  pthread_join(s.thread, NULL);
  cr_assert_eq(s.rc, 0, "%s", s.err);
  cr_assert_eq(h.wrote, 0);
  cr_assert_eq(h.shut, 0);
  cr_assert_eq(h.write_after, -EPIPE, "no write after shutdown");
  cr_assert_eq(h.n, 4);
  cr_assert_eq(memcmp(h.got, "late", 4), 0);
  cr_assert_eq(h.end, 0);
  cr_assert_str_eq(h.note, "the peer sent close_notify");
  ws_tls_context_free(sctx);
  ws_tls_context_free(cctx);
}

/* ---- writes that wait ---- */

typedef struct drain {
  int go[2];
  size_t total;
} drain;

static void drain_script(ws_transport *t, void *arg) {
  drain *d = arg;
  uint8_t go;
  while (read(d->go[0], &go, 1) != 1)
    usleep(1000);
  uint8_t buf[65536];
  ssize_t n;
  while ((n = read_some(t, buf, sizeof buf)) > 0)
    d->total += (size_t)n;
}

Test(tls, a_blocked_write_is_retried_with_the_same_record) {
  int fds[2];
  pair(fds);
  drain d = {0};
  cr_assert_eq(pipe(d.go), 0);
  ws_tls_context *sctx = server_ctx(cert, key), *cctx = client_ctx(cert, 0);
  server s;
  start_server(&s, sctx, fds[1], drain_script, &d);
  ws_transport *c = connect_to(cctx, fds[0], "localhost");
  static uint8_t chunk[WS_TLS_RECORD_MAX];
  size_t sent = 0;
  ssize_t n;
  while ((n = ws_transport_write(c, chunk, sizeof chunk)) > 0)
    sent += (size_t)n;
  cr_assert_eq(n, -EAGAIN, "the socket fills up");
  cr_assert_eq(ws_transport_wait(c, WS_IO_WRITE, 20), 0, "still full");
  cr_assert_eq(write(d.go[1], "x", 1), 1); /* the peer starts reading */
  cr_assert_eq(ws_transport_wait(c, WS_IO_WRITE, 5000), WS_IO_WRITE);
  write_all(c, chunk, sizeof chunk); /* the record OpenSSL had started */
  sent += sizeof chunk;
  ws_transport_close(c);
  pthread_join(s.thread, NULL);
  cr_assert_eq(d.total, sent);
  ws_tls_context_free(sctx);
  ws_tls_context_free(cctx);
  close(d.go[0]);
  close(d.go[1]);
}

/* ---- refusals ---- */

/* The client's handshake against a server with cert c, key k; its error. */
static int try_connect(ws_tls_context *cctx, const char *c, const char *k,
                       const char *name, char *err, size_t cap) {
  int fds[2];
  pair(fds);
  ws_tls_context *sctx = server_ctx(c, k);
  server s;
  start_server(&s, sctx, fds[1], NULL, NULL);
  ws_transport *t = NULL;
  int rc = ws_tls_connect(cctx, fds[0], name, ws_now_ms() + HANDSHAKE_MS, &t,
                          err, cap);
  if (t)
    ws_transport_close(t);
  pthread_join(s.thread, NULL);
  ws_tls_context_free(sctx);
  return rc;
}

Test(tls, a_self_signed_certificate_is_refused_without_ca) {
  ws_tls_context *cctx = client_ctx(NULL, false); /* the system store */
  char err[256];
  cr_assert_eq(try_connect(cctx, cert, key, "localhost", err, sizeof err),
               -EPROTO);
  cr_assert(strstr(err, "certificate is not trusted: self-signed"), "%s", err);
  cr_assert(strstr(err, "--ca FILE"), "%s", err);
  ws_tls_context_free(cctx);
}

Test(tls, a_certificate_from_another_ca_is_refused) {
  ws_tls_context *cctx = client_ctx(other_cert, false);
  char err[256];
  cr_assert_eq(try_connect(cctx, cert, key, "localhost", err, sizeof err),
               -EPROTO);
  cr_assert(strstr(err, "not trusted"), "%s", err);
  cr_assert(strstr(err, other_cert), "names the CA file: %s", err);
  ws_tls_context_free(cctx);
}

Test(tls, a_wrong_host_name_is_refused) {
  ws_tls_context *cctx = client_ctx(other_cert, false);
  char err[256];
  cr_assert_eq(
      try_connect(cctx, other_cert, other_key, "localhost", err, sizeof err),
      -EPROTO);
  cr_assert(strstr(err, "not valid for localhost (hostname mismatch)"), "%s",
            err);
  cr_assert_eq(
      try_connect(cctx, other_cert, other_key, "127.0.0.1", err, sizeof err),
      -EPROTO);
  cr_assert(strstr(err, "not valid for 127.0.0.1 (IP address mismatch)"), "%s",
            err);
  /* The name the certificate holds passes. */
  cr_assert_eq(try_connect(cctx, other_cert, other_key, "other.example", err,
                           sizeof err),
               0, "%s", err);
  ws_tls_context_free(cctx);
}

Test(tls, insecure_skips_the_checks) {
  ws_tls_context *cctx = client_ctx(NULL, true);
  char err[256];
  cr_assert_eq(
      try_connect(cctx, other_cert, other_key, "localhost", err, sizeof err), 0,
      "%s", err);
  ws_tls_context_free(cctx);
}

Test(tls, a_silent_peer_ends_the_handshake_at_its_deadline) {
  int fds[2];
  pair(fds);
  ws_tls_context *cctx = client_ctx(cert, false);
  ws_transport *t = NULL;
  char err[256];
  int64_t t0 = ws_now_ms();
  int rc =
      ws_tls_connect(cctx, fds[0], "localhost", t0 + 200, &t, err, sizeof err);
  int64_t took = ws_now_ms() - t0;
  cr_assert_eq(rc, -ETIMEDOUT);
  cr_assert(took >= 190 && took < 2000, "took %lld ms", (long long)took);
  cr_assert(strstr(err, "no TLS handshake within"), "%s", err);
  cr_assert(strstr(err, "the peer sent nothing"), "%s", err);
  close(fds[1]);
  ws_tls_context_free(cctx);
}

Test(tls, the_server_side_handshake_has_a_deadline_too) {
  int fds[2];
  pair(fds);
  ws_tls_context *sctx = server_ctx(cert, key);
  ws_transport *t = NULL;
  char err[256];
  int64_t t0 = ws_now_ms();
  cr_assert_eq(ws_tls_accept(sctx, fds[1], t0 + 200, &t, err, sizeof err),
               -ETIMEDOUT);
  cr_assert_lt(ws_now_ms() - t0, 2000);
  close(fds[0]);
  ws_tls_context_free(sctx);
}

static void *plain_http_peer(void *p) {
  int fd = *(int *)p;
  char buf[512];
  for (int i = 0; i < 500 && recv(fd, buf, sizeof buf, 0) <= 0; i++)
    usleep(2000);
  static const char answer[] = "HTTP/1.1 400 Bad Request\r\n"
                               "Content-Length: 0\r\n\r\n";
  (void)send(fd, answer, sizeof answer - 1, 0);
  return NULL;
}

Test(tls, a_plain_http_answer_is_named) {
  int fds[2];
  pair(fds);
  pthread_t peer;
  cr_assert_eq(pthread_create(&peer, NULL, plain_http_peer, &fds[1]), 0);
  ws_tls_context *cctx = client_ctx(cert, false);
  ws_transport *t = NULL;
  char err[256];
  int rc = ws_tls_connect(cctx, fds[0], "localhost", ws_now_ms() + HANDSHAKE_MS,
                          &t, err, sizeof err);
  pthread_join(peer, NULL);
  cr_assert_eq(rc, -EPROTO);
  cr_assert_str_eq(err, "the server answered plain HTTP, not TLS (\"HTTP/1.1 "
                        "400 Bad Request\"): this port serves no TLS, use "
                        "ws://");
  close(fds[1]);
  ws_tls_context_free(cctx);
}

Test(tls, a_key_that_does_not_match_its_certificate_is_refused) {
  ws_tls_client_config c = {.cert_file = cert, .key_file = other_key};
  ws_tls_context *ctx = NULL;
  char err[256];
  cr_assert_eq(ws_tls_client_context(&c, &ctx, err, sizeof err), -1);
  cr_assert(strstr(err, "does not match"), "%s", err);
  ws_tls_client_config missing = {.ca_file = "/nonexistent/ca.pem"};
  cr_assert_eq(ws_tls_client_context(&missing, &ctx, err, sizeof err), -1);
  cr_assert_str_eq(
      err, "CA file /nonexistent/ca.pem: No such file or directory", "%s", err);
  cr_assert_eq(ws_tls_server_context(cert, other_key, &ctx, err, sizeof err),
               -1);
  cr_assert(strstr(err, "does not match"), "%s", err);
}

/* A client certificate reaches a server that asks for none: no harm. */
Test(tls, a_client_certificate_is_presented) {
  ws_tls_client_config c = {
      .ca_file = cert, .cert_file = other_cert, .key_file = other_key};
  ws_tls_context *cctx;
  char err[256];
  cr_assert_eq(ws_tls_client_context(&c, &cctx, err, sizeof err), 0, "%s", err);
  cr_assert_eq(try_connect(cctx, cert, key, "localhost", err, sizeof err), 0,
               "%s", err);
  ws_tls_context_free(cctx);
}

/* A plain server that waits for the end of a request line: the ClientHello
 * gets no answer, and a second connection's plain request does. */
typedef struct waiting_http {
  int listener;
  int held; /* the first connection, kept silent */
} waiting_http;

static void *waiting_http_main(void *p) {
  waiting_http *w = p;
  w->held = accept(w->listener, NULL, NULL);
  int second = accept(w->listener, NULL, NULL);
  char buf[512];
  if (second >= 0 && recv(second, buf, sizeof buf, 0) > 0) {
    static const char answer[] = "HTTP/1.1 426 Upgrade Required\r\n\r\n";
    (void)send(second, answer, sizeof answer - 1, 0);
  }
  if (second >= 0)
    close(second);
  return NULL;
}

Test(tls, a_silent_plain_server_is_asked_in_plain_http) {
  waiting_http w = {.held = -1};
  w.listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  cr_assert_eq(bind(w.listener, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(listen(w.listener, 4), 0);
  cr_assert_eq(getsockname(w.listener, (struct sockaddr *)&addr, &len), 0);
  pthread_t peer;
  cr_assert_eq(pthread_create(&peer, NULL, waiting_http_main, &w), 0);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  cr_assert(connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 ||
            errno == EINPROGRESS);
  ws_tls_context *cctx = client_ctx(cert, false);
  ws_transport *t = NULL;
  char err[320];
  int64_t t0 = ws_now_ms();
  int rc = ws_tls_connect(cctx, fd, "localhost", t0 + HANDSHAKE_MS, &t, err,
                          sizeof err);
  int64_t took = ws_now_ms() - t0;
  pthread_join(peer, NULL);
  cr_assert_eq(rc, -EPROTO, "%s", err);
  cr_assert(took < 3000, "told after the one-second silence: %lld ms",
            (long long)took);
  cr_assert(strstr(err, "the server answered plain HTTP, not TLS (\"HTTP/1.1 "
                        "426 Upgrade Required\" to a plain request"),
            "%s", err);
  close(w.held);
  close(w.listener);
  ws_tls_context_free(cctx);
}
