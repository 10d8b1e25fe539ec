/* junit.xml (reports/junit_writer.c) and the XML escaping under it
 * (reports/xml_escape.c): a run with every verdict and hostile strings in
 * every peer-controlled field must give a well-formed document whose counts
 * agree with the results model, and that validates against tests/junit.xsd
 * when xmllint is installed. Well-formedness is checked by a small XML 1.0
 * checker below, so the test means something without xmllint too. */
#include "reports/baseline.h"
#include "reports/ci_gate.h"
#include "reports/report.h"
#include "reports/results.h"
#include "reports/utf8_text.h"
#include "reports/xml_escape.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Everything XML has trouble with: markup, a CDATA end, a comment start,
 * quotes, control bytes, invalid UTF-8 (overlong, surrogate, truncated, a
 * lone continuation byte, 0xFF), the noncharacter U+FFFE, and a tab and a
 * newline that attributes would normalise away. */
#define HOSTILE                                                                \
  "</testcase>]]><!-- \"><img src=x onerror=alert(1)> &amp; '\x01\x1b\x7f"     \
  "\xc0\xaf\xed\xa0\x80\xff\x80\xef\xbf\xbe\t\n|end\xe2\x82"

static char *sdup(const char *s) { return s ? strdup(s) : NULL; }

static void add_case(ws_run_results *r, const char *id, const char *area,
                     enum ws_verdict v, const char *reason) {
  ws_case_result c = {0};
  c.id = sdup(id);
  c.title = sdup("Title <b>" HOSTILE);
  c.area = sdup(area);
  c.rfc = sdup("6455#5.5");
  c.level = sdup("MUST");
  c.verdict = v;
  c.reason_code = sdup(v == WS_VERDICT_PASS ? "" : "close-code\"<x>");
  c.reason = sdup(reason);
  c.expected = sdup("close code=1002 | tcp-close");
  c.observed = sdup("close 1000 " HOSTILE);
  c.duration_ms = 12.0;
  c.has_close = v != WS_VERDICT_ERROR;
  c.close_code = 1000;
  c.close_reason = sdup(HOSTILE);
  c.close_by = "peer";
  c.close_clean = true;
  cr_assert_eq(ws_results_add(r, &c), 0);
}

/* pass 2, informational 1, unimplemented 1, non-strict 1, fail 2, error 2
 * (one of them an out-of-range verdict, which counts as an error), in
 * three areas, one of them with markup in its name. */
static void build_results(ws_run_results *r) {
  ws_results_init(r);
  r->tool_version = sdup("0.1.0");
  r->target = sdup("ws://127.0.0.1:9001/?q=<x>&y='1'");
  r->agent = sdup("Evil/1.0 " HOSTILE);
  r->started_at = sdup("2024-01-01T12:00:00Z");
  r->duration_ms = 1234.5;
  r->seed = 42;
  add_case(r, "1.1", "framing", WS_VERDICT_PASS, "");
  add_case(r, "1.2", "framing", WS_VERDICT_FAIL, "wrong close code " HOSTILE);
  add_case(r, "2.1", "pings", WS_VERDICT_INFORMATIONAL, "open choice");
  add_case(r, "2.2", "pings", WS_VERDICT_UNIMPLEMENTED, "no pmd " HOSTILE);
  add_case(r, "2.3", "pings", WS_VERDICT_NON_STRICT, "tcp drop " HOSTILE);
  add_case(r, "x.1", "ev<il>", WS_VERDICT_ERROR, "refused " HOSTILE);
  add_case(r, "x.2", "ev<il>", WS_VERDICT_FAIL, "");
  add_case(r, "x.3", "ev<il>", (enum ws_verdict)42, "bogus verdict");
  add_case(r, "1.3", "framing", WS_VERDICT_PASS, "");
}

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

static char dir[64];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/wsprobe-junit-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  char path[512];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      unlink(path);
    }
  closedir(d);
  rmdir(dir);
}

static size_t count_of(const char *doc, const char *needle) {
  size_t n = 0;
  for (const char *p = doc; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

/* ---- a small XML 1.0 well-formedness checker (no DTD, no CDATA) ---- */

typedef struct xp {
  const char *p;
  bool ok;
  const char *why;
} xp;

static bool bad(xp *x, const char *why) {
  if (x->ok)
    x->why = why;
  x->ok = false;
  return false;
}

/* Every character must be one XML 1.0 allows, in well-formed UTF-8. */
static bool chars_ok(xp *x, const char *doc) {
  const unsigned char *p = (const unsigned char *)doc;
  size_t len = strlen(doc);
  for (size_t i = 0; i < len;) {
    size_t n = ws_text_utf8_len(p + i, len - i);
    if (n == 0)
      return bad(x, "invalid UTF-8");
    if (n == 1 && p[i] < 0x20 && !strchr("\t\n\r", p[i]))
      return bad(x, "control character");
    if (n == 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] >= 0xBE)
      return bad(x, "U+FFFE or U+FFFF");
    i += n;
  }
  return true;
}

static bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == ':';
}

static size_t name_len(const char *p) {
  size_t n = 0;
  while (is_name_char(p[n]))
    n++;
  return n;
}

static void skip_space(xp *x) {
  while (*x->p == ' ' || *x->p == '\n' || *x->p == '\t' || *x->p == '\r')
    x->p++;
}

/* '&' must start one of the five entities or a character reference. */
static bool entity(xp *x) {
  static const char *const known[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                      "&apos;"};
  for (size_t i = 0; i < 5; i++)
    if (!strncmp(x->p, known[i], strlen(known[i]))) {
      x->p += strlen(known[i]);
      return true;
    }
  if (!strncmp(x->p, "&#", 2)) {
    const char *q = x->p + 2;
    while (*q >= '0' && *q <= '9')
      q++;
    if (q > x->p + 2 && *q == ';') {
      x->p = q + 1;
      return true;
    }
  }
  return bad(x, "bad entity");
}

static bool attributes(xp *x) {
  for (;;) {
    skip_space(x);
    if (*x->p == '>' || *x->p == '/' || *x->p == '?')
      return true;
    size_t n = name_len(x->p);
    if (n == 0)
      return bad(x, "bad attribute name");
    x->p += n;
    if (*x->p++ != '=')
      return bad(x, "attribute without =");
    char quote = *x->p++;
    if (quote != '"' && quote != '\'')
      return bad(x, "unquoted attribute");
    while (*x->p != quote) {
      if (*x->p == '\0' || *x->p == '<')
        return bad(x, "< or end in attribute value");
      if (*x->p == '&') {
        if (!entity(x))
          return false;
      } else
        x->p++;
    }
    x->p++;
  }
}

static bool misc(xp *x) {
  skip_space(x);
  if (!strncmp(x->p, "<?xml", 5)) {
    const char *end = strstr(x->p, "?>");
    if (!end)
      return bad(x, "unterminated declaration");
    x->p = end + 2;
    return true;
  }
  if (!strncmp(x->p, "<!--", 4)) {
    const char *end = strstr(x->p + 4, "--");
    if (!end || end[2] != '>')
      return bad(x, "-- inside a comment");
    x->p = end + 3;
    return true;
  }
  return false;
}

static bool element(xp *x, int depth) {
  if (depth > 32 || *x->p != '<')
    return bad(x, "expected an element");
  const char *name = ++x->p;
  size_t n = name_len(name);
  if (n == 0)
    return bad(x, "bad element name");
  x->p += n;
  if (!attributes(x))
    return false;
  if (!strncmp(x->p, "/>", 2)) {
    x->p += 2;
    return true;
  }
  if (*x->p++ != '>')
    return bad(x, "bad start tag");
  for (;;) {
    if (!strncmp(x->p, "</", 2)) {
      if (strncmp(x->p + 2, name, n) || x->p[2 + n] != '>')
        return bad(x, "mismatched end tag");
      x->p += n + 3;
      return true;
    }
    if (!strncmp(x->p, "<!--", 4)) {
      if (!misc(x))
        return false;
    } else if (*x->p == '<') {
      if (!element(x, depth + 1))
        return false;
    } else if (*x->p == '&') {
      if (!entity(x))
        return false;
    } else if (*x->p == '\0') {
      return bad(x, "unterminated element");
    } else if (!strncmp(x->p, "]]>", 3)) {
      return bad(x, "]]> in text");
    } else
      x->p++;
  }
}

static void assert_well_formed(const char *doc) {
  xp x = {.p = doc, .ok = true, .why = ""};
  if (chars_ok(&x, doc)) {
    while (misc(&x))
      ;
    if (x.ok && element(&x, 0)) {
      while (misc(&x))
        ;
      skip_space(&x);
      if (*x.p)
        bad(&x, "content after the root element");
    }
  }
  cr_assert(x.ok, "not well-formed XML: %s at offset %td", x.why, x.p - doc);
}

/* xmllint from the repository root (where `make unit` runs); skipped when
 * either is missing. */
static void assert_schema_valid(const char *path) {
  if (access("tests/junit.xsd", R_OK) != 0 ||
      system("command -v xmllint >/dev/null 2>&1") != 0)
    return;
  char cmd[512];
  snprintf(cmd, sizeof cmd,
           "xmllint --noout --schema tests/junit.xsd %s 2>/dev/null", path);
  cr_assert_eq(system(cmd), 0, "%s does not validate against junit.xsd", path);
}

static char *write_junit(const ws_run_results *r) {
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/junit.xml", dir);
  cr_assert_eq(ws_report_write_junit(r, path, err, sizeof err), 0, "%s", err);
  assert_schema_valid(path);
  return slurp(path);
}

TestSuite(junit, .init = make_dir, .fini = remove_dir);

Test(junit, hostile_run_is_well_formed_and_valid) {
  ws_run_results r;
  build_results(&r);
  char *doc = write_junit(&r);
  assert_well_formed(doc);
  cr_assert_null(strstr(doc, "<img"));
  cr_assert_null(strstr(doc, "</testcase>]]"));
  cr_assert_null(strstr(doc, "]]>"));
  cr_assert_null(strstr(doc, "<b>"));
  cr_assert_null(strstr(doc, "<x>"));
  cr_assert_eq(count_of(doc, "<!--"), 1); /* the writer's own comment */
  free(doc);
  ws_results_free(&r);
}

Test(junit, counts_follow_the_verdicts) {
  ws_run_results r;
  build_results(&r);
  char *doc = write_junit(&r);
  cr_assert_not_null(strstr(doc, "<testsuites name=\"wsprobe\" tests=\"9\" "
                                 "failures=\"2\" errors=\"2\" skipped=\"1\" "
                                 "time=\"1.234\">"),
                     "%.400s", doc);
  cr_assert_not_null(strstr(doc, "<testsuite name=\"framing\" tests=\"3\" "
                                 "failures=\"1\" errors=\"0\" skipped=\"0\" "
                                 "time=\"0.036\" "
                                 "timestamp=\"2024-01-01T12:00:00\">"));
  cr_assert_not_null(strstr(doc, "<testsuite name=\"pings\" tests=\"3\" "
                                 "failures=\"0\" errors=\"0\" skipped=\"1\""));
  cr_assert_not_null(strstr(doc, "<testsuite name=\"ev&lt;il&gt;\" "
                                 "tests=\"3\" failures=\"1\" errors=\"2\" "
                                 "skipped=\"0\""));
  cr_assert_eq(count_of(doc, "<testsuite "), 3);
  cr_assert_eq(count_of(doc, "<testcase "), 9);
  cr_assert_eq(count_of(doc, "<failure "), 2);
  cr_assert_eq(count_of(doc, "<error "), 2);
  cr_assert_eq(count_of(doc, "<skipped "), 1);
  /* non-strict, informational and unimplemented say so in system-out */
  cr_assert_eq(count_of(doc, "<system-out>"), 3);
  cr_assert_not_null(strstr(doc, "<system-out>verdict: non-strict\n"));
  cr_assert_not_null(strstr(doc, "<system-out>verdict: informational\n"));
  cr_assert_not_null(strstr(doc, "classname=\"wsprobe.framing\""));
  free(doc);
  ws_results_free(&r);
}

Test(junit, failure_carries_reason_and_details) {
  ws_run_results r;
  build_results(&r);
  char *doc = write_junit(&r);
  const char *f = strstr(doc, "<failure message=\"wrong close code ");
  cr_assert_not_null(f);
  cr_assert_not_null(strstr(f, "type=\"close-code&quot;&lt;x&gt;\">"));
  const char *end = strstr(f, "</failure>");
  cr_assert_not_null(end);
  const char *body = strstr(f, ">verdict: fail\n");
  cr_assert(body && body < end);
  cr_assert_not_null(strstr(body, "expected: close code=1002 | tcp-close\n"));
  cr_assert_not_null(strstr(body, "observed: close 1000 &lt;/testcase&gt;"));
  cr_assert_not_null(strstr(body, "close: code 1000, reason \"&lt;/testcase"));
  /* an empty reason still gives a message and a type */
  cr_assert_not_null(
      strstr(doc, "<failure message=\"fail\" type=\"close-code"));
  free(doc);
  ws_results_free(&r);
}

Test(junit, empty_run_is_valid) {
  ws_run_results r;
  ws_results_init(&r);
  r.interrupted = true;
  char *doc = write_junit(&r);
  assert_well_formed(doc);
  cr_assert_not_null(strstr(doc, "tests=\"0\" failures=\"0\" errors=\"0\" "
                                 "skipped=\"0\""));
  cr_assert_eq(count_of(doc, "<testsuite "), 0);
  free(doc);
  ws_results_free(&r);
}

Test(junit, odd_header_values_stay_valid) {
  ws_run_results r;
  build_results(&r);
  free(r.started_at);
  r.started_at = sdup("yesterday <noon>"); /* not a timestamp: left out */
  r.duration_ms = -5;
  r.cases[0].duration_ms = INFINITY;
  char *doc = write_junit(&r);
  assert_well_formed(doc);
  cr_assert_null(strstr(doc, "timestamp="));
  cr_assert_not_null(strstr(doc, "time=\"0.000\""));
  cr_assert_null(strstr(doc, "=\"inf"));
  cr_assert_null(strstr(doc, "=\"nan"));
  free(doc);
  ws_results_free(&r);
}

Test(junit, write_is_atomic_and_leaves_no_temporary_file) {
  ws_run_results r;
  build_results(&r);
  free(write_junit(&r));
  free(write_junit(&r)); /* over an existing file */
  DIR *d = opendir(dir);
  struct dirent *e;
  size_t files = 0;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      files++;
      cr_assert_str_eq(e->d_name, "junit.xml");
    }
  closedir(d);
  cr_assert_eq(files, 1);
  struct stat st;
  char path[128];
  snprintf(path, sizeof path, "%s/junit.xml", dir);
  cr_assert_eq(stat(path, &st), 0);
  cr_assert_eq(st.st_mode & 0777, 0644);
  ws_results_free(&r);
}

Test(junit, unwritable_path_is_an_error) {
  ws_run_results r;
  build_results(&r);
  char path[128], err[256] = "";
  snprintf(path, sizeof path, "%s/missing/junit.xml", dir);
  cr_assert_eq(ws_report_write_junit(&r, path, err, sizeof err), -1);
  cr_assert_not_null(strstr(err, path), "%s", err);
  ws_results_free(&r);
}

/* ---- the CI view: what --fail-on and a baseline make of each case ---- */

static char *write_gated(const ws_run_results *r, const ws_gate *g) {
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/junit.xml", dir);
  cr_assert_eq(ws_report_write_junit_gated(r, g, path, err, sizeof err), 0,
               "%s", err);
  assert_schema_valid(path);
  char *doc = slurp(path);
  assert_well_formed(doc);
  return doc;
}

static bool starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The element inside the <testcase> whose name starts with "ID ". */
static const char *testcase_of(const char *doc, const char *id) {
  char needle[32];
  snprintf(needle, sizeof needle, "<testcase name=\"%s ", id);
  const char *tc = strstr(doc, needle);
  cr_assert_not_null(tc, "no testcase %s", id);
  return strchr(tc, '\n') + 1;
}

Test(junit, non_strict_fails_only_when_it_is_in_fail_on) {
  ws_run_results r;
  build_results(&r);
  ws_gate g = {.fail_on = WS_VERDICT_BIT(WS_VERDICT_FAIL) |
                          WS_VERDICT_BIT(WS_VERDICT_NON_STRICT)};
  char *doc = write_gated(&r, &g);
  cr_assert_not_null(strstr(doc, "<testsuites name=\"wsprobe\" tests=\"9\" "
                                 "failures=\"3\" errors=\"2\" skipped=\"1\""),
                     "%.600s", doc);
  cr_assert_not_null(strstr(doc, "<testsuite name=\"pings\" tests=\"3\" "
                                 "failures=\"1\" errors=\"0\" skipped=\"1\""));
  cr_assert(starts(testcase_of(doc, "2.3"),
                   "      <failure message=\"non-strict (in --fail-on): "
                   "tcp drop "),
            "%.200s", testcase_of(doc, "2.3"));
  cr_assert_not_null(strstr(doc, "<property name=\"fail_on\" "
                                 "value=\"non-strict,fail\"/>"));
  /* informational is still a visible pass */
  cr_assert(starts(testcase_of(doc, "2.1"),
                   "      <system-out>verdict: informational"));
  free(doc);
  ws_results_free(&r);
}

/* 1.2 fails as the baseline expects: <skipped>, not <failure>; x.2 fails
 * and is not listed: a regression; 2.1 is listed as fail and is now only
 * informational: an unexpected pass, which fails the job, so <failure>.
 * x.1 and x.3 errored (error is not in --fail-on): <error>. */
Test(junit, baseline_expected_cases_are_skipped_and_changes_fail) {
  ws_run_results r;
  build_results(&r);
  ws_baseline b;
  char err[256];
  static const char text[] = "1.2 fail known: wrong code\n2.1 fail\n";
  cr_assert_eq(ws_baseline_parse_text(text, sizeof text - 1, "ci/base.txt", &b,
                                      err, sizeof err),
               0, "%s", err);
  ws_gate g = {.fail_on = WS_VERDICT_BIT(WS_VERDICT_FAIL), .baseline = &b};
  char *doc = write_gated(&r, &g);
  cr_assert_not_null(strstr(doc, "<testsuites name=\"wsprobe\" tests=\"9\" "
                                 "failures=\"2\" errors=\"2\" skipped=\"2\""),
                     "%.600s", doc);
  const char *tc = testcase_of(doc, "1.2");
  cr_assert(starts(tc, "      <skipped message=\"expected by baseline: fail: "
                       "wrong close code "),
            "%.200s", tc);
  const char *end = strstr(tc, "</skipped>");
  cr_assert_not_null(end);
  const char *body = strstr(tc, "verdict: fail\n");
  cr_assert(body && body < end, "the details are the element's text");
  const char *said = strstr(tc, "baseline: fail (known: wrong code)\n");
  cr_assert(said && said < end, "%.*s", (int)(end - tc), tc);
  cr_assert(starts(testcase_of(doc, "x.2"),
                   "      <failure message=\"regression (baseline: not "
                   "listed): fail\" type=\"close-code"),
            "%.200s", testcase_of(doc, "x.2"));
  cr_assert(starts(testcase_of(doc, "2.1"),
                   "      <failure message=\"unexpected pass: now "
                   "informational, the baseline lists fail: update the "
                   "baseline\" type=\"unexpected-pass\">"),
            "%.200s", testcase_of(doc, "2.1"));
  cr_assert(starts(testcase_of(doc, "x.1"), "      <error "));
  cr_assert_not_null(strstr(doc, "<property name=\"baseline\" "
                                 "value=\"ci/base.txt\"/>"));
  free(doc);
  ws_baseline_free(&b);
  ws_results_free(&r);
}

/* ---- the escaping itself ---- */

static char *escaped(const char *s, size_t len, enum ws_xml_mode mode) {
  char *buf = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&buf, &size);
  ws_xml_escape(f, s, len, mode);
  fclose(f);
  return buf;
}

static void check_escape(const char *in, size_t len, enum ws_xml_mode mode,
                         const char *want) {
  char *got = escaped(in, len, mode);
  cr_assert_str_eq(got, want);
  free(got);
}

Test(xml_escape, markup_and_quotes) {
  check_escape("<a href=\"x\">&'</a>]]>", 21, WS_XML_TEXT,
               "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;]]&gt;");
}

Test(xml_escape, whitespace_by_mode) {
  check_escape("a\tb\nc\rd", 7, WS_XML_TEXT, "a\tb\nc&#13;d");
  check_escape("a\tb\nc\rd", 7, WS_XML_ATTRIBUTE, "a&#9;b&#10;c&#13;d");
  check_escape("a\tb\nc\rd", 7, WS_XML_ONE_LINE, "a\\x09b\\x0Ac\\x0Dd");
}

Test(xml_escape, characters_xml_cannot_hold_become_visible) {
  check_escape("a\0b\x01\x1b\x7f", 6, WS_XML_TEXT, "a\\x00b\\x01\\x1B\\x7F");
  check_escape("\xef\xbf\xbe\xef\xbf\xbf", 6, WS_XML_TEXT, "\\uFFFE\\uFFFF");
  check_escape("\xc2\x85", 2, WS_XML_TEXT, "\\u0085");
}

Test(xml_escape, invalid_utf8_becomes_visible_bytes) {
  check_escape("\xc0\xaf", 2, WS_XML_TEXT, "\\xC0\\xAF"); /* overlong */
  check_escape("\xed\xa0\x80", 3, WS_XML_TEXT,
               "\\xED\\xA0\\x80"); /* surrogate */
  check_escape("\xf4\x90\x80\x80", 4, WS_XML_TEXT, "\\xF4\\x90\\x80\\x80");
  check_escape("\xe2\x82", 2, WS_XML_TEXT, "\\xE2\\x82"); /* truncated */
  check_escape("\x80\xff", 2, WS_XML_TEXT, "\\x80\\xFF");
}

Test(xml_escape, valid_utf8_passes_through) {
  const char *s = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 "
                  "\xf0\x9f\x98\x80 \xef\xbf\xbd";
  check_escape(s, strlen(s), WS_XML_ATTRIBUTE, s);
}

Test(xml_escape, utf8_lengths) {
  cr_assert_eq(ws_text_utf8_len((const uint8_t *)"a", 1), 1);
  cr_assert_eq(ws_text_utf8_len((const uint8_t *)"\xc3\xa9", 2), 2);
  cr_assert_eq(ws_text_utf8_len((const uint8_t *)"\xc3\xa9", 1), 0);
  cr_assert_eq(ws_text_utf8_len((const uint8_t *)"\xe0\x9f\x80", 3), 0);
  cr_assert_eq(ws_text_utf8_len((const uint8_t *)"\xf0\x8f\x80\x80", 4), 0);
  cr_assert_eq(ws_text_utf8_len((const uint8_t *)"\xf4\x8f\xbf\xbf", 4), 4);
  cr_assert_eq(ws_text_utf8_len((const uint8_t *)"\xf5\x80\x80\x80", 4), 0);
}
