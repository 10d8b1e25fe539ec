/* PAYLOAD expressions (cases/FORMAT.md): "..." strings with escapes,
 * hex"..", TERM * N, random(N), corpus(KIND, N), joined by +. Evaluated at
 * parse time into arena memory, with the size known before anything is written.
 */
#ifndef WS_HARNESS_PAYLOAD_H
#define WS_HARNESS_PAYLOAD_H

#include "case/case.h"
#include "util/arena.h"
#include "util/prng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_PAYLOAD_MAX_REPEAT ((uint64_t)1 << 26)

typedef struct ws_payload_env {
  ws_arena *arena; /* receives the bytes */
  ws_prng *rng;    /* random(N): consumed in the order terms are written */
  size_t max;      /* largest expanded payload (WS_CASE_MAX_PAYLOAD) */
  char msg[160];   /* why the last call failed, without file or line */
} ws_payload_env;

/* True when a payload term starts at p: '"', hex", random( or corpus(. */
bool ws_payload_starts(const char *p, const char *end);

/* Parses the expression at *cur (leading blanks skipped) and stops at the
 * first thing that is not part of it, leaving *cur there after blanks, so
 * the caller can check what follows ("in N", "echo", junk). out->ptr is never
 * NULL, even for an empty payload. 0, or -1 with env->msg set (syntax, a
 * limit, or "out of memory"). */
int ws_payload_parse(ws_payload_env *env, const char **cur, const char *end,
                     ws_bytes *out);

/* Decodes one "..." literal at *cur (the opening quote) into a
 * NUL-terminated arena string; a NUL byte in it is an error. 0 or -1. */
int ws_payload_string(ws_payload_env *env, const char **cur, const char *end,
                      char **out);

#endif
