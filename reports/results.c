#include "reports/results.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void ws_results_init(ws_run_results *r) { memset(r, 0, sizeof *r); }

void ws_results_stamp(ws_run_results *r) {
  r->tool_version = strdup(WSPROBE_VERSION);
  char when[32];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  r->started_at = strdup(when);
}

void ws_results_wire_dropped(const ws_run_results *r, size_t *cases,
                             uint64_t *bytes) {
  *cases = 0;
  *bytes = 0;
  for (size_t i = 0; i < r->case_count; i++) {
    if (r->cases[i].wire_dropped == 0)
      continue;
    (*cases)++;
    *bytes += r->cases[i].wire_dropped;
  }
}

int ws_results_add(ws_run_results *r, ws_case_result *c) {
  if (r->case_count == r->case_cap) {
    size_t cap = r->case_cap ? r->case_cap * 2 : 64;
    ws_case_result *grown = realloc(r->cases, cap * sizeof *grown);
    if (!grown)
      return -1;
    r->cases = grown;
    r->case_cap = cap;
  }
  r->cases[r->case_count++] = *c;
  /* An out-of-range verdict is counted as an error rather than indexing past
   * the array: the summary must always add up to the case count. */
  unsigned v = (unsigned)c->verdict;
  r->counts[v < WS_VERDICT_COUNT ? v : WS_VERDICT_ERROR]++;
  memset(c, 0, sizeof *c);
  return 0;
}

void ws_case_result_free(ws_case_result *c) {
  free(c->id);
  free(c->title);
  free(c->area);
  free(c->rfc);
  free(c->level);
  free(c->autobahn);
  free(c->reason_code);
  free(c->reason);
  free(c->expected);
  free(c->observed);
  free(c->deflate);
  free(c->close_reason);
  for (size_t i = 0; c->wire && i < c->wire_count; i++) {
    free(c->wire[i].bytes);
    free(c->wire[i].note);
  }
  free(c->wire);
  memset(c, 0, sizeof *c);
}

void ws_results_free(ws_run_results *r) {
  for (size_t i = 0; i < r->case_count; i++)
    ws_case_result_free(&r->cases[i]);
  free(r->cases);
  free(r->tool_version);
  free(r->target);
  free(r->agent);
  free(r->tls);
  free(r->started_at);
  if (r->wire_spill)
    fclose(r->wire_spill);
  memset(r, 0, sizeof *r);
}
