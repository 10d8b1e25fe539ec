/* --baseline FILE: what a run is compared with in CI, so the exit status
 * reflects changes (new failures, fixed failures) rather than every known
 * failure of the target.
 *
 * FILE is either a results.json of an earlier run (every case with its
 * verdict) or an expectations file, plain text:
 *
 *     # wsprobe baseline: known non-passing cases of my-server
 *     6.4.1  non-strict  fails late on invalid UTF-8 (issue #12)
 *     7.5.1  fail
 *     hs.58  fail        lists unknown extensions
 *
 * One case per line: ID, VERDICT (pass, non-strict, informational,
 * unimplemented, fail, error; non_strict is accepted too), then an optional
 * free-text REASON. Fields are separated by spaces or tabs; blank lines and
 * lines whose first non-blank character is '#' are ignored. A case listed
 * twice, an unknown verdict or a line without a verdict is an error with its
 * line number. Cases the file does not list are expected to pass; cases it
 * lists that the run did not select are ignored. `wsprobe test
 * --write-baseline FILE` writes this format from a run (every case whose
 * verdict is neither pass nor error).
 *
 * With --fail-on LEVELS (a set of verdicts, default fail), a case is
 *   - a regression when it now has a fail-on verdict the baseline did not
 *     give it (absent from the baseline, or listed with another verdict);
 *   - an unexpected pass when the baseline gives it a fail-on verdict and it
 *     now has none (and is not error): the baseline is out of date.
 * Either makes `wsprobe test` exit 1. */
#ifndef WS_HARNESS_BASELINE_H
#define WS_HARNESS_BASELINE_H

#include "reports/results.h"
#include "reports/run_diff.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Bounds on an expectations file. */
#define WS_BASELINE_MAX_FILE ((size_t)64 << 20)
#define WS_BASELINE_MAX_LINE 65536

typedef struct ws_baseline_entry {
  char *id; /* heap */
  enum ws_verdict verdict;
  char *reason; /* heap, may be "" */
} ws_baseline_entry;

typedef struct ws_baseline {
  char *path; /* heap; where it was read from */
  ws_baseline_entry *entries;
  size_t count, cap;
  ws_id_index index; /* over entries */
} ws_baseline;

/* Reads FILE: a results.json when its first non-blank byte is '{', else an
 * expectations file. 0, or -1 with "FILE[:LINE]: message" in err. */
int ws_baseline_load(const char *path, ws_baseline *b, char *err, size_t cap);

/* Parses an expectations file's text (name is used in messages). 0 or -1. */
int ws_baseline_parse_text(const char *text, size_t len, const char *name,
                           ws_baseline *b, char *err, size_t cap);

/* Every case of a run, with its verdict and reason. 0 or -1 (ENOMEM). */
int ws_baseline_from_results(const ws_run_results *r, const char *name,
                             ws_baseline *b);

/* The entry for a case id, or NULL. */
const ws_baseline_entry *ws_baseline_find(const ws_baseline *b, const char *id);
void ws_baseline_free(ws_baseline *b);

/* ---- comparing a run ---- */

/* A set of verdicts: bit (1u << verdict). */
typedef unsigned ws_verdict_set;
#define WS_VERDICT_BIT(v) (1u << (unsigned)(v))

typedef struct ws_baseline_hit {
  size_t case_index;    /* into the run's cases */
  int baseline_verdict; /* -1: the baseline does not list the case */
} ws_baseline_hit;

typedef struct ws_baseline_outcome {
  ws_baseline_hit *regressions; /* heap, in run order */
  size_t regression_count;
  ws_baseline_hit *unexpected_passes; /* heap, in run order */
  size_t unexpected_count;
} ws_baseline_outcome;

/* Applies the rules above. 0, or -1 (out of memory). */
int ws_baseline_compare(const ws_baseline *b, const ws_run_results *r,
                        ws_verdict_set fail_on, ws_baseline_outcome *out);
void ws_baseline_outcome_free(ws_baseline_outcome *o);

/* ---- writing ---- */

/* An expectations file for the run (see above), atomically. 0, or -1 with
 * a reason in err. */
int ws_baseline_write_text(const ws_run_results *r, const char *path, char *err,
                           size_t cap);

/* Adds "baseline": {"file": ..., "regressions": [...],
 * "unexpected_passes": [...]} as the last member of the results.json at
 * json_path (written by ws_results_write_json just before), atomically.
 * Each list item is {"id", "title", "verdict", "baseline" (a verdict or
 * null), "reason"}. 0, or -1 with a reason in err. */
int ws_baseline_append_json(const char *json_path, const ws_baseline *b,
                            const ws_run_results *r,
                            const ws_baseline_outcome *o, char *err,
                            size_t cap);

/* Appends a "Baseline" section (regressions and unexpected passes as
 * tables) to the Markdown file at md_path, atomically. 0 or -1 with err. */
int ws_baseline_append_markdown(const char *md_path, const ws_baseline *b,
                                const ws_run_results *r,
                                const ws_baseline_outcome *o, char *err,
                                size_t cap);

#endif
