/* Private to cmd_test.c and test_crash.c: the state of one `wsprobe test`
 * run. cmd_test.c drives the run (scheduler thread, signals, reports);
 * test_crash.c handles an --exec-server that dies during it (restart, crash
 * windows, pinning each crash on cases). They share this struct and the few
 * test_* functions below; nothing here is part of the harness's API. */
#ifndef WS_HARNESS_TEST_RUN_H
#define WS_HARNESS_TEST_RUN_H

#include "case/case.h"
#include "cli/case_record.h"
#include "cli/test_hooks.h"
#include "cli/test_options.h"
#include "io/exec_server.h"
#include "reports/baseline.h"
#include "reports/results.h"
#include "run/runner.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long a case re-run alone is watched for a delayed crash; cmd_test.c
 * also waits this long after the last case before the final look. */
#define RERUN_WATCH_MS 150

/* A server exit seen by the watcher, and the window it happened in. */
struct crash {
  ws_exec_exit exit;
  int64_t lo, hi; /* us since t0: last seen alive (minus slack), restarted */
};

struct test_run {
  const ws_test_options *o;
  const ws_test_hooks *hooks; /* NULL: a plain run */
  const ws_case **cases;
  size_t case_count;
  ws_run_results results;
  size_t *order;        /* per result: its case's index in `cases` */
  pthread_mutex_t lock; /* results, against the hard-stop writer */
  bool tty;
  int64_t t0;
  char json_path[4096];
  ws_wire_budget wire_budget; /* the report budget (case_record.h) */
  ws_baseline baseline;       /* loaded when o->baseline */
  ws_baseline_outcome outcome;
  /* The scheduler's stop flag. cmd_test.c owns it (its signal handler sets
   * it); test_crash.c sets it through this pointer when the server is lost,
   * so no second global is needed. */
  volatile sig_atomic_t *stop;
  /* --exec-server */
  ws_exec_server *server;
  ws_run_options *run;
  int64_t *span; /* per case index: start and end, us since t0 */
  int64_t t0_us; /* CLOCK_MONOTONIC at the start, us */
  int64_t last_alive;
  struct crash *crashes;
  size_t crash_count;
  bool server_lost; /* could not be restarted: the run stops */
};

/* Microseconds since the run started (t->t0_us; while that is still 0, the
 * clock's raw value). */
int64_t test_since_t0(const struct test_run *t);

/* After every case (never concurrently: the scheduler serialises done
 * callbacks) and once at the end: if the owned server exited, records a
 * crash window and restarts it. No-op without --exec-server. */
void test_watch_server(struct test_run *t);

/* At the end of the run: pins every recorded crash on cases, re-running
 * suspects alone when several ran in its window and the run was not
 * interrupted. */
void test_resolve_crashes(struct test_run *t, bool interrupted);

#endif
