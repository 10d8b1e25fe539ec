/* Private interface between codec/utf8.c, its vector kernels in
 * codec/utf8_simd.c and the unit test. Nothing outside the codec's UTF-8
 * validator and tests/unit/test_utf8.c should include this header.
 *
 * A kernel answers one question fast: how long a prefix of a buffer that
 * starts at a code point boundary is certainly valid UTF-8 and ends at a code
 * point boundary. It never locates errors: when a block looks wrong, or at the
 * end of the buffer, it stops early and the scalar validator in utf8.c takes
 * over, so the exact first invalid offset and the state carried across chunks
 * always come from one place. */
#ifndef WS_UTF8_SIMD_H
#define WS_UTF8_SIMD_H

#include "codec/utf8.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_utf8_impl {
  WS_UTF8_IMPL_AUTO = 0, /* the fastest kernel this CPU supports */
  WS_UTF8_IMPL_SCALAR,   /* no kernel: the portable word-at-a-time path */
  WS_UTF8_IMPL_SSSE3,    /* 16-byte blocks */
  WS_UTF8_IMPL_AVX2,     /* 32-byte blocks */
};

/* Returns the length L <= n of a prefix of p[0..n) that is valid UTF-8 and
 * ends at a code point boundary, given that p starts at one. L may be short
 * of the longest such prefix (it is 0 when n is below one block). */
typedef size_t (*ws_utf8_kernel_fn)(const uint8_t *p, size_t n);

/* Whether the CPU can run impl. AUTO and SCALAR are always available. */
bool ws_utf8_impl_available(enum ws_utf8_impl impl);

/* The kernel for impl, or NULL for SCALAR, for a kernel the CPU cannot run,
 * and on targets without vector kernels. AUTO picks the fastest one. */
ws_utf8_kernel_fn ws_utf8_kernel(enum ws_utf8_impl impl);

/* ws_utf8_feed with a forced implementation, so tests can check every path
 * against the others. An impl the CPU cannot run falls back to SCALAR. */
enum ws_utf8_result ws_utf8_feed_impl(ws_utf8_validator *v, const uint8_t *p,
                                      size_t n, size_t *invalid_at,
                                      enum ws_utf8_impl impl);

#endif
