/* junit.xml: the run as JUnit XML, the format CI servers (Jenkins, GitLab,
 * GitHub test reporters, Surefire-style consumers) understand. The structure
 * follows the widely used JUnit schema (tests/junit.xsd checks it):
 *
 * <testsuites name="wsprobe" tests= failures= errors= skipped= time=>
 *   <testsuite name=AREA tests= failures= errors= skipped= time= timestamp=>
 *     <properties> target, agent, seed, fail_on, baseline, ... </properties>
 *     <testcase name="ID TITLE" classname="wsprobe.AREA" time=SECONDS>
 *       <failure message=REASON type=REASON_CODE>details</failure>
 *       <system-out>details</system-out>
 *     </testcase>
 *   </testsuite>
 * </testsuites>
 *
 * THE RULE: a CI's JUnit view goes red exactly when `wsprobe test` exits
 * non-zero because of the target. Each case gets the element of its role
 * under the run's --fail-on set and baseline (ci_gate.h):
 *
 *   failing (a --fail-on verdict     <failure> (<error> for verdict error);
 *     no baseline expects)           with a baseline the message starts
 *                                    "regression (baseline: V)"
 *   unexpected pass                  <failure type="unexpected-pass">: the
 *                                    job exits 1 until the baseline is
 *                                    updated, so the JUnit view says so
 *   expected by the baseline         <skipped message="expected by
 *                                    baseline: V: REASON">details</skipped>
 *   error, not in --fail-on          <error> (the run is incomplete: 2)
 *   unimplemented, not in --fail-on  <skipped message=REASON>
 *   pass                             no child element
 *   non-strict, informational or     no child element (a pass to JUnit),
 *     fail outside --fail-on         and the verdict in <system-out>
 *
 * So non-strict is a <failure> under --fail-on fail,non-strict and a
 * visible pass otherwise; a fail the baseline expects is <skipped>, never
 * a <failure>, since the job exits 0. Every non-pass case carries its
 * verdict and details (as the element's text or in <system-out>), so
 * nothing is hidden. The counts attributes count the elements: failures =
 * <failure>, errors = <error>, skipped = <skipped>, tests = every case.
 *
 * Why <skipped> for expected failures: it is the one outcome the readers
 * show apart from both pass and failure without failing anything.
 *   - Jenkins (JUnit plugin): the junit step marks the build UNSTABLE when
 *     a test failed, and <error> counts as failed (jenkinsci/junit-plugin,
 *     JENKINS-48178; errors are not told apart, JENKINS-4951); <skipped>
 *     is counted and drawn as skipped (JENKINS-1251) and its message
 *     attribute is what the test page shows (JENKINS-8713, nose2#431).
 *   - GitLab (unit test reports, artifacts:reports:junit): parses
 *     <failure>, <error> and <skipped> and shows them as failed, error and
 *     skipped (gitlab MR 28053); it takes the reason from the element's
 *     text, not the message attribute (gitlab-foss#53668), hence the
 *     details as text; reports never change the job status
 *     (docs.gitlab.com/ci/testing/unit_test_reports).
 *   - GitHub Actions reporters: EnricoMi/publish-unit-test-result-action
 *     marks its check failed on failures or errors and lists skipped tests
 *     apart; mikepenz/action-junit-report's fail_on_failure fails on
 *     <failure>/<error> and makes <skipped> a notice (its src/
 *     testParser.ts, PR #910); dorny/
 *     test-reporter's fail-on-error fails on failed tests and counts
 *     skipped ones separately.
 * An unexpected pass must be red in all of them: the job exits 1, and
 * only <failure> does that.
 *
 * `wsprobe report` re-renders junit.xml from results.json, which records
 * verdicts but not the run's --fail-on or baseline: it renders the default
 * view (--fail-on fail, no baseline), documented in report.h.
 *
 * Everything the peer controls is escaped (xml_escape.h): no CDATA, so "]]>"
 * in a close reason is just text. */
#include "reports/atomic_file.h"
#include "reports/ci_gate.h"
#include "reports/report.h"
#include "reports/xml_escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a case becomes in JUnit (see THE RULE above). */
enum element { EL_NONE, EL_FAILURE, EL_ERROR, EL_SKIPPED, EL_COUNT };

struct area {
  const char *name;
  size_t counts[EL_COUNT];
  size_t total;
  double ms; /* sum of case durations (cases may overlap in time) */
};

struct areas {
  struct area *v;
  size_t n;
};

/* An out-of-range verdict counts as an error, as in results.json. */
static enum ws_verdict verdict_of(const ws_case_result *c) {
  return (unsigned)c->verdict < WS_VERDICT_COUNT ? c->verdict
                                                 : WS_VERDICT_ERROR;
}

static const char *area_of(const ws_case_result *c) {
  return c->area ? c->area : "";
}

static enum element element_of(const ws_gate *g, const ws_case_result *c,
                               enum ws_gate_role *role, int *was) {
  *role = ws_gate_role_of(g, c, was);
  switch (*role) {
  case WS_GATE_FAILING:
    return verdict_of(c) == WS_VERDICT_ERROR ? EL_ERROR : EL_FAILURE;
  case WS_GATE_UNEXPECTED_PASS:
    return EL_FAILURE;
  case WS_GATE_EXPECTED:
    return EL_SKIPPED;
  case WS_GATE_NOT_RUN:
    return EL_ERROR;
  case WS_GATE_OK:
    break;
  }
  return verdict_of(c) == WS_VERDICT_UNIMPLEMENTED ? EL_SKIPPED : EL_NONE;
}

/* A duration read back from a file may be anything: keep the attribute a
 * plain non-negative decimal. */
static double seconds(double ms) {
  return ms >= 0 && ms < 1e15 ? ms / 1000.0 : 0.0;
}

/* Areas in order of first appearance, with their counts. */
static int collect_areas(const ws_run_results *r, const ws_gate *g,
                         struct areas *a) {
  a->v = calloc(r->case_count ? r->case_count : 1, sizeof *a->v);
  a->n = 0;
  if (!a->v)
    return -1;
  for (size_t i = 0; i < r->case_count; i++) {
    const ws_case_result *c = &r->cases[i];
    size_t k = 0;
    while (k < a->n && strcmp(a->v[k].name, area_of(c)) != 0)
      k++;
    if (k == a->n)
      a->v[a->n++].name = area_of(c);
    enum ws_gate_role role;
    int was;
    a->v[k].counts[element_of(g, c, &role, &was)]++;
    a->v[k].total++;
    a->v[k].ms += c->duration_ms >= 0 ? c->duration_ms : 0;
  }
  return 0;
}

static void attr(FILE *out, const char *name, const char *value,
                 enum ws_xml_mode mode) {
  fprintf(out, " %s=\"", name);
  ws_xml_escape_str(out, value ? value : "", mode);
  fputc('"', out);
}

static void counts_attrs(FILE *out, size_t total, const size_t counts[EL_COUNT],
                         double ms) {
  fprintf(out,
          " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\""
          " time=\"%.3f\"",
          total, counts[EL_FAILURE], counts[EL_ERROR], counts[EL_SKIPPED],
          seconds(ms));
}

/* The schema's timestamp is a date and time without a zone; started_at is
 * UTC. A value of another shape (a hand-edited results.json) is left out
 * rather than making the document invalid. */
static void timestamp_attr(FILE *out, const char *started_at) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd";
  if (!started_at || strlen(started_at) < sizeof shape - 1)
    return;
  for (size_t i = 0; i < sizeof shape - 1; i++) {
    char s = shape[i], c = started_at[i];
    if (s == 'd' ? !(c >= '0' && c <= '9') : c != s)
      return;
  }
  fprintf(out, " timestamp=\"%.19s\"", started_at);
}

static void property(FILE *out, const char *name, const char *value) {
  fputs("      <property", out);
  attr(out, "name", name, WS_XML_ONE_LINE);
  attr(out, "value", value, WS_XML_ATTRIBUTE);
  fputs("/>\n", out);
}

static void properties(FILE *out, const ws_run_results *r, const ws_gate *g) {
  char seed[24], selected[24], fail_on[128];
  ws_gate_set_names(g->fail_on, fail_on, sizeof fail_on);
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  snprintf(selected, sizeof selected, "%zu",
           r->selected > r->case_count ? r->selected : r->case_count);
  fputs("    <properties>\n", out);
  property(out, "wsprobe.version", r->tool_version);
  property(out, "target", r->target);
  property(out, "agent", r->agent ? r->agent : r->target);
  property(out, "started_at", r->started_at);
  property(out, "seed", seed);
  property(out, "selected", selected);
  property(out, "interrupted", r->interrupted ? "true" : "false");
  property(out, "fail_on", fail_on);
  if (g->baseline)
    property(out, "baseline", g->baseline->path);
  fputs("    </properties>\n", out);
}

/* "label: value\n": the value stays on its line, whatever it holds. */
static void line(FILE *out, const char *label, const char *value) {
  if (!value || !*value)
    return;
  fprintf(out, "%s: ", label);
  ws_xml_escape_str(out, value, WS_XML_ONE_LINE);
  fputc('\n', out);
}

static void close_line(FILE *out, const ws_case_result *c) {
  const char *by = c->close_by ? c->close_by : "none";
  if (!c->has_close) {
    fprintf(out, "close: no close frame received; closed by %s%s\n", by,
            c->close_clean ? ", clean" : "");
    return;
  }
  if (c->close_empty)
    fputs("close: empty close frame", out);
  else
    fprintf(out, "close: code %u", (unsigned)c->close_code);
  if (c->close_reason && *c->close_reason) {
    fputs(", reason \"", out);
    ws_xml_escape_str(out, c->close_reason, WS_XML_ONE_LINE);
    fputc('"', out);
  }
  fprintf(out, "; closed by %s, %s\n", by,
          c->close_clean ? "clean" : "unclean");
}

/* The body shared by <failure>, <error> and <system-out>: what was expected,
 * what happened, and how the connection ended. */
static void details(FILE *out, const ws_case_result *c) {
  fprintf(out, "verdict: %s\n", ws_verdict_name(verdict_of(c)));
  line(out, "reason", c->reason);
  line(out, "reason_code", c->reason_code);
  line(out, "rfc", c->rfc);
  line(out, "level", c->level);
  line(out, "expected", c->expected);
  line(out, "observed", c->observed);
  close_line(out, c);
  if (c->wire_dropped)
    fprintf(out,
            "wire log: %llu bytes not recorded (--wire-max, or the run's "
            "report budget)\n",
            (unsigned long long)c->wire_dropped);
}

/* The message attribute: what a CI's test page shows first. */
static void message_attr(FILE *out, const ws_case_result *c,
                         enum ws_gate_role role, int was, const ws_gate *g) {
  const char *reason = c->reason && *c->reason ? c->reason : NULL;
  const char *now = ws_verdict_name(verdict_of(c));
  const char *then =
      was < 0 ? "not listed" : ws_verdict_name((enum ws_verdict)was);
  char prefix[128] = "";
  if (role == WS_GATE_UNEXPECTED_PASS)
    snprintf(prefix, sizeof prefix,
             "unexpected pass: now %s, the baseline lists %s: update the "
             "baseline",
             now, then);
  else if (role == WS_GATE_EXPECTED)
    snprintf(prefix, sizeof prefix, "expected by baseline: %s", now);
  else if (role == WS_GATE_FAILING && g->baseline)
    snprintf(prefix, sizeof prefix, "regression (baseline: %s): %s", then, now);
  else if (role == WS_GATE_FAILING && verdict_of(c) != WS_VERDICT_FAIL &&
           verdict_of(c) != WS_VERDICT_ERROR)
    snprintf(prefix, sizeof prefix, "%s (in --fail-on)", now);
  fputs(" message=\"", out);
  if (*prefix) {
    ws_xml_escape_str(out, prefix, WS_XML_ONE_LINE);
    if (reason && role != WS_GATE_UNEXPECTED_PASS)
      fputs(": ", out);
  }
  if (role != WS_GATE_UNEXPECTED_PASS)
    ws_xml_escape_str(out,
                      reason    ? reason
                      : *prefix ? ""
                                : now,
                      WS_XML_ONE_LINE);
  fputc('"', out);
}

/* <failure>, <error> or <skipped> with the details as text: GitLab shows
 * the text, Jenkins the message. */
static void outcome_element(FILE *out, enum element el, const ws_case_result *c,
                            enum ws_gate_role role, int was, const ws_gate *g) {
  static const char *const names[EL_COUNT] = {
      [EL_FAILURE] = "failure", [EL_ERROR] = "error", [EL_SKIPPED] = "skipped"};
  fprintf(out, "      <%s", names[el]);
  message_attr(out, c, role, was, g);
  if (el != EL_SKIPPED) {
    const char *type = role == WS_GATE_UNEXPECTED_PASS     ? "unexpected-pass"
                       : c->reason_code && *c->reason_code ? c->reason_code
                                                           : names[el];
    attr(out, "type", type, WS_XML_ONE_LINE);
  }
  fputc('>', out);
  details(out, c);
  if (role != WS_GATE_OK && g->baseline) {
    const ws_baseline_entry *e =
        ws_baseline_find(g->baseline, c->id ? c->id : "");
    fprintf(out, "baseline: %s",
            was < 0 ? "not listed" : ws_verdict_name((enum ws_verdict)was));
    if (e && e->reason && *e->reason) {
      fputs(" (", out);
      ws_xml_escape_str(out, e->reason, WS_XML_ONE_LINE);
      fputc(')', out);
    }
    fputc('\n', out);
  }
  fprintf(out, "</%s>\n", names[el]);
}

static void system_out(FILE *out, const ws_case_result *c) {
  fputs("      <system-out>", out);
  details(out, c);
  fputs("</system-out>\n", out);
}

static void testcase(FILE *out, const ws_case_result *c, const ws_gate *g) {
  enum ws_gate_role role;
  int was;
  enum element el = element_of(g, c, &role, &was);
  fputs("    <testcase name=\"", out);
  ws_xml_escape_str(out, c->id ? c->id : "", WS_XML_ONE_LINE);
  if (c->title && *c->title) {
    fputc(' ', out);
    ws_xml_escape_str(out, c->title, WS_XML_ONE_LINE);
  }
  fputs("\" classname=\"wsprobe.", out);
  ws_xml_escape_str(out, area_of(c), WS_XML_ONE_LINE);
  fprintf(out, "\" time=\"%.3f\"", seconds(c->duration_ms));
  if (el == EL_NONE && verdict_of(c) == WS_VERDICT_PASS) {
    fputs("/>\n", out);
    return;
  }
  fputs(">\n", out);
  if (el == EL_NONE)
    system_out(out, c); /* non-strict, informational: visible all the same */
  else if (el == EL_SKIPPED && role == WS_GATE_OK) {
    /* unimplemented: an optional feature not offered */
    fputs("      <skipped", out);
    attr(out, "message", c->reason && *c->reason ? c->reason : "unimplemented",
         WS_XML_ONE_LINE);
    fputs("/>\n", out);
    system_out(out, c);
  } else
    outcome_element(out, el, c, role, was, g);
  fputs("    </testcase>\n", out);
}

static void testsuite(FILE *out, const ws_run_results *r, const ws_gate *g,
                      const struct area *a) {
  fputs("  <testsuite", out);
  attr(out, "name", *a->name ? a->name : "(no area)", WS_XML_ONE_LINE);
  counts_attrs(out, a->total, a->counts, a->ms);
  timestamp_attr(out, r->started_at);
  fputs(">\n", out);
  properties(out, r, g);
  for (size_t i = 0; i < r->case_count; i++)
    if (strcmp(area_of(&r->cases[i]), a->name) == 0)
      testcase(out, &r->cases[i], g);
  fputs("  </testsuite>\n", out);
}

struct doc {
  const ws_run_results *r;
  const ws_gate *g;
};

static int write_document(FILE *out, const void *ctx) {
  const struct doc *d = ctx;
  const ws_run_results *r = d->r;
  struct areas a;
  if (collect_areas(r, d->g, &a) != 0)
    return -1;
  size_t total = 0, counts[EL_COUNT] = {0};
  for (size_t i = 0; i < a.n; i++) {
    total += a.v[i].total;
    for (int e = 0; e < EL_COUNT; e++)
      counts[e] += a.v[i].counts[e];
  }
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!-- wsprobe: failures and errors are what makes the exit status"
        " non-zero under the run's fail_on and baseline (see properties);"
        " skipped = expected by the baseline, or unimplemented; other"
        " verdicts pass and say so in system-out. results.json is the"
        " source of truth. -->\n",
        out);
  fputs("<testsuites name=\"wsprobe\"", out);
  counts_attrs(out, total, counts, r->duration_ms);
  fputs(">\n", out);
  for (size_t i = 0; i < a.n; i++)
    testsuite(out, r, d->g, &a.v[i]);
  fputs("</testsuites>\n", out);
  free(a.v);
  return ferror(out) ? -1 : 0;
}

int ws_report_write_junit_gated(const ws_run_results *r, const ws_gate *g,
                                const char *path, char *err, size_t cap) {
  struct doc d = {r, g};
  return ws_write_atomically(path, write_document, &d, err, cap);
}

int ws_report_write_junit(const ws_run_results *r, const char *path, char *err,
                          size_t cap) {
  ws_gate g = ws_gate_default();
  return ws_report_write_junit_gated(r, &g, path, err, cap);
}
