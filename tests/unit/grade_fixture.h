/* Builders shared by test_grade.c and test_grade_text.c: cases and
 * observations made by hand, no parser, no runner. */
#ifndef WS_TESTS_GRADE_FIXTURE_H
#define WS_TESTS_GRADE_FIXTURE_H

#include "codec/errors.h"
#include "codec/frame.h"
#include "engine/grade.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>

/* ---- building cases ---- */

typedef struct tcase {
  ws_case c;
  ws_step steps[16];
  ws_outcome outs[8];
  ws_alternative alts[16];
  ws_predicate preds[32];
  size_t nalts, npreds;
} tcase;

static inline void tc_init(tcase *t) {
  memset(t, 0, sizeof *t);
  strcpy(t->c.id, "t.1");
  t->c.title = "a test case";
  t->c.area = "framing";
  t->c.rfc = "6455#5.2";
  t->c.level = WS_LEVEL_MUST;
  t->c.timeout_ms = 2000;
  t->c.steps = t->steps;
  t->c.outcomes = t->outs;
}

static inline ws_step *tc_step(tcase *t, enum ws_step_kind kind) {
  ws_step *s = &t->steps[t->c.step_count++];
  s->kind = kind;
  s->line = (int)t->c.step_count + 10;
  return s;
}

static inline ws_step *tc_frame(tcase *t, uint8_t op, bool fin,
                                const char *payload, bool echo) {
  ws_step *s = tc_step(t, WS_STEP_FRAME);
  s->frame.opcode = op;
  s->frame.fin = fin;
  s->payload.ptr = (const uint8_t *)payload;
  s->payload.len = strlen(payload);
  s->echo = echo;
  return s;
}

static inline ws_predicate pk(enum ws_pred_kind kind) {
  ws_predicate p = {.kind = kind};
  return p;
}

static inline ws_predicate p_close(int n, ...) {
  ws_predicate p = {.kind = WS_PRED_CLOSE};
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++)
    p.codes.codes[p.codes.count++] = (uint16_t)va_arg(ap, int);
  va_end(ap);
  return p;
}

static inline ws_predicate p_close_flag(const char *flag) {
  ws_predicate p = {.kind = WS_PRED_CLOSE};
  p.codes.any = strcmp(flag, "any") == 0;
  p.codes.empty = strcmp(flag, "empty") == 0;
  p.codes.valid = strcmp(flag, "valid") == 0;
  return p;
}

static inline ws_predicate p_status(uint16_t code, int class_digit) {
  ws_predicate p = {.kind = WS_PRED_STATUS};
  if (code)
    p.codes.codes[p.codes.count++] = code;
  if (class_digit)
    p.codes.classes = (uint16_t)(1u << class_digit);
  return p;
}

static inline ws_predicate p_range(enum ws_pred_kind kind, uint32_t min,
                                   uint32_t max) {
  ws_predicate p = {.kind = kind, .min = min, .max = max};
  return p;
}

static inline ws_predicate p_before(const char *label, size_t index) {
  ws_predicate p = {.kind = WS_PRED_BEFORE, .name = label, .step_index = index};
  return p;
}

static inline ws_predicate p_header(enum ws_pred_kind kind, const char *name,
                                    const char *value) {
  ws_predicate p = {.kind = kind, .name = name, .value = value};
  return p;
}

/* line(t, grade, text, alternatives, then per alternative: a count and that
 * many ws_predicate values). */
static inline void tc_line(tcase *t, enum ws_verdict grade, const char *text,
                           int nalts, ...) {
  ws_outcome *o = &t->outs[t->c.outcome_count++];
  o->grade = grade;
  o->text = text;
  o->line = 40 + (int)t->c.outcome_count;
  o->alts = &t->alts[t->nalts];
  va_list ap;
  va_start(ap, nalts);
  for (int a = 0; a < nalts; a++) {
    ws_alternative *alt = &t->alts[t->nalts++];
    int n = va_arg(ap, int);
    alt->preds = &t->preds[t->npreds];
    alt->count = (size_t)n;
    for (int i = 0; i < n; i++) {
      ws_predicate p = va_arg(ap, ws_predicate);
      /* As the parser derives it (case/case.h about_handshake). */
      if (p.kind == WS_PRED_STATUS || p.kind == WS_PRED_NO_RESPONSE ||
          p.kind == WS_PRED_UPGRADED || p.kind == WS_PRED_HEADER ||
          p.kind == WS_PRED_NO_HEADER)
        t->c.about_handshake = true;
      t->preds[t->npreds++] = p;
    }
    o->count++;
  }
  va_end(ap);
}

/* ---- building observations ---- */

typedef struct tobs {
  ws_observation o;
  ws_obs_event ev[32];
  ws_obs_header hd[8];
  ws_wire_entry wire[4];
} tobs;

static inline void to_init(tobs *t) {
  memset(t, 0, sizeof *t);
  t->o.response_complete = true;
  t->o.status = 101;
  t->o.upgraded = true;
  t->o.alive = -1;
  t->o.events = t->ev;
  t->o.headers = t->hd;
  t->o.wire = t->wire;
  t->o.duration_ms = 12.5;
}

static inline ws_obs_event *to_event(tobs *t, enum ws_obs_event_kind kind,
                                     size_t steps) {
  ws_obs_event *e = &t->ev[t->o.event_count++];
  t->o.kind_total[kind]++;
  e->kind = kind;
  e->steps_started = steps;
  e->t_ms = 1.0 + (double)t->o.event_count;
  return e;
}

/* Recounts kind_total after a test cut event_count by hand. */
static inline void to_recount(tobs *t) {
  memset(t->o.kind_total, 0, sizeof t->o.kind_total);
  for (size_t i = 0; i < t->o.event_count; i++)
    t->o.kind_total[t->o.events[i].kind]++;
}

static inline void to_msg(tobs *t, uint8_t op, const char *data) {
  ws_obs_event *e = to_event(t, WS_OBS_MESSAGE, 1);
  e->opcode = op;
  e->data = (uint8_t *)data;
  e->len = e->full_len = strlen(data);
}

static inline void to_pong(tobs *t, const char *data) {
  ws_obs_event *e = to_event(t, WS_OBS_PONG, 1);
  e->opcode = WS_OP_PONG;
  e->data = (uint8_t *)data;
  e->len = strlen(data);
}

static inline ws_obs_event *to_close(tobs *t, uint16_t code, const char *reason,
                                     size_t steps) {
  ws_obs_event *e = to_event(t, WS_OBS_CLOSE, steps);
  e->close_code = code;
  e->data = (uint8_t *)reason;
  e->len = strlen(reason);
  return e;
}

static inline void to_close_empty(tobs *t) {
  ws_obs_event *e = to_close(t, 1005, "", 1);
  e->close_empty = true;
}

static inline void to_tcp_end(tobs *t, size_t steps) {
  t->o.peer_closed_tcp = true;
  t->o.tcp_end_t_ms = 3.1;
  t->o.tcp_end_steps_started = steps;
}

static inline void to_header(tobs *t, const char *name, const char *value) {
  t->hd[t->o.header_count].name = (char *)name;
  t->hd[t->o.header_count].value = (char *)value;
  t->o.header_count++;
}

/* ---- grading ---- */

static ws_case_result R;

static inline void grade(const tcase *t, const tobs *o) {
  ws_case_result_free(&R);
  cr_assert_eq(ws_grade_case(&t->c, &o->o, false, &R), 0);
}

static inline void fini(void) { ws_case_result_free(&R); }

#define assert_verdict(v, code)                                                \
  do {                                                                         \
    cr_assert_eq(R.verdict, v, "verdict %s, reason %s",                        \
                 ws_verdict_name(R.verdict), R.reason);                        \
    cr_assert_str_eq(R.reason_code, code, "reason: %s", R.reason);             \
  } while (0)

/* A case with one text echo and "pass echo / fail otherwise". */
static inline void echo_case(tcase *t, int n) {
  static const char *const payloads[] = {"one", "two", "three"};
  tc_init(t);
  for (int i = 0; i < n; i++)
    tc_frame(t, WS_OP_TEXT, true, payloads[i], true);
  tc_line(t, WS_VERDICT_PASS, "echo", 1, 1, pk(WS_PRED_ECHO));
  tc_line(t, WS_VERDICT_FAIL, "otherwise", 1, 1, pk(WS_PRED_OTHERWISE));
}

#endif
