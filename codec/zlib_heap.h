/* zlib's memory through the codec's allocation hooks (codec/hooks.h), so
 * tests can fail any allocation zlib makes and count what a stream holds.
 * Only the codec's zlib wrappers (deflate.c, inflate.c) include this. */
#ifndef WS_ZLIB_HEAP_H
#define WS_ZLIB_HEAP_H

#include <stddef.h>
#include <zlib.h>

/* Sets z's zalloc/zfree/opaque (call before deflateInit2/inflateInit2):
 * every block comes from ws_malloc, and *held follows the bytes the stream
 * holds (a block's size is kept in a small header in front of it, since
 * zfree is not told the size). */
void ws_zlib_heap_attach(z_stream *z, size_t *held);

/* Bytes of bookkeeping per zlib block, included in *held. */
#define WS_ZLIB_BLOCK_HEADER 16

#endif
