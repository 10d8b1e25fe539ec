/* TLS transports (OpenSSL), over a connected TCP socket: the client side for
 * wss:// targets, and the accepting side for a harness that plays the
 * server. No case knows about TLS: the session sees plaintext, as over TCP.
 *
 * The transport keeps the promises of transport.h that make the wire
 * controllable:
 *  - one write() is one SSL_write of at most WS_TLS_RECORD_MAX bytes, hence
 *    exactly one TLS record: a `chop` piece or a pause boundary reaches the
 *    peer as a record of its own. A longer write is taken in part (the
 *    first WS_TLS_RECORD_MAX bytes), and the rest goes in the next record;
 *  - pending() is SSL_pending: plaintext already decrypted that poll()
 *    cannot see, so the drive loop reads it before it waits;
 *  - wait() polls for what OpenSSL last asked for, not for what the caller
 *    wants: a read may need the socket writable (WANT_WRITE) and a write may
 *    need it readable (WANT_READ);
 *  - shutdown() sends close_notify, then the TCP FIN; reading goes on.
 *    close() sends close_notify if it was not sent and nothing failed;
 *  - the peer's close_notify reads as the end of input (0), and so does a
 *    TCP end without one (the WebSocket closing handshake is what cases
 *    grade; ws_tls_end_note says which it was).
 * Sockets never raise SIGPIPE (a socket BIO of our own sends with
 * MSG_NOSIGNAL, like io/tcp.c).
 *
 * Handshakes block the calling thread, bounded by a deadline (the case
 * deadline in the runner), like the TCP connect before them. */
#ifndef WS_HARNESS_TLS_H
#define WS_HARNESS_TLS_H

#include "io/transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest plaintext of one TLS record (RFC 8446 5.1, RFC 5246 6.2.1). */
#define WS_TLS_RECORD_MAX 16384
/* The longest server name (a DNS name has at most 253 characters). */
#define WS_TLS_NAME_MAX 255

/* How a client checks the server (--ca, --insecure, --cert, --key). */
typedef struct ws_tls_client_config {
  const char *ca_file;   /* PEM CA certificates trusted instead of the
                            system store; NULL: the system store */
  bool insecure;         /* no certificate and no name check */
  const char *cert_file; /* client certificate chain (PEM), or NULL */
  const char *key_file;  /* its private key (PEM); with cert_file */
} ws_tls_client_config;

/* An SSL_CTX, built once and shared by every connection of a run (threads
 * included: it is not changed after it is built). */
typedef struct ws_tls_context ws_tls_context;

/* 0, or -1 with a one-line reason in err naming the file at fault. */
int ws_tls_client_context(const ws_tls_client_config *config,
                          ws_tls_context **out, char *err, size_t cap);
/* A server context from a certificate chain and its key (PEM). */
int ws_tls_server_context(const char *cert_file, const char *key_file,
                          ws_tls_context **out, char *err, size_t cap);
void ws_tls_context_free(ws_tls_context *ctx);
/* A client context that checks nothing (--insecure). */
bool ws_tls_context_insecure(const ws_tls_context *ctx);

/* The client handshake over fd (connected, non-blocking; owned from here
 * on, closed on failure). `name` is sent as SNI and is the name the
 * certificate must hold; an IP address literal is checked against the
 * certificate's IP addresses and not sent (RFC 6066 3 allows no literal
 * there). ALPN offers http/1.1. 0 with *out set, or a negative errno value
 * with a one-line reason in err: -ETIMEDOUT (no handshake by deadline_ms),
 * -EPROTO (the handshake failed: certificate, name, an alert, a peer that
 * does not speak TLS), -ECONNRESET and other socket errors, -ENOMEM.
 * A server silent for a second is asked a plain HTTP question on a second
 * connection: a plain server waits for the end of a request line that a
 * ClientHello never gives it, and is told from a slow TLS server so. */
int ws_tls_connect(ws_tls_context *ctx, int fd, const char *name,
                   int64_t deadline_ms, ws_transport **out, char *err,
                   size_t cap);

/* The server handshake over an accepted fd (non-blocking; owned, closed on
 * failure), with a context from ws_tls_server_context. Returns as
 * ws_tls_connect. */
int ws_tls_accept(ws_tls_context *ctx, int fd, int64_t deadline_ms,
                  ws_transport **out, char *err, size_t cap);

/* "TLSv1.3, cipher TLS_AES_256_GCM_SHA384" for a transport made here. */
void ws_tls_describe(ws_transport *t, char *buf, size_t cap);

/* How the peer's side ended, for the wire log: "the peer sent close_notify",
 * "the peer closed TCP without close_notify", or NULL while it has not
 * ended (or ended on an error, which read() reported). */
const char *ws_tls_end_note(ws_transport *t);

/* Frees the calling thread's OpenSSL state (TLS, and the codec's SHA-1 for
 * accept keys). OpenSSL frees it when the thread exits, but a thread that
 * reports itself done and then exits may be overtaken by the process's own
 * exit, which frees OpenSSL's globals first and leaves that state
 * unreachable: call this before reporting done. */
void ws_tls_thread_done(void);

#endif
