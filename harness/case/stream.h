/* What a `stream` step (case/case.h WS_STEP_STREAM) sends: message i is
 * bytes [i * size, (i + 1) * size) of its corpus, so consecutive messages
 * continue the same data the way Autobahn's 12.x cases walk through their
 * files, and a long run never repeats a message exactly. */
#ifndef WS_HARNESS_STREAM_H
#define WS_HARNESS_STREAM_H

#include "case/case.h"

#include <stddef.h>
#include <stdint.h>

/* Messages the step sends under profile. */
uint32_t ws_stream_count(const ws_step *s, enum ws_profile profile);

/* Writes message `index` (s->stream.size bytes) to out. */
void ws_stream_message(const ws_step *s, uint64_t index, uint8_t *out);

/* The step as written in a case file, without label or newline:
 * "stream text json 16384 count 3 full 1000 in 256". */
void ws_stream_step_text(const ws_step *s, char *out, size_t cap);

#endif
