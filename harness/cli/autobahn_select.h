/* A fuzzingclient spec's case selection (autobahn_config.h) over wsprobe's
 * catalogue.
 *
 * Autobahn's patterns are matched against the Autobahn ids our cases carry
 * (their "autobahn" field), never against our own ids: "*" selects every
 * case that has an Autobahn equivalent, and our cases without one (the
 * handshake area, our own framing, UTF-8 and close cases) are not run by a
 * spec, so a drop-in run checks what Autobahn checked. `--cases` adds ours
 * (see test_autobahn.c).
 *
 * The matching is Autobahn's (caseset.py resolveCasePatternList and
 * parseExcludeAgentCases turn each pattern into a regular expression):
 * '*' matches any run of characters, dots included, and every other
 * character matches itself. In "cases" and "exclude-cases" a pattern with a
 * '*' needs to match only the start of an id (Python's re.match: "1.*"
 * selects 1.1.1, "6.1*" selects 6.1.x and 6.10.x to 6.19.x), and one without
 * is an exact id. In "exclude-agent-cases" the agent pattern and the case
 * patterns match whole names. */
#ifndef WS_HARNESS_AUTOBAHN_SELECT_H
#define WS_HARNESS_AUTOBAHN_SELECT_H

#include "case/catalogue.h"
#include "cli/autobahn_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* whole: the pattern must match all of text; otherwise a pattern holding a
 * '*' may match a prefix, and one without must equal text. */
bool ws_ab_pattern_matches(const char *pattern, const char *text, bool whole);

/* A set of Autobahn ids, sorted (strcmp) for lookups. */
typedef struct ws_ab_ids {
  char **v;
  size_t count;
} ws_ab_ids;

/* The Autobahn ids of cat's cases that cfg selects for agent: matching a
 * "cases" pattern, and neither an "exclude-cases" pattern nor a case
 * pattern of an "exclude-agent-cases" entry whose agent pattern matches
 * agent. 0, or -1 when out of memory. */
int ws_ab_select_ids(const ws_ab_config *cfg, const ws_catalogue *cat,
                     const char *agent, ws_ab_ids *out);
bool ws_ab_ids_has(const ws_ab_ids *ids, const char *id);
void ws_ab_ids_free(ws_ab_ids *ids);

/* One warning line on warn for each "cases" pattern that matches no
 * Autobahn id of cat (Autobahn's sections 9, 12 and 13, performance and
 * compression, have no equivalent here). name prefixes the lines. */
void ws_ab_warn_unmatched(const ws_ab_config *cfg, const ws_catalogue *cat,
                          const char *name, FILE *warn);

/* The cases to run, in catalogue order: those carrying an id of ids, plus
 * those matching the comma-separated wsprobe patterns extra (--cases, may
 * be NULL), minus those matching excludes (--exclude, may be NULL). *out is
 * heap. 0, or -1 with a reason in err (a wsprobe pattern that matches no
 * case, out of memory). */
int ws_ab_select_cases(const ws_catalogue *cat, const ws_ab_ids *ids,
                       const char *extra, const char *excludes,
                       const ws_case ***out, size_t *count, char *err,
                       size_t cap);

#endif
