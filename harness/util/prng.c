#include "util/prng.h"

#include <string.h>

void ws_prng_seed(ws_prng *g, uint64_t seed, const char *salt) {
  /* FNV-1a over the salt, mixed with the seed: distinct ids give unrelated
   * streams. */
  uint64_t h = 0xcbf29ce484222325u;
  for (const char *p = salt ? salt : ""; *p; p++)
    h = (h ^ (uint8_t)*p) * 0x100000001b3u;
  g->state = seed ^ h;
}

uint64_t ws_prng_next(ws_prng *g) {
  uint64_t z = (g->state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

void ws_prng_fill(ws_prng *g, uint8_t *out, size_t len) {
  while (len > 0) {
    uint64_t v = ws_prng_next(g);
    size_t n = len < 8 ? len : 8;
    memcpy(out, &v, n);
    out += n;
    len -= n;
  }
}
