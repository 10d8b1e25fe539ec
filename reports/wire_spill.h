/* Wire logs of finished cases, kept on disk instead of in memory while a run
 * goes on, so that what a run holds does not grow with its case count: a
 * hostile peer can fill every case's log to --wire-max.
 *
 * The spill file is an anonymous temporary file (tmpfile(3): it disappears
 * with the process, even a killed one). Writers read a case's log back one
 * case at a time through ws_wire_view, whether it was spilled or not. */
#ifndef WS_REPORTS_WIRE_SPILL_H
#define WS_REPORTS_WIRE_SPILL_H

#include "reports/results.h"

#include <stddef.h>

/* Moves c's wire log to r's spill file (opened on first use) and frees it
 * in memory. 0, or -1 when the file cannot be written (the log then stays
 * in memory: nothing is lost). */
int ws_wire_spill(ws_run_results *r, ws_case_result *c);

/* A case's wire log for reading: its own entries, or a copy read back from
 * the spill file. */
typedef struct ws_wire_view {
  const ws_result_wire *wire;
  size_t count;
  ws_result_wire *owned; /* when read back */
} ws_wire_view;

/* 0, or -1 when a spilled log cannot be read back (the view is empty). */
int ws_wire_view_open(const ws_run_results *r, const ws_case_result *c,
                      ws_wire_view *v);
void ws_wire_view_close(ws_wire_view *v);
/* A shallow copy of c whose wire log is the view's, for writers that take
 * a case result; valid while both are. */
ws_case_result ws_wire_view_case(const ws_case_result *c,
                                 const ws_wire_view *v);

/* Cuts c's wire log so it costs at most max_cost (entry bytes and notes plus
 * a fixed cost per entry, as the harness counts its live logs): the entries
 * past the cut are dropped, their bytes added to wire_dropped, and a note
 * says why. Returns the cost of what is kept. */
#define WS_WIRE_ENTRY_COST 64
size_t ws_wire_cut(ws_case_result *c, size_t max_cost, const char *why);
/* The cost of c's log as counted above. */
size_t ws_wire_cost(const ws_case_result *c);

#endif
