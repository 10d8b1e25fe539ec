/* Hand-made permessage-deflate payloads for case files (cases/FORMAT.md):
 * deflate(PAYLOAD), a message compressed as RFC 7692 7.2.1 sends it, and
 * bomb(N), a DEFLATE stream that inflates to N zero bytes, built without
 * ever holding the N bytes, for decompression-bomb cases. Both come from
 * a fresh window (no earlier message is referenced), so they are valid
 * whatever context takeover was agreed. */
#ifndef WS_HARNESS_DEFLATED_H
#define WS_HARNESS_DEFLATED_H

#include "codec/bytebuf.h"

#include <stddef.h>
#include <stdint.h>

/* Largest N bomb(N) takes: 1 TiB inflated, about 1 GiB compressed, which
 * the payload limit refuses long before. */
#define WS_BOMB_MAX ((uint64_t)1 << 40)

/* data[0..len) compressed with 15 window bits, the trailing 00 00 ff ff
 * removed, appended to *out. 0 or -1 (out of memory). */
int ws_deflated_message(const uint8_t *data, size_t len, ws_bytebuf *out);

/* Appends a stream that inflates to n zero bytes (same form), as long as
 * it stays within limit bytes: 0, 1 when it would be longer than limit
 * (*out then holds a prefix), or -1 (out of memory). */
int ws_deflated_bomb(uint64_t n, size_t limit, ws_bytebuf *out);

#endif
