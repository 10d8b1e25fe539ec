/* The JSON emitter and results.json: escaping, layout, the atomic write, and
 * the summary agreeing with the cases. Output is read back with a small
 * validating parser below. */
#include "reports/json.h"
#include "reports/results.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a tiny JSON syntax checker (RFC 8259, no extensions) ---- */

typedef struct jp {
  const char *p;
  bool ok;
} jp;

static void ws_(jp *j) {
  while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
    j->p++;
}

static void value(jp *j, int depth);

static void string_(jp *j) {
  if (*j->p != '"') {
    j->ok = false;
    return;
  }
  for (j->p++; *j->p != '"'; j->p++) {
    unsigned char c = (unsigned char)*j->p;
    if (c == 0 || c < 0x20) {
      j->ok = false;
      return;
    }
    if (c == '\\') {
      j->p++;
      if (*j->p == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!strchr("0123456789abcdefABCDEF", j->p[i]) || !j->p[i])
            j->ok = false;
        j->p += 4;
      } else if (!*j->p || !strchr("\"\\/bfnrt", *j->p)) {
        j->ok = false;
        return;
      }
    }
  }
  j->p++;
}

static void number(jp *j) {
  const char *start = j->p;
  if (*j->p == '-')
    j->p++;
  if (*j->p == '0')
    j->p++;
  else
    while (*j->p >= '0' && *j->p <= '9')
      j->p++;
  if (*j->p == '.') {
    j->p++;
    if (!(*j->p >= '0' && *j->p <= '9'))
      j->ok = false;
    while (*j->p >= '0' && *j->p <= '9')
      j->p++;
  }
  if (j->p == start)
    j->ok = false;
}

static void container(jp *j, char close, bool keys, int depth) {
  j->p++;
  ws_(j);
  if (*j->p == close) {
    j->p++;
    return;
  }
  for (;;) {
    ws_(j);
    if (keys) {
      string_(j);
      ws_(j);
      if (*j->p++ != ':')
        j->ok = false;
    }
    value(j, depth + 1);
    ws_(j);
    if (!j->ok)
      return;
    if (*j->p == ',') {
      j->p++;
      continue;
    }
    if (*j->p++ != close)
      j->ok = false;
    return;
  }
}

static void value(jp *j, int depth) {
  ws_(j);
  if (depth > 64 || !j->ok) {
    j->ok = false;
    return;
  }
  if (*j->p == '{')
    container(j, '}', true, depth);
  else if (*j->p == '[')
    container(j, ']', false, depth);
  else if (*j->p == '"')
    string_(j);
  else if (!strncmp(j->p, "true", 4))
    j->p += 4;
  else if (!strncmp(j->p, "false", 5))
    j->p += 5;
  else if (!strncmp(j->p, "null", 4))
    j->p += 4;
  else
    number(j);
}

static bool valid_json(const char *text) {
  jp j = {text, true};
  value(&j, 0);
  ws_(&j);
  return j.ok && *j.p == '\0';
}

/* ---- helpers ---- */

static char *escaped(const void *bytes, size_t len) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  ws_json_escape(f, bytes, len);
  fclose(f);
  return buf;
}

#define assert_escape(in, len, want)                                           \
  do {                                                                         \
    char *got_ = escaped(in, len);                                             \
    cr_assert_str_eq(got_, want);                                              \
    free(got_);                                                                \
  } while (0)

static char *read_all(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* ---- escaping ---- */

Test(json, escapes_quotes_backslashes_controls) {
  assert_escape("a\"b\\c", 5, "a\\\"b\\\\c");
  assert_escape("\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f");
  assert_escape("\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f");
  assert_escape("a\0b", 3, "a\\u0000b");
}

Test(json, utf8_kept_invalid_replaced) {
  assert_escape("\xce\xba\xe1\xbd\xb9\xf0\x9f\x98\x80", 9,
                "\xce\xba\xe1\xbd\xb9\xf0\x9f\x98\x80");
  assert_escape("a\xff"
                "b",
                3, "a\\ufffdb");
  assert_escape("\xc0\xaf", 2, "\\ufffd\\ufffd");            /* overlong */
  assert_escape("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd"); /* surrogate */
  assert_escape("\xf4\x90\x80\x80", 4,
                "\\ufffd\\ufffd\\ufffd\\ufffd");  /* above U+10FFFF */
  assert_escape("\xe2\x82", 2, "\\ufffd\\ufffd"); /* truncated */
  assert_escape("\xe2\x80\xa8", 3, "\\u2028");    /* JS line separator */
}

Test(json, script_tag_is_plain_text) {
  assert_escape("</script>", 9, "</script>");
}

Test(json, numbers) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  ws_json w;
  ws_json_init(&w, f);
  ws_json_array_begin_inline(&w);
  ws_json_double(&w, 3.0, 3);
  ws_json_double(&w, 3.14159, 3);
  ws_json_double(&w, 0.0001, 3);
  ws_json_double(&w, -0.0001, 3);
  ws_json_double(&w, 0.0 / 0.0, 3);
  ws_json_uint(&w, UINT64_MAX);
  ws_json_int(&w, -5);
  ws_json_array_end(&w);
  cr_assert_eq(ws_json_finish(&w), 0);
  fclose(f);
  cr_assert_str_eq(buf,
                   "[3.0, 3.142, 0.0, 0.0, null, 18446744073709551615, -5]\n");
  cr_assert(valid_json(buf));
  free(buf);
}

/* A double wider than any fixed small buffer is written in full: cutting
 * it left "1885...848." (a bare point, not JSON) or dropped digits. */
Test(json, huge_and_tiny_doubles_written_in_full) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  ws_json w;
  ws_json_init(&w, f);
  ws_json_array_begin_inline(&w);
  ws_json_double(&w, 1885555e55, 3);
  ws_json_double(&w, -DBL_MAX, 9);
  ws_json_double(&w, 4.9406564584124654e-324, 9);
  ws_json_double(&w, -0.0, 0);
  ws_json_double(&w, 1.0 / 0.0, 3);
  ws_json_array_end(&w);
  cr_assert_eq(ws_json_finish(&w), 0);
  fclose(f);
  cr_assert(valid_json(buf), "%s", buf);
  cr_assert(!strncmp(buf,
                     "[18855549999999999627733889228552104939571832178154"
                     "258298830848.0, -17976931348623157",
                     strlen("[18855549999999999627733889228552104939571832178"
                            "154258298830848.0, -17976931348623157")),
            "%s", buf);
  /* -DBL_MAX: the sign, 309 digits and ".0", within the reader's bound. */
  const char *neg = strstr(buf, ", -") + 2, *end = strchr(neg, ',');
  cr_assert_eq(end - neg, 1 + 309 + 2);
  cr_assert(end - neg <= WS_JSON_DOUBLE_MAX_CHARS);
  cr_assert(!strcmp(end, ", 0.0, 0, null]\n"), "%s", end);
  free(buf);
}

Test(json, layout_pretty_and_inline) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  ws_json w;
  ws_json_init(&w, f);
  ws_json_object_begin(&w);
  ws_json_key(&w, "a");
  ws_json_uint(&w, 1);
  ws_json_key(&w, "in");
  ws_json_object_begin_inline(&w);
  ws_json_key(&w, "x");
  ws_json_array_begin(&w); /* inherits one-line */
  ws_json_bool(&w, true);
  ws_json_null(&w);
  ws_json_array_end(&w);
  ws_json_object_end(&w);
  ws_json_key(&w, "empty");
  ws_json_array_begin(&w);
  ws_json_array_end(&w);
  ws_json_key(&w, "hex");
  ws_json_hex(&w, "\x00\xff\x10", 3);
  ws_json_object_end(&w);
  cr_assert_eq(ws_json_finish(&w), 0);
  fclose(f);
  cr_assert_str_eq(buf, "{\n  \"a\": 1,\n  \"in\": {\"x\": [true, null]},\n"
                        "  \"empty\": [],\n  \"hex\": \"00ff10\"\n}\n");
  cr_assert(valid_json(buf));
  free(buf);
}

Test(json, unbalanced_is_an_error) {
  FILE *f = fopen("/dev/null", "w");
  ws_json w;
  ws_json_init(&w, f);
  ws_json_object_begin(&w);
  cr_assert_eq(ws_json_finish(&w), -1);
  ws_json_init(&w, f);
  ws_json_array_end(&w);
  cr_assert_eq(ws_json_finish(&w), -1);
  fclose(f);
}

/* ---- results.json ---- */

static char tmpdir[64];
static void make_tmpdir(void) {
  strcpy(tmpdir, "/tmp/wsprobe-json-XXXXXX");
  cr_assert_not_null(mkdtemp(tmpdir));
}
static void remove_tmpdir(void) {
  DIR *d = opendir(tmpdir);
  struct dirent *e;
  char path[512];
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
    unlink(path);
  }
  if (d)
    closedir(d);
  rmdir(tmpdir);
}

TestSuite(results, .init = make_tmpdir, .fini = remove_tmpdir);

static void add_case(ws_run_results *r, const char *id, const char *area,
                     enum ws_verdict v) {
  ws_case_result c = {0};
  c.id = strdup(id);
  c.title = strdup("title with \"quotes\" and </script>");
  c.area = strdup(area);
  c.rfc = strdup("6455#5.5");
  c.level = strdup("MUST");
  c.verdict = v;
  c.reason_code = strdup(v == WS_VERDICT_PASS ? "" : "close-code");
  c.reason = strdup(v == WS_VERDICT_PASS ? ""
                                         : "expected close 1002, got "
                                           "close 1000");
  c.expected = strdup("close 1002");
  c.observed = strdup("status 101");
  c.close_by = "none";
  c.duration_ms = 1.25;
  cr_assert_eq(ws_results_add(r, &c), 0);
  cr_assert_null(c.id, "ownership moved");
}

static void sample_run(ws_run_results *r) {
  ws_results_init(r);
  r->tool_version = strdup("0.1.0");
  r->target = strdup("ws://127.0.0.1:9001/");
  r->started_at = strdup("2024-01-01T00:00:00Z");
  r->seed = 9007199254740993u; /* above 2^53: must survive as text */
  r->duration_ms = 42;
  add_case(r, "1.1.1", "framing", WS_VERDICT_PASS);
  add_case(r, "1.1.2", "framing", WS_VERDICT_FAIL);
  add_case(r, "2.1", "pings", WS_VERDICT_NON_STRICT);
  add_case(r, "2.2", "pings", WS_VERDICT_ERROR);
}

static char *write_and_read(const ws_run_results *r) {
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/results.json", tmpdir);
  cr_assert_eq(ws_results_write_json(r, path, err, sizeof err), 0, "%s", err);
  return read_all(path);
}

Test(results, document_is_valid_json_with_contract_names) {
  ws_run_results r;
  sample_run(&r);
  char *text = write_and_read(&r);
  cr_assert(valid_json(text), "%s", text);
  static const char *const names[] = {
      "\"schema\": \"wsprobe-results/1\"",
      "\"tool\": {\"name\": \"wsprobe\", \"version\": \"0.1.0\"}",
      "\"target\": \"ws://127.0.0.1:9001/\"",
      "\"agent\": \"ws://127.0.0.1:9001/\"", /* defaults to the target */
      "\"started_at\": \"2024-01-01T00:00:00Z\"",
      "\"duration_ms\": 42.0",
      "\"seed\": \"9007199254740993\"",
      "\"interrupted\": false",
      "\"autobahn\": null",
      "\"close\": null",
      "\"verdict\": \"non-strict\"",
      "\"reason_code\": \"close-code\"",
      "\"level\": \"MUST\"",
      "\"rfc\": \"6455#5.5\"",
      "\"wire\": []",
      "title with \\\"quotes\\\" and </script>",
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    cr_assert(strstr(text, names[i]), "missing %s in\n%s", names[i], text);
  free(text);
  ws_results_free(&r);
}

Test(results, summary_counts_agree_with_cases) {
  ws_run_results r;
  sample_run(&r);
  cr_assert_eq(r.counts[WS_VERDICT_PASS], 1);
  cr_assert_eq(r.counts[WS_VERDICT_FAIL], 1);
  char *text = write_and_read(&r);
  cr_assert(strstr(text, "\"summary\": {\"total\": 4, \"pass\": 1, "
                         "\"non_strict\": 1, \"informational\": 0, "
                         "\"unimplemented\": 0, \"fail\": 1, \"error\": 1}"),
            "%s", text);
  cr_assert(strstr(text, "\"framing\": {\"total\": 2, \"pass\": 1, "
                         "\"non_strict\": 0, \"informational\": 0, "
                         "\"unimplemented\": 0, \"fail\": 1, \"error\": 0}"),
            "%s", text);
  /* As many case objects as the total. */
  size_t n = 0;
  for (const char *p = text; (p = strstr(p, "\"verdict\": ")); p++)
    n++;
  cr_assert_eq(n, 4);
  free(text);
  ws_results_free(&r);
}

Test(results, close_and_wire_and_escaping) {
  ws_run_results r;
  ws_results_init(&r);
  ws_case_result c = {0};
  c.id = strdup("7.1");
  c.autobahn = strdup("7.1.1");
  c.verdict = WS_VERDICT_FAIL;
  c.reason = strdup("bad \xff reason\n");
  c.has_close = true;
  c.close_code = 1002;
  c.close_reason = strdup("r\x01\xc3");
  c.close_by = "peer";
  c.close_clean = true;
  c.wire_count = 2;
  c.wire = calloc(2, sizeof *c.wire);
  c.wire[0] = (ws_result_wire){.t_ms = 0.5,
                               .dir = "tx",
                               .bytes = malloc(2),
                               .len = 2,
                               .note = strdup("step 1")};
  memcpy(c.wire[0].bytes, "\x81\x80", 2);
  c.wire[1] = (ws_result_wire){.t_ms = 2, .dir = "note"};
  c.wire_truncated = true;
  ws_results_add(&r, &c);
  char *text = write_and_read(&r);
  cr_assert(valid_json(text), "%s", text);
  cr_assert(strstr(text, "\"close\": {\"code\": 1002, \"reason\": "
                         "\"r\\u0001\\ufffd\", \"by\": \"peer\", \"clean\": "
                         "true, \"received\": true}"),
            "%s", text);
  cr_assert(strstr(text, "{\"t_ms\": 0.5, \"dir\": \"tx\", \"hex\": \"8180\", "
                         "\"note\": \"step 1\"}"),
            "%s", text);
  cr_assert(strstr(text, "{\"t_ms\": 2.0, \"dir\": \"note\", \"hex\": \"\", "
                         "\"note\": null}"),
            "%s", text);
  cr_assert(strstr(text, "\"reason\": \"bad \\ufffd reason\\n\""), "%s", text);
  cr_assert(strstr(text, "\"autobahn\": \"7.1.1\""));
  cr_assert(strstr(text, "\"wire_truncated\": true"));
  free(text);
  ws_results_free(&r);
}

Test(results, empty_close_has_null_code) {
  ws_run_results r;
  ws_results_init(&r);
  ws_case_result c = {0};
  c.id = strdup("7.2");
  c.has_close = true;
  c.close_empty = true;
  c.close_code = 1005;
  c.close_by = "peer";
  ws_results_add(&r, &c);
  char *text = write_and_read(&r);
  cr_assert(strstr(text, "\"close\": {\"code\": null, \"reason\": \"\""), "%s",
            text);
  free(text);
  ws_results_free(&r);
}

Test(results, atomic_write_leaves_no_temp_file) {
  ws_run_results r;
  sample_run(&r);
  char *first = write_and_read(&r);
  r.interrupted = true;
  char *second = write_and_read(&r); /* replaces the first */
  cr_assert(strstr(second, "\"interrupted\": true"));
  DIR *d = opendir(tmpdir);
  struct dirent *e;
  int files = 0;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      files++;
      cr_assert_str_eq(e->d_name, "results.json");
    }
  closedir(d);
  cr_assert_eq(files, 1);
  free(first);
  free(second);
  ws_results_free(&r);
}

Test(results, write_failure_reports_and_cleans_up) {
  ws_run_results r;
  sample_run(&r);
  char path[160], err[256] = "";
  snprintf(path, sizeof path, "%s/missing-dir/results.json", tmpdir);
  cr_assert_eq(ws_results_write_json(&r, path, err, sizeof err), -1);
  cr_assert(strstr(err, "missing-dir"), "%s", err);
  cr_assert_eq(access(path, F_OK), -1);
  ws_results_free(&r);
}

Test(results, empty_run) {
  ws_run_results r;
  ws_results_init(&r);
  char *text = write_and_read(&r);
  cr_assert(valid_json(text), "%s", text);
  cr_assert(strstr(text, "\"cases\": []"));
  cr_assert(strstr(text, "\"total\": 0"));
  free(text);
  ws_results_free(&r);
}

Test(results, many_cases_grow_the_array) {
  ws_run_results r;
  ws_results_init(&r);
  char id[16];
  for (int i = 0; i < 300; i++) {
    snprintf(id, sizeof id, "x.%d", i);
    add_case(&r, id, i % 2 ? "a" : "b",
             i % 3 ? WS_VERDICT_PASS : WS_VERDICT_FAIL);
  }
  cr_assert_eq(r.case_count, 300);
  cr_assert_eq(r.counts[WS_VERDICT_FAIL], 100);
  cr_assert_eq(r.counts[WS_VERDICT_PASS], 200);
  cr_assert_str_eq(r.cases[299].id, "x.299");
  char *text = write_and_read(&r);
  cr_assert(valid_json(text));
  free(text);
  ws_results_free(&r);
}
