/* What makes the HTML reports quick to act on: cases needing attention
 * first, the filter opening on "not pass", the agent named as given, RFC
 * references linked, matrix cells linked to each run's case. Read back as
 * text here; tests/integration/test_html_report.py checks the same in a
 * browser. */
#include "tests/unit/html_fixture.h"

#include <errno.h>

TestSuite(html_triage, .init = setup_dir, .fini = teardown_dir);

/* Where the case's anchor is in the page (it must be there once). */
static const char *anchor(const char *doc, const char *id) {
  char want[128];
  snprintf(want, sizeof want, "id=\"case-%s\"", id);
  const char *p = strstr(doc, want);
  cr_assert(p, "no %s", want);
  cr_assert_null(strstr(p + 1, want), "%s twice", want);
  return p;
}

/* make_run's cases, catalogue order: 1.1.2 pass, 1.1.10 fail, 1.1.1
 * non-strict, 2.1 informational, hs.2 unimplemented (area framing), close.1
 * error (area close). */
Test(html_triage, attention_list_then_areas_by_verdict) {
  ws_run_results r;
  make_run(&r, "agent", false);
  char *doc = write_index(&r);
  const char *order[] = {"1.1.10", "close.1", "1.1.1", "2.1", "hs.2", "1.1.2"};
  for (size_t i = 1; i < sizeof order / sizeof order[0]; i++)
    cr_assert_lt(anchor(doc, order[i - 1]), anchor(doc, order[i]),
                 "%s before %s", order[i - 1], order[i]);
  const char *list = strstr(doc, "<h2>Needs attention</h2>");
  const char *framing =
      strstr(doc, "<section class=\"area\" data-area=\"framing\"");
  cr_assert(list && framing && list < anchor(doc, "1.1.10"));
  cr_assert_lt(anchor(doc, "1.1.1"), framing);
  cr_assert_lt(framing, anchor(doc, "2.1"));
  /* close's only case needs attention: the area has no section of its own. */
  cr_assert_null(strstr(doc, "<section class=\"area\" data-area=\"close\""));
  cr_assert(strstr(doc, ">2 more under Needs attention</a>"));
  /* The list names each case's area; the areas do not repeat theirs. */
  cr_assert_eq(count(doc, "<span class=\"carea\">"), 3);
  cr_assert(strstr(doc, "<span class=\"carea\">close</span>"));
  /* Summary chips most urgent first, with a "not pass" one. */
  cr_assert_lt(strstr(doc, "class=\"chip v-fail"),
               strstr(doc, "class=\"chip v-pass"));
  cr_assert(strstr(doc, "<span class=\"n\">5</span> not pass</button>"));
  free(doc);
  ws_results_free(&r);
}

Test(html_triage, filter_opens_on_not_pass_when_anything_did_not_pass) {
  ws_run_results r;
  make_run(&r, "agent", false);
  char *doc = write_index(&r);
  cr_assert(strstr(doc, "name=\"verdict\" value=\"pass\"> pass</label>"));
  cr_assert(strstr(doc, "name=\"verdict\" value=\"fail\" checked> fail"));
  cr_assert_eq(count(doc, "name=\"verdict\""), WS_VERDICT_COUNT);
  cr_assert_eq(count(doc, " checked>"), WS_VERDICT_COUNT - 1);
  free(doc);
  /* Every case passed: nothing to hide, no list, the filter on "all". */
  for (size_t i = 0; i < r.case_count; i++)
    r.cases[i].verdict = WS_VERDICT_PASS;
  doc = write_index(&r);
  cr_assert_eq(count(doc, " checked>"), WS_VERDICT_COUNT);
  cr_assert_null(strstr(doc, "<h2>Needs attention</h2>"));
  cr_assert_null(strstr(doc, "not pass</button>"));
  free(doc);
  ws_results_free(&r);
}

/* The header's line about what was tested, from <p class="who"> on. */
static char *who_line(const char *doc) {
  const char *p = strstr(doc, "<p class=\"who\">");
  cr_assert(p);
  return strndup(p, (size_t)(strstr(p, "</p>") - p));
}

Test(html_triage, agent_as_given_and_the_url_once) {
  ws_run_results r;
  make_run(&r, "nginx <1.25> & co", false);
  char *doc = write_index(&r);
  char *who = who_line(doc);
  cr_assert_str_eq(who, "<p class=\"who\"><span class=\"agent\">nginx "
                        "&lt;1.25&gt; &amp; co</span> <span class=\"url\">"
                        "ws://127.0.0.1:9/</span>");
  cr_assert_eq(count(doc, "ws://127.0.0.1:9/"), 1, "the URL once");
  free(who);
  free(doc);
  /* No --agent: wsprobe test records the URL as the agent. */
  free(r.agent);
  r.agent = sdup(r.target);
  doc = write_index(&r);
  who = who_line(doc);
  cr_assert_str_eq(who, "<p class=\"who\"><span class=\"url\">"
                        "ws://127.0.0.1:9/</span>");
  cr_assert_eq(count(doc, "ws://127.0.0.1:9/"), 2, "the line and the title");
  free(who);
  free(doc);
  free(r.agent);
  r.agent = NULL;
  doc = write_index(&r);
  cr_assert_null(strstr(doc, "class=\"agent\""));
  free(doc);
  ws_results_free(&r);
}

static char *rfc_html(const char *rfc) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  cr_assert(f);
  ws_html_rfc_links(f, rfc);
  fclose(f);
  return buf;
}

#define LINK(num, frag, text)                                                  \
  "<a class=\"rfc\" href=\"https://www.rfc-editor.org/rfc/rfc" num frag        \
  "\" target=\"_blank\" rel=\"noopener noreferrer\">" text "</a>"

Test(html_triage, rfc_references_link_to_rfc_editor_sections) {
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"6455#5.5", LINK("6455", "#section-5.5", "RFC 6455 &#xa7;5.5")},
      {"6455#5.5, 7692#7.2.1",
       LINK("6455", "#section-5.5", "RFC 6455 &#xa7;5.5") ", " LINK(
           "7692", "#section-7.2.1", "RFC 7692 &#xa7;7.2.1")},
      {" 6455#11.3.4 ,",
       LINK("6455", "#section-11.3.4", "RFC 6455 &#xa7;11.3.4")},
      {"3629", LINK("3629", "", "RFC 3629")},
      /* Not a reference: shown, escaped, never in an href. */
      {"06455#5", "RFC 06455 &#xa7;5"},
      {"6455#5..5", "RFC 6455 &#xa7;5..5"},
      {"6455#5.", "RFC 6455 &#xa7;5."},
      {"6455#", "RFC 6455 &#xa7;"},
      {"123456#1", "RFC 123456 &#xa7;1"},
      {"6455#5.5\"><b>", "RFC 6455 &#xa7;5.5&quot;&gt;&lt;b&gt;"},
      {"javascript:alert(1)", "javascript:alert(1)"},
      {"", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = rfc_html(cases[i].in);
    cr_assert_str_eq(got, cases[i].out, "for '%s'", cases[i].in);
    free(got);
  }
}

Test(html_triage, href_path_encoding) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ws_html_href_path(f, "../a b/c:d#e%f\"g/\xc3\xa9~_.-/index.html");
  fclose(f);
  cr_assert_str_eq(buf, "../a%20b/c%3Ad%23e%25f%22g/%C3%A9~_.-/index.html");
  free(buf);
}

/* tmpdir_/path, created as directories. */
static void make_dir(const char *path) {
  char full[256];
  snprintf(full, sizeof full, "%s/%s", tmpdir_, path);
  cr_assert_eq(mkdir(full, 0700), 0, "%s", full);
}

static void assert_relative(const char *from, const char *to,
                            const char *want) {
  char a[256], b[256];
  snprintf(a, sizeof a, "%s/%s", tmpdir_, from);
  snprintf(b, sizeof b, "%s/%s", tmpdir_, to);
  char *got = ws_html_relative_path(a, b);
  cr_assert(got, "%s -> %s: %s", from, to, strerror(errno));
  cr_assert_str_eq(got, want, "%s -> %s", from, to);
  free(got);
}

Test(html_triage, relative_paths_between_pages) {
  make_dir("out");
  make_dir("out/run-2");
  make_dir("runs");
  make_dir("runs/a");
  make_dir("runs/ab");
  assert_relative("out/matrix.html", "out/index.html", "index.html");
  assert_relative("out/matrix.html", "out/run-2/index.html",
                  "run-2/index.html");
  assert_relative("out/matrix.html", "runs/a/index.html",
                  "../runs/a/index.html");
  assert_relative("runs/a/matrix.html", "runs/ab/index.html",
                  "../ab/index.html");
  assert_relative("runs/ab/matrix.html", "runs/a/index.html",
                  "../a/index.html");
  assert_relative("out/run-2/matrix.html", "index.html", "../../index.html");
  assert_relative("out/./run-2/../matrix.html", "runs//a/index.html",
                  "../runs/a/index.html");
  char from[256], missing[256];
  snprintf(from, sizeof from, "%s/out/matrix.html", tmpdir_);
  snprintf(missing, sizeof missing, "%s/nowhere/index.html", tmpdir_);
  cr_assert_null(ws_html_relative_path(from, missing));
  cr_assert_null(ws_html_relative_path(from, "out/"));
}

Test(html_triage, matrix_cells_link_to_each_runs_case) {
  ws_run_results a, b;
  make_run(&a, "one", false);
  make_run(&b, "ws://127.0.0.1:9/", false); /* agent = target: named once */
  make_dir("a");
  char page[256], path[256], err[256];
  snprintf(page, sizeof page, "%s/a/index.html", tmpdir_);
  snprintf(path, sizeof path, "%s/matrix.html", tmpdir_);
  const ws_run_results *runs[] = {&a, &b};
  const char *pages[] = {page, NULL};
  cr_assert_eq(
      ws_report_write_matrix_html_linked(runs, pages, 2, path, err, sizeof err),
      0, "%s", err);
  size_t len;
  char *doc = slurp(path, &len);
  cr_assert(strstr(doc, "<td class=\"v-fail\" title=\"fail (close-code): "
                        "close 1000, wanted 1002\"><a href=\"a/index.html"
                        "#case-1.1.10\">fail</a></td><td class=\"v-fail\" "
                        "title=\"fail (close-code): close 1000, wanted "
                        "1002\">fail</td>"));
  cr_assert_eq(count(doc, "<a href=\"a/index.html#case-"), a.case_count);
  cr_assert_eq(count(doc, "<a href="), a.case_count, "none for run two");
  cr_assert_eq(count(doc, "<span class=\"agent\">"), 1);
  cr_assert(strstr(doc, "<th class=\"run\"><span class=\"url\">ws://"));
  free(doc);
  ws_results_free(&a);
  ws_results_free(&b);
}
