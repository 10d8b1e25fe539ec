/* The `stream` step: stream text|binary KIND SIZE [count N] [full N]
 * [in FRAG]. Its messages are not stored in the catalogue: the session cuts
 * each from the corpus when it sends it, so a 1000-message step costs
 * nothing until it runs. */
#include "case/case_parse.h"

#include "case/corpus.h"
#include "codec/frame.h"

static int number(ws_parser *p, ws_cursor *cur, int line, const char *what,
                  uint64_t min, uint64_t max, uint64_t *out) {
  const char *w;
  size_t n = ws_cur_word(cur, &w);
  if (ws_parse_u64(w, n, max, out) < 0 || *out < min)
    return ws_parse_fail(p, line,
                         "stream: %s must be a number from %llu to %llu", what,
                         (unsigned long long)min, (unsigned long long)max);
  return 0;
}

static int message_type(ws_parser *p, ws_cursor *cur, int line, ws_step *s) {
  char shown[48];
  const char *w;
  size_t n = ws_cur_word(cur, &w);
  if (ws_word_is(w, n, "text"))
    s->frame.opcode = WS_OP_TEXT;
  else if (ws_word_is(w, n, "binary"))
    s->frame.opcode = WS_OP_BINARY;
  else
    return ws_parse_fail(p, line, "stream needs text or binary, not '%s'",
                         ws_parse_show(shown, sizeof shown, w, n));
  n = ws_cur_word(cur, &w);
  int kind = ws_corpus_parse(w, n);
  if (kind < 0)
    return ws_parse_fail(p, line,
                         "stream: '%s' is not a corpus (json, html, prose, "
                         "german, bitmap, random)",
                         ws_parse_show(shown, sizeof shown, w, n));
  if (s->frame.opcode == WS_OP_TEXT && !ws_corpus_is_text(kind))
    return ws_parse_fail(p, line,
                         "stream: %s slices are not always valid UTF-8; "
                         "send them as binary",
                         ws_corpus_name(kind));
  s->stream.corpus = (uint8_t)kind;
  return 0;
}

int ws_parse_stream_step(ws_parser *p, ws_cursor *cur, int line, ws_step *s) {
  char shown[48];
  s->kind = WS_STEP_STREAM;
  s->echo = true; /* every message is echoed: that is the step */
  s->compress = true;
  if (message_type(p, cur, line, s) < 0 ||
      number(p, cur, line, "the message size", 0, WS_CASE_MAX_PAYLOAD,
             &s->stream.size) < 0)
    return -1;
  uint64_t count = 1, full = 0, frag = 0;
  bool seen[3] = {false, false, false};
  while (!ws_cur_end(cur)) {
    const char *w;
    size_t n = ws_cur_word(cur, &w);
    if (ws_word_is(w, n, "uncompressed")) {
      s->compress = false;
      continue;
    }
    int which = ws_word_is(w, n, "count")  ? 0
                : ws_word_is(w, n, "full") ? 1
                : ws_word_is(w, n, "in")   ? 2
                                           : -1;
    if (which < 0)
      return ws_parse_fail(p, line,
                           "stream: unexpected '%s' (count N, full N, in N, "
                           "uncompressed)",
                           ws_parse_show(shown, sizeof shown, w, n));
    if (seen[which])
      return ws_parse_fail(p, line, "stream: '%s' given twice",
                           ws_parse_show(shown, sizeof shown, w, n));
    seen[which] = true;
    int rc = which == 0
                 ? number(p, cur, line, "count", 1, WS_STREAM_MAX_COUNT, &count)
             : which == 1
                 ? number(p, cur, line, "full", 1, WS_STREAM_MAX_COUNT, &full)
                 : number(p, cur, line, "the fragment size", 1,
                          WS_CASE_MAX_PAYLOAD, &frag);
    if (rc < 0)
      return -1;
  }
  s->stream.count = (uint32_t)count;
  s->stream.full_count = (uint32_t)(seen[1] ? full : count);
  s->stream.fragment = frag;
  return 0;
}
