/* What `wsprobe test` and `wsprobe serve` both do with a finished case: grade
 * its observation into a result row, keep the row's wire log within the
 * run's report budget (test_options.h: WS_TEST_REPORT_WIRE_BUDGET) and spill
 * it to disk, and, at the end, write the four report files. One copy, so the
 * two commands cannot drift apart. */
#ifndef WS_HARNESS_CASE_RECORD_H
#define WS_HARNESS_CASE_RECORD_H

#include "case/case.h"
#include "engine/observation.h"
#include "reports/ci_gate.h"
#include "reports/results.h"

#include <stdbool.h>
#include <stddef.h>

/* The report budget of one run, shared by every result it keeps. Callers
 * serialise access (both commands hold their results lock). */
typedef struct ws_wire_budget {
  size_t left;      /* of WS_TEST_REPORT_WIRE_BUDGET */
  size_t cut_cases; /* results whose log the budget cut */
} ws_wire_budget;

void ws_wire_budget_init(ws_wire_budget *b);

/* Grades obs into *r (zeroed here). When grading runs out of memory the case
 * still gets a row: verdict error, reason code "harness". */
void ws_record_grade(const ws_case *c, const ws_observation *obs,
                     bool keep_wire_for_pass, ws_case_result *r);

/* Cuts r's wire log to what is left of the budget (never below
 * WS_TEST_CASE_WIRE_FLOOR), charges it, then moves it to res's spill file
 * (on failure it stays in memory). */
void ws_record_bound_wire(ws_wire_budget *b, ws_run_results *res,
                          ws_case_result *r);

/* "DIR/FILE" into out; -1 when it does not fit. */
int ws_record_sub_path(char *out, size_t cap, const char *dir,
                       const char *file);

/* results.json at json_path, then junit.xml, summary.md and index.html into
 * out_dir (each written atomically; junit and summary show every case in
 * the role the gate gives it). 0, or -1 with a reason in err. */
int ws_record_write_reports(const ws_run_results *r, const ws_gate *g,
                            const char *json_path, const char *out_dir,
                            char *err, size_t cap);

#endif
