/* Shared by grade.c (verdicts) and grade_text.c (the words of a result):
 * a growable string, the replies a case expects, and the grading context. */
#ifndef WS_HARNESS_GRADE_INTERNAL_H
#define WS_HARNESS_GRADE_INTERNAL_H

#include "case/case.h"
#include "case/expected.h"
#include "engine/observation.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes quoted for a human: 'abc\x00' with at most max bytes shown, then
 * "..." when cut. */
void ws_grade_quote(ws_buf *b, const uint8_t *bytes, size_t len, size_t max);

/* ---- grading context ---- */

typedef struct ws_grade_ctx {
  const ws_case *c;
  const ws_observation *obs;
  ws_expected exp;
  const ws_obs_event **msgs; /* MESSAGE events kept, in order */
  size_t msg_count;
  const ws_obs_event **pongs; /* PONG events kept, in order */
  size_t pong_count;
  /* Every one that arrived, kept or not (observation.h bounds what is
   * kept): counts are graded on these. */
  size_t msg_total, pong_total, ping_count;
  const ws_obs_event *close;     /* the first CLOSE event, or NULL */
  const ws_obs_event *violation; /* the first VIOLATION, or NULL */
  size_t violation_count;
} ws_grade_ctx;

bool ws_grade_reply_matches(const ws_reply *r, const ws_obs_event *ev,
                            bool is_message);
bool ws_grade_pred_holds(const ws_grade_ctx *g, const ws_predicate *p);
/* The pong answering the latest ping marked echo arrived (RFC 6455 5.5.3:
 * a peer may answer only the most recent ping). */
bool ws_grade_last_pong_in(const ws_grade_ctx *g);

/* ---- words ---- */

/* The predicate as a case writes it ("close 1002,1007", "status 4xx"). */
void ws_grade_pred_text(ws_buf *b, const ws_predicate *p);
/* An outcome line's condition: its text, or rendered from the predicates
 * when the case was built without one. */
void ws_grade_outcome_text(ws_buf *b, const ws_outcome *o);

/* Why p does not hold: a machine code (static), a full sentence, and the
 * observed fact alone ("got close 1000") for sentences that name a whole
 * line instead of the predicate. */
typedef struct ws_explanation {
  const char *code;
  ws_buf sentence;
  ws_buf fact;
} ws_explanation;
void ws_grade_explain(const ws_grade_ctx *g, const ws_predicate *p,
                      ws_explanation *out);

/* A case's rfc field for a sentence: "6455#5.5, 7692#7.2.1" becomes
 * "RFC 6455 5.5, RFC 7692 7.2.1". */
void ws_grade_rfc_text(ws_buf *b, const char *rfc);

/* The compact account of what happened ("status 101; 1 message ..."). */
void ws_grade_observed_text(const ws_grade_ctx *g, ws_buf *b);

#endif
