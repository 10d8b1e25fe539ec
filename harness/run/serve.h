/* `wsprobe serve`: the harness as the server, speaking Autobahn|Testsuite's
 * fuzzingserver URL protocol so that the drivers written for it work
 * unchanged:
 *
 *   /getCaseCount                  the number of cases, one text message
 *   /runCase?case=N&agent=A        case N (1-based, catalogue order; or
 *     /runCase?casetuple=ID&agent=A  by id) played on this connection
 *   /getCaseInfo?case=N            {"id": ..., "description": ...}
 *   /getCaseStatus?case=N&agent=A  {"behavior": "OK"} (Autobahn's words)
 *   /updateReports?agent=A         writes that agent's reports, then closes
 *                                  (no agent: every agent's)
 *
 * Every one is a WebSocket upgrade; after the message the server closes
 * (1000). GET / without an upgrade serves the browser driver page the
 * caller supplies; other requests get a short HTTP refusal (404 unknown
 * path, 400 a bad query or a missing upgrade, 503 past the connection
 * bound).
 *
 * This layer plays and records; it does not grade or keep results: a
 * runCase connection ends in hooks.case_done with its observation, and the
 * status and report endpoints ask the hooks (cli/cmd_serve.c owns the
 * results, per agent).
 *
 * Threads: ws_serve_run accepts on the calling thread and gives every
 * connection its own thread, at most max_connections at once. Every read
 * has a deadline and every request a size bound. */
#ifndef WS_HARNESS_SERVE_H
#define WS_HARNESS_SERVE_H

#include "case/case.h"
#include "engine/observation.h"
#include "io/tls.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An agent name as a client sent it, after URL decoding: 1..WS_SERVE_AGENT_MAX
 * bytes (the callers sanitise it for use as a directory name). */
#define WS_SERVE_AGENT_MAX 128
/* The request head of any connection: bytes and fields. */
#define WS_SERVE_REQUEST_MAX 16384
#define WS_SERVE_DEFAULT_CONNECTIONS 32

typedef struct ws_serve_hooks {
  void *ctx;
  /* Case `index` (into cases) was played for `agent`; the callee owns obs
   * (ws_observation_free, then free). Called from connection threads, so
   * concurrently: the callee locks. */
  void (*case_done)(void *ctx, const char *agent, size_t index,
                    ws_observation *obs);
  /* Autobahn's behaviour word for agent's result of case index ("OK",
   * "NON-STRICT", ...) into out; 0, or -1 when the agent has none. */
  int (*case_status)(void *ctx, const char *agent, size_t index, char *out,
                     size_t cap);
  /* Writes agent's reports (every agent's when agent is NULL). 0, or -1
   * with a reason in err. */
  int (*update_reports)(void *ctx, const char *agent, char *err, size_t cap);
} ws_serve_hooks;

typedef struct ws_serve_options {
  const char *host; /* numeric IPv4 or IPv6 address, or a resolvable name */
  uint16_t port;    /* 0: a free port */
  const ws_case *const *cases;
  size_t case_count;
  double timeout_scale;
  uint64_t seed;
  enum ws_profile profile;
  size_t wire_max;     /* per runCase connection's wire log; 0: the default */
  ws_tls_context *tls; /* a server context (wss://), or NULL */
  int max_connections; /* 0: WS_SERVE_DEFAULT_CONNECTIONS */
  volatile sig_atomic_t *stop; /* non-zero: ws_serve_run returns */
  const char *page;            /* GET / (text/html), or NULL: 404 */
  size_t page_len;
  ws_serve_hooks hooks;
} ws_serve_options;

typedef struct ws_serve ws_serve;

/* Binds and listens. 0, or -1 with a reason in err (address in use, a host
 * that does not resolve...). The options (and what they point to) must
 * outlive the server. */
int ws_serve_open(const ws_serve_options *o, ws_serve **out, char *err,
                  size_t cap);
uint16_t ws_serve_port(const ws_serve *s);

/* Accepts until *stop is set, then stops accepting and waits (up to
 * drain_ms) for the connections in flight. Returns how many were still
 * running at the end (their threads are detached: their case_done may still
 * come, so the hooks must stay valid, or drop late calls). */
size_t ws_serve_run(ws_serve *s, int drain_ms);

/* Closes the listening socket and frees s (after ws_serve_run). */
void ws_serve_close(ws_serve *s);

#endif
