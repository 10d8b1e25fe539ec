#include "codec/zlib_heap.h"

#include "codec/hooks.h"

#include <stdint.h>

/* The header keeps the block's size; 16 bytes keep the block aligned for any
 * type zlib stores in it (max_align_t on the platforms we build for). */
_Static_assert(WS_ZLIB_BLOCK_HEADER >= sizeof(size_t) &&
                   WS_ZLIB_BLOCK_HEADER % _Alignof(max_align_t) == 0,
               "zlib block header must keep blocks aligned");

static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size) {
  size_t *held = opaque;
  size_t n = (size_t)items * size; /* uInt is 32 bits: no size_t overflow */
  if (n > SIZE_MAX - WS_ZLIB_BLOCK_HEADER)
    return Z_NULL;
  unsigned char *block = ws_malloc(n + WS_ZLIB_BLOCK_HEADER);
  if (!block)
    return Z_NULL;
  *(size_t *)block = n + WS_ZLIB_BLOCK_HEADER;
  *held += n + WS_ZLIB_BLOCK_HEADER;
  return block + WS_ZLIB_BLOCK_HEADER;
}

static void zlib_free(voidpf opaque, voidpf address) {
  if (!address)
    return;
  size_t *held = opaque;
  unsigned char *block = (unsigned char *)address - WS_ZLIB_BLOCK_HEADER;
  *held -= *(size_t *)block;
  ws_free(block);
}

void ws_zlib_heap_attach(z_stream *z, size_t *held) {
  z->zalloc = zlib_alloc;
  z->zfree = zlib_free;
  z->opaque = held;
}
