/* summary.md: a short GitHub-flavoured Markdown summary of a run, for a pull
 * request comment or $GITHUB_STEP_SUMMARY. Layout:
 *
 *   # wsprobe: TARGET: N cases, F fail, E error
 *   (a line for an interrupted run)
 *   | verdict | cases |           one row per verdict
 *   ## Areas
 *   | area | total | pass | non-strict | ... |
 *   ## Failed cases
 *   | id | verdict | title | reason |   fail and error, at most
 *                                      WS_MARKDOWN_MAX_FAILED rows, then
 *   _... and N more (see results.json)_
 *
 * Text the peer controls (close reasons end up in reasons and observed
 * outcomes; agent names; titles of custom cases) is escaped so it can neither
 * break a table row nor inject markup: newlines become spaces, Markdown
 * punctuation gets a backslash, < > & become entities, and bytes that are
 * not printable UTF-8 become a visible \xNN. */
#include "reports/atomic_file.h"
#include "reports/report.h"
#include "reports/utf8_text.h"
#include "reports/xml_escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cases named in the "target stopped answering" line. */
#define MAX_LISTED_LOST 10
#define WS_MARKDOWN_MAX_FAILED 50
/* A table cell longer than this is cut (at a character boundary): a PR
 * comment has a size limit and a reason is meant to be one line. */
#define MAX_CELL_BYTES 200

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

static void escape_byte(FILE *out, unsigned char c) {
  if (c == '\n' || c == '\r' || c == '\t')
    fputc(' ', out); /* a newline would end the table row */
  else if (c < 0x20 || c == 0x7F)
    fprintf(out, "\\x%02X", c);
  else if (c == '<')
    fputs("&lt;", out);
  else if (c == '>')
    fputs("&gt;", out);
  else if (c == '&')
    fputs("&amp;", out);
  else if (strchr("\\|`*_[]~", c))
    fprintf(out, "\\%c", c); /* the rest only matters next to these */
  else
    fputc(c, out);
}

/* Writes at most max bytes of s (0: no limit), escaped; "..." marks a cut. */
static void md_text(FILE *out, const char *s, size_t max) {
  if (!s)
    return;
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s), i = 0;
  while (i < len) {
    size_t n = ws_text_utf8_len(p + i, len - i);
    if (max && i + (n ? n : 1) > max) {
      fputs("...", out);
      return;
    }
    if (n == 0)
      fprintf(out, "\\x%02X", p[i]); /* not UTF-8 */
    else if (n == 1)
      escape_byte(out, p[i]);
    else
      fwrite(p + i, 1, n, out);
    i += n ? n : 1;
  }
}

static void title_line(FILE *out, const ws_run_results *r) {
  size_t total = 0;
  for (int v = 0; v < WS_VERDICT_COUNT; v++)
    total += r->counts[v];
  fputs("# wsprobe: ", out);
  md_text(out, r->target && *r->target ? r->target : "(no target)",
          MAX_CELL_BYTES);
  fprintf(out, ": %zu cases, %zu pass, %zu fail, %zu error\n\n", total,
          r->counts[WS_VERDICT_PASS], r->counts[WS_VERDICT_FAIL],
          r->counts[WS_VERDICT_ERROR]);
  if (r->interrupted)
    fprintf(out,
            "**Interrupted:** %zu of %zu selected cases finished; the "
            "counts cover those.\n\n",
            r->case_count,
            r->selected > r->case_count ? r->selected : r->case_count);
  if (r->agent && r->target && strcmp(r->agent, r->target) != 0) {
    fputs("Agent: ", out);
    md_text(out, r->agent, MAX_CELL_BYTES);
    fputs("  \n", out);
  }
  fprintf(out, "Seed: %llu, wsprobe ", (unsigned long long)r->seed);
  md_text(out, r->tool_version ? r->tool_version : "?", 40);
  if (r->started_at && *r->started_at) {
    fputs(", started ", out);
    md_text(out, r->started_at, 40);
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
    md_text(out, c->id ? c->id : "?", MAX_CELL_BYTES);
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
    md_text(out, *area ? area : "(no area)", MAX_CELL_BYTES);
    fprintf(out, " | %zu |", total);
    for (size_t k = 0; k < COLUMNS; k++)
      fprintf(out, " %zu |", counts[column_order[k]]);
    fputc('\n', out);
  }
  fputc('\n', out);
}

static void failed_row(FILE *out, const ws_case_result *c) {
  fputs("| ", out);
  md_text(out, c->id ? c->id : "", MAX_CELL_BYTES);
  fprintf(out, " | %s | ", ws_verdict_name(verdict_of(c)));
  md_text(out, c->title ? c->title : "", MAX_CELL_BYTES);
  fputs(" | ", out);
  md_text(out, c->reason ? c->reason : "", MAX_CELL_BYTES);
  fputs(" |\n", out);
}

static void failed_table(FILE *out, const ws_run_results *r) {
  size_t bad = 0, listed = 0;
  for (size_t i = 0; i < r->case_count; i++) {
    enum ws_verdict v = verdict_of(&r->cases[i]);
    bad += v == WS_VERDICT_FAIL || v == WS_VERDICT_ERROR;
  }
  if (bad == 0)
    return;
  fputs("## Failed cases\n\n| id | verdict | title | reason |\n"
        "|---|---|---|---|\n",
        out);
  for (size_t i = 0; i < r->case_count && listed < WS_MARKDOWN_MAX_FAILED;
       i++) {
    enum ws_verdict v = verdict_of(&r->cases[i]);
    if (v != WS_VERDICT_FAIL && v != WS_VERDICT_ERROR)
      continue;
    failed_row(out, &r->cases[i]);
    listed++;
  }
  if (bad > listed)
    fprintf(out, "\n_... and %zu more (see results.json)_\n", bad - listed);
  fputc('\n', out);
}

static int write_document(FILE *out, const void *ctx) {
  const ws_run_results *r = ctx;
  title_line(out, r);
  target_lost_line(out, r);
  verdict_table(out, r);
  area_table(out, r);
  failed_table(out, r);
  return ferror(out) ? -1 : 0;
}

int ws_report_write_markdown(const ws_run_results *r, const char *path,
                             char *err, size_t cap) {
  return ws_write_atomically(path, write_document, r, err, cap);
}
