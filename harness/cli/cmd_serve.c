/* wsprobe serve: the harness as the server for clients under test
 * (run/serve.h speaks the URL protocol and plays the cases; serve_book.h
 * keeps each agent's results and writes its reports).
 *
 * Threads: without --exec the main thread accepts until SIGINT/SIGTERM,
 * then writes every agent's reports. With --exec the accept loop runs in its
 * own thread and the main thread starts the client once per case
 * (io/exec_client.h), waits for it and for the case's result, and notes how
 * the client ended in that result; then it writes the reports and exits
 * with the CI gate's status.
 *
 * `alive` in the server role: the harness cannot open a connection to a
 * client, so the predicate holds unless the --exec client died of a signal
 * or printed a sanitizer report during the case (cases/FORMAT.md). */
#include "cli/commands.h"
#include "cli/serve_book.h"
#include "cli/serve_options.h"
#include "cli/serve_page.h"
#include "io/exec_client.h"
#include "reports/atomic_file.h"
#include "run/serve.h"
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long past the case deadline the --exec client may run, and how long
 * its case's result may take to arrive once it ended (times the scale). */
#define EXEC_SLACK_MS 5000
#define RESULT_WAIT_MS 3000
/* Connections still running when serve stops get this long to finish. */
#define DRAIN_MS 2000

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

typedef struct serve_cmd {
  const ws_serve_cli *o;
  const ws_case **cases;
  size_t case_count;
  serve_book book;
  char target[300];
  /* --exec: the case being run; its observation is held until the client's
   * end is known (then `alive` can be graded). */
  pthread_mutex_t lock;
  bool exec_waiting;
  size_t still_running; /* connections left running at the end */
  size_t exec_index;
  ws_observation *exec_obs;
} serve_cmd;

static void record(serve_cmd *x, const char *agent, size_t index,
                   ws_observation *obs, const ws_exec_client_result *client);

/* ---- hooks (connection threads) ---- */

static void case_done(void *ctx, const char *agent, size_t index,
                      ws_observation *obs) {
  serve_cmd *x = ctx;
  pthread_mutex_lock(&x->lock);
  bool held = x->exec_waiting && !x->exec_obs && index == x->exec_index &&
              strcmp(agent, x->o->agent) == 0;
  if (held)
    x->exec_obs = obs;
  pthread_mutex_unlock(&x->lock);
  if (!held)
    record(x, agent, index, obs, NULL);
}

static int case_status(void *ctx, const char *agent, size_t index, char *out,
                       size_t cap) {
  serve_cmd *x = ctx;
  return serve_book_status(&x->book, agent, index, out, cap);
}

static int update_reports(void *ctx, const char *agent, char *err, size_t cap) {
  serve_cmd *x = ctx;
  return serve_book_write(&x->book, agent, err, cap);
}

/* ---- grading ---- */

static bool client_crashed(const ws_exec_client_result *c) {
  return (c->exit.signaled && !c->killed) ||
         ws_exec_tail_has_sanitizer_report(c->exit.stderr_tail);
}

/* What the --exec client did, appended to the result's observed text:
 * its exit status or signal and the last bytes of its stderr. A crash (a
 * signal we did not send, a sanitizer report) fails the case, as a server
 * crash does under `test --exec-server`. */
static void note_client(ws_case_result *r, const ws_exec_client_result *c) {
  char how[160];
  if (c->killed)
    snprintf(how, sizeof how,
             "client killed after %.0f ms (it outlived the case deadline)",
             c->duration_ms);
  else if (c->exit.signaled)
    snprintf(how, sizeof how, "client died of signal %d (%s)", c->exit.signal,
             strsignal(c->exit.signal));
  else
    snprintf(how, sizeof how, "client exited with status %d", c->exit.status);
  const char *tail = c->exit.stderr_tail ? c->exit.stderr_tail : "";
  size_t keep = strlen(tail) > 4096 ? 4096 : strlen(tail);
  tail += strlen(tail) - keep;
  size_t n = strlen(r->observed ? r->observed : "") + keep + 256;
  char *observed = malloc(n);
  if (!observed)
    return;
  snprintf(observed, n, "%s%s%s%s%s", r->observed ? r->observed : "",
           r->observed && *r->observed ? "\n" : "", how,
           keep ? "\nclient stderr (last bytes):\n" : "", tail);
  free(r->observed);
  r->observed = observed;
  if (!client_crashed(c) || r->verdict == WS_VERDICT_ERROR)
    return;
  char *code = strdup("client-crash"), *why = strdup(how);
  if (!code || !why) {
    free(code);
    free(why);
    return;
  }
  free(r->reason_code);
  free(r->reason);
  r->reason_code = code;
  r->reason = why;
  r->verdict = WS_VERDICT_FAIL;
}

/* Grades a played case and hands the result to the book. */
static void record(serve_cmd *x, const char *agent, size_t index,
                   ws_observation *obs, const ws_exec_client_result *client) {
  const ws_case *c = x->cases[index];
  if (c->uses_alive && obs->alive < 0)
    obs->alive = client && client_crashed(client) ? 0 : 1;
  ws_case_result r;
  ws_record_grade(c, obs, x->o->wire_all, &r);
  ws_observation_free(obs);
  free(obs);
  if (client)
    note_client(&r, client);
  serve_book_record(&x->book, agent, index, &r);
}

/* ---- --exec ---- */

/* The runCase URL of case index for the --exec agent (URL-encoded). */
static void case_url(const serve_cmd *x, size_t index, char *out, size_t cap) {
  char agent[3 * WS_SERVE_AGENT_MAX + 1];
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)x->o->agent; *p; p++) {
    bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9') || strchr("-._~", *p);
    n += (size_t)snprintf(agent + n, sizeof agent - n, plain ? "%c" : "%%%02X",
                          *p);
  }
  snprintf(out, cap, "%srunCase?case=%zu&agent=%s", x->target, index + 1,
           agent);
}

/* Runs the client for case index and records the case. -1 when the client
 * cannot be started at all (the run cannot be done). */
static int exec_case(serve_cmd *x, size_t index) {
  const ws_serve_cli *o = x->o;
  const ws_case *c = x->cases[index];
  char url[sizeof x->target + 3 * WS_SERVE_AGENT_MAX + 64], err[512];
  case_url(x, index, url, sizeof url);
  pthread_mutex_lock(&x->lock);
  x->exec_waiting = true;
  x->exec_index = index;
  x->exec_obs = NULL;
  pthread_mutex_unlock(&x->lock);
  /* The case deadline grows with the profile's stream messages, as the
   * session's does. */
  uint64_t plain = ws_case_stream_messages(c, WS_PROFILE_DEFAULT);
  uint64_t chosen = ws_case_stream_messages(c, o->profile);
  double ratio = plain > 0 && chosen > plain ? (double)chosen / plain : 1.0;
  int64_t budget =
      (int64_t)((c->timeout_ms * ratio + EXEC_SLACK_MS) * o->timeout_scale);
  ws_exec_client_result client;
  if (ws_exec_client_run(o->exec, url, ws_now_ms() + budget, &client, err,
                         sizeof err) != 0) {
    fprintf(stderr, "wsprobe: serve: --exec: %s\n", err);
    pthread_mutex_lock(&x->lock);
    x->exec_waiting = false;
    pthread_mutex_unlock(&x->lock);
    return -1;
  }
  /* The case ends when the client's connection does, which may be a little
   * after the process (or never, when it did not connect). */
  int64_t until = ws_now_ms() + (int64_t)(RESULT_WAIT_MS * o->timeout_scale);
  pthread_mutex_lock(&x->lock);
  while (!x->exec_obs && ws_now_ms() < until) {
    pthread_mutex_unlock(&x->lock);
    usleep(10000);
    pthread_mutex_lock(&x->lock);
  }
  ws_observation *obs = x->exec_obs;
  x->exec_obs = NULL;
  x->exec_waiting = false;
  pthread_mutex_unlock(&x->lock);
  if (!obs && (obs = malloc(sizeof *obs)) != NULL) {
    ws_observation_init(obs);
    (void)ws_obs_set_error(obs, "the client never played the case (no "
                                "runCase connection for it)");
  }
  if (obs)
    record(x, o->agent, index, obs, &client);
  free(client.exit.stderr_tail);
  return 0;
}

struct accept_args {
  ws_serve *server;
  size_t left;
};

static void *accept_thread(void *arg) {
  struct accept_args *a = arg;
  a->left = ws_serve_run(a->server, DRAIN_MS);
  return NULL;
}

static int run_exec(serve_cmd *x, ws_serve *server) {
  pthread_t thread;
  struct accept_args args = {server, 0};
  if (pthread_create(&thread, NULL, accept_thread, &args) != 0) {
    fprintf(stderr, "wsprobe: serve: cannot start a thread\n");
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; i < x->case_count && !stop_requested && rc == 0; i++)
    rc = exec_case(x, i);
  bool interrupted = stop_requested != 0;
  stop_requested = 1;
  pthread_join(thread, NULL);
  x->still_running = args.left;
  return rc != 0 ? -1 : interrupted ? 1 : 0;
}

/* ---- setup ---- */

static void install_signals(void) {
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a client's reset must not kill serve */
}

static int load_cases(serve_cmd *x, ws_catalogue **cat) {
  char err[1024];
  const ws_serve_cli *o = x->o;
  *cat = ws_test_load_catalogue(WS_ROLE_SERVER, o->seed, &o->sources, err,
                                sizeof err);
  if (!*cat) {
    fprintf(stderr, "wsprobe: %s\n", err);
    return -1;
  }
  if (ws_test_select_cases(*cat, o->patterns, o->excludes, &x->cases,
                           &x->case_count, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: serve: %s\n", err);
    return -1;
  }
  if (x->case_count == 0) {
    fprintf(stderr, "wsprobe: serve: no case the server side can play "
                    "(cases say `role server` or `role both`; see `wsprobe "
                    "list --role server`)\n");
    return -1;
  }
  return 0;
}

static int serve(serve_cmd *x, ws_tls_context *tls) {
  const ws_serve_cli *o = x->o;
  size_t page_len;
  const char *page = ws_serve_page(&page_len);
  size_t max_conn = o->max_connections > 0
                        ? (size_t)o->max_connections
                        : (size_t)WS_SERVE_DEFAULT_CONNECTIONS;
  size_t share = WS_TEST_LIVE_WIRE_BUDGET / max_conn;
  size_t want = o->wire_max ? o->wire_max : WS_OBS_DEFAULT_WIRE_MAX;
  ws_serve_options so = {.host = o->host,
                         .port = o->port,
                         .cases = x->cases,
                         .case_count = x->case_count,
                         .timeout_scale = o->timeout_scale,
                         .seed = o->seed,
                         .profile = o->profile,
                         .wire_max = want < share ? want : share,
                         .tls = tls,
                         .max_connections = o->max_connections,
                         .stop = &stop_requested,
                         .page = page,
                         .page_len = page_len,
                         .hooks = {x, case_done, case_status, update_reports}};
  char err[512];
  ws_serve *server;
  if (ws_serve_open(&so, &server, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: serve: %s\n", err);
    return WS_EXIT_USAGE;
  }
  bool v6 = strchr(o->host, ':') != NULL;
  snprintf(x->target, sizeof x->target, "%s://%s%s%s:%u/", tls ? "wss" : "ws",
           v6 ? "[" : "", o->host, v6 ? "]" : "",
           (unsigned)ws_serve_port(server));
  x->book.target = x->target;
  install_signals();
  printf("wsprobe serve: listening on %s (%zu cases)\n", x->target,
         x->case_count);
  fflush(stdout);
  int state = 0;
  if (o->exec)
    state = run_exec(x, server);
  else
    x->still_running = ws_serve_run(server, DRAIN_MS);
  if (x->still_running > 0)
    fprintf(stderr,
            "wsprobe: serve: %zu connection(s) still open %d ms after the "
            "stop: a case they were playing is left out of the reports\n",
            x->still_running, DRAIN_MS);
  int rc = serve_book_close(&x->book, state != 0);
  ws_serve_close(server);
  return state < 0 ? WS_EXIT_USAGE : rc;
}

int ws_cmd_serve(int argc, char **argv) {
  ws_serve_cli o;
  int rc = ws_serve_cli_parse(argc, argv, &o);
  if (rc != 0) {
    ws_serve_cli_free(&o);
    return rc > 0 ? WS_EXIT_OK : WS_EXIT_USAGE;
  }
  serve_cmd x = {.o = &o};
  pthread_mutex_init(&x.lock, NULL);
  serve_book_init(&x.book);
  x.book.out_dir = o.out_dir;
  x.book.seed = o.seed;
  x.book.timeout_scale = o.timeout_scale;
  x.book.profile = ws_profile_name(o.profile);
  x.book.fail_on = o.fail_on;
  ws_catalogue *cat = NULL;
  ws_tls_context *tls = NULL;
  char err[512];
  rc = WS_EXIT_USAGE;
  if (load_cases(&x, &cat) != 0) {
    /* said */
  } else if (o.tls_cert && ws_tls_server_context(o.tls_cert, o.tls_key, &tls,
                                                 err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: serve: %s\n", err);
  } else if (ws_make_dirs(o.out_dir, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: serve: --out: %s\n", err);
  } else {
    x.book.cases = x.cases;
    x.book.case_count = x.case_count;
    rc = serve(&x, tls);
  }
  if (x.still_running > 0)
    return rc; /* their threads still use all of it; the process ends */
  ws_tls_context_free(tls);
  free(x.cases);
  if (cat)
    ws_catalogue_free(cat);
  serve_book_free(&x.book);
  pthread_mutex_destroy(&x.lock);
  ws_serve_cli_free(&o);
  return rc;
}
