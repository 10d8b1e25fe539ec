/* TLS for the reference server (wss://): the context built from
 * --tls-cert/--tls-key, and one non-blocking OpenSSL stream per connection
 * that the epoll reactor (echo_server.c) drives. conn.c never sees TLS: the
 * reactor moves plaintext between a stream and the connection.
 *
 * The harness has TLS transports of its own (harness/io/tls.h); this one is
 * separate because server/ may include only codec/, and because a reactor
 * wants "which epoll event do you need" where a transport waits itself.
 *
 * Every call is non-blocking and returns like recv/send: bytes (> 0), 0 at
 * the peer's end (read), -EAGAIN with *want set to the epoll event OpenSSL
 * needs before the call can make progress (EPOLLIN, or EPOLLOUT: a read may
 * need to write and a write to read), or another negative errno value
 * (-EPROTO for a TLS failure). After a failure only ws_tls_stream_free is
 * allowed. Sockets never raise SIGPIPE. */
#ifndef WS_SERVER_TLS_H
#define WS_SERVER_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest plaintext of one TLS record (RFC 8446 5.1). */
#define WS_SERVER_TLS_RECORD_MAX 16384

typedef struct ws_server_tls ws_server_tls;

/* A server context from a PEM certificate chain and its key. 0, or -1 with
 * a one-line reason naming the file at fault in err. */
int ws_server_tls_new(const char *cert_file, const char *key_file,
                      ws_server_tls **out, char *err, size_t cap);
void ws_server_tls_free(ws_server_tls *tls);

typedef struct ws_tls_stream ws_tls_stream;

/* A stream in the accept state over fd (not owned: the reactor closes it).
 * NULL when out of memory. */
ws_tls_stream *ws_tls_stream_new(ws_server_tls *tls, int fd);
void ws_tls_stream_free(ws_tls_stream *s);

/* Advances the handshake: 0 once it is done, else as above. */
int ws_tls_stream_handshake(ws_tls_stream *s, uint32_t *want);

/* Plaintext in, one record per call at most. The stream reads ahead (one
 * recv takes every record the socket holds, where a record at a time would
 * cost two recv calls per record: a `chop 1` peer sends one per byte), so
 * after a read that did not end in -EAGAIN, records may wait in OpenSSL's
 * buffer where epoll cannot see them: ws_tls_stream_buffered tells. */
ssize_t ws_tls_stream_read(ws_tls_stream *s, uint8_t *buf, size_t cap,
                           uint32_t *want);
bool ws_tls_stream_buffered(const ws_tls_stream *s);

/* Plaintext out: at most one record per call. After -EAGAIN the next call
 * must offer at least the same bytes again (they may have moved). */
ssize_t ws_tls_stream_write(ws_tls_stream *s, const uint8_t *buf, size_t len,
                            uint32_t *want);

/* Sends close_notify: 0 once it is on the socket, -EAGAIN (call again when
 * *want is ready), or an error (the peer is gone: close anyway). */
int ws_tls_stream_close_notify(ws_tls_stream *s, uint32_t *want);

#endif
