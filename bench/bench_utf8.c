/* Figures 2 and 3: the codec's UTF-8 validator.
 *
 * 2. ws_utf8_feed over 1 MiB of ASCII text against memcpy of 1 MiB: an
 *    English chat or JSON message is almost all ASCII, so the fast path is
 *    what a text-heavy server pays per byte.
 * 3. ws_utf8_feed over 1 MiB of valid multibyte text against the bytewise
 *    reference DFA (bench/utf8_dfa.h) on the same bytes. The text mixes
 *    scripts the way real messages do: accented Latin (mostly ASCII with
 *    2-byte letters), Greek and Cyrillic (2-byte), CJK and Hangul (3-byte),
 *    emoji (4-byte), each with its ASCII spaces and punctuation.
 * Both sides validate a whole buffer per call; the codec is fed through the
 * incremental API, the one the server uses. */
#include "bench/bench.h"
#include "bench/utf8_dfa.h"
#include "codec/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UTF8_BYTES (1u << 20)

/* Sentences written for this benchmark. */
static const char *const samples[] = {
    "Ça a été une journée très agréable à Zürich, où l'on a mangé des crêpes.",
    "Señor Muñoz pidió café y piñones; la niña contestó «¡qué rico!»",
    "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο.",
    "Быстрая коричневая лиса прыгает через ленивую собаку, ещё раз.",
    "敏捷的棕色狐狸跳过了懒狗。今天天气很好，我们去公园散步吧。",
    "日本語の文章も少し混ぜておきます。東京は晴れです。",
    "다람쥐 헌 쳇바퀴에 타고파, 오늘도 좋은 하루 되세요.",
    "Deploy done 🚀🎉 thanks 👍🏽 see you 🙂 at 🌍 meetup 🍕☕",
    "😀😃😄😁😆 🐱🐶🦊 🏳️‍🌈 🇯🇵🇫🇷",
};

typedef struct utf8_ctx {
  const uint8_t *text;
  uint8_t *dst; /* memcpy only */
  size_t len;
  int verdict; /* kept so the validation cannot be skipped */
} utf8_ctx;

static void run_memcpy(void *p) {
  utf8_ctx *c = p;
  memcpy(c->dst, c->text, c->len);
  bench_clobber(c->dst);
}

static void run_codec(void *p) {
  utf8_ctx *c = p;
  ws_utf8_validator v;
  ws_utf8_init(&v);
  bench_clobber(c->text);
  c->verdict += ws_utf8_feed(&v, c->text, c->len, NULL);
}

static void run_dfa(void *p) {
  utf8_ctx *c = p;
  bench_clobber(c->text);
  c->verdict += utf8_dfa_validate(c->text, c->len, NULL);
}

/* Printable ASCII with spaces and newlines, like plain English text. */
static void make_ascii(uint8_t *buf, size_t n) {
  uint64_t seed = 0x61736369;
  for (size_t i = 0; i < n; i++) {
    uint64_t r = bench_rand(&seed) % 100;
    buf[i] = r < 15 ? ' ' : r < 16 ? '\n' : (uint8_t)('!' + r % 94);
  }
}

/* Whole samples, chosen at random, separated by spaces; the tail that no
 * sample fits into is padded with spaces so the length is exact. */
static void make_multibyte(uint8_t *buf, size_t n) {
  uint64_t seed = 0x75746638;
  size_t count = sizeof samples / sizeof samples[0];
  size_t at = 0;
  for (;;) {
    const char *s = samples[bench_rand(&seed) % count];
    size_t len = strlen(s);
    if (at + len + 1 > n)
      break;
    memcpy(buf + at, s, len);
    at += len;
    buf[at++] = ' ';
  }
  memset(buf + at, ' ', n - at);
}

/* The byte share of each sequence length, so the reader knows the mix. */
static void describe_mix(const uint8_t *p, size_t n) {
  size_t bytes[5] = {0};
  for (size_t i = 0; i < n; i++) {
    uint8_t b = p[i];
    int len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
    bytes[len] += (size_t)len;
  }
  fprintf(stderr,
          "bench: multibyte text: %.0f%% of bytes in 1-byte, %.0f%% 2-byte, "
          "%.0f%% 3-byte, %.0f%% 4-byte sequences\n",
          100.0 * (double)bytes[1] / (double)n,
          100.0 * (double)bytes[2] / (double)n,
          100.0 * (double)bytes[3] / (double)n,
          100.0 * (double)bytes[4] / (double)n);
}

/* A benchmark of a validator that rejects its input measures an early exit;
 * check the verdicts once before timing anything. */
static bool check_valid(const char *what, const uint8_t *p, size_t n) {
  size_t at = 0;
  ws_utf8_validator v;
  ws_utf8_init(&v);
  enum ws_utf8_result r = ws_utf8_feed(&v, p, n, &at);
  bool ok = r == WS_UTF8_VALID && utf8_dfa_validate(p, n, NULL);
  if (!ok)
    fprintf(stderr, "bench: %s text: codec says %d (at %zu), dfa says %d\n",
            what, (int)r, at, (int)utf8_dfa_validate(p, n, NULL));
  return ok;
}

static void bench_ascii(uint8_t *text, uint8_t *dst) {
  make_ascii(text, UTF8_BYTES);
  if (!check_valid("ascii", text, UTF8_BYTES)) {
    bench_print_na("utf8_ascii_vs_memcpy_1MiB", "ratio", "verdict wrong");
    return;
  }
  utf8_ctx c = {.text = text, .dst = dst, .len = UTF8_BYTES};
  bench_pair r = bench_compare(run_codec, &c, run_memcpy, &c, 51);
  bench_print("utf8_ascii_1MiB", bench_gbps(UTF8_BYTES, r.a_ns), "GB/s");
  bench_print_target("utf8_ascii_vs_memcpy_1MiB", r.ratio, "ratio", 0.5);
  bench_keep((uint64_t)c.verdict);
}

static void bench_multibyte(uint8_t *text) {
  make_multibyte(text, UTF8_BYTES);
  describe_mix(text, UTF8_BYTES);
  if (!check_valid("multibyte", text, UTF8_BYTES)) {
    bench_print_na("utf8_multibyte_vs_dfa", "ratio", "verdict wrong");
    return;
  }
  utf8_ctx c = {.text = text, .len = UTF8_BYTES};
  bench_pair r = bench_compare(run_codec, &c, run_dfa, &c, 51);
  bench_print("utf8_multibyte_1MiB", bench_gbps(UTF8_BYTES, r.a_ns), "GB/s");
  bench_print("utf8_dfa_multibyte_1MiB", bench_gbps(UTF8_BYTES, r.b_ns),
              "GB/s");
  bench_print_target("utf8_multibyte_vs_dfa", r.ratio, "ratio", 3);
  bench_keep((uint64_t)c.verdict);
}

void bench_utf8(void) {
  uint8_t *text = bench_alloc(UTF8_BYTES);
  uint8_t *dst = bench_alloc(UTF8_BYTES);
  bench_ascii(text, dst);
  bench_multibyte(text);
  free(text);
  free(dst);
}
