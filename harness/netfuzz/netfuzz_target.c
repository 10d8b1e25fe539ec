/* The fuzz target (a URL, an owned process, or the reference server in this
 * process) and the oracle that decides whether an input found something. */
#include "netfuzz/netfuzz.h"

#include "codec/frame.h"
#include "io/exec_server.h"
#include "server/echo_server.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A sanitizer symbolizing its report can take a while before the process
 * actually exits. */
#define DEATH_WAIT_MS 3000
#define STUCK_CONFIRM_FACTOR 10

struct ws_fuzz_target {
  ws_fuzz_target_options o;
  ws_run_options run;
  char name[512];
  ws_exec_server *exec;
  unsigned reports_seen; /* sanitizer reports in the exec'd stderr */
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
  if (t->run.url.secure) {
    snprintf(err, cap, "wss:// is not supported yet");
    return -1;
  }
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

/* "heap-buffer-overflow" from "ERROR: AddressSanitizer: heap-buffer-overflow
 * on address ...", and the first frame outside the sanitizer runtime from
 * "    #0 0x... in FUNC file:line". */
static void crash_site(const char *tail, char *out, size_t cap) {
  out[0] = '\0';
  if (!tail)
    return;
  char kind[64] = "", func[96] = "";
  const char *e = strstr(tail, "Sanitizer: ");
  if (e)
    sscanf(e + 11, "%63s", kind);
  for (const char *p = strstr(tail, "#"); p && !func[0];
       p = strstr(p + 1, "#")) {
    const char *in = strstr(p, " in ");
    const char *eol = strchr(p, '\n');
    if (!in || (eol && in > eol))
      continue;
    char f[96];
    if (sscanf(in + 4, "%95s", f) == 1 && strncmp(f, "__", 2) != 0)
      snprintf(func, sizeof func, "%s", f);
  }
  snprintf(out, cap, "%s%s%s", kind, kind[0] && func[0] ? " in " : "", func);
}

static char *exit_details(const ws_exec_exit *ex) {
  const char *tail = ex->stderr_tail ? ex->stderr_tail : "";
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

static void crash_finding(ws_exec_exit *ex, ws_fuzz_finding *f) {
  char site[160];
  crash_site(ex->stderr_tail, site, sizeof site);
  f->kind = WS_FUZZ_CRASH;
  if (ex->signaled)
    snprintf(f->signature, sizeof f->signature, "crash signal %d%s%s",
             ex->signal, site[0] ? ": " : "", site);
  else
    snprintf(f->signature, sizeof f->signature, "crash exit %d%s%s", ex->status,
             site[0] ? ": " : "", site);
  f->details = exit_details(ex);
  free(ex->stderr_tail);
}

static bool died_within(ws_fuzz_target *t, int ms, ws_exec_exit *ex) {
  int64_t until = ws_now_ms() + ms;
  for (;;) {
    if (ws_exec_server_exited(t->exec, ex))
      return true;
    if (ws_now_ms() >= until)
      return false;
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
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

/* Sanitizer reports begun so far: a process symbolizing its report still
 * accepts connections (its other threads run on), so only its stderr says
 * that this input, not the next one, broke it. */
static unsigned count_reports(const char *tail) {
  static const char *const markers[] = {
      "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
      "runtime error:", "ERROR: MemorySanitizer", "WARNING: ThreadSanitizer"};
  unsigned n = 0;
  for (size_t i = 0; tail && i < sizeof markers / sizeof *markers; i++)
    for (const char *p = strstr(tail, markers[i]); p;
         p = strstr(p + 1, markers[i]))
      n++;
  return n;
}

/* A report that did not end the process (a recovering sanitizer) is still
 * a finding: the signature names it. */
static void report_finding(char *tail, ws_fuzz_finding *f) {
  char site[160];
  crash_site(tail, site, sizeof site);
  f->kind = WS_FUZZ_CRASH;
  snprintf(f->signature, sizeof f->signature, "sanitizer report: %s", site);
  f->details = tail;
}

/* Exit, or a sanitizer report on its way to one. */
static bool exec_crashed(ws_fuzz_target *t, ws_fuzz_finding *f) {
  ws_exec_exit ex;
  if (ws_exec_server_exited(t->exec, &ex)) {
    crash_finding(&ex, f);
    return true;
  }
  char *tail = ws_exec_server_stderr(t->exec);
  unsigned n = count_reports(tail);
  if (n <= t->reports_seen) {
    free(tail);
    return false;
  }
  t->reports_seen = n;
  if (died_within(t, DEATH_WAIT_MS, &ex)) {
    free(tail);
    crash_finding(&ex, f);
  } else {
    report_finding(tail, f);
  }
  return true;
}

void ws_fuzz_target_check(ws_fuzz_target *t, const ws_case *input,
                          const ws_observation *obs, ws_fuzz_finding *f) {
  memset(f, 0, sizeof *f);
  ws_exec_exit ex;
  if (t->exec && exec_crashed(t, f))
    return;
  if (!ws_run_liveness(&t->run)) {
    if (t->exec && died_within(t, DEATH_WAIT_MS, &ex)) {
      crash_finding(&ex, f);
      return;
    }
    f->kind = WS_FUZZ_HANG;
    snprintf(f->signature, sizeof f->signature, "hang");
    f->details = strdup(
        t->exec ? "after the input, a new connection did not complete a "
                  "handshake and an echo within the liveness bound (no "
                  "answer), though the server process lives\n"
                : "after the input, a new connection did not complete a "
                  "handshake and an echo within the liveness bound (refused, "
                  "reset, or no answer); the target may have crashed: with "
                  "--exec-server wsprobe tells a crash from a hang and "
                  "minimises the input\n");
    return;
  }
  if (t->exec && exec_crashed(t, f)) /* it broke during the probe */
    return;
  if (input && obs && ws_fuzz_looks_stuck(input, obs) &&
      confirm_stuck(t, input)) {
    f->kind = WS_FUZZ_STUCK;
    snprintf(f->signature, sizeof f->signature, "stuck");
    f->details = strdup("the input sent only well-framed frames and a close; "
                        "the peer neither answered the close nor closed TCP "
                        "before the deadline (also with ten times the "
                        "deadline), though new connections were served\n");
  }
}
