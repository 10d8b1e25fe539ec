/* Runs a set of cases: the parallel ones on `jobs` worker threads, then the
 * `serial` ones (cases that time the peer) one at a time with nothing else
 * running. */
#ifndef WS_HARNESS_SCHEDULER_H
#define WS_HARNESS_SCHEDULER_H

#include "case/case.h"
#include "engine/observation.h"
#include "run/runner.h"

#include <signal.h>
#include <stddef.h>

/* Called once per case, in completion order, never concurrently (the
 * scheduler holds a lock), with an observation the callback may keep or free
 * (it owns it: free with ws_observation_free, then free(obs)). */
typedef void (*ws_case_done_fn)(const ws_case *c, ws_observation *obs,
                                void *ctx);

typedef struct ws_schedule_options {
  int jobs;                    /* worker threads, >= 1 */
  volatile sig_atomic_t *stop; /* non-zero: start no new case */
  ws_case_done_fn done;
  void *ctx;
  int unreachable_after; /* consecutive cases that could not even connect
                            before the rest are reported as errors without
                            being tried (default 3 when 0) */
} ws_schedule_options;

/* Returns the number of cases reported through done() (less than count only
 * when stopped). Cases not started because of *stop are not reported. */
size_t ws_schedule_run(const ws_case *const *cases, size_t count,
                       const ws_run_options *run,
                       const ws_schedule_options *options);

#endif
