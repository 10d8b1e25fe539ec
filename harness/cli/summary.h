/* What `wsprobe test` prints for a person: a progress line while cases run
 * (on a terminal only) and a one-screen summary at the end. */
#ifndef WS_HARNESS_SUMMARY_H
#define WS_HARNESS_SUMMARY_H

#include "reports/baseline.h"
#include "reports/ci_gate.h"
#include "reports/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Lines of a case list before "... and N more" (two lines per case). */
#define WS_SUMMARY_MAX_LISTED 40

/* Rewrites the single progress line: "[123/310] 2 fail". */
void ws_summary_progress(FILE *tty, size_t done, size_t total, size_t fails,
                         size_t errors);
/* Erases the progress line. */
void ws_summary_progress_clear(FILE *tty);

/* The end-of-run summary: target, seed, counts per verdict, duration; with
 * a baseline, its comparison (counts, each regression then each unexpected
 * pass with baseline -> now verdicts, the expected cases' ids, and ids no
 * case has); then every other case that sets the exit status (ci_gate.h)
 * with its reason: without a baseline each --fail-on case, and the cases
 * not run. At most max_listed lines per list; json_path may be NULL (not
 * written); o is NULL without a baseline. */
void ws_summary_print(FILE *out, const ws_run_results *r, const ws_gate *g,
                      const ws_baseline_outcome *o, const char *json_path,
                      size_t max_listed);

/* "reports: DIR/index.html, junit.xml, summary.md". */
void ws_summary_print_reports(FILE *out, const char *dir);

/* The last line: "exit status 1: 2 regressions and ...". */
void ws_summary_print_status(FILE *out, int status, const char *why);

#endif
