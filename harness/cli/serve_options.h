/* Command-line options of `wsprobe serve` (the names and parsing of `wsprobe
 * test` where the two share an option: test_options.h). */
#ifndef WS_HARNESS_SERVE_OPTIONS_H
#define WS_HARNESS_SERVE_OPTIONS_H

#include "case/case.h"
#include "cli/test_options.h"

#include <stdbool.h>
#include <stdint.h>

#define WS_SERVE_DEFAULT_HOST "127.0.0.1"
#define WS_SERVE_DEFAULT_AGENT "exec"

typedef struct ws_serve_cli {
  const char *host;
  uint16_t port;       /* 0: a free port */
  const char *out_dir; /* reports go to OUT/<agent>/ */
  const char *patterns, *excludes;
  ws_case_sources sources;
  const char *exec;  /* --exec "CMD {url}" */
  const char *agent; /* the agent of --exec runs */
  const char *tls_cert, *tls_key;
  double timeout_scale;
  enum ws_profile profile;
  uint64_t seed;
  unsigned fail_on; /* as `test --fail-on` */
  bool wire_all;
  size_t wire_max;
  int max_connections;
} ws_serve_cli;

/* Parses argv (argv[0] is "serve"). 0 ok, 1 when --help was printed, -1 on
 * a usage error (message already on stderr). Free with
 * ws_serve_cli_free. */
int ws_serve_cli_parse(int argc, char **argv, ws_serve_cli *o);
void ws_serve_cli_free(ws_serve_cli *o);

#endif
