/* junit.xml: the run as JUnit XML, the format CI servers (Jenkins, GitLab,
 * GitHub test reporters, Surefire-style consumers) understand. The structure
 * follows the widely used JUnit schema (tests/junit.xsd checks it):
 *
 * <testsuites name="wsprobe" tests= failures= errors= skipped= time=>
 *   <testsuite name=AREA tests= failures= errors= skipped= time= timestamp=>
 *     <properties> target, agent, seed, ... </properties>
 *     <testcase name="ID TITLE" classname="wsprobe.AREA" time=SECONDS>
 *       <failure message=REASON type=REASON_CODE>details</failure>
 *       <system-out>details</system-out>
 *     </testcase>
 *   </testsuite>
 * </testsuites>
 *
 * COUNTS, the same numbers as results.json (its "summary" for <testsuites>,
 * its "areas" entry for each <testsuite>):
 *   tests    = total
 *   failures = fail           (<failure>)
 *   errors   = error          (<error>: the harness could not run the case)
 *   skipped  = unimplemented  (<skipped>: an optional feature not offered)
 * pass, non-strict and informational are passes for a JUnit consumer (no
 * child element); non-strict and informational cases carry their verdict and
 * reason in <system-out>, so they stay visible.
 *
 * Everything the peer controls is escaped (xml_escape.h): no CDATA, so "]]>"
 * in a close reason is just text. */
#include "reports/atomic_file.h"
#include "reports/report.h"
#include "reports/xml_escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct area {
  const char *name;
  size_t counts[WS_VERDICT_COUNT];
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

/* A duration read back from a file may be anything: keep the attribute a
 * plain non-negative decimal. */
static double seconds(double ms) {
  return ms >= 0 && ms < 1e15 ? ms / 1000.0 : 0.0;
}

/* Areas in order of first appearance, with their counts. */
static int collect_areas(const ws_run_results *r, struct areas *a) {
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
    a->v[k].counts[verdict_of(c)]++;
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

static void counts_attrs(FILE *out, size_t total,
                         const size_t counts[WS_VERDICT_COUNT], double ms) {
  fprintf(out,
          " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\""
          " time=\"%.3f\"",
          total, counts[WS_VERDICT_FAIL], counts[WS_VERDICT_ERROR],
          counts[WS_VERDICT_UNIMPLEMENTED], seconds(ms));
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

static void properties(FILE *out, const ws_run_results *r) {
  char seed[24], selected[24];
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

static void outcome_element(FILE *out, const char *element,
                            const ws_case_result *c) {
  const char *message =
      c->reason && *c->reason ? c->reason : ws_verdict_name(verdict_of(c));
  const char *type =
      c->reason_code && *c->reason_code ? c->reason_code : element;
  fprintf(out, "      <%s", element);
  attr(out, "message", message, WS_XML_ONE_LINE);
  attr(out, "type", type, WS_XML_ONE_LINE);
  fputc('>', out);
  details(out, c);
  fprintf(out, "</%s>\n", element);
}

static void system_out(FILE *out, const ws_case_result *c) {
  fputs("      <system-out>", out);
  details(out, c);
  fputs("</system-out>\n", out);
}

static void testcase(FILE *out, const ws_case_result *c) {
  enum ws_verdict v = verdict_of(c);
  fputs("    <testcase name=\"", out);
  ws_xml_escape_str(out, c->id ? c->id : "", WS_XML_ONE_LINE);
  if (c->title && *c->title) {
    fputc(' ', out);
    ws_xml_escape_str(out, c->title, WS_XML_ONE_LINE);
  }
  fputs("\" classname=\"wsprobe.", out);
  ws_xml_escape_str(out, area_of(c), WS_XML_ONE_LINE);
  fprintf(out, "\" time=\"%.3f\"", seconds(c->duration_ms));
  if (v == WS_VERDICT_PASS) {
    fputs("/>\n", out);
    return;
  }
  fputs(">\n", out);
  if (v == WS_VERDICT_FAIL)
    outcome_element(out, "failure", c);
  else if (v == WS_VERDICT_ERROR)
    outcome_element(out, "error", c);
  else {
    if (v == WS_VERDICT_UNIMPLEMENTED) {
      fputs("      <skipped", out);
      attr(out, "message",
           c->reason && *c->reason ? c->reason : "unimplemented",
           WS_XML_ONE_LINE);
      fputs("/>\n", out);
    }
    system_out(out, c); /* non-strict, informational: visible all the same */
  }
  fputs("    </testcase>\n", out);
}

static void testsuite(FILE *out, const ws_run_results *r,
                      const struct area *a) {
  fputs("  <testsuite", out);
  attr(out, "name", *a->name ? a->name : "(no area)", WS_XML_ONE_LINE);
  counts_attrs(out, a->total, a->counts, a->ms);
  timestamp_attr(out, r->started_at);
  fputs(">\n", out);
  properties(out, r);
  for (size_t i = 0; i < r->case_count; i++)
    if (strcmp(area_of(&r->cases[i]), a->name) == 0)
      testcase(out, &r->cases[i]);
  fputs("  </testsuite>\n", out);
}

static int write_document(FILE *out, const void *ctx) {
  const ws_run_results *r = ctx;
  struct areas a;
  if (collect_areas(r, &a) != 0)
    return -1;
  size_t total = 0;
  for (int v = 0; v < WS_VERDICT_COUNT; v++)
    total += r->counts[v];
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<!-- wsprobe: tests = total, failures = fail, errors = error,"
        " skipped = unimplemented; pass, non-strict and informational pass"
        " (see system-out). results.json is the source of truth. -->\n",
        out);
  fputs("<testsuites name=\"wsprobe\"", out);
  counts_attrs(out, total, r->counts, r->duration_ms);
  fputs(">\n", out);
  for (size_t i = 0; i < a.n; i++)
    testsuite(out, r, &a.v[i]);
  fputs("</testsuites>\n", out);
  free(a.v);
  return ferror(out) ? -1 : 0;
}

int ws_report_write_junit(const ws_run_results *r, const char *path, char *err,
                          size_t cap) {
  return ws_write_atomically(path, write_document, r, err, cap);
}
