/* PAYLOAD expressions: strings and their escapes, hex, repeats, random(N),
 * concatenation, and every limit. */
#include "case/catalogue.h"
#include "case/payload.h"
#include "util/arena.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static ws_arena arena;
static ws_prng rng;
static ws_payload_env env;

static void setup(void) {
  ws_arena_init(&arena, 0);
  ws_prng_seed(&rng, 1, "random:t.1");
  memset(&env, 0, sizeof env);
  env.arena = &arena;
  env.rng = &rng;
  env.max = WS_CASE_MAX_PAYLOAD;
}

static void teardown(void) { ws_arena_free(&arena); }

TestSuite(payload, .init = setup, .fini = teardown);

/* Evaluates src, which must be all payload; returns the bytes. */
static ws_bytes eval(const char *src) {
  const char *p = src, *end = src + strlen(src);
  ws_bytes b;
  cr_assert_eq(ws_payload_parse(&env, &p, end, &b), 0, "%s: %s", src, env.msg);
  cr_assert_eq(p, end, "stopped early in %s", src);
  cr_assert_not_null(b.ptr);
  return b;
}

static void eval_eq(const char *src, const void *want, size_t n) {
  ws_bytes b = eval(src);
  cr_assert_eq(b.len, n, "%s: %zu bytes, wanted %zu", src, b.len, n);
  cr_assert(memcmp(b.ptr, want, n) == 0, "%s: wrong bytes", src);
}

static void eval_err(const char *src, const char *msg) {
  const char *p = src;
  ws_bytes b;
  cr_assert_eq(ws_payload_parse(&env, &p, src + strlen(src), &b), -1,
               "accepted %s", src);
  cr_assert_str_eq(env.msg, msg);
}

Test(payload, string_escapes) {
  eval_eq("\"plain\"", "plain", 5);
  eval_eq("\"a\\nb\\rc\\td\\\\e\\\"f\"", "a\nb\rc\td\\e\"f", 11);
  eval_eq("\"\\x00\\xFF\\x7c\"", "\x00\xff|", 3);
  eval_eq("\"\"", "", 0);
  eval_eq("\"κόσμε\"", "κόσμε", strlen("κόσμε")); /* raw UTF-8 passes */
  eval_err("\"\\q\"", "unknown escape \\q in string");
  eval_err("\"\\x4\"", "\\x must be followed by two hex digits");
  eval_err("\"abc", "unterminated string");
  eval_err("\"abc\\", "unterminated string");
}

Test(payload, unicode_escapes_encode_any_scalar_value) {
  eval_eq("\"\\u{41}\"", "A", 1);
  eval_eq("\"\\u{3ba}\"", "\xce\xba", 2);
  eval_eq("\"\\u{FFFD}\"", "\xef\xbf\xbd", 3);
  eval_eq("\"\\u{10FFFF}\"", "\xf4\x8f\xbf\xbf", 4);
  eval_eq("\"\\u{0}\"", "\x00", 1);
  eval_eq("\"\\u{000041}\"", "A", 1);
  eval_err("\"\\u{110000}\"",
           "\\u{110000} is beyond U+10FFFF (use \\xNN for raw bytes)");
  eval_err("\"\\u{D800}\"",
           "\\u{D800} is a surrogate, not a scalar value (use \\xNN)");
  eval_err("\"\\u{1234567}\"", "\\u{...} takes at most 6 hex digits");
  eval_err("\"\\u{}\"", "malformed \\u{HEX} escape");
  eval_err("\"\\u41\"", "\\u must be followed by {HEX}");
}

Test(payload, hex_literals) {
  eval_eq("hex\"ce ba e1 bd b9\"", "\xce\xba\xe1\xbd\xb9", 5);
  eval_eq("hex\"CEBA\"", "\xce\xba", 2);
  eval_eq("hex\"\"", "", 0);
  eval_err("hex\"abc\"", "odd number of hex digits in hex\"..\"");
  eval_err("hex\"zz\"", "'z' is not a hex digit in hex\"..\"");
  eval_err("hex\"00", "unterminated hex\"..\"");
}

Test(payload, repeat_and_concatenation) {
  eval_eq("\"ab\" * 3", "ababab", 6);
  eval_eq("\"ab\"*3*2", "abababababab", 12);
  eval_eq("\"Hello\" + hex\"ff\" + \"*\" * 10", "Hello\xff**********", 16);
  eval_eq("\"x\" * 0 + \"y\"", "y", 1);
  eval_eq("\"x\" * 0", "", 0);
  ws_bytes b = eval("hex\"00 01\" * 100000");
  cr_assert_eq(b.len, 200000);
  for (size_t i = 0; i < b.len; i++)
    cr_assert_eq(b.ptr[i], i % 2);
  eval_err(
      "\"a\" +",
      "expected a payload: \"...\", hex\"..\", random(N) or corpus(KIND, N)");
  eval_err("\"a\" *", "expected a number after '*'");
  eval_err("{col}", "{name} is only substituted in a file with a <table>");
}

Test(payload, parsing_stops_before_what_follows) {
  const char *src = "\"abc\" + \"d\"  in 3 echo";
  const char *p = src;
  ws_bytes b;
  cr_assert_eq(ws_payload_parse(&env, &p, src + strlen(src), &b), 0);
  cr_assert_str_eq(p, "in 3 echo");
  cr_assert_eq(b.len, 4);
  cr_assert(ws_payload_starts("hex\"00\"", "hex\"00\"" + 7));
  cr_assert(ws_payload_starts("random(1)", "random(1)" + 9));
  cr_assert_not(ws_payload_starts("echo", "echo" + 4));
}

Test(payload, limits) {
  ws_bytes b = eval("\"a\" * 67108864"); /* 2^26: exactly the limit */
  cr_assert_eq(b.len, WS_CASE_MAX_PAYLOAD);
  cr_assert_eq(b.ptr[b.len - 1], 'a');
  eval_err("\"a\" * 67108865", "'*' is over the limit of 67108864");
  eval_err("\"ab\" * 67108864",
           "payload larger than the limit of 67108864 bytes");
  eval_err("\"a\" * 65536 * 65536 * 65536",
           "payload larger than the limit of 67108864 bytes");
  eval_err("\"a\" * 67108864 + \"b\"",
           "payload larger than the limit of 67108864 bytes");
  eval_err("random(67108865)", "random( is over the limit of 67108864");
  /* An empty term may be repeated any number of times without cost. */
  eval_eq("\"\" * 67108864 * 67108864", "", 0);
}

Test(payload, arena_limit_is_a_clean_error) {
  ws_arena_init(&arena, 1 << 20);
  const char *src = "\"a\" * 2000000", *p = src;
  ws_bytes b;
  cr_assert_eq(ws_payload_parse(&env, &p, src + strlen(src), &b), -1);
  cr_assert_str_eq(env.msg, "case file needs more memory than its limit");
  cr_assert(arena.over_limit);
}

Test(payload, random_bytes_come_from_the_case_stream) {
  ws_bytes a = eval("random(64)");
  ws_prng g;
  uint8_t want[64];
  ws_prng_seed(&g, 1, "random:t.1");
  ws_prng_fill(&g, want, sizeof want);
  cr_assert_eq(a.len, 64);
  cr_assert(memcmp(a.ptr, want, 64) == 0);
  /* The stream goes on: a second term gives different bytes. */
  ws_bytes b = eval("random( 64 )");
  cr_assert(memcmp(a.ptr, b.ptr, 64) != 0);
  eval_err("random(3", "random(N) is missing its ')'");
  /* random(N) * K repeats the same N bytes. */
  ws_bytes r = eval("random(8) * 3");
  cr_assert(memcmp(r.ptr, r.ptr + 8, 8) == 0 &&
            memcmp(r.ptr, r.ptr + 16, 8) == 0);
}

Test(payload, string_values_for_options) {
  const char *src = "\"chat, \\u{263A}\" rest", *p = src;
  char *s;
  cr_assert_eq(ws_payload_string(&env, &p, src + strlen(src), &s), 0);
  cr_assert_str_eq(s, "chat, \xe2\x98\xba");
  cr_assert_str_eq(p, " rest");
  src = "\"a\\x00b\"";
  p = src;
  cr_assert_eq(ws_payload_string(&env, &p, src + strlen(src), &s), -1);
  cr_assert_str_eq(env.msg, "a NUL byte is not allowed in this string");
}

/* Through the catalogue: the same seed and id give the same bytes. */
static ws_bytes random_payload(uint64_t seed, const char *id) {
  char text[512];
  snprintf(text, sizeof text,
           "<info>\nid %s\ntitle T\narea framing\nrfc 1\nlevel MUST\n"
           "</info>\n<send>\nbinary random(32)\n</send>\n<expect>\n"
           "pass otherwise\n</expect>\n",
           id);
  ws_catalogue *cat = ws_catalogue_new(seed);
  char err[256];
  cr_assert_eq(
      ws_catalogue_add_text(cat, "r.case", text, strlen(text), err, sizeof err),
      0, "%s", err);
  ws_bytes b = ws_catalogue_get(cat, 0)->steps[0].payload;
  uint8_t *copy = ws_arena_alloc(&arena, b.len);
  memcpy(copy, b.ptr, b.len);
  ws_catalogue_free(cat);
  return (ws_bytes){copy, b.len};
}

Test(payload, random_is_reproducible_per_seed_and_case) {
  ws_bytes a = random_payload(7, "9.1"), b = random_payload(7, "9.1");
  ws_bytes c = random_payload(8, "9.1"), d = random_payload(7, "9.2");
  cr_assert_eq(a.len, 32);
  cr_assert(memcmp(a.ptr, b.ptr, 32) == 0, "same seed and id");
  cr_assert(memcmp(a.ptr, c.ptr, 32) != 0, "another seed");
  cr_assert(memcmp(a.ptr, d.ptr, 32) != 0, "another case id");
}
