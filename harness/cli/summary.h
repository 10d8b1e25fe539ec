/* What `wsprobe test` prints for a person: a progress line while cases run
 * (on a terminal only) and a one-screen summary at the end. */
#ifndef WS_HARNESS_SUMMARY_H
#define WS_HARNESS_SUMMARY_H

#include "reports/baseline.h"
#include "reports/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Failed and errored cases listed before "... and N more". */
#define WS_SUMMARY_MAX_LISTED 40

/* Rewrites the single progress line: "[123/310] 2 fail". */
void ws_summary_progress(FILE *tty, size_t done, size_t total, size_t fails,
                         size_t errors);
/* Erases the progress line. */
void ws_summary_progress_clear(FILE *tty);

/* The end-of-run summary: target, seed, counts per verdict, duration, the
 * failed and errored cases with their reasons (at most max_listed lines),
 * and where results.json went (json_path may be NULL: not written). */
void ws_summary_print(FILE *out, const ws_run_results *r, const char *json_path,
                      size_t max_listed);

/* "reports: DIR/index.html, junit.xml, summary.md". */
void ws_summary_print_reports(FILE *out, const char *dir);

/* The baseline comparison: counts, then each regression and unexpected
 * pass (at most max_listed of each) with baseline -> now verdicts. */
void ws_summary_print_baseline(FILE *out, const ws_run_results *r,
                               const char *baseline_path,
                               const ws_baseline_outcome *o, size_t max_listed);

#endif
