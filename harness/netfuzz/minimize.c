/* Delta debugging in three passes, each cheap in predicate calls because
 * every call may restart a server:
 *  1. remove chunks of steps, halving the chunk size down to one step
 *     (ddmin's complement test, without its subset test: inputs are small);
 *  2. binary-search the shortest payload prefix that still shows the
 *     finding, step by step (a crash rarely needs the whole payload);
 *  3. one more pass of single-step removal, since shorter payloads can make
 *     steps redundant. */
#include "netfuzz/minimize.h"

#include <string.h>

typedef struct mini {
  ws_case base; /* c's info and outcomes */
  ws_step *cur, *cand;
  size_t n;
  ws_minimize_pred pred;
  void *ctx;
  unsigned attempts, max;
} mini;

/* Runs the predicate on cand[0..n); true (and cand becomes cur) when the
 * finding still shows. */
static bool try_cand(mini *m, size_t n) {
  if (m->attempts >= m->max)
    return false;
  m->attempts++;
  ws_case c = m->base;
  c.steps = m->cand;
  c.step_count = n;
  ws_case_derive(&c);
  if (!m->pred(&c, m->ctx))
    return false;
  ws_step *t = m->cur;
  m->cur = m->cand;
  m->cand = t;
  m->n = n;
  return true;
}

/* cur without [start, start + len). */
static size_t without(mini *m, size_t start, size_t len) {
  memcpy(m->cand, m->cur, start * sizeof *m->cur);
  memcpy(m->cand + start, m->cur + start + len,
         (m->n - start - len) * sizeof *m->cur);
  return m->n - len;
}

static void remove_chunks(mini *m, size_t chunk) {
  for (; chunk >= 1; chunk /= 2) {
    size_t start = 0;
    while (start < m->n && m->attempts < m->max) {
      size_t len = m->n - start < chunk ? m->n - start : chunk;
      if (!try_cand(m, without(m, start, len)))
        start += len;
    }
  }
}

static bool has_payload(const ws_step *s) {
  return (s->kind == WS_STEP_FRAME || s->kind == WS_STEP_FRAGMENTED ||
          s->kind == WS_STEP_RAW || s->kind == WS_STEP_REQUEST) &&
         s->payload.len > 0;
}

/* The shortest prefix of step i's payload that still shows the finding,
 * assuming (as delta debugging does) that longer prefixes keep it. */
static void shorten(mini *m, size_t i) {
  size_t lo = 0, hi = m->cur[i].payload.len;
  while (lo < hi && m->attempts < m->max) {
    size_t mid = lo + (hi - lo) / 2;
    memcpy(m->cand, m->cur, m->n * sizeof *m->cur);
    m->cand[i].payload.len = mid;
    if (try_cand(m, m->n))
      hi = mid;
    else
      lo = mid + 1;
  }
}

int ws_minimize(const ws_case *c, ws_minimize_pred pred, void *ctx,
                unsigned max_attempts, ws_arena *arena, ws_case *out) {
  *out = *c;
  size_t n = c->step_count;
  mini m = {.base = *c, .n = n, .pred = pred, .ctx = ctx, .max = max_attempts};
  m.cur = ws_arena_calloc(arena, n ? n : 1, sizeof *m.cur);
  m.cand = ws_arena_calloc(arena, n ? n : 1, sizeof *m.cand);
  if (!m.cur || !m.cand)
    return -1;
  if (n)
    memcpy(m.cur, c->steps, n * sizeof *m.cur);
  remove_chunks(&m, n / 2 ? n / 2 : 1);
  for (size_t i = 0; i < m.n && m.attempts < m.max; i++)
    if (has_payload(&m.cur[i]))
      shorten(&m, i);
  remove_chunks(&m, 1);
  out->steps = m.cur;
  out->step_count = m.n;
  ws_case_derive(out);
  return (int)m.attempts;
}
