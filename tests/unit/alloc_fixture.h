/* A counting allocator for the codec's allocation hooks (codec/hooks.h),
 * shared by the tests that bound memory or fail the Nth allocation: it
 * tracks the bytes and blocks live and the peak, and can fail one call.
 * Criterion runs each test in its own process, so the counters are per
 * test. */
#ifndef WS_TESTS_ALLOC_FIXTURE_H
#define WS_TESTS_ALLOC_FIXTURE_H

#include "codec/hooks.h"

#include <stdlib.h>
#include <string.h>

static size_t af_live, af_peak, af_blocks, af_calls, af_fail_at;

/* Each block carries its size in a 16-byte header, for the frees. */
static inline void *af_malloc(size_t size, void *ctx) {
  (void)ctx;
  if (++af_calls == af_fail_at)
    return NULL;
  size_t *p = malloc(size + 16);
  if (!p)
    return NULL;
  *p = size;
  af_live += size;
  af_blocks++;
  if (af_live > af_peak)
    af_peak = af_live;
  return (char *)p + 16;
}

static inline void af_free(void *ptr, void *ctx) {
  (void)ctx;
  if (!ptr)
    return;
  size_t *p = (size_t *)((char *)ptr - 16);
  af_live -= *p;
  af_blocks--;
  free(p);
}

/* A realloc is a new block, a copy and a free, so the peak counts both
 * blocks, as the moment of the copy does. */
static inline void *af_realloc(void *ptr, size_t size, void *ctx) {
  if (!ptr)
    return af_malloc(size, ctx);
  void *fresh = af_malloc(size, ctx);
  if (!fresh)
    return NULL;
  size_t old = *(size_t *)((char *)ptr - 16);
  memcpy(fresh, ptr, old < size ? old : size);
  af_free(ptr, ctx);
  return fresh;
}

/* Installs the allocator; fail_at N > 0 makes the Nth call fail. */
static inline void af_install(size_t fail_at) {
  static const ws_allocator a = {af_malloc, af_realloc, af_free, NULL};
  af_live = af_peak = af_blocks = af_calls = 0;
  af_fail_at = fail_at;
  ws_set_allocator(&a);
}

static inline void af_uninstall(void) {
  ws_set_allocator(NULL);
  af_fail_at = 0;
}

#endif
