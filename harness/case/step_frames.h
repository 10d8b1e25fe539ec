/* The bytes a case sends, derived in one place for the runner (which sends
 * them) and `wsprobe show` (which prints them), so the two cannot disagree:
 * the case's key stream and the frames of its frame steps. */
#ifndef WS_HARNESS_STEP_FRAMES_H
#define WS_HARNESS_STEP_FRAMES_H

#include "case/case.h"
#include "codec/frame.h"
#include "codec/handshake.h"
#include "util/prng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seeds the case's key stream from (seed, case id) and draws the handshake
 * key (base64 of 16 bytes, NUL-terminated) first; mask keys follow, one per
 * randomly masked frame, in step order. */
void ws_case_keys_init(ws_prng *keys, uint64_t seed, const char *case_id,
                       char key[WS_KEY_LEN + 1]);

/* The frame of a FRAME step; a random mask key is drawn from keys. */
void ws_step_frame_spec(const ws_step *s, ws_prng *keys, ws_frame_spec *spec);

/* The frames of a FRAGMENTED step (RFC 6455 5.4: the first carries the
 * opcode, the others are continuations, the last has FIN; an empty payload
 * is one empty frame). */
typedef struct ws_fragments {
  const ws_step *step;
  size_t offset;
  bool done;
} ws_fragments;

void ws_fragments_begin(ws_fragments *it, const ws_step *s);
/* The next fragment's spec (masked, key from keys) and payload slice; false
 * once every fragment was produced. */
bool ws_fragments_next(ws_fragments *it, ws_prng *keys, ws_frame_spec *spec,
                       const uint8_t **payload, size_t *len);

#endif
