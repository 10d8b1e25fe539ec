/* Unit tests for codec/http.c: the resumable, bounded header-block parser. */
#include "codec/errors.h"
#include "codec/hooks.h"
#include "codec/http.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Feeds the whole text in one call. */
static int parse_whole(ws_http_parser *p, enum ws_http_kind kind,
                       const char *text, size_t max_bytes, size_t max_fields,
                       size_t *consumed) {
  ws_http_parser_init(p, kind, max_bytes, max_fields);
  return ws_http_parse(p, (const uint8_t *)text, strlen(text), consumed);
}

/* Feeds one byte per call until the parser stops asking for more; *consumed
 * gets the total taken. */
static int parse_drip(ws_http_parser *p, enum ws_http_kind kind,
                      const char *text, size_t max_bytes, size_t max_fields,
                      size_t *consumed) {
  ws_http_parser_init(p, kind, max_bytes, max_fields);
  size_t len = strlen(text), total = 0;
  int rc = 0;
  for (size_t i = 0; i < len && rc == 0; i++) {
    size_t used = 0;
    rc = ws_http_parse(p, (const uint8_t *)text + i, 1, &used);
    total += used;
  }
  *consumed = total;
  return rc;
}

static const ws_http_message *parsed(ws_http_parser *p, const char *text) {
  size_t consumed;
  cr_assert_eq(parse_whole(p, WS_HTTP_REQUEST, text, 0, 0, &consumed), 1);
  return ws_http_parser_message(p);
}

Test(http, request_line_and_fields) {
  ws_http_parser p;
  const ws_http_message *m =
      parsed(&p, "GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\n"
                 "X-Padded: \t  spaced value \t\r\nEmpty:\r\n\r\n");
  cr_assert_not_null(m);
  cr_expect_eq(m->kind, WS_HTTP_REQUEST);
  cr_expect(ws_span_ieq(m->method, "GET"));
  cr_expect_eq(m->target.len, 9);
  cr_expect_str_eq(m->target.ptr, "/chat?x=1"); /* NUL-terminated in place */
  cr_expect_eq(m->version_major, 1);
  cr_expect_eq(m->version_minor, 1);
  cr_assert_eq(m->field_count, 3);
  cr_expect_str_eq(m->fields[0].name.ptr, "Host");
  cr_expect_str_eq(m->fields[0].value.ptr, "example.com");
  cr_expect_str_eq(m->fields[1].value.ptr, "spaced value");
  cr_expect_eq(m->fields[2].value.len, 0);
  cr_expect_str_eq(m->fields[2].value.ptr, "");
  ws_http_parser_free(&p);
}

Test(http, status_line_with_reason) {
  ws_http_parser p;
  size_t consumed;
  const char *text = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n";
  cr_assert_eq(parse_whole(&p, WS_HTTP_RESPONSE, text, 0, 0, &consumed), 1);
  const ws_http_message *m = ws_http_parser_message(&p);
  cr_expect_eq(m->status, 101);
  cr_expect_str_eq(m->reason.ptr, "Switching Protocols");
  cr_expect_eq(m->field_count, 1);
  ws_http_parser_free(&p);
}

Test(http, status_line_reason_empty_or_missing) {
  const char *texts[] = {"HTTP/1.1 404 \r\n\r\n", "HTTP/1.1 404\r\n\r\n"};
  for (size_t i = 0; i < 2; i++) {
    ws_http_parser p;
    size_t consumed;
    cr_assert_eq(parse_whole(&p, WS_HTTP_RESPONSE, texts[i], 0, 0, &consumed),
                 1, "%s", texts[i]);
    cr_expect_eq(ws_http_parser_message(&p)->status, 404);
    cr_expect_eq(ws_http_parser_message(&p)->reason.len, 0);
    ws_http_parser_free(&p);
  }
}

Test(http, bad_status_lines) {
  const char *texts[] = {"HTTP/1.1 10 OK\r\n\r\n",
                         "HTTP/1.1  101 OK\r\n\r\n",
                         "HTTP/1.1 1011 OK\r\n\r\n",
                         "HTTP/1.1 abc OK\r\n\r\n",
                         "HTTP/1.1 101 a\x01\r\n\r\n",
                         "http/1.1 101 OK\r\n\r\n",
                         "HTTP/1.1\r\n\r\n"};
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    ws_http_parser p;
    size_t consumed;
    cr_expect_eq(parse_whole(&p, WS_HTTP_RESPONSE, texts[i], 0, 0, &consumed),
                 -WS_E_HTTP_SYNTAX, "row %zu", i);
    ws_http_parser_free(&p);
  }
}

Test(http, bare_lf_and_mixed_line_ends) {
  const char *texts[] = {"GET / HTTP/1.1\nHost: a\nX: y\n\n",
                         "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\n",
                         "GET / HTTP/1.1\nHost: a\r\nX: y\n\r\n"};
  for (size_t i = 0; i < 3; i++) {
    ws_http_parser p;
    const ws_http_message *m = parsed(&p, texts[i]);
    cr_assert_eq(m->field_count, 2);
    cr_expect_str_eq(m->fields[0].value.ptr, "a");
    cr_expect_str_eq(m->fields[1].value.ptr, "y");
    ws_http_parser_free(&p);
  }
}

Test(http, pipelined_bytes_are_not_consumed) {
  const char *head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  char text[128];
  snprintf(text, sizeof(text), "%s\x81\x85xxxxhello", head);
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(parse_whole(&p, WS_HTTP_REQUEST, text, 0, 0, &consumed), 1);
  cr_expect_eq(consumed, strlen(head));
  ws_http_parser_free(&p);
  cr_assert_eq(parse_drip(&p, WS_HTTP_REQUEST, text, 0, 0, &consumed), 1);
  cr_expect_eq(consumed, strlen(head));
  ws_http_parser_free(&p);
}

Test(http, pipelined_bytes_after_split_block) {
  /* The blank line arrives in the second chunk, followed by a frame. */
  const char *part1 = "GET / HTTP/1.1\r\nHost: a\r";
  const char *part2 = "\n\r\n\x81\x80xxxx";
  ws_http_parser p;
  ws_http_parser_init(&p, WS_HTTP_REQUEST, 0, 0);
  size_t consumed;
  cr_assert_eq(
      ws_http_parse(&p, (const uint8_t *)part1, strlen(part1), &consumed), 0);
  cr_expect_eq(consumed, strlen(part1));
  cr_expect_null(ws_http_parser_message(&p));
  cr_assert_eq(
      ws_http_parse(&p, (const uint8_t *)part2, strlen(part2), &consumed), 1);
  cr_expect_eq(consumed, 3);
  cr_expect_eq(ws_http_parser_message(&p)->field_count, 1);
  /* Once done, further calls take nothing and keep reporting completion. */
  cr_expect_eq(ws_http_parse(&p, (const uint8_t *)"abc", 3, &consumed), 1);
  cr_expect_eq(consumed, 0);
  ws_http_parser_free(&p);
}

/* A request of exactly `len` bytes: padding goes into one header value. */
static void make_request_of_size(char *out, size_t len) {
  const char *head = "GET / HTTP/1.1\r\nX: ";
  const char *tail = "\r\n\r\n";
  size_t pad = len - strlen(head) - strlen(tail);
  strcpy(out, head);
  memset(out + strlen(head), 'a', pad);
  strcpy(out + strlen(head) + pad, tail);
}

Test(http, max_bytes_boundary) {
  static char text[1200];
  size_t consumed;
  ws_http_parser p;
  make_request_of_size(text, 1000);
  cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, text, 1000, 0, &consumed), 1);
  ws_http_parser_free(&p);
  cr_expect_eq(parse_drip(&p, WS_HTTP_REQUEST, text, 1000, 0, &consumed), 1);
  ws_http_parser_free(&p);
  make_request_of_size(text, 1001);
  cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, text, 1000, 0, &consumed),
               -WS_E_HTTP_HEADER_TOO_LARGE);
  ws_http_parser_free(&p);
  cr_expect_eq(parse_drip(&p, WS_HTTP_REQUEST, text, 1000, 0, &consumed),
               -WS_E_HTTP_HEADER_TOO_LARGE);
  cr_expect_eq(consumed, 1000, "the error comes as the limit is reached");
  ws_http_parser_free(&p);
}

Test(http, default_max_bytes_one_long_line) {
  static char text[WS_HTTP_DEFAULT_MAX_BYTES * 2];
  make_request_of_size(text, sizeof(text) - 1);
  ws_http_parser p;
  size_t consumed;
  cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, text, 0, 0, &consumed),
               -WS_E_HTTP_HEADER_TOO_LARGE);
  cr_expect_leq(p.raw_cap, WS_HTTP_DEFAULT_MAX_BYTES + 1);
  ws_http_parser_free(&p);
}

/* A request with n one-letter header fields. */
static void make_request_with_fields(char *out, size_t n) {
  strcpy(out, "GET / HTTP/1.1\r\n");
  for (size_t i = 0; i < n; i++)
    strcat(out, "a:b\r\n");
  strcat(out, "\r\n");
}

Test(http, max_fields_boundary) {
  static char text[4096];
  size_t consumed;
  ws_http_parser p;
  make_request_with_fields(text, 10);
  cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, text, 0, 10, &consumed), 1);
  cr_expect_eq(ws_http_parser_message(&p)->field_count, 10);
  ws_http_parser_free(&p);
  cr_expect_eq(parse_drip(&p, WS_HTTP_REQUEST, text, 0, 10, &consumed), 1);
  ws_http_parser_free(&p);
  make_request_with_fields(text, 11);
  cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, text, 0, 10, &consumed),
               -WS_E_HTTP_TOO_MANY_HEADERS);
  ws_http_parser_free(&p);
  cr_expect_eq(parse_drip(&p, WS_HTTP_REQUEST, text, 0, 10, &consumed),
               -WS_E_HTTP_TOO_MANY_HEADERS);
  ws_http_parser_free(&p);
}

Test(http, header_flood_stops_early) {
  /* Thousands of tiny fields are refused once the count is exceeded, long
   * before the byte limit. */
  static char text[8 * 3000];
  make_request_with_fields(text, 3000);
  ws_http_parser p;
  size_t consumed;
  cr_expect_eq(parse_drip(&p, WS_HTTP_REQUEST, text, 1 << 20, 0, &consumed),
               -WS_E_HTTP_TOO_MANY_HEADERS);
  /* The request line, then the field that is one too many. */
  cr_expect_eq(consumed, 16 + 5 * (WS_HTTP_DEFAULT_MAX_FIELDS + 1));
  ws_http_parser_free(&p);
}

Test(http, obs_fold_rejected) {
  const char *texts[] = {"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
                         "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n",
                         "GET / HTTP/1.1\r\n Host: a\r\n\r\n"};
  for (size_t i = 0; i < 3; i++) {
    ws_http_parser p;
    size_t consumed;
    cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, texts[i], 0, 0, &consumed),
                 -WS_E_HTTP_SYNTAX, "row %zu", i);
    ws_http_parser_free(&p);
  }
}

Test(http, whitespace_before_colon_rejected) {
  const char *texts[] = {"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
                         "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
                         "GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
                         "GET / HTTP/1.1\r\n: a\r\n\r\n",
                         "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
                         "GET / HTTP/1.1\r\nX(y): a\r\n\r\n"};
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    ws_http_parser p;
    size_t consumed;
    cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, texts[i], 0, 0, &consumed),
                 -WS_E_HTTP_SYNTAX, "row %zu", i);
    ws_http_parser_free(&p);
  }
}

Test(http, control_characters_in_values) {
  static const char bad[] = {0x01, 0x0b, 0x1f, 0x7f, '\r', 0};
  for (size_t i = 0; bad[i]; i++) {
    char text[64];
    snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nX: a%cb\r\n\r\n", bad[i]);
    ws_http_parser p;
    size_t consumed;
    cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, text, 0, 0, &consumed),
                 -WS_E_HTTP_SYNTAX, "byte %#x", bad[i]);
    ws_http_parser_free(&p);
  }
  /* HTAB and obs-text are field content. */
  ws_http_parser p;
  const ws_http_message *m =
      parsed(&p, "GET / HTTP/1.1\r\nX: a\tb\xc3\xa9\r\n\r\n");
  cr_expect_str_eq(m->fields[0].value.ptr, "a\tb\xc3\xa9");
  ws_http_parser_free(&p);
}

Test(http, request_line_syntax) {
  const char *texts[] = {
      "GET  / HTTP/1.1\r\n\r\n",    "GET /  HTTP/1.1\r\n\r\n",
      "GET\t/ HTTP/1.1\r\n\r\n",    "GET HTTP/1.1\r\n\r\n",
      "GET / http/1.1\r\n\r\n",     "GET / HTTP/1.10\r\n\r\n",
      "GET / HTTP/1\r\n\r\n",       "GET /\r\n\r\n",
      "G(T / HTTP/1.1\r\n\r\n",     " GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1 \r\n\r\n",    "\r\nGET / HTTP/1.1\r\n\r\n",
      "GET /\x7f HTTP/1.1\r\n\r\n", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
      " / HTTP/1.1\r\n\r\n"};
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    ws_http_parser p;
    size_t consumed;
    cr_expect_eq(parse_whole(&p, WS_HTTP_REQUEST, texts[i], 0, 0, &consumed),
                 -WS_E_HTTP_SYNTAX, "row %zu: %s", i, texts[i]);
    ws_http_parser_free(&p);
  }
}

Test(http, versions) {
  struct {
    const char *text;
    int rc, minor;
  } rows[] = {{"GET / HTTP/1.0\r\n\r\n", 1, 0},
              {"GET / HTTP/1.9\r\n\r\n", 1, 9},
              {"GET / HTTP/2.0\r\n\r\n", -WS_E_HTTP_VERSION, 0},
              {"GET / HTTP/0.9\r\n\r\n", -WS_E_HTTP_VERSION, 0}};
  for (size_t i = 0; i < 4; i++) {
    ws_http_parser p;
    size_t consumed;
    cr_expect_eq(
        parse_whole(&p, WS_HTTP_REQUEST, rows[i].text, 0, 0, &consumed),
        rows[i].rc, "row %zu", i);
    if (rows[i].rc == 1)
      cr_expect_eq(ws_http_parser_message(&p)->version_minor, rows[i].minor);
    ws_http_parser_free(&p);
  }
}

Test(http, errors_are_sticky) {
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(parse_whole(&p, WS_HTTP_REQUEST,
                           "GET / HTTP/1.1\r\nA : b\r\n\r\n", 0, 0, &consumed),
               -WS_E_HTTP_SYNTAX);
  const char *good = "GET / HTTP/1.1\r\n\r\n";
  cr_expect_eq(
      ws_http_parse(&p, (const uint8_t *)good, strlen(good), &consumed),
      -WS_E_HTTP_SYNTAX);
  cr_expect_eq(consumed, 0);
  cr_expect_null(ws_http_parser_message(&p));
  ws_http_parser_free(&p);
}

Test(http, field_lookup_is_case_insensitive_across_instances) {
  ws_http_parser p;
  const ws_http_message *m =
      parsed(&p, "GET / HTTP/1.1\r\nconnection: keep-alive\r\n"
                 "X: 1\r\nCONNECTION: Upgrade\r\nx: 2\r\n\r\n");
  cr_expect_eq(ws_http_field_count(m, "Connection"), 2);
  cr_expect_eq(ws_http_field_count(m, "Missing"), 0);
  cr_expect_str_eq(ws_http_field_get(m, "x", 1)->ptr, "2");
  cr_expect_null(ws_http_field_get(m, "x", 2));
  cr_expect(ws_http_field_has_token(m, "Connection", "upgrade"));
  cr_expect(ws_http_field_has_token(m, "connection", "KEEP-ALIVE"));
  cr_expect_not(ws_http_field_has_token(m, "Connection", "close"));
  cr_expect_not(ws_http_field_has_token(m, "X", "upgrade"));
  ws_http_parser_free(&p);
}

Test(http, has_token_substring_trap) {
  ws_http_parser p;
  const ws_http_message *m =
      parsed(&p, "GET / HTTP/1.1\r\nConnection: NotUpgrade, upgrades\r\n\r\n");
  cr_expect_not(ws_http_field_has_token(m, "Connection", "upgrade"));
  ws_http_parser_free(&p);
}

Test(http, span_ieq) {
  const char *s = "WebSocket!";
  cr_expect(ws_span_ieq((ws_span){s, 9}, "websocket"));
  cr_expect(ws_span_ieq((ws_span){s, 9}, "WEBSOCKET"));
  cr_expect_not(ws_span_ieq((ws_span){s, 10}, "websocket"));
  cr_expect_not(ws_span_ieq((ws_span){s, 8}, "websocket"));
  cr_expect(ws_span_ieq((ws_span){s, 0}, ""));
}

/* ---- allocation: failure injection and growth ---------------------------- */

static struct {
  int calls;   /* allocation calls so far */
  int fail_at; /* the call number that fails (0: none) */
  long live;   /* blocks allocated and not freed */
} alloc_state;

static void *counting_malloc(size_t size, void *ctx) {
  (void)ctx;
  if (++alloc_state.calls == alloc_state.fail_at)
    return NULL;
  void *ptr = malloc(size);
  if (ptr)
    alloc_state.live++;
  return ptr;
}

static void *counting_realloc(void *ptr, size_t size, void *ctx) {
  (void)ctx;
  if (++alloc_state.calls == alloc_state.fail_at)
    return NULL;
  void *grown = realloc(ptr, size);
  if (grown && !ptr)
    alloc_state.live++;
  return grown;
}

static void counting_free(void *ptr, void *ctx) {
  (void)ctx;
  alloc_state.live--;
  free(ptr);
}

static void use_counting_allocator(int fail_at) {
  static const ws_allocator allocator = {counting_malloc, counting_realloc,
                                         counting_free, NULL};
  memset(&alloc_state, 0, sizeof(alloc_state));
  alloc_state.fail_at = fail_at;
  ws_set_allocator(&allocator);
}

Test(http, allocation_failure_is_nomem_without_leaks) {
  const char *text = "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
  /* Fail each allocation in turn until one run needs no failing call. */
  for (int fail_at = 1; fail_at < 10; fail_at++) {
    use_counting_allocator(fail_at);
    ws_http_parser p;
    size_t consumed;
    int rc = parse_drip(&p, WS_HTTP_REQUEST, text, 0, 0, &consumed);
    bool failed = alloc_state.calls >= fail_at;
    ws_http_parser_free(&p);
    cr_expect_eq(alloc_state.live, 0, "leak with fail_at=%d", fail_at);
    ws_set_allocator(NULL);
    if (!failed) {
      cr_expect_eq(rc, 1);
      cr_expect_gt(fail_at, 2, "at least the buffer and the fields array");
      return;
    }
    cr_expect_eq(rc, -WS_E_NOMEM, "fail_at=%d", fail_at);
  }
  cr_assert_fail("the parser kept allocating");
}

Test(http, dripping_grows_geometrically) {
  static char text[8000];
  make_request_of_size(text, sizeof(text) - 1);
  use_counting_allocator(0);
  ws_http_parser p;
  size_t consumed;
  cr_expect_eq(
      parse_drip(&p, WS_HTTP_REQUEST, text, sizeof(text), 0, &consumed), 1);
  /* 256 doubling to 8000 is six reallocations, plus the fields array. */
  cr_expect_leq(alloc_state.calls, 8);
  ws_http_parser_free(&p);
  cr_expect_eq(alloc_state.live, 0);
  ws_set_allocator(NULL);
}
