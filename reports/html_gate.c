/* The CI view of a run in index.html (html_internal.h): what `wsprobe test`
 * decided under --fail-on and --baseline (ci_gate.h), so a person opening
 * the report sees the job's status and, with a baseline, which failures are
 * news and which were known, as the terminal, summary.md and junit.xml
 * already say. Every case named is a link to it on the page. */
#include "reports/ci_gate.h"
#include "reports/html_internal.h"

#define ROLE(x) WS_GATE_ROLE_BIT(x)
/* Links listed per kind before "and N more": a run of a broken server can
 * have hundreds, and the case list below holds them all anyway. */
#define MAX_LINKS 200

static const char *plural(size_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

const char *ws_html_gate_tag(const ws_gate *g, const ws_case_result *c) {
  if (!g)
    return NULL;
  switch (ws_gate_role_of(g, c, NULL)) {
  case WS_GATE_FAILING:
    if (g->baseline)
      return "regression";
    /* A fail says so itself; another verdict in --fail-on needs saying. */
    return c->verdict == WS_VERDICT_FAIL ? NULL : "fails the job (--fail-on)";
  case WS_GATE_UNEXPECTED_PASS:
    return "unexpected pass";
  case WS_GATE_EXPECTED:
    return "expected by baseline";
  default:
    return NULL;
  }
}

/* The cases in one of `roles` as links, with the baseline's verdict for
 * each when `with_baseline`. */
static void links(FILE *out, const ws_run_results *r, const ws_gate *g,
                  unsigned roles, bool with_baseline) {
  size_t listed = 0, total = 0;
  for (size_t i = 0; i < r->case_count; i++) {
    int was;
    const ws_case_result *c = &r->cases[i];
    if (!(roles & ROLE(ws_gate_role_of(g, c, &was))))
      continue;
    if (total++ >= MAX_LINKS)
      continue;
    fputs(listed++ ? ", " : "", out);
    fputs("<a href=\"", out);
    ws_html_href_fragment(out, c->id);
    fputs("\">", out);
    ws_html_text(out, c->id);
    fprintf(out, "</a> <span class=\"muted\">(%s",
            ws_verdict_name(ws_html_verdict(c)));
    if (with_baseline)
      fprintf(out, "; baseline: %s",
              was < 0 ? "not listed" : ws_verdict_name((enum ws_verdict)was));
    fputs(")</span>", out);
  }
  if (total > listed)
    fprintf(out, " and %zu more", total - listed);
}

static void unknown_ids(FILE *out, const ws_baseline *b) {
  if (!b->unknown_count)
    return;
  fprintf(out,
          "<p class=\"gwarn\">Warning: the baseline lists %zu %s that no "
          "case has (a typo, or a case no longer in the catalogue), "
          "ignored: ",
          b->unknown_count, plural(b->unknown_count, "id", "ids"));
  size_t listed = 0;
  for (size_t i = 0; i < b->count && listed < MAX_LINKS; i++) {
    if (!b->entries[i].unknown)
      continue;
    fputs(listed++ ? ", " : "", out);
    ws_html_text(out, b->entries[i].id);
  }
  if (b->unknown_count > listed)
    fprintf(out, " and %zu more", b->unknown_count - listed);
  fputs("</p>\n", out);
}

static void baseline_lists(FILE *out, const ws_run_results *r,
                           const ws_gate *g) {
  ws_gate_tally t = ws_gate_count(g, r);
  char names[128];
  ws_gate_set_names(g->fail_on, names, sizeof names);
  fputs("<p>Compared with the baseline <code>", out);
  ws_html_text(out, g->baseline->path);
  fputs("</code> under <code>--fail-on ", out);
  ws_html_text(out, names);
  char tally[160];
  ws_gate_tally_text(t.failing, t.unexpected, t.expected, tally, sizeof tally);
  fprintf(out, "</code>: %s.</p>\n<dl>\n", tally);
  if (t.failing) {
    fputs("<dt>Regressions: a --fail-on verdict the baseline does not list"
          "</dt><dd>",
          out);
    links(out, r, g, ROLE(WS_GATE_FAILING), true);
    fputs("</dd>\n", out);
  }
  if (t.unexpected) {
    fputs("<dt>Unexpected passes: update the baseline</dt><dd>", out);
    links(out, r, g, ROLE(WS_GATE_UNEXPECTED_PASS), true);
    fputs("</dd>\n", out);
  }
  if (t.expected) {
    fputs("<dt>Expected by the baseline (not failures)</dt><dd>", out);
    links(out, r, g, ROLE(WS_GATE_EXPECTED), false);
    fputs("</dd>\n", out);
  }
  if (t.not_run) {
    fputs("<dt>Not run (the run is incomplete)</dt><dd>", out);
    links(out, r, g, ROLE(WS_GATE_NOT_RUN), false);
    fputs("</dd>\n", out);
  }
  fputs("</dl>\n", out);
}

void ws_html_gate_section(FILE *out, const ws_run_results *r,
                          const ws_gate *g) {
  if (!g)
    return;
  char why[512];
  int status = ws_gate_explain(g, r, why, sizeof why);
  fprintf(out,
          "<section class=\"gate s%d\" id=\"gate\" aria-label=\"CI "
          "status\">\n<p class=\"gstatus\"><b>Exit status %d:</b> ",
          status, status);
  ws_html_text(out, why);
  fputs(".</p>\n", out);
  if (g->baseline) {
    unknown_ids(out, g->baseline);
    baseline_lists(out, r, g);
  } else if (ws_gate_count_roles(g, r, ROLE(WS_GATE_FAILING))) {
    fputs("<p>Set by: ", out);
    links(out, r, g, ROLE(WS_GATE_FAILING), false);
    fputs("</p>\n", out);
  }
  fputs("</section>\n", out);
}
