/* Masking, RFC 6455 5.3: payload byte i is XORed with key[i % 4].
 * Word-at-a-time; correct at every alignment, length and key offset. */
#ifndef WS_MASK_H
#define WS_MASK_H

#include <stddef.h>
#include <stdint.h>

/* Masks (or unmasks: XOR is its own inverse) data[0..len) in place.
 * `offset` is the position of data[0] within the frame payload, so a payload
 * delivered in pieces is unmasked piece by piece with the same key. */
void ws_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset);

/* Same, writing the result to dst; src and dst may be equal but must not
 * otherwise overlap. */
void ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len,
                  const uint8_t key[4], uint64_t offset);

#endif
