/* Injected nondeterminism: every allocation and every random byte the codec
 * uses goes through these hooks, so tests can fail the Nth allocation or force
 * a mask key. The hooks are process-wide; set them before starting threads. */
#ifndef WS_HOOKS_H
#define WS_HOOKS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ws_allocator {
  void *(*malloc_fn)(size_t size, void *ctx);
  void *(*realloc_fn)(void *ptr, size_t size, void *ctx);
  void (*free_fn)(void *ptr, void *ctx);
  void *ctx;
} ws_allocator;

/* NULL restores the libc allocator. The struct is copied. */
void ws_set_allocator(const ws_allocator *allocator);
void *ws_malloc(size_t size);
void *ws_realloc(void *ptr, size_t size);
void ws_free(void *ptr);

/* Fills out[0..len) with unpredictable bytes. */
typedef void (*ws_random_fn)(uint8_t *out, size_t len, void *ctx);

/* NULL restores the default (getrandom(2), the only OS call the codec makes,
 * because RFC 6455 10.3 wants mask keys an attacker cannot predict). */
void ws_set_random(ws_random_fn fn, void *ctx);
void ws_random_bytes(uint8_t *out, size_t len);

/* A fresh masking key from the random hook (RFC 6455 5.3). */
void ws_mask_key_new(uint8_t key[4]);

#endif
