/* Hand-made permessage-deflate payloads (case/deflated.h) and their
 * PAYLOAD terms: deflate(PAYLOAD) inflates back to its payload, bomb(N)
 * inflates to exactly N zero bytes while staying about a thousand times
 * smaller, and both respect the payload limit. */
#include "case/deflated.h"
#include "case/payload.h"
#include "codec/errors.h"
#include "codec/inflate.h"
#include "util/arena.h"

#include <criterion/criterion.h>
#include <string.h>

/* Inflates one message (fresh window) with a bound of max bytes. */
static int inflate_all(const uint8_t *data, size_t len, size_t max,
                       ws_bytebuf *out) {
  ws_inflater_config c = {.max_message = max, .policy = WS_POLICY_STRICT};
  ws_inflater *inf;
  cr_assert_eq(ws_inflater_new(&c, &inf), 0);
  int rc = ws_inflater_feed(inf, data, len, true, out);
  ws_inflater_free(inf);
  return rc;
}

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return false;
  return true;
}

Test(deflated, bombs_inflate_to_exactly_n_zeros) {
  static const uint64_t sizes[] = {0,        1,
                                   1000,     (1u << 20) - 1,
                                   1u << 20, (1u << 20) + 1,
                                   3u << 20, (5u << 20) + 12345};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    ws_bytebuf packed = {0}, plain = {0};
    cr_assert_eq(ws_deflated_bomb(sizes[i], SIZE_MAX, &packed), 0);
    cr_assert_eq(inflate_all(packed.data, packed.len, 8u << 20, &plain), 0,
                 "bomb(%llu)", (unsigned long long)sizes[i]);
    cr_assert_eq(plain.len, sizes[i]);
    cr_assert(all_zero(plain.data, plain.len));
    ws_bytebuf_free(&packed);
    ws_bytebuf_free(&plain);
  }
}

Test(deflated, a_gibibyte_bomb_is_about_a_megabyte_and_stops_at_the_bound) {
  ws_bytebuf packed = {0}, plain = {0};
  cr_assert_eq(ws_deflated_bomb((uint64_t)1 << 30, SIZE_MAX, &packed), 0);
  cr_assert_lt(packed.len, (size_t)1100 * 1024, "%zu bytes", packed.len);
  cr_assert_gt(packed.len, (size_t)900 * 1024, "%zu bytes", packed.len);
  /* A bounded receiver stops at its limit, having kept only the limit. */
  cr_assert_eq(inflate_all(packed.data, packed.len, 4u << 20, &plain),
               -WS_E_DEFLATE_TOO_BIG);
  cr_assert_leq(plain.len, (size_t)4 << 20);
  ws_bytebuf_free(&packed);
  ws_bytebuf_free(&plain);
  /* Past the caller's limit it says so instead of growing. */
  cr_assert_eq(ws_deflated_bomb((uint64_t)1 << 30, 1000, &packed), 1);
  cr_assert_leq(packed.len, 1000);
  ws_bytebuf_free(&packed);
}

static ws_arena arena;
static ws_prng rng;
static ws_payload_env env;

static ws_bytes eval(const char *src, size_t max) {
  ws_arena_init(&arena, 0);
  ws_prng_seed(&rng, 1, "random:t.1");
  memset(&env, 0, sizeof env);
  env.arena = &arena;
  env.rng = &rng;
  env.max = max;
  const char *p = src;
  ws_bytes b = {0};
  if (ws_payload_parse(&env, &p, src + strlen(src), &b) != 0)
    b.ptr = NULL;
  return b;
}

Test(deflated, the_deflate_term_inflates_back_to_its_payload) {
  ws_bytes b = eval("\"Hello\" + deflate(\"Hello, \" * 40 + random(100))",
                    WS_CASE_MAX_PAYLOAD);
  cr_assert_not_null(b.ptr, "%s", env.msg);
  cr_assert_eq(memcmp(b.ptr, "Hello", 5), 0);
  ws_bytebuf plain = {0};
  cr_assert_eq(inflate_all(b.ptr + 5, b.len - 5, 1 << 20, &plain), 0);
  cr_assert_eq(plain.len, 7 * 40 + 100);
  cr_assert_eq(memcmp(plain.data, "Hello, Hello, ", 14), 0);
  size_t first_len = b.len;
  ws_arena_free(&arena);
  /* The random bytes inside are the same every time (both passes, every
   * run), so the size measured first is the size written. */
  ws_bytes again = eval("\"Hello\" + deflate(\"Hello, \" * 40 + random(100))",
                        WS_CASE_MAX_PAYLOAD);
  cr_assert_eq(again.len, first_len);
  ws_bytebuf_free(&plain);
  ws_arena_free(&arena);
}

Test(deflated, the_bomb_term_respects_the_payload_limit) {
  ws_bytes b = eval("bomb(1073741824)", WS_CASE_MAX_PAYLOAD);
  cr_assert_not_null(b.ptr, "%s", env.msg);
  cr_assert_lt(b.len, (size_t)1100 * 1024);
  ws_arena_free(&arena);
  b = eval("bomb(1073741824)", 4096);
  cr_assert_null(b.ptr);
  cr_assert_str_eq(env.msg, "payload larger than the limit of 4096 bytes");
  ws_arena_free(&arena);
  b = eval("deflate(\"a\"", 4096);
  cr_assert_null(b.ptr);
  cr_assert_str_eq(env.msg, "deflate(PAYLOAD) is missing its ')'");
  ws_arena_free(&arena);
}
