/* wsprobe test: runs the catalogue against a target, grades every case,
 * writes results.json and prints a summary.
 *
 * Threads: the scheduler runs in its own thread so the main thread can wait
 * for either the end of the run or a second SIGINT/SIGTERM. The first signal
 * asks the scheduler to start no new case (running ones finish); the second
 * writes what finished and exits at once. Either way results.json says
 * "interrupted": true and the exit status is 2: the run was not done, even
 * if a case already failed. */
#include "clock.h"
#include "commands.h"
#include "echo_server.h"
#include "grade.h"
#include "runner.h"
#include "scheduler.h"
#include "summary.h"
#include "test_options.h"
#include "wire_format.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

struct test_run {
  const ws_test_options *o;
  const ws_case **cases;
  size_t case_count;
  ws_run_results results;
  size_t *order;        /* per result: its case's index in `cases` */
  pthread_mutex_t lock; /* results, against the hard-stop writer */
  bool tty;
  int64_t t0;
  char json_path[4096];
};

/* ---- per case ---- */

static size_t index_of(const struct test_run *t, const ws_case *c) {
  for (size_t i = 0; i < t->case_count; i++)
    if (t->cases[i] == c)
      return i;
  return t->case_count;
}

/* When grading itself runs out of memory the case still gets a row. */
static void minimal_error(const ws_case *c, ws_case_result *r) {
  memset(r, 0, sizeof *r);
  r->id = strdup(c->id);
  r->verdict = WS_VERDICT_ERROR;
  r->reason_code = strdup("harness");
  r->reason = strdup("out of memory while grading the case");
  r->close_by = "none";
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

static void on_case_done(const ws_case *c, ws_observation *obs, void *ctx) {
  struct test_run *t = ctx;
  ws_case_result r = {0};
  if (ws_grade_case(c, obs, t->o->wire_all, &r) != 0)
    minimal_error(c, &r);
  if (t->o->verbose)
    print_verbose(t, c, obs, &r);
  ws_observation_free(obs);
  free(obs);

  pthread_mutex_lock(&t->lock);
  size_t at = t->results.case_count;
  if (ws_results_add(&t->results, &r) == 0)
    t->order[at] = index_of(t, c);
  else
    ws_case_result_free(&r); /* the count stays right; the row is lost */
  size_t done = t->results.case_count;
  size_t fails = t->results.counts[WS_VERDICT_FAIL];
  size_t errors = t->results.counts[WS_VERDICT_ERROR];
  pthread_mutex_unlock(&t->lock);
  if (t->tty)
    ws_summary_progress(stderr, done, t->case_count, fails, errors);
}

/* ---- the end of a run ---- */

/* Results arrive in completion order; the report lists them in catalogue
 * order so two runs compare line by line. */
static void sort_results(struct test_run *t) {
  size_t n = t->results.case_count;
  ws_case_result *sorted = malloc((n ? n : 1) * sizeof *sorted);
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

static int exit_status(const ws_run_results *r) {
  if (r->interrupted)
    return WS_EXIT_USAGE;
  if (r->counts[WS_VERDICT_FAIL])
    return WS_EXIT_FAILURES;
  /* A case the harness could not run leaves the run incomplete. */
  return r->counts[WS_VERDICT_ERROR] ? WS_EXIT_USAGE : WS_EXIT_OK;
}

/* Called with t->lock held or with no other thread left. */
static int finish_run(struct test_run *t, bool interrupted) {
  if (t->tty)
    ws_summary_progress_clear(stderr);
  t->results.interrupted = interrupted;
  t->results.duration_ms = (double)(ws_now_ms() - t->t0);
  sort_results(t);
  char err[512];
  int rc = exit_status(&t->results);
  const char *written = t->json_path;
  if (ws_results_write_json(&t->results, t->json_path, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: %s\n", err);
    written = NULL;
    rc = WS_EXIT_USAGE;
  }
  ws_summary_print(stdout, &t->results, written, WS_SUMMARY_MAX_LISTED);
  fflush(stdout);
  return rc;
}

/* ---- setup ---- */

static int make_dirs(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int prepare_json_path(struct test_run *t) {
  const ws_test_options *o = t->o;
  if (o->json_path) {
    snprintf(t->json_path, sizeof t->json_path, "%s", o->json_path);
    return 0;
  }
  if (make_dirs(o->out_dir) != 0) {
    fprintf(stderr, "wsprobe: test: cannot create %s: %s\n", o->out_dir,
            strerror(errno));
    return -1;
  }
  snprintf(t->json_path, sizeof t->json_path, "%s/results.json", o->out_dir);
  return 0;
}

static void fill_run_header(struct test_run *t, const char *target) {
  ws_run_results *r = &t->results;
  const ws_test_options *o = t->o;
  r->tool_version = strdup(WSPROBE_VERSION);
  r->target = strdup(target);
  r->agent = strdup(o->agent ? o->agent
                    : o->url ? target
                             : "wsprobe reference server " WSPROBE_VERSION);
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  r->started_at = strdup(when);
  r->seed = o->seed;
  r->timeout_scale = o->timeout_scale;
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
static int run_cases(struct test_run *t, const ws_run_options *run,
                     const char *target) {
  char err[512];
  if (ws_run_preflight(run, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: test: %s: %s\n", target, err);
    return WS_EXIT_USAGE;
  }
  fill_run_header(t, target);
  t->t0 = ws_now_ms();
  struct sched_args args = {.t = t, .run = run};
  pthread_t thread;
  if (sem_init(&wake, 0, 0) != 0 ||
      pthread_create(&thread, NULL, scheduler_thread, &args) != 0) {
    fprintf(stderr, "wsprobe: test: cannot start the scheduler thread\n");
    return WS_EXIT_USAGE;
  }
  install_signals();
  while (sem_wait(&wake) != 0 && errno == EINTR)
    ;
  if (hard_stop && !args.finished) {
    pthread_mutex_lock(&t->lock);
    finish_run(t, true);
    _exit(WS_EXIT_USAGE); /* running cases are abandoned on purpose */
  }
  pthread_join(thread, NULL);
  return finish_run(t, stop_requested != 0);
}

static void *serve(void *server) {
  ws_echo_server_run(server);
  return NULL;
}

/* Starts the reference server on a free loopback port for a run without a
 * URL, or parses the URL. */
static int run_target(struct test_run *t, ws_run_options *run) {
  char err[256], text[64];
  if (t->o->url) {
    if (ws_url_parse(t->o->url, &run->url, err, sizeof err) != 0) {
      fprintf(stderr, "wsprobe: test: %s\n", err);
      return WS_EXIT_USAGE;
    }
    if (run->url.secure) {
      fprintf(stderr, "wsprobe: test: wss:// is not supported yet\n");
      return WS_EXIT_USAGE;
    }
    return run_cases(t, run, t->o->url);
  }
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
  if (ws_test_select_cases(cat, t->o->patterns, t->o->excludes, &t->cases,
                           &t->case_count, err, sizeof err) != 0) {
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

int ws_cmd_test(int argc, char **argv) {
  ws_test_options o;
  int rc = ws_test_options_parse(argc, argv, &o);
  if (rc != 0) {
    ws_test_options_free(&o);
    return rc > 0 ? WS_EXIT_OK : WS_EXIT_USAGE;
  }
  struct test_run t = {.o = &o, .tty = isatty(STDERR_FILENO) == 1};
  pthread_mutex_init(&t.lock, NULL);
  ws_results_init(&t.results);
  char err[1024];
  ws_catalogue *cat =
      ws_test_load_catalogue(o.seed, &o.sources, err, sizeof err);
  rc = WS_EXIT_USAGE;
  if (!cat)
    fprintf(stderr, "wsprobe: %s\n", err);
  else if (select_cases(&t, cat) == 0 && prepare_json_path(&t) == 0) {
    ws_run_options run = {.timeout_scale = o.timeout_scale,
                          .seed = o.seed,
                          .origin = o.origin,
                          .extra_headers = o.extra_headers,
                          .record_all_wire = o.wire_all};
    rc = run_target(&t, &run);
  }
  ws_results_free(&t.results);
  free(t.cases);
  free(t.order);
  if (cat)
    ws_catalogue_free(cat);
  pthread_mutex_destroy(&t.lock);
  ws_test_options_free(&o);
  return rc;
}
