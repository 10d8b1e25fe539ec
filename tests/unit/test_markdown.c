/* summary.md (reports/markdown_writer.c) and ws_report_write_all
 * (reports/report_all.c): counts agree with the model, hostile text can
 * neither break a table row nor inject HTML or links, the failed table is
 * capped, and writes are atomic. */
#include "reports/baseline.h"
#include "reports/ci_gate.h"
#include "reports/report.h"
#include "reports/results.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOSTILE                                                                \
  "a|b\nc\r\n| x | y |<script>alert(1)</script>`code` *em* _u_ "               \
  "[link](javascript:alert(1)) ![i](http://x/) \\| ~~s~~ &lt; \x01\x1b"        \
  "\xc0\xaf\xff end"

static char *sdup(const char *s) { return s ? strdup(s) : NULL; }

static void add_case(ws_run_results *r, const char *id, const char *area,
                     enum ws_verdict v, const char *reason) {
  ws_case_result c = {0};
  c.id = sdup(id);
  c.title = sdup("Title " HOSTILE);
  c.area = sdup(area);
  c.verdict = v;
  c.reason_code = sdup(v == WS_VERDICT_PASS ? "" : "violation");
  c.reason = sdup(reason);
  c.expected = sdup("close code=1002");
  c.observed = sdup(HOSTILE);
  c.close_by = "none";
  cr_assert_eq(ws_results_add(r, &c), 0);
}

static void build_results(ws_run_results *r) {
  ws_results_init(r);
  r->tool_version = sdup("0.1.0");
  r->target = sdup("ws://127.0.0.1:9001/<b>|");
  r->agent = sdup("agent " HOSTILE);
  r->started_at = sdup("2024-01-01T12:00:00Z");
  r->seed = 7;
  add_case(r, "1.1", "framing", WS_VERDICT_PASS, "");
  add_case(r, "1.2", "framing", WS_VERDICT_FAIL, "bad " HOSTILE);
  add_case(r, "2.1", "pings", WS_VERDICT_INFORMATIONAL, "open");
  add_case(r, "2.2", "pings", WS_VERDICT_UNIMPLEMENTED, "no");
  add_case(r, "2.3", "pings", WS_VERDICT_NON_STRICT, "drop");
  add_case(r, "x|<i>", "ev|il", WS_VERDICT_ERROR, "refused " HOSTILE);
}

static char dir[64];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/wsprobe-md-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    unlink(path);
    return;
  }
  struct dirent *e;
  char sub[512];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      remove_tree(sub);
    }
  closedir(d);
  rmdir(path);
}

static void remove_dir(void) { remove_tree(dir); }

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static char *write_md(const ws_run_results *r) {
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/summary.md", dir);
  cr_assert_eq(ws_report_write_markdown(r, path, err, sizeof err), 0, "%s",
               err);
  return slurp(path);
}

/* Cell separators of a table row: '|' not escaped by a backslash (an
 * escaped backslash before it does not count as escaping it). */
static size_t separators(const char *row, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (row[i] == '\\') {
      i++;
      continue;
    }
    n += row[i] == '|';
  }
  return n;
}

/* Every line starting with '|' in the section after heading has the
 * column count of that section's header row. Returns the number of rows
 * (header and delimiter row included). */
static size_t check_table(const char *doc, const char *heading) {
  const char *p = strstr(doc, heading);
  cr_assert_not_null(p, "no %s", heading);
  p = strstr(p, "\n|");
  cr_assert_not_null(p);
  p++;
  size_t want = 0, rows = 0;
  while (*p == '|') {
    const char *end = strchr(p, '\n');
    cr_assert_not_null(end);
    size_t n = separators(p, (size_t)(end - p));
    if (rows == 0)
      want = n;
    cr_assert_eq(n, want, "row %zu has %zu separators, want %zu: %.*s", rows, n,
                 want, (int)(end - p), p);
    rows++;
    p = end + 1;
  }
  return rows;
}

TestSuite(markdown, .init = make_dir, .fini = remove_dir);

Test(markdown, hostile_text_cannot_break_rows_or_inject_markup) {
  ws_run_results r;
  build_results(&r);
  char *doc = write_md(&r);
  cr_assert_eq(check_table(doc, "## Failed cases"), 2 + 2);
  cr_assert_eq(check_table(doc, "## Areas"), 2 + 3);
  cr_assert_null(strstr(doc, "<script"));
  cr_assert_null(strstr(doc, "<b>"));
  cr_assert_null(strstr(doc, "<i>"));
  for (const char *p = doc; (p = strstr(p, "](")); p++) /* no link */
    cr_assert_eq(p[-1], '\\', "unescaped ]( at %td", p - doc);
  cr_assert_not_null(strstr(doc, "\\[link\\](javascript:alert(1))"));
  cr_assert_null(strstr(doc, "\x01"));
  cr_assert_null(strstr(doc, "\xff"));
  cr_assert_not_null(strstr(doc, "&lt;script&gt;alert"));
  cr_assert_not_null(strstr(doc, "\\`code\\` \\*em\\* \\_u\\_"));
  cr_assert_not_null(strstr(doc, "\\x01\\x1B\\xC0\\xAF\\xFF end"));
  /* the title line stays one line */
  const char *title = "# wsprobe: ws://127.0.0.1:9001/&lt;b&gt;\\|: 6 "
                      "cases, 1 pass, 1 fail, 1 error\n";
  cr_assert_eq(strncmp(doc, title, strlen(title)), 0, "%.120s", doc);
  free(doc);
  ws_results_free(&r);
}

Test(markdown, counts_per_verdict_and_area) {
  ws_run_results r;
  build_results(&r);
  char *doc = write_md(&r);
  cr_assert_not_null(strstr(doc, "| pass | 1 |\n| non-strict | 1 |\n"
                                 "| informational | 1 |\n"
                                 "| unimplemented | 1 |\n| fail | 1 |\n"
                                 "| error | 1 |\n"));
  cr_assert_not_null(strstr(doc, "| area | total | pass | non-strict | "
                                 "informational | unimplemented | fail | "
                                 "error |\n"));
  cr_assert_not_null(strstr(doc, "| framing | 2 | 1 | 0 | 0 | 0 | 1 | 0 |\n"));
  cr_assert_not_null(strstr(doc, "| pings | 3 | 0 | 1 | 1 | 1 | 0 | 0 |\n"));
  cr_assert_not_null(strstr(doc, "| ev\\|il | 1 | 0 | 0 | 0 | 0 | 0 | 1 |\n"));
  cr_assert_not_null(strstr(doc, "| 1.2 | fail | Title a\\|b c  "));
  cr_assert_not_null(strstr(doc, "| x\\|&lt;i&gt; | error | "));
  cr_assert_null(strstr(doc, "Interrupted"));
  free(doc);
  ws_results_free(&r);
}

Test(markdown, failed_table_is_capped) {
  ws_run_results r;
  ws_results_init(&r);
  r.target = sdup("ws://h/");
  char id[16];
  for (int i = 0; i < 70; i++) {
    snprintf(id, sizeof id, "f.%d", i);
    add_case(&r, id, "a", i % 2 ? WS_VERDICT_FAIL : WS_VERDICT_ERROR, "r");
  }
  add_case(&r, "p.1", "a", WS_VERDICT_PASS, "");
  char *doc = write_md(&r);
  cr_assert_eq(check_table(doc, "## Failed cases"), 2 + 50);
  cr_assert_not_null(strstr(doc, "| f.49 | fail |"));
  cr_assert_null(strstr(doc, "| f.50 |"));
  cr_assert_not_null(strstr(doc, "_... and 20 more (see results.json)_"));
  free(doc);
  ws_results_free(&r);
}

Test(markdown, long_reason_is_cut_at_a_character_boundary) {
  ws_run_results r;
  ws_results_init(&r);
  char reason[1024] = "";
  for (int i = 0; i < 200; i++)
    strcat(reason, "\xc3\xa9"); /* 400 bytes of two-byte characters */
  add_case(&r, "1.1", "a", WS_VERDICT_FAIL, reason);
  char *doc = write_md(&r);
  const char *row = strstr(doc, "| 1.1 |");
  cr_assert_not_null(row);
  cr_assert_not_null(strstr(row, "\xc3\xa9... |\n"));
  cr_assert_null(strstr(doc, "\\xC3")); /* no character split in two */
  free(doc);
  ws_results_free(&r);
}

Test(markdown, interrupted_and_empty_runs) {
  ws_run_results r;
  ws_results_init(&r);
  r.interrupted = true;
  r.selected = 10;
  char *doc = write_md(&r);
  cr_assert_not_null(strstr(doc, "# wsprobe: (no target): 0 cases"));
  cr_assert_not_null(strstr(doc, "**Interrupted:** 0 of 10 selected"));
  cr_assert_null(strstr(doc, "## Failed cases"));
  cr_assert_null(strstr(doc, "## Areas"));
  free(doc);
  ws_results_free(&r);
}

/* ---- the CI view (markdown_gate.c) ---- */

static char *write_gated(const ws_run_results *r, const ws_gate *g) {
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/summary.md", dir);
  cr_assert_eq(ws_report_write_markdown_gated(r, g, path, err, sizeof err), 0,
               "%s", err);
  return slurp(path);
}

static bool known_but_zz(const char *id, void *ctx) {
  (void)ctx;
  return strcmp(id, "zz.9") != 0;
}

/* With a satisfied part and a changed part: the title counts regressions,
 * unexpected passes and expected cases (not "1 fail"), the status line
 * says why the job fails, regressions come first, expected cases are
 * listed apart, and an id no case has is a warning. */
Test(markdown, baseline_changes_first_and_expected_cases_apart) {
  ws_run_results r;
  build_results(&r);
  add_case(&r, "1.3", "framing", WS_VERDICT_FAIL, "known");
  ws_baseline b;
  char err[256];
  static const char text[] = "1.3 fail\n2.1 fail\nzz.9 fail typo\n";
  cr_assert_eq(ws_baseline_parse_text(text, sizeof text - 1, "ci/base.txt", &b,
                                      err, sizeof err),
               0, "%s", err);
  ws_baseline_mark_unknown(&b, known_but_zz, NULL);
  ws_gate g = {.fail_on = WS_VERDICT_BIT(WS_VERDICT_FAIL), .baseline = &b};
  char *doc = write_gated(&r, &g);
  const char *title = "# wsprobe: ws://127.0.0.1:9001/&lt;b&gt;\\|: 7 cases, "
                      "1 regression, 1 unexpected pass, 1 expected, 1 error\n";
  cr_assert_eq(strncmp(doc, title, strlen(title)), 0, "%.200s", doc);
  cr_assert_not_null(strstr(doc, "**Exit status 1:** 1 regression and 1 "
                                 "unexpected pass against the baseline; 1 "
                                 "case could not be run (error is not in "
                                 "--fail-on).\n"),
                     "%s", doc);
  cr_assert_not_null(strstr(doc, "**Warning:** the baseline lists 1 id that "
                                 "no case has"));
  cr_assert_not_null(strstr(doc, "ignored: zz.9.\n"));
  const char *reg = strstr(doc, "### Regressions");
  const char *unexp = strstr(doc, "### Unexpected passes");
  const char *expected = strstr(doc, "### Expected by the baseline");
  const char *not_run = strstr(doc, "## Cases not run");
  cr_assert(reg && unexp && expected && not_run, "%s", doc);
  cr_assert(reg < unexp && unexp < expected && expected < not_run);
  cr_assert_eq(check_table(doc, "### Regressions"), 2 + 1);
  cr_assert_not_null(strstr(reg, "| 1.2 | fail | (not listed) | Title "));
  cr_assert_eq(check_table(doc, "### Unexpected passes"), 2 + 1);
  cr_assert_not_null(strstr(unexp, "| 2.1 | informational | fail | Title "));
  cr_assert_eq(check_table(doc, "### Expected by the baseline"), 2 + 1);
  cr_assert_not_null(strstr(expected, "| 1.3 | fail | Title "));
  cr_assert_not_null(strstr(expected, "<details>"));
  cr_assert_eq(check_table(doc, "## Cases not run"), 2 + 1);
  cr_assert_null(strstr(doc, "## Failed cases"));
  free(doc);
  ws_baseline_free(&b);
  ws_results_free(&r);
}

Test(markdown, fail_on_non_strict_lists_the_non_strict_cases) {
  ws_run_results r;
  build_results(&r);
  ws_gate g = {.fail_on = WS_VERDICT_BIT(WS_VERDICT_FAIL) |
                          WS_VERDICT_BIT(WS_VERDICT_NON_STRICT)};
  char *doc = write_gated(&r, &g);
  cr_assert_not_null(strstr(doc, ": 6 cases, 1 pass, 1 non-strict, 1 fail, "
                                 "1 error\n"),
                     "%.300s", doc);
  cr_assert_not_null(strstr(doc, "**Exit status 1:** 2 cases have a "
                                 "--fail-on verdict (non-strict,fail)"));
  cr_assert_eq(check_table(doc, "## Failed cases"), 2 + 3);
  cr_assert_not_null(strstr(doc, "| 2.3 | non-strict | Title "));
  /* the plain writer (wsprobe report) renders --fail-on fail, no status */
  free(doc);
  doc = write_md(&r);
  cr_assert_eq(check_table(doc, "## Failed cases"), 2 + 2);
  cr_assert_null(strstr(doc, "| 2.3 |"));
  cr_assert_null(strstr(doc, "Exit status"));
  free(doc);
  ws_results_free(&r);
}

static size_t entries(const char *path) {
  DIR *d = opendir(path);
  cr_assert_not_null(d, "%s", path);
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      cr_assert_null(strstr(e->d_name, ".tmp."), "left over: %s", e->d_name);
      n++;
    }
  closedir(d);
  return n;
}

Test(markdown, write_is_atomic_and_leaves_no_temporary_file) {
  ws_run_results r;
  build_results(&r);
  free(write_md(&r));
  free(write_md(&r));
  cr_assert_eq(entries(dir), 1);
  char path[128], err[256] = "";
  snprintf(path, sizeof path, "%s/no/such/dir/summary.md", dir);
  cr_assert_eq(ws_report_write_markdown(&r, path, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, path), "%s", err);
  cr_assert_eq(entries(dir), 1);
  ws_results_free(&r);
}

/* ---- ws_report_write_all ---- */

Test(report_all, creates_the_directory_and_all_four_files) {
  ws_run_results r;
  build_results(&r);
  char out[128], err[256] = "";
  snprintf(out, sizeof out, "%s/a/b/c/", dir);
  cr_assert_eq(ws_report_write_all(&r, out, err, sizeof err), 0, "%s", err);
  static const char *const files[] = {"results.json", "index.html", "junit.xml",
                                      "summary.md"};
  for (size_t i = 0; i < 4; i++) {
    char path[192];
    struct stat st;
    snprintf(path, sizeof path, "%s%s", out, files[i]);
    cr_assert_eq(stat(path, &st), 0, "%s missing", path);
    cr_assert_gt(st.st_size, 0);
  }
  cr_assert_eq(entries(out), 4);
  /* again, over the existing files */
  cr_assert_eq(ws_report_write_all(&r, out, err, sizeof err), 0, "%s", err);
  cr_assert_eq(entries(out), 4);
  ws_results_free(&r);
}

Test(report_all, a_file_in_the_way_is_a_clear_error) {
  ws_run_results r;
  build_results(&r);
  char file[128], out[192], err[256] = "";
  snprintf(file, sizeof file, "%s/plain", dir);
  FILE *f = fopen(file, "w");
  cr_assert_not_null(f);
  fclose(f);
  snprintf(out, sizeof out, "%s/sub", file);
  cr_assert_eq(ws_report_write_all(&r, out, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, "cannot create directory"), "%s", err);
  cr_assert_eq(ws_report_write_all(&r, file, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, file), "%s", err);
  cr_assert_eq(ws_report_write_all(&r, "", err, sizeof err), -1);
  ws_results_free(&r);
}
