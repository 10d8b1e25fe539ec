/* The flags the engine and the grader read off a case's steps and lines,
 * derived in one place for the parser, the fuzzer and the minimizer. */
#include "case/case.h"

static bool reads_http(enum ws_pred_kind k) {
  return k == WS_PRED_STATUS || k == WS_PRED_NO_RESPONSE ||
         k == WS_PRED_UPGRADED || k == WS_PRED_HEADER ||
         k == WS_PRED_NO_HEADER || k == WS_PRED_DEFLATE ||
         k == WS_PRED_NO_DEFLATE || k == WS_PRED_OFFERED ||
         k == WS_PRED_NOT_OFFERED;
}

void ws_case_derive(ws_case *c) {
  size_t first = 0; /* `chop` steps may precede the opening step */
  while (first < c->step_count && c->steps[first].kind == WS_STEP_CHOP)
    first++;
  c->raw_handshake =
      first < c->step_count && c->steps[first].kind == WS_STEP_REQUEST;
  /* A server-role case's own `response` is its subject as much as a
   * client-role case's own request. */
  c->about_handshake =
      c->raw_handshake ||
      (first < c->step_count && (c->steps[first].kind == WS_STEP_HANDSHAKE ||
                                 c->steps[first].kind == WS_STEP_RESPONSE));
  c->uses_alive = false;
  for (size_t o = 0; o < c->outcome_count; o++)
    for (size_t a = 0; a < c->outcomes[o].count; a++)
      for (size_t i = 0; i < c->outcomes[o].alts[a].count; i++) {
        enum ws_pred_kind k = c->outcomes[o].alts[a].preds[i].kind;
        c->uses_alive = c->uses_alive || k == WS_PRED_ALIVE;
        c->about_handshake = c->about_handshake || reads_http(k);
      }
}

uint64_t ws_case_stream_messages(const ws_case *c, enum ws_profile profile) {
  uint64_t n = 0;
  for (size_t i = 0; i < c->step_count; i++)
    if (c->steps[i].kind == WS_STEP_STREAM)
      n += profile == WS_PROFILE_FULL ? c->steps[i].stream.full_count
                                      : c->steps[i].stream.count;
  return n;
}
