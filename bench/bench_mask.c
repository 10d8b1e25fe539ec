/* Figure 1: unmasking 1 MiB in place (ws_mask) against memcpy of 1 MiB.
 *
 * memcpy is the yardstick because it is the least work any receive path does
 * with a payload: a masked payload must at least be read and written once.
 * Both sides run on warm, 64-byte aligned 1 MiB buffers. Informative extras:
 * ws_mask_copy (the same memory traffic as memcpy: read src, write dst) and
 * in-place unmasking at an odd start address and key offset, which is what a
 * payload behind a 6- or 8-byte header looks like. */
#include "bench/bench.h"
#include "codec/mask.h"

#include <stdlib.h>
#include <string.h>

#define MASK_BYTES (1u << 20)

typedef struct mask_ctx {
  uint8_t *src;
  uint8_t *dst;
  size_t len;
  size_t skew; /* start this many bytes into src (alignment) */
  uint8_t key[4];
} mask_ctx;

static void run_memcpy(void *p) {
  mask_ctx *c = p;
  memcpy(c->dst, c->src, c->len);
  bench_clobber(c->dst);
}

/* XOR is its own inverse, so repeated calls alternate the buffer between two
 * states; the work per call is identical. */
static void run_unmask(void *p) {
  mask_ctx *c = p;
  ws_mask(c->src + c->skew, c->len, c->key, c->skew);
  bench_clobber(c->src);
}

static void run_mask_copy(void *p) {
  mask_ctx *c = p;
  ws_mask_copy(c->dst, c->src, c->len, c->key, 0);
  bench_clobber(c->dst);
}

static void fill(uint8_t *buf, size_t n) {
  uint64_t seed = 0x6d61736b;
  for (size_t i = 0; i < n; i++)
    buf[i] = (uint8_t)bench_rand(&seed);
}

void bench_mask(void) {
  mask_ctx c = {.len = MASK_BYTES, .key = {0x37, 0xfa, 0x21, 0x3d}};
  /* A little slack behind src so the skewed run stays in bounds. */
  c.src = bench_alloc(MASK_BYTES + 64);
  c.dst = bench_alloc(MASK_BYTES + 64);
  fill(c.src, MASK_BYTES + 64);

  bench_pair r = bench_compare(run_unmask, &c, run_memcpy, &c, 51);
  bench_print("unmask_1MiB", bench_gbps(MASK_BYTES, r.a_ns), "GB/s");
  bench_print("memcpy_1MiB", bench_gbps(MASK_BYTES, r.b_ns), "GB/s");
  bench_print_target("unmask_vs_memcpy_1MiB", r.ratio, "ratio", 0.8);

  c.skew = 3;
  r = bench_compare(run_unmask, &c, run_memcpy, &c, 51);
  bench_print("unmask_1MiB_skew3_vs_memcpy", r.ratio, "ratio");

  c.skew = 0;
  r = bench_compare(run_mask_copy, &c, run_memcpy, &c, 51);
  bench_print("mask_copy_vs_memcpy_1MiB", r.ratio, "ratio");

  bench_keep(c.src[0] ^ c.src[MASK_BYTES - 1] ^ c.dst[12345]);
  free(c.src);
  free(c.dst);
}
