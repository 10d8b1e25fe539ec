#include "case/stream.h"

#include "case/corpus.h"
#include "codec/frame.h"

#include <stdio.h>

uint32_t ws_stream_count(const ws_step *s, enum ws_profile profile) {
  return profile == WS_PROFILE_FULL ? s->stream.full_count : s->stream.count;
}

void ws_stream_message(const ws_step *s, uint64_t index, uint8_t *out) {
  ws_corpus_fill((enum ws_corpus)s->stream.corpus, WS_CORPUS_SEED,
                 index * s->stream.size, out, (size_t)s->stream.size);
}

void ws_stream_step_text(const ws_step *s, char *out, size_t cap) {
  int n = snprintf(out, cap, "stream %s %s %llu count %u",
                   s->frame.opcode == WS_OP_TEXT ? "text" : "binary",
                   ws_corpus_name((enum ws_corpus)s->stream.corpus),
                   (unsigned long long)s->stream.size, s->stream.count);
  if (n < 0 || (size_t)n >= cap)
    return;
  if (s->stream.full_count != s->stream.count)
    n += snprintf(out + n, cap - (size_t)n, " full %u", s->stream.full_count);
  if ((size_t)n < cap && s->stream.fragment)
    n += snprintf(out + n, cap - (size_t)n, " in %llu",
                  (unsigned long long)s->stream.fragment);
  if ((size_t)n < cap && !s->compress)
    snprintf(out + n, cap - (size_t)n, " uncompressed");
}
