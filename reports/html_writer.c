/* index.html: one run, one self-contained page. The summary and every case's
 * facts are static HTML, cases needing attention first (html_sections.c);
 * report.js adds the filters, the #case-ID anchors and the wire logs (see
 * html_case.c). */
#include "reports/atomic_file.h"
#include "reports/ci_gate.h"
#include "reports/html_internal.h"
#include "reports/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *or_empty(const char *s) { return s ? s : ""; }

static void count_cases(const ws_run_results *r,
                        size_t counts[WS_VERDICT_COUNT]) {
  memset(counts, 0, WS_VERDICT_COUNT * sizeof counts[0]);
  for (size_t i = 0; i < r->case_count; i++)
    counts[ws_html_verdict(&r->cases[i])]++;
}

bool ws_html_agent_is_target(const ws_run_results *r) {
  return !r->agent || !*r->agent ||
         (r->target && strcmp(r->agent, r->target) == 0);
}

static void run_fact(FILE *out, const char *name, const char *value) {
  fprintf(out, "<div><dt>%s</dt><dd>", name);
  ws_html_text(out, value);
  fputs("</dd></div>\n", out);
}

static void header(FILE *out, const ws_run_results *r) {
  fputs("<header class=\"top\">\n<h1><span class=\"brand\">wsprobe</span> "
        "conformance report</h1>\n<p class=\"who\">",
        out);
  /* The agent as given by --agent, then where it ran. */
  if (!ws_html_agent_is_target(r)) {
    fputs("<span class=\"agent\">", out);
    ws_html_text(out, r->agent);
    fputs("</span> ", out);
  }
  fputs("<span class=\"url\">", out);
  ws_html_text(out, r->target);
  fputs("</span></p>\n", out);
  if (r->interrupted)
    fprintf(out,
            "<p class=\"banner\">Interrupted: %zu of %zu selected cases "
            "finished.</p>\n",
            r->case_count,
            r->selected > r->case_count ? r->selected : r->case_count);
  fputs("<dl class=\"run\">\n", out);
  run_fact(out, "Started", r->started_at);
  fputs("<div><dt>Duration</dt><dd>", out);
  ws_html_duration(out, r->duration_ms);
  fprintf(out, "</dd></div>\n<div><dt>Seed</dt><dd>%" PRIu64 "</dd></div>\n",
          r->seed);
  if (r->tls)
    run_fact(out, "TLS", r->tls);
  run_fact(out, "wsprobe", r->tool_version);
  fputs("</dl>\n", out);
}

/* Counts per verdict; each one a button that shows only that verdict, the
 * total one shows all, the "not pass" one all but the passes. */
static void summary(FILE *out, const ws_run_results *r) {
  size_t counts[WS_VERDICT_COUNT];
  count_cases(r, counts);
  fprintf(out,
          "<div class=\"summary\" role=\"group\" aria-label=\"Verdicts\">\n"
          "<button type=\"button\" class=\"chip total\" data-only=\"\">"
          "<span class=\"n\">%zu</span> cases</button>\n",
          r->case_count);
  size_t not_pass = r->case_count - counts[WS_VERDICT_PASS];
  if (not_pass)
    fprintf(out,
            "<button type=\"button\" class=\"chip notpass\" "
            "data-not=\"pass\" title=\"Show every case that did not "
            "pass\"><span class=\"n\">%zu</span> not pass</button>\n",
            not_pass);
  for (size_t i = 0; i < WS_VERDICT_COUNT; i++) {
    const char *v = ws_verdict_name(ws_html_verdict_order[i]);
    fprintf(out,
            "<button type=\"button\" class=\"chip v-%s%s\" data-only=\"%s\" "
            "title=\"Show only %s\"><span class=\"n\">%zu</span> %s</button>\n",
            v, counts[ws_html_verdict_order[i]] ? "" : " zero", v, v,
            counts[ws_html_verdict_order[i]], v);
  }
  fputs("</div>\n</header>\n", out);
}

static void option_list(FILE *out, const ws_run_results *r, size_t field) {
  for (size_t i = 0; i < r->case_count; i++) {
    if (!ws_html_first_of(r, i, field))
      continue;
    const char *v = *(char *const *)((const char *)&r->cases[i] + field);
    fputs("<option value=\"", out);
    ws_html_text(out, or_empty(v));
    fputs("\">", out);
    ws_html_text(out, v && *v ? v : "(none)");
    fputs("</option>", out);
  }
}

/* The page opens on "not pass" when any case did not pass: the passes,
 * usually most of a run, would only stand between the reader and what to
 * fix. The boxes' initial state is in the markup (report.js's Reset returns
 * to it); every case stays one click away. */
static void filters(FILE *out, const ws_run_results *r) {
  size_t counts[WS_VERDICT_COUNT];
  count_cases(r, counts);
  bool hide_pass = counts[WS_VERDICT_PASS] < r->case_count;
  fputs("<nav class=\"filters\" aria-label=\"Filters\">\n"
        "<fieldset class=\"verdicts\"><legend>Verdict</legend>",
        out);
  for (size_t i = 0; i < WS_VERDICT_COUNT; i++) {
    enum ws_verdict v = ws_html_verdict_order[i];
    const char *name = ws_verdict_name(v);
    fprintf(out,
            "<label class=\"v-%s\"><input type=\"checkbox\" name=\"verdict\" "
            "value=\"%s\"%s> %s</label>",
            name, name, v == WS_VERDICT_PASS && hide_pass ? "" : " checked",
            name);
  }
  fputs("</fieldset>\n<label class=\"sel\">Area <select id=\"f-area\">"
        "<option value=\"\">all</option>",
        out);
  option_list(out, r, offsetof(ws_case_result, area));
  fputs("</select></label>\n<label class=\"sel\">Level <select id=\"f-level\">"
        "<option value=\"\">all</option>",
        out);
  option_list(out, r, offsetof(ws_case_result, level));
  fputs("</select></label>\n<label class=\"search\">Search <input "
        "type=\"search\" id=\"f-search\" placeholder=\"id, title or reason\" "
        "autocomplete=\"off\"></label>\n<div class=\"actions\"><button "
        "type=\"button\" id=\"expand\">Expand shown</button><button "
        "type=\"button\" id=\"collapse\">Collapse all</button><button "
        "type=\"button\" id=\"reset\">Reset</button></div>\n<p "
        "id=\"shown\" class=\"shown\" aria-live=\"polite\"></p>\n</nav>\n",
        out);
}

typedef struct html_doc {
  const ws_run_results *r;
  const ws_gate *g; /* NULL: no CI view */
} html_doc;

static int write_document(FILE *out, const void *ctx) {
  const html_doc *doc = ctx;
  const ws_run_results *r = doc->r;
  const char *who = r->agent ? r->agent : r->target;
  char title[256];
  snprintf(title, sizeof title, "wsprobe report: %s", or_empty(who));
  if (ws_html_page_begin(out, title, "report.js") != 0) {
    errno = ENOENT; /* an asset missing from the build */
    return -1;
  }
  header(out, r);
  summary(out, r);
  ws_html_gate_section(out, r, doc->g);
  filters(out, r);
  fputs("<main id=\"cases\">\n", out);
  if (r->case_count == 0)
    fputs("<p class=\"empty\">No cases in this run.</p>\n", out);
  if (ws_html_sections(out, r, doc->g) != 0) {
    errno = ENOMEM;
    return -1;
  }
  fputs("<p id=\"nomatch\" class=\"empty\" hidden>No case matches the "
        "filters.</p>\n</main>\n<footer>Written by wsprobe ",
        out);
  ws_html_text(out, r->tool_version);
  fputs(". <code>results.json</code> next to this file is the source of "
        "truth: it holds every byte of every wire log.</footer>\n",
        out);
  return ws_html_page_end(out, "report.js");
}

int ws_report_write_html(const ws_run_results *r, const char *path, char *err,
                         size_t cap) {
  html_doc doc = {r, NULL};
  return ws_write_atomically(path, write_document, &doc, err, cap);
}

int ws_report_write_html_gated(const ws_run_results *r, const ws_gate *g,
                               const char *path, char *err, size_t cap) {
  html_doc doc = {r, g};
  return ws_write_atomically(path, write_document, &doc, err, cap);
}
