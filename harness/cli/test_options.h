/* Command-line options of `wsprobe test`, and the catalogue loading and case
 * selection that `test`, `list` and `show` share. */
#ifndef WS_HARNESS_TEST_OPTIONS_H
#define WS_HARNESS_TEST_OPTIONS_H

#include "case/catalogue.h"
#include "cli/tls_options.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_TEST_MAX_JOBS 64
#define WS_TEST_DEFAULT_OUT "wsprobe-out"

/* The memory a run may hold, whatever the peer does (DESIGN: budgets per
 * run, not only per case):
 *  - each case in flight records its wire log up to --wire-max (default
 *    WS_OBS_DEFAULT_WIRE_MAX, 2 MiB), lowered so that the cases in flight
 *    (-j) together stay within WS_TEST_LIVE_WIRE_BUDGET;
 *  - a finished case keeps its graded result; its wire log goes to a spill
 *    file on disk (reports/wire_spill.h), not memory;
 *  - the reports hold at most WS_TEST_REPORT_WIRE_BUDGET of wire logs over
 *    the whole run (counted as --wire-max counts); once it is spent, each
 *    further case keeps WS_TEST_CASE_WIRE_FLOOR of its log, and what is cut
 *    is counted in the case's wire_dropped. */
#define WS_TEST_LIVE_WIRE_BUDGET ((size_t)64 << 20)
#define WS_TEST_REPORT_WIRE_BUDGET ((size_t)8 << 20)
#define WS_TEST_CASE_WIRE_FLOOR ((size_t)4 << 10)
#define WS_TEST_MAX_WIRE_MAX ((size_t)1 << 30)

/* Where cases come from besides the built-in catalogue. */
typedef struct ws_case_sources {
  const char **files; /* --case-file, in order (argv strings) */
  size_t file_count;
  const char **dirs; /* --cases-dir */
  size_t dir_count;
} ws_case_sources;

typedef struct ws_test_options {
  const char *url;      /* NULL: the built-in reference server */
  const char *patterns; /* --cases, comma-separated; NULL: all */
  const char *excludes; /* --exclude */
  int jobs;
  const char *out_dir;
  const char *json_path; /* --json, else OUT/results.json */
  double timeout_scale;
  enum ws_profile profile; /* --profile */
  char *extra_headers;     /* heap: "K: V\r\n" lines, or NULL */
  const char *origin;
  const char *agent;
  uint64_t seed;
  bool seed_given;
  ws_case_sources sources;
  bool verbose;
  bool wire_all;
  size_t wire_max; /* --wire-max, 0: the default */
  /* CI controls. */
  unsigned fail_on;           /* verdicts that make the exit status 1: bit
                                 (1u << verdict); default fail only */
  const char *baseline;       /* --baseline FILE (harness/baseline.h) */
  const char *write_baseline; /* --write-baseline FILE */
  /* The server under test as an owned child process (exec_server.h). */
  const char *exec_server; /* --exec-server "CMD {port}" */
  const char *path;        /* --path, the URL path with --exec-server */
  /* Autobahn|Testsuite compatibility (cli/test_autobahn.h). */
  const char *autobahn_config; /* --autobahn-config fuzzingclient.json */
  const char *autobahn_report; /* --autobahn-report DIR */
  /* wss:// targets (cli/tls_options.h). */
  ws_tls_options tls;
} ws_test_options;

/* Parses argv (argv[0] is "test"). 0 ok, 1 when --help was printed, -1 on a
 * usage error (message already on stderr). Free with
 * ws_test_options_free. */
int ws_test_options_parse(int argc, char **argv, ws_test_options *o);
void ws_test_options_free(ws_test_options *o);

/* The per-case wire log bound a run with these options uses: --wire-max (or
 * the default), lowered so -j cases in flight fit the live budget. */
size_t ws_test_effective_wire_max(const ws_test_options *o);

/* Parses a --fail-on list ("fail,non-strict"): comma-separated verdict
 * names (non_strict accepted too). 0, or -1 with a reason in err (an empty
 * list or an unknown name). */
int ws_test_parse_fail_on(const char *text, unsigned *out, char *err,
                          size_t cap);

/* --timeout-scale: a number in 0.1..100. 0, or -1 with a message on
 * stderr. */
int ws_test_parse_scale(const char *text, double *out);

/* --cases/--exclude given twice add to the first: *slot becomes "a,b", a
 * heap string kept in *owned (freed and replaced on the next join). 0 or -1
 * (out of memory). */
int ws_test_append_patterns(const char **slot, char **owned, const char *v);

/* Appends "K: V\r\n" to *headers (heap, may be NULL) after checking that
 * the text is a header line: a token, a colon, a value without CR, LF or
 * other control characters except tab. 0, or -1 with a reason. */
int ws_test_header_append(char **headers, const char *text, char *err,
                          size_t cap);

/* A random seed below 2^53, so it survives any JSON reader and is easy to
 * type back. */
uint64_t ws_test_random_seed(void);

/* Adds an option value to a sources list (heap arrays). 0 or -1. */
int ws_test_sources_add(const char ***list, size_t *count, const char *v);
void ws_test_sources_free(ws_case_sources *s);

/* --role of `list` and `show`: "client" (the cases `test` plays, the
 * default) or "server" (the cases `serve` plays). 0, or -1 with a message
 * on stderr. */
int ws_test_parse_role(const char *text, enum ws_role *out);

/* The built-in catalogue plus the extra files and directories, sorted,
 * holding the cases the harness can play as `role` (WS_ROLE_CLIENT for
 * `test`, WS_ROLE_SERVER for `serve`). NULL with "FILE:LINE: message" (or
 * another reason) in err. */
ws_catalogue *ws_test_load_catalogue(enum ws_role role, uint64_t seed,
                                     const ws_case_sources *src, char *err,
                                     size_t cap);

/* The cases matching any comma-separated pattern in `patterns` (all when
 * NULL) and none in `excludes`, in catalogue order. A pattern that matches
 * no case is an error, and so is a list that holds no pattern at all ('',
 * ' , '): an empty variable must not select everything. *out is heap (free
 * it); *count may be 0. 0, or -1 with a reason (naming --cases or
 * --exclude) in err. */
int ws_test_select_cases(const ws_catalogue *cat, const char *patterns,
                         const char *excludes, const ws_case ***out,
                         size_t *count, char *err, size_t cap);

/* The same for the patterns of `wsprobe list PATTERNS...`: no excludes, and
 * messages that name no option. */
int ws_test_select_listed(const ws_catalogue *cat, const char *patterns,
                          const ws_case ***out, size_t *count, char *err,
                          size_t cap);

#endif
