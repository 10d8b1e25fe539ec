#include "codec/hooks.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

struct counting {
  int mallocs, reallocs, frees;
};

static void *count_malloc(size_t n, void *ctx) {
  ((struct counting *)ctx)->mallocs++;
  return malloc(n);
}
static void *count_realloc(void *p, size_t n, void *ctx) {
  ((struct counting *)ctx)->reallocs++;
  return realloc(p, n);
}
static void count_free(void *p, void *ctx) {
  ((struct counting *)ctx)->frees++;
  free(p);
}

Test(hooks, allocator_hook_sees_every_call_and_can_be_reset) {
  struct counting c = {0};
  ws_allocator a = {count_malloc, count_realloc, count_free, &c};
  ws_set_allocator(&a);
  void *p = ws_malloc(10);
  p = ws_realloc(p, 20);
  ws_free(p);
  ws_free(NULL); /* free(NULL) is a no-op and not counted */
  ws_set_allocator(NULL);
  cr_assert_eq(c.mallocs, 1);
  cr_assert_eq(c.reallocs, 1);
  cr_assert_eq(c.frees, 1);
  p = ws_malloc(8); /* libc again: counters stay */
  ws_free(p);
  cr_assert_eq(c.mallocs, 1);
}

static void fixed_bytes(uint8_t *out, size_t len, void *ctx) {
  memset(out, *(const int *)ctx, len);
}

Test(hooks, random_hook_forces_mask_keys) {
  int fill = 0xAB;
  ws_set_random(fixed_bytes, &fill);
  uint8_t key[4];
  ws_mask_key_new(key);
  ws_set_random(NULL, NULL);
  for (int i = 0; i < 4; i++)
    cr_assert_eq(key[i], 0xAB);
}

Test(hooks, default_random_differs_between_calls) {
  uint8_t a[16], b[16];
  ws_random_bytes(a, sizeof a);
  ws_random_bytes(b, sizeof b);
  /* 128 random bits colliding would mean the source is broken. */
  cr_assert(memcmp(a, b, sizeof a) != 0);
}
