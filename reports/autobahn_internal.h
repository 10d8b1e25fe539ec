/* Private to the Autobahn report writers (autobahn_index.c groups a run's
 * cases by Autobahn id, autobahn_case.c writes one id's file). */
#ifndef WS_REPORTS_AUTOBAHN_INTERNAL_H
#define WS_REPORTS_AUTOBAHN_INTERNAL_H

#include "reports/autobahn.h"

#include <stddef.h>
#include <stdint.h>

/* One Autobahn id of a run and the cases of ours that carry it. */
typedef struct ws_autobahn_group {
  const char *agent;
  const char *id;
  const ws_case_result *const *cases; /* in the run's order */
  size_t count;
  const ws_case_result *worst; /* the reported one: the first of the most
                                  severe verdicts */
  uint64_t duration_ms;        /* of all of them together */
} ws_autobahn_group;

/* Writes the group's per-case report to path, atomically. 0, or -1 with a
 * message in err. */
int ws_autobahn_write_case_file(const ws_run_results *r,
                                const ws_autobahn_group *g, const char *path,
                                char *err, size_t cap);

#endif
