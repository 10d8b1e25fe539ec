/* wsprobe fuzz: seeded network mutation fuzzing of a WebSocket server.
 *
 * Inputs come from netfuzz (mutated catalogue cases); after each input (or
 * each batch of --jobs inputs run side by side) the oracle checks the
 * target (netfuzz_target.c). Findings are grouped by signature; the first
 * of each is reproduced, minimised and written as a case file that
 * `wsprobe test --case-file` replays (fuzz_findings.c). The progress
 * display is fuzz_progress.c, the summaries fuzz_summary.c. */
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "cli/fuzz_run.h"
#include "cli/tls_options.h"
#include "reports/atomic_file.h"
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

#define STARTUP_MS 10000
#define DEFAULT_DURATION_MS 60000

volatile sig_atomic_t fuzz_interrupted;

static void on_signal(int sig) {
  (void)sig;
  fuzz_interrupted = 1;
}

/* ---- options ---- */

static void usage(FILE *out) {
  fprintf(
      out,
      "usage: wsprobe fuzz [URL] [--exec-server \"CMD {port}\"] [--seed S]\n"
      "                    [--duration T | --iterations N] [--out DIR]\n"
      "                    [--jobs N] [--timeout-scale F] [-v]\n"
      "                    [--ca FILE | --insecure] [--sni NAME]\n"
      "                    [--cert FILE --key FILE]\n\n"
      "Seeded, structure-aware mutation fuzzing of a WebSocket server: "
      "mutated\ncatalogue cases, each followed by a liveness check. Findings "
      "(crash, hang,\nstuck peer) are grouped by signature (a sanitizer "
      "report's kind and top\nframes, or the exit signal or status and the "
      "error line); the first of each\nis reproduced, minimised and written "
      "as DIR/findings/ID.case, which\n`wsprobe test --case-file F --cases "
      "ID` replays. Without URL or\n--exec-server the built-in reference "
      "server is fuzzed in this process.\nOn a terminal a progress line "
      "shows on stderr; elsewhere a plain line\nevery 10 s (every minute "
      "after the first).\n\n"
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
      "  -v                  describe each finding as it is "
      "found\n" WS_TLS_USAGE "\n"
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
    if (ws_arg_uint("--jobs", optarg, 1, FUZZ_MAX_JOBS, &v) < 0)
      return -1;
    o->jobs = (int)v;
    return 0;
  case 't':
    return parse_scale(optarg, &o->timeout_scale);
  case 'v':
    o->verbose = true;
    return 0;
  default:
    return ws_tls_options_take(c, optarg, &o->tls) ? 0 : -1;
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
      WS_TLS_LONGOPTS,
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
  if (ws_tls_options_check(&o->tls, ws_tls_url_is_wss(o->url), "fuzz") != 0)
    return -1;
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

/* ---- the loop ---- */

static void *run_input(void *arg) {
  fuzz_input *in = arg;
  ws_fuzz_run_input(in->target, &in->c, 0, &in->obs);
  return NULL;
}

static int generate(fuzz_run *r, fuzz_input *in) {
  char id[WS_CASE_ID_MAX + 1];
  in->iteration = ++r->inputs;
  snprintf(id, sizeof id, "fz-%llu", (unsigned long long)in->iteration);
  ws_arena_init(&in->arena, WS_NETFUZZ_ARENA_LIMIT);
  ws_observation_init(&in->obs);
  in->target = r->target;
  return ws_netfuzz_next(r->gen, &in->arena, id, &in->c, in->what,
                         sizeof in->what);
}

static void release(fuzz_input *in, int n) {
  for (int i = 0; i < n; i++) {
    ws_observation_free(&in[i].obs);
    ws_arena_free(&in[i].arena);
  }
}

static bool time_left(fuzz_run *r) {
  if (fuzz_interrupted)
    r->stopped = "interrupted";
  else if (r->o->iterations && r->inputs >= r->o->iterations)
    r->stopped = "iterations";
  else if (r->o->duration_ms && ws_now_ms() - r->t0 >= r->o->duration_ms)
    r->stopped = "duration";
  else if (r->nfound == FUZZ_MAX_FINDINGS)
    r->stopped = "findings";
  return !r->stopped;
}

/* The batch in cur, and the one before it in prev (prev_n inputs; 0 after
 * a restart, which ends whatever they could still have caused). */
typedef struct batches {
  fuzz_input *cur, *prev;
  int cur_n, prev_n;
} batches;

/* Up to --jobs inputs side by side, then one oracle check for all. True
 * when it found something (the target was restarted). */
static bool run_batch(fuzz_run *r, batches *b) {
  fuzz_input *in = b->cur;
  int n = 0;
  while (n < r->o->jobs &&
         (!r->o->iterations || r->inputs < r->o->iterations)) {
    if (generate(r, &in[n]) != 0) {
      release(&in[n], 1); /* an input over its memory bound is skipped */
      continue;
    }
    n++;
  }
  b->cur_n = n;
  ws_fuzz_target_mark(r->target);
  fuzz_progress_running(r->progress, n ? in[0].iteration : 0);
  bool threaded[FUZZ_MAX_JOBS] = {false};
  for (int i = 1; i < n; i++)
    threaded[i] = pthread_create(&in[i].thread, NULL, run_input, &in[i]) == 0;
  for (int i = 0; i < n; i++)
    if (!threaded[i])
      run_input(&in[i]);
  for (int i = 1; i < n; i++)
    if (threaded[i])
      pthread_join(in[i].thread, NULL);
  /* In a batch, the input that may have left its peer stuck is the one
   * the oracle looks at (it confirms on its own). */
  int look = 0;
  for (int i = 0; i < n; i++)
    if (ws_fuzz_looks_stuck(&in[i].c, &in[i].obs)) {
      look = i;
      break;
    }
  ws_fuzz_finding f;
  ws_fuzz_target_check(r->target, n ? &in[look].c : NULL,
                       n ? &in[look].obs : NULL, false, &f);
  fuzz_progress_running(r->progress, 0);
  fuzz_progress_update(r->progress, r->inputs, r->hits, r->nfound);
  if (f.kind == WS_FUZZ_NONE)
    return false;
  /* Suspects, most likely first: the input the oracle looked at, the rest
   * of the batch, then the batch before (a crash that showed late). */
  fuzz_input *suspects[2 * FUZZ_MAX_JOBS];
  int m = 0;
  if (n)
    suspects[m++] = &in[look];
  for (int i = 0; i < n; i++)
    if (i != look)
      suspects[m++] = &in[i];
  for (int i = 0; i < b->prev_n; i++)
    suspects[m++] = &b->prev[i];
  fuzz_found(r, &f, suspects, m);
  return true;
}

static void fuzz_loop(fuzz_run *r) {
  fuzz_input *mem = calloc(2 * (size_t)r->o->jobs, sizeof *mem);
  if (!mem) {
    r->stopped = "out-of-memory";
    return;
  }
  batches b = {.cur = mem, .prev = mem + r->o->jobs};
  while (time_left(r)) {
    bool found = run_batch(r, &b);
    release(b.prev, b.prev_n);
    if (found) { /* the target restarted: nothing left to pin on these */
      release(b.cur, b.cur_n);
      b.cur_n = 0;
    }
    fuzz_input *t = b.prev;
    b.prev = b.cur;
    b.prev_n = b.cur_n;
    b.cur = t;
    b.cur_n = 0;
  }
  release(b.prev, b.prev_n);
  free(mem);
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
  fuzz_run r = {.o = o};
  if (ws_make_dirs(o->out_dir, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: fuzz: %s\n", err);
    return WS_EXIT_USAGE;
  }
  ws_fuzz_target_options to = {.url = o->url,
                               .exec = o->exec,
                               .startup_ms =
                                   (int)(STARTUP_MS * o->timeout_scale),
                               .timeout_scale = o->timeout_scale,
                               .seed = o->seed,
                               .tls_name = o->tls.sni};
  signal(SIGPIPE, SIG_IGN);
  if (ws_tls_url_is_wss(o->url) &&
      !(to.tls = ws_tls_options_context(&o->tls, "fuzz")))
    return WS_EXIT_USAGE;
  if (ws_fuzz_target_open(&to, &r.target, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: fuzz: %s\n", err);
    ws_tls_context_free(to.tls);
    return WS_EXIT_USAGE;
  }
  r.gen = ws_netfuzz_new(cat, o->seed, 0);
  if (!r.gen) {
    ws_fuzz_target_close(r.target);
    ws_tls_context_free(to.tls);
    fprintf(stderr, "wsprobe: fuzz: out of memory\n");
    return WS_EXIT_USAGE;
  }
  fprintf(stderr, "fuzz: seed %llu, target %s\n", (unsigned long long)o->seed,
          ws_fuzz_target_name(r.target));
  install_signals();
  r.t0 = ws_now_ms();
  r.progress = fuzz_progress_start(stderr, STDERR_FILENO, r.t0, o->duration_ms,
                                   o->iterations);
  fuzz_loop(&r);
  fuzz_progress_stop(r.progress); /* clears the line before the summary */
  r.progress = NULL;
  fuzz_print_summary(&r);
  fuzz_write_summary(&r);
  for (unsigned i = 0; i < r.nfound; i++)
    ws_fuzz_finding_free(&r.found[i].f);
  ws_netfuzz_free(r.gen);
  ws_fuzz_target_close(r.target);
  ws_tls_context_free(to.tls);
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
