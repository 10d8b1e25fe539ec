/* wsprobe test --exec-server: the harness owns the server process. After
 * every case it looks whether the server died; if so it restarts it and
 * records a crash window. At the end each crash is pinned on the cases that
 * were in flight in its window: one case takes it directly; several are
 * re-run one at a time against the restarted server to see which one
 * reproduces it.
 *
 * The run itself (scheduler, signals, reports) is cmd_test.c; the state the
 * two share is struct test_run (test_run.h). */
#include "cli/test_run.h"

#include "engine/grade.h"
#include "io/exec_server.h"
#include "run/runner.h"
#include "util/clock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A crash can land just after the case that caused it closed its
 * connection, when the watcher already saw the server alive: cases that
 * ended this shortly before (or started this shortly after the restart) are
 * suspects too. */
#define CRASH_SLACK_MS 50

/* Microseconds since the run started: crash windows and case spans are
 * compared at this grain, so a case that started right after a restart is
 * not taken for one that ran before it. */
int64_t test_since_t0(const struct test_run *t) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - t->t0_us;
}

/* Restarts the server after an exit. A new port cannot be handed to the
 * worker threads safely mid-run, so then the run stops (status 2). */
static int restart_server(struct test_run *t) {
  char err[512];
  uint16_t port = ws_exec_server_port(t->server);
  if (ws_exec_server_restart(t->server, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: test: cannot restart the server: %s\n", err);
  } else if (ws_exec_server_port(t->server) != port) {
    fprintf(stderr,
            "wsprobe: test: the server came back on another port (%u was "
            "taken); stopping the run\n",
            (unsigned)port);
  } else {
    return 0;
  }
  t->server_lost = true;
  *t->stop = 1; /* the scheduler starts no new case */
  return -1;
}

/* Called after every case (never concurrently: the scheduler serialises
 * done callbacks), and once at the end. */
void test_watch_server(struct test_run *t) {
  ws_exec_exit ex;
  if (!t->server || t->server_lost)
    return;
  if (!ws_exec_server_exited(t->server, &ex)) {
    t->last_alive = test_since_t0(t);
    return;
  }
  struct crash *grown =
      realloc(t->crashes, (t->crash_count + 1) * sizeof *grown);
  if (!grown) {
    free(ex.stderr_tail);
  } else {
    t->crashes = grown;
    t->crashes[t->crash_count++] =
        (struct crash){ex, t->last_alive - CRASH_SLACK_MS * 1000, 0};
  }
  restart_server(t);
  t->last_alive = test_since_t0(t);
  /* A case that starts right after the restart may still meet a server
   * settling in: it is a suspect too, so it gets a clean re-run. */
  if (grown)
    t->crashes[t->crash_count - 1].hi = t->last_alive + CRASH_SLACK_MS * 1000;
}

/* Swaps in a new result for result i, keeping the counts right. */
static void replace_result(struct test_run *t, size_t i, ws_case_result *nr) {
  ws_case_result *old = &t->results.cases[i];
  t->results.counts[old->verdict < WS_VERDICT_COUNT ? old->verdict
                                                    : WS_VERDICT_ERROR]--;
  t->results.counts[nr->verdict < WS_VERDICT_COUNT ? nr->verdict
                                                   : WS_VERDICT_ERROR]++;
  ws_case_result_free(old);
  *old = *nr;
  memset(nr, 0, sizeof *nr);
}

/* /bin/sh runs the command and may stay its parent: then a server killed by
 * signal N shows up as the shell's status 128 + N. */
static void describe_exit(const ws_exec_exit *ex, char *out, size_t cap) {
  if (ex->signaled)
    snprintf(out, cap, "server exited with signal %d", ex->signal);
  else if (ex->status > 128 && ex->status < 128 + 65)
    snprintf(out, cap, "server exited with status %d (signal %d)", ex->status,
             ex->status - 128);
  else
    snprintf(out, cap, "server exited with status %d", ex->status);
}

/* Turns result i into the crash verdict: fail, "server-crash", the given
 * reason, and the server's stderr tail after what was observed. */
static void mark_crash(struct test_run *t, size_t i, const struct crash *cr,
                       const char *reason) {
  ws_case_result *c = &t->results.cases[i];
  const char *tail = cr->exit.stderr_tail ? cr->exit.stderr_tail : "";
  size_t n = strlen(c->observed ? c->observed : "") + strlen(tail) + 64;
  char *observed = malloc(n);
  char *code = strdup("server-crash"), *why = strdup(reason);
  if (!observed || !code || !why) {
    free(observed);
    free(code);
    free(why);
    return; /* the crash is still on stderr and in the summary */
  }
  snprintf(observed, n, "%s\nserver stderr (last bytes):\n%s",
           c->observed ? c->observed : "", *tail ? tail : "(empty)");
  t->results
      .counts[c->verdict < WS_VERDICT_COUNT ? c->verdict : WS_VERDICT_ERROR]--;
  t->results.counts[WS_VERDICT_FAIL]++;
  c->verdict = WS_VERDICT_FAIL;
  free(c->reason_code);
  free(c->reason);
  free(c->observed);
  c->reason_code = code;
  c->reason = why;
  c->observed = observed;
}

/* Runs case ci alone against the restarted server and watches for a crash a
 * little longer. 1 when it crashed (the server is restarted), 0 when not
 * (*fresh holds its new result), -1 when it could not be run. */
static int rerun_alone(struct test_run *t, size_t ci, ws_case_result *fresh,
                       ws_exec_exit *ex) {
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(t->cases[ci], t->run, &obs);
  memset(fresh, 0, sizeof *fresh);
  int graded = ws_grade_case(t->cases[ci], &obs, t->o->wire_all, fresh);
  ws_observation_free(&obs);
  int64_t until = ws_now_ms() + RERUN_WATCH_MS;
  bool crashed;
  while (!(crashed = ws_exec_server_exited(t->server, ex)) &&
         ws_now_ms() < until)
    usleep(10000);
  if (crashed) {
    ws_case_result_free(fresh);
    restart_server(t); /* on failure the loop stops: server_lost */
    return 1;
  }
  if (graded != 0) {
    ws_case_result_free(fresh);
    return -1;
  }
  return 0;
}

/* Whether case ci ran (in part) inside crash k's window. */
static bool in_window(const struct test_run *t, size_t ci, size_t k) {
  const struct crash *cr = &t->crashes[k];
  return t->span[2 * ci] < cr->hi && t->span[2 * ci + 1] > cr->lo;
}

enum { NOT_SUSPECT, SUSPECT, REPRODUCED, CLEAN };

/* Re-runs every suspect alone, once even if it sits in several windows:
 * those that crash the server again take the crash, the others keep their
 * clean re-run. */
static void rerun_suspects(struct test_run *t, uint8_t *state,
                           const size_t *result_of, size_t suspects) {
  for (size_t ci = 0; ci < t->case_count && !t->server_lost; ci++) {
    if (state[ci] != SUSPECT)
      continue;
    ws_case_result fresh;
    ws_exec_exit ex = {0};
    int rc = rerun_alone(t, ci, &fresh, &ex);
    if (rc == 1) {
      char how[128], reason[512];
      describe_exit(&ex, how, sizeof how);
      snprintf(reason, sizeof reason,
               "%s; reproduced when run alone (%zu cases were running "
               "around the crash; each was re-run alone)",
               how, suspects);
      struct crash again = {.exit = ex};
      mark_crash(t, result_of[ci], &again, reason);
      state[ci] = REPRODUCED;
    } else if (rc == 0) {
      replace_result(t, result_of[ci], &fresh);
      state[ci] = CLEAN;
    }
    free(ex.stderr_tail);
  }
}

/* A crash none of whose suspects reproduced it alone stays on all of them:
 * a crash must not vanish from the report. */
static void keep_unexplained(struct test_run *t, const uint8_t *state,
                             const size_t *result_of, size_t k) {
  size_t n = 0, rerun = 0;
  for (size_t ci = 0; ci < t->case_count; ci++) {
    if (state[ci] != NOT_SUSPECT && in_window(t, ci, k)) {
      if (state[ci] == REPRODUCED)
        return;
      n++;
      rerun += state[ci] == CLEAN;
    }
  }
  char what[128], reason[512];
  describe_exit(&t->crashes[k].exit, what, sizeof what);
  if (rerun == 0) /* a lone suspect, or no re-run was possible */
    snprintf(reason, sizeof reason, "%s", what);
  else
    snprintf(reason, sizeof reason,
             "%s while %zu cases ran; none reproduced it when re-run alone",
             what, n);
  for (size_t ci = 0; ci < t->case_count; ci++)
    if (state[ci] != NOT_SUSPECT && in_window(t, ci, k))
      mark_crash(t, result_of[ci], &t->crashes[k], reason);
}

/* Pins every recorded crash on cases (see the file comment). A lone
 * suspect, or any suspect of an interrupted run, takes the crash without a
 * re-run. */
void test_resolve_crashes(struct test_run *t, bool interrupted) {
  size_t *result_of = malloc((t->case_count + 1) * sizeof *result_of);
  uint8_t *state = calloc(t->case_count + 1, 1);
  size_t suspects = 0;
  for (size_t ci = 0; result_of && ci < t->case_count; ci++)
    result_of[ci] = SIZE_MAX;
  for (size_t i = 0; result_of && i < t->results.case_count; i++)
    result_of[t->order[i]] = i;
  for (size_t k = 0; result_of && state && k < t->crash_count; k++) {
    bool any = false;
    for (size_t ci = 0; ci < t->case_count; ci++)
      if (result_of[ci] != SIZE_MAX && in_window(t, ci, k)) {
        suspects += state[ci] == NOT_SUSPECT;
        state[ci] = SUSPECT;
        any = true;
      }
    if (!any) {
      char what[128];
      describe_exit(&t->crashes[k].exit, what, sizeof what);
      fprintf(stderr, "wsprobe: test: %s while no case was running\n", what);
    }
  }
  if (result_of && state && suspects > 0) {
    if (suspects > 1 && !interrupted && !t->server_lost)
      rerun_suspects(t, state, result_of, suspects);
    for (size_t k = 0; k < t->crash_count; k++)
      keep_unexplained(t, state, result_of, k);
  }
  free(result_of);
  free(state);
}
