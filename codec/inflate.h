/* permessage-deflate, the receiving side: inflates compressed messages as
 * RFC 7692 7.2.2 describes (append 00 00 ff ff, inflate), over zlib's raw
 * inflate, with a hard bound on what a peer can make it produce.
 *
 * A message arrives in pieces (frame by frame, split anywhere); each piece is
 * fed as it comes and the last one says fin. Output is appended to a
 * ws_bytebuf the caller owns.
 *
 * Bounds. A message may inflate to at most config.max_message bytes. The
 * output buffer grows by doubling as bytes come, never past max_message for
 * the message, so a DEFLATE bomb (a few KiB inflating to gigabytes) stops
 * with WS_E_DEFLATE_TOO_BIG (1009) having produced and allocated at most
 * max_message bytes of output. Whether more output follows the limit is
 * asked of zlib with a 1-byte scratch that is never kept, so a message of
 * exactly max_message bytes passes. Besides the output, the inflater holds
 * zlib's state: about 7 KiB plus a 2^window_bits window (32 KiB at 15),
 * fixed, whatever the peer sends. With context takeover the window is all
 * that carries from one message to the next, so a bomb spread over many
 * messages meets the limit in each message and memory does not grow.
 *
 * Window bits 8: raw inflate accepts a 256-byte window (zlib.h: windowBits
 * "-8..-15 for raw inflate"), so 8 is used as agreed. A peer whose matches
 * reach past the agreed window breaks RFC 7692 7.1.2; zlib notices it only
 * when the distance reaches past both its window and the output of the same
 * inflate() call, so by default detection depends on how the input was
 * split. exact_window makes it exact (one output byte per zlib call, so
 * every distance is checked against the window; slow, meant for the harness
 * reading small messages). With window_bits 15 no split changes the outcome.
 *
 * Messages ending in a final block (BFINAL 1, RFC 7692 7.2.3.4) end zlib's
 * stream; anything after the final block (the RFC's example has one 00
 * octet, which with the appended 00 00 ff ff makes an empty stored block)
 * starts a new stream that keeps the window, and a message that ends right
 * after its final block needs no appended octets.
 *
 * Policies (frame.h):
 *  - STRICT (the reference server): the first error sticks; every later
 *    call returns it. The close code is ws_error_close_code(err).
 *  - OBSERVE (the harness): an error is returned once, by the call that met
 *    it; the rest of that message is ignored (calls return 0) and the next
 *    message is inflated as usual when the peer resets its window for every
 *    message (no_context_takeover). With context takeover the shared window
 *    is lost, so every later message returns WS_E_DEFLATE_CONTEXT_LOST once
 *    (not a fault of that message: the report should say so). */
#ifndef WS_INFLATE_H
#define WS_INFLATE_H

#include "codec/bytebuf.h"
#include "codec/frame.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_inflater_config {
  int window_bits;          /* the peer's agreed window, 8..15; 0: 15 */
  bool no_context_takeover; /* agreed for the peer's direction: every
                               message starts from an empty window */
  size_t max_message;       /* most bytes one message may inflate to;
                               0: WS_DEFAULT_MAX_MESSAGE */
  enum ws_policy policy;
  bool exact_window; /* check every distance against window_bits (slow) */
} ws_inflater_config;

typedef struct ws_inflater ws_inflater;

/* 0 and *out, -WS_E_INVALID_ARGUMENT or -WS_E_NOMEM. Allocates only the
 * small struct; zlib's state comes with the first message. A NULL config is
 * the zero config. */
int ws_inflater_new(const ws_inflater_config *config, ws_inflater **out);
void ws_inflater_free(ws_inflater *inf);

/* Inflates data[0..len), the next piece of the current compressed message,
 * appending to *out. With fin the message ends: RFC 7692 7.2.2's 00 00 ff ff
 * is appended and the message must then end at a block boundary. Returns 0,
 * or:
 *   -WS_E_DEFLATE_TOO_BIG       the message inflates past max_message (1009);
 *                               *out holds its first max_message bytes
 *   -WS_E_DEFLATE_DATA          not valid DEFLATE data (1007); detail below
 *   -WS_E_DEFLATE_UNFINISHED    fin, but the data stops inside a block
 *                               (1007): e.g. an empty payload, or a sender
 *                               that removed more than the 4 octets
 *   -WS_E_DEFLATE_CONTEXT_LOST  OBSERVE, see above
 *   -WS_E_NOMEM                 sticky in both policies
 * data may be NULL when len is 0. */
int ws_inflater_feed(ws_inflater *inf, const uint8_t *data, size_t len,
                     bool fin, ws_bytebuf *out);

/* zlib's words for the last WS_E_DEFLATE_DATA ("invalid distance too far
 * back", "invalid block type"...), for a report; "" when there is none. */
const char *ws_inflater_error_detail(const ws_inflater *inf);

/* Heap bytes the inflater holds (its struct and zlib's state; not *out). */
size_t ws_inflater_heap_bytes(const ws_inflater *inf);

#endif
