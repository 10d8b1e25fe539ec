/* The parts of summary.md that say why the exit status is what it is
 * (markdown_internal.h). Every case that sets the status is listed, in the
 * role ci_gate.h gives it: a reader of the job summary sees the same cases
 * as the JUnit view and the terminal, and a case the baseline expects is
 * shown as expected, never as a failure. */
#include "reports/markdown_internal.h"

#include <string.h>

#define ROLE(x) WS_GATE_ROLE_BIT(x)
/* Unknown ids named in the warning before "and N more". */
#define MAX_UNKNOWN_LISTED 20

static const char *plural(size_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

static void row(FILE *out, const ws_case_result *c, int was, bool baseline,
                bool reason) {
  fputs("| ", out);
  ws_md_text(out, c->id ? c->id : "", WS_MARKDOWN_MAX_CELL);
  fprintf(out, " | %s |",
          ws_verdict_name((unsigned)c->verdict < WS_VERDICT_COUNT
                              ? c->verdict
                              : WS_VERDICT_ERROR));
  if (baseline)
    fprintf(out, " %s |",
            was < 0 ? "(not listed)" : ws_verdict_name((enum ws_verdict)was));
  fputc(' ', out);
  ws_md_text(out, c->title ? c->title : "", WS_MARKDOWN_MAX_CELL);
  fputs(" |", out);
  if (reason) {
    fputc(' ', out);
    ws_md_text(out, c->reason ? c->reason : "", WS_MARKDOWN_MAX_CELL);
    fputs(" |", out);
  }
  fputc('\n', out);
}

/* The cases in one of `roles`, in results order, at most
 * WS_MARKDOWN_MAX_FAILED rows. */
static void table(FILE *out, const ws_run_results *r, const ws_gate *g,
                  unsigned roles, bool baseline, bool reason) {
  size_t total = ws_gate_count_roles(g, r, roles), listed = 0;
  fprintf(out, "| id | verdict |%s title |%s\n|---|---|%s---|%s\n",
          baseline ? " baseline |" : "", reason ? " reason |" : "",
          baseline ? "---|" : "", reason ? "---|" : "");
  for (size_t i = 0; i < r->case_count && listed < WS_MARKDOWN_MAX_FAILED;
       i++) {
    int was;
    if (!(roles & ROLE(ws_gate_role_of(g, &r->cases[i], &was))))
      continue;
    row(out, &r->cases[i], was, baseline, reason);
    listed++;
  }
  if (total > listed)
    fprintf(out, "\n_... and %zu more (see results.json)_\n", total - listed);
  fputc('\n', out);
}

void ws_md_gate_header(FILE *out, const ws_run_results *r, const ws_gate *g) {
  char why[512];
  int status = ws_gate_explain(g, r, why, sizeof why);
  fprintf(out, "**Exit status %d:** ", status);
  ws_md_text(out, why, 0);
  fputs(".\n\n", out);
  const ws_baseline *b = g->baseline;
  if (!b || !b->unknown_count)
    return;
  fprintf(out,
          "**Warning:** the baseline lists %zu %s that no case has (a typo, "
          "or a case no longer in the catalogue); %s ignored: ",
          b->unknown_count, plural(b->unknown_count, "id", "ids"),
          plural(b->unknown_count, "it is", "they are"));
  size_t listed = 0;
  for (size_t i = 0; i < b->count && listed < MAX_UNKNOWN_LISTED; i++) {
    if (!b->entries[i].unknown)
      continue;
    fputs(listed++ ? ", " : "", out);
    ws_md_text(out, b->entries[i].id, WS_MARKDOWN_MAX_CELL);
  }
  if (b->unknown_count > listed)
    fprintf(out, " and %zu more", b->unknown_count - listed);
  fputs(".\n\n", out);
}

static void failed_section(FILE *out, const ws_run_results *r,
                           const ws_gate *g) {
  unsigned roles = ROLE(WS_GATE_FAILING) | ROLE(WS_GATE_NOT_RUN);
  if (ws_gate_count_roles(g, r, roles) == 0)
    return;
  fputs("## Failed cases\n\n", out);
  if (g->fail_on != WS_VERDICT_BIT(WS_VERDICT_FAIL)) {
    char names[128];
    ws_gate_set_names(g->fail_on, names, sizeof names);
    fputs("Cases with a `--fail-on` verdict (", out);
    ws_md_text(out, names, 0);
    fputs("), and cases that could not be run:\n\n", out);
  }
  table(out, r, g, roles, false, true);
}

static void baseline_section(FILE *out, const ws_run_results *r,
                             const ws_gate *g) {
  ws_gate_tally t = ws_gate_count(g, r);
  char names[128];
  ws_gate_set_names(g->fail_on, names, sizeof names);
  fputs("## Baseline\n\nCompared with ", out);
  ws_md_text(out, g->baseline->path, WS_MARKDOWN_MAX_CELL);
  fputs(" under `--fail-on ", out);
  ws_md_text(out, names, 0);
  char tally[160];
  ws_gate_tally_text(t.failing, t.unexpected, t.expected, tally, sizeof tally);
  fprintf(out, "`: %s.\n\n", tally);
  if (t.failing) {
    fputs("### Regressions\n\nA `--fail-on` verdict the baseline does not "
          "list for the case:\n\n",
          out);
    table(out, r, g, ROLE(WS_GATE_FAILING), true, true);
  }
  if (t.unexpected) {
    fputs("### Unexpected passes\n\nThese cases no longer have the "
          "`--fail-on` verdict the baseline lists: update the baseline.\n\n",
          out);
    table(out, r, g, ROLE(WS_GATE_UNEXPECTED_PASS), true, false);
  }
  if (t.expected) {
    /* Folded: known failures are context, not news. */
    fprintf(out,
            "### Expected by the baseline\n\n<details><summary>%zu %s with "
            "the verdict the baseline lists (not failures)</summary>\n\n",
            t.expected, plural(t.expected, "case", "cases"));
    table(out, r, g, ROLE(WS_GATE_EXPECTED), false, true);
    fputs("</details>\n\n", out);
  }
  if (t.not_run) {
    fputs("## Cases not run\n\nThe harness could not run these (error is "
          "not in `--fail-on`), so the run is incomplete:\n\n",
          out);
    table(out, r, g, ROLE(WS_GATE_NOT_RUN), false, true);
  }
}

void ws_md_gate_sections(FILE *out, const ws_run_results *r, const ws_gate *g) {
  if (g->baseline)
    baseline_section(out, r, g);
  else
    failed_section(out, r, g);
}
