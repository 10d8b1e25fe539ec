/* Comparing two runs: which cases changed verdict, which appeared or went
 * away. Shared by `wsprobe diff` (two results.json files) and --baseline
 * (a run against a previous one or an expectations file), which both match
 * cases by id through ws_id_index. */
#ifndef WS_HARNESS_RUN_DIFF_H
#define WS_HARNESS_RUN_DIFF_H

#include "reports/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- matching by id ---- */

typedef struct ws_id_slot {
  const char *id; /* borrowed from the items indexed */
  size_t at;      /* the item's position */
} ws_id_slot;

/* Ids sorted for binary search: O(n log n) to build, so a hostile file with
 * many cases costs no quadratic time. */
typedef struct ws_id_index {
  ws_id_slot *slots; /* heap */
  size_t count;
} ws_id_index;

/* id_at(ctx, i) gives item i's id (NULL reads as ""); the strings must
 * outlive the index. 0, or -1 (out of memory). */
int ws_id_index_build(ws_id_index *ix, size_t n,
                      const char *(*id_at)(const void *ctx, size_t i),
                      const void *ctx);
/* Position of the first item (lowest position) with this id, or SIZE_MAX. */
size_t ws_id_index_find(const ws_id_index *ix, const char *id);
void ws_id_index_free(ws_id_index *ix);

/* An index over a run's cases. */
int ws_id_index_of_results(ws_id_index *ix, const ws_run_results *r);

/* ---- the diff ---- */

enum ws_diff_kind {
  WS_DIFF_REGRESSION,  /* worse: e.g. pass -> fail, non-strict -> fail */
  WS_DIFF_IMPROVEMENT, /* better: fail -> pass */
  WS_DIFF_OTHER,       /* changed without getting better or worse: pass <->
                          informational, or to/from error (the harness, not
                          the target) */
  WS_DIFF_ADDED,       /* only in the new run */
  WS_DIFF_REMOVED,     /* only in the old run */
  WS_DIFF_KIND_COUNT
};

/* Severity used to order verdicts: pass, informational and unimplemented
 * are all acceptable (0), non-strict is 1, fail 2. error has none (-1): it
 * says nothing about the target. */
int ws_run_diff_rank(enum ws_verdict v);

/* How a change of verdict counts (old != new). */
enum ws_diff_kind ws_run_diff_classify(enum ws_verdict old_v,
                                       enum ws_verdict new_v);

typedef struct ws_diff_entry {
  enum ws_diff_kind kind;
  const ws_case_result *old_case; /* NULL when ADDED */
  const ws_case_result *new_case; /* NULL when REMOVED */
} ws_diff_entry;

typedef struct ws_run_diff {
  ws_diff_entry *entries; /* heap; new-run order, then the removed ones in
                             old-run order */
  size_t count;
  size_t counts[WS_DIFF_KIND_COUNT];
  size_t unchanged; /* cases in both runs with the same verdict */
} ws_run_diff;

/* Compares two runs (both must outlive the diff: entries point into them).
 * Cases match by id; a repeated id matches its first occurrence. 0, or -1
 * (out of memory). */
int ws_run_diff_compute(const ws_run_results *old_run,
                        const ws_run_results *new_run, ws_run_diff *d);
void ws_run_diff_free(ws_run_diff *d);

/* Human output: the groups (regressions, improvements, other changes,
 * added, removed) with id, title, old -> new verdict and the new reason,
 * then the counts. */
void ws_run_diff_print_text(FILE *out, const ws_run_diff *d,
                            const char *old_name, const char *new_name);
/* The same as Markdown (tables; cell text escaped). */
void ws_run_diff_print_markdown(FILE *out, const ws_run_diff *d,
                                const char *old_name, const char *new_name);

/* Writes s as the text of a Markdown table cell: pipes, backslashes and
 * markup characters escaped, newlines and control characters as spaces,
 * at most max bytes (then "..."). Shared with the baseline section. */
void ws_md_cell(FILE *out, const char *s, size_t max);

#endif
