/* Masking, RFC 6455 5.3. The reference is one line (out[i] = in[i] ^
 * key[(offset + i) % 4]); everything here exists to make that line run at
 * memory speed, because the server unmasks every byte it receives.
 *
 * Two shapes, by length:
 *  - long (MASK_SHORT bytes or more): a bytewise head until the destination is
 *    16-byte aligned, then a key replicated into a vector, rotated so that its
 *    first byte lines up with the first aligned byte, then wide XORs, then a
 *    bytewise tail.
 *  - short (most frames: control frames, chat messages): no bytewise loops.
 *    Unaligned lanes, and a last lane (or pair of words) that overlaps the
 *    ones before it, loaded before anything is stored so masking in place
 *    still XORs each byte exactly once. A head and a tail of random length
 *    each cost a mispredicted loop exit per call, which on a 60-byte payload
 *    is more than the XORs themselves.
 * Loads and stores go through memcpy, which the compiler turns into plain
 * (unaligned) vector moves, so there is no alignment or strict-aliasing
 * undefined behaviour whatever the caller's pointers are. */
#include "codec/mask.h"

#include <string.h>

/* A 16-byte lane; GCC and clang lower it to SSE2 on x86-64 and NEON on arm64,
 * and to scalar code elsewhere. */
typedef uint8_t lane16 __attribute__((vector_size(16)));

/* The destination alignment the head loop works towards. */
#define MASK_ALIGN 16u

/* Below this length the short shape wins: the aligned head and the tail
 * cost up to 30 bytewise steps and two unpredictable loop exits, which only
 * long payloads amortise. */
#define MASK_SHORT 256u

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

/* The four key bytes starting at key index `phase`, in memory order, so that
 * XORing the word into four payload bytes loaded with memcpy masks them
 * whatever the byte order of the machine. */
static inline uint32_t key_word(const uint8_t key[4], unsigned phase) {
  const uint8_t bytes[4] = {key[phase & 3u], key[(phase + 1) & 3u],
                            key[(phase + 2) & 3u], key[(phase + 3) & 3u]};
  uint32_t w;
  memcpy(&w, bytes, sizeof w);
  return w;
}

/* Both halves are the same word, so byte order does not matter here either. */
static uint64_t key_word64(uint32_t w) { return (uint64_t)w << 32 | w; }

/* The key word repeated over a lane. */
static lane16 key_lane(uint32_t w) {
  typedef uint32_t words4 __attribute__((vector_size(16)));
  const words4 words = {w, w, w, w};
  lane16 lane;
  memcpy(&lane, &words, sizeof lane);
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

/* len < MASK_SHORT. Every piece is computed from src bytes loaded before the
 * stores that overlap them, so dst may equal src. */
static void mask_short(uint8_t *dst, const uint8_t *src, size_t len,
                       const uint8_t key[4], unsigned phase) {
  if (len >= 16) {
    size_t last = len - 16;
    lane16 tail;
    memcpy(&tail, src + last, sizeof tail);
    lane16 k = key_lane(key_word(key, phase));
    for (size_t i = 0; i < last; i += 16)
      xor_lane(dst + i, src + i, k);
    tail ^= key_lane(key_word(key, phase + (unsigned)last));
    memcpy(dst + last, &tail, sizeof tail);
  } else if (len >= 8) {
    uint64_t a, b;
    memcpy(&a, src, sizeof a);
    memcpy(&b, src + len - 8, sizeof b);
    a ^= key_word64(key_word(key, phase));
    b ^= key_word64(key_word(key, phase + (unsigned)len - 8));
    memcpy(dst, &a, sizeof a);
    memcpy(dst + len - 8, &b, sizeof b);
  } else if (len >= 4) {
    uint32_t a, b;
    memcpy(&a, src, sizeof a);
    memcpy(&b, src + len - 4, sizeof b);
    a ^= key_word(key, phase);
    b ^= key_word(key, phase + (unsigned)len - 4);
    memcpy(dst, &a, sizeof a);
    memcpy(dst + len - 4, &b, sizeof b);
  } else {
    mask_bytes(dst, src, len, key, phase);
  }
}

void ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len,
                  const uint8_t key[4], uint64_t offset) {
  unsigned phase = (unsigned)(offset & 3u);
  if (len < MASK_SHORT) {
    mask_short(dst, src, len, key, phase);
    return;
  }
  /* Align the stores; loads from src may stay unaligned, which modern CPUs
   * handle at full speed, whereas split stores are the costly case. */
  size_t head =
      (MASK_ALIGN - ((uintptr_t)dst & (MASK_ALIGN - 1))) & (MASK_ALIGN - 1);
  mask_bytes(dst, src, head, key, phase);
  phase = (phase + (unsigned)head) & 3u;
  size_t done = head + mask_lanes(dst + head, src + head, len - head,
                                  key_lane(key_word(key, phase)));
  /* The wide part consumed a multiple of 16 bytes, so the phase is
   * unchanged for the tail. */
  mask_bytes(dst + done, src + done, len - done, key, phase);
}

void ws_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset) {
  ws_mask_copy(data, data, len, key, offset);
}
