/* The synthetic corpora (case/corpus.h): the same bytes for the same offset
 * however they are read, text kinds always valid UTF-8, and shapes that
 * permessage-deflate tells apart (compressible vs not). */
#include "case/corpus.h"
#include "codec/utf8.h"

#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#define SPAN 20000

Test(corpus, a_slice_is_the_same_bytes_whatever_the_cut) {
  static uint8_t whole[SPAN], parts[SPAN];
  for (int k = 0; k < WS_CORPUS_COUNT; k++) {
    ws_corpus_fill((enum ws_corpus)k, WS_CORPUS_SEED, 100, whole, SPAN);
    /* Pieces that straddle the 4 KiB blocks at odd places. */
    size_t at = 0, step = 1;
    while (at < SPAN) {
      size_t n = SPAN - at < step ? SPAN - at : step;
      ws_corpus_fill((enum ws_corpus)k, WS_CORPUS_SEED, 100 + at, parts + at,
                     n);
      at += n;
      step = step * 3 + 1;
    }
    cr_assert(memcmp(whole, parts, SPAN) == 0, "%s", ws_corpus_name(k));
  }
}

Test(corpus, seeds_and_kinds_differ) {
  uint8_t a[256], b[256];
  ws_corpus_fill(WS_CORPUS_JSON, 1, 0, a, sizeof a);
  ws_corpus_fill(WS_CORPUS_JSON, 2, 0, b, sizeof b);
  cr_assert(memcmp(a, b, sizeof a) != 0);
  ws_corpus_fill(WS_CORPUS_HTML, 1, 0, b, sizeof b);
  cr_assert(memcmp(a, b, sizeof a) != 0);
}

Test(corpus, text_kinds_are_valid_utf8_at_any_cut) {
  static uint8_t buf[SPAN];
  for (int k = 0; k < WS_CORPUS_COUNT; k++) {
    if (!ws_corpus_is_text((enum ws_corpus)k))
      continue;
    for (uint64_t off = 0; off < 9000; off += 997) {
      ws_corpus_fill((enum ws_corpus)k, WS_CORPUS_SEED, off, buf, 5000);
      cr_assert(ws_utf8_is_valid(buf, 5000, NULL), "%s at %llu",
                ws_corpus_name(k), (unsigned long long)off);
    }
  }
  /* German is UTF-8 as a whole, but a cut can split a character. */
  cr_assert_not(ws_corpus_is_text(WS_CORPUS_GERMAN));
  ws_corpus_fill(WS_CORPUS_GERMAN, WS_CORPUS_SEED, 0, buf, SPAN);
  bool multibyte = false;
  for (size_t i = 0; i < SPAN; i++)
    multibyte = multibyte || buf[i] >= 0x80;
  cr_assert(multibyte, "german has umlauts");
}

static double ratio(enum ws_corpus kind) {
  static uint8_t in[65536], out[70000];
  ws_corpus_fill(kind, WS_CORPUS_SEED, 0, in, sizeof in);
  uLongf n = sizeof out;
  cr_assert_eq(compress(out, &n, in, sizeof in), Z_OK);
  return (double)n / sizeof in;
}

Test(corpus, shapes_compress_as_their_names_say) {
  cr_assert_lt(ratio(WS_CORPUS_JSON), 0.5);
  cr_assert_lt(ratio(WS_CORPUS_HTML), 0.5);
  cr_assert_lt(ratio(WS_CORPUS_PROSE), 0.5);
  cr_assert_lt(ratio(WS_CORPUS_GERMAN), 0.5);
  cr_assert_lt(ratio(WS_CORPUS_BITMAP), 0.5);
  cr_assert_gt(ratio(WS_CORPUS_RANDOM), 0.99);
}

Test(corpus, names_round_trip) {
  for (int k = 0; k < WS_CORPUS_COUNT; k++) {
    const char *name = ws_corpus_name((enum ws_corpus)k);
    cr_assert_eq(ws_corpus_parse(name, strlen(name)), k);
  }
  cr_assert_eq(ws_corpus_parse("jso", 3), -1);
  cr_assert_eq(ws_corpus_parse("jsonx", 5), -1);
}
