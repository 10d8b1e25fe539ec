/* A small deterministic generator (splitmix64) for everything the harness
 * must reproduce from --seed: mask keys, handshake keys, random(N) payloads.
 * Not for secrets; the codec's own keys come from hooks.h. */
#ifndef WS_HARNESS_PRNG_H
#define WS_HARNESS_PRNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct ws_prng {
  uint64_t state;
} ws_prng;

/* Seeds from the run seed and a string (a case id), so every case has its own
 * stream whatever order or thread runs it. */
void ws_prng_seed(ws_prng *g, uint64_t seed, const char *salt);
uint64_t ws_prng_next(ws_prng *g);
void ws_prng_fill(ws_prng *g, uint8_t *out, size_t len);

#endif
