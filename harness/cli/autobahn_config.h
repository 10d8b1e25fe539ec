/* An Autobahn|Testsuite fuzzingclient spec (`wstest -m fuzzingclient -s
 * fuzzingclient.json`), read for `wsprobe test --autobahn-config`.
 *
 * The keys, as Autobahn reads them (crossbario/autobahn-testsuite,
 * autobahntestsuite/autobahntestsuite/fuzzing.py FuzzingClientFactory and
 * caseset.py; the example spec of its usage page):
 *
 *   {"outdir": "./reports/servers",            where its reports go
 *    "options": {"failByDrop": false},         its own protocol settings
 *    "servers": [{"agent": "MyServer",         the name in the reports
 *                 "url": "ws://127.0.0.1:9001",
 *                 "origin": "...", "protocols": ["chat"],
 *                 "hostname": "...",           TLS SNI
 *                 "options": {...}}],
 *    "cases": ["1.*", "2.5"],                  required
 *    "exclude-cases": ["9.*"],
 *    "exclude-agent-cases": {"MyServer*": ["6.4.*"]}}
 *
 * Reading is strict about types: a wrong type, a missing "servers", "url"
 * or "cases", an empty pattern, or two servers whose agents give the same
 * report file names is an error naming the key. Keys we do not know are
 * reported as warnings; "options" (Autobahn's settings for its own client)
 * and "hostname" (wss:// is not supported) are read and reported as
 * ignored when they hold something. */
#ifndef WS_HARNESS_AUTOBAHN_CONFIG_H
#define WS_HARNESS_AUTOBAHN_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* A config file is small; this bounds what reading one may allocate. */
#define WS_AB_CONFIG_MAX_BYTES ((size_t)1 << 20)

typedef struct ws_ab_server {
  char *agent; /* "agent", or the url when absent */
  char *url;
  char *origin;     /* NULL when absent */
  char **protocols; /* "protocols", for Sec-WebSocket-Protocol */
  size_t protocol_count;
} ws_ab_server;

typedef struct ws_ab_agent_excludes {
  char *agent; /* a pattern over agent names */
  char **cases;
  size_t case_count;
} ws_ab_agent_excludes;

typedef struct ws_ab_config {
  char *outdir; /* NULL when absent */
  ws_ab_server *servers;
  size_t server_count;
  char **cases;
  size_t case_count;
  char **excludes; /* "exclude-cases" */
  size_t exclude_count;
  ws_ab_agent_excludes *agent_excludes; /* "exclude-agent-cases" */
  size_t agent_exclude_count;
} ws_ab_config;

/* Parses a spec's text. name (a path) prefixes messages. Warnings go to
 * warn, one line each, when it is not NULL. 0, or -1 with "NAME: message"
 * in err and *cfg empty. */
int ws_ab_config_parse(const char *name, const char *text, size_t len,
                       ws_ab_config *cfg, FILE *warn, char *err, size_t cap);

/* Reads and parses a file (at most WS_AB_CONFIG_MAX_BYTES). */
int ws_ab_config_load(const char *path, ws_ab_config *cfg, FILE *warn,
                      char *err, size_t cap);

void ws_ab_config_free(ws_ab_config *cfg);

#endif
