/* summary.md: a short GitHub-flavoured Markdown summary of a run, for a pull
 * request comment or $GITHUB_STEP_SUMMARY. Layout:
 *
 *   # wsprobe: TARGET: N cases, P pass, F fail, E error
 *       (with a baseline: N cases, R regressions, U unexpected passes,
 *       X expected; the count of each other --fail-on verdict is added)
 *   (a line for an interrupted run)
 *   **Exit status S:** why            `wsprobe test` only (ci_gate.h)
 *   | verdict | cases |               one row per verdict
 *   ## Failed cases                   the --fail-on cases and those not run
 *     or ## Baseline (regressions, unexpected passes, expected cases) and
 *     ## Cases not run                (markdown_gate.c)
 *   ## Areas
 *   | area | total | pass | non-strict | ... |
 *
 * Text the peer controls (close reasons end up in reasons and observed
 * outcomes; agent names; titles of custom cases) goes through ws_md_text,
 * so it can neither break a table row nor inject markup. */
#include "reports/atomic_file.h"
#include "reports/markdown_internal.h"
#include "reports/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cases named in the "target stopped answering" line. */
#define MAX_LISTED_LOST 10

/* Columns of the verdict tables, in the order of results.json's summary. */
static const enum ws_verdict column_order[] = {
    WS_VERDICT_PASS,          WS_VERDICT_NON_STRICT, WS_VERDICT_INFORMATIONAL,
    WS_VERDICT_UNIMPLEMENTED, WS_VERDICT_FAIL,       WS_VERDICT_ERROR,
};
#define COLUMNS (sizeof column_order / sizeof column_order[0])

static enum ws_verdict verdict_of(const ws_case_result *c) {
  return (unsigned)c->verdict < WS_VERDICT_COUNT ? c->verdict
                                                 : WS_VERDICT_ERROR;
}

/* The counts that decide the exit status: with a baseline, its outcome
 * (a failure it expects is not news); without, pass and every --fail-on
 * verdict besides fail and error. */
static void title_counts(FILE *out, const ws_run_results *r, const ws_gate *g,
                         size_t total) {
  fprintf(out, ": %zu cases", total);
  if (g->baseline) {
    ws_gate_tally t = ws_gate_count(g, r);
    char tally[160];
    ws_gate_tally_text(t.failing, t.unexpected, t.expected, tally,
                       sizeof tally);
    fprintf(out, ", %s", tally);
    if (r->counts[WS_VERDICT_ERROR])
      fprintf(out, ", %zu error", r->counts[WS_VERDICT_ERROR]);
    return;
  }
  fprintf(out, ", %zu pass", r->counts[WS_VERDICT_PASS]);
  for (size_t i = 0; i < COLUMNS; i++) {
    enum ws_verdict v = column_order[i];
    if (v != WS_VERDICT_PASS && v != WS_VERDICT_FAIL && v != WS_VERDICT_ERROR &&
        (g->fail_on & WS_VERDICT_BIT(v)))
      fprintf(out, ", %zu %s", r->counts[v], ws_verdict_name(v));
  }
  fprintf(out, ", %zu fail, %zu error", r->counts[WS_VERDICT_FAIL],
          r->counts[WS_VERDICT_ERROR]);
}

static void title_line(FILE *out, const ws_run_results *r, const ws_gate *g) {
  size_t total = 0;
  for (int v = 0; v < WS_VERDICT_COUNT; v++)
    total += r->counts[v];
  fputs("# wsprobe: ", out);
  ws_md_text(out, r->target && *r->target ? r->target : "(no target)",
             WS_MARKDOWN_MAX_CELL);
  title_counts(out, r, g, total);
  fputs("\n\n", out);
  if (r->interrupted)
    fprintf(out,
            "**Interrupted:** %zu of %zu selected cases finished; the "
            "counts cover those.\n\n",
            r->case_count,
            r->selected > r->case_count ? r->selected : r->case_count);
  if (r->agent && r->target && strcmp(r->agent, r->target) != 0) {
    fputs("Agent: ", out);
    ws_md_text(out, r->agent, WS_MARKDOWN_MAX_CELL);
    fputs("  \n", out);
  }
  if (r->tls) {
    fputs("TLS: ", out);
    ws_md_text(out, r->tls, WS_MARKDOWN_MAX_CELL);
    fputs("  \n", out);
  }
  fprintf(out, "Seed: %llu, ", (unsigned long long)r->seed);
  if (strcmp(r->profile, "full") == 0)
    fputs("profile full, ", out);
  fputs("wsprobe ", out);
  ws_md_text(out, r->tool_version ? r->tool_version : "?", 40);
  if (r->started_at && *r->started_at) {
    fputs(", started ", out);
    ws_md_text(out, r->started_at, 40);
  }
  fputs("\n\n", out);
}

/* Said once, near the top: the cases after it are errors, not findings. */
static void target_lost_line(FILE *out, const ws_run_results *r) {
  if (!r->target_lost)
    return;
  fprintf(out,
          "**The target stopped answering** about %.1f s into the run: %zu "
          "case%s could not be run (error, `target-unavailable`)",
          r->target_lost_ms / 1000.0, r->target_lost_cases,
          r->target_lost_cases == 1 ? "" : "s");
  size_t listed = 0;
  for (size_t i = 0; i < r->case_count && listed < MAX_LISTED_LOST; i++) {
    const ws_case_result *c = &r->cases[i];
    if (!c->reason_code || strcmp(c->reason_code, "target-unavailable") != 0)
      continue;
    fputs(listed++ ? ", " : ": ", out);
    ws_md_text(out, c->id ? c->id : "?", WS_MARKDOWN_MAX_CELL);
  }
  if (r->target_lost_cases > listed)
    fprintf(out, " and %zu more", r->target_lost_cases - listed);
  fputs(".\n\n", out);
}

static void verdict_table(FILE *out, const ws_run_results *r) {
  fputs("| verdict | cases |\n|---|---:|\n", out);
  for (size_t i = 0; i < COLUMNS; i++)
    fprintf(out, "| %s | %zu |\n", ws_verdict_name(column_order[i]),
            r->counts[column_order[i]]);
  fputc('\n', out);
  size_t cut;
  uint64_t dropped;
  ws_results_wire_dropped(r, &cut, &dropped);
  if (cut)
    fprintf(out,
            "Wire logs: %zu case%s recorded only part of the exchange; "
            "%llu bytes are not in the logs (`--wire-max`, and the run's "
            "report budget).\n\n",
            cut, cut == 1 ? "" : "s", (unsigned long long)dropped);
}

static const char *area_of(const ws_case_result *c) {
  return c->area ? c->area : "";
}

/* One row per area, in order of first appearance (as results.json). */
static void area_table(FILE *out, const ws_run_results *r) {
  if (r->case_count == 0)
    return;
  fputs("## Areas\n\n| area | total |", out);
  for (size_t i = 0; i < COLUMNS; i++)
    fprintf(out, " %s |", ws_verdict_name(column_order[i]));
  fputs("\n|---|---:|", out);
  for (size_t i = 0; i < COLUMNS; i++)
    fputs("---:|", out);
  fputc('\n', out);
  for (size_t i = 0; i < r->case_count; i++) {
    const char *area = area_of(&r->cases[i]);
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(area_of(&r->cases[j]), area) == 0;
    if (seen)
      continue;
    size_t counts[WS_VERDICT_COUNT] = {0}, total = 0;
    for (size_t j = i; j < r->case_count; j++)
      if (strcmp(area_of(&r->cases[j]), area) == 0) {
        counts[verdict_of(&r->cases[j])]++;
        total++;
      }
    fputs("| ", out);
    ws_md_text(out, *area ? area : "(no area)", WS_MARKDOWN_MAX_CELL);
    fprintf(out, " | %zu |", total);
    for (size_t k = 0; k < COLUMNS; k++)
      fprintf(out, " %zu |", counts[column_order[k]]);
    fputc('\n', out);
  }
  fputc('\n', out);
}

struct doc {
  const ws_run_results *r;
  const ws_gate *g;
  bool live; /* written by the run itself: it knows its exit status */
};

static int write_document(FILE *out, const void *ctx) {
  const struct doc *d = ctx;
  title_line(out, d->r, d->g);
  if (d->live)
    ws_md_gate_header(out, d->r, d->g);
  target_lost_line(out, d->r);
  verdict_table(out, d->r);
  ws_md_gate_sections(out, d->r, d->g);
  area_table(out, d->r);
  return ferror(out) ? -1 : 0;
}

int ws_report_write_markdown_gated(const ws_run_results *r, const ws_gate *g,
                                   const char *path, char *err, size_t cap) {
  struct doc d = {r, g, true};
  return ws_write_atomically(path, write_document, &d, err, cap);
}

int ws_report_write_markdown(const ws_run_results *r, const char *path,
                             char *err, size_t cap) {
  ws_gate g = ws_gate_default();
  struct doc d = {r, &g, false};
  return ws_write_atomically(path, write_document, &d, err, cap);
}
