/* The HTML reports: escaping of everything a hostile peer (or case file)
 * controls, self-containment (no URL to fetch), anchors and counts, the
 * atomic write, and the wire decoder on malformed bytes. The pages are read
 * back as text; tests/integration/test_html_report.py checks them in a real
 * browser. */
#include "reports/ci_gate.h"
#include "tests/unit/html_fixture.h"

#include <dirent.h>

/* Valid UTF-8 throughout, and no raw C0 control but tab and newline. */
static void assert_clean_text(const char *doc) {
  const unsigned char *p = (const unsigned char *)doc;
  while (*p) {
    cr_assert(*p >= 0x20 || *p == '\n' || *p == '\t', "raw control 0x%02x", *p);
    size_t n = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
    cr_assert(*p < 0x80 || *p >= 0xC2, "invalid UTF-8 lead byte");
    for (size_t i = 1; i < n; i++)
      cr_assert((p[i] & 0xC0) == 0x80, "invalid UTF-8 sequence");
    p += n;
  }
}

/* The only markup is ours: none of the hostile strings survives raw. */
static void assert_no_injection(const char *doc, size_t our_scripts) {
  cr_assert_null(strstr(doc, "<img"));
  cr_assert_null(strstr(doc, "<script>alert"));
  cr_assert_null(strstr(doc, "<!--"));
  cr_assert_null(strstr(doc, "onerror=alert(1)>"));
  cr_assert_null(strstr(doc, "after-nul"));
  cr_assert_null(strstr(doc, "\xe2\x80\xa8"), "raw U+2028");
  cr_assert_eq(count(doc, "<script"), our_scripts);
  cr_assert_eq(count(doc, "</script"), our_scripts);
  cr_assert_eq(count(doc, "<script>"), 1, "one executable script");
  assert_clean_text(doc);
}

TestSuite(html, .init = setup_dir, .fini = teardown_dir);

Test(html, index_escapes_everything_hostile) {
  ws_run_results r;
  make_run(&r, "agent " HOSTILE, true);
  char *doc = write_index(&r);
  /* One executable script, plus one JSON island per case with a wire. */
  assert_no_injection(doc, 1 + 6);
  cr_assert(strstr(doc, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;"
                        "&lt;img src=x onerror=alert(1)&gt;"));
  cr_assert(strstr(doc, "\\u003c/script\\u003e"), "escaped inside JSON");
  cr_assert(strstr(doc, "\\u2028"));
  cr_assert(strstr(doc, "\xEF\xBF\xBD"), "invalid UTF-8 shown as U+FFFD");
  cr_assert(strstr(doc, "&#x2401;"), "a control byte shown as its picture");
  free(doc);
  ws_results_free(&r);
}

Test(html, matrix_escapes_everything_hostile) {
  ws_run_results a, b;
  make_run(&a, "agent " HOSTILE, true);
  make_run(&b, "second", false);
  const ws_run_results *runs[] = {&a, &b};
  char *doc = write_matrix(runs, 2);
  assert_no_injection(doc, 1);
  free(doc);
  ws_results_free(&a);
  ws_results_free(&b);
}

/* Self-contained: the page's own markup, CSS and JS reference nothing
 * outside the file. The only URLs are the links to the RFC sections, which
 * a reader may follow but the page never fetches. */
Test(html, self_contained) {
  ws_run_results a, b;
  make_run(&a, "one", false);
  make_run(&b, "two", false);
  const ws_run_results *runs[] = {&a, &b};
  char *pages[] = {write_index(&a), write_matrix(runs, 2)};
  for (size_t i = 0; i < 2; i++) {
    cr_assert_null(strstr(pages[i], "http://"));
    cr_assert_eq(count(pages[i], "https://"),
                 count(pages[i], "href=\"https://www.rfc-editor.org/rfc/rfc"));
    cr_assert_null(strstr(pages[i], "//fonts"));
    cr_assert_null(strstr(pages[i], " src="));
    cr_assert_null(strstr(pages[i], "url("));
    cr_assert_null(strstr(pages[i], "@import"));
    cr_assert(strstr(pages[i], "default-src 'none'"), "a CSP that blocks all");
    free(pages[i]);
  }
  ws_results_free(&a);
  ws_results_free(&b);
}

/* A hostile agent or target URL is text, never a reference; so is an RFC
 * field that is not an RFC reference. */
Test(html, urls_in_data_stay_text) {
  ws_run_results r;
  make_run(&r, "https://evil.example/x.js", true);
  free(r.cases[0].rfc);
  r.cases[0].rfc = sdup("https://evil.example/#1, 6455#5.5\" onclick=\"x");
  char *doc = write_index(&r);
  cr_assert_null(strstr(doc, "src=\"http"));
  cr_assert_null(strstr(doc, "href=\"//"));
  cr_assert_null(strstr(doc, "evil.example/x.js\""), "in an attribute");
  cr_assert_eq(count(doc, "href=\"http"),
               count(doc, "href=\"https://www.rfc-editor.org/rfc/rfc6455#"));
  cr_assert(strstr(doc, "RFC https://evil.example/ &#xa7;1, RFC 6455 "
                        "&#xa7;5.5&quot; onclick=&quot;x"));
  free(doc);
  ws_results_free(&r);
}

Test(html, anchors_counts_and_atomic_write) {
  ws_run_results r;
  make_run(&r, "agent", true);
  char *doc = write_index(&r);
  for (size_t i = 0; i < r.case_count; i++) {
    char want[128];
    snprintf(want, sizeof want, "id=\"case-%s\"", r.cases[i].id);
    cr_assert(strstr(doc, want), "no anchor %s", want);
    snprintf(want, sizeof want, "href=\"#case-%s\"", r.cases[i].id);
    cr_assert(strstr(doc, want), "no link %s", want);
  }
  cr_assert(strstr(doc, "<span class=\"n\">7</span> cases"));
  cr_assert(strstr(doc, "<span class=\"n\">2</span> fail"));
  cr_assert(strstr(doc, "<span class=\"n\">1</span> pass"));
  cr_assert(strstr(doc, "<span class=\"n\">1</span> non-strict"));
  cr_assert(strstr(doc, "<span class=\"n\">1</span> error"));
  cr_assert(strstr(doc, "1234567"), "the seed");
  cr_assert(strstr(doc, "4.21 s"), "the duration");
  cr_assert(strstr(doc, ">RFC 6455 &#xa7;5.5</a>, <a "), "linked, readable");
  free(doc);
  ws_run_results *runs[] = {&r};
  free(write_matrix((const ws_run_results *const *)runs, 1));
  /* Only the two pages are left: no temporary file. */
  DIR *d = opendir(tmpdir_);
  struct dirent *e;
  size_t files = 0;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      files++;
      cr_assert(strcmp(e->d_name, "index.html") == 0 ||
                    strcmp(e->d_name, "matrix.html") == 0,
                "left behind: %s", e->d_name);
    }
  closedir(d);
  cr_assert_eq(files, 2);
  ws_results_free(&r);
}

Test(html, write_error_is_reported) {
  ws_run_results r;
  make_run(&r, "agent", false);
  char err[256] = "";
  cr_assert_eq(
      ws_report_write_html(&r, "/nonexistent/dir/index.html", err, sizeof err),
      -1);
  cr_assert(strstr(err, "/nonexistent/dir/index.html"), "%s", err);
  ws_results_free(&r);
}

/* Rows in numeric-aware id order, disagreements marked. */
Test(html, matrix_order_and_disagreement) {
  ws_run_results a, b;
  make_run(&a, "one", false);
  make_run(&b, "two", false);
  b.cases[1].verdict = WS_VERDICT_PASS; /* 1.1.10: fail vs pass */
  const ws_run_results *runs[] = {&a, &b};
  char *doc = write_matrix(runs, 2);
  const char *p1 = strstr(doc, ">1.1.1<"), *p2 = strstr(doc, ">1.1.2<"),
             *p10 = strstr(doc, ">1.1.10<"), *p21 = strstr(doc, ">2.1<");
  cr_assert(p1 && p2 && p10 && p21);
  cr_assert(p1 < p2 && p2 < p10 && p10 < p21);
  cr_assert_eq(count(doc, "<tr data-disagree=\"1\""), 1);
  cr_assert(strstr(doc, "data-n=\"1\""));
  free(doc);
  ws_results_free(&a);
  ws_results_free(&b);
}

Test(html, id_compare) {
  cr_assert_lt(ws_html_id_compare("1.1.2", "1.1.10"), 0);
  cr_assert_lt(ws_html_id_compare("1.1.10", "1.2"), 0);
  cr_assert_lt(ws_html_id_compare("hs.9", "hs.10"), 0);
  cr_assert_lt(ws_html_id_compare("9.1", "10.1"), 0);
  cr_assert_eq(ws_html_id_compare("6.4.1", "6.4.1"), 0);
  cr_assert_eq(ws_html_id_compare("01", "1"), 0);
  cr_assert_gt(ws_html_id_compare("close.2", "close.1"), 0);
  cr_assert_lt(ws_html_id_compare("1", "1.1"), 0);
  cr_assert_lt(ws_html_id_compare(NULL, "1"), 0);
}

/* ---- the wire decoder ---- */

/* A small JSON syntax check (RFC 8259), enough to know JSON.parse will
 * accept what the page embeds. */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
    p++;
  return p;
}

static const char *json_str(const char *p) {
  if (*p++ != '"')
    return NULL;
  for (; *p != '"'; p++) {
    if ((unsigned char)*p < 0x20)
      return NULL;
    if (*p == '\\') {
      p++;
      if (*p == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!p[i] || !strchr("0123456789abcdefABCDEF", p[i]))
            return NULL;
        p += 4;
      } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
        return NULL;
      }
    }
  }
  return p + 1;
}

static const char *json_container(const char *p, char close, int depth) {
  p = json_ws(p + 1);
  if (*p == close)
    return p + 1;
  for (;;) {
    if (close == '}') {
      p = json_str(p);
      if (!p || *(p = json_ws(p)) != ':')
        return NULL;
      p++;
    }
    p = json_value(p, depth + 1);
    if (!p)
      return NULL;
    p = json_ws(p);
    if (*p == close)
      return p + 1;
    if (*p++ != ',')
      return NULL;
  }
}

static const char *json_value(const char *p, int depth) {
  p = json_ws(p);
  if (depth > 64)
    return NULL;
  if (*p == '{' || *p == '[')
    return json_container(p, *p == '{' ? '}' : ']', depth);
  if (*p == '"')
    return json_str(p);
  for (const char *lit = "true\0false\0null\0"; *lit; lit += strlen(lit) + 1)
    if (strncmp(p, lit, strlen(lit)) == 0)
      return p + strlen(lit);
  const char *start = p;
  p += *p == '-';
  while ((*p >= '0' && *p <= '9') || *p == '.')
    p++;
  return p > start ? p : NULL;
}

/* The decoded wire of c as a string, checked to be valid JSON. */
static char *wire_of(const ws_case_result *c) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  cr_assert(f);
  cr_assert_eq(ws_html_wire_json(f, c), 0);
  fclose(f);
  const char *end = json_value(buf, 0);
  cr_assert(end && *json_ws(end) == 0, "invalid JSON: %.400s", buf);
  cr_assert_null(strstr(buf, "</"));
  return buf;
}

Test(html_wire, huge_declared_length_and_partial_frames) {
  ws_case_result c = {0};
  static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
  add_wire(&c, 0, "rx", resp, sizeof resp - 1, NULL);
  /* A 64-bit length of 2^63 with three bytes behind it. */
  static const uint8_t huge[] = {0x82, 0x7F, 0x80, 0,   0,   0,  0,
                                 0,    0,    0,    'a', 'b', 'c'};
  add_wire(&c, 1, "rx", huge, sizeof huge, NULL);
  add_wire(&c, 2, "rx", "def", 3, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"len\":\"9223372036854775808\""), "%s", j);
  cr_assert(strstr(j, "\"got\":\"6\""), "%s", j);
  cr_assert(strstr(j, "most significant bit"), "%s", j);
  cr_assert(strstr(j, "\"k\":\"cont\",\"at\":0,\"from\":\"3\",\"n\":\"3\""),
            "%s", j);
  free(j);
  ws_case_result_free(&c);
}

Test(html_wire, header_cut_across_writes) {
  ws_case_result c = {0};
  static const char req[] = "GET / HTTP/1.1\r\n\r\n";
  add_wire(&c, 0, "tx", req, sizeof req - 1, NULL);
  static const uint8_t frame[] = {0x81, 0x82, 9, 9, 9, 9, 'o' ^ 9, 'k' ^ 9};
  for (size_t i = 0; i < sizeof frame; i++) /* one byte per write */
    add_wire(&c, (double)i, "tx", frame + i, 1, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"k\":\"part\",\"at\":0,\"n\":\"1\""), "%s", j);
  cr_assert(strstr(j, "\"k\":\"frame\",\"at\":-1"), "%s", j);
  cr_assert(strstr(j, "\"pv\":\"ok\""), "unmasked across writes: %s", j);
  free(j);
  ws_case_result_free(&c);
}

Test(html_wire, refused_upgrade_has_a_body_not_frames) {
  ws_case_result c = {0};
  static const char resp[] = "HTTP/1.1 400 Bad Request\nX: y\n\n\x81\x05hello";
  add_wire(&c, 0, "rx", resp, sizeof resp - 1, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"eol\":\"lf\""), "%s", j);
  cr_assert(strstr(j, "\"k\":\"body\""), "%s", j);
  cr_assert_null(strstr(j, "\"k\":\"frame\""), "%s", j);
  free(j);
  ws_case_result_free(&c);
}

Test(html_wire, hostile_close_reason_and_long_lines) {
  ws_case_result c = {0};
  char line[3000];
  memset(line, '<', sizeof line);
  add_wire(&c, 0, "tx", line, sizeof line, NULL); /* never ends */
  static const char resp[] = "HTTP/1.1 101 x\r\n\r\n";
  add_wire(&c, 1, "rx", resp, sizeof resp - 1, NULL);
  uint8_t close[4 + 20] = {0x88, 22, 0x03, 0xE8};
  memcpy(close + 4, "</script><!--\xff\x00\xe2\x80\xa8z", 20);
  add_wire(&c, 2, "rx", close, sizeof close, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"code\":1000"), "%s", j);
  cr_assert(strstr(j, "\\u003c/script\\u003e\\u003c!--\\\\xff\\\\x00\\u2028z"),
            "%s", j);
  cr_assert(strstr(j, "\"eol\":\"none\""), "%s", j);
  cr_assert_null(strstr(j, "<"));
  free(j);
  ws_case_result_free(&c);
}

static const char upgraded[] = "HTTP/1.1 101 Switching Protocols\r\n\r\n";
static const char request[] = "GET / HTTP/1.1\r\n\r\n";

/* A header in two reads, its payload in two more: the frame row sits where
 * the header ended (-1: it began earlier), each later read gets a row. */
Test(html_wire, frame_split_across_entries) {
  ws_case_result c = {0};
  add_wire(&c, 0, "rx", upgraded, sizeof upgraded - 1, NULL);
  uint8_t frame[4 + 130] = {0x82, 126, 0, 130};
  memset(frame + 4, 'x', 130);
  uint8_t first[4 + 3] = {0x81, 2, 'h', 'i'};
  memcpy(first + 4, frame, 3); /* a whole frame, then 3 header bytes */
  add_wire(&c, 1, "rx", first, sizeof first, NULL);
  add_wire(&c, 2, "rx", frame + 3, 1 + 100, NULL);
  add_wire(&c, 3, "rx", frame + 104, 30, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"k\":\"frame\",\"at\":0,\"no\":1,\"op\":\"text\""),
            "%s", j);
  cr_assert(strstr(j, "\"k\":\"part\",\"at\":4,\"n\":\"3\""), "%s", j);
  cr_assert(strstr(j, "{\"k\":\"frame\",\"at\":-1,\"no\":2,\"op\":\"binary\","
                      "\"fin\":true,\"rsv\":\"000\",\"lf\":16,\"hl\":4,"
                      "\"len\":\"130\",\"got\":\"130\""),
            "%s", j);
  cr_assert(strstr(j, "{\"k\":\"cont\",\"at\":0,\"from\":\"100\",\"n\":\"30\","
                      "\"no\":2,\"op\":\"binary\",\"of\":\"130\"}"),
            "%s", j);
  cr_assert_null(strstr(j, "\"warn\""), "%s", j);
  free(j);
  ws_case_result_free(&c);
}

/* The preview is unmasked; the hex dump keeps the bytes as they were sent
 * (the decoder unmasks in place, so it must work on a copy). */
Test(html_wire, masked_server_frame_is_warned) {
  ws_case_result c = {0};
  add_wire(&c, 0, "rx", upgraded, sizeof upgraded - 1, NULL);
  static const uint8_t frame[] = {0x81, 0x82, 1, 2, 3, 4, 'o' ^ 1, 'k' ^ 2};
  add_wire(&c, 1, "rx", frame, sizeof frame, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"key\":\"01020304\""), "%s", j);
  cr_assert(strstr(j, "\"pv\":\"ok\",\"warn\":[\"frame from a server is "
                      "masked\"]"),
            "%s", j);
  cr_assert(strstr(j, "\"hex\":\"8182010203046e69\""), "%s", j);
  cr_assert_eq(c.wire[1].bytes[6], 'o' ^ 1, "the result's bytes stay masked");
  free(j);
  ws_case_result_free(&c);
}

/* 2^63 declared on our own side: every later byte, frames included, is its
 * payload, and the page says so instead of waiting for the rest. */
Test(html_wire, declared_length_2_pow_63_swallows_what_follows) {
  ws_case_result c = {0};
  add_wire(&c, 0, "tx", request, sizeof request - 1, NULL);
  static const uint8_t huge[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0,  0,
                                 0,    0,    0,    0, 0, 0, 'a'};
  add_wire(&c, 1, "tx", huge, sizeof huge, NULL);
  static const uint8_t looks_like_a_frame[] = {0x88, 0x80, 0, 0, 0, 0};
  add_wire(&c, 2, "tx", looks_like_a_frame, sizeof looks_like_a_frame, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"lf\":64,\"hl\":14,\"key\":\"00000000\","
                      "\"len\":\"9223372036854775808\",\"got\":\"7\""),
            "%s", j);
  cr_assert(strstr(j, "\"pvMore\":true,\"warn\":[\"64-bit payload length has "
                      "its most significant bit set\"]"),
            "%s", j);
  cr_assert(strstr(j, "{\"k\":\"cont\",\"at\":0,\"from\":\"1\",\"n\":\"6\""),
            "%s", j);
  cr_assert_null(strstr(j, "\"op\":\"close\""), "%s", j);
  free(j);
  ws_case_result_free(&c);
}

/* Our own frames are judged by the same rules: an RSV bit the harness sets on
 * purpose is what a strict peer must refuse, so the page flags it. */
Test(html_wire, rsv_and_other_violations_on_tx) {
  ws_case_result c = {0};
  add_wire(&c, 0, "tx", request, sizeof request - 1, NULL);
  static const uint8_t rsv[] = {0xC1, 0x80, 0, 0, 0, 0};
  static const uint8_t odd[] = {0x0B, 126, 0, 1, 'z'}; /* 0xB, FIN clear */
  add_wire(&c, 1, "tx", rsv, sizeof rsv, NULL);
  add_wire(&c, 2, "tx", odd, sizeof odd, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"rsv\":\"100\""), "%s", j);
  cr_assert(strstr(j, "\"warn\":[\"RSV bit set without a negotiated "
                      "extension\"]"),
            "%s", j);
  cr_assert(strstr(j, "\"op\":\"reserved-11\",\"fin\":false"), "%s", j);
  cr_assert(strstr(j, "\"pv\":\"z\",\"warn\":[\"reserved opcode\","
                      "\"control frame with FIN clear\","
                      "\"frame from a client is not masked\","
                      "\"payload length not in its minimal encoding\"]"),
            "%s", j);
  free(j);
  ws_case_result_free(&c);
}

Test(html_wire, close_frame_preview_with_code) {
  ws_case_result c = {0};
  add_wire(&c, 0, "tx", request, sizeof request - 1, NULL);
  add_wire(&c, 1, "rx", upgraded, sizeof upgraded - 1, NULL);
  static const uint8_t ours[] = {0x88,      0x85,      0xA,        0xB,
                                 0xC,       0xD,       0x03 ^ 0xA, 0xE9 ^ 0xB,
                                 'b' ^ 0xC, 'y' ^ 0xD, 'e' ^ 0xA};
  static const uint8_t theirs[] = {0x88, 0x01, 0x03};
  add_wire(&c, 2, "tx", ours, sizeof ours, NULL);
  add_wire(&c, 3, "rx", theirs, sizeof theirs, NULL);
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"got\":\"5\",\"code\":1001,\"pv\":\"bye\"}"), "%s", j);
  cr_assert(strstr(j, "\"got\":\"1\",\"pv\":\"\\\\x03\","
                      "\"warn\":[\"close frame with a 1-byte payload\"]"),
            "%s", j);
  free(j);
  ws_case_result_free(&c);
}

/* The row bound holds for frames too; decoding goes on past it. */
Test(html_wire, rows_past_the_bound_are_counted) {
  ws_case_result c = {0};
  add_wire(&c, 0, "rx", upgraded, sizeof upgraded - 1, NULL);
  static uint8_t pings[2 * (WS_HTML_ROWS_MAX + 10)];
  for (size_t i = 0; i < sizeof pings; i += 2)
    pings[i] = 0x89;
  add_wire(&c, 1, "rx", pings, sizeof pings, NULL);
  add_wire(&c, 2, "note", NULL, 0, "after");
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"rowsOmitted\":12,"), "%.200s", strstr(j, "\"total"));
  cr_assert(strstr(j, "\"no\":3998,"), "%s", "the last kept frame row");
  cr_assert_null(strstr(j, "\"no\":3999,"));
  free(j);
  ws_case_result_free(&c);
}

/* No bytes at all: no rows, and nothing sorted. */
Test(html_wire, notes_only) {
  ws_case_result c = {0};
  add_wire(&c, 0, "note", NULL, 0, "connect failed");
  char *j = wire_of(&c);
  cr_assert(strstr(j, "\"rows\":[]}],\"total\":1,\"rowsOmitted\":0,"), "%s", j);
  free(j);
  ws_case_result_free(&c);
}

/* Whatever the bytes, the decoder terminates, stays in bounds (ASan) and
 * writes valid JSON. */
Test(html_wire, random_bytes) {
  srand(1234);
  for (int round = 0; round < 50; round++) {
    ws_case_result c = {0};
    size_t entries = (size_t)(rand() % 40);
    for (size_t e = 0; e < entries; e++) {
      uint8_t buf[300];
      size_t len = (size_t)(rand() % (int)sizeof buf);
      for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(rand() % 4 ? rand() : "\r\n\x81\x7f\x7e\xff"[i % 6]);
      if (e == 1)
        memcpy(buf, "HTTP/1.1 101\r\n\r\n", len < 17 ? len : 17);
      const char *dir = rand() % 5 ? (rand() % 2 ? "tx" : "rx") : "note";
      add_wire(&c, rand() % 1000 / 7.0, dir, buf, len, NULL);
    }
    free(wire_of(&c));
    ws_case_result_free(&c);
  }
}

/* The CI view (html_gate.c): the baseline's path and unknown ids are the
 * user's text, case ids may be a case file's: all escaped, every case named
 * a link, and the page without a gate has no such section. */
Test(html, gate_view_is_escaped_and_links_each_case) {
  ws_run_results r;
  make_run(&r, "agent", true);
  static const char text[] = "1.1.10 fail known\n"
                             "2.1 fail was broken\n"
                             "x<script>alert(2)</script>\"'& fail typo\n";
  ws_baseline b;
  char err[256];
  cr_assert_eq(ws_baseline_parse_text(text, sizeof text - 1, "base.txt", &b,
                                      err, sizeof err),
               0, "%s", err);
  free(b.path);
  b.path = strdup("base " HOSTILE ".txt");
  b.entries[2].unknown = true;
  b.unknown_count = 1;
  ws_gate g = ws_gate_default();
  g.baseline = &b;
  char path[128];
  snprintf(path, sizeof path, "%s/index.html", tmpdir_);
  cr_assert_eq(ws_report_write_html_gated(&r, &g, path, err, sizeof err), 0,
               "%s", err);
  size_t len;
  char *doc = slurp(path, &len);
  assert_no_injection(doc, 1 + 6);
  cr_assert(strstr(doc, "<b>Exit status 1:</b>"), "the status on top");
  /* 1.1.10 expected, 2.1 (informational) an unexpected pass, 9.9.9 (the
   * hostile fail) a regression, 1.1.1 non-strict not in --fail-on. */
  cr_assert(strstr(doc, "<span class=\"gtag\">expected by baseline</span>"
                        "<span class=\"cid\">1.1.10</span>"));
  cr_assert(strstr(doc, "<span class=\"gtag\">unexpected pass</span>"
                        "<span class=\"cid\">2.1</span>"));
  cr_assert(strstr(doc, "<span class=\"gtag\">regression</span>"
                        "<span class=\"cid\">9.9.9</span>"));
  cr_assert(strstr(doc, "<a href=\"#case-9.9.9\">9.9.9</a>"));
  cr_assert_eq(count(doc, "class=\"gtag\""), 3);
  cr_assert(strstr(doc, "base &lt;script&gt;alert(1)"), "path escaped");
  cr_assert(strstr(doc, "x&lt;script&gt;alert(2)&lt;/script&gt;&quot;&#"),
            "unknown id escaped");
  free(doc);
  /* Without a gate (`wsprobe report`): neither the section nor tags. */
  doc = write_index(&r);
  cr_assert_null(strstr(doc, "id=\"gate\""));
  cr_assert_null(strstr(doc, "class=\"gtag\""));
  free(doc);
  ws_baseline_free(&b);
  ws_results_free(&r);
}
