/* permessage-deflate, the sending side: compresses outgoing messages as
 * RFC 7692 7.2.1 describes, over zlib's raw DEFLATE. Both roles use it: the
 * reference server to echo, the harness to send a step's payload compressed.
 * The receiving side is codec/inflate.h; negotiation is codec/pmd.h.
 *
 * A message is given in pieces (any split, one call per piece); the last
 * piece says fin. Output is appended to a ws_bytebuf the caller owns, so the
 * caller decides where compressed bytes go (a frame, the harness's step).
 *
 * Window bits 8. zlib's deflate cannot use a 256-byte window: deflateInit2
 * refuses raw windowBits -8 (zlib.h: "For raw deflate or gzip encoding, a
 * request for a 256-byte window is rejected as invalid"), and for the zlib
 * format it silently uses 9. When 8 is agreed for our direction
 * (server_max_window_bits=8 answered by a server, client_max_window_bits=8
 * by a client) we compress with windowBits 9. RFC 7692 7.1.2 limits the
 * window the sender uses, that is how far back its matches reach, and zlib's
 * deflate never emits a match farther back than its window size minus 262
 * bytes (its MIN_LOOKAHEAD): 250 with windowBits 9, inside the agreed 256.
 * That is an implementation fact of zlib, not a documented promise, so a
 * unit test (test_deflate.c, window_8_stays_within_256_bytes) inflates our
 * output with a raw 256-byte window one output byte at a time, which makes
 * zlib check every distance against the window, and fails if a future zlib
 * reached farther. The alternatives were worse: declining offers that ask
 * for 8 (RFC 7692 7.1.2.1 allows it, but the reference server would then
 * not exercise 8), or Z_RLE/Z_HUFFMAN_ONLY (documented distances of 1 or
 * none, at a much worse ratio). The receiving side inflates with 8 itself
 * (raw inflate accepts -8; see inflate.h).
 *
 * Memory: zlib's state (about 2^(windowBits+2) + 2^(mem_level+9) bytes, 256
 * KiB at 15/8) is allocated on the first piece of a message. With context
 * takeover it lives as long as the deflater (the window is shared across
 * messages); with no_context_takeover it is freed at the end of every
 * message, so an idle deflater holds only its small struct. */
#ifndef WS_DEFLATE_H
#define WS_DEFLATE_H

#include "codec/bytebuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `level` for stored blocks only (BTYPE 00: no compression at all). */
#define WS_DEFLATE_LEVEL_STORED (-1)

typedef struct ws_deflater_config {
  int window_bits;          /* our direction's agreed window, 8..15; 0: 15 */
  bool no_context_takeover; /* agreed for our direction: every message
                               starts from an empty window */
  int level;                /* zlib's 1..9; 0: zlib's default (6); or
                               WS_DEFLATE_LEVEL_STORED */
  int mem_level;            /* zlib's 1..9; 0: 8 */
} ws_deflater_config;

typedef struct ws_deflater ws_deflater;

/* 0 and *out, -WS_E_INVALID_ARGUMENT (a field out of range) or
 * -WS_E_NOMEM. Allocates only the small struct (zlib's state comes with the
 * first message). A NULL config is the zero config. */
int ws_deflater_new(const ws_deflater_config *config, ws_deflater **out);
void ws_deflater_free(ws_deflater *d);

/* Compresses data[0..len), the next piece of the current message, and
 * appends what zlib produced to *out (possibly nothing before fin: zlib
 * buffers). With fin the message ends: RFC 7692 7.2.1's steps, a sync flush
 * that ends the data with an empty stored block, then its last 4 octets 00
 * 00 ff ff removed. An empty message is the single octet 00 (an empty stored
 * block's header, the 4 octets the receiver appends complete it). data may
 * be NULL when len is 0. Returns 0, or -WS_E_NOMEM (the deflater is then
 * unusable: every later call returns it; *out may hold a partial message,
 * from *out's length before the call on). */
int ws_deflater_feed(ws_deflater *d, const uint8_t *data, size_t len, bool fin,
                     ws_bytebuf *out);

/* Heap bytes the deflater holds (its struct and zlib's state). */
size_t ws_deflater_heap_bytes(const ws_deflater *d);

#endif
