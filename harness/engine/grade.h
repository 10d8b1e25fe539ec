/* The verdict engine: a case's <expect> lines and the global rules of
 * cases/FORMAT.md applied to an observation. Pure: no I/O, no clock. */
#ifndef WS_HARNESS_GRADE_H
#define WS_HARNESS_GRADE_H

#include "case/case.h"
#include "engine/observation.h"
#include "reports/results.h"

/* Fills *out (zeroed by the caller) with the verdict, reason code, reason,
 * expected, observed, the close summary, and a copy of the wire log (for
 * every verdict but pass, or for all when keep_wire_for_pass). 0, or -1 on
 * allocation failure. */
int ws_grade_case(const ws_case *c, const ws_observation *obs,
                  bool keep_wire_for_pass, ws_case_result *out);

#endif
