/* A growable byte buffer the caller owns, for output whose size is only known
 * once it is produced (an inflated or a deflated message). Memory comes from
 * the allocation hooks (codec/hooks.h). Zero-initialise it, let a producer
 * append, read data[0..len), then ws_bytebuf_free. */
#ifndef WS_BYTEBUF_H
#define WS_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ws_bytebuf {
  uint8_t *data;
  size_t len; /* bytes held */
  size_t cap; /* bytes allocated */
} ws_bytebuf;

/* Makes room for `want` more bytes, growing by doubling (from 256) so a
 * stream of appends costs amortised O(1), but never past `limit` bytes in
 * all: the caller's bound on what the buffer may ever hold. Room may stay
 * below `want` when the limit is nearer. Returns 0 or -WS_E_NOMEM (the
 * buffer is then unchanged). */
int ws_bytebuf_reserve(ws_bytebuf *b, size_t want, size_t limit);

/* Appends n bytes (no limit but memory). 0 or -WS_E_NOMEM. */
int ws_bytebuf_append(ws_bytebuf *b, const void *data, size_t n);

void ws_bytebuf_free(ws_bytebuf *b);

#endif
