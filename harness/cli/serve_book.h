/* The results `wsprobe serve` keeps: one run's results per agent (a client
 * names itself in its URLs), each case at most once per agent (a case run
 * again replaces its result, as Autobahn does), written as that agent's
 * reports into OUT/<agent>/ on updateReports and when serve exits.
 *
 * Bounded: at most WS_SERVE_MAX_AGENTS agents (results of further agents are
 * dropped and said once on stderr), one result per case and agent, and the
 * wire logs of all agents within one report budget (case_record.h), spilled
 * to disk as `test` does. Thread-safe: one lock. */
#ifndef WS_HARNESS_SERVE_BOOK_H
#define WS_HARNESS_SERVE_BOOK_H

#include "case/case.h"
#include "cli/case_record.h"
#include "reports/results.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_SERVE_MAX_AGENTS 64

typedef struct serve_agent serve_agent;

typedef struct serve_book {
  pthread_mutex_t lock;
  const ws_case *const *cases;
  size_t case_count;
  /* What every agent's run header says. */
  const char *out_dir;
  const char *target; /* "ws://H:PORT/" */
  uint64_t seed;
  double timeout_scale;
  const char *profile;
  unsigned fail_on;
  serve_agent *agents;
  size_t agent_count;
  bool agents_full_said;
  ws_wire_budget budget;
  bool closed; /* the final reports are written: later results are dropped */
} serve_book;

void serve_book_init(serve_book *b);
void serve_book_free(serve_book *b);

/* Takes r (zeroed after) as agent's result for case index. */
void serve_book_record(serve_book *b, const char *agent, size_t index,
                       ws_case_result *r);

/* Autobahn's behaviour word of agent's result for case index. 0, or -1
 * when there is none. */
int serve_book_status(serve_book *b, const char *agent, size_t index, char *out,
                      size_t cap);

/* Writes agent's reports to OUT/<agent dir>/ (every agent's when agent is
 * NULL). 0, or -1 with err (an agent without results is an error too). */
int serve_book_write(serve_book *b, const char *agent, char *err, size_t cap);

/* At exit: every agent's reports, then no more results are taken. Returns
 * the exit status: the CI gate over every agent (the worst), 2 when a
 * report could not be written; a line per agent goes to stdout. */
int serve_book_close(serve_book *b, bool interrupted);

/* An agent name as a directory name: letters, digits, '.', '-' and '_'
 * kept, anything else '_', no leading '.'; at most cap - 1 bytes. */
void serve_agent_dir(const char *agent, char *out, size_t cap);

#endif
