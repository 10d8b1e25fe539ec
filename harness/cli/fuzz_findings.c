/* Findings of `wsprobe fuzz`: counted by signature; the first input of each
 * signature is reproduced alone on a fresh target, minimised against that
 * same signature, and written as a case file with a .txt of the exit
 * status and stderr tail beside it.
 *
 * Reproducing first matters twice over: a crash can show after the oracle
 * already judged its input (a sanitizer report still on its way while the
 * process serves the next one), so the input it is pinned on is the one
 * that shows it alone; and a finding that shows with no input alone is not
 * minimised into something else, it keeps the input as run and says so. */
#include "case/case_write.h"
#include "cli/fuzz_run.h"
#include "codec/frame.h"
#include "netfuzz/minimize.h"
#include "reports/atomic_file.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MINIMIZE_ATTEMPTS 120
/* A safety net, times the timeout scale: the attempts are the bound that
 * keeps a minimised case the same from run to run, however loaded the
 * machine; this one only stops a target that has become very slow. */
#define MINIMIZE_MS 180000
/* Reproducing runs an input with ten times its deadline (and the oracle is
 * patient): the fuzzing loop keeps deadlines short for throughput, but an
 * input cut short by a loaded machine, a server just restarted, or a
 * dripped request would not reach the bug and a bug would look like it
 * does not reproduce. A server that is fine ends the input long before. */
#define REPRO_DEADLINE_FACTOR 10

/* ---- reproducing ---- */

/* c alone against a fresh target, judged by a patient oracle: true when it
 * shows signature. seen (when not NULL) receives what it showed instead. */
static bool shows(fuzz_run *r, const ws_case *c, const char *signature,
                  char *seen, size_t cap) {
  char err[256];
  if (seen)
    snprintf(seen, cap, "not run");
  if (fuzz_interrupted)
    return false;
  if (ws_fuzz_target_restart(r->target, err, sizeof err) != 0) {
    if (seen)
      snprintf(seen, cap, "not run: %s", err);
    return false;
  }
  ws_fuzz_target_mark(r->target);
  uint32_t base = c->timeout_ms ? c->timeout_ms : WS_CASE_DEFAULT_TIMEOUT_MS;
  ws_observation obs;
  ws_observation_init(&obs);
  ws_fuzz_run_input(r->target, c, base * REPRO_DEADLINE_FACTOR, &obs);
  ws_fuzz_finding f;
  ws_fuzz_target_check(r->target, c, &obs, true, &f);
  ws_observation_free(&obs);
  bool same = f.kind != WS_FUZZ_NONE && strcmp(f.signature, signature) == 0;
  if (seen)
    snprintf(seen, cap, "%s",
             f.kind == WS_FUZZ_NONE ? "no finding" : f.signature);
  ws_fuzz_finding_free(&f);
  return same;
}

/* Every input ends with a close (netfuzz), and minimisation keeps it: a
 * peer that is fine answers it and the candidate ends at once, while a peer
 * that answers nothing is one the oracle waits for (patiently: it may be
 * crashing). Without it, every candidate that does not crash would leave
 * its connection open too, and cost that wait. */
static bool ends_with_close(const ws_case *c) {
  const ws_step *s = c->step_count ? &c->steps[c->step_count - 1] : NULL;
  return s && s->kind == WS_STEP_FRAME && s->frame.opcode == WS_OP_CLOSE;
}

typedef struct repro {
  fuzz_run *r;
  const fuzz_kept *k;
  int64_t deadline;
  unsigned calls;
  const ws_step *close; /* appended to every candidate, or NULL */
  ws_step *steps;       /* room for a candidate and the close */
} repro;

/* The candidate as it runs: with the close after its steps. */
static ws_case with_close(const repro *p, const ws_case *cand) {
  ws_case c = *cand;
  if (!p->close)
    return c;
  memcpy(p->steps, cand->steps, cand->step_count * sizeof *p->steps);
  p->steps[cand->step_count] = *p->close;
  c.steps = p->steps;
  c.step_count = cand->step_count + 1;
  return c;
}

/* The minimiser's predicate: the candidate shows the same signature (not
 * merely some finding). Past the time budget every candidate is refused,
 * which ends the minimisation. */
static bool reproduces(const ws_case *cand, void *ctx) {
  repro *p = ctx;
  if (ws_now_ms() >= p->deadline)
    return false;
  p->calls++;
  ws_case c = with_close(p, cand);
  fuzz_progress_activity(p->r->progress,
                         "minimizing %s: attempt %u of %d, %zu steps", p->k->id,
                         p->calls, MINIMIZE_ATTEMPTS, c.step_count);
  return shows(p->r, &c, p->k->f.signature, NULL, 0);
}

/* Minimises small in place (steps in arena). */
static void minimize(fuzz_run *r, fuzz_kept *k, ws_case *small,
                     ws_arena *arena) {
  repro p = {
      r, k,    ws_now_ms() + (int64_t)(MINIMIZE_MS * r->o->timeout_scale),
      0, NULL, NULL};
  ws_case body = *small;
  if (ends_with_close(small)) {
    p.close = &small->steps[small->step_count - 1];
    body.step_count--;
  }
  p.steps = ws_arena_calloc(arena, small->step_count, sizeof *p.steps);
  if (!p.steps)
    return;
  k->attempts =
      ws_minimize(&body, reproduces, &p, MINIMIZE_ATTEMPTS, arena, &body);
  ws_case whole = with_close(&p, &body);
  ws_step *keep = ws_arena_calloc(arena, whole.step_count, sizeof *keep);
  if (!keep)
    return;
  memcpy(keep, whole.steps, whole.step_count * sizeof *keep);
  *small = whole;
  small->steps = keep;
}

/* The suspect that shows k's signature alone, most likely first; NULL when
 * none does. What each one tried showed goes to k->tries. */
static fuzz_input *culprit(fuzz_run *r, fuzz_kept *k,
                           fuzz_input *const *suspects, int n) {
  for (int i = 0; i < n && !fuzz_interrupted; i++) {
    char seen[sizeof k->f.signature + 64];
    fuzz_progress_activity(r->progress,
                           "reproducing a new finding: input %llu alone "
                           "(%d of %d)",
                           (unsigned long long)suspects[i]->iteration, i + 1,
                           n);
    bool same = shows(r, &suspects[i]->c, k->f.signature, seen, sizeof seen);
    size_t have = strlen(k->tries);
    snprintf(k->tries + have, sizeof k->tries - have, "%sinput %llu: %s",
             have ? "\n            " : "",
             (unsigned long long)suspects[i]->iteration,
             same ? "the same signature" : seen);
    if (same)
      return suspects[i];
  }
  return NULL;
}

/* ---- files ---- */

static int write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  bool ok = fwrite(text, 1, len, f) == len;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static void title_of(char *out, size_t cap, const fuzz_kept *k,
                     const char *what) {
  snprintf(out, cap, "Fuzz finding: %s (from %s)", k->f.signature, what);
  for (char *p = out; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
}

static void reproduced_text(const fuzz_kept *k, char *out, size_t cap) {
  if (k->reproduced)
    snprintf(out, cap,
             "yes: input %llu alone on a fresh server showed the same "
             "signature; minimized against it",
             (unsigned long long)k->iteration);
  else if (k->checked)
    snprintf(out, cap,
             "no: no input run around it showed the same signature alone on "
             "a fresh server; the case is input %llu as run, not minimized",
             (unsigned long long)k->iteration);
  else
    snprintf(out, cap,
             "not checked: the target is not ours to restart; the case is "
             "input %llu as run, not minimized",
             (unsigned long long)k->iteration);
}

static int write_details(const fuzz_run *r, const fuzz_kept *k,
                         const char *what, const char *dir) {
  char path[4200], repro_text[256];
  snprintf(path, sizeof path, "%s/%s.txt", dir, k->id);
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  reproduced_text(k, repro_text, sizeof repro_text);
  fprintf(f,
          "finding:    %s\nkind:       %s\nsignature:  %s\ntarget:     %s\n"
          "seed:       %llu\ninput:      %llu (%s), seen after input %llu\n"
          "reproduced: %s\ntried:      %s\n"
          "minimized:  %zu -> %zu steps in %d attempts\n"
          "replay:     wsprobe test --seed %llu --case-file %s/%s.case "
          "--cases %s TARGET\n\n",
          k->id, ws_fuzz_kind_name(k->f.kind), k->f.signature,
          ws_fuzz_target_name(r->target), (unsigned long long)r->o->seed,
          (unsigned long long)k->iteration, what,
          (unsigned long long)k->seen_at, repro_text,
          k->tries[0] ? k->tries : "-", k->steps_before, k->steps_after,
          k->attempts, (unsigned long long)r->o->seed, dir, k->id, k->id);
  fputs(k->f.details ? k->f.details : "", f);
  return fclose(f);
}

static int write_case(const fuzz_run *r, fuzz_kept *k, ws_case *c,
                      const char *what, ws_arena *arena) {
  char dir[4096], path[4200], title[320], desc[320], err[256];
  snprintf(dir, sizeof dir, "%s/findings", r->o->out_dir);
  if (ws_make_dirs(dir, err, sizeof err) != 0)
    return -1;
  title_of(title, sizeof title, k, what);
  if (k->reproduced)
    snprintf(desc, sizeof desc,
             "Found by wsprobe fuzz --seed %llu at input %llu; minimized "
             "from %zu to %zu steps.",
             (unsigned long long)r->o->seed, (unsigned long long)k->iteration,
             k->steps_before, k->steps_after);
  else
    snprintf(desc, sizeof desc,
             "Found by wsprobe fuzz --seed %llu at input %llu; %s, so this "
             "is the input as run, not minimized.",
             (unsigned long long)r->o->seed, (unsigned long long)k->iteration,
             k->checked ? "it did not show again alone on a fresh server"
                        : "the target could not be restarted to check it");
  c->title = title;
  c->description = desc;
  if (ws_netfuzz_set_outcomes(c, arena, k->f.kind == WS_FUZZ_STUCK) != 0)
    return -1;
  char *text;
  size_t len;
  if (ws_case_write(c, &text, &len, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: fuzz: %s: %s\n", k->id, err);
    return -1;
  }
  snprintf(path, sizeof path, "%s/%s.case", dir, k->id);
  int rc = write_file(path, text, len);
  free(text);
  return rc == 0 ? write_details(r, k, what, dir) : -1;
}

/* ---- the findings ---- */

static fuzz_kept *known(fuzz_run *r, const char *signature) {
  for (unsigned i = 0; i < r->nfound; i++)
    if (strcmp(r->found[i].f.signature, signature) == 0)
      return &r->found[i];
  return NULL;
}

static void restart_or_stop(fuzz_run *r) {
  char err[256];
  if (!ws_fuzz_target_can_restart(r->target)) {
    /* A URL target that stopped answering ends the run. */
    if (ws_run_liveness(ws_fuzz_target_run(r->target)) != 1)
      r->stopped = "target-lost";
    return;
  }
  if (ws_fuzz_target_restart(r->target, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: fuzz: cannot restart the target: %s\n", err);
    r->stopped = "target-lost";
  }
}

static void announce(const fuzz_run *r, const fuzz_kept *k) {
  fuzz_progress_say(r->progress,
                    "fuzz: finding %s: %s -> %s/findings/%s.case%s", k->id,
                    k->f.signature, r->o->out_dir, k->id,
                    k->reproduced ? ""
                    : k->checked  ? " (did not reproduce alone: not minimized)"
                                  : " (not minimized)");
  if (r->o->verbose && k->f.details)
    fuzz_progress_say(r->progress, "%.2000s", k->f.details);
}

static void set_id(const fuzz_run *r, fuzz_kept *k) {
  snprintf(k->id, sizeof k->id, "fuzz-%llu-%llu",
           (unsigned long long)r->o->seed, (unsigned long long)k->iteration);
  if (strlen(k->id) >= WS_CASE_ID_MAX)
    snprintf(k->id, sizeof k->id, "fz-%llx-%llx",
             (unsigned long long)r->o->seed, (unsigned long long)k->iteration);
}

/* A signature seen for the first time. */
static void first_of_its_kind(fuzz_run *r, ws_fuzz_finding *f,
                              fuzz_input *const *suspects, int n) {
  fuzz_kept *k = &r->found[r->nfound++];
  memset(k, 0, sizeof *k);
  k->f = *f;
  k->hits = 1;
  k->seen_at = r->inputs;
  k->found_ms = ws_now_ms() - r->t0;
  k->checked = ws_fuzz_target_can_restart(r->target);
  fuzz_input *in = k->checked ? culprit(r, k, suspects, n) : NULL;
  k->reproduced = in != NULL;
  if (!in)
    in = suspects[0];
  k->iteration = in->iteration;
  set_id(r, k);
  ws_arena arena;
  ws_arena_init(&arena, 0);
  ws_case small = in->c;
  snprintf(small.id, sizeof small.id, "%s", k->id);
  k->steps_before = small.step_count;
  if (k->reproduced)
    minimize(r, k, &small, &arena);
  fuzz_progress_activity(r->progress, NULL);
  k->steps_after = small.step_count;
  k->written = write_case(r, k, &small, in->what, &arena) == 0;
  if (!k->written)
    fprintf(stderr, "wsprobe: fuzz: cannot write finding %s\n", k->id);
  ws_arena_free(&arena);
  announce(r, k);
}

void fuzz_found(fuzz_run *r, ws_fuzz_finding *f, fuzz_input *const *suspects,
                int n) {
  r->hits++;
  fuzz_kept *k = known(r, f->signature);
  if (k)
    k->hits++;
  if (k || n == 0 || r->nfound == FUZZ_MAX_FINDINGS)
    ws_fuzz_finding_free(f); /* counted; the first one is the case file */
  else
    first_of_its_kind(r, f, suspects, n);
  fuzz_progress_update(r->progress, r->inputs, r->hits, r->nfound);
  restart_or_stop(r);
}
