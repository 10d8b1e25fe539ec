#include "cli/test_options.h"
#include "cli/cli_args.h"
#include "engine/observation.h"
#include "reports/verdict.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out) {
  fprintf(
      out,
      "usage: wsprobe test [URL] [options]\n\n"
      "Runs the case catalogue against the WebSocket server at URL\n"
      "(ws://host:port/path, or wss:// over TLS). Without a URL, tests the\n"
      "built-in reference server on a free loopback port.\n\n"
      "  --cases PATTERNS      run only these: areas, id prefixes (1.1),\n"
      "                        globs (7.7.*); comma-separated\n"
      "  --exclude PATTERNS    skip these\n"
      "  -j, --jobs N          cases at once (default 4 x cores, at most "
      "%d)\n"
      "  --out DIR             report directory (default %s)\n"
      "  --json FILE           results.json path (default "
      "DIR/results.json)\n"
      "  --timeout-scale F     multiply every deadline (0.1..100)\n"
      "  --profile NAME        default, or full: `stream` steps send their\n"
      "                        long counts (Autobahn's 1000 messages per\n"
      "                        9.x/12.x/13.x case), deadlines grow to match\n"
      "  --header \"K: V\"       extra header on every request (repeatable);\n"
      "                        raw-request cases get it too, unless their\n"
      "                        request has that field or it is one the\n"
      "                        handshake is made of (Host, Upgrade,\n"
      "                        Connection, Sec-WebSocket-Key/-Version)\n"
      "  --origin ORIGIN       Origin header on every request (as --header)\n"
      "  --agent NAME          name of the target in the report\n"
      "  --seed S              replay a run: same masks, keys, payloads\n"
      "  --case-file FILE      add the cases of FILE (repeatable)\n"
      "  --cases-dir DIR       add every *.case below DIR (repeatable)\n"
      "  -v, --verbose         print each case's verdict and wire trace\n"
      "  --wire-all            keep the wire log of passing cases too\n"
      "  --wire-max BYTES      wire log kept per case (default 2097152;\n"
      "                        bytes past it are counted, not recorded)\n"
      "  --fail-on LEVELS      verdicts that make the exit status 1\n"
      "                        (default fail; e.g. fail,non-strict;\n"
      "                        add error to count errors as 1, not 2)\n"
      "  --baseline FILE       exit 1 only on changes from FILE: a\n"
      "                        results.json or 'ID VERDICT [REASON]'\n"
      "                        lines (regressions, unexpected passes)\n"
      "  --write-baseline FILE write this run's non-passing cases as an\n"
      "                        expectations file for --baseline\n"
      "  --exec-server \"CMD {port}\"\n"
      "                        start the server under test on a free\n"
      "                        port, restart it after a crash, stop it\n"
      "                        at the end (no URL then)\n"
      "  --path PATH           URL path with --exec-server (default /)\n"
      "  --autobahn-config FILE\n"
      "                        run the servers and cases of an Autobahn\n"
      "                        fuzzingclient.json (no URL then); reports\n"
      "                        go to DIR/<agent>/ for each server\n"
      "  --autobahn-report DIR write DIR/index.json and per-case files in\n"
      "                        Autobahn's layout (with --autobahn-config:\n"
      "                        default its \"outdir\")\n" WS_TLS_USAGE "\n"
      "Exit status: 0 no case in a --fail-on verdict (with --baseline: no\n"
      "regression and no unexpected pass), 1 otherwise, 2 the run could\n"
      "not be done (bad options or case files, target unreachable,\n"
      "interrupted, or a case the harness could not run, unless error is\n"
      "in --fail-on).\n",
      WS_TEST_MAX_JOBS, WS_TEST_DEFAULT_OUT);
}

uint64_t ws_test_random_seed(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
    /* No entropy source: the seed only has to differ between runs. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec ^
        (uint64_t)getpid() << 32;
  }
  return v & (((uint64_t)1 << 53) - 1);
}

int ws_test_sources_add(const char ***list, size_t *count, const char *v) {
  const char **grown = realloc(*list, (*count + 1) * sizeof *grown);
  if (!grown)
    return -1;
  grown[(*count)++] = v;
  *list = grown;
  return 0;
}

void ws_test_sources_free(ws_case_sources *s) {
  free(s->files);
  free(s->dirs);
  memset(s, 0, sizeof *s);
}

/* RFC 7230 tchar. */
static int is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int ws_test_header_append(char **headers, const char *text, char *err,
                          size_t cap) {
  const char *colon = strchr(text, ':');
  if (!colon || colon == text) {
    snprintf(err, cap, "'%s' is not \"Name: value\"", text);
    return -1;
  }
  for (const char *p = text; p < colon; p++)
    if (!is_tchar((unsigned char)*p)) {
      snprintf(err, cap, "header name in '%s' is not a token", text);
      return -1;
    }
  const char *value = colon + 1;
  while (*value == ' ' || *value == '\t')
    value++;
  for (const char *p = value; *p; p++)
    if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7F) {
      snprintf(err, cap, "header value in '%s' holds a control character",
               text);
      return -1;
    }
  size_t old = *headers ? strlen(*headers) : 0;
  size_t name_len = (size_t)(colon - text), value_len = strlen(value);
  char *grown = realloc(*headers, old + name_len + value_len + 5);
  if (!grown) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  sprintf(grown + old, "%.*s: %s\r\n", (int)name_len, text, value);
  *headers = grown;
  return 0;
}

int ws_test_parse_scale(const char *text, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || *end || !(v >= 0.1 && v <= 100)) {
    fprintf(stderr,
            "wsprobe: --timeout-scale: '%s' is not a number in 0.1..100\n",
            text);
    return -1;
  }
  *out = v;
  return 0;
}

int ws_test_parse_fail_on(const char *text, unsigned *out, char *err,
                          size_t cap) {
  unsigned set = 0;
  const char *p = text;
  for (;;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char name[32];
    if (n == 0 || n >= sizeof name) {
      snprintf(err, cap, "'%s' is not a comma-separated list of verdicts",
               text);
      return -1;
    }
    memcpy(name, p, n);
    name[n] = '\0';
    int v = ws_verdict_parse(name);
    if (v < 0) {
      snprintf(err, cap,
               "unknown verdict '%s' (pass, non-strict, informational, "
               "unimplemented, fail, error)",
               name);
      return -1;
    }
    set |= 1u << (unsigned)v;
    if (!end)
      break;
    p = end + 1;
  }
  *out = set;
  return 0;
}

int ws_test_append_patterns(const char **slot, char **owned, const char *v) {
  if (!*slot) {
    *slot = v;
    return 0;
  }
  size_t n = strlen(*slot) + strlen(v) + 2;
  char *joined = malloc(n);
  if (!joined)
    return -1;
  snprintf(joined, n, "%s,%s", *slot, v);
  free(*owned);
  *owned = joined;
  *slot = joined;
  return 0;
}

size_t ws_test_effective_wire_max(const ws_test_options *o) {
  size_t want = o->wire_max ? o->wire_max : WS_OBS_DEFAULT_WIRE_MAX;
  size_t jobs = o->jobs > 0 ? (size_t)o->jobs : 1;
  size_t share = WS_TEST_LIVE_WIRE_BUDGET / jobs;
  return want < share ? want : share;
}

static int default_jobs(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  long jobs = 4 * (cores > 0 ? cores : 1);
  return jobs > WS_TEST_MAX_JOBS ? WS_TEST_MAX_JOBS : (int)jobs;
}

/* Long options without a short form, past every char value. */
enum { OPT_AUTOBAHN_CONFIG = 0x100, OPT_AUTOBAHN_REPORT, OPT_PROFILE };

/* Owned copies of joined pattern lists live here, freed with the options. */
static char *owned_patterns, *owned_excludes;

static int parse_one(int opt, ws_test_options *o) {
  uint64_t v;
  char err[256];
  switch (opt) {
  case 'c':
    return ws_test_append_patterns(&o->patterns, &owned_patterns, optarg);
  case 'x':
    return ws_test_append_patterns(&o->excludes, &owned_excludes, optarg);
  case 'j':
    if (ws_arg_uint("--jobs", optarg, 1, WS_TEST_MAX_JOBS, &v) != 0)
      return -1;
    o->jobs = (int)v;
    return 0;
  case 'o':
    o->out_dir = optarg;
    return 0;
  case 'J':
    o->json_path = optarg;
    return 0;
  case 't':
    return ws_test_parse_scale(optarg, &o->timeout_scale);
  case 'H':
    if (ws_test_header_append(&o->extra_headers, optarg, err, sizeof err)) {
      fprintf(stderr, "wsprobe: --header: %s\n", err);
      return -1;
    }
    return 0;
  case 'O':
    o->origin = optarg;
    return 0;
  case 'a':
    o->agent = optarg;
    return 0;
  case 's':
    if (ws_arg_uint("--seed", optarg, 0, UINT64_MAX, &o->seed) != 0)
      return -1;
    o->seed_given = true;
    return 0;
  case 'f':
    return ws_test_sources_add(&o->sources.files, &o->sources.file_count,
                               optarg);
  case 'd':
    return ws_test_sources_add(&o->sources.dirs, &o->sources.dir_count, optarg);
  case 'v':
    o->verbose = true;
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
  case 'F':
    if (ws_test_parse_fail_on(optarg, &o->fail_on, err, sizeof err) != 0) {
      fprintf(stderr, "wsprobe: --fail-on: %s\n", err);
      return -1;
    }
    return 0;
  case 'B':
    o->baseline = optarg;
    return 0;
  case 'W':
    o->write_baseline = optarg;
    return 0;
  case 'E':
    o->exec_server = optarg;
    return 0;
  case 'P':
    o->path = optarg;
    return 0;
  case OPT_AUTOBAHN_CONFIG:
    o->autobahn_config = optarg;
    return 0;
  case OPT_AUTOBAHN_REPORT:
    o->autobahn_report = optarg;
    return 0;
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
  }
  return ws_tls_options_take(opt, optarg, &o->tls) ? 0 : -1;
}

/* --exec-server names the target itself: a URL as well is ambiguous. */
static int check_exec_options(const ws_test_options *o) {
  if (o->exec_server && o->url) {
    fprintf(stderr, "wsprobe: test: give a URL or --exec-server, not both\n");
    return -1;
  }
  if (o->exec_server && !strstr(o->exec_server, "{port}")) {
    fprintf(stderr, "wsprobe: --exec-server: the command needs {port} where "
                    "the server's port goes\n");
    return -1;
  }
  if (o->path && !o->exec_server) {
    fprintf(stderr, "wsprobe: --path goes with --exec-server (put the path "
                    "in the URL otherwise)\n");
    return -1;
  }
  if (o->path && (o->path[0] != '/' || strpbrk(o->path, " \t\r\n#"))) {
    fprintf(stderr,
            "wsprobe: --path: '%s' must start with / and hold no "
            "blank or #\n",
            o->path);
    return -1;
  }
  return 0;
}

int ws_test_options_parse(int argc, char **argv, ws_test_options *o) {
  static const struct option longopts[] = {
      {"cases", required_argument, NULL, 'c'},
      {"exclude", required_argument, NULL, 'x'},
      {"jobs", required_argument, NULL, 'j'},
      {"out", required_argument, NULL, 'o'},
      {"json", required_argument, NULL, 'J'},
      {"timeout-scale", required_argument, NULL, 't'},
      {"header", required_argument, NULL, 'H'},
      {"origin", required_argument, NULL, 'O'},
      {"agent", required_argument, NULL, 'a'},
      {"seed", required_argument, NULL, 's'},
      {"case-file", required_argument, NULL, 'f'},
      {"cases-dir", required_argument, NULL, 'd'},
      {"verbose", no_argument, NULL, 'v'},
      {"wire-all", no_argument, NULL, 'w'},
      {"wire-max", required_argument, NULL, 'M'},
      {"fail-on", required_argument, NULL, 'F'},
      {"baseline", required_argument, NULL, 'B'},
      {"write-baseline", required_argument, NULL, 'W'},
      {"exec-server", required_argument, NULL, 'E'},
      {"path", required_argument, NULL, 'P'},
      {"autobahn-config", required_argument, NULL, OPT_AUTOBAHN_CONFIG},
      {"autobahn-report", required_argument, NULL, OPT_AUTOBAHN_REPORT},
      {"profile", required_argument, NULL, OPT_PROFILE},
      WS_TLS_LONGOPTS,
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->jobs = default_jobs();
  o->out_dir = WS_TEST_DEFAULT_OUT;
  o->timeout_scale = 1.0;
  o->fail_on = 1u << WS_VERDICT_FAIL;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "j:vh", longopts, NULL)) != -1) {
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
  if (argc - optind > 1) {
    fprintf(stderr, "wsprobe: test: one URL at most ('%s' is extra)\n",
            argv[optind + 1]);
    return -1;
  }
  o->url = optind < argc ? argv[optind] : NULL;
  if (check_exec_options(o) != 0 ||
      ws_tls_options_check(&o->tls,
                           ws_tls_url_is_wss(o->url) || o->autobahn_config,
                           "test") != 0)
    return -1;
  if (!o->seed_given)
    o->seed = ws_test_random_seed();
  return 0;
}

void ws_test_options_free(ws_test_options *o) {
  free(o->extra_headers);
  ws_test_sources_free(&o->sources);
  free(owned_patterns);
  free(owned_excludes);
  owned_patterns = owned_excludes = NULL;
  memset(o, 0, sizeof *o);
}

/* ---- catalogue ---- */

int ws_test_parse_role(const char *text, enum ws_role *out) {
  if (strcmp(text, "client") == 0 || strcmp(text, "server") == 0) {
    *out = text[0] == 'c' ? WS_ROLE_CLIENT : WS_ROLE_SERVER;
    return 0;
  }
  fprintf(stderr,
          "wsprobe: --role: '%s' is not client (the cases `test` plays "
          "against a server) or server (the cases `serve` plays against a "
          "client)\n",
          text);
  return -1;
}

ws_catalogue *ws_test_load_catalogue(enum ws_role role, uint64_t seed,
                                     const ws_case_sources *src, char *err,
                                     size_t cap) {
  ws_catalogue *cat = ws_catalogue_new(seed);
  if (!cat) {
    snprintf(err, cap, "out of memory");
    return NULL;
  }
  ws_catalogue_set_role(cat, role);
  int rc = ws_catalogue_add_builtin(cat, err, cap);
  for (size_t i = 0; rc == 0 && src && i < src->file_count; i++)
    rc = ws_catalogue_add_file(cat, src->files[i], err, cap);
  for (size_t i = 0; rc == 0 && src && i < src->dir_count; i++)
    rc = ws_catalogue_add_dir(cat, src->dirs[i], err, cap);
  if (rc != 0) {
    ws_catalogue_free(cat);
    return NULL;
  }
  ws_catalogue_sort(cat);
  return cat;
}

/* Calls fn for each non-empty, trimmed, comma-separated pattern. */
static int each_pattern(const char *list,
                        int (*fn)(const char *pattern, void *ctx), void *ctx) {
  if (!list)
    return 0;
  const char *p = list;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    while (n && (*p == ' ' || *p == '\t'))
      p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    if (n) {
      char *one = strndup(p, n);
      int rc = one ? fn(one, ctx) : -1;
      free(one);
      if (rc != 0)
        return rc;
    }
    if (!end)
      break;
    p = end + 1;
  }
  return 0;
}

struct select_ctx {
  const ws_catalogue *cat;
  char *mark; /* per case: 1 selected, 2 excluded */
  char mark_value;
  char *err;
  size_t cap;
  const char *option; /* NULL: the patterns are `list` arguments */
};

static int mark_pattern(const char *pattern, void *arg) {
  struct select_ctx *s = arg;
  size_t hits = 0;
  for (size_t i = 0; i < ws_catalogue_count(s->cat); i++)
    if (ws_case_matches(ws_catalogue_get(s->cat, i), pattern)) {
      if (s->mark[i] < s->mark_value)
        s->mark[i] = s->mark_value;
      hits++;
    }
  if (hits == 0) {
    if (s->option)
      snprintf(s->err, s->cap, "%s: no case matches '%s' (see 'wsprobe list')",
               s->option, pattern);
    else
      snprintf(s->err, s->cap, "no case matches '%s'", pattern);
    return -1;
  }
  return 0;
}

static bool has_pattern(const char *list) {
  return list && strspn(list, " \t,") < strlen(list);
}

/* A list given but holding no pattern ('', ' , ') is most likely an empty
 * shell variable: running every case (or excluding none) instead would
 * hide that, so it is an error. */
static int check_not_blank(const char *list, const char *option, char *err,
                           size_t cap) {
  if (!list || has_pattern(list))
    return 0;
  if (option)
    snprintf(err, cap,
             "%s: '%s' holds no pattern (leave %s out to %s every case)",
             option, list, option,
             strcmp(option, "--exclude") == 0 ? "keep" : "run");
  else
    snprintf(err, cap, "'%s' holds no pattern (give none to list every case)",
             list);
  return -1;
}

static int select_cases(const ws_catalogue *cat, const char *patterns,
                        const char *option, const char *excludes,
                        const ws_case ***out, size_t *count, char *err,
                        size_t cap) {
  size_t n = ws_catalogue_count(cat);
  *out = NULL;
  *count = 0;
  if (check_not_blank(patterns, option, err, cap) != 0 ||
      check_not_blank(excludes, "--exclude", err, cap) != 0)
    return -1;
  struct select_ctx s = {cat, calloc(n + 1, 1), 1, err, cap, option};
  *out = malloc((n + 1) * sizeof **out);
  if (!s.mark || !*out) {
    snprintf(err, cap, "out of memory");
    goto fail;
  }
  if (patterns) {
    if (each_pattern(patterns, mark_pattern, &s) != 0)
      goto fail;
  } else {
    memset(s.mark, 1, n);
  }
  s.mark_value = 2;
  s.option = "--exclude";
  if (each_pattern(excludes, mark_pattern, &s) != 0)
    goto fail;
  for (size_t i = 0; i < n; i++)
    if (s.mark[i] == 1)
      (*out)[(*count)++] = ws_catalogue_get(cat, i);
  free(s.mark);
  return 0;
fail:
  free(s.mark);
  free(*out);
  *out = NULL;
  *count = 0;
  return -1;
}

int ws_test_select_cases(const ws_catalogue *cat, const char *patterns,
                         const char *excludes, const ws_case ***out,
                         size_t *count, char *err, size_t cap) {
  return select_cases(cat, patterns, "--cases", excludes, out, count, err, cap);
}

int ws_test_select_listed(const ws_catalogue *cat, const char *patterns,
                          const ws_case ***out, size_t *count, char *err,
                          size_t cap) {
  return select_cases(cat, patterns, NULL, NULL, out, count, err, cap);
}
