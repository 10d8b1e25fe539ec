/* wsprobe fuzz: seeded network mutation fuzzing of a WebSocket server.
 *
 * Inputs come from netfuzz (mutated catalogue cases); after each input (or
 * each batch of --jobs inputs run side by side) the oracle checks the
 * target (netfuzz_target.c). A finding is minimised against a restarted
 * target and written as a case file that `wsprobe test --case-file`
 * replays, with a .txt of the exit status and stderr tail beside it. */
#include "case/case_write.h"
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "netfuzz/minimize.h"
#include "netfuzz/netfuzz.h"
#include "reports/atomic_file.h"
#include "reports/json.h"
#include "util/clock.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 64
#define MAX_FINDINGS 10 /* distinct signatures kept before the run stops */
#define MINIMIZE_ATTEMPTS 120
#define MINIMIZE_MS 60000
#define STARTUP_MS 10000
#define DEFAULT_DURATION_MS 60000

typedef struct fuzz_opts {
  const char *url, *exec, *out_dir;
  uint64_t seed;
  int64_t duration_ms; /* 0: bounded by iterations only */
  uint64_t iterations; /* 0: bounded by duration only */
  int jobs;
  double timeout_scale;
  bool verbose;
} fuzz_opts;

typedef struct kept { /* one distinct finding */
  char id[WS_CASE_ID_MAX + 1];
  ws_fuzz_finding f;
  uint64_t iteration;
  int64_t found_ms; /* since the start of the run */
  unsigned duplicates;
  size_t steps_before, steps_after;
  int attempts;
  bool written;
} kept;

typedef struct fuzz_run {
  const fuzz_opts *o;
  ws_fuzz_target *target;
  ws_netfuzz *gen;
  uint64_t inputs;
  int64_t t0;
  kept found[MAX_FINDINGS];
  unsigned nfound;
  const char *stopped;
  bool tty;
  int64_t next_progress;
} fuzz_run;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

/* ---- options ---- */

static void usage(FILE *out) {
  fprintf(
      out,
      "usage: wsprobe fuzz [URL] [--exec-server \"CMD {port}\"] [--seed S]\n"
      "                    [--duration T | --iterations N] [--out DIR]\n"
      "                    [--jobs N] [--timeout-scale F] [-v]\n\n"
      "Seeded, structure-aware mutation fuzzing of a WebSocket server: "
      "mutated\ncatalogue cases, each followed by a liveness check. Findings "
      "(crash, hang,\nstuck peer) are minimised and written as case files "
      "DIR/findings/ID.case\nthat `wsprobe test --case-file F --cases ID` "
      "replays. Without URL or\n--exec-server the built-in reference server "
      "is fuzzed in this process.\n\n"
      "  --exec-server CMD   start CMD through /bin/sh, {port} replaced by a "
      "free port;\n"
      "                      restarted after each crash\n"
      "  --seed S            input sequence seed (default: random, "
      "printed)\n"
      "  --duration T        run time: 30, 30s, 5m, 1h (default 60s)\n"
      "  --iterations N      stop after N inputs\n"
      "  --out DIR           output directory (default wsprobe-fuzz)\n"
      "  --jobs N            inputs run side by side (default 1)\n"
      "  --timeout-scale F   multiplies every deadline (default 1)\n"
      "  -v                  describe each finding as it is found\n\n"
      "Exit status: 0 no finding, 1 findings, 2 usage error or unreachable "
      "target.\n");
}

/* 30, 30s, 500ms, 5m, 1h. */
static int parse_duration(const char *text, int64_t *ms) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  double unit = 1000;
  if (strcmp(end, "ms") == 0)
    unit = 1;
  else if (strcmp(end, "m") == 0)
    unit = 60000;
  else if (strcmp(end, "h") == 0)
    unit = 3600000;
  else if (*end && strcmp(end, "s") != 0)
    unit = -1;
  if (errno || end == text || unit < 0 || !(v > 0) || v * unit > 8.64e9) {
    fprintf(stderr,
            "wsprobe: --duration: '%s' is not a duration (30, 30s, 5m, "
            "1h)\n",
            text);
    return -1;
  }
  *ms = (int64_t)(v * unit);
  return 0;
}

static int parse_scale(const char *text, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (end == text || *end || !(v >= 0.1 && v <= 100)) {
    fprintf(stderr,
            "wsprobe: --timeout-scale: '%s' is not a number from 0.1 to "
            "100\n",
            text);
    return -1;
  }
  *out = v;
  return 0;
}

static uint64_t random_seed(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
               ((uint64_t)getpid() << 40);
  return x & (((uint64_t)1 << 53) - 1); /* survives any JSON reader */
}

static int parse_option(int c, fuzz_opts *o, bool *dur) {
  uint64_t v;
  switch (c) {
  case 'e':
    o->exec = optarg;
    return 0;
  case 's':
    return ws_arg_uint("--seed", optarg, 0, UINT64_MAX, &o->seed);
  case 'd':
    *dur = true;
    return parse_duration(optarg, &o->duration_ms);
  case 'i':
    return ws_arg_uint("--iterations", optarg, 1, UINT64_MAX, &o->iterations);
  case 'o':
    o->out_dir = optarg;
    return 0;
  case 'j':
    if (ws_arg_uint("--jobs", optarg, 1, MAX_JOBS, &v) < 0)
      return -1;
    o->jobs = (int)v;
    return 0;
  case 't':
    return parse_scale(optarg, &o->timeout_scale);
  case 'v':
    o->verbose = true;
    return 0;
  default:
    return -1;
  }
}

/* 0 run, 1 help printed, -1 usage error (message printed). */
static int parse_options(int argc, char **argv, fuzz_opts *o) {
  static const struct option longs[] = {
      {"exec-server", required_argument, NULL, 'e'},
      {"seed", required_argument, NULL, 's'},
      {"duration", required_argument, NULL, 'd'},
      {"iterations", required_argument, NULL, 'i'},
      {"out", required_argument, NULL, 'o'},
      {"jobs", required_argument, NULL, 'j'},
      {"timeout-scale", required_argument, NULL, 't'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  *o = (fuzz_opts){.out_dir = "wsprobe-fuzz", .jobs = 1, .timeout_scale = 1};
  bool seed_given = false, dur = false;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "vh", longs, NULL)) != -1) {
    if (c == 'h') {
      usage(stdout);
      return 1;
    }
    seed_given |= c == 's';
    if (c == '?' || parse_option(c, o, &dur) < 0) {
      if (c == '?')
        fprintf(stderr, "wsprobe fuzz --help shows the options\n");
      return -1;
    }
  }
  if (optind < argc)
    o->url = argv[optind++];
  if (optind < argc || (o->url && o->exec)) {
    fprintf(stderr, "wsprobe: fuzz: give one URL or --exec-server, not "
                    "both or more\n");
    return -1;
  }
  if (o->exec && !strstr(o->exec, "{port}")) {
    fprintf(stderr, "wsprobe: --exec-server: the command needs {port} where "
                    "the server's port goes\n");
    return -1;
  }
  if (!seed_given)
    o->seed = random_seed();
  if (!dur && !o->iterations)
    o->duration_ms = DEFAULT_DURATION_MS;
  return 0;
}

/* ---- files ---- */

static int write_file(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  bool ok = fwrite(text, 1, len, f) == len;
  return fclose(f) == 0 && ok ? 0 : -1;
}

static double elapsed_s(const fuzz_run *r) {
  return (double)(ws_now_ms() - r->t0) / 1000.0;
}

static double rate(const fuzz_run *r) {
  double s = elapsed_s(r);
  return s > 0 ? (double)r->inputs / s : 0;
}

/* One finding of fuzz-summary.json, on one line. */
static void write_finding_json(ws_json *w, const kept *k) {
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
  ws_json_uint(w, k->duplicates);
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
  ws_json_object_end(w);
}

/* fuzz-summary.json (schema wsprobe-fuzz/1). The report JSON writer escapes
 * every string, whatever bytes a sanitizer report put in a signature. */
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
  ws_json_double(&w, rate(r), 1);
  ws_json_key(&w, "stopped");
  ws_json_string(&w, r->stopped);
  ws_json_key(&w, "findings");
  ws_json_array_begin(&w);
  for (unsigned i = 0; i < r->nfound; i++)
    write_finding_json(&w, &r->found[i]);
  ws_json_array_end(&w);
  ws_json_object_end(&w);
  return ws_json_finish(&w);
}

/* Atomically (a temporary file, then a rename): a run killed while writing
 * leaves the previous summary or none, never half of one. A failure is reported
 * but does not change the exit status, which is about the findings. */
static void write_summary(const fuzz_run *r) {
  char path[4200], err[4400];
  snprintf(path, sizeof path, "%s/fuzz-summary.json", r->o->out_dir);
  if (ws_write_atomically(path, write_summary_json, r, err, sizeof err) != 0)
    fprintf(stderr, "wsprobe: fuzz: %s\n", err);
}

/* ---- findings ---- */

typedef struct repro {
  fuzz_run *r;
  const char *signature;
  int64_t deadline;
} repro;

/* The minimiser's predicate: the candidate against a fresh target shows the
 * same finding (same signature). Past the time budget every candidate is
 * refused, which ends the minimisation. */
static bool reproduces(const ws_case *cand, void *ctx) {
  repro *p = ctx;
  char err[256];
  if (ws_now_ms() >= p->deadline || interrupted ||
      ws_fuzz_target_restart(p->r->target, err, sizeof err) != 0)
    return false;
  ws_observation obs;
  ws_observation_init(&obs);
  ws_fuzz_run_input(p->r->target, cand, 0, &obs);
  ws_fuzz_finding f;
  ws_fuzz_target_check(p->r->target, cand, &obs, &f);
  ws_observation_free(&obs);
  bool same = f.kind != WS_FUZZ_NONE && strcmp(f.signature, p->signature) == 0;
  ws_fuzz_finding_free(&f);
  return same;
}

static void title_of(char *out, size_t cap, const kept *k, const char *what) {
  snprintf(out, cap, "Fuzz finding: %s (from %s)", k->f.signature, what);
  for (char *p = out; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
}

static int write_details(const fuzz_run *r, const kept *k, const char *what,
                         const char *dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s.txt", dir, k->id);
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fprintf(f,
          "finding:   %s\nkind:      %s\nsignature: %s\ntarget:    %s\n"
          "seed:      %llu\ninput:     %llu (%s)\nminimized: %zu -> %zu "
          "steps in %d attempts\nreplay:    wsprobe test --seed %llu "
          "--case-file %s/%s.case --cases %s TARGET\n\n",
          k->id, ws_fuzz_kind_name(k->f.kind), k->f.signature,
          ws_fuzz_target_name(r->target), (unsigned long long)r->o->seed,
          (unsigned long long)k->iteration, what, k->steps_before,
          k->steps_after, k->attempts, (unsigned long long)r->o->seed, dir,
          k->id, k->id);
  fputs(k->f.details ? k->f.details : "", f);
  return fclose(f);
}

static int write_case(const fuzz_run *r, kept *k, ws_case *c, const char *what,
                      ws_arena *arena) {
  char dir[4096], path[4200], title[256], desc[256], err[256];
  snprintf(dir, sizeof dir, "%s/findings", r->o->out_dir);
  if (ws_make_dirs(dir, err, sizeof err) != 0)
    return -1;
  title_of(title, sizeof title, k, what);
  snprintf(desc, sizeof desc,
           "Found by wsprobe fuzz --seed %llu at input %llu; minimized from "
           "%zu to %zu steps.",
           (unsigned long long)r->o->seed, (unsigned long long)k->iteration,
           k->steps_before, k->steps_after);
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

static kept *known(fuzz_run *r, const char *signature) {
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

static void report_finding(const fuzz_run *r, const kept *k) {
  if (r->tty)
    fprintf(stderr, "\r\033[K");
  fprintf(stderr, "fuzz: finding %s: %s -> %s/findings/%s.case\n", k->id,
          k->f.signature, r->o->out_dir, k->id);
  if (r->o->verbose && k->f.details)
    fprintf(stderr, "%.2000s\n", k->f.details);
}

/* A finding from input c: deduplicated, minimised, written. */
static void handle_finding(fuzz_run *r, const ws_case *c, const char *what,
                           uint64_t iteration, ws_fuzz_finding *f) {
  kept *dup = known(r, f->signature);
  if (dup || r->nfound == MAX_FINDINGS) {
    if (dup)
      dup->duplicates++;
    ws_fuzz_finding_free(f);
    restart_or_stop(r);
    return;
  }
  kept *k = &r->found[r->nfound++];
  memset(k, 0, sizeof *k);
  snprintf(k->id, sizeof k->id, "fuzz-%llu-%llu",
           (unsigned long long)r->o->seed, (unsigned long long)iteration);
  if (strlen(k->id) >= WS_CASE_ID_MAX)
    snprintf(k->id, sizeof k->id, "fz-%llx-%llx",
             (unsigned long long)r->o->seed, (unsigned long long)iteration);
  k->f = *f;
  k->iteration = iteration;
  k->found_ms = ws_now_ms() - r->t0;
  k->steps_before = c->step_count;
  ws_arena arena;
  ws_arena_init(&arena, 0);
  ws_case small = *c;
  snprintf(small.id, sizeof small.id, "%s", k->id);
  if (ws_fuzz_target_can_restart(r->target)) {
    repro p = {r, k->f.signature,
               ws_now_ms() + (int64_t)(MINIMIZE_MS * r->o->timeout_scale)};
    k->attempts =
        ws_minimize(&small, reproduces, &p, MINIMIZE_ATTEMPTS, &arena, &small);
  }
  k->steps_after = small.step_count;
  k->written = write_case(r, k, &small, what, &arena) == 0;
  if (!k->written)
    fprintf(stderr, "wsprobe: fuzz: cannot write finding %s\n", k->id);
  ws_arena_free(&arena);
  report_finding(r, k);
  restart_or_stop(r);
}

/* ---- the loop ---- */

typedef struct slot {
  ws_arena arena;
  ws_case c;
  char what[160];
  ws_observation obs;
  uint64_t iteration;
  const ws_fuzz_target *target;
  pthread_t thread;
} slot;

static void *run_slot(void *arg) {
  slot *s = arg;
  ws_fuzz_run_input(s->target, &s->c, 0, &s->obs);
  return NULL;
}

static int generate(fuzz_run *r, slot *s) {
  char id[WS_CASE_ID_MAX + 1];
  s->iteration = ++r->inputs;
  snprintf(id, sizeof id, "fz-%llu", (unsigned long long)s->iteration);
  ws_arena_init(&s->arena, WS_NETFUZZ_ARENA_LIMIT);
  ws_observation_init(&s->obs);
  s->target = r->target;
  return ws_netfuzz_next(r->gen, &s->arena, id, &s->c, s->what, sizeof s->what);
}

static void release(slot *s) {
  ws_observation_free(&s->obs);
  ws_arena_free(&s->arena);
}

/* A finding after a batch: which input shows it on its own? */
static void attribute(fuzz_run *r, slot *slots, int n, ws_fuzz_finding *f) {
  if (n == 1) {
    handle_finding(r, &slots[0].c, slots[0].what, slots[0].iteration, f);
    return;
  }
  char err[256];
  ws_fuzz_finding_free(f);
  for (int i = 0; i < n && !r->stopped; i++) {
    if (ws_fuzz_target_restart(r->target, err, sizeof err) != 0) {
      r->stopped = "target-lost";
      return;
    }
    ws_observation obs;
    ws_observation_init(&obs);
    ws_fuzz_run_input(r->target, &slots[i].c, 0, &obs);
    ws_fuzz_finding g;
    ws_fuzz_target_check(r->target, &slots[i].c, &obs, &g);
    ws_observation_free(&obs);
    if (g.kind != WS_FUZZ_NONE) {
      handle_finding(r, &slots[i].c, slots[i].what, slots[i].iteration, &g);
      return;
    }
  }
  restart_or_stop(r); /* only the batch together showed it */
}

static void progress(fuzz_run *r) {
  if (!r->tty || ws_now_ms() < r->next_progress)
    return;
  r->next_progress = ws_now_ms() + 250;
  fprintf(stderr, "\r\033[Kfuzz: %llu inputs  %.0f/s  %u finding%s  %.0f s",
          (unsigned long long)r->inputs, rate(r), r->nfound,
          r->nfound == 1 ? "" : "s", elapsed_s(r));
}

static bool time_left(fuzz_run *r) {
  if (interrupted)
    r->stopped = "interrupted";
  else if (r->o->iterations && r->inputs >= r->o->iterations)
    r->stopped = "iterations";
  else if (r->o->duration_ms && ws_now_ms() - r->t0 >= r->o->duration_ms)
    r->stopped = "duration";
  else if (r->nfound == MAX_FINDINGS)
    r->stopped = "findings";
  return !r->stopped;
}

/* Up to --jobs inputs side by side, then one oracle check for all. */
static void run_batch(fuzz_run *r, slot *slots) {
  int n = 0;
  while (n < r->o->jobs &&
         (!r->o->iterations || r->inputs < r->o->iterations)) {
    if (generate(r, &slots[n]) != 0) {
      release(&slots[n]); /* an input over its memory bound is skipped */
      continue;
    }
    n++;
  }
  bool threaded[MAX_JOBS] = {false};
  for (int i = 1; i < n; i++)
    threaded[i] =
        pthread_create(&slots[i].thread, NULL, run_slot, &slots[i]) == 0;
  for (int i = 0; i < n; i++)
    if (!threaded[i])
      run_slot(&slots[i]);
  for (int i = 1; i < n; i++)
    if (threaded[i])
      pthread_join(slots[i].thread, NULL);
  /* In a batch, the input that may have left its peer stuck is the one
   * the oracle looks at (it confirms on its own). */
  int look = 0;
  for (int i = 0; i < n; i++)
    if (ws_fuzz_looks_stuck(&slots[i].c, &slots[i].obs)) {
      look = i;
      break;
    }
  ws_fuzz_finding f;
  ws_fuzz_target_check(r->target, n ? &slots[look].c : NULL,
                       n ? &slots[look].obs : NULL, &f);
  if (f.kind == WS_FUZZ_STUCK && n > 1)
    handle_finding(r, &slots[look].c, slots[look].what, slots[look].iteration,
                   &f);
  else if (f.kind != WS_FUZZ_NONE)
    attribute(r, slots, n, &f);
  for (int i = 0; i < n; i++)
    release(&slots[i]);
}

static void fuzz_loop(fuzz_run *r) {
  slot *slots = calloc((size_t)r->o->jobs, sizeof *slots);
  if (!slots) {
    r->stopped = "out-of-memory";
    return;
  }
  while (time_left(r)) {
    run_batch(r, slots);
    progress(r);
  }
  free(slots);
}

static void print_summary(const fuzz_run *r) {
  if (r->tty)
    fprintf(stderr, "\r\033[K");
  unsigned crash = 0, hang = 0, stuck = 0;
  for (unsigned i = 0; i < r->nfound; i++) {
    crash += r->found[i].f.kind == WS_FUZZ_CRASH;
    hang += r->found[i].f.kind == WS_FUZZ_HANG;
    stuck += r->found[i].f.kind == WS_FUZZ_STUCK;
  }
  printf("fuzz: %llu inputs in %.1f s (%.0f inputs/s), seed %llu: %u "
         "finding%s (%u crash, %u hang, %u stuck), stopped by %s; "
         "%s/fuzz-summary.json\n",
         (unsigned long long)r->inputs, elapsed_s(r), rate(r),
         (unsigned long long)r->o->seed, r->nfound, r->nfound == 1 ? "" : "s",
         crash, hang, stuck, r->stopped, r->o->out_dir);
  fflush(stdout);
}

static void install_signals(void) {
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a peer's reset must not kill the run */
}

static int fuzz(const fuzz_opts *o, ws_catalogue *cat) {
  char err[512];
  fuzz_run r = {.o = o, .tty = isatty(STDERR_FILENO) == 1};
  if (ws_make_dirs(o->out_dir, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: fuzz: %s\n", err);
    return WS_EXIT_USAGE;
  }
  ws_fuzz_target_options to = {.url = o->url,
                               .exec = o->exec,
                               .startup_ms =
                                   (int)(STARTUP_MS * o->timeout_scale),
                               .timeout_scale = o->timeout_scale,
                               .seed = o->seed};
  signal(SIGPIPE, SIG_IGN);
  if (ws_fuzz_target_open(&to, &r.target, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: fuzz: %s\n", err);
    return WS_EXIT_USAGE;
  }
  r.gen = ws_netfuzz_new(cat, o->seed, 0);
  if (!r.gen) {
    ws_fuzz_target_close(r.target);
    fprintf(stderr, "wsprobe: fuzz: out of memory\n");
    return WS_EXIT_USAGE;
  }
  fprintf(stderr, "fuzz: seed %llu, target %s\n", (unsigned long long)o->seed,
          ws_fuzz_target_name(r.target));
  install_signals();
  r.t0 = ws_now_ms();
  fuzz_loop(&r);
  print_summary(&r);
  write_summary(&r);
  for (unsigned i = 0; i < r.nfound; i++)
    ws_fuzz_finding_free(&r.found[i].f);
  ws_netfuzz_free(r.gen);
  ws_fuzz_target_close(r.target);
  return r.nfound ? WS_EXIT_FAILURES : WS_EXIT_OK;
}

int ws_cmd_fuzz(int argc, char **argv) {
  fuzz_opts o;
  int rc = parse_options(argc, argv, &o);
  if (rc != 0)
    return rc > 0 ? WS_EXIT_OK : WS_EXIT_USAGE;
  char err[512];
  ws_catalogue *cat = ws_catalogue_new(o.seed);
  if (!cat || ws_catalogue_add_builtin(cat, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: fuzz: %s\n", cat ? err : "out of memory");
    ws_catalogue_free(cat);
    return WS_EXIT_USAGE;
  }
  ws_catalogue_sort(cat); /* the input sequence must not depend on file order
                             details beyond the ids */
  rc = fuzz(&o, cat);
  ws_catalogue_free(cat);
  return rc;
}
