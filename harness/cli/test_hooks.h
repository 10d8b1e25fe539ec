/* One `wsprobe test` run with given options, for callers that run several
 * (test_autobahn.c runs one per server of a fuzzingclient spec) or add to
 * what a run selects and writes. cmd_test.c implements it. */
#ifndef WS_HARNESS_TEST_HOOKS_H
#define WS_HARNESS_TEST_HOOKS_H

#include "case/catalogue.h"
#include "cli/test_options.h"
#include "reports/results.h"

#include <stddef.h>

typedef struct ws_test_hooks {
  /* Picks the cases to run instead of --cases and --exclude: *out is heap,
   * in catalogue order. 0, or -1 with a reason in err. NULL: the options'
   * selection. */
  int (*select)(void *ctx, const ws_catalogue *cat, const ws_case ***out,
                size_t *count, char *err, size_t cap);
  /* Called once the run's reports are written (also for an interrupted
   * run, just before the process exits on a second signal). 0, or -1 with a
   * message in err: the run then exits 2, as for any report it could not
   * write. NULL: nothing. */
  int (*after_reports)(void *ctx, const ws_run_results *r, char *err,
                       size_t cap);
  void *ctx;
} ws_test_hooks;

/* Runs the catalogue against o's target and writes the reports; returns the
 * exit status. hooks may be NULL. */
int ws_test_run(const ws_test_options *o, const ws_test_hooks *hooks);

#endif
