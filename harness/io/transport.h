/* A connection to a peer, whatever carries it: TCP (io/tcp.c), an in-memory
 * pair for tests (io/memory.c), TLS in time. The drive loop (run/drive.c) is
 * the only code that calls these; the session it feeds never sees them.
 *
 * Every call is non-blocking except wait(), which is the one place a
 * connection blocks, always with a timeout. wait() rather than a raw file
 * descriptor, because not every transport has one that tells the truth:
 * an in-memory pair has none, and TLS holds decrypted bytes that poll()
 * cannot see (pending()). */
#ifndef WS_HARNESS_TRANSPORT_H
#define WS_HARNESS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum { WS_IO_READ = 1, WS_IO_WRITE = 2 };

typedef struct ws_transport ws_transport;

typedef struct ws_transport_ops {
  /* Bytes read (> 0), 0 at the peer's orderly end, -EAGAIN when nothing is
   * there now, or another -errno (-ECONNRESET...). */
  ssize_t (*read)(ws_transport *t, uint8_t *buf, size_t cap);
  /* Bytes written (> 0, possibly fewer than len), -EAGAIN when none can be
   * now, or another -errno (-EPIPE...). One call is one unit on the wire
   * where the transport has units (a TLS record). */
  ssize_t (*write)(ws_transport *t, const uint8_t *buf, size_t len);
  /* Bytes that read() would return at once although wait() may not say so
   * (a TLS layer's buffered plaintext); 0 for TCP. */
  size_t (*pending)(ws_transport *t);
  /* Waits until one of `events` (WS_IO_READ, WS_IO_WRITE) is ready or
   * timeout_ms passes (0: just look). Returns the ready set (0 on timeout),
   * or -errno. With no events it simply sleeps. READ is also ready at the
   * end of input or on an error, so read() can report them. */
  int (*wait)(ws_transport *t, int events, int timeout_ms);
  /* No more writes from our side (TCP: FIN); reading goes on. */
  int (*shutdown)(ws_transport *t);
  /* Closes and frees the transport. */
  void (*close)(ws_transport *t);
} ws_transport_ops;

struct ws_transport {
  const ws_transport_ops *ops;
};

static inline ssize_t ws_transport_read(ws_transport *t, uint8_t *buf,
                                        size_t cap) {
  return t->ops->read(t, buf, cap);
}
static inline ssize_t ws_transport_write(ws_transport *t, const uint8_t *buf,
                                         size_t len) {
  return t->ops->write(t, buf, len);
}
static inline size_t ws_transport_pending(ws_transport *t) {
  return t->ops->pending(t);
}
static inline int ws_transport_wait(ws_transport *t, int events,
                                    int timeout_ms) {
  return t->ops->wait(t, events, timeout_ms);
}
static inline int ws_transport_shutdown(ws_transport *t) {
  return t->ops->shutdown(t);
}
static inline void ws_transport_close(ws_transport *t) { t->ops->close(t); }

#endif
