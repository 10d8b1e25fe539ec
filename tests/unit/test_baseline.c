/* Baselines: the expectations-file format, loading either kind of file,
 * and the regression / unexpected-pass rules under --fail-on. */
#include "reports/baseline.h"
#include "reports/report.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIT(v) WS_VERDICT_BIT(WS_VERDICT_##v)

static int parse(const char *text, ws_baseline *b, char *err, size_t cap) {
  return ws_baseline_parse_text(text, strlen(text), "base.txt", b, err, cap);
}

Test(baseline, text_format) {
  ws_baseline b;
  char err[256];
  const char *text = "# known failures\n"
                     "\n"
                     "   # indented comment\n"
                     "6.4.1\tnon-strict   fails late (issue #12)  \r\n"
                     "7.5.1 fail\n"
                     "hs.58  non_strict  reason with | pipes\n"
                     "1.1.1 pass";
  cr_assert_eq(parse(text, &b, err, sizeof err), 0, "%s", err);
  cr_assert_eq(b.count, 4);
  const ws_baseline_entry *e = ws_baseline_find(&b, "6.4.1");
  cr_assert_not_null(e);
  cr_assert_eq(e->verdict, WS_VERDICT_NON_STRICT);
  cr_assert_str_eq(e->reason, "fails late (issue #12)");
  e = ws_baseline_find(&b, "7.5.1");
  cr_assert_eq(e->verdict, WS_VERDICT_FAIL);
  cr_assert_str_eq(e->reason, "");
  cr_assert_eq(ws_baseline_find(&b, "hs.58")->verdict, WS_VERDICT_NON_STRICT);
  cr_assert_eq(ws_baseline_find(&b, "1.1.1")->verdict, WS_VERDICT_PASS);
  cr_assert_null(ws_baseline_find(&b, "7.5"));
  cr_assert_str_eq(b.path, "base.txt");
  ws_baseline_free(&b);
}

Test(baseline, text_errors_name_the_line) {
  static const struct {
    const char *text, *message;
  } bad[] = {
      {"1.1 fail\n2.2\n", "base.txt:2: '2.2' needs a verdict"},
      {"# c\n1.1 failed\n", "base.txt:2: unknown verdict 'failed'"},
      {"1.1 fail\n\n1.1 pass\n", "base.txt:3: case '1.1' is listed twice "
                                 "(first on line 1)"},
      {"1.1 fail\0", "NUL"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ws_baseline b;
    char err[256] = "";
    size_t len = strlen(bad[i].text) + (i == 3);
    cr_assert_eq(
        ws_baseline_parse_text(bad[i].text, len, "base.txt", &b, err, 256), -1);
    cr_assert(strstr(err, bad[i].message), "'%s' lacks '%s'", err,
              bad[i].message);
  }
  char *long_line = malloc(WS_BASELINE_MAX_LINE + 10);
  memset(long_line, 'a', WS_BASELINE_MAX_LINE + 9);
  long_line[WS_BASELINE_MAX_LINE + 9] = '\0';
  ws_baseline b;
  char err[256];
  cr_assert_eq(parse(long_line, &b, err, sizeof err), -1);
  cr_assert(strstr(err, "longer than"), "%s", err);
  free(long_line);
}

static void add(ws_run_results *r, const char *id, enum ws_verdict v) {
  ws_case_result c = {0};
  c.id = strdup(id);
  c.title = strdup("title");
  c.reason = strdup(v == WS_VERDICT_PASS ? "" : "why");
  c.verdict = v;
  c.close_by = "none";
  cr_assert_eq(ws_results_add(r, &c), 0);
}

static bool not_zz(const char *id, void *ctx) {
  return *(bool *)ctx && strcmp(id, "zz") != 0;
}

/* The run: a..f with these verdicts. */
static void run(ws_run_results *r) {
  ws_results_init(r);
  add(r, "a", WS_VERDICT_FAIL);       /* baseline fail: expected */
  add(r, "b", WS_VERDICT_FAIL);       /* baseline pass: regression */
  add(r, "c", WS_VERDICT_FAIL);       /* not in baseline: regression */
  add(r, "d", WS_VERDICT_PASS);       /* baseline fail: unexpected pass */
  add(r, "e", WS_VERDICT_NON_STRICT); /* baseline fail */
  add(r, "f", WS_VERDICT_ERROR);      /* baseline fail: not a pass */
}

static const char base_text[] = "a fail\nb pass\nd fail\ne fail\nf fail\n"
                                "zz fail not selected: ignored\n";

Test(baseline, regressions_and_unexpected_passes) {
  ws_run_results r;
  ws_baseline b;
  ws_baseline_outcome o;
  char err[256];
  run(&r);
  cr_assert_eq(parse(base_text, &b, err, sizeof err), 0, "%s", err);

  cr_assert_eq(ws_baseline_compare(&b, &r, BIT(FAIL), &o), 0);
  cr_assert_eq(o.regression_count, 2);
  cr_assert_str_eq(r.cases[o.regressions[0].case_index].id, "b");
  cr_assert_eq(o.regressions[0].baseline_verdict, WS_VERDICT_PASS);
  cr_assert_str_eq(r.cases[o.regressions[1].case_index].id, "c");
  cr_assert_eq(o.regressions[1].baseline_verdict, -1);
  /* d passes and e is only non-strict: both no longer fail. f errored,
   * which says nothing about the target. */
  cr_assert_eq(o.unexpected_count, 2);
  cr_assert_str_eq(r.cases[o.unexpected_passes[0].case_index].id, "d");
  cr_assert_str_eq(r.cases[o.unexpected_passes[1].case_index].id, "e");
  /* a has the fail the baseline lists: expected, not a failure. */
  cr_assert_eq(o.expected_count, 1);
  cr_assert_str_eq(r.cases[o.expected[0].case_index].id, "a");
  cr_assert_eq(o.expected[0].baseline_verdict, WS_VERDICT_FAIL);
  ws_baseline_outcome_free(&o);

  /* With non-strict in --fail-on, e (baseline fail, now non-strict) has a
   * fail-on verdict the baseline did not give it. */
  cr_assert_eq(ws_baseline_compare(&b, &r, BIT(FAIL) | BIT(NON_STRICT), &o), 0);
  cr_assert_eq(o.regression_count, 3);
  cr_assert_str_eq(r.cases[o.regressions[2].case_index].id, "e");
  cr_assert_eq(o.unexpected_count, 1);
  ws_baseline_outcome_free(&o);

  /* error in --fail-on: f matches its baseline? No: baseline says fail. */
  cr_assert_eq(ws_baseline_compare(&b, &r, BIT(FAIL) | BIT(ERROR), &o), 0);
  cr_assert_eq(o.regression_count, 3);
  cr_assert_str_eq(r.cases[o.regressions[2].case_index].id, "f");
  ws_baseline_outcome_free(&o);
  ws_baseline_free(&b);
  ws_results_free(&r);
}

Test(baseline, same_run_as_baseline_is_clean) {
  ws_run_results r;
  ws_baseline b;
  ws_baseline_outcome o;
  run(&r);
  cr_assert_eq(ws_baseline_from_results(&r, "results.json", &b), 0);
  cr_assert_eq(b.count, 6);
  unsigned all = BIT(FAIL) | BIT(NON_STRICT) | BIT(ERROR) | BIT(INFORMATIONAL);
  cr_assert_eq(ws_baseline_compare(&b, &r, all, &o), 0);
  cr_assert_eq(o.regression_count, 0);
  cr_assert_eq(o.unexpected_count, 0);
  ws_baseline_outcome_free(&o);
  ws_baseline_free(&b);
  ws_results_free(&r);
}

Test(baseline, load_detects_json_and_text_and_writes_text) {
  char dir[] = "/tmp/wsprobe-baseline-XXXXXX", path[128], err[512];
  cr_assert_not_null(mkdtemp(dir));
  ws_run_results r;
  run(&r);
  r.tool_version = strdup("1");
  r.target = strdup("ws://x/");
  snprintf(path, sizeof path, "%s/results.json", dir);
  cr_assert_eq(ws_results_write_json(&r, path, err, sizeof err), 0);
  ws_baseline b;
  cr_assert_eq(ws_baseline_load(path, &b, err, sizeof err), 0, "%s", err);
  cr_assert_eq(b.count, 6);
  cr_assert_eq(ws_baseline_find(&b, "e")->verdict, WS_VERDICT_NON_STRICT);
  ws_baseline_free(&b);

  /* --write-baseline: every case but pass and error, read back the same. */
  snprintf(path, sizeof path, "%s/base.txt", dir);
  cr_assert_eq(ws_baseline_write_text(&r, path, err, sizeof err), 0);
  cr_assert_eq(ws_baseline_load(path, &b, err, sizeof err), 0, "%s", err);
  cr_assert_eq(b.count, 4);
  cr_assert_null(ws_baseline_find(&b, "d"));
  cr_assert_null(ws_baseline_find(&b, "f"));
  cr_assert_str_eq(ws_baseline_find(&b, "a")->reason, "why");
  ws_baseline_outcome o;
  cr_assert_eq(ws_baseline_compare(&b, &r, BIT(FAIL) | BIT(NON_STRICT), &o), 0);
  cr_assert_eq(o.regression_count + o.unexpected_count, 0);

  /* The outcome is appended to results.json, which stays readable. */
  snprintf(path, sizeof path, "%s/results.json", dir);
  ws_baseline_outcome_free(&o);
  ws_baseline_free(&b);
  cr_assert_eq(parse(base_text, &b, err, sizeof err), 0);
  cr_assert_eq(ws_baseline_compare(&b, &r, BIT(FAIL), &o), 0);
  bool known = true;
  ws_baseline_mark_unknown(&b, not_zz, &known);
  cr_assert_eq(b.unknown_count, 1);
  cr_assert_eq(ws_baseline_append_json(path, &b, BIT(FAIL) | BIT(ERROR), &r, &o,
                                       err, sizeof err),
               0, "%s", err);
  ws_run_results again;
  cr_assert_eq(ws_results_read_json(path, &again, err, sizeof err), 0, "%s",
               err);
  cr_assert_eq(again.case_count, 6);
  ws_results_free(&again);
  FILE *f = fopen(path, "r");
  char text[8192];
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  cr_assert(strstr(text, "\"baseline\": {"), "%s", text);
  cr_assert(strstr(text, "\"regressions\": ["));
  cr_assert(strstr(text, "{\"id\": \"c\", \"title\": \"title\", \"verdict\": "
                         "\"fail\", \"baseline\": null"),
            "%s", text);
  cr_assert(strstr(text, "\"fail_on\": [\"fail\", \"error\"]"), "%s", text);
  const char *expected = strstr(text, "\"expected\": [");
  cr_assert(expected, "%s", text);
  cr_assert(strstr(expected, "{\"id\": \"a\", \"title\": \"title\", "
                             "\"verdict\": \"fail\", \"baseline\": \"fail\""),
            "%s", text);
  cr_assert(strstr(text, "\"unknown_ids\": [\"zz\"]"), "%s", text);
  ws_baseline_outcome_free(&o);
  ws_baseline_free(&b);
  ws_results_free(&r);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

/* Ids the catalogue does not have are flagged, and listed for the warning
 * (cut with "..." when the list is long). */
Test(baseline, unknown_ids_are_flagged_and_listed) {
  ws_baseline b;
  char err[256], list[32];
  bool known = true;
  cr_assert_eq(
      parse("a fail\nzz fail typo\nb pass\nzz.2 fail\n", &b, err, sizeof err),
      0, "%s", err);
  ws_baseline_mark_unknown(&b, not_zz, &known);
  cr_assert_eq(b.unknown_count, 1); /* not_zz only rejects "zz" itself */
  cr_assert(ws_baseline_find(&b, "zz")->unknown);
  cr_assert_not(ws_baseline_find(&b, "a")->unknown);
  ws_baseline_unknown_list(&b, list, sizeof list);
  cr_assert_str_eq(list, "zz");
  known = false; /* now every id is unknown */
  ws_baseline_mark_unknown(&b, not_zz, &known);
  cr_assert_eq(b.unknown_count, 4);
  ws_baseline_unknown_list(&b, list, sizeof list);
  cr_assert_str_eq(list, "a, zz, b, zz.2");
  ws_baseline_unknown_list(&b, list, 12);
  cr_assert_str_eq(list, "a, zz...");
  ws_baseline_free(&b);
}

/* --write-baseline ci/x.txt in a fresh checkout: ci/ is created. */
Test(baseline, write_text_creates_its_directory) {
  char dir[] = "/tmp/wsprobe-baseline-XXXXXX", path[160], err[512];
  cr_assert_not_null(mkdtemp(dir));
  ws_run_results r;
  run(&r);
  snprintf(path, sizeof path, "%s/ci/deeper/base.txt", dir);
  cr_assert_eq(ws_baseline_write_text(&r, path, err, sizeof err), 0, "%s", err);
  ws_baseline b;
  cr_assert_eq(ws_baseline_load(path, &b, err, sizeof err), 0, "%s", err);
  cr_assert_eq(b.count, 4);
  ws_baseline_free(&b);
  snprintf(path, sizeof path, "%s/ci/deeper/base.txt/x", dir);
  cr_assert_eq(ws_baseline_prepare_path(path, err, sizeof err), -1);
  cr_assert(strstr(err, "base.txt"), "%s", err);
  ws_results_free(&r);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}
