/* --autobahn-report: Autobahn's ids, numbers and file names, the verdict
 * mapping, and index.json plus the per-case files written from a results
 * model and read back. */
#include "reports/autobahn.h"
#include "reports/json_parse.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Test(autobahn_ids, ids_are_read_from_the_cross_reference) {
  const char *cursor = " 6.4.1, x/../y ,1..2, .1, 6.4.2 ,"
                       "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16";
  char id[WS_AUTOBAHN_ID_MAX + 1];
  cr_assert(ws_autobahn_next_id(&cursor, id));
  cr_assert_str_eq(id, "6.4.1");
  cr_assert(ws_autobahn_next_id(&cursor, id),
            "tokens that are not ids are skipped: they become file names");
  cr_assert_str_eq(id, "6.4.2");
  cr_assert_not(ws_autobahn_next_id(&cursor, id), "too long: %s", id);
  const char *none = NULL;
  cr_assert_not(ws_autobahn_next_id(&none, id));
}

Test(autobahn_ids, order_and_sequence_numbers_are_autobahns) {
  cr_assert_lt(ws_autobahn_id_compare("2.9", "2.10"), 0);
  cr_assert_lt(ws_autobahn_id_compare("1.1", "1.1.1"), 0);
  cr_assert_gt(ws_autobahn_id_compare("10.1.1", "9.8.6"), 0);
  cr_assert_eq(ws_autobahn_id_compare("7.13.2", "7.13.2"), 0);
  /* Positions in Autobahn's list: 16 cases of 1.x, 11 of 2.x, 7 of 3.x,
   * 10 of 4.x, 20 of 5.x, 145 of 6.x, 37 of 7.x, 54 of 9.x, then 10.1.1. */
  cr_assert_eq(ws_autobahn_case_number("1.1.1"), 1);
  cr_assert_eq(ws_autobahn_case_number("1.2.8"), 16);
  cr_assert_eq(ws_autobahn_case_number("2.1"), 17);
  cr_assert_eq(ws_autobahn_case_number("3.2"), 29);
  cr_assert_eq(ws_autobahn_case_number("6.1.1"), 65);
  cr_assert_eq(ws_autobahn_case_number("6.4.1"), 74);
  cr_assert_eq(ws_autobahn_case_number("7.1.1"), 210);
  cr_assert_eq(ws_autobahn_case_number("7.13.2"), 246);
  cr_assert_eq(ws_autobahn_case_number("10.1.1"), 301);
  cr_assert_eq(ws_autobahn_case_number("2.12"), 0, "no such case");
  cr_assert_eq(ws_autobahn_case_number("7.2.1"), 0, "no 7.2 section");
  cr_assert_eq(ws_autobahn_case_number("12.1.1"), 0, "not numbered here");
  cr_assert_eq(ws_autobahn_case_number("x"), 0);
}

Test(autobahn_ids, agent_names_take_autobahns_file_name_form) {
  char s[64];
  ws_autobahn_agent_slug("AutobahnPython/0.6.0", s, sizeof s);
  cr_assert_str_eq(s, "autobahnpython_0_6_0"); /* a published report name */
  ws_autobahn_agent_slug("  --My  Server--  ", s, sizeof s);
  cr_assert_str_eq(s, "my__server", "one '_' per character, ends dropped");
  ws_autobahn_agent_slug("\xc3\x9c"
                         "n\xc3\xaf"
                         "code srv",
                         s, sizeof s);
  cr_assert_str_eq(s, "n_code_srv", "one '_' per UTF-8 character");
  ws_autobahn_agent_slug("!!!", s, sizeof s);
  cr_assert_str_empty(s);
  ws_autobahn_agent_slug("abcdef", s, 4);
  cr_assert_str_eq(s, "abc", "bounded by the buffer");
}

static ws_case_result result(const char *id, enum ws_verdict v,
                             const char *reason_code) {
  ws_case_result c = {0};
  c.id = strdup(id);
  c.verdict = v;
  c.reason_code = strdup(reason_code);
  c.close_by = "none";
  return c;
}

Test(autobahn_verdict, behaviors_map_one_to_one_and_error_fails) {
  cr_assert_str_eq(ws_autobahn_behavior(WS_VERDICT_PASS), "OK");
  cr_assert_str_eq(ws_autobahn_behavior(WS_VERDICT_NON_STRICT), "NON-STRICT");
  cr_assert_str_eq(ws_autobahn_behavior(WS_VERDICT_INFORMATIONAL),
                   "INFORMATIONAL");
  cr_assert_str_eq(ws_autobahn_behavior(WS_VERDICT_UNIMPLEMENTED),
                   "UNIMPLEMENTED");
  cr_assert_str_eq(ws_autobahn_behavior(WS_VERDICT_FAIL), "FAILED");
  cr_assert_str_eq(ws_autobahn_behavior(WS_VERDICT_ERROR), "FAILED");
  cr_assert_str_eq(ws_autobahn_behavior((enum ws_verdict)42), "FAILED");
}

Test(autobahn_verdict, the_close_behavior_comes_from_the_reason) {
  static const struct {
    enum ws_verdict v;
    const char *code, *want;
  } rows[] = {
      {WS_VERDICT_PASS, "", "OK"},
      {WS_VERDICT_FAIL, "close-code", "WRONG CODE"},
      {WS_VERDICT_NON_STRICT, "tcp-close-order", "FAILED BY CLIENT"},
      {WS_VERDICT_NON_STRICT, "drop", "UNCLEAN"},
      {WS_VERDICT_FAIL, "no-close", "FAILED"},
      {WS_VERDICT_FAIL, "close-unexpected", "FAILED"},
      {WS_VERDICT_FAIL, "echo-missing", "OK"},
      {WS_VERDICT_FAIL, "violation", "OK"},
      {WS_VERDICT_INFORMATIONAL, "close-code", "INFORMATIONAL"},
      {WS_VERDICT_INFORMATIONAL, "matched-line", "OK"},
      {WS_VERDICT_UNIMPLEMENTED, "close-code", "OK"},
      {WS_VERDICT_ERROR, "harness", "FAILED"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    ws_case_result c = result("x", rows[i].v, rows[i].code);
    cr_assert_str_eq(ws_autobahn_behavior_close(&c), rows[i].want, "%s %s",
                     ws_verdict_name(rows[i].v), rows[i].code);
    ws_case_result_free(&c);
  }
}

/* ---- whole reports, read back ---- */

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "missing %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1);
  cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
  text[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return text;
}

struct doc {
  char *text;
  ws_jdoc d;
};

static void load(struct doc *doc, const char *dir, const char *file) {
  char path[512], err[256];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  size_t len;
  doc->text = slurp(path, &len);
  cr_assert_eq(ws_jdoc_parse(doc->text, len, NULL, &doc->d, err, sizeof err), 0,
               "%s: %s", path, err);
}

static void unload(struct doc *doc) {
  ws_jdoc_free(&doc->d);
  free(doc->text);
}

static bool str_at(const ws_jdoc *d, ws_jref obj, const char *key,
                   const char *want) {
  return ws_jdoc_string_eq(d, ws_jdoc_get(d, obj, key), want);
}

static uint64_t uint_at(const ws_jdoc *d, ws_jref obj, const char *key) {
  uint64_t v = 0;
  cr_assert_eq(ws_jdoc_uint(d, ws_jdoc_get(d, obj, key), &v), 0, "%s", key);
  return v;
}

static bool null_at(const ws_jdoc *d, ws_jref obj, const char *key) {
  ws_jref n = ws_jdoc_get(d, obj, key);
  return n && ws_jdoc_type(d, n) == WS_JNULL;
}

static void add(ws_run_results *r, ws_case_result c, const char *autobahn,
                double ms) {
  c.autobahn = autobahn ? strdup(autobahn) : NULL;
  c.title = strdup("title");
  c.expected = strdup("echo & close 1000");
  c.observed = strdup("status 101");
  c.reason = strdup(c.verdict == WS_VERDICT_PASS ? "" : "why");
  c.duration_ms = ms;
  cr_assert_eq(ws_results_add(r, &c), 0);
}

static void wire(ws_case_result *c, const char *dir, const void *bytes,
                 size_t len) {
  c->wire = realloc(c->wire, (c->wire_count + 1) * sizeof *c->wire);
  ws_result_wire *e = &c->wire[c->wire_count++];
  memset(e, 0, sizeof *e);
  e->dir = dir;
  e->bytes = malloc(len ? len : 1);
  memcpy(e->bytes, bytes, len);
  e->len = len;
}

/* A run of agent "My Server/1.0": a pass, two cases behind 6.4.1 (the worst
 * wins), one case behind two ids that could not be run, an informational
 * close code, and a case of ours without an Autobahn id. */
static void sample_run(ws_run_results *r) {
  ws_results_init(r);
  r->agent = strdup("My Server/1.0");
  r->target = strdup("ws://127.0.0.1:9001/");
  r->started_at = strdup("2024-01-01T12:00:00Z");
  add(r, result("1.1.1", WS_VERDICT_PASS, ""), "1.1.1", 1.4);
  ws_case_result bad = result("6.4.1", WS_VERDICT_FAIL, "close-code");
  bad.has_close = true;
  bad.close_code = 1002;
  bad.close_reason = strdup("bad utf-8");
  bad.close_by = "peer";
  bad.close_clean = true;
  static const char request[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  wire(&bad, "tx", request, 10);
  wire(&bad, "note", "x", 1);
  wire(&bad, "tx", request + 10, sizeof request - 11);
  uint8_t big[100];
  memset(big, 0xab, sizeof big);
  wire(&bad, "rx", big, sizeof big);
  add(r, bad, "6.4.1", 2.25);
  ws_case_result late = result("utf8.7", WS_VERDICT_NON_STRICT, "late-fail");
  add(r, late, "6.4.1", 3.5);
  add(r, result("2.5", WS_VERDICT_ERROR, "harness"), "2.5, 2.6", 0);
  ws_case_result info =
      result("7.13.1", WS_VERDICT_INFORMATIONAL, "close-code");
  info.has_close = true;
  info.close_empty = true;
  info.close_code = 1005;
  info.close_by = "harness";
  add(r, info, "7.13.1", 0.4);
  add(r, result("hs.1", WS_VERDICT_FAIL, "status"), NULL, 1);
}

static char *temp_dir(void) {
  char *dir = strdup("/tmp/wsprobe-ab-report-XXXXXX");
  cr_assert(mkdtemp(dir));
  return dir;
}

static void remove_dir(const char *dir) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
}

Test(autobahn_report, index_json_holds_one_row_per_autobahn_id) {
  ws_run_results r;
  sample_run(&r);
  char *dir = temp_dir(), err[512];
  ws_autobahn_index ix = {0};
  cr_assert_eq(
      ws_autobahn_write_cases(&r, dir, NULL, NULL, &ix, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(ws_autobahn_write_index(&ix, dir, err, sizeof err), 0, "%s",
               err);
  struct doc index;
  load(&index, dir, "index.json");
  const ws_jdoc *d = &index.d;
  cr_assert_eq(ws_jdoc_count(d, 0), 1);
  ws_jref agent = ws_jdoc_get(d, 0, "My Server/1.0");
  cr_assert(agent);
  cr_assert_eq(ws_jdoc_count(d, agent), 5, "1.1.1 2.5 2.6 6.4.1 7.13.1");
  ws_jref row = ws_jdoc_get(d, agent, "1.1.1");
  cr_assert(str_at(d, row, "behavior", "OK"));
  cr_assert(str_at(d, row, "behaviorClose", "OK"));
  cr_assert_eq(uint_at(d, row, "duration"), 1);
  cr_assert(null_at(d, row, "remoteCloseCode"));
  cr_assert(str_at(d, row, "reportfile", "my_server_1_0_case_1_1_1.json"));
  row = ws_jdoc_get(d, agent, "6.4.1");
  cr_assert(str_at(d, row, "behavior", "FAILED"), "the worst of two wins");
  cr_assert(str_at(d, row, "behaviorClose", "WRONG CODE"));
  cr_assert_eq(uint_at(d, row, "duration"), 6, "2.25 + 3.5 ms together");
  cr_assert_eq(uint_at(d, row, "remoteCloseCode"), 1002);
  row = ws_jdoc_get(d, agent, "2.6");
  cr_assert(str_at(d, row, "behavior", "FAILED"), "error is FAILED");
  cr_assert(str_at(d, row, "behaviorClose", "FAILED"));
  cr_assert(str_at(d, row, "reportfile", "my_server_1_0_case_2_6.json"));
  row = ws_jdoc_get(d, agent, "7.13.1");
  cr_assert(str_at(d, row, "behavior", "INFORMATIONAL"));
  cr_assert(str_at(d, row, "behaviorClose", "INFORMATIONAL"));
  cr_assert(null_at(d, row, "remoteCloseCode"), "an empty close has no code");
  cr_assert_null(strstr(index.text, "hs.1"));
  /* Keys in Python's sort_keys order: "1.1.1" "2.5" "2.6" "6.4.1" "7.13.1". */
  const char *p = index.text;
  static const char *const order[] = {"\"1.1.1\"", "\"2.5\"", "\"2.6\"",
                                      "\"6.4.1\"", "\"7.13.1\""};
  for (size_t i = 0; i < 5; i++) {
    const char *at = strstr(p, order[i]);
    cr_assert(at, "%s out of order", order[i]);
    p = at;
  }
  unload(&index);
  ws_autobahn_index_free(&ix);
  ws_results_free(&r);
  remove_dir(dir);
  free(dir);
}

Test(autobahn_report, a_case_file_has_every_autobahn_key) {
  static const char *const keys[] = {"agent",
                                     "behavior",
                                     "behaviorClose",
                                     "case",
                                     "closedByMe",
                                     "createStats",
                                     "createWirelog",
                                     "description",
                                     "droppedByMe",
                                     "duration",
                                     "expectation",
                                     "expected",
                                     "expectedClose",
                                     "failedByMe",
                                     "httpRequest",
                                     "httpResponse",
                                     "id",
                                     "isServer",
                                     "localCloseCode",
                                     "localCloseReason",
                                     "received",
                                     "remoteCloseCode",
                                     "remoteCloseReason",
                                     "reportCompressionRatio",
                                     "reportTime",
                                     "result",
                                     "resultClose",
                                     "rxFrameStats",
                                     "rxOctetStats",
                                     "started",
                                     "trafficStats",
                                     "txFrameStats",
                                     "txOctetStats",
                                     "wasClean",
                                     "wasCloseHandshakeTimeout",
                                     "wasNotCleanReason",
                                     "wasOpenHandshakeTimeout",
                                     "wasServerConnectionDropTimeout",
                                     "wirelog",
                                     "wsprobe"};
  ws_run_results r;
  sample_run(&r);
  char *dir = temp_dir(), err[512];
  ws_autobahn_index ix = {0};
  cr_assert_eq(
      ws_autobahn_write_cases(&r, dir, NULL, NULL, &ix, err, sizeof err), 0,
      "%s", err);
  struct doc f;
  load(&f, dir, "my_server_1_0_case_6_4_1.json");
  const ws_jdoc *d = &f.d;
  size_t i = 0;
  for (ws_jref m = ws_jdoc_first(d, 0); m; m = ws_jdoc_next(d, m), i++) {
    cr_assert_lt(i, sizeof keys / sizeof keys[0]);
    cr_assert_eq(ws_jdoc_get(d, 0, keys[i]), m, "key %zu is not %s", i,
                 keys[i]);
  }
  cr_assert_eq(i, sizeof keys / sizeof keys[0]);
  cr_assert(str_at(d, 0, "agent", "My Server/1.0"));
  cr_assert(str_at(d, 0, "id", "6.4.1"));
  cr_assert_eq(uint_at(d, 0, "case"), 74);
  cr_assert(str_at(d, 0, "behavior", "FAILED"));
  cr_assert_eq(uint_at(d, 0, "remoteCloseCode"), 1002);
  cr_assert(str_at(d, 0, "remoteCloseReason", "bad utf-8"));
  cr_assert_eq(ws_jdoc_type(d, ws_jdoc_get(d, 0, "wasClean")), WS_JTRUE);
  cr_assert_eq(ws_jdoc_type(d, ws_jdoc_get(d, 0, "closedByMe")), WS_JFALSE);
  cr_assert_eq(ws_jdoc_type(d, ws_jdoc_get(d, 0, "isServer")), WS_JFALSE);
  cr_assert(str_at(d, 0, "started", "2024-01-01T12:00:00Z"));
  cr_assert(str_at(d, 0, "httpRequest", "GET / HTTP/1.1\r\nHost: h\r\n\r\n"),
            "the request's two writes joined, the note between skipped");
  cr_assert(null_at(d, 0, "httpResponse"), "no blank line received");
  ws_jref log = ws_jdoc_get(d, 0, "wirelog");
  cr_assert_eq(ws_jdoc_count(d, log), 3, "notes have no Autobahn row");
  ws_jref first = ws_jdoc_first(d, log);
  cr_assert(ws_jdoc_string_eq(d, ws_jdoc_first(d, first), "TO"));
  ws_jref rx = ws_jdoc_next(d, ws_jdoc_next(d, first));
  cr_assert(ws_jdoc_string_eq(d, ws_jdoc_first(d, rx), "RO"));
  cr_assert_eq(ws_jdoc_count(d, rx), 2, "RO rows have no sync flag");
  ws_jref octets = ws_jdoc_next(d, ws_jdoc_first(d, rx));
  uint64_t len = 0;
  cr_assert_eq(ws_jdoc_uint(d, ws_jdoc_first(d, octets), &len), 0);
  cr_assert_eq(len, 100);
  char *hex =
      ws_jdoc_string_dup(d, ws_jdoc_next(d, ws_jdoc_first(d, octets)), NULL);
  cr_assert_eq(strlen(hex), 128 + 4, "64 bytes shown, then \" ...\"");
  cr_assert_str_eq(hex + 128, " ...");
  free(hex);
  ws_jref ours = ws_jdoc_get(d, ws_jdoc_get(d, 0, "wsprobe"), "cases");
  cr_assert_eq(ws_jdoc_count(d, ours), 2);
  cr_assert(str_at(d, ws_jdoc_first(d, ours), "id", "6.4.1"));
  cr_assert(str_at(d, ws_jdoc_next(d, ws_jdoc_first(d, ours)), "verdict",
                   "non-strict"));
  char *result = ws_jdoc_string_dup(d, ws_jdoc_get(d, 0, "result"), NULL);
  cr_assert(strstr(result, "Worst of 2 wsprobe cases"), "%s", result);
  free(result);
  unload(&f);
  load(&f, dir, "my_server_1_0_case_2_5.json");
  cr_assert(null_at(&f.d, 0, "remoteCloseCode"));
  cr_assert_eq(uint_at(&f.d, 0, "case"), 21);
  cr_assert_eq(ws_jdoc_type(&f.d, ws_jdoc_get(&f.d, 0, "createWirelog")),
               WS_JFALSE);
  result = ws_jdoc_string_dup(&f.d, ws_jdoc_get(&f.d, 0, "result"), NULL);
  cr_assert(strstr(result, "could not be run: why"), "%s", result);
  free(result);
  unload(&f);
  ws_autobahn_index_free(&ix);
  ws_results_free(&r);
  remove_dir(dir);
  free(dir);
}

static bool not_2_6(const char *id, const void *ctx) {
  (void)ctx;
  return strcmp(id, "2.6") != 0;
}

Test(autobahn_report, agents_accumulate_and_a_rerun_replaces_its_rows) {
  ws_run_results r;
  sample_run(&r);
  char *dir = temp_dir(), err[512];
  ws_autobahn_index ix = {0};
  cr_assert_eq(
      ws_autobahn_write_cases(&r, dir, not_2_6, NULL, &ix, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(ix.count, 4, "2.6 not wanted");
  free(r.agent);
  r.agent = strdup("Other");
  cr_assert_eq(
      ws_autobahn_write_cases(&r, dir, NULL, NULL, &ix, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(ix.count, 9);
  cr_assert_eq(
      ws_autobahn_write_cases(&r, dir, NULL, NULL, &ix, err, sizeof err), 0,
      "%s", err);
  cr_assert_eq(ix.count, 9, "the same agent again replaces its rows");
  cr_assert_eq(ws_autobahn_write_index(&ix, dir, err, sizeof err), 0, "%s",
               err);
  struct doc index;
  load(&index, dir, "index.json");
  cr_assert_eq(ws_jdoc_count(&index.d, 0), 2);
  cr_assert(strstr(index.text, "\"My Server/1.0\"") <
                strstr(index.text, "\"Other\""),
            "agents sorted");
  unload(&index);
  ws_autobahn_index_free(&ix);
  cr_assert_eq(ws_autobahn_write_index(&ix, dir, err, sizeof err), 0);
  load(&index, dir, "index.json");
  cr_assert_eq(ws_jdoc_type(&index.d, 0), WS_JOBJECT);
  cr_assert_eq(ws_jdoc_count(&index.d, 0), 0, "no run: an empty index");
  unload(&index);
  ws_results_free(&r);
  remove_dir(dir);
  free(dir);
}
