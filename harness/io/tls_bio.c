/* The socket under a TLS transport, as an OpenSSL BIO of our own rather than
 * BIO_s_socket, for two reasons: OpenSSL's socket BIO writes with write(2),
 * which raises SIGPIPE on a reset peer (io/tcp.c promises it never happens),
 * and a failed handshake is explained from what the peer actually sent (the
 * first bytes: "HTTP/" is a plain server on a wss:// URL), which only the
 * code that reads the socket sees. */
#include "io/tls_internal.h"

#include <errno.h>
#include <openssl/bio.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

static BIO_METHOD *method;
static pthread_once_t method_once = PTHREAD_ONCE_INIT;

/* A would-block or an interrupted call is retried by OpenSSL's caller; any
 * other error ends the connection. */
static bool transient(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static int sock_write(BIO *b, const char *buf, size_t len, size_t *written) {
  ws_tls_socket *s = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) {
    *written = (size_t)n;
    return 1;
  }
  *written = 0;
  if (n < 0 && transient(errno)) {
    BIO_set_retry_write(b);
    return 0;
  }
  s->error = n < 0 ? errno : EPIPE;
  return 0;
}

static int sock_read(BIO *b, char *buf, size_t cap, size_t *got) {
  ws_tls_socket *s = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  *got = 0;
  ssize_t n = recv(s->fd, buf, cap, MSG_DONTWAIT);
  if (n > 0) {
    size_t room = sizeof s->first - s->first_len;
    size_t keep = (size_t)n < room ? (size_t)n : room;
    memcpy(s->first + s->first_len, buf, keep);
    s->first_len += keep;
    s->received += (uint64_t)n;
    *got = (size_t)n;
    return 1;
  }
  if (n == 0) {
    s->eof = true;
    return 0;
  }
  if (transient(errno)) {
    BIO_set_retry_read(b);
    return 0;
  }
  s->error = errno;
  return 0;
}

static long sock_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)num;
  ws_tls_socket *s = BIO_get_data(b);
  switch (cmd) {
  case BIO_CTRL_FLUSH: /* nothing is buffered here */
    return 1;
  case BIO_CTRL_EOF: /* tells OpenSSL a FIN from a failed read */
    return s && s->eof;
  case BIO_C_GET_FD:
    if (!s)
      return -1;
    if (ptr)
      *(int *)ptr = s->fd;
    return s->fd;
  default:
    return 0;
  }
}

static int sock_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static void make_method(void) {
  BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
                                   BIO_TYPE_DESCRIPTOR,
                               "wsprobe socket");
  if (m && BIO_meth_set_write_ex(m, sock_write) &&
      BIO_meth_set_read_ex(m, sock_read) && BIO_meth_set_ctrl(m, sock_ctrl) &&
      BIO_meth_set_create(m, sock_create)) {
    method = m; /* kept for the life of the process */
    return;
  }
  BIO_meth_free(m);
}

BIO *ws_tls_socket_bio(ws_tls_socket *s) {
  pthread_once(&method_once, make_method);
  if (!method)
    return NULL;
  BIO *b = BIO_new(method);
  if (b)
    BIO_set_data(b, s);
  return b;
}
