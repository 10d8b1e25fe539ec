/* Masking, RFC 6455 5.3. The reference is one line (out[i] = in[i] ^
 * key[(offset + i) % 4]); everything here exists to make that line run at
 * memory speed, because the server unmasks every byte it receives.
 *
 * The shape: a bytewise head until the destination is 16-byte aligned, then a
 * key replicated into a vector, rotated so that its first byte lines up with
 * the first aligned byte, then wide XORs, then a bytewise tail. Loads and
 * stores go through memcpy, which the compiler turns into plain (unaligned)
 * vector moves, so there is no alignment or strict-aliasing undefined
 * behaviour whatever the caller's pointers are. */
#include "codec/mask.h"

#include <string.h>

/* A 16-byte lane; GCC and clang lower it to SSE2 on x86-64 and NEON on arm64,
 * and to scalar code elsewhere. */
typedef uint8_t lane16 __attribute__((vector_size(16)));

/* The destination alignment the head loop works towards. */
#define MASK_ALIGN 16u

/* Bytes per iteration of the main loop: four lanes, so that the loop is
 * bound by loads and stores, not by the loop counter. */
#define MASK_BLOCK 64u

/* Bytewise reference, used for the head and the tail. `phase` is the key
 * index of src[0]. */
static void mask_bytes(uint8_t *dst, const uint8_t *src, size_t len,
                       const uint8_t key[4], unsigned phase) {
  for (size_t i = 0; i < len; i++)
    dst[i] = src[i] ^ key[(phase + i) & 3u];
}

/* The key repeated over a lane, starting at key index `phase`. */
static lane16 lane_key(const uint8_t key[4], unsigned phase) {
  uint8_t bytes[16];
  for (unsigned i = 0; i < 16; i++)
    bytes[i] = key[(phase + i) & 3u];
  lane16 lane;
  memcpy(&lane, bytes, sizeof lane);
  return lane;
}

static inline void xor_lane(uint8_t *dst, const uint8_t *src, lane16 k) {
  lane16 v;
  memcpy(&v, src, sizeof v);
  v ^= k;
  memcpy(dst, &v, sizeof v);
}

/* The wide part: len bytes, phase 0 relative to the lane key k. Because 16
 * is a multiple of 4, every lane starts at the same key phase. */
static size_t mask_lanes(uint8_t *dst, const uint8_t *src, size_t len,
                         lane16 k) {
  size_t i = 0;
  for (; i + MASK_BLOCK <= len; i += MASK_BLOCK) {
    xor_lane(dst + i, src + i, k);
    xor_lane(dst + i + 16, src + i + 16, k);
    xor_lane(dst + i + 32, src + i + 32, k);
    xor_lane(dst + i + 48, src + i + 48, k);
  }
  for (; i + 16 <= len; i += 16)
    xor_lane(dst + i, src + i, k);
  return i;
}

void ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len,
                  const uint8_t key[4], uint64_t offset) {
  unsigned phase = (unsigned)(offset & 3u);
  /* Short inputs (control frames, tiny messages) are not worth the setup. */
  if (len < 2 * MASK_ALIGN) {
    mask_bytes(dst, src, len, key, phase);
    return;
  }
  /* Align the stores; loads from src may stay unaligned, which modern CPUs
   * handle at full speed, whereas split stores are the costly case. */
  size_t head =
      (MASK_ALIGN - ((uintptr_t)dst & (MASK_ALIGN - 1))) & (MASK_ALIGN - 1);
  mask_bytes(dst, src, head, key, phase);
  phase = (phase + (unsigned)head) & 3u;
  size_t done = head + mask_lanes(dst + head, src + head, len - head,
                                  lane_key(key, phase));
  /* The wide part consumed a multiple of 16 bytes, so the phase is
   * unchanged for the tail. */
  mask_bytes(dst + done, src + done, len - done, key, phase);
}

void ws_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset) {
  ws_mask_copy(data, data, len, key, offset);
}
