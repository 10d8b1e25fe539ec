/* The end of a `wsprobe fuzz` run: fuzz-summary.json (schema
 * wsprobe-fuzz/1; keys are only ever added) and the summary on stdout, one
 * entry per signature with how many inputs showed it. */
#include "cli/fuzz_run.h"
#include "reports/atomic_file.h"
#include "reports/json.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

double fuzz_elapsed_s(const fuzz_run *r) {
  return (double)(ws_now_ms() - r->t0) / 1000.0;
}

double fuzz_rate(const fuzz_run *r) {
  double s = fuzz_elapsed_s(r);
  return s > 0 ? (double)r->inputs / s : 0;
}

/* Why the case file is not a minimised reproduction, or NULL when it is. */
static const char *note_of(const fuzz_kept *k) {
  if (k->reproduced)
    return NULL;
  return k->checked ? "did not reproduce alone on a fresh server: the case is "
                      "the input as run, not minimized"
                    : "the target cannot be restarted: the case is the input "
                      "as run, not minimized";
}

/* One finding of fuzz-summary.json, on one line. */
static void write_finding_json(ws_json *w, const fuzz_kept *k) {
  char path[WS_CASE_ID_MAX + 32];
  ws_json_object_begin_inline(w);
  ws_json_key(w, "id");
  ws_json_string(w, k->id);
  ws_json_key(w, "kind");
  ws_json_string(w, ws_fuzz_kind_name(k->f.kind));
  ws_json_key(w, "signature");
  ws_json_string(w, k->f.signature);
  ws_json_key(w, "iteration");
  ws_json_uint(w, k->iteration);
  ws_json_key(w, "found_ms");
  ws_json_int(w, k->found_ms);
  ws_json_key(w, "duplicates");
  ws_json_uint(w, k->hits - 1);
  ws_json_key(w, "steps");
  ws_json_uint(w, k->steps_before);
  ws_json_key(w, "minimized_steps");
  ws_json_uint(w, k->steps_after);
  ws_json_key(w, "minimize_attempts");
  ws_json_int(w, k->attempts);
  snprintf(path, sizeof path, "findings/%s.case", k->id);
  ws_json_key(w, "case");
  ws_json_string(w, path);
  snprintf(path, sizeof path, "findings/%s.txt", k->id);
  ws_json_key(w, "details");
  ws_json_string(w, path);
  ws_json_key(w, "hits");
  ws_json_uint(w, k->hits);
  ws_json_key(w, "seen_at_iteration");
  ws_json_uint(w, k->seen_at);
  ws_json_key(w, "reproduced");
  if (k->checked)
    ws_json_bool(w, k->reproduced);
  else
    ws_json_null(w);
  ws_json_key(w, "minimized");
  ws_json_bool(w, k->reproduced && k->attempts > 0);
  ws_json_key(w, "note");
  if (note_of(k))
    ws_json_string(w, note_of(k));
  else
    ws_json_null(w);
  ws_json_object_end(w);
}

/* The report JSON writer escapes every string, whatever bytes a sanitizer
 * report put in a signature. */
static int write_summary_json(FILE *out, const void *ctx) {
  const fuzz_run *r = ctx;
  ws_json w;
  ws_json_init(&w, out);
  ws_json_object_begin(&w);
  ws_json_key(&w, "schema");
  ws_json_string(&w, "wsprobe-fuzz/1");
  ws_json_key(&w, "tool_version");
  ws_json_string(&w, WSPROBE_VERSION);
  ws_json_key(&w, "target");
  ws_json_string(&w, ws_fuzz_target_name(r->target));
  ws_json_key(&w, "seed");
  ws_json_uint(&w, r->o->seed);
  ws_json_key(&w, "jobs");
  ws_json_int(&w, r->o->jobs);
  /* 6 decimals keep every digit %g kept for a scale in 0.1..100. */
  ws_json_key(&w, "timeout_scale");
  ws_json_double(&w, r->o->timeout_scale, 6);
  ws_json_key(&w, "iterations");
  ws_json_uint(&w, r->inputs);
  ws_json_key(&w, "duration_ms");
  ws_json_int(&w, ws_now_ms() - r->t0);
  ws_json_key(&w, "inputs_per_second");
  ws_json_double(&w, fuzz_rate(r), 1);
  ws_json_key(&w, "stopped");
  ws_json_string(&w, r->stopped);
  /* One entry per signature; hits says how many inputs showed it. */
  ws_json_key(&w, "findings");
  ws_json_array_begin(&w);
  for (unsigned i = 0; i < r->nfound; i++)
    write_finding_json(&w, &r->found[i]);
  ws_json_array_end(&w);
  ws_json_key(&w, "signatures");
  ws_json_uint(&w, r->nfound);
  ws_json_key(&w, "finding_inputs");
  ws_json_uint(&w, r->hits);
  ws_json_object_end(&w);
  return ws_json_finish(&w);
}

/* Atomically (a temporary file, then a rename): a run killed while writing
 * leaves the previous summary or none, never half of one. A failure is
 * reported but does not change the exit status, which is about the
 * findings. */
void fuzz_write_summary(const fuzz_run *r) {
  char path[4200], err[4400];
  snprintf(path, sizeof path, "%s/fuzz-summary.json", r->o->out_dir);
  if (ws_write_atomically(path, write_summary_json, r, err, sizeof err) != 0)
    fprintf(stderr, "wsprobe: fuzz: %s\n", err);
}

/* "9 -> 1 steps", or why it was not minimised. */
static void case_text(const fuzz_kept *k, char *out, size_t cap) {
  if (!k->written)
    snprintf(out, cap, "not written");
  else if (k->reproduced)
    snprintf(out, cap, "minimized %zu -> %zu steps", k->steps_before,
             k->steps_after);
  else
    snprintf(out, cap, "%zu steps as run; %s", k->steps_before, note_of(k));
}

void fuzz_print_summary(const fuzz_run *r) {
  unsigned crash = 0, hang = 0, stuck = 0;
  for (unsigned i = 0; i < r->nfound; i++) {
    crash += r->found[i].f.kind == WS_FUZZ_CRASH;
    hang += r->found[i].f.kind == WS_FUZZ_HANG;
    stuck += r->found[i].f.kind == WS_FUZZ_STUCK;
  }
  printf("fuzz: %llu inputs in %.1f s (%.0f inputs/s), seed %llu: %u "
         "signature%s (%u crash, %u hang, %u stuck) from %llu finding%s, "
         "stopped by %s; %s/fuzz-summary.json\n",
         (unsigned long long)r->inputs, fuzz_elapsed_s(r), fuzz_rate(r),
         (unsigned long long)r->o->seed, r->nfound, r->nfound == 1 ? "" : "s",
         crash, hang, stuck, (unsigned long long)r->hits,
         r->hits == 1 ? "" : "s", r->stopped, r->o->out_dir);
  for (unsigned i = 0; i < r->nfound; i++) {
    const fuzz_kept *k = &r->found[i];
    char how[256];
    case_text(k, how, sizeof how);
    printf("  %6llu x %-5s %s\n           %s/findings/%s.case (%s)\n",
           (unsigned long long)k->hits, ws_fuzz_kind_name(k->f.kind),
           k->f.signature, r->o->out_dir, k->id, how);
  }
  fflush(stdout);
}
