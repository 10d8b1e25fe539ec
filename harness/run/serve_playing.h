/* Which agents have a case being played right now. A client driver asks
 * for its reports (or a case's status) the moment its last case connection
 * closes, while the harness may still be ending and grading that case:
 * getCaseStatus and updateReports first wait, bounded, until the agent has
 * no case left in play, so the answer includes the case it just ran. */
#ifndef WS_HARNESS_SERVE_PLAYING_H
#define WS_HARNESS_SERVE_PLAYING_H

#include "run/serve.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Cases tracked at once; past it a case is played untracked (a wait may
 * then answer before it ends, as without tracking). */
#define SERVE_PLAYING_MAX 64

typedef struct serve_playing {
  pthread_mutex_t lock;
  pthread_cond_t ended;
  bool used[SERVE_PLAYING_MAX];
  char agent[SERVE_PLAYING_MAX][WS_SERVE_AGENT_MAX + 1];
} serve_playing;

void serve_playing_init(serve_playing *p);
void serve_playing_destroy(serve_playing *p);
/* A case of `agent` starts: its slot, or -1 when untracked. */
int serve_playing_start(serve_playing *p, const char *agent);
/* The case in `slot` (from start; -1 is ignored) has ended and its result
 * is recorded. */
void serve_playing_end(serve_playing *p, int slot);
/* Waits until no case of `agent` (NULL: of any agent) is in play, or until
 * deadline_ms (ws_now_ms() clock). True when none is left. */
bool serve_playing_wait(serve_playing *p, const char *agent,
                        int64_t deadline_ms);

#endif
