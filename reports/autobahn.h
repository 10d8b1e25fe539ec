/* Autobahn|Testsuite's report layout, so scripts written for its
 * `wstest -m fuzzingclient` keep working: DIR/index.json and one JSON file
 * per agent and Autobahn case id. Written from the results model only
 * (results.h), for the cases that carry an Autobahn cross-reference.
 *
 * The formats, as Autobahn writes them (sources: crossbario/autobahn-testsuite,
 * autobahntestsuite/autobahntestsuite/fuzzing.py, FuzzingFactory
 * createMasterReportJSON, createAgentCaseReportJSON, cleanForFilename,
 * makeAgentCaseReportFilename and FuzzingProtocol.connectionLost;
 * case/case.py for the behaviour names; caseset.py for CasesIndices; checked
 * against published index.json excerpts such as Boost.Beast's
 * "AutobahnPython/0.6.0" -> "1.1.1" -> "autobahnpython_0_6_0_case_1_1_1.json"):
 *
 *   index.json   {AGENT: {CASE_ID: {"behavior": B, "behaviorClose": BC,
 *                                   "duration": MS, "remoteCloseCode": N|null,
 *                                   "reportfile": FILE}}}
 *                keyed by the dotted case id ("1.1.1"), agents and ids in
 *                sorted order as Python's sort_keys writes them.
 *   FILE         <agent in file-name form>_case_<id, dots as '_'>.json, e.g.
 *                "my_server_case_6_4_1.json": named by the dotted id, not by
 *                the case's sequence number; that number is the "case" key
 *                inside the file (autobahn_case.c lists every key).
 *   behavior     OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED
 *   behaviorClose OK, WRONG CODE, UNCLEAN, FAILED BY CLIENT, INFORMATIONAL,
 *                FAILED
 *
 * Our verdicts map onto these as autobahn_verdict.c says. Where several of
 * our cases carry the same Autobahn id, the id is reported once with the
 * worst of their verdicts (the severity order of verdict.h); a case that
 * carries several Autobahn ids is reported under each of them. */
#ifndef WS_REPORTS_AUTOBAHN_H
#define WS_REPORTS_AUTOBAHN_H

#include "reports/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Autobahn's ids are short dotted numbers ("6.22.34"); longer tokens are
 * not ids. */
#define WS_AUTOBAHN_ID_MAX 31

/* The next Autobahn id of a case's comma-separated "autobahn" field, from
 * *cursor (advanced past it). Tokens that are not dotted numbers are
 * skipped: they cannot be Autobahn ids, and an id becomes part of a file
 * name. false when none is left. */
bool ws_autobahn_next_id(const char **cursor, char out[WS_AUTOBAHN_ID_MAX + 1]);

/* Autobahn's order of ids: numerically, part by part ("2.10" after "2.9"). */
int ws_autobahn_id_compare(const char *a, const char *b);

/* The case's 1-based sequence number in Autobahn's own case list (the
 * "case" key of its per-case report), or 0 for an id outside the sections
 * whose numbering is known here (1 to 10). */
unsigned ws_autobahn_case_number(const char *id);

/* An agent name in Autobahn's file-name form: lower case; every character
 * other than a-z and 0-9 becomes '_', except leading and trailing ones,
 * which are dropped ("My Server/1.0" -> "my_server_1_0"). May be empty. */
void ws_autobahn_agent_slug(const char *agent, char *out, size_t cap);

/* Our verdict as an Autobahn "behavior". */
const char *ws_autobahn_behavior(enum ws_verdict v);
/* The case's close as an Autobahn "behaviorClose". */
const char *ws_autobahn_behavior_close(const ws_case_result *c);

/* One row of index.json. */
typedef struct ws_autobahn_entry {
  char *agent, *id, *reportfile; /* heap */
  const char *behavior, *behavior_close;
  uint64_t duration_ms;
  bool has_close_code;
  uint16_t close_code;
} ws_autobahn_entry;

/* What index.json lists: every agent written so far in this process. */
typedef struct ws_autobahn_index {
  ws_autobahn_entry *v;
  size_t count, cap;
} ws_autobahn_index;

/* Which Autobahn ids of a run to report; NULL reports every id. */
typedef bool (*ws_autobahn_want_fn)(const char *id, const void *ctx);

/* Writes DIR/<agent>_case_<id>.json for each Autobahn id of r's cases that
 * want accepts (r->agent names the agent, else r->target) and puts their
 * rows in index, replacing what it held for that agent. Each file is
 * written atomically. 0, or -1 with a message in err. */
int ws_autobahn_write_cases(const ws_run_results *r, const char *dir,
                            ws_autobahn_want_fn want, const void *ctx,
                            ws_autobahn_index *index, char *err, size_t cap);

/* Writes DIR/index.json (atomically) from index, an empty object when it
 * holds nothing. 0, or -1 with a message in err. */
int ws_autobahn_write_index(const ws_autobahn_index *index, const char *dir,
                            char *err, size_t cap);

void ws_autobahn_index_free(ws_autobahn_index *index);

#endif
