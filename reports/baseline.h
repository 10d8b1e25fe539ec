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
 *     now has none (and is not error): the baseline is out of date;
 *   - expected when it has the fail-on verdict the baseline lists.
 * A regression or an unexpected pass makes `wsprobe test` exit 1; an
 * expected case is reported as expected in every format, never as a
 * failure (the rules live in ci_gate.h). An id the baseline lists that no
 * case of the catalogue has (a typo, or a case since removed) is a warning
 * naming it, on stderr and in summary.md. */
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
  bool unknown; /* set by ws_baseline_mark_unknown */
} ws_baseline_entry;

typedef struct ws_baseline {
  char *path; /* heap; where it was read from */
  ws_baseline_entry *entries;
  size_t count, cap;
  ws_id_index index;    /* over entries */
  size_t unknown_count; /* entries with .unknown */
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

/* Flags every entry whose id known() rejects (ctx is passed through) and
 * counts them in b->unknown_count. */
void ws_baseline_mark_unknown(ws_baseline *b,
                              bool (*known)(const char *id, void *ctx),
                              void *ctx);

/* "ID, ID, ..." of the unknown entries, at most cap bytes ("..." when cut),
 * for the warning on stderr. */
void ws_baseline_unknown_list(const ws_baseline *b, char *out, size_t cap);

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
  ws_baseline_hit *expected; /* heap, in run order */
  size_t expected_count;
} ws_baseline_outcome;

/* Applies the rules above (ws_gate_role_of). 0, or -1 (out of memory). */
int ws_baseline_compare(const ws_baseline *b, const ws_run_results *r,
                        ws_verdict_set fail_on, ws_baseline_outcome *out);
void ws_baseline_outcome_free(ws_baseline_outcome *o);

/* ---- writing ---- */

/* Creates the directories above path, so --write-baseline ci/x.txt works
 * in a fresh checkout; `wsprobe test` calls it before the run, so a path
 * that cannot be written fails at once. 0, or -1 with a reason in err. */
int ws_baseline_prepare_path(const char *path, char *err, size_t cap);

/* An expectations file for the run (see above), atomically, its directory
 * created if missing. 0, or -1 with a reason in err. */
int ws_baseline_write_text(const ws_run_results *r, const char *path, char *err,
                           size_t cap);

/* Adds "baseline": {"file": ..., "fail_on": ["fail", ...], "regressions":
 * [...], "unexpected_passes": [...], "expected": [...], "unknown_ids":
 * ["ID", ...]} as the last member of the results.json at json_path
 * (written by ws_results_write_json just before), atomically. Each item of
 * the three case lists is {"id", "title", "verdict", "baseline" (a verdict
 * or null), "reason"}. 0, or -1 with a reason in err. */
int ws_baseline_append_json(const char *json_path, const ws_baseline *b,
                            ws_verdict_set fail_on, const ws_run_results *r,
                            const ws_baseline_outcome *o, char *err,
                            size_t cap);

#endif
