/* TLS for the reference server (tls.h): an SSL_CTX, and one SSL per
 * connection over a socket BIO of our own. The BIO exists because OpenSSL's
 * socket BIO writes with write(2), which raises SIGPIPE on a reset peer;
 * the reactor's plain path sends with MSG_NOSIGNAL, and so does this one. */
#include "server/tls.h"

#include "codec/hooks.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

struct ws_server_tls {
  SSL_CTX *ctx;
};

struct ws_tls_stream {
  SSL *ssl;
  int fd;
  int error;        /* errno of the last failed socket call */
  bool eof;         /* the peer's FIN was read */
  bool failed;      /* no SSL call but SSL_free any more */
  size_t retry_len; /* the length a blocked SSL_write must be retried with */
};

/* ---- the socket BIO ---- */

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

static bool transient(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static int bio_write(BIO *b, const char *buf, size_t len, size_t *written) {
  ws_tls_stream *s = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  *written = 0;
  ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) {
    *written = (size_t)n;
    return 1;
  }
  if (n < 0 && transient(errno))
    BIO_set_retry_write(b);
  else
    s->error = n < 0 ? errno : EPIPE;
  return 0;
}

static int bio_read(BIO *b, char *buf, size_t cap, size_t *got) {
  ws_tls_stream *s = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  *got = 0;
  ssize_t n = recv(s->fd, buf, cap, MSG_DONTWAIT);
  if (n > 0) {
    *got = (size_t)n;
    return 1;
  }
  if (n == 0)
    s->eof = true;
  else if (transient(errno))
    BIO_set_retry_read(b);
  else
    s->error = errno;
  return 0;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)num;
  (void)ptr;
  ws_tls_stream *s = BIO_get_data(b);
  if (cmd == BIO_CTRL_FLUSH)
    return 1; /* nothing is buffered here */
  if (cmd == BIO_CTRL_EOF)
    return s && s->eof;
  return 0;
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static void make_method(void) {
  BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
                                   BIO_TYPE_DESCRIPTOR,
                               "wsprobe server socket");
  if (m && BIO_meth_set_write_ex(m, bio_write) &&
      BIO_meth_set_read_ex(m, bio_read) && BIO_meth_set_ctrl(m, bio_ctrl) &&
      BIO_meth_set_create(m, bio_create)) {
    method = m; /* kept for the life of the process */
    return;
  }
  BIO_meth_free(m);
}

/* ---- the context ---- */

static int file_error(const char *what, const char *path, char *err,
                      size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) {
    int e = errno;
    /* strerror: this runs once, at startup, before any thread. */
    snprintf(err, cap, "%s %s: %s", what, path, strerror(e));
    return -1;
  }
  fclose(f);
  unsigned long e = ERR_peek_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  snprintf(err, cap, "%s %s: not usable as PEM (%s)", what, path,
           r ? r : "unreadable");
  return -1;
}

int ws_server_tls_new(const char *cert_file, const char *key_file,
                      ws_server_tls **out, char *err, size_t cap) {
  *out = NULL;
  ws_server_tls *t = ws_malloc(sizeof *t);
  if (!t || !(t->ctx = SSL_CTX_new(TLS_server_method()))) {
    ws_free(t);
    snprintf(err, cap, "cannot create a TLS context (out of memory)");
    return -1;
  }
  /* The connection's output buffer may move between a blocked write and
   * its retry (the bytes stay the same); an idle connection gives its
   * record buffers back, so 10,000 idle wss:// clients stay cheap. */
  SSL_CTX_set_mode(t->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  /* No resumption: every connection is a full handshake, and the server
   * keeps no session state (nor sends TLS 1.3 tickets no client asked
   * for). */
  SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(t->ctx, 0);
  SSL_CTX_set_read_ahead(t->ctx, 1); /* see ws_tls_stream_read */
  ERR_clear_error();
  int rc = 0;
  if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1)
    rc = file_error("certificate", cert_file, err, cap);
  /* Loading the key already checks it against the certificate. */
  else if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) !=
               1 &&
           ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
    rc = file_error("private key", key_file, err, cap);
  else if (ERR_peek_last_error() || SSL_CTX_check_private_key(t->ctx) != 1) {
    snprintf(err, cap, "private key %s does not match certificate %s", key_file,
             cert_file);
    rc = -1;
  }
  ERR_clear_error();
  if (rc != 0) {
    ws_server_tls_free(t);
    return -1;
  }
  *out = t;
  return 0;
}

void ws_server_tls_free(ws_server_tls *t) {
  if (!t)
    return;
  SSL_CTX_free(t->ctx);
  ws_free(t);
}

/* ---- streams ---- */

ws_tls_stream *ws_tls_stream_new(ws_server_tls *tls, int fd) {
  pthread_once(&method_once, make_method);
  ws_tls_stream *s = ws_malloc(sizeof *s);
  if (!s)
    return NULL;
  memset(s, 0, sizeof *s);
  if (!method)
    goto fail;
  s->fd = fd;
  s->ssl = SSL_new(tls->ctx);
  BIO *bio = s->ssl ? BIO_new(method) : NULL;
  if (!bio)
    goto fail;
  BIO_set_data(bio, s);
  SSL_set_bio(s->ssl, bio, bio); /* the SSL owns the BIO from here */
  SSL_set_accept_state(s->ssl);
  return s;
fail:
  SSL_free(s->ssl);
  ws_free(s);
  return NULL;
}

void ws_tls_stream_free(ws_tls_stream *s) {
  if (!s)
    return;
  SSL_free(s->ssl);
  ws_free(s);
}

/* Maps a failed SSL call (r <= 0). */
static ssize_t failed(ws_tls_stream *s, int r, uint32_t *want) {
  switch (SSL_get_error(s->ssl, r)) {
  case SSL_ERROR_WANT_READ:
    *want = EPOLLIN;
    return -EAGAIN;
  case SSL_ERROR_WANT_WRITE:
    *want = EPOLLOUT;
    return -EAGAIN;
  case SSL_ERROR_ZERO_RETURN: /* close_notify: the end of the input */
    return 0;
  default:
    s->failed = true;
    if (s->eof && !s->error)
      return 0; /* TCP ended without close_notify: the end all the same */
    return s->error ? -s->error : -EPROTO;
  }
}

int ws_tls_stream_handshake(ws_tls_stream *s, uint32_t *want) {
  if (s->failed)
    return -EPROTO;
  ERR_clear_error(); /* SSL_get_error reads this thread's error queue */
  int r = SSL_do_handshake(s->ssl);
  if (r == 1)
    return 0;
  ssize_t rc = failed(s, r, want);
  return rc == 0 ? -ECONNRESET : (int)rc;
}

ssize_t ws_tls_stream_read(ws_tls_stream *s, uint8_t *buf, size_t cap,
                           uint32_t *want) {
  if (s->failed)
    return -EPROTO;
  ERR_clear_error();
  int r = SSL_read(s->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
  return r > 0 ? r : failed(s, r, want);
}

bool ws_tls_stream_buffered(const ws_tls_stream *s) {
  return !s->failed && SSL_has_pending(s->ssl);
}

ssize_t ws_tls_stream_write(ws_tls_stream *s, const uint8_t *buf, size_t len,
                            uint32_t *want) {
  if (s->failed)
    return -EPIPE;
  size_t n = len < WS_SERVER_TLS_RECORD_MAX ? len : WS_SERVER_TLS_RECORD_MAX;
  if (s->retry_len) {
    if (len < s->retry_len)
      return -EINVAL;
    n = s->retry_len; /* OpenSSL built this record already */
  }
  ERR_clear_error();
  int r = SSL_write(s->ssl, buf, (int)n);
  if (r > 0) {
    s->retry_len = 0;
    return r;
  }
  ssize_t rc = failed(s, r, want);
  if (rc == -EAGAIN)
    s->retry_len = n;
  return rc == 0 ? -EPIPE : rc;
}

int ws_tls_stream_close_notify(ws_tls_stream *s, uint32_t *want) {
  if (s->failed)
    return -EPIPE;
  ERR_clear_error();
  /* 0 or 1: sent. Called again only after -EAGAIN: a call with nothing
   * left to send would wait for the peer's close_notify instead. */
  int r = SSL_shutdown(s->ssl);
  if (r >= 0)
    return 0;
  ssize_t rc = failed(s, r, want);
  return rc == 0 ? -EPIPE : (int)rc;
}
