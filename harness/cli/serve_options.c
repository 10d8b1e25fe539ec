/* wsprobe serve's options (serve_options.h). */
#include "cli/serve_options.h"

#include "cli/cli_args.h"
#include "engine/observation.h"
#include "reports/verdict.h"
#include "run/serve.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(
      out,
      "usage: wsprobe serve [options]\n\n"
      "The harness as the server: WebSocket clients under test connect to it\n"
      "and run the client catalogue (`wsprobe list --role server`) through\n"
      "Autobahn|Testsuite's fuzzingserver URL protocol:\n"
      "  ws://HOST:PORT/getCaseCount, /runCase?case=N&agent=A (or\n"
      "  casetuple=ID), /getCaseInfo?case=N, /getCaseStatus?case=N&agent=A,\n"
      "  /updateReports?agent=A (writes OUT/<agent>/). GET / is a driver page\n"
      "  that runs the cases in a browser (http://HOST:PORT/?agent=NAME).\n"
      "Prints 'wsprobe serve: listening on ws://HOST:PORT/ (N cases)', then\n"
      "serves until SIGINT/SIGTERM, when every agent's reports are written.\n\n"
      "  --host H              address to listen on (default %s)\n"
      "  --port N              port (default 0: a free one)\n"
      "  --out DIR             report directory (default %s); each agent's\n"
      "                        reports go to DIR/<agent>/\n"
      "  --cases PATTERNS      serve only these: areas, id prefixes, globs\n"
      "  --exclude PATTERNS    leave these out\n"
      "  --case-file FILE      add the cases of FILE (repeatable)\n"
      "  --cases-dir DIR       add every *.case below DIR (repeatable)\n"
      "  --exec \"CMD {url}\"    run the client under test once per case,\n"
      "                        with {url} the case's runCase URL; then write\n"
      "                        the reports and exit with the CI status\n"
      "  --agent NAME          the agent of --exec runs (default %s)\n"
      "  --tls-cert FILE       serve wss://: the certificate chain (PEM)\n"
      "  --tls-key FILE        its private key (PEM), with --tls-cert\n"
      "  --timeout-scale F     multiply every deadline (0.1..100)\n"
      "  --profile NAME        default or full (as `wsprobe test`)\n"
      "  --seed S              replay: same payloads and keys\n"
      "  --fail-on LEVELS      verdicts that make the exit status 1\n"
      "                        (default fail)\n"
      "  --wire-all            keep the wire log of passing cases too\n"
      "  --wire-max BYTES      wire log kept per case\n"
      "  --max-connections N   connections at once (default %d; 503 past "
      "it)\n\n"
      "Exit status: 0 no agent has a case in a --fail-on verdict, 1\n"
      "otherwise, 2 bad options or case files, the address cannot be bound,\n"
      "or an --exec run that could not be done.\n",
      WS_SERVE_DEFAULT_HOST, WS_TEST_DEFAULT_OUT, WS_SERVE_DEFAULT_AGENT,
      WS_SERVE_DEFAULT_CONNECTIONS);
}

enum {
  OPT_HOST = 0x100,
  OPT_PORT,
  OPT_EXEC,
  OPT_TLS_CERT,
  OPT_TLS_KEY,
  OPT_PROFILE,
  OPT_MAX_CONN,
};

/* Owned copies of joined pattern lists (--cases given twice). */
static char *owned[2];

static int parse_one(int opt, ws_serve_cli *o) {
  uint64_t v;
  char err[256];
  switch (opt) {
  case OPT_HOST:
    o->host = optarg;
    return 0;
  case OPT_PORT:
    if (ws_arg_uint("--port", optarg, 0, 65535, &v) != 0)
      return -1;
    o->port = (uint16_t)v;
    return 0;
  case 'o':
    o->out_dir = optarg;
    return 0;
  case 'c':
    return ws_test_append_patterns(&o->patterns, &owned[0], optarg);
  case 'x':
    return ws_test_append_patterns(&o->excludes, &owned[1], optarg);
  case 'f':
    return ws_test_sources_add(&o->sources.files, &o->sources.file_count,
                               optarg);
  case 'd':
    return ws_test_sources_add(&o->sources.dirs, &o->sources.dir_count, optarg);
  case OPT_EXEC:
    o->exec = optarg;
    return 0;
  case 'a':
    o->agent = optarg;
    return 0;
  case OPT_TLS_CERT:
    o->tls_cert = optarg;
    return 0;
  case OPT_TLS_KEY:
    o->tls_key = optarg;
    return 0;
  case 't':
    return ws_test_parse_scale(optarg, &o->timeout_scale);
  case OPT_PROFILE: {
    int profile = ws_profile_parse(optarg);
    if (profile < 0) {
      fprintf(stderr, "wsprobe: --profile: '%s' is not default or full\n",
              optarg);
      return -1;
    }
    o->profile = (enum ws_profile)profile;
    return 0;
  }
  case 's':
    return ws_arg_uint("--seed", optarg, 0, UINT64_MAX, &o->seed);
  case 'F':
    if (ws_test_parse_fail_on(optarg, &o->fail_on, err, sizeof err) != 0) {
      fprintf(stderr, "wsprobe: --fail-on: %s\n", err);
      return -1;
    }
    return 0;
  case 'w':
    o->wire_all = true;
    return 0;
  case 'M':
    if (ws_arg_uint("--wire-max", optarg, WS_OBS_MIN_WIRE_MAX,
                    WS_TEST_MAX_WIRE_MAX, &v) != 0)
      return -1;
    o->wire_max = (size_t)v;
    return 0;
  case OPT_MAX_CONN:
    if (ws_arg_uint("--max-connections", optarg, 1, 256, &v) != 0)
      return -1;
    o->max_connections = (int)v;
    return 0;
  }
  return -1;
}

static int check(const ws_serve_cli *o) {
  if (!o->tls_cert != !o->tls_key) {
    fprintf(stderr, "wsprobe: serve: --tls-cert and --tls-key go together\n");
    return -1;
  }
  if (o->exec && !strstr(o->exec, "{url}")) {
    fprintf(stderr, "wsprobe: --exec: the command needs {url} where the "
                    "case's URL goes\n");
    return -1;
  }
  if (o->agent && !o->exec) {
    fprintf(stderr, "wsprobe: serve: --agent names the --exec client (other "
                    "clients name themselves in their URLs)\n");
    return -1;
  }
  if (o->agent && (!o->agent[0] || strlen(o->agent) > WS_SERVE_AGENT_MAX)) {
    fprintf(stderr, "wsprobe: --agent: 1 to %d bytes\n", WS_SERVE_AGENT_MAX);
    return -1;
  }
  return 0;
}

int ws_serve_cli_parse(int argc, char **argv, ws_serve_cli *o) {
  static const struct option longopts[] = {
      {"host", required_argument, NULL, OPT_HOST},
      {"port", required_argument, NULL, OPT_PORT},
      {"out", required_argument, NULL, 'o'},
      {"cases", required_argument, NULL, 'c'},
      {"exclude", required_argument, NULL, 'x'},
      {"case-file", required_argument, NULL, 'f'},
      {"cases-dir", required_argument, NULL, 'd'},
      {"exec", required_argument, NULL, OPT_EXEC},
      {"agent", required_argument, NULL, 'a'},
      {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
      {"tls-key", required_argument, NULL, OPT_TLS_KEY},
      {"timeout-scale", required_argument, NULL, 't'},
      {"profile", required_argument, NULL, OPT_PROFILE},
      {"seed", required_argument, NULL, 's'},
      {"fail-on", required_argument, NULL, 'F'},
      {"wire-all", no_argument, NULL, 'w'},
      {"wire-max", required_argument, NULL, 'M'},
      {"max-connections", required_argument, NULL, OPT_MAX_CONN},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->host = WS_SERVE_DEFAULT_HOST;
  o->out_dir = WS_TEST_DEFAULT_OUT;
  o->timeout_scale = 1.0;
  o->fail_on = 1u << WS_VERDICT_FAIL;
  o->seed = ws_test_random_seed();
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (opt == 'h') {
      usage(stdout);
      return 1;
    }
    if (opt == '?' || parse_one(opt, o) != 0) {
      if (opt == '?')
        usage(stderr);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr,
            "wsprobe: serve: no URL: the clients come to it ('%s' is "
            "extra)\n",
            argv[optind]);
    return -1;
  }
  if (check(o) != 0)
    return -1;
  if (!o->agent)
    o->agent = WS_SERVE_DEFAULT_AGENT;
  return 0;
}

void ws_serve_cli_free(ws_serve_cli *o) {
  ws_test_sources_free(&o->sources);
  for (int i = 0; i < 2; i++) {
    free(owned[i]);
    owned[i] = NULL;
  }
  memset(o, 0, sizeof *o);
}
