/* permessage-deflate compression over zlib (deflate.h). */
#include "codec/deflate.h"

#include "codec/errors.h"
#include "codec/hooks.h"
#include "codec/zlib_heap.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

/* zlib counts in uInt: bigger pieces go in slices of at most this. */
#define SLICE ((size_t)1 << 30)

/* Output reserved before each deflate() call: half the input (at most
 * GUESS_MAX, the buffer doubles when that is short) and a slack in which a
 * flush's block headers and the empty stored block fit. */
#define GUESS_MAX ((size_t)128 * 1024)
#define OUTPUT_SLACK 64

/* RFC 7692 7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the
 * tail end": LEN and NLEN of the empty stored block a sync flush ends
 * with. */
static const uint8_t sync_tail[4] = {0x00, 0x00, 0xff, 0xff};

struct ws_deflater {
  ws_deflater_config config;
  z_stream z;
  bool z_live;       /* deflateInit2 done, deflateEnd not yet */
  size_t zlib_bytes; /* what zlib holds (zlib_heap.h) */
  int error;         /* sticky, negative */
};

static bool valid_bits(int bits) {
  return bits == 0 || (bits >= 8 && bits <= 15);
}

int ws_deflater_new(const ws_deflater_config *config, ws_deflater **out) {
  ws_deflater_config c = {0};
  if (config)
    c = *config;
  if (!valid_bits(c.window_bits) ||
      !(c.level == WS_DEFLATE_LEVEL_STORED || (c.level >= 0 && c.level <= 9)) ||
      c.mem_level < 0 || c.mem_level > 9)
    return -WS_E_INVALID_ARGUMENT;
  ws_deflater *d = ws_malloc(sizeof *d);
  if (!d)
    return -WS_E_NOMEM;
  memset(d, 0, sizeof *d);
  d->config = c;
  *out = d;
  return 0;
}

static void end_stream(ws_deflater *d) {
  if (d->z_live)
    deflateEnd(&d->z);
  d->z_live = false;
}

void ws_deflater_free(ws_deflater *d) {
  if (!d)
    return;
  end_stream(d);
  ws_free(d);
}

size_t ws_deflater_heap_bytes(const ws_deflater *d) {
  return sizeof *d + d->zlib_bytes;
}

/* zlib's parameters for the agreed configuration; see deflate.h for why 8
 * becomes 9. Negative windowBits: raw DEFLATE, RFC 7692 7.2.1 sends no zlib
 * header or trailer. */
static int start_stream(ws_deflater *d) {
  int bits = d->config.window_bits ? d->config.window_bits : 15;
  if (bits == 8)
    bits = 9;
  int level = d->config.level == WS_DEFLATE_LEVEL_STORED ? 0
              : d->config.level                          ? d->config.level
                                : Z_DEFAULT_COMPRESSION;
  int mem = d->config.mem_level ? d->config.mem_level : 8;
  memset(&d->z, 0, sizeof d->z);
  ws_zlib_heap_attach(&d->z, &d->zlib_bytes);
  int rc =
      deflateInit2(&d->z, level, Z_DEFLATED, -bits, mem, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) {
    /* Only memory can fail here: the parameters were checked in _new. */
    d->zlib_bytes = 0;
    return -WS_E_NOMEM;
  }
  d->z_live = true;
  return 0;
}

static int fail(ws_deflater *d, int err) {
  d->error = err;
  end_stream(d);
  return err;
}

/* Runs deflate over z's input until zlib has taken all of it and, for a
 * flush, written all it has (zlib.h: with avail_out == 0 after the call,
 * "this function must be called again with the same value of the flush
 * parameter and more output space"). */
static int run(ws_deflater *d, int flush, ws_bytebuf *out) {
  z_stream *z = &d->z;
  for (;;) {
    size_t half = z->avail_in / 2;
    size_t want = (half < GUESS_MAX ? half : GUESS_MAX) + OUTPUT_SLACK;
    if (ws_bytebuf_reserve(out, want, SIZE_MAX) < 0)
      return -WS_E_NOMEM;
    size_t room = out->cap - out->len;
    if (room > UINT_MAX)
      room = UINT_MAX;
    z->next_out = out->data + out->len;
    z->avail_out = (uInt)room;
    int rc = deflate(z, flush);
    out->len += room - z->avail_out;
    /* Z_BUF_ERROR: nothing to do (no input, nothing pending): not an error,
     * zlib.h says so; Z_STREAM_ERROR would be a bug of ours. */
    if (rc == Z_STREAM_ERROR)
      return -WS_E_STATE;
    if (z->avail_in == 0 && z->avail_out != 0)
      return 0;
  }
}

/* RFC 7692 7.2.1, steps 2 and 3, on what the final sync flush produced
 * (out[from..]). */
static int strip_tail(ws_bytebuf *out, size_t from) {
  size_t produced = out->len - from;
  if (produced >= 4 && memcmp(out->data + out->len - 4, sync_tail, 4) == 0) {
    out->len -= 4;
    return 0;
  }
  if (produced == 0) {
    /* zlib had nothing to flush: the previous message's flush left the
     * stream at a block boundary and this message brought no input. Step 2
     * ("If the resulting data does not end with an empty DEFLATE block with
     * no compression ... append an empty DEFLATE block") appends 00 00 00
     * ff ff (BFINAL 0, BTYPE 00, padding, LEN, NLEN) and step 3 removes the
     * last 4 octets: one 00 remains. */
    static const uint8_t empty_block_head = 0x00;
    return ws_bytebuf_append(out, &empty_block_head, 1);
  }
  return -WS_E_STATE; /* a sync flush always ends with the tail */
}

int ws_deflater_feed(ws_deflater *d, const uint8_t *data, size_t len, bool fin,
                     ws_bytebuf *out) {
  if (d->error)
    return d->error;
  if (!d->z_live) {
    int rc = start_stream(d);
    if (rc < 0)
      return fail(d, rc);
  }
  while (len > SLICE) {
    d->z.next_in = (Bytef *)(uintptr_t)data;
    d->z.avail_in = (uInt)SLICE;
    int rc = run(d, Z_NO_FLUSH, out);
    if (rc < 0)
      return fail(d, rc);
    data += SLICE;
    len -= SLICE;
  }
  size_t from = out->len;
  d->z.next_in = (Bytef *)(uintptr_t)data;
  d->z.avail_in = (uInt)len;
  /* RFC 7692 7.2.1 step 1 compresses the whole message; the sync flush at
   * its end both delivers every byte (the receiver must be able to inflate
   * the message on its own) and ends it on a byte boundary with the empty
   * stored block that step 3 trims. Z_SYNC_FLUSH, not Z_FULL_FLUSH: the
   * window is kept for context takeover. */
  int rc = run(d, fin ? Z_SYNC_FLUSH : Z_NO_FLUSH, out);
  if (rc == 0 && fin)
    rc = strip_tail(out, from);
  if (rc < 0)
    return fail(d, rc);
  if (fin) {
    /* RFC 7692 7.1.1.1 / 7.1.1.2: with no context takeover the next message
     * starts from an empty window; freeing the state (rather than
     * deflateReset) also makes an idle deflater cost nothing. */
    if (d->config.no_context_takeover)
      end_stream(d);
  }
  return 0;
}
