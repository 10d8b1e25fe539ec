/* The fuzz target (a URL, an owned process, or the reference server in this
 * process) and the oracle that decides whether an input found something. */
#include "netfuzz/netfuzz.h"

#include "codec/frame.h"
#include "io/exec_server.h"
#include "netfuzz/signature.h"
#include "server/echo_server.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bounds, each multiplied by the timeout scale. A process that failed the
 * liveness probe may be dying: a sanitizer symbolizing its report can take
 * a while before the process actually exits. */
#define DEATH_WAIT_MS 3000
/* A report being written: until it is complete (or the process exits),
 * at most this long... */
#define REPORT_WAIT_MS 10000
/* ...or until stderr has said nothing new for this long: briefly once the
 * report is complete (the exit usually follows at once; a recovering
 * sanitizer's process lives on), longer while it is not (the symbolizer
 * may be starting). */
#define QUIET_DONE_MS 300
#define QUIET_OPEN_MS 2000
/* A patient check (reproducing a finding, where inputs also get ten times
 * their deadline): a crash still on its way after all that. */
#define PATIENT_WAIT_MS 1000
#define POLL_MS 10
#define STUCK_CONFIRM_FACTOR 10
/* Bytes of stderr remembered at a mark, to find the spot again once the
 * kept tail has moved on. */
#define ANCHOR_BYTES 256

struct ws_fuzz_target {
  ws_fuzz_target_options o;
  ws_run_options run;
  char name[512];
  ws_exec_server *exec;
  unsigned reports_seen; /* sanitizer reports in the exec'd stderr */
  /* ws_fuzz_target_mark: the stderr's length then and its last bytes. */
  bool marked;
  size_t mark_len, anchor_len;
  char anchor[ANCHOR_BYTES];
  ws_echo_server *echo;
  pthread_t echo_thread;
};

const char *ws_fuzz_kind_name(enum ws_fuzz_kind kind) {
  switch (kind) {
  case WS_FUZZ_CRASH:
    return "crash";
  case WS_FUZZ_HANG:
    return "hang";
  case WS_FUZZ_STUCK:
    return "stuck";
  default:
    return "none";
  }
}

void ws_fuzz_finding_free(ws_fuzz_finding *f) {
  free(f->details);
  f->details = NULL;
}

/* ---- targets ---- */

static int set_port(ws_fuzz_target *t, uint16_t port, char *err, size_t cap) {
  char url[64];
  snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)port);
  return ws_url_parse(url, &t->run.url, err, (int)cap);
}

static void *echo_main(void *arg) {
  (void)ws_echo_server_run(arg);
  return NULL;
}

static int echo_open(ws_fuzz_target *t, char *err, size_t cap) {
  ws_echo_server_options so;
  ws_echo_server_options_defaults(&so);
  int rc = ws_echo_server_open(&so, &t->echo);
  if (rc < 0) {
    snprintf(err, cap, "cannot start the reference server: %s", strerror(-rc));
    return -1;
  }
  if (pthread_create(&t->echo_thread, NULL, echo_main, t->echo) != 0) {
    ws_echo_server_close(t->echo);
    t->echo = NULL;
    snprintf(err, cap, "cannot start a thread");
    return -1;
  }
  return set_port(t, ws_echo_server_port(t->echo), err, cap);
}

static void echo_close(ws_fuzz_target *t) {
  if (!t->echo)
    return;
  ws_echo_server_stop(t->echo);
  pthread_join(t->echo_thread, NULL);
  ws_echo_server_close(t->echo);
  t->echo = NULL;
}

static int start(ws_fuzz_target *t, char *err, size_t cap) {
  if (t->o.exec) {
    if (ws_exec_server_start(t->o.exec, t->o.startup_ms, &t->exec, err, cap))
      return -1;
    return set_port(t, ws_exec_server_port(t->exec), err, cap);
  }
  if (!t->o.url)
    return echo_open(t, err, cap);
  if (ws_url_parse(t->o.url, &t->run.url, err, (int)cap) != 0)
    return -1;
  if (t->run.url.secure && !t->o.tls) {
    snprintf(err, cap, "wss:// without a TLS context");
    return -1;
  }
  t->run.tls = t->o.tls;
  t->run.tls_name = t->o.tls_name;
  return 0;
}

int ws_fuzz_target_open(const ws_fuzz_target_options *o, ws_fuzz_target **out,
                        char *err, size_t cap) {
  ws_fuzz_target *t = calloc(1, sizeof *t);
  if (!t) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  t->o = *o;
  t->run.timeout_scale = o->timeout_scale;
  t->run.seed = o->seed;
  if (start(t, err, cap) != 0 ||
      ws_run_preflight(&t->run, err, cap) != WS_PREFLIGHT_OK) {
    ws_fuzz_target_close(t);
    return -1;
  }
  snprintf(t->name, sizeof t->name, "%s",
           o->exec  ? o->exec
           : o->url ? o->url
                    : "the reference server (in process)");
  *out = t;
  return 0;
}

void ws_fuzz_target_close(ws_fuzz_target *t) {
  if (!t)
    return;
  ws_exec_server_stop(t->exec);
  echo_close(t);
  free(t);
}

const ws_run_options *ws_fuzz_target_run(const ws_fuzz_target *t) {
  return &t->run;
}

const char *ws_fuzz_target_name(const ws_fuzz_target *t) { return t->name; }

bool ws_fuzz_target_can_restart(const ws_fuzz_target *t) {
  return t->exec || t->echo;
}

int ws_fuzz_target_restart(ws_fuzz_target *t, char *err, size_t cap) {
  t->reports_seen = 0; /* a new process, a new stderr */
  t->marked = false;
  if (t->exec) {
    if (ws_exec_server_restart(t->exec, err, cap) != 0)
      return -1;
    return set_port(t, ws_exec_server_port(t->exec), err, cap);
  }
  if (t->echo) {
    echo_close(t);
    return echo_open(t, err, cap);
  }
  snprintf(err, cap, "a URL target cannot be restarted");
  return -1;
}

/* ---- running inputs ---- */

void ws_fuzz_run_input(const ws_fuzz_target *t, const ws_case *c,
                       uint32_t timeout_ms, ws_observation *obs) {
  ws_case run = *c;
  run.uses_alive = false; /* the oracle probes once, after the input */
  if (timeout_ms)
    run.timeout_ms = timeout_ms;
  ws_run_case(&run, &t->run, obs);
}

/* ---- the oracle ---- */

static int scaled(const ws_fuzz_target *t, int ms) {
  double s = t->o.timeout_scale > 0 ? t->o.timeout_scale : 1.0;
  return (int)(ms * s);
}

static void pause_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

void ws_fuzz_target_mark(ws_fuzz_target *t) {
  t->marked = false;
  if (!t->exec)
    return;
  char *tail = ws_exec_server_stderr(t->exec);
  if (!tail)
    return;
  size_t n = strlen(tail);
  t->mark_len = n;
  t->anchor_len = n < ANCHOR_BYTES ? n : ANCHOR_BYTES;
  memcpy(t->anchor, tail + n - t->anchor_len, t->anchor_len);
  t->marked = true;
  free(tail);
}

/* Where, in tail, the output written since the mark begins (0: all of it,
 * also when the spot is lost). While the kept tail has not wrapped it is the
 * whole output, so the mark's length is the spot; after that, the last place
 * the anchor shows. */
static size_t since_mark(const ws_fuzz_target *t, const char *tail) {
  size_t n = strlen(tail);
  if (!t->marked)
    return 0;
  if (n + 1 < WS_EXEC_STDERR_TAIL && t->mark_len <= n)
    return t->mark_len;
  if (t->anchor_len == 0)
    return 0;
  const char *found = NULL;
  for (const char *p = tail;
       (p = memmem(p, n - (size_t)(p - tail), t->anchor, t->anchor_len)); p++)
    found = p;
  return found ? (size_t)(found - tail) + t->anchor_len : 0;
}

static char *exit_details(const ws_exec_exit *ex, const char *tail) {
  size_t n = strlen(tail) + 256;
  char *d = malloc(n);
  if (!d)
    return NULL;
  if (ex->signaled)
    snprintf(d, n, "the server was killed by signal %d (%s)\n\n%s", ex->signal,
             strsignal(ex->signal), tail);
  else
    snprintf(d, n, "the server exited with status %d\n\n%s", ex->status, tail);
  return d;
}

static char *alive_details(const char *tail) {
  static const char intro[] =
      "the server wrote a sanitizer report and was still running once the "
      "report was complete (a sanitizer that recovers, or a slow exit)\n\n";
  size_t n = sizeof intro + strlen(tail);
  char *d = malloc(n);
  if (d)
    snprintf(d, n, "%s%s", intro, tail);
  return d;
}

/* The crash finding from the stderr tail (owned here) and, when the
 * process is gone, its exit. report_index: the first report not yet turned
 * into a finding. */
static void crash_finding(ws_fuzz_target *t, const ws_exec_exit *ex, char *tail,
                          unsigned report_index, ws_fuzz_finding *f) {
  const char *text = tail ? tail : "";
  ws_fuzz_evidence e = {.kind = WS_FUZZ_CRASH,
                        .exited = ex != NULL,
                        .signaled = ex && ex->signaled,
                        .signal = ex ? ex->signal : 0,
                        .status = ex ? ex->status : 0,
                        .output = text,
                        .recent = since_mark(t, text),
                        .reports_before = report_index};
  f->kind = WS_FUZZ_CRASH;
  ws_fuzz_signature(&e, f->signature, sizeof f->signature);
  f->details = ex ? exit_details(ex, text) : alive_details(text);
  unsigned n = ws_sanitizer_reports(text);
  if (n > t->reports_seen)
    t->reports_seen = n;
  free(tail);
}

/* Waits for a report (index) being written: until the process exits, or
 * the report is complete and stderr has gone quiet, or stderr stays quiet
 * long, or the bound. Returns the tail (heap, may be NULL); *ex is filled
 * and *exited set when the process is gone. */
static char *settle(ws_fuzz_target *t, unsigned index, ws_exec_exit *ex,
                    bool *exited) {
  int64_t now = ws_now_ms(), until = now + scaled(t, REPORT_WAIT_MS);
  int64_t changed = now;
  char *last = NULL;
  *exited = false;
  for (;;) {
    if (ws_exec_server_exited(t->exec, ex)) {
      free(last);
      *exited = true;
      return ex->stderr_tail;
    }
    char *tail = ws_exec_server_stderr(t->exec);
    now = ws_now_ms();
    if (!last || !tail || strcmp(last, tail) != 0)
      changed = now;
    free(last);
    last = tail;
    int quiet =
        ws_sanitizer_report_done(tail, index) ? QUIET_DONE_MS : QUIET_OPEN_MS;
    if (now >= until || now - changed >= scaled(t, quiet))
      return last;
    pause_ms(POLL_MS);
  }
}

/* Exit, or a sanitizer report begun (on its way to an exit, or from a
 * sanitizer that recovers). */
static bool exec_crashed(ws_fuzz_target *t, ws_fuzz_finding *f) {
  ws_exec_exit ex;
  unsigned index = t->reports_seen;
  if (ws_exec_server_exited(t->exec, &ex)) {
    crash_finding(t, &ex, ex.stderr_tail, index, f);
    return true;
  }
  char *tail = ws_exec_server_stderr(t->exec);
  unsigned n = ws_sanitizer_reports(tail);
  free(tail);
  if (n <= index)
    return false;
  bool exited;
  tail = settle(t, index, &ex, &exited);
  crash_finding(t, exited ? &ex : NULL, tail, index, f);
  return true;
}

/* An exit or a new report within ms. */
static bool news_within(ws_fuzz_target *t, int ms) {
  int64_t until = ws_now_ms() + ms;
  for (;;) {
    ws_exec_exit ex;
    if (ws_exec_server_exited(t->exec, &ex)) {
      free(ex.stderr_tail);
      return true;
    }
    char *tail = ws_exec_server_stderr(t->exec);
    unsigned n = ws_sanitizer_reports(tail);
    free(tail);
    if (n > t->reports_seen)
      return true;
    if (ws_now_ms() >= until)
      return false;
    pause_ms(POLL_MS);
  }
}

static bool got_close(const ws_observation *obs) {
  for (size_t i = 0; i < obs->event_count; i++)
    if (obs->events[i].kind == WS_OBS_CLOSE)
      return true;
  return false;
}

bool ws_fuzz_looks_stuck(const ws_case *c, const ws_observation *obs) {
  return ws_netfuzz_cleanly_framed(c) && obs->upgraded && obs->close_sent &&
         obs->deadline_hit && !obs->peer_closed_tcp && !got_close(obs) &&
         !obs->harness_error;
}

/* A slow peer is not a stuck one: the same input again, with far more
 * time. */
static bool confirm_stuck(ws_fuzz_target *t, const ws_case *c) {
  uint32_t base = c->timeout_ms ? c->timeout_ms : WS_CASE_DEFAULT_TIMEOUT_MS;
  ws_observation again;
  ws_observation_init(&again);
  ws_fuzz_run_input(t, c, base * STUCK_CONFIRM_FACTOR, &again);
  bool stuck = ws_fuzz_looks_stuck(c, &again);
  ws_observation_free(&again);
  return stuck;
}

static void hang_finding(const ws_fuzz_target *t, ws_fuzz_finding *f) {
  ws_fuzz_evidence e = {.kind = WS_FUZZ_HANG};
  f->kind = WS_FUZZ_HANG;
  ws_fuzz_signature(&e, f->signature, sizeof f->signature);
  f->details = strdup(
      t->exec ? "after the input, a new connection did not complete a "
                "handshake and an echo within the liveness bound (no "
                "answer), though the server process lives\n"
              : "after the input, a new connection did not complete a "
                "handshake and an echo within the liveness bound (refused, "
                "reset, or no answer); the target may have crashed: with "
                "--exec-server wsprobe tells a crash from a hang and "
                "minimises the input\n");
}

void ws_fuzz_target_check(ws_fuzz_target *t, const ws_case *input,
                          const ws_observation *obs, bool patient,
                          ws_fuzz_finding *f) {
  memset(f, 0, sizeof *f);
  if (t->exec) {
    /* The server neither answered the input's close nor let go of its
     * connection: the thread serving it may be in the middle of a crash
     * (or waiting for the rest of a frame: that costs the wait). */
    if (patient && obs && !obs->peer_closed_tcp && !got_close(obs))
      (void)news_within(t, scaled(t, PATIENT_WAIT_MS));
    if (exec_crashed(t, f))
      return;
  }
  if (!ws_run_liveness(&t->run)) {
    if (t->exec && news_within(t, scaled(t, DEATH_WAIT_MS)) &&
        exec_crashed(t, f))
      return;
    hang_finding(t, f);
    return;
  }
  if (t->exec && exec_crashed(t, f)) /* it broke during the probe */
    return;
  if (input && obs && ws_fuzz_looks_stuck(input, obs) &&
      confirm_stuck(t, input)) {
    ws_fuzz_evidence e = {.kind = WS_FUZZ_STUCK};
    f->kind = WS_FUZZ_STUCK;
    ws_fuzz_signature(&e, f->signature, sizeof f->signature);
    f->details = strdup("the input sent only well-framed frames and a close; "
                        "the peer neither answered the close nor closed TCP "
                        "before the deadline (also with ten times the "
                        "deadline), though new connections were served\n");
  }
}
