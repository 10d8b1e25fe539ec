/* Minimisation of a finding: delta debugging over a case's steps, then
 * shorter payloads, each candidate checked by the caller's predicate (which
 * runs it against a fresh target). Works on any case whose expectations do
 * not name steps (`before LABEL`): the fuzzer's own cases. */
#ifndef WS_HARNESS_MINIMIZE_H
#define WS_HARNESS_MINIMIZE_H

#include "case/case.h"
#include "util/arena.h"

#include <stdbool.h>

/* True when the candidate still shows the finding. */
typedef bool (*ws_minimize_pred)(const ws_case *candidate, void *ctx);

/* Writes into *out the smallest case found: c's info and expectations with
 * fewer steps and shorter payloads (step arrays in arena; payloads are
 * prefixes of c's, so c's memory must outlive *out). The predicate is not
 * asked about c itself: the caller knows it holds. At most max_attempts
 * predicate calls. Returns the number of calls made, or -1 when the arena
 * is out of memory (then *out is *c). */
int ws_minimize(const ws_case *c, ws_minimize_pred pred, void *ctx,
                unsigned max_attempts, ws_arena *arena, ws_case *out);

#endif
