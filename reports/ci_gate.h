/* The CI gate: which cases decide the exit status of `wsprobe test` under
 * --fail-on and --baseline, and in which role. The terminal summary,
 * summary.md, junit.xml and the exit status all classify cases here, so a
 * CI's JUnit view, its job summary and its job status cannot disagree.
 *
 * Each case is in one role:
 *
 *   failing          its verdict is in --fail-on and no baseline accepts it
 *                    (with a baseline: a regression, baseline.h): status 1
 *   unexpected pass  the baseline gives it a --fail-on verdict and it now
 *                    has none (and is not error): status 1, the baseline is
 *                    out of date
 *   expected         its --fail-on verdict is the one the baseline lists:
 *                    shown, counted apart, not a failure
 *   not run          error, and error is not in --fail-on: the run is
 *                    incomplete, status 2 (unless a case is failing)
 *   ok               anything else: pass, or a verdict outside --fail-on
 *
 * The exit status: 2 for an interrupted run; else 1 when a case is failing
 * or an unexpected pass; else 2 when a case was not run; else 0. */
#ifndef WS_REPORTS_CI_GATE_H
#define WS_REPORTS_CI_GATE_H

#include "reports/baseline.h"
#include "reports/results.h"

#include <stddef.h>

enum ws_gate_role {
  WS_GATE_OK,
  WS_GATE_FAILING,
  WS_GATE_UNEXPECTED_PASS,
  WS_GATE_EXPECTED,
  WS_GATE_NOT_RUN,
};

typedef struct ws_gate {
  ws_verdict_set fail_on;      /* WS_VERDICT_BIT()s */
  const ws_baseline *baseline; /* NULL: no --baseline */
} ws_gate;

/* --fail-on fail and no baseline: the defaults of `wsprobe test`, and the
 * view `wsprobe report` renders (results.json does not record either). */
ws_gate ws_gate_default(void);

/* The role of one case. *baseline_verdict (may be NULL) gets the verdict
 * the baseline lists for it, or -1 (no baseline, or not listed). */
enum ws_gate_role ws_gate_role_of(const ws_gate *g, const ws_case_result *c,
                                  int *baseline_verdict);

typedef struct ws_gate_tally {
  size_t failing, unexpected, expected, not_run;
} ws_gate_tally;

ws_gate_tally ws_gate_count(const ws_gate *g, const ws_run_results *r);

/* A set of roles, for the writers that list the cases of some of them. */
#define WS_GATE_ROLE_BIT(role) (1u << (unsigned)(role))

/* How many cases of r have a role in `roles` (WS_GATE_ROLE_BIT()s). */
size_t ws_gate_count_roles(const ws_gate *g, const ws_run_results *r,
                           unsigned roles);

/* The baseline's tally as every report words it: "2 regressions, 1
 * unexpected pass, 4 expected". */
void ws_gate_tally_text(size_t regressions, size_t unexpected, size_t expected,
                        char *out, size_t cap);

/* The exit status the rules above give (0, 1 or 2), and why, as one plain
 * sentence without a final period: "2 regressions and 1 unexpected pass
 * against the baseline". */
int ws_gate_explain(const ws_gate *g, const ws_run_results *r, char *why,
                    size_t cap);

/* The verdict names of a set, comma-separated as --fail-on takes them. */
void ws_gate_set_names(ws_verdict_set set, char *out, size_t cap);

#endif
