#include "codec/hooks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void *libc_malloc(size_t size, void *ctx) {
  (void)ctx;
  return malloc(size);
}
static void *libc_realloc(void *ptr, size_t size, void *ctx) {
  (void)ctx;
  return realloc(ptr, size);
}
static void libc_free(void *ptr, void *ctx) {
  (void)ctx;
  free(ptr);
}

static const ws_allocator libc_allocator = {libc_malloc, libc_realloc,
                                            libc_free, NULL};
static ws_allocator current_allocator = {libc_malloc, libc_realloc, libc_free,
                                         NULL};

void ws_set_allocator(const ws_allocator *allocator) {
  current_allocator = allocator ? *allocator : libc_allocator;
}

void *ws_malloc(size_t size) {
  return current_allocator.malloc_fn(size, current_allocator.ctx);
}
void *ws_realloc(void *ptr, size_t size) {
  return current_allocator.realloc_fn(ptr, size, current_allocator.ctx);
}
void ws_free(void *ptr) {
  if (ptr)
    current_allocator.free_fn(ptr, current_allocator.ctx);
}

static void os_random(uint8_t *out, size_t len, void *ctx) {
  (void)ctx;
  while (len > 0) {
    ssize_t got = getrandom(out, len, 0);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      abort(); /* no entropy means no safe mask keys: refuse to go on */
    out += got;
    len -= (size_t)got;
  }
}

static ws_random_fn random_fn = os_random;
static void *random_ctx;

void ws_set_random(ws_random_fn fn, void *ctx) {
  random_fn = fn ? fn : os_random;
  random_ctx = fn ? ctx : NULL;
}

void ws_random_bytes(uint8_t *out, size_t len) {
  random_fn(out, len, random_ctx);
}

void ws_mask_key_new(uint8_t key[4]) { ws_random_bytes(key, 4); }
