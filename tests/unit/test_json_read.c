/* Reading results.json back (json_read.c) and the strict, bounded parser
 * under it (json_parse.c): a round trip through the writer keeps every
 * field, and malformed or hostile documents end in clean errors. */
#include "reports/json.h"
#include "reports/json_parse.h"
#include "reports/report.h"
#include "reports/results.h"

#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/wsprobe-json-read-XXXXXX";

static void setup(void) { cr_assert_not_null(mkdtemp(dir)); }
static void teardown(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  strcpy(dir, "/tmp/wsprobe-json-read-XXXXXX");
}

TestSuite(json_read, .init = setup, .fini = teardown);

static char *path_of(const char *name) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}

static const char *write_text(const char *name, const char *text, size_t len) {
  char *p = path_of(name);
  FILE *f = fopen(p, "wb");
  cr_assert_not_null(f);
  fwrite(text, 1, len, f);
  fclose(f);
  return p;
}

static void add_case(ws_run_results *r, const char *id, enum ws_verdict v) {
  ws_case_result c = {0};
  c.id = strdup(id);
  c.title = strdup("a \"quoted\" title\twith\ttabs");
  c.area = strdup("framing");
  c.rfc = strdup("6455#5.2");
  c.level = strdup("MUST");
  c.autobahn = strcmp(id, "1.1") == 0 ? strdup("1.1.1") : NULL;
  c.verdict = v;
  c.reason_code = strdup(v == WS_VERDICT_PASS ? "" : "close-code");
  c.reason = strdup(v == WS_VERDICT_PASS ? "" : "expected 1002, got 1000");
  c.expected = strdup("close 1002");
  c.observed = strdup("line one\nline two \xe2\x80\xa8 </script>");
  c.duration_ms = 12.25;
  c.close_by = "none";
  r->counts[0] += 0;
  cr_assert_eq(ws_results_add(r, &c), 0);
}

static void sample_run(ws_run_results *r) {
  ws_results_init(r);
  r->tool_version = strdup("9.9.9");
  r->target = strdup("ws://127.0.0.1:9001/chat?x=1");
  r->agent = strdup("my \xf0\x9f\x90\x8d server");
  r->tls = strdup("TLSv1.3, cipher TLS_AES_256_GCM_SHA384; certificate and "
                  "host name NOT verified (--insecure)");
  r->started_at = strdup("2024-01-01T12:00:00Z");
  r->duration_ms = 4211.5;
  r->seed = UINT64_MAX - 7; /* does not fit a double */
  r->interrupted = true;
  r->timeout_scale = 2.5;
  r->selected = 10;
  add_case(r, "1.1", WS_VERDICT_PASS);
  add_case(r, "6.4.1", WS_VERDICT_NON_STRICT);
  add_case(r, "7.5.1", WS_VERDICT_FAIL);
  /* A case with a close frame, a hostile close reason (invalid UTF-8 and
   * control bytes) and a wire log with every byte value. */
  ws_case_result *c = &r->cases[2];
  c->has_close = true;
  c->close_code = 1000;
  c->close_reason = strdup("bad \xff\xfe utf8 \x01 \"q\" \\");
  c->close_by = "peer";
  c->close_clean = true;
  c->wire_count = 3;
  c->wire = calloc(3, sizeof *c->wire);
  c->wire[0] = (ws_result_wire){.t_ms = 0.5, .dir = "tx", .len = 256};
  c->wire[0].bytes = malloc(256);
  for (int i = 0; i < 256; i++)
    c->wire[0].bytes[i] = (uint8_t)i;
  c->wire[0].note = strdup("step 1: frame text");
  c->wire[1] = (ws_result_wire){.t_ms = 1.25, .dir = "rx", .len = 2};
  c->wire[1].bytes = malloc(2);
  memcpy(c->wire[1].bytes, "\x88\x00", 2);
  c->wire[2] = (ws_result_wire){.t_ms = 2, .dir = "note"};
  c->wire[2].note = strdup("peer closed TCP");
  c->wire_truncated = true;
  /* An empty close frame: code null in JSON, 1005 in the model. */
  ws_case_result *e = &r->cases[1];
  e->has_close = true;
  e->close_empty = true;
  e->close_code = 1005;
  e->close_reason = strdup("");
  e->close_by = "harness";
}

static void assert_str(const char *a, const char *b) {
  cr_assert_str_eq(a ? a : "", b ? b : "");
}

Test(json_read, round_trip_keeps_every_field) {
  ws_run_results w, r;
  char err[512];
  sample_run(&w);
  const char *p = path_of("results.json");
  cr_assert_eq(ws_results_write_json(&w, p, err, sizeof err), 0, "%s", err);
  cr_assert_eq(ws_results_read_json(p, &r, err, sizeof err), 0, "%s", err);
  assert_str(r.tool_version, "9.9.9");
  assert_str(r.target, w.target);
  assert_str(r.agent, w.agent);
  assert_str(r.tls, w.tls);
  assert_str(r.started_at, w.started_at);
  cr_assert_float_eq(r.duration_ms, 4211.5, 1e-9);
  cr_assert_eq(r.seed, UINT64_MAX - 7);
  cr_assert(r.interrupted);
  cr_assert_float_eq(r.timeout_scale, 2.5, 1e-9);
  cr_assert_eq(r.selected, 10);
  cr_assert_eq(r.case_count, 3);
  for (int v = 0; v < WS_VERDICT_COUNT; v++)
    cr_assert_eq(r.counts[v], w.counts[v]);
  for (size_t i = 0; i < 3; i++) {
    const ws_case_result *a = &w.cases[i], *b = &r.cases[i];
    assert_str(b->id, a->id);
    assert_str(b->title, a->title);
    assert_str(b->area, a->area);
    assert_str(b->rfc, a->rfc);
    assert_str(b->level, a->level);
    cr_assert_eq(!a->autobahn, !b->autobahn);
    assert_str(b->autobahn, a->autobahn);
    cr_assert_eq(b->verdict, a->verdict);
    assert_str(b->reason_code, a->reason_code);
    assert_str(b->reason, a->reason);
    assert_str(b->expected, a->expected);
    assert_str(b->observed, a->observed);
    cr_assert_float_eq(b->duration_ms, a->duration_ms, 1e-9);
    cr_assert_eq(b->has_close, a->has_close);
    cr_assert_eq(b->close_code, a->close_code);
    cr_assert_eq(b->close_empty, a->close_empty);
    cr_assert_eq(b->close_clean, a->close_clean);
    assert_str(b->close_by, a->close_by);
    cr_assert_eq(b->wire_count, a->wire_count);
    cr_assert_eq(b->wire_truncated, a->wire_truncated);
    for (size_t k = 0; k < a->wire_count; k++) {
      cr_assert_float_eq(b->wire[k].t_ms, a->wire[k].t_ms, 1e-9);
      assert_str(b->wire[k].dir, a->wire[k].dir);
      cr_assert_eq(b->wire[k].len, a->wire[k].len);
      if (a->wire[k].len)
        cr_assert_eq(memcmp(b->wire[k].bytes, a->wire[k].bytes, a->wire[k].len),
                     0);
      cr_assert_eq(!b->wire[k].note, !a->wire[k].note);
      assert_str(b->wire[k].note, a->wire[k].note);
    }
  }
  /* Invalid UTF-8 came back as U+FFFD, as the writer escaped it. */
  assert_str(r.cases[2].close_reason,
             "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \x01 \"q\" \\");
  assert_str(r.cases[0].close_reason, NULL);
  /* Reading what was read and writing it again gives the same file. */
  const char *p2 = path_of("again.json");
  cr_assert_eq(ws_results_write_json(&r, p2, err, sizeof err), 0);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", p, p2);
  cr_assert_eq(system(cmd), 0, "a second round trip changed the file");
  ws_results_free(&w);
  ws_results_free(&r);
}

/* A minimal valid document, with a hole where a test puts its own text. */
static const char *doc(const char *summary, const char *cases) {
  static char pool[32][1024]; /* one table of documents uses several */
  static size_t next;
  char *buf = pool[next++ % 32];
  snprintf(buf, sizeof pool[0],
           "{\"schema\": \"wsprobe-results/1\", \"seed\": \"42\", "
           "\"future_field\": {\"a\": [1, 2, {\"b\": null}]}, "
           "\"summary\": %s, \"cases\": %s}",
           summary, cases);
  return buf;
}

static int read_doc(const char *text, char *err, size_t cap) {
  ws_run_results r;
  const char *p = write_text("doc.json", text, strlen(text));
  int rc = ws_results_read_json(p, &r, err, cap);
  if (rc == 0)
    ws_results_free(&r);
  return rc;
}

Test(json_read, unknown_fields_ignored_missing_ones_defaulted) {
  char err[512];
  const char *text =
      doc("{\"total\": 1, \"fail\": 1, \"unknown\": 7}",
          "[{\"id\": \"x\", \"verdict\": \"fail\", \"new\": true}]");
  ws_run_results r;
  const char *p = write_text("doc.json", text, strlen(text));
  cr_assert_eq(ws_results_read_json(p, &r, err, sizeof err), 0, "%s", err);
  cr_assert_eq(r.seed, 42);
  cr_assert_eq(r.case_count, 1);
  cr_assert_eq(r.counts[WS_VERDICT_FAIL], 1);
  assert_str(r.cases[0].title, "");
  cr_assert_null(r.cases[0].autobahn);
  assert_str(r.cases[0].close_by, "none");
  cr_assert_null(r.tls, "no \"tls\": a ws:// run (or an older file)");
  ws_results_free(&r);
}

struct bad_doc {
  const char *text;
  const char *message; /* a substring of the error */
};

Test(json_read, malformed_and_hostile_documents_are_refused) {
  static char deep[20000];
  size_t n = 0;
  n += (size_t)sprintf(deep, "{\"schema\": \"wsprobe-results/1\", \"x\": ");
  for (int i = 0; i < 5000; i++)
    deep[n++] = '[';
  deep[n] = '\0';
  static char huge_number[2000];
  snprintf(huge_number, sizeof huge_number, "%s",
           doc("{}", "[{\"id\": \"a\", \"verdict\": \"pass\", "
                     "\"duration_ms\": 1e999}]"));
  const struct bad_doc bad[] = {
      {"", "unexpected end"},
      {"{\"schema\": \"wsprobe-results/1\", \"cases\": [", "unexpected end"},
      {"{\"schema\": \"wsprobe-results/1\",}", "member name"},
      {"[1, 2,]", "unexpected character"},
      {"{\"schema\": \"wsprobe-results/2\", \"cases\": []}", "is not wsprobe"},
      {"{\"cases\": []}", "no \"schema\""},
      {"[]", "no object"},
      {"{\"schema\": \"wsprobe-results/1\"} x", "data after"},
      {"{\"a\": \"\\x\"}", "invalid escape"},
      {"{\"a\": \"\\u12\"}", "\\u"},
      {"{\"a\": \"\\ud800\"}", "surrogate"},
      {"{\"a\": \"\\udc00\"}", "surrogate"},
      {"{\"a\": \"\xc3\x28\"}", "UTF-8"},
      {"{\"a\": \"\x01\"}", "control character"},
      {"{\"a\": 01}", "leading zero"},
      {"{\"a\": 1.}", "digit expected"},
      {"{\"a\": tru}", "unexpected character"},
      {"{'a': 1}", "member name"},
      {deep, "nesting too deep"},
      {huge_number, "duration_ms"},
      {doc("{\"total\": 2}", "[{\"id\": \"a\", \"verdict\": \"fail\"}]"),
       "total is 2"},
      {doc("{\"fail\": 0}", "[{\"id\": \"a\", \"verdict\": \"fail\"}]"),
       "fail is 0"},
      {doc("{}", "[{\"id\": \"a\", \"verdict\": \"meh\"}]"), "unknown verdict"},
      {doc("{}", "[{\"verdict\": \"pass\"}]"), "id"},
      {doc("{}", "[{\"id\": \"a\", \"verdict\": \"pass\", "
                 "\"wire\": [{\"dir\": \"tx\", \"hex\": \"abc\"}]}]"),
       "odd number"},
      {doc("{}", "[{\"id\": \"a\", \"verdict\": \"pass\", "
                 "\"wire\": [{\"dir\": \"tx\", \"hex\": \"zz\"}]}]"),
       "hex digit"},
      {doc("{}", "[{\"id\": \"a\", \"verdict\": \"pass\", "
                 "\"wire\": [{\"dir\": \"up\"}]}]"),
       "dir"},
      {doc("{}", "[{\"id\": \"a\", \"verdict\": \"pass\", "
                 "\"close\": {\"code\": 70000}}]"),
       "code"},
      {doc("{}", "{}"), "cases"},
      {"{\"schema\": \"wsprobe-results/1\", \"seed\": \"18446744073709551616\","
       " \"cases\": []}",
       "seed"},
      {"{\"schema\": \"wsprobe-results/1\", \"selected\": -1, \"cases\": []}",
       "selected"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char err[512] = "";
    cr_assert_eq(read_doc(bad[i].text, err, sizeof err), -1, "doc %zu read", i);
    cr_assert(strstr(err, bad[i].message), "doc %zu: '%s' lacks '%s'", i, err,
              bad[i].message);
    cr_assert(strstr(err, "doc.json: "), "doc %zu: no path in '%s'", i, err);
  }
}

Test(json_read, nul_bytes_and_missing_files) {
  char err[512];
  ws_run_results r;
  const char *p = write_text("nul.json", "{\"a\": \"x\0y\"}", 12);
  cr_assert_eq(ws_results_read_json(p, &r, err, sizeof err), -1);
  cr_assert_eq(
      ws_results_read_json(path_of("missing.json"), &r, err, sizeof err), -1);
  cr_assert(strstr(err, "No such file"), "%s", err);
  cr_assert_eq(ws_results_read_json(dir, &r, err, sizeof err), -1);
}

Test(json_read, parser_decodes_escapes_and_bounds_sizes) {
  const char *text = "{\"k\\u0065y\": \"a\\n\\u00e9\\ud83d\\ude00\\u0000\","
                     " \"n\": 18446744073709551615, \"big\": "
                     "18446744073709551616, \"f\": -1.5e2}";
  ws_jdoc d;
  char err[256];
  cr_assert_eq(ws_jdoc_parse(text, strlen(text), NULL, &d, err, sizeof err), 0,
               "%s", err);
  ws_jref k = ws_jdoc_get(&d, 0, "key");
  cr_assert_neq(k, WS_JNONE, "escaped member names match");
  size_t len;
  char *s = ws_jdoc_string_dup(&d, k, &len);
  cr_assert_str_eq(s, "a\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd");
  free(s);
  uint64_t u;
  cr_assert_eq(ws_jdoc_uint(&d, ws_jdoc_get(&d, 0, "n"), &u), 0);
  cr_assert_eq(u, UINT64_MAX);
  cr_assert_eq(ws_jdoc_uint(&d, ws_jdoc_get(&d, 0, "big"), &u), -1);
  double f;
  cr_assert_eq(ws_jdoc_uint(&d, ws_jdoc_get(&d, 0, "f"), &u), -1);
  cr_assert_eq(ws_jdoc_number(&d, ws_jdoc_get(&d, 0, "f"), &f), 0);
  cr_assert_float_eq(f, -150.0, 1e-9);
  ws_jdoc_free(&d);

  ws_jdoc_limits lim = ws_jdoc_default_limits;
  lim.max_nodes = 3;
  cr_assert_eq(ws_jdoc_parse("[1,2,3]", 7, &lim, &d, err, sizeof err), -1);
  cr_assert(strstr(err, "too many values"), "%s", err);
  lim = ws_jdoc_default_limits;
  lim.max_string = 4;
  cr_assert_eq(ws_jdoc_parse("\"12345\"", 7, &lim, &d, err, sizeof err), -1);
  cr_assert(strstr(err, "string too long"), "%s", err);
  lim = ws_jdoc_default_limits;
  lim.max_input = 3;
  cr_assert_eq(ws_jdoc_parse("1234", 4, &lim, &d, err, sizeof err), -1);
  char digits[700];
  memset(digits, '1', sizeof digits);
  cr_assert_eq(ws_jdoc_parse(digits, sizeof digits, NULL, &d, err, sizeof err),
               -1);
  cr_assert(strstr(err, "number too long"), "%s", err);
}

/* ---- extreme numbers ---- */

/* r as the writer writes it, in memory. */
static char *write_mem(const ws_run_results *r, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  cr_assert_not_null(f);
  cr_assert_eq(ws_results_write_json_stream(r, f), 0);
  cr_assert_eq(fclose(f), 0);
  return text;
}

/* Reads text (which must be accepted), writes it, reads that and writes it
 * again: both reads succeed and the two writes are the same bytes (the
 * invariant of fuzz/results_json.c). Returns what the first read gave. */
static void round_trip_text(const char *text, size_t len, ws_run_results *r) {
  char err[512];
  cr_assert_eq(ws_results_read_json_text("in", text, len, r, err, sizeof err),
               0, "%s", err);
  size_t na, nb;
  char *a = write_mem(r, &na);
  ws_run_results again;
  cr_assert_eq(ws_results_read_json_text("a", a, na, &again, err, sizeof err),
               0, "the reader refused what the writer wrote: %s\n%s", err, a);
  char *b = write_mem(&again, &nb);
  ws_results_free(&again);
  cr_assert(na == nb && memcmp(a, b, na) == 0,
            "a second round trip changed the text:\n%s\n%s", a, b);
  free(a);
  free(b);
}

/* v in every double field of the model (run and case duration_ms, t_ms,
 * timeout_scale): what the writer writes reads back as v rounded to the
 * 3 written decimals, and a second round trip changes nothing. */
static void assert_double_round_trip(double v) {
  ws_run_results w, r;
  ws_results_init(&w);
  w.duration_ms = v;
  w.timeout_scale = v;
  add_case(&w, "1.1", WS_VERDICT_PASS);
  ws_case_result *c = &w.cases[0];
  c->duration_ms = v;
  c->wire_count = 1;
  c->wire = calloc(1, sizeof *c->wire);
  cr_assert_not_null(c->wire);
  c->wire[0] = (ws_result_wire){.t_ms = v, .dir = "note"};
  size_t len;
  char *text = write_mem(&w, &len);
  round_trip_text(text, len, &r);
  double want = ws_json_double_as_written(v, 3);
  cr_assert(isfinite(want));
  cr_assert(r.duration_ms == want && !signbit(r.duration_ms) == !signbit(want),
            "%.17g read back as %.17g", v, r.duration_ms);
  cr_assert(r.cases[0].duration_ms == want, "%.17g", v);
  cr_assert(r.cases[0].wire[0].t_ms == want, "%.17g", v);
  /* A scale that is 0 as written is unknown, written as the default. */
  cr_assert(r.timeout_scale == (want > 0 ? want : 1.0), "%.17g read as %.17g",
            v, r.timeout_scale);
  free(text);
  ws_results_free(&w);
  ws_results_free(&r);
}

Test(json_read, extreme_doubles_survive_a_round_trip) {
  const double values[] = {
      1e300,
      1885555e55, /* the outside finding: wider than the writer's old buffer */
      -1885555e55,
      DBL_MAX,
      -DBL_MAX,
      4.9406564584124654e-324, /* the smallest denormal */
      -4.9406564584124654e-324,
      DBL_MIN,
      -0.0,
      1e-300,
      0.0004, /* 0.0 at 3 decimals */
      0.0005,
      nextafter(0.0005, 0),
      9007199254740993.0, /* 2^53 + 1: no double in between */
      4211.5,
      12.3456,
  };
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
    assert_double_round_trip(values[i]);
  /* Exact: a finite double is written in full, never cut short. */
  cr_assert_eq(ws_json_double_as_written(1885555e55, 3), 1885555e55);
  cr_assert_eq(ws_json_double_as_written(-DBL_MAX, 9), -DBL_MAX);
  cr_assert(!signbit(ws_json_double_as_written(-0.0, 3)), "-0 is written 0");
}

/* Numbers as another tool may write them: an exponent is read (and written
 * back in full), one that underflows reads as 0, one that overflows to
 * infinity is refused with the member's name rather than read as inf. */
Test(json_read, numbers_with_exponents_overflow_and_underflow) {
  static const char finding[] = "{\"schema\":\"wsprobe-results/1\","
                                "\"timeout_scale\":1885555e55,\"cases\":[]}";
  ws_run_results r;
  round_trip_text(finding, sizeof finding - 1, &r);
  cr_assert_eq(r.timeout_scale, 1885555e55);
  ws_results_free(&r);

  static const char tiny[] =
      "{\"schema\":\"wsprobe-results/1\",\"duration_ms\":1e-400,"
      "\"timeout_scale\":-4.9e-324,\"cases\":[{\"id\":\"a\","
      "\"verdict\":\"pass\",\"duration_ms\":-0,\"wire\":[{\"t_ms\":"
      "2.2250738585072011e-308,\"dir\":\"tx\"}]}]}";
  round_trip_text(tiny, sizeof tiny - 1, &r);
  cr_assert_eq(r.duration_ms, 0);
  cr_assert_eq(r.timeout_scale, -4.9e-324);
  cr_assert_eq(r.cases[0].wire[0].t_ms, 2.2250738585072011e-308);
  ws_results_free(&r);

  const struct bad_doc overflow[] = {
      {"{\"schema\": \"wsprobe-results/1\", \"timeout_scale\": 1e309, "
       "\"cases\": []}",
       "timeout_scale: a finite number expected"},
      {"{\"schema\": \"wsprobe-results/1\", \"duration_ms\": "
       "-1885555e999, \"cases\": []}",
       "duration_ms: a finite number expected"},
      {doc("{}", "[{\"id\": \"a\", \"verdict\": \"pass\", \"wire\": "
                 "[{\"t_ms\": 1.8e308, \"dir\": \"tx\"}]}]"),
       "t_ms: a finite number expected"},
  };
  for (size_t i = 0; i < sizeof overflow / sizeof overflow[0]; i++) {
    char err[512] = "";
    cr_assert_eq(read_doc(overflow[i].text, err, sizeof err), -1, "doc %zu", i);
    cr_assert(strstr(err, overflow[i].message), "doc %zu: '%s' lacks '%s'", i,
              err, overflow[i].message);
  }
}

/* Every prefix of a valid document is refused cleanly (no crash, no leak
 * under ASan): the cheap version of what the fuzzer does. */
Test(json_read, every_truncation_is_an_error) {
  ws_run_results w;
  char err[512];
  sample_run(&w);
  const char *p = path_of("full.json");
  cr_assert_eq(ws_results_write_json(&w, p, err, sizeof err), 0);
  ws_results_free(&w);
  FILE *f = fopen(p, "rb");
  static char text[65536];
  size_t len = fread(text, 1, sizeof text, f);
  fclose(f);
  while (len && (text[len - 1] == '\n'))
    len--;
  for (size_t cut = 0; cut < len; cut += 7) {
    ws_jdoc d;
    cr_assert_eq(ws_jdoc_parse(text, cut, NULL, &d, err, sizeof err), -1,
                 "prefix of %zu bytes parsed", cut);
  }
}
