/* Comparing two runs: matching by id, the classification of verdict
 * changes, added and removed cases, and both output formats. */
#include "reports/run_diff.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(ws_run_results *r, const char *id, enum ws_verdict v) {
  ws_case_result c = {0};
  c.id = strdup(id);
  c.title = strdup("a | title");
  c.reason = strdup(v == WS_VERDICT_PASS ? "" : "why\nnot");
  c.verdict = v;
  c.close_by = "none";
  cr_assert_eq(ws_results_add(r, &c), 0);
}

Test(run_diff, classification) {
  cr_assert_eq(ws_run_diff_classify(WS_VERDICT_PASS, WS_VERDICT_FAIL),
               WS_DIFF_REGRESSION);
  cr_assert_eq(ws_run_diff_classify(WS_VERDICT_NON_STRICT, WS_VERDICT_FAIL),
               WS_DIFF_REGRESSION);
  cr_assert_eq(
      ws_run_diff_classify(WS_VERDICT_INFORMATIONAL, WS_VERDICT_NON_STRICT),
      WS_DIFF_REGRESSION);
  cr_assert_eq(ws_run_diff_classify(WS_VERDICT_FAIL, WS_VERDICT_PASS),
               WS_DIFF_IMPROVEMENT);
  cr_assert_eq(ws_run_diff_classify(WS_VERDICT_FAIL, WS_VERDICT_NON_STRICT),
               WS_DIFF_IMPROVEMENT);
  cr_assert_eq(ws_run_diff_classify(WS_VERDICT_PASS, WS_VERDICT_INFORMATIONAL),
               WS_DIFF_OTHER);
  cr_assert_eq(ws_run_diff_classify(WS_VERDICT_PASS, WS_VERDICT_ERROR),
               WS_DIFF_OTHER);
  cr_assert_eq(ws_run_diff_classify(WS_VERDICT_ERROR, WS_VERDICT_FAIL),
               WS_DIFF_OTHER);
}

static const char *id_of(const void *ctx, size_t i) {
  return ((const char *const *)ctx)[i];
}

Test(run_diff, id_index_finds_first_of_repeats) {
  static const char *ids[] = {"b", "a", "c", "a", NULL};
  ws_id_index ix;
  cr_assert_eq(ws_id_index_build(&ix, 5, id_of, ids), 0);
  cr_assert_eq(ws_id_index_find(&ix, "a"), 1);
  cr_assert_eq(ws_id_index_find(&ix, "b"), 0);
  cr_assert_eq(ws_id_index_find(&ix, "c"), 2);
  cr_assert_eq(ws_id_index_find(&ix, ""), 4);
  cr_assert_eq(ws_id_index_find(&ix, "d"), SIZE_MAX);
  ws_id_index_free(&ix);
  cr_assert_eq(ws_id_index_build(&ix, 0, id_of, ids), 0);
  cr_assert_eq(ws_id_index_find(&ix, "a"), SIZE_MAX);
  ws_id_index_free(&ix);
}

static void runs(ws_run_results *o, ws_run_results *n) {
  ws_results_init(o);
  ws_results_init(n);
  add(o, "1", WS_VERDICT_PASS);
  add(o, "2", WS_VERDICT_FAIL);
  add(o, "3", WS_VERDICT_PASS);
  add(o, "4", WS_VERDICT_PASS);
  add(o, "gone", WS_VERDICT_FAIL);
  add(n, "1", WS_VERDICT_FAIL);  /* regression */
  add(n, "2", WS_VERDICT_PASS);  /* improvement */
  add(n, "3", WS_VERDICT_ERROR); /* other */
  add(n, "4", WS_VERDICT_PASS);  /* unchanged */
  add(n, "new", WS_VERDICT_FAIL);
  add(n, "1", WS_VERDICT_PASS); /* a repeat: ignored */
}

Test(run_diff, groups_and_counts) {
  ws_run_results o, n;
  runs(&o, &n);
  ws_run_diff d;
  cr_assert_eq(ws_run_diff_compute(&o, &n, &d), 0);
  cr_assert_eq(d.counts[WS_DIFF_REGRESSION], 1);
  cr_assert_eq(d.counts[WS_DIFF_IMPROVEMENT], 1);
  cr_assert_eq(d.counts[WS_DIFF_OTHER], 1);
  cr_assert_eq(d.counts[WS_DIFF_ADDED], 1);
  cr_assert_eq(d.counts[WS_DIFF_REMOVED], 1);
  cr_assert_eq(d.unchanged, 1);
  cr_assert_eq(d.count, 5);
  cr_assert_str_eq(d.entries[0].new_case->id, "1");
  cr_assert_eq(d.entries[0].old_case->verdict, WS_VERDICT_PASS);
  cr_assert_null(d.entries[3].old_case);
  cr_assert_str_eq(d.entries[4].old_case->id, "gone");
  cr_assert_null(d.entries[4].new_case);

  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  ws_run_diff_print_text(out, &d, "old.json", "new.json");
  fclose(out);
  cr_assert(strstr(buf, "Regressions (1):\n  1  pass -> fail  a | title\n"
                        "      why not\n"),
            "%s", buf);
  cr_assert(strstr(buf, "Removed cases (1):\n  gone  fail -> -"), "%s", buf);
  cr_assert(strstr(buf, "1 regression, 1 improvement, 1 other change, 1 "
                        "added, 1 removed, 1 unchanged"),
            "%s", buf);
  free(buf);

  out = open_memstream(&buf, &len);
  ws_run_diff_print_markdown(out, &d, "old.json", "new.json");
  fclose(out);
  cr_assert(strstr(buf, "### Regressions (1)\n\n| case | title | old | new | "
                        "reason |\n|---|---|---|---|---|\n| 1 | a \\| title "
                        "| pass | fail | why not |\n"),
            "%s", buf);
  free(buf);
  ws_run_diff_free(&d);
  ws_results_free(&o);
  ws_results_free(&n);
}

Test(run_diff, identical_runs) {
  ws_run_results o, n;
  runs(&o, &n);
  ws_run_diff d;
  cr_assert_eq(ws_run_diff_compute(&n, &n, &d), 0);
  cr_assert_eq(d.count, 0);
  cr_assert_eq(d.unchanged, 5);
  ws_run_diff_free(&d);
  ws_results_free(&o);
  ws_results_free(&n);
}
