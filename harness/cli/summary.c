#include "cli/summary.h"

#include <string.h>

void ws_summary_progress(FILE *tty, size_t done, size_t total, size_t fails,
                         size_t errors) {
  /* \r and "erase to end of line" keep it one line however it shrinks. */
  fprintf(tty, "\r[%zu/%zu] %zu fail", done, total, fails);
  if (errors)
    fprintf(tty, ", %zu error", errors);
  fputs("\033[K", tty);
  fflush(tty);
}

void ws_summary_progress_clear(FILE *tty) {
  fputs("\r\033[K", tty);
  fflush(tty);
}

static void print_counts(FILE *out, const ws_run_results *r) {
  static const enum ws_verdict order[] = {
      WS_VERDICT_PASS,          WS_VERDICT_NON_STRICT, WS_VERDICT_INFORMATIONAL,
      WS_VERDICT_UNIMPLEMENTED, WS_VERDICT_FAIL,       WS_VERDICT_ERROR,
  };
  fputs(" ", out);
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    fprintf(out, " %s %zu", ws_verdict_name(order[i]), r->counts[order[i]]);
  fputc('\n', out);
}

/* Width of the id column among listed cases, so reasons line up. */
static int id_width(const ws_run_results *r, size_t max_listed) {
  size_t width = 2, listed = 0;
  for (size_t i = 0; i < r->case_count && listed < max_listed; i++) {
    const ws_case_result *c = &r->cases[i];
    if (c->verdict != WS_VERDICT_FAIL && c->verdict != WS_VERDICT_ERROR)
      continue;
    listed++;
    size_t n = c->id ? strlen(c->id) : 0;
    if (n > width)
      width = n;
  }
  return (int)width;
}

/* One line per failed or errored case, in results order (catalogue order
 * for a finished run, completion order otherwise). */
static void print_failures(FILE *out, const ws_run_results *r,
                           size_t max_listed) {
  size_t bad = r->counts[WS_VERDICT_FAIL] + r->counts[WS_VERDICT_ERROR];
  if (bad == 0)
    return;
  int width = id_width(r, max_listed);
  size_t listed = 0;
  fputc('\n', out);
  for (size_t i = 0; i < r->case_count && listed < max_listed; i++) {
    const ws_case_result *c = &r->cases[i];
    if (c->verdict != WS_VERDICT_FAIL && c->verdict != WS_VERDICT_ERROR)
      continue;
    listed++;
    fprintf(out, "  %-5s %-*s  %.60s%s\n",
            c->verdict == WS_VERDICT_FAIL ? "FAIL" : "ERROR", width,
            c->id ? c->id : "", c->title ? c->title : "",
            c->title && strlen(c->title) > 60 ? "..." : "");
    fprintf(out, "  %-5s %-*s  %s\n", "", width, "",
            c->reason && *c->reason ? c->reason : "(no reason recorded)");
  }
  if (bad > listed)
    fprintf(out, "  ... and %zu more (see results.json)\n", bad - listed);
}

void ws_summary_print(FILE *out, const ws_run_results *r, const char *json_path,
                      size_t max_listed) {
  size_t lines = max_listed / 2 ? max_listed / 2 : 1; /* two per case */
  fprintf(out, "wsprobe %s: %zu case%s against %s (seed %llu)\n",
          r->tool_version ? r->tool_version : "", r->case_count,
          r->case_count == 1 ? "" : "s", r->target ? r->target : "?",
          (unsigned long long)r->seed);
  print_counts(out, r);
  if (r->interrupted)
    fprintf(out, "interrupted: %zu of %zu selected cases finished\n",
            r->case_count, r->selected);
  fprintf(out, "done in %.1f s\n", r->duration_ms / 1000.0);
  if (r->target_lost)
    fprintf(out,
            "the target stopped answering %.1f s into the run: %zu case%s "
            "could not be run (error, target-unavailable)\n",
            r->target_lost_ms / 1000.0, r->target_lost_cases,
            r->target_lost_cases == 1 ? "" : "s");
  size_t cut;
  uint64_t dropped;
  ws_results_wire_dropped(r, &cut, &dropped);
  if (cut)
    fprintf(out,
            "wire logs: %zu case%s cut, %llu bytes not recorded (--wire-max, "
            "the run's report budget)\n",
            cut, cut == 1 ? "" : "s", (unsigned long long)dropped);
  print_failures(out, r, lines);
  if (json_path)
    fprintf(out, "\nresults: %s\n", json_path);
  fprintf(out, "replay: add --seed %llu\n", (unsigned long long)r->seed);
}

void ws_summary_print_reports(FILE *out, const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  fprintf(out, "reports: %.*s/index.html, junit.xml, summary.md\n", (int)n,
          dir);
}

/* Case text from the run may hold a peer's bytes: no control characters
 * reach the terminal. */
static void print_clean(FILE *out, const char *s, size_t max) {
  size_t n = 0;
  for (; s && *s && n < max; s++, n++)
    fputc((unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, out);
  if (s && *s)
    fputs("...", out);
}

static void print_hits(FILE *out, const ws_run_results *r, const char *label,
                       const ws_baseline_hit *hits, size_t n,
                       size_t max_listed) {
  for (size_t i = 0; i < n && i < max_listed; i++) {
    const ws_case_result *c = &r->cases[hits[i].case_index];
    int was = hits[i].baseline_verdict;
    fprintf(out, "  %-10s %-12s %s -> %s  ", label, c->id ? c->id : "",
            was < 0 ? "(not listed)" : ws_verdict_name((enum ws_verdict)was),
            ws_verdict_name(c->verdict));
    print_clean(out, c->title, 60);
    fputc('\n', out);
    if (c->reason && *c->reason) {
      fprintf(out, "  %-10s %-12s ", "", "");
      print_clean(out, c->reason, 160);
      fputc('\n', out);
    }
  }
  if (n > max_listed)
    fprintf(out, "  ... and %zu more (see summary.md)\n", n - max_listed);
}

void ws_summary_print_baseline(FILE *out, const ws_run_results *r,
                               const char *baseline_path,
                               const ws_baseline_outcome *o,
                               size_t max_listed) {
  fprintf(out, "\nbaseline %s: %zu regression%s, %zu unexpected pass%s\n",
          baseline_path ? baseline_path : "", o->regression_count,
          o->regression_count == 1 ? "" : "s", o->unexpected_count,
          o->unexpected_count == 1 ? "" : "es");
  print_hits(out, r, "REGRESSED", o->regressions, o->regression_count,
             max_listed);
  print_hits(out, r, "NOW PASSES", o->unexpected_passes, o->unexpected_count,
             max_listed);
  if (o->unexpected_count)
    fputs("  (cases that no longer fail: update the baseline, e.g. with "
          "--write-baseline)\n",
          out);
}
