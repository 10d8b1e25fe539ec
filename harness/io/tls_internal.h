/* What the TLS transport files (tls.c, tls_bio.c, tls_client.c,
 * tls_server.c) share; io/tls.h is the interface. */
#ifndef WS_HARNESS_TLS_INTERNAL_H
#define WS_HARNESS_TLS_INTERNAL_H

#include "io/tls.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The socket under the TLS layer, seen through our BIO (tls_bio.c). What it
 * remembers is what a failed handshake is explained with. */
typedef struct ws_tls_socket {
  int fd;
  uint8_t first[8]; /* the first bytes the peer sent: "HTTP/" is a plain
                       server on a wss:// URL */
  size_t first_len;
  uint64_t received; /* bytes read from the peer so far */
  bool eof;          /* the peer's FIN was read */
  int error;         /* errno of the last failed socket call, else 0 */
} ws_tls_socket;

/* A BIO over s->fd: recv/send with MSG_NOSIGNAL (a reset peer must cost an
 * EPIPE, never SIGPIPE, as in io/tcp.c). NULL when out of memory. */
BIO *ws_tls_socket_bio(ws_tls_socket *s);

struct ws_tls_context {
  SSL_CTX *ctx;
  bool insecure;     /* client: verification is off */
  bool ca_given;     /* client: --ca replaced the system store */
  char ca_file[256]; /* for messages */
};

typedef struct ws_tls {
  ws_transport base;
  SSL *ssl;
  ws_tls_socket sock;
  /* What the last SSL_read / SSL_write needs from the socket before it can
   * make progress: WS_IO_READ or WS_IO_WRITE (wait() polls for that). */
  int read_wants, write_wants;
  /* An SSL_write that wanted the socket must be retried with the same
   * bytes: its record is already built and partly sent. */
  size_t retry_len;
  bool fatal;         /* a fatal error or the peer's end without close_notify:
                         no SSL call but SSL_free any more */
  ssize_t fatal_rc;   /* what read() and write() return from then on */
  bool shutdown_sent; /* close_notify handed to SSL_shutdown */
  bool shutdown_pending; /* ... and not yet all on the socket */
  bool fin_sent;         /* shutdown(SHUT_WR) done */
  bool peer_close_notify;
  bool peer_truncated; /* TCP ended without close_notify */
} ws_tls;

/* A transport in the connect (server false) or accept state over fd; fd is
 * not closed on failure (NULL: out of memory). */
ws_tls *ws_tls_new(ws_tls_context *ctx, int fd, bool server);
/* Frees without close_notify and closes the socket. */
void ws_tls_destroy(ws_tls *t);

/* Runs the handshake until done or deadline_ms. 0, -ETIMEDOUT (a later
 * call resumes it), -EPROTO (a TLS failure: OpenSSL's reason is in reason),
 * or another -errno from the socket. */
int ws_tls_handshake(ws_tls *t, int64_t deadline_ms, char *reason, size_t cap);

/* False when the peer's first bytes cannot start a TLS record (it speaks
 * plain HTTP, say). */
bool ws_tls_peer_spoke_tls(const ws_tls *t);

/* A one-line explanation of a failed handshake that is not about
 * certificates: a silent peer, a closed or reset connection, a peer that
 * speaks plain HTTP or anything but TLS, an alert. `peer` is "server" or
 * "client"; waited_ms is the handshake's budget. */
void ws_tls_explain(ws_tls *t, int rc, const char *reason, const char *peer,
                    int waited_ms, char *err, size_t cap);

#endif
