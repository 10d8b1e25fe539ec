/* The CI gate (ci_gate.h): one case's role, the tally and the exit status.
 * baseline.c's regression and unexpected-pass lists come from
 * ws_gate_role_of too, so they cannot drift from what the reports show. */
#include "reports/ci_gate.h"

#include <stdio.h>
#include <string.h>

ws_gate ws_gate_default(void) {
  return (ws_gate){.fail_on = WS_VERDICT_BIT(WS_VERDICT_FAIL)};
}

/* An out-of-range verdict (a hand-edited results.json) counts as an error,
 * as in every report. */
static enum ws_verdict verdict_of(const ws_case_result *c) {
  return (unsigned)c->verdict < WS_VERDICT_COUNT ? c->verdict
                                                 : WS_VERDICT_ERROR;
}

enum ws_gate_role ws_gate_role_of(const ws_gate *g, const ws_case_result *c,
                                  int *baseline_verdict) {
  enum ws_verdict v = verdict_of(c);
  const ws_baseline_entry *e =
      g->baseline ? ws_baseline_find(g->baseline, c->id ? c->id : "") : NULL;
  int was = e ? (int)e->verdict : -1;
  if (baseline_verdict)
    *baseline_verdict = was;
  bool now_counts = g->fail_on & WS_VERDICT_BIT(v);
  bool was_counted = was >= 0 && (g->fail_on & WS_VERDICT_BIT(was));
  if (now_counts)
    return g->baseline && was == (int)v ? WS_GATE_EXPECTED : WS_GATE_FAILING;
  /* An error says nothing about the target: it neither passes nor fixes a
   * case the baseline expects to fail. */
  if (v == WS_VERDICT_ERROR)
    return WS_GATE_NOT_RUN;
  return was_counted ? WS_GATE_UNEXPECTED_PASS : WS_GATE_OK;
}

ws_gate_tally ws_gate_count(const ws_gate *g, const ws_run_results *r) {
  ws_gate_tally t = {0};
  for (size_t i = 0; i < r->case_count; i++) {
    switch (ws_gate_role_of(g, &r->cases[i], NULL)) {
    case WS_GATE_FAILING:
      t.failing++;
      break;
    case WS_GATE_UNEXPECTED_PASS:
      t.unexpected++;
      break;
    case WS_GATE_EXPECTED:
      t.expected++;
      break;
    case WS_GATE_NOT_RUN:
      t.not_run++;
      break;
    case WS_GATE_OK:
      break;
    }
  }
  return t;
}

void ws_gate_set_names(ws_verdict_set set, char *out, size_t cap) {
  size_t used = 0;
  if (cap)
    out[0] = '\0';
  for (int v = 0; v < WS_VERDICT_COUNT; v++) {
    if (!(set & WS_VERDICT_BIT(v)))
      continue;
    int n = snprintf(out + used, cap > used ? cap - used : 0, "%s%s",
                     used ? "," : "", ws_verdict_name((enum ws_verdict)v));
    if (n < 0 || (size_t)n >= (cap > used ? cap - used : 0)) {
      if (used < cap)
        out[used] = '\0'; /* whole names only */
      return;
    }
    used += (size_t)n;
  }
}

static const char *plural(size_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

size_t ws_gate_count_roles(const ws_gate *g, const ws_run_results *r,
                           unsigned roles) {
  size_t n = 0;
  for (size_t i = 0; i < r->case_count; i++)
    n +=
        (roles & WS_GATE_ROLE_BIT(ws_gate_role_of(g, &r->cases[i], NULL))) != 0;
  return n;
}

void ws_gate_tally_text(size_t regressions, size_t unexpected, size_t expected,
                        char *out, size_t cap) {
  snprintf(out, cap, "%zu %s, %zu %s, %zu expected", regressions,
           plural(regressions, "regression", "regressions"), unexpected,
           plural(unexpected, "unexpected pass", "unexpected passes"),
           expected);
}

int ws_gate_explain(const ws_gate *g, const ws_run_results *r, char *why,
                    size_t cap) {
  if (r->interrupted) {
    snprintf(why, cap,
             "the run was interrupted: %zu of %zu selected cases finished",
             r->case_count,
             r->selected > r->case_count ? r->selected : r->case_count);
    return 2;
  }
  ws_gate_tally t = ws_gate_count(g, r);
  char names[128];
  ws_gate_set_names(g->fail_on, names, sizeof names);
  int rc = t.failing || t.unexpected ? 1 : t.not_run ? 2 : 0;
  int n;
  if (g->baseline && rc == 1)
    n = snprintf(why, cap, "%zu %s and %zu %s against the baseline", t.failing,
                 plural(t.failing, "regression", "regressions"), t.unexpected,
                 plural(t.unexpected, "unexpected pass", "unexpected passes"));
  else if (g->baseline)
    n = snprintf(why, cap,
                 "no regression and no unexpected pass against the baseline "
                 "(%zu expected)",
                 t.expected);
  else if (t.failing)
    n = snprintf(why, cap, "%zu %s a --fail-on verdict (%s)", t.failing,
                 plural(t.failing, "case has", "cases have"), names);
  else
    n = snprintf(why, cap, "no case has a --fail-on verdict (%s)", names);
  if (t.not_run && n >= 0 && (size_t)n < cap)
    snprintf(why + n, cap - (size_t)n,
             "; %zu %s could not be run (error is not in --fail-on)", t.not_run,
             plural(t.not_run, "case", "cases"));
  return rc;
}
