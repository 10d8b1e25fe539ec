#include "cli/summary.h"

#include <ctype.h>
#include <string.h>

/* Ids of expected cases on the terminal before "..." (summary.md has all). */
#define EXPECTED_IDS_LISTED 12

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

/* Case text from the run may hold a peer's bytes: no control characters
 * reach the terminal. */
static void print_clean(FILE *out, const char *s, size_t max) {
  size_t n = 0;
  for (; s && *s && n < max; s++, n++)
    fputc((unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, out);
  if (s && *s)
    fputs("...", out);
}

static enum ws_verdict verdict_of(const ws_case_result *c) {
  return (unsigned)c->verdict < WS_VERDICT_COUNT ? c->verdict
                                                 : WS_VERDICT_ERROR;
}

/* Listed below the counts: what makes the status non-zero. Without a
 * baseline, every --fail-on case; with one, the regressions and unexpected
 * passes are in the baseline block, and only the cases not run are here. */
static bool listed(const ws_gate *g, const ws_case_result *c) {
  enum ws_gate_role role = ws_gate_role_of(g, c, NULL);
  return role == WS_GATE_NOT_RUN || (!g->baseline && role == WS_GATE_FAILING);
}

/* One line per listed case, then its reason, in results order (catalogue
 * order for a finished run, completion order otherwise). The label is the
 * verdict: FAIL, ERROR, NON-STRICT under --fail-on fail,non-strict... */
static void print_failures(FILE *out, const ws_run_results *r, const ws_gate *g,
                           size_t max_listed) {
  size_t bad = 0, shown = 0;
  int width = 2, label = 5;
  for (size_t i = 0; i < r->case_count; i++) {
    const ws_case_result *c = &r->cases[i];
    if (!listed(g, c))
      continue;
    if (bad++ < max_listed) {
      int n = c->id ? (int)strlen(c->id) : 0, v;
      v = (int)strlen(ws_verdict_name(verdict_of(c)));
      width = n > width ? n : width;
      label = v > label ? v : label;
    }
  }
  if (bad == 0)
    return;
  fputc('\n', out);
  for (size_t i = 0; i < r->case_count && shown < max_listed; i++) {
    const ws_case_result *c = &r->cases[i];
    if (!listed(g, c))
      continue;
    shown++;
    char name[24];
    snprintf(name, sizeof name, "%s", ws_verdict_name(verdict_of(c)));
    for (char *p = name; *p; p++)
      *p = (char)toupper((unsigned char)*p);
    fprintf(out, "  %-*s %-*s  ", label, name, width, c->id ? c->id : "");
    print_clean(out, c->title, 60);
    fprintf(out, "\n  %-*s %-*s  ", label, "", width, "");
    print_clean(
        out, c->reason && *c->reason ? c->reason : "(no reason recorded)", 160);
    fputc('\n', out);
  }
  if (bad > shown)
    fprintf(out, "  ... and %zu more (see summary.md)\n", bad - shown);
}

static void print_hits(FILE *out, const ws_run_results *r, const char *label,
                       const ws_baseline_hit *hits, size_t n,
                       size_t max_listed) {
  for (size_t i = 0; i < n && i < max_listed; i++) {
    const ws_case_result *c = &r->cases[hits[i].case_index];
    int was = hits[i].baseline_verdict;
    fprintf(out, "  %-10s %-12s %s -> %s  ", label, c->id ? c->id : "",
            was < 0 ? "(not listed)" : ws_verdict_name((enum ws_verdict)was),
            ws_verdict_name(verdict_of(c)));
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

/* Expected cases are context, not news: their ids on one line. */
static void print_expected(FILE *out, const ws_run_results *r,
                           const ws_baseline_outcome *o) {
  if (!o->expected_count)
    return;
  fprintf(out, "  %-10s", "expected");
  size_t shown = 0;
  for (; shown < o->expected_count && shown < EXPECTED_IDS_LISTED; shown++) {
    fputc(' ', out);
    print_clean(out, r->cases[o->expected[shown].case_index].id, 40);
  }
  fprintf(out, "%s (%zu %s the verdict the baseline lists: not failures)\n",
          shown < o->expected_count ? " ..." : "", o->expected_count,
          o->expected_count == 1 ? "case has" : "cases have");
}

static void print_baseline(FILE *out, const ws_run_results *r, const ws_gate *g,
                           const ws_baseline_outcome *o, size_t max_listed) {
  const ws_baseline *b = g->baseline;
  char tally[160];
  ws_gate_tally_text(o->regression_count, o->unexpected_count,
                     o->expected_count, tally, sizeof tally);
  fprintf(out, "\nbaseline %s: %s\n", b->path ? b->path : "", tally);
  print_hits(out, r, "REGRESSED", o->regressions, o->regression_count,
             max_listed);
  print_hits(out, r, "NOW PASSES", o->unexpected_passes, o->unexpected_count,
             max_listed);
  if (o->unexpected_count)
    fputs("  (cases that no longer fail: update the baseline, e.g. with "
          "--write-baseline)\n",
          out);
  print_expected(out, r, o);
  if (b->unknown_count) {
    char ids[512];
    ws_baseline_unknown_list(b, ids, sizeof ids);
    fprintf(out,
            "  warning: the baseline lists %zu id%s that no case has "
            "(ignored): ",
            b->unknown_count, b->unknown_count == 1 ? "" : "s");
    print_clean(out, ids, sizeof ids);
    fputc('\n', out);
  }
}

void ws_summary_print(FILE *out, const ws_run_results *r, const ws_gate *g,
                      const ws_baseline_outcome *o, const char *json_path,
                      size_t max_listed) {
  size_t lines = max_listed / 2 ? max_listed / 2 : 1; /* two per case */
  fprintf(out, "wsprobe %s: %zu case%s against %s (seed %llu)\n",
          r->tool_version ? r->tool_version : "", r->case_count,
          r->case_count == 1 ? "" : "s", r->target ? r->target : "?",
          (unsigned long long)r->seed);
  if (r->tls)
    fprintf(out, "TLS: %s\n", r->tls);
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
  if (g->baseline && o)
    print_baseline(out, r, g, o, lines);
  print_failures(out, r, g, lines);
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

void ws_summary_print_status(FILE *out, int status, const char *why) {
  fprintf(out, "exit status %d: %s\n", status, why);
}
