/* The TLS transport itself: transport.h's operations over an SSL object,
 * and the handshake both sides run. The contexts and what a client checks
 * are tls_client.c; the accepting side is tls_server.c. */
#include "io/tls_internal.h"

#include "util/clock.h"
#include "util/syserr.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static ws_tls *as_tls(ws_transport *t) { return (ws_tls *)t; }

/* From here on the connection is over: OpenSSL forbids SSL_shutdown after
 * a fatal error, and every later read or write gives the same answer. */
static ssize_t go_fatal(ws_tls *t, ssize_t rc) {
  t->fatal = true;
  t->fatal_rc = rc;
  return rc;
}

/* The socket error behind a failed call, else `fallback`. */
static ssize_t socket_error(const ws_tls *t, ssize_t fallback) {
  return t->sock.error ? -(ssize_t)t->sock.error : fallback;
}

/* Maps a failed SSL_read / SSL_write (r <= 0) onto transport.h's answers;
 * *wants records what the call needs from the socket to go on. */
static ssize_t io_failed(ws_tls *t, int r, int *wants, bool reading) {
  int e = SSL_get_error(t->ssl, r);
  switch (e) {
  case SSL_ERROR_WANT_READ:
    *wants = WS_IO_READ;
    return -EAGAIN;
  case SSL_ERROR_WANT_WRITE:
    *wants = WS_IO_WRITE;
    return -EAGAIN;
  case SSL_ERROR_ZERO_RETURN: /* the peer's close_notify */
    t->peer_close_notify = true;
    return reading ? 0 : -EPIPE;
  case SSL_ERROR_SYSCALL:
  case SSL_ERROR_SSL:
    break;
  default:
    return go_fatal(t, -EPROTO);
  }
  if (t->sock.eof && !t->sock.error) {
    /* TCP ended without close_notify (OpenSSL 3: "unexpected eof while
     * reading"). For the WebSocket above it is the end of input, as a FIN
     * is over TCP; the note says which end it was. */
    t->peer_truncated = true;
    return go_fatal(t, reading ? 0 : -EPIPE);
  }
  return go_fatal(t, socket_error(t, -EPROTO));
}

static ssize_t tls_read(ws_transport *base, uint8_t *buf, size_t cap) {
  ws_tls *t = as_tls(base);
  if (t->fatal)
    return t->fatal_rc;
  ERR_clear_error(); /* SSL_get_error reads this thread's error queue */
  int r = SSL_read(t->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
  if (r > 0) {
    t->read_wants = WS_IO_READ;
    return r;
  }
  return io_failed(t, r, &t->read_wants, true);
}

/* One call, one SSL_write, one record: never more than a record holds,
 * and a retry repeats exactly the length OpenSSL already framed. */
static ssize_t tls_write(ws_transport *base, const uint8_t *buf, size_t len) {
  ws_tls *t = as_tls(base);
  if (t->fatal)
    return t->fatal_rc == 0 ? -EPIPE : t->fatal_rc;
  if (t->shutdown_sent)
    return -EPIPE; /* as over TCP after shutdown(SHUT_WR) */
  size_t n = len < WS_TLS_RECORD_MAX ? len : WS_TLS_RECORD_MAX;
  if (t->retry_len) {
    if (len < t->retry_len)
      return -EINVAL; /* the caller changed its bytes mid-record */
    n = t->retry_len;
  }
  ERR_clear_error();
  int r = SSL_write(t->ssl, buf, (int)n);
  if (r > 0) {
    t->retry_len = 0;
    t->write_wants = WS_IO_WRITE;
    return r;
  }
  ssize_t rc = io_failed(t, r, &t->write_wants, false);
  if (rc == -EAGAIN)
    t->retry_len = n;
  return rc;
}

static size_t tls_pending(ws_transport *base) {
  ws_tls *t = as_tls(base);
  int n = t->fatal ? 0 : SSL_pending(t->ssl);
  return n > 0 ? (size_t)n : 0;
}

static void send_fin(ws_tls *t) {
  if (!t->fin_sent)
    (void)shutdown(t->sock.fd, SHUT_WR);
  t->fin_sent = true;
}

/* Sends close_notify, or the rest of it: SSL_shutdown is called again only
 * while it wanted the socket, since a call with nothing left to send would
 * start reading the peer's close_notify and drop data on the way. */
static void push_close_notify(ws_tls *t) {
  if (t->fatal) {
    t->shutdown_pending = false;
    send_fin(t);
    return;
  }
  ERR_clear_error();
  int r = SSL_shutdown(t->ssl);
  t->shutdown_sent = true;
  if (r < 0) {
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
      t->shutdown_pending = true;
      return;
    }
    t->fatal = true;
    t->fatal_rc = socket_error(t, -EPIPE);
  }
  t->shutdown_pending = false;
  send_fin(t); /* a peer that ignores close_notify still sees the end */
}

static int tls_shutdown(ws_transport *base) {
  ws_tls *t = as_tls(base);
  if (!t->shutdown_sent)
    push_close_notify(t);
  return 0;
}

static short poll_events(const ws_tls *t, int events) {
  short ev = 0;
  if (events & WS_IO_READ)
    ev |= t->read_wants == WS_IO_WRITE ? POLLOUT : POLLIN;
  if (events & WS_IO_WRITE)
    ev |= t->write_wants == WS_IO_READ ? POLLIN : POLLOUT;
  if (t->shutdown_pending)
    ev |= POLLOUT;
  return ev;
}

static int ready_set(const ws_tls *t, int events, short revents) {
  bool in = revents & (POLLIN | POLLHUP | POLLERR);
  bool out = revents & (POLLOUT | POLLHUP | POLLERR);
  int ready = 0;
  if ((events & WS_IO_READ) && (t->read_wants == WS_IO_WRITE ? out : in))
    ready |= WS_IO_READ;
  if ((events & WS_IO_WRITE) && (t->write_wants == WS_IO_READ ? in : out))
    ready |= WS_IO_WRITE;
  return ready;
}

static int tls_wait(ws_transport *base, int events, int timeout_ms) {
  ws_tls *t = as_tls(base);
  if (t->fatal) /* read() and write() answer at once */
    return events & (WS_IO_READ | WS_IO_WRITE);
  if ((events & WS_IO_READ) && SSL_pending(t->ssl) > 0)
    return WS_IO_READ;
  int64_t until = ws_now_ms() + timeout_ms;
  for (;;) {
    struct pollfd pfd = {.fd = t->sock.fd, .events = poll_events(t, events)};
    int n = poll(&pfd, 1, ws_ms_until(until));
    if (n < 0)
      return errno == EINTR ? 0 : -errno;
    if (n == 0)
      return 0;
    if (t->shutdown_pending && (pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
      push_close_notify(t);
    int ready = ready_set(t, events, pfd.revents);
    /* Woken only to finish close_notify: wait on for what was asked. */
    if (ready || ws_ms_until(until) == 0)
      return ready;
  }
}

static void tls_close(ws_transport *base) {
  ws_tls *t = as_tls(base);
  /* The TLS end of a connection is close_notify: sent once, best effort
   * (the socket is non-blocking, and the peer may be gone). */
  if (!t->shutdown_sent && !t->fatal)
    push_close_notify(t);
  ws_tls_destroy(t);
}

static const ws_transport_ops tls_ops = {tls_read, tls_write,    tls_pending,
                                         tls_wait, tls_shutdown, tls_close};

ws_tls *ws_tls_new(ws_tls_context *ctx, int fd, bool server) {
  ws_tls *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->base.ops = &tls_ops;
  t->sock.fd = fd;
  t->read_wants = WS_IO_READ;
  t->write_wants = WS_IO_WRITE;
  t->ssl = SSL_new(ctx->ctx);
  BIO *bio = t->ssl ? ws_tls_socket_bio(&t->sock) : NULL;
  if (!bio) {
    SSL_free(t->ssl);
    free(t);
    return NULL;
  }
  SSL_set_bio(t->ssl, bio, bio); /* the SSL owns the BIO from here */
  if (server)
    SSL_set_accept_state(t->ssl);
  else
    SSL_set_connect_state(t->ssl);
  return t;
}

void ws_tls_destroy(ws_tls *t) {
  SSL_free(t->ssl);
  close(t->sock.fd);
  free(t);
}

/* OpenSSL's reason for the first error queued on this thread. */
static void error_reason(char *out, size_t cap) {
  unsigned long e = ERR_peek_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  snprintf(out, cap, "%s", r ? r : "");
}

int ws_tls_handshake(ws_tls *t, int64_t deadline_ms, char *reason, size_t cap) {
  reason[0] = '\0';
  for (;;) {
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1)
      return 0;
    short ev;
    switch (SSL_get_error(t->ssl, r)) {
    case SSL_ERROR_WANT_READ:
      ev = POLLIN;
      break;
    case SSL_ERROR_WANT_WRITE:
      ev = POLLOUT;
      break;
    default:
      error_reason(reason, cap);
      t->fatal = true;
      return (int)socket_error(t, -EPROTO);
    }
    struct pollfd pfd = {.fd = t->sock.fd, .events = ev};
    int n = poll(&pfd, 1, ws_ms_until(deadline_ms));
    if (n == 0)
      return -ETIMEDOUT; /* the handshake may be resumed (tls_client.c) */
    if (n < 0 && errno != EINTR) {
      t->fatal = true;
      return -errno;
    }
  }
}

/* ---- explaining a failed handshake ---- */

/* The peer's first line, when it spoke text: its bytes already read by
 * OpenSSL, then what the socket still holds (peeked, not taken). */
static void first_line(ws_tls *t, char *out, size_t cap) {
  char raw[96];
  size_t n = t->sock.first_len;
  memcpy(raw, t->sock.first, n);
  ssize_t more =
      recv(t->sock.fd, raw + n, sizeof raw - 1 - n, MSG_PEEK | MSG_DONTWAIT);
  if (more > 0)
    n += (size_t)more;
  size_t len = 0;
  while (len < n && len + 1 < cap && raw[len] != '\r' && raw[len] != '\n' &&
         isprint((unsigned char)raw[len]))
    len++;
  memcpy(out, raw, len);
  out[len] = '\0';
}

/* A TLS record starts with a content type (20-24) and a 3.x version. */
static bool looks_like_tls(const ws_tls_socket *s) {
  return s->first_len < 1 || (s->first[0] >= 20 && s->first[0] <= 24 &&
                              (s->first_len < 2 || s->first[1] == 3));
}

bool ws_tls_peer_spoke_tls(const ws_tls *t) { return looks_like_tls(&t->sock); }

static void first_bytes_hex(const ws_tls_socket *s, char *out, size_t cap) {
  size_t at = 0;
  out[0] = '\0';
  for (size_t i = 0; i < s->first_len && at + 4 < cap; i++)
    at += (size_t)snprintf(out + at, cap - at, "%s%02x", i ? " " : "",
                           s->first[i]);
}

void ws_tls_explain(ws_tls *t, int rc, const char *reason, const char *peer,
                    int waited_ms, char *err, size_t cap) {
  const ws_tls_socket *s = &t->sock;
  char why[128];
  if (s->first_len > 0 && !looks_like_tls(s)) {
    char line[80], hex[40];
    first_line(t, line, sizeof line);
    first_bytes_hex(s, hex, sizeof hex);
    if (strncmp((const char *)s->first, "HTTP/",
                s->first_len < 5 ? s->first_len : 5) == 0)
      snprintf(err, cap, "the %s answered plain HTTP, not TLS (\"%s\")", peer,
               line);
    else if (line[0])
      snprintf(err, cap, "the %s answered plain text, not TLS (\"%s\")", peer,
               line);
    else
      snprintf(err, cap, "the %s's answer is not TLS (it begins %s)", peer,
               hex);
    return;
  }
  if (rc == -ETIMEDOUT)
    snprintf(err, cap, "no TLS handshake within %d ms: %s", waited_ms,
             s->received ? "the handshake stalled"
             : s->eof    ? "the connection was closed"
                         : "the peer sent nothing");
  else if (s->eof && s->received == 0)
    snprintf(err, cap,
             "the %s closed the connection without answering the TLS "
             "handshake",
             peer);
  else if (s->eof)
    snprintf(err, cap, "the %s closed the connection during the TLS handshake",
             peer);
  else if (rc == -ECONNRESET)
    snprintf(err, cap, "the %s reset the connection during the TLS handshake",
             peer);
  else if (rc != -EPROTO)
    snprintf(err, cap, "the TLS handshake failed: %s",
             ws_strerror(-rc, why, sizeof why));
  else
    snprintf(err, cap, "the TLS handshake failed: %s",
             reason && reason[0] ? reason : "no reason given");
}

/* ---- for the wire log ---- */

void ws_tls_describe(ws_transport *base, char *buf, size_t cap) {
  ws_tls *t = as_tls(base);
  const unsigned char *alpn = NULL;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(t->ssl, &alpn, &alpn_len);
  snprintf(buf, cap, "%s, cipher %s%s%.*s", SSL_get_version(t->ssl),
           SSL_get_cipher_name(t->ssl), alpn_len ? ", ALPN " : "",
           (int)alpn_len, alpn ? (const char *)alpn : "");
}

const char *ws_tls_end_note(ws_transport *base) {
  ws_tls *t = as_tls(base);
  if (t->peer_close_notify)
    return "the peer sent close_notify";
  if (t->peer_truncated)
    return "the peer closed TCP without close_notify";
  return NULL;
}

void ws_tls_thread_done(void) { OPENSSL_thread_stop(); }
