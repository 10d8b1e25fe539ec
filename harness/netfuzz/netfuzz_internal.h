/* Private API between netfuzz.c (the generator) and its mutation files
 * (netfuzz_frames.c, netfuzz_handshake.c). */
#ifndef WS_HARNESS_NETFUZZ_INTERNAL_H
#define WS_HARNESS_NETFUZZ_INTERNAL_H

#include "netfuzz/netfuzz.h"
#include "util/prng.h"

/* One input while it is being built: a bounded vector of steps. Payloads
 * point into the catalogue or into the arena; a mutation that changes bytes
 * copies them first. */
typedef struct nf_gen {
  ws_prng *rng;
  ws_arena *arena;
  const ws_catalogue *cat;
  ws_step *v;
  size_t n, cap;
  bool oom;
  char *what; /* mutation names, appended */
  size_t what_cap;
} nf_gen;

uint64_t nf_below(nf_gen *g, uint64_t n); /* [0, n), n > 0 */
bool nf_chance(nf_gen *g, unsigned percent);
void nf_note(nf_gen *g, const char *name);
uint8_t *nf_alloc(nf_gen *g, size_t n); /* arena; sets oom on failure */

/* A step with the parser's defaults for its kind. */
ws_step nf_step(enum ws_step_kind kind);
ws_step nf_frame(uint8_t opcode, const uint8_t *p, size_t len);
/* Inserts at index at (<= n); false when the vector is full. */
bool nf_insert(nf_gen *g, size_t at, const ws_step *s);
void nf_remove(nf_gen *g, size_t at);
/* Index of a random step for which want() holds, or -1. */
long nf_pick(nf_gen *g, bool (*want)(const ws_step *s));
/* Index of the first step after the opening (chops, handshake/request). */
size_t nf_body_start(const nf_gen *g);

bool nf_is_frame(const ws_step *s);
bool nf_is_data_frame(const ws_step *s);
bool nf_has_payload(const ws_step *s);

/* Mutations: each applies one change and notes its name. */
void nf_mutate_header(nf_gen *g);  /* length form, declared, rsv, op, fin,
                                      mask */
void nf_mutate_payload(nf_gen *g); /* flips, bad UTF-8, truncate, extend */
void nf_fragment_storm(nf_gen *g);
void nf_control_odd(nf_gen *g);
void nf_mutate_request(nf_gen *g);

#endif
