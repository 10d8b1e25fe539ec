/* wsprobe test: runs the catalogue against a target, grades every case,
 * writes the reports (results.json, index.html, junit.xml, summary.md) and
 * prints a summary.
 *
 * Threads: the scheduler runs in its own thread so the main thread can wait
 * for either the end of the run or a second SIGINT/SIGTERM. The first signal
 * asks the scheduler to start no new case (running ones finish); the second
 * writes what finished and exits at once. Either way the reports say
 * "interrupted": true and the exit status is 2: the run was not done, even
 * if a case already failed.
 *
 * CI controls (reports/ci_gate.h): --fail-on picks the verdicts that make
 * the status 1; --baseline turns the status into "did anything change"
 * (baseline.h); every report shows each case in the role that gives.
 *
 * --exec-server: the harness owns the server process; what happens when it
 * dies during the run (restart, crash windows, pinning a crash on cases) is
 * test_crash.c. The state both share is struct test_run (test_run.h).
 *
 * ws_test_run is one run; --autobahn-config and --autobahn-report go to
 * test_autobahn.c, which calls it once per server with hooks
 * (test_hooks.h). */
#include "cli/case_record.h"
#include "cli/commands.h"
#include "cli/summary.h"
#include "cli/test_autobahn.h"
#include "cli/test_options.h"
#include "cli/test_run.h"
#include "cli/wire_format.h"
#include "engine/grade.h"
#include "io/exec_server.h"
#include "reports/atomic_file.h"
#include "reports/baseline.h"
#include "reports/ci_gate.h"
#include "reports/report.h"
#include "reports/wire_spill.h"
#include "run/runner.h"
#include "run/scheduler.h"
#include "run/tls_probe.h"
#include "server/echo_server.h"
#include "util/clock.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested; /* the scheduler's stop flag */
static volatile sig_atomic_t hard_stop;
static sem_t wake; /* posted by the scheduler thread's end or a 2nd signal */

static void on_signal(int sig) {
  if (!stop_requested) {
    static const char msg[] = "\nwsprobe: stopping after the running cases "
                              "(again to stop at once)\n";
    stop_requested = 1;
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    return;
  }
  hard_stop = 1;
  signal(sig, SIG_DFL); /* a third one kills, whatever happens */
  sem_post(&wake);      /* async-signal-safe */
}

/* ---- per case ---- */

static size_t index_of(const struct test_run *t, const ws_case *c) {
  for (size_t i = 0; i < t->case_count; i++)
    if (t->cases[i] == c)
      return i;
  return t->case_count;
}

static void print_verbose(const struct test_run *t, const ws_case *c,
                          const ws_observation *obs, const ws_case_result *r) {
  if (t->tty)
    ws_summary_progress_clear(stderr);
  printf("== %s  %s  (%.1f ms)  %s\n", c->id, ws_verdict_name(r->verdict),
         r->duration_ms, c->title ? c->title : "");
  if (r->reason && *r->reason)
    printf("   reason:   %s [%s]\n", r->reason,
           r->reason_code ? r->reason_code : "");
  printf("   expected: %s\n   observed: %s\n", r->expected ? r->expected : "",
         r->observed ? r->observed : "");
  ws_wire_format_observation(stdout, obs);
  putchar('\n');
  fflush(stdout);
}

/* Under t->lock. The first case the target left unrun marks when it stopped
 * answering (the start of that case, ms into the run); the terminal,
 * summary.md and results.json say it once. */
static void note_target_lost(struct test_run *t, const ws_case_result *r) {
  if (!r->reason_code || strcmp(r->reason_code, "target-unavailable") != 0)
    return;
  ws_run_results *res = &t->results;
  double at = (double)(ws_now_ms() - t->t0) - r->duration_ms;
  if (!res->target_lost || at < res->target_lost_ms)
    res->target_lost_ms = at > 0 ? at : 0;
  res->target_lost = true;
  res->target_lost_cases++;
}

static void on_case_done(const ws_case *c, ws_observation *obs, void *ctx) {
  struct test_run *t = ctx;
  ws_case_result r;
  ws_record_grade(c, obs, t->o->wire_all, &r);
  if (t->o->verbose)
    print_verbose(t, c, obs, &r);
  ws_observation_free(obs);
  free(obs);

  pthread_mutex_lock(&t->lock);
  ws_record_bound_wire(&t->wire_budget, &t->results, &r);
  note_target_lost(t, &r);
  size_t at = t->results.case_count, ci = index_of(t, c);
  if (t->span && ci < t->case_count) {
    t->span[2 * ci + 1] = test_since_t0(t);
    t->span[2 * ci] = t->span[2 * ci + 1] - (int64_t)(r.duration_ms * 1000);
  }
  if (ws_results_add(&t->results, &r) == 0)
    t->order[at] = ci;
  else
    ws_case_result_free(&r); /* the count stays right; the row is lost */
  size_t done = t->results.case_count;
  size_t fails = t->results.counts[WS_VERDICT_FAIL];
  size_t errors = t->results.counts[WS_VERDICT_ERROR];
  pthread_mutex_unlock(&t->lock);
  test_watch_server(t);
  if (t->tty)
    ws_summary_progress(stderr, done, t->case_count, fails, errors);
}

/* ---- the end of a run ---- */

/* Results arrive in completion order; the report lists them in catalogue
 * order so two runs compare line by line. */
static void sort_results(struct test_run *t) {
  size_t n = t->results.case_count;
  if (n == 0)
    return; /* stopped before any case ended */
  ws_case_result *sorted = malloc(n * sizeof *sorted);
  size_t *slot = malloc((t->case_count + 1) * sizeof *slot);
  if (!sorted || !slot) {
    free(sorted);
    free(slot);
    return; /* completion order is still a valid report */
  }
  for (size_t i = 0; i <= t->case_count; i++)
    slot[i] = 0;
  for (size_t i = 0; i < n; i++)
    slot[t->order[i]]++;
  for (size_t i = 1; i <= t->case_count; i++)
    slot[i] += slot[i - 1];
  for (size_t i = n; i-- > 0;)
    sorted[--slot[t->order[i]]] = t->results.cases[i];
  memcpy(t->results.cases, sorted, n * sizeof *sorted);
  free(sorted);
  free(slot);
}

/* Called with t->lock held or with no other thread left. The exit status
 * is the CI gate's (ci_gate.h: --fail-on, --baseline), so the reports and
 * the status cannot disagree; 2 when a report could not be written. */
static int finish_run(struct test_run *t, bool interrupted) {
  if (t->tty)
    ws_summary_progress_clear(stderr);
  t->results.interrupted = interrupted;
  t->results.duration_ms = (double)(ws_now_ms() - t->t0);
  sort_results(t);
  ws_gate g = {.fail_on = t->o->fail_on,
               .baseline = t->o->baseline ? &t->baseline : NULL};
  char err[512];
  bool ok = true;
  if (g.baseline && ws_baseline_compare(&t->baseline, &t->results,
                                        t->o->fail_on, &t->outcome) != 0) {
    snprintf(err, sizeof err, "out of memory comparing with the baseline");
    ok = false;
  }
  if (ok)
    ok = ws_record_write_reports(&t->results, &g, t->json_path, t->o->out_dir,
                                 err, sizeof err) == 0;
  if (ok && g.baseline)
    ok =
        ws_baseline_append_json(t->json_path, &t->baseline, t->o->fail_on,
                                &t->results, &t->outcome, err, sizeof err) == 0;
  if (ok && t->o->write_baseline)
    ok = ws_baseline_write_text(&t->results, t->o->write_baseline, err,
                                sizeof err) == 0;
  if (ok && t->hooks && t->hooks->after_reports)
    ok = t->hooks->after_reports(t->hooks->ctx, &t->results, err, sizeof err) ==
         0;
  if (!ok)
    fprintf(stderr, "wsprobe: %s\n", err);
  char why[512];
  int rc = ws_gate_explain(&g, &t->results, why, sizeof why);
  if (t->server_lost)
    rc = WS_EXIT_USAGE; /* also interrupted: explain says so */
  if (!ok) {
    rc = WS_EXIT_USAGE;
    snprintf(why, sizeof why, "the reports could not be written");
  }
  ws_summary_print(stdout, &t->results, &g, g.baseline ? &t->outcome : NULL,
                   ok ? t->json_path : NULL, WS_SUMMARY_MAX_LISTED);
  if (ok)
    ws_summary_print_reports(stdout, t->o->out_dir);
  ws_summary_print_status(stdout, rc, why);
  fflush(stdout);
  return rc;
}

/* ---- setup ---- */

static int prepare_json_path(struct test_run *t) {
  const ws_test_options *o = t->o;
  /* The directories are made now so a bad --write-baseline or --out fails
   * before the run. */
  char err[512];
  if (o->write_baseline &&
      ws_baseline_prepare_path(o->write_baseline, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: --write-baseline: %s\n", err);
    return -1;
  }
  if (ws_make_dirs(o->out_dir, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: test: %s\n", err);
    return -1;
  }
  if (o->json_path)
    snprintf(t->json_path, sizeof t->json_path, "%s", o->json_path);
  else if (ws_record_sub_path(t->json_path, sizeof t->json_path, o->out_dir,
                              "results.json") != 0) {
    fprintf(stderr, "wsprobe: test: --out: path too long\n");
    return -1;
  }
  return 0;
}

static void fill_run_header(struct test_run *t, const char *target) {
  ws_run_results *r = &t->results;
  const ws_test_options *o = t->o;
  ws_results_stamp(r);
  r->target = strdup(target);
  r->agent =
      strdup(o->agent         ? o->agent
             : o->url         ? target
             : o->exec_server ? o->exec_server
                              : "wsprobe reference server " WSPROBE_VERSION);
  r->seed = o->seed;
  r->timeout_scale = o->timeout_scale;
  snprintf(r->profile, sizeof r->profile, "%s", ws_profile_name(o->profile));
  r->selected = t->case_count;
}

struct sched_args {
  struct test_run *t;
  const ws_run_options *run;
  bool finished;
};

static void *scheduler_thread(void *arg) {
  struct sched_args *a = arg;
  ws_schedule_options so = {.jobs = a->t->o->jobs,
                            .stop = &stop_requested,
                            .done = on_case_done,
                            .ctx = a->t};
  /* An owned server comes back after a crash: the cases refused meanwhile
   * are crash suspects, not a sign that the target is gone for good. */
  if (a->t->server)
    so.unreachable_after = INT_MAX;
  ws_schedule_run(a->t->cases, a->t->case_count, a->run, &so);
  a->finished = true;
  sem_post(&wake);
  return NULL;
}

static void install_signals(void) {
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a peer's reset must not kill the run */
}

/* Runs the selected cases; returns the exit status. */
static int run_cases(struct test_run *t, ws_run_options *run,
                     const char *target) {
  char err[512];
  switch (ws_run_preflight(run, err, sizeof err)) {
  case WS_PREFLIGHT_OK:
    break;
  case WS_PREFLIGHT_INVALID_101:
    /* A conformance failure, not a run that cannot be done: every case that
     * needs the handshake fails with the reason, and the reports say so. */
    fprintf(stderr,
            "wsprobe: test: %s: %s; running the catalogue: every case that "
            "needs the opening handshake will fail\n",
            target, err);
    break;
  case WS_PREFLIGHT_REFUSED:
    fprintf(stderr,
            "wsprobe: test: %s: %s to a valid opening handshake (check the "
            "URL's path, or give the headers it needs with --header)\n",
            target, err);
    return WS_EXIT_USAGE;
  case WS_PREFLIGHT_UNREACHABLE:
    fprintf(stderr, "wsprobe: test: %s: %s\n", target, err);
    return WS_EXIT_USAGE;
  }
  fill_run_header(t, target);
  if (run->url.secure) {
    /* The preflight's handshake went through, so this one fails only if
     * the target changed its mind: that is said the same way. */
    char session[512];
    if (ws_run_tls_session(run, session, sizeof session) != 0) {
      fprintf(stderr, "wsprobe: test: %s: %s\n", target, session);
      return WS_EXIT_USAGE;
    }
    t->results.tls = strdup(session);
  }
  t->t0 = ws_now_ms();
  t->t0_us = test_since_t0(t); /* t0_us is 0 here: the clock's raw value */
  t->run = run;
  struct sched_args args = {.t = t, .run = run};
  pthread_t thread;
  if (sem_init(&wake, 0, 0) != 0 ||
      pthread_create(&thread, NULL, scheduler_thread, &args) != 0) {
    fprintf(stderr, "wsprobe: test: cannot start the scheduler thread\n");
    return WS_EXIT_USAGE;
  }
  while (sem_wait(&wake) != 0 && errno == EINTR)
    ;
  if (hard_stop && !args.finished) {
    pthread_mutex_lock(&t->lock);
    finish_run(t, true);
    if (t->server)
      ws_exec_server_stop(t->server); /* no orphan left behind */
    _exit(WS_EXIT_USAGE); /* running cases are abandoned on purpose */
  }
  pthread_join(thread, NULL);
  sem_destroy(&wake); /* one process may run several times (test_hooks.h) */
  if (t->server) {
    usleep(RERUN_WATCH_MS * 1000); /* a crash on the last case */
    test_watch_server(t);
    test_resolve_crashes(t, stop_requested != 0);
  }
  return finish_run(t, stop_requested != 0);
}

static void *serve(void *server) {
  ws_echo_server_run(server);
  return NULL;
}

static int parse_url(const char *text, ws_url *url) {
  char err[256];
  if (ws_url_parse(text, url, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: test: %s\n", err);
    return -1;
  }
  return 0;
}

/* A URL target; wss:// gets its TLS context (--ca, --insecure, --cert,
 * --key), built once and shared by every case. */
static int run_url(struct test_run *t, ws_run_options *run) {
  if (parse_url(t->o->url, &run->url) != 0)
    return WS_EXIT_USAGE;
  if (run->url.secure) {
    run->tls = ws_tls_options_context(&t->o->tls, "test");
    if (!run->tls)
      return WS_EXIT_USAGE;
    run->tls_name = t->o->tls.sni;
  }
  int rc = run_cases(t, run, t->o->url);
  ws_tls_context_free(run->tls);
  run->tls = NULL;
  return rc;
}

/* How long the --exec-server command gets to start listening (times
 * --timeout-scale). */
#define EXEC_STARTUP_MS 10000

/* --exec-server: start it, run, stop it whatever happened. */
static int run_exec_server(struct test_run *t, ws_run_options *run) {
  char err[512], text[WS_URL_PATH_MAX + 64];
  int startup = (int)(EXEC_STARTUP_MS * t->o->timeout_scale);
  t->span = calloc(2 * t->case_count + 2, sizeof *t->span);
  if (!t->span) {
    fprintf(stderr, "wsprobe: test: out of memory\n");
    return WS_EXIT_USAGE;
  }
  if (ws_exec_server_start(t->o->exec_server, startup, &t->server, err,
                           sizeof err) != 0) {
    fprintf(stderr, "wsprobe: test: --exec-server: %s\n", err);
    t->server = NULL;
    return WS_EXIT_USAGE;
  }
  snprintf(text, sizeof text, "ws://127.0.0.1:%u%s",
           (unsigned)ws_exec_server_port(t->server),
           t->o->path ? t->o->path : "/");
  int rc =
      parse_url(text, &run->url) == 0 ? run_cases(t, run, text) : WS_EXIT_USAGE;
  ws_exec_server_stop(t->server);
  t->server = NULL;
  return rc;
}

/* Starts the reference server on a free loopback port for a run without a
 * URL, or parses the URL. */
static int run_target(struct test_run *t, ws_run_options *run) {
  char err[256], text[64];
  if (t->o->exec_server)
    return run_exec_server(t, run);
  if (t->o->url)
    return run_url(t, run);
  ws_echo_server_options so;
  ws_echo_server_options_defaults(&so);
  ws_echo_server *server;
  int rc = ws_echo_server_open(&so, &server);
  if (rc < 0) {
    fprintf(stderr, "wsprobe: test: cannot start the reference server: %s\n",
            strerror(-rc));
    return WS_EXIT_USAGE;
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, serve, server) != 0) {
    ws_echo_server_close(server);
    fprintf(stderr, "wsprobe: test: cannot start a thread\n");
    return WS_EXIT_USAGE;
  }
  snprintf(text, sizeof text, "ws://127.0.0.1:%u/",
           (unsigned)ws_echo_server_port(server));
  ws_url_parse(text, &run->url, err, sizeof err);
  rc = run_cases(t, run, text);
  ws_echo_server_stop(server);
  pthread_join(thread, NULL);
  ws_echo_server_close(server);
  return rc;
}

static int select_cases(struct test_run *t, const ws_catalogue *cat) {
  char err[512];
  const ws_test_hooks *h = t->hooks;
  int rc =
      h && h->select
          ? h->select(h->ctx, cat, &t->cases, &t->case_count, err, sizeof err)
          : ws_test_select_cases(cat, t->o->patterns, t->o->excludes, &t->cases,
                                 &t->case_count, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "wsprobe: test: %s\n", err);
    return -1;
  }
  if (t->case_count == 0) {
    fprintf(stderr, "wsprobe: test: no case selected\n");
    return -1;
  }
  t->order = calloc(t->case_count, sizeof *t->order);
  if (!t->order) {
    fprintf(stderr, "wsprobe: test: out of memory\n");
    return -1;
  }
  return 0;
}

static bool in_catalogue(const char *id, void *cat) {
  return ws_catalogue_find(cat, id) != NULL;
}

/* A bad baseline is a usage error found before anything runs. An id that
 * no case has is only a warning (said again in the summary and
 * summary.md): a case removed from the catalogue must not break CI, but a
 * typo must not go unseen either. */
static int load_baseline(struct test_run *t, ws_catalogue *cat) {
  char err[1024];
  if (!t->o->baseline)
    return 0;
  if (ws_baseline_load(t->o->baseline, &t->baseline, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: --baseline: %s\n", err);
    return -1;
  }
  ws_baseline_mark_unknown(&t->baseline, in_catalogue, cat);
  if (t->baseline.unknown_count) {
    ws_baseline_unknown_list(&t->baseline, err, sizeof err);
    fprintf(stderr,
            "wsprobe: warning: --baseline %s lists %zu id%s that no case "
            "has (ignored): %s\n",
            t->o->baseline, t->baseline.unknown_count,
            t->baseline.unknown_count == 1 ? "" : "s", err);
  }
  return 0;
}

static void free_run(struct test_run *t) {
  ws_results_free(&t->results);
  ws_baseline_free(&t->baseline);
  ws_baseline_outcome_free(&t->outcome);
  for (size_t i = 0; i < t->crash_count; i++)
    free(t->crashes[i].exit.stderr_tail);
  free(t->crashes);
  free(t->span);
  free(t->cases);
  free(t->order);
  pthread_mutex_destroy(&t->lock);
}

int ws_cmd_test(int argc, char **argv) {
  ws_test_options o;
  int rc = ws_test_options_parse(argc, argv, &o);
  if (rc != 0) {
    ws_test_options_free(&o);
    return rc > 0 ? WS_EXIT_OK : WS_EXIT_USAGE;
  }
  rc = o.autobahn_config || o.autobahn_report ? ws_test_autobahn(&o)
                                              : ws_test_run(&o, NULL);
  ws_test_options_free(&o);
  return rc;
}

int ws_test_run(const ws_test_options *o, const ws_test_hooks *hooks) {
  struct test_run t = {
      .o = o,
      .hooks = hooks,
      .tty = isatty(STDERR_FILENO) == 1,
      .stop = &stop_requested,
  };
  ws_wire_budget_init(&t.wire_budget);
  pthread_mutex_init(&t.lock, NULL);
  ws_results_init(&t.results);
  /* From the start: a Ctrl-C while the catalogue loads or the preflight
   * runs ends the run like one during the cases (reports, exit 2), instead
   * of killing the process with nothing written. */
  install_signals();
  char err[1024];
  ws_catalogue *cat = ws_test_load_catalogue(WS_ROLE_CLIENT, o->seed,
                                             &o->sources, err, sizeof err);
  int rc = WS_EXIT_USAGE;
  if (!cat)
    fprintf(stderr, "wsprobe: %s\n", err);
  else if (load_baseline(&t, cat) == 0 && select_cases(&t, cat) == 0 &&
           prepare_json_path(&t) == 0) {
    ws_run_options run = {.timeout_scale = o->timeout_scale,
                          .seed = o->seed,
                          .origin = o->origin,
                          .extra_headers = o->extra_headers,
                          .record_all_wire = o->wire_all,
                          .wire_max = ws_test_effective_wire_max(o),
                          .profile = o->profile};
    rc = run_target(&t, &run);
  }
  free_run(&t);
  if (cat)
    ws_catalogue_free(cat);
  return rc;
}
