/* Unit tests for codec/utf8.c and its vector kernels (codec/utf8_simd.c).
 *
 * The reference is bench/utf8_dfa.c, a plain DFA written from the RFC 3629
 * grammar: every verdict and every first invalid offset the validator gives
 * must be the reference's, whatever the chunking and whichever implementation
 * (scalar, SSSE3, AVX2) runs. Loops over millions of inputs assert only on a
 * mismatch, because a Criterion assertion per input would dominate the run
 * time under the sanitizers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "bench/utf8_dfa.h"
#include "codec/utf8.h"
#include "codec/utf8_simd.h"

/* ---- helpers ---- */

static const enum ws_utf8_impl all_impls[] = {
    WS_UTF8_IMPL_SCALAR, WS_UTF8_IMPL_SSSE3, WS_UTF8_IMPL_AVX2,
    WS_UTF8_IMPL_AUTO};
#define N_IMPLS (sizeof all_impls / sizeof all_impls[0])
#define U8(lit) ((const uint8_t *)(lit))

static const char *impl_name(enum ws_utf8_impl impl) {
  static const char *const names[] = {"auto", "scalar", "ssse3", "avx2"};
  return (size_t)impl < 4 ? names[impl] : "?";
}

/* Renders at most the first 24 bytes of p as hex, for failure messages. */
static const char *hex(const uint8_t *p, size_t n) {
  static char buf[24 * 3 + 8];
  size_t k = 0;
  for (size_t i = 0; i < n && i < 24; i++)
    k += (size_t)snprintf(buf + k, sizeof buf - k, "%02X ", p[i]);
  snprintf(buf + k, sizeof buf - k, n > 24 ? "..." : "");
  return buf;
}

/* What the reference says about p[0..n): valid, or the first invalid offset
 * (n when the string is truncated). */
struct verdict {
  bool ok;
  size_t at;
};

static struct verdict reference(const uint8_t *p, size_t n) {
  size_t at = 0;
  bool ok = utf8_dfa_validate(p, n, &at);
  return (struct verdict){ok, ok ? 0 : at};
}

static struct verdict oneshot(const uint8_t *p, size_t n) {
  size_t at = 0;
  bool ok = ws_utf8_is_valid(p, n, &at);
  return (struct verdict){ok, ok ? 0 : at};
}

static bool same(struct verdict a, struct verdict b) {
  return a.ok == b.ok && a.at == b.at;
}

/* Feeds p[0..n) in chunks that end at the offsets cuts[0..ncuts) and returns
 * the verdict with an absolute offset. Checks the per-call contract on the
 * way: no call after the failing one may report anything but INVALID with
 * offset 0, and total is the number of bytes accepted. */
static struct verdict feed_chunks(const uint8_t *p, size_t n,
                                  const size_t *cuts, size_t ncuts,
                                  enum ws_utf8_impl impl) {
  ws_utf8_validator v;
  ws_utf8_init(&v);
  struct verdict r = {true, 0};
  size_t start = 0;
  bool failed = false;
  for (size_t c = 0; c <= ncuts; c++) {
    size_t stop = c < ncuts ? cuts[c] : n;
    size_t at = 12345;
    enum ws_utf8_result res =
        ws_utf8_feed_impl(&v, p + start, stop - start, &at, impl);
    if (failed) {
      if (res != WS_UTF8_INVALID || at != 0)
        cr_assert_fail("call after failure returned %d at %zu", res, at);
    } else if (res == WS_UTF8_INVALID) {
      failed = true;
      r.ok = false;
      r.at = start + at;
    }
    start = stop;
  }
  if (v.total != (failed ? r.at : n))
    cr_assert_fail("total %llu, failed %d", (unsigned long long)v.total,
                   failed);
  enum ws_utf8_result end = ws_utf8_state(&v);
  if (failed != (end == WS_UTF8_INVALID))
    cr_assert_fail("state %d after the last call, failed %d", end, failed);
  if (end == WS_UTF8_PARTIAL)
    r = (struct verdict){false, n};
  return r;
}

static void expect_same(struct verdict got, struct verdict want,
                        const char *how, const uint8_t *p, size_t n) {
  if (!same(got, want))
    cr_assert_fail("%s: got %s at %zu, want %s at %zu for [%s] (len %zu)", how,
                   got.ok ? "valid" : "invalid", got.at,
                   want.ok ? "valid" : "invalid", want.at, hex(p, n), n);
}

/* Every implementation, whole and via ws_utf8_is_valid, agrees with want. */
static void check_impls(const uint8_t *p, size_t n, struct verdict want) {
  for (size_t k = 0; k < N_IMPLS; k++) {
    if (!ws_utf8_impl_available(all_impls[k]))
      continue;
    expect_same(feed_chunks(p, n, NULL, 0, all_impls[k]), want,
                impl_name(all_impls[k]), p, n);
  }
  expect_same(oneshot(p, n), want, "is_valid", p, n);
}

/* Whole, byte by byte, and every 2-way split agree with want. */
static void check_chunkings(const uint8_t *p, size_t n, struct verdict want,
                            enum ws_utf8_impl impl) {
  size_t cuts[256];
  cr_assert_leq(n, 256);
  for (size_t i = 0; i < n; i++)
    cuts[i] = i + 1;
  expect_same(feed_chunks(p, n, cuts, n, impl), want, "byte by byte", p, n);
  for (size_t i = 0; i <= n; i++)
    expect_same(feed_chunks(p, n, &i, 1, impl), want, "2-way split", p, n);
}

static uint64_t rng_state;

static uint64_t rng(void) {
  /* xorshift64: fixed seeds keep every run identical. */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Encodes cp in exactly len bytes, allowing overlong forms and surrogates,
 * so tests can build invalid sequences on purpose. */
static size_t encode_len(uint32_t cp, size_t len, uint8_t *out) {
  static const uint8_t lead_bits[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
  for (size_t i = len - 1; i > 0; i--) {
    out[i] = (uint8_t)(0x80 | (cp & 0x3F));
    cp >>= 6;
  }
  out[0] = (uint8_t)(lead_bits[len] | cp);
  return len;
}

static size_t encode(uint32_t cp, uint8_t *out) {
  size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  return encode_len(cp, len, out);
}

/* A random valid code point, biased towards the interesting lengths. */
static uint32_t random_code_point(void) {
  switch (rng() % 6) {
  case 0:
    return (uint32_t)(rng() % 0x80);
  case 1:
    return 0x80 + (uint32_t)(rng() % (0x800 - 0x80));
  case 2:
  case 3: {
    uint32_t cp = 0x800 + (uint32_t)(rng() % (0x10000 - 0x800));
    return cp >= 0xD800 && cp <= 0xDFFF ? cp - 0x800 : cp;
  }
  default:
    return 0x10000 + (uint32_t)(rng() % 0x100000);
  }
}

/* Fills out with whole random code points; returns the length used. */
static size_t random_text(uint8_t *out, size_t cap) {
  size_t n = 0;
  while (n + 4 <= cap)
    n += encode(random_code_point(), out + n);
  return n;
}

/* ---- the stress table, after Markus Kuhn's UTF-8 decoder test ---- */

struct sample {
  const char *name;
  const char *bytes;
  size_t len;
  bool valid;
  size_t at; /* first invalid byte; len when truncated */
};

#define OK(name, lit)                                                          \
  { name, lit, sizeof lit - 1, true, 0 }
#define BAD(name, lit, at)                                                     \
  { name, lit, sizeof lit - 1, false, at }

// clang-format off
static const struct sample samples[] = {
  /* 1, 2: correct text and boundary code points */
  OK("kosme", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"),
  OK("U+0000", "\x00"), OK("U+007F", "\x7F"), OK("U+0080", "\xC2\x80"),
  OK("U+07FF", "\xDF\xBF"), OK("U+0800", "\xE0\xA0\x80"),
  OK("U+D7FF", "\xED\x9F\xBF"), OK("U+E000", "\xEE\x80\x80"),
  OK("U+FFFD", "\xEF\xBF\xBD"), OK("BOM U+FEFF", "\xEF\xBB\xBF"),
  OK("U+FFFF", "\xEF\xBF\xBF"), OK("U+10000", "\xF0\x90\x80\x80"),
  OK("U+10FFFF", "\xF4\x8F\xBF\xBF"),
  /* 5.3: noncharacters are valid UTF-8 */
  OK("U+FFFE", "\xEF\xBF\xBE"), OK("U+FDD0", "\xEF\xB7\x90"),
  OK("U+1FFFF", "\xF0\x9F\xBF\xBF"), OK("ASCII and NUL", "a\x00z"),
  /* 2.3: beyond the range */
  BAD("U+110000", "\xF4\x90\x80\x80", 1),
  BAD("F4 BF BF BF", "\xF4\xBF\xBF\xBF", 1),
  BAD("F5 lead", "\xF5\x80\x80\x80", 0),
  BAD("U+1FFFFF old 4-byte", "\xF7\xBF\xBF\xBF", 0),
  BAD("5-byte form", "\xF8\x88\x80\x80\x80", 0),
  BAD("5-byte max", "\xFB\xBF\xBF\xBF\xBF", 0),
  BAD("6-byte form", "\xFC\x84\x80\x80\x80\x80", 0),
  BAD("6-byte max", "\xFD\xBF\xBF\xBF\xBF\xBF", 0),
  /* 3.1: unexpected continuation bytes */
  BAD("lone 80", "\x80", 0), BAD("lone BF", "\xBF", 0),
  BAD("80 BF", "\x80\xBF", 0), BAD("80 BF 80", "\x80\xBF\x80", 0),
  BAD("continuation after ASCII", "a\x80", 1),
  BAD("extra continuation", "\xC2\x80\x80", 2),
  BAD("extra after 4-byte", "\xF0\x90\x80\x80\x80", 4),
  /* 3.2: lonely start bytes followed by a space */
  BAD("C0 space", "\xC0 ", 0), BAD("C2 space", "\xC2 ", 1),
  BAD("DF space", "\xDF ", 1), BAD("E0 space", "\xE0 ", 1),
  BAD("EF space", "\xEF ", 1), BAD("F0 space", "\xF0 ", 1),
  BAD("F4 space", "\xF4 ", 1), BAD("F8 space", "\xF8 ", 0),
  BAD("FC space", "\xFC ", 0),
  /* 3.3: last continuation byte missing */
  BAD("C2 at end", "\xC2", 1), BAD("E0 A0 at end", "\xE0\xA0", 2),
  BAD("F0 90 80 at end", "\xF0\x90\x80", 3), BAD("DF at end", "\xDF", 1),
  BAD("EF BF at end", "\xEF\xBF", 2), BAD("F4 8F BF at end", "\xF4\x8F\xBF", 3),
  BAD("E0 A0 then space", "\xE0\xA0 ", 2),
  BAD("F1 80 80 then space", "\xF1\x80\x80 ", 3),
  /* 3.4: concatenated incomplete sequences */
  BAD("incomplete chain", "\xC2\xE0\xA0\xF0\x90\x80\xDF\xEF\xBF", 1),
  /* 3.5: impossible bytes */
  BAD("FE", "\xFE", 0), BAD("FF", "\xFF", 0),
  BAD("FE FE FF FF", "\xFE\xFE\xFF\xFF", 0), BAD("text then FE", "abc\xFE", 3),
  /* 4.1: overlong '/' */
  BAD("overlong / 2", "\xC0\xAF", 0), BAD("overlong / 3", "\xE0\x80\xAF", 1),
  BAD("overlong / 4", "\xF0\x80\x80\xAF", 1),
  BAD("overlong / 5", "\xF8\x80\x80\x80\xAF", 0),
  BAD("overlong / 6", "\xFC\x80\x80\x80\x80\xAF", 0),
  /* 4.2: maximum overlong sequences */
  BAD("overlong U+007F", "\xC1\xBF", 0),
  BAD("overlong U+07FF", "\xE0\x9F\xBF", 1),
  BAD("overlong U+FFFF", "\xF0\x8F\xBF\xBF", 1),
  BAD("overlong U+1FFFFF in 5", "\xF8\x87\xBF\xBF\xBF", 0),
  /* 4.3: overlong NUL */
  BAD("overlong NUL 2", "\xC0\x80", 0),
  BAD("overlong NUL 3", "\xE0\x80\x80", 1),
  BAD("overlong NUL 4", "\xF0\x80\x80\x80", 1),
  BAD("overlong NUL 5", "\xF8\x80\x80\x80\x80", 0),
  BAD("overlong NUL 6", "\xFC\x80\x80\x80\x80\x80", 0),
  /* 5.1: single surrogates */
  BAD("U+D800", "\xED\xA0\x80", 1), BAD("U+DB7F", "\xED\xAD\xBF", 1),
  BAD("U+DB80", "\xED\xAE\x80", 1), BAD("U+DBFF", "\xED\xAF\xBF", 1),
  BAD("U+DC00", "\xED\xB0\x80", 1), BAD("U+DF80", "\xED\xBE\x80", 1),
  BAD("U+DFFF", "\xED\xBF\xBF", 1),
  /* 5.2: paired surrogates (CESU-8) */
  BAD("U+D800 U+DC00", "\xED\xA0\x80\xED\xB0\x80", 1),
  BAD("U+DBFF U+DFFF", "\xED\xAF\xBF\xED\xBF\xBF", 1),
  BAD("emoji as CESU-8", "\xED\xA0\xBD\xED\xB8\x80", 1),
  BAD("kosme then U+D800",
      "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80", 12),
};
// clang-format on
#define N_SAMPLES (sizeof samples / sizeof samples[0])

#define SAMPLE(i) (const uint8_t *)samples[i].bytes, samples[i].len

Test(utf8_table, reference_dfa_agrees_with_table) {
  for (size_t i = 0; i < N_SAMPLES; i++) {
    struct verdict r = reference(SAMPLE(i));
    cr_expect_eq(r.ok, samples[i].valid, "%s", samples[i].name);
    cr_expect_eq(r.at, samples[i].at, "%s", samples[i].name);
  }
}

Test(utf8_table, is_valid_gives_table_verdict_and_offset) {
  for (size_t i = 0; i < N_SAMPLES; i++) {
    size_t at = 999;
    cr_expect_eq(ws_utf8_is_valid(SAMPLE(i), &at), samples[i].valid, "%s",
                 samples[i].name);
    /* On success invalid_at is left alone. */
    cr_expect_eq(at, samples[i].valid ? 999 : samples[i].at, "%s",
                 samples[i].name);
  }
}

Test(utf8_table, every_impl_agrees_on_samples) {
  for (size_t i = 0; i < N_SAMPLES; i++) {
    struct verdict want = {samples[i].valid, samples[i].at};
    check_impls(SAMPLE(i), want);
  }
}

Test(utf8_table, samples_survive_any_chunking) {
  for (size_t i = 0; i < N_SAMPLES; i++) {
    struct verdict want = {samples[i].valid, samples[i].at};
    check_chunkings(SAMPLE(i), want, WS_UTF8_IMPL_AUTO);
    check_chunkings(SAMPLE(i), want, WS_UTF8_IMPL_SCALAR);
  }
}

/* The samples inside long text, so that the vector kernels meet them at
 * every alignment and on both sides of a block boundary. */
Test(utf8_table, samples_embedded_in_long_text) {
  uint8_t buf[256];
  for (size_t i = 0; i < N_SAMPLES; i++) {
    for (size_t pre = 0; pre + samples[i].len + 8 <= sizeof buf; pre += 7) {
      memset(buf, 'x', sizeof buf);
      memcpy(buf + pre, samples[i].bytes, samples[i].len);
      struct verdict want = reference(buf, sizeof buf);
      cr_assert_eq(want.ok, samples[i].valid, "%s", samples[i].name);
      if (!want.ok) {
        /* A truncated sample followed by 'x' fails at the 'x'. */
        cr_assert_eq(want.at, pre + samples[i].at, "%s", samples[i].name);
      }
      check_impls(buf, sizeof buf, want);
    }
  }
}

/* ---- targeted rules ---- */

Test(utf8_rules, every_code_point_is_valid_except_surrogates) {
  uint8_t buf[4];
  size_t bad = 0;
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
    size_t n = encode(cp, buf);
    bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    size_t at = 0;
    bool ok = ws_utf8_is_valid(buf, n, &at);
    /* RFC 3629 3: surrogates fail at their second byte (ED A0-BF). */
    if (ok == surrogate || (surrogate && at != 1))
      bad++;
  }
  cr_assert_eq(bad, 0);
}

Test(utf8_rules, every_overlong_form_is_invalid_at_the_right_byte) {
  uint8_t buf[4];
  size_t bad = 0;
  for (uint32_t cp = 0; cp < 0x10000; cp++) {
    size_t natural = encode(cp, buf);
    for (size_t len = natural + 1; len <= 4; len++) {
      encode_len(cp, len, buf);
      size_t at = 99;
      /* C0 and C1 are wrong themselves; longer forms are wrong at the
       * second byte (E0 80-9F, F0 80-8F). */
      size_t want = len == 2 ? 0 : 1;
      if (ws_utf8_is_valid(buf, len, &at) || at != want)
        bad++;
    }
  }
  cr_assert_eq(bad, 0);
}

Test(utf8_rules, code_points_above_max_are_invalid) {
  uint8_t buf[4];
  for (uint32_t cp = 0x110000; cp < 0x200000; cp += 0x777) {
    encode_len(cp, 4, buf);
    size_t at = 99;
    cr_assert_not(ws_utf8_is_valid(buf, 4, &at), "U+%X", cp);
    /* F4 90-BF fails at the second byte, F5-F7 at the first. */
    cr_assert_eq(at, buf[0] == 0xF4 ? 1u : 0u, "U+%X", cp);
  }
}

Test(utf8_rules, lone_continuation_bytes_are_invalid) {
  for (unsigned b = 0x80; b <= 0xBF; b++) {
    uint8_t buf[3] = {'a', (uint8_t)b, 'z'};
    size_t at = 99;
    cr_assert_not(ws_utf8_is_valid(buf + 1, 1, &at));
    cr_assert_eq(at, 0);
    cr_assert_not(ws_utf8_is_valid(buf, 3, &at));
    cr_assert_eq(at, 1);
  }
}

Test(utf8_rules, bytes_that_never_appear_are_invalid) {
  static const uint8_t never[] = {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9,
                                  0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF};
  for (size_t i = 0; i < sizeof never; i++) {
    uint8_t buf[4] = {never[i], 0x80, 0x80, 0x80};
    size_t at = 99;
    cr_assert_not(ws_utf8_is_valid(buf, 4, &at), "%02X", never[i]);
    cr_assert_eq(at, 0, "%02X", never[i]);
  }
}

Test(utf8_rules, every_lead_byte_followed_by_space) {
  for (unsigned b = 0xC0; b <= 0xFF; b++) {
    uint8_t buf[2] = {(uint8_t)b, ' '};
    size_t at = 99;
    cr_assert_not(ws_utf8_is_valid(buf, 2, &at));
    bool can_lead = b >= 0xC2 && b <= 0xF4;
    cr_assert_eq(at, can_lead ? 1u : 0u, "%02X", b);
  }
}

Test(utf8_rules, truncated_sequences_report_length) {
  uint8_t buf[4];
  for (uint32_t cp = 0x80; cp <= 0x10FFFF; cp += 0x101) {
    if (cp >= 0xD800 && cp <= 0xDFFF)
      continue;
    size_t n = encode(cp, buf);
    for (size_t cut = 1; cut < n; cut++) {
      size_t at = 99;
      cr_assert_not(ws_utf8_is_valid(buf, cut, &at));
      cr_assert_eq(at, cut, "U+%X cut at %zu", cp, cut);
    }
  }
}

/* ---- differential against the reference ---- */

Test(utf8_diff, exhaustive_one_byte) {
  for (unsigned a = 0; a < 256; a++) {
    uint8_t b = (uint8_t)a;
    check_impls(&b, 1, reference(&b, 1));
  }
}

Test(utf8_diff, exhaustive_two_bytes) {
  uint8_t buf[2];
  for (unsigned x = 0; x < 65536; x++) {
    buf[0] = (uint8_t)(x >> 8);
    buf[1] = (uint8_t)x;
    check_impls(buf, 2, reference(buf, 2));
  }
}

/* All 16M three-byte strings would take minutes under the sanitizers; every
 * string whose first byte is ASCII reduces to a two-byte string, so the
 * exhaustive loop covers first bytes 80-FF (8M strings), against the scalar
 * decoder and the one-shot entry point. */
Test(utf8_diff, exhaustive_three_bytes_non_ascii_first, .timeout = 60) {
  uint8_t buf[3];
  size_t bad = 0;
  for (unsigned x = 0x800000; x < 0x1000000; x++) {
    buf[0] = (uint8_t)(x >> 16);
    buf[1] = (uint8_t)(x >> 8);
    buf[2] = (uint8_t)x;
    bad += !same(oneshot(buf, 3), reference(buf, 3));
  }
  cr_assert_eq(bad, 0);
}

/* Four-byte strings from the bytes where the rules change: every lead with
 * every second byte, and a set of third and fourth bytes. */
Test(utf8_diff, four_bytes_over_edge_values) {
  static const uint8_t edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                  0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0,
                                  0xED, 0xF0, 0xF4, 0xF5, 0xFF};
  uint8_t buf[4];
  for (unsigned a = 0x80; a < 256; a++)
    for (unsigned b = 0; b < 256; b++)
      for (size_t c = 0; c < sizeof edges; c++)
        for (size_t d = 0; d < sizeof edges; d += 3) {
          buf[0] = (uint8_t)a;
          buf[1] = (uint8_t)b;
          buf[2] = edges[c];
          buf[3] = edges[d];
          if (!same(oneshot(buf, 4), reference(buf, 4)))
            cr_assert_fail("[%s]", hex(buf, 4));
        }
}

Test(utf8_diff, random_bytes) {
  uint8_t buf[64];
  rng_state = 0x9E3779B97F4A7C15u;
  for (int iter = 0; iter < 20000; iter++) {
    size_t n = rng() % sizeof buf;
    for (size_t i = 0; i < n; i++)
      buf[i] = (uint8_t)rng();
    check_impls(buf, n, reference(buf, n));
  }
}

Test(utf8_diff, random_text_with_one_corrupted_byte) {
  uint8_t buf[200];
  rng_state = 42;
  for (int iter = 0; iter < 4000; iter++) {
    size_t n = random_text(buf, sizeof buf);
    struct verdict clean = reference(buf, n);
    cr_assert(clean.ok);
    check_impls(buf, n, clean);
    if (n == 0)
      continue;
    buf[rng() % n] = (uint8_t)rng();
    check_impls(buf, n, reference(buf, n));
  }
}

Test(utf8_diff, random_text_with_random_chunking) {
  uint8_t buf[300];
  size_t cuts[300];
  rng_state = 7;
  for (int iter = 0; iter < 2000; iter++) {
    size_t n = random_text(buf, sizeof buf);
    if (iter % 2 && n > 0)
      buf[rng() % n] = (uint8_t)rng();
    struct verdict want = reference(buf, n);
    size_t ncuts = 0;
    for (size_t i = 1; i < n; i++)
      if (rng() % 8 == 0)
        cuts[ncuts++] = i;
    for (size_t k = 0; k < N_IMPLS; k++)
      if (ws_utf8_impl_available(all_impls[k]))
        expect_same(feed_chunks(buf, n, cuts, ncuts, all_impls[k]), want,
                    impl_name(all_impls[k]), buf, n);
  }
}

Test(utf8_diff, random_text_every_two_way_split) {
  uint8_t buf[120];
  rng_state = 1234;
  for (int iter = 0; iter < 100; iter++) {
    size_t n = random_text(buf, sizeof buf);
    if (iter % 2 && n > 0)
      buf[rng() % n] = (uint8_t)rng();
    check_chunkings(buf, n, reference(buf, n), WS_UTF8_IMPL_AUTO);
  }
}

/* ---- scalar and vector paths ---- */

Test(utf8_impl, scalar_and_auto_are_always_available) {
  cr_assert(ws_utf8_impl_available(WS_UTF8_IMPL_SCALAR));
  cr_assert(ws_utf8_impl_available(WS_UTF8_IMPL_AUTO));
  cr_assert_null((void *)ws_utf8_kernel(WS_UTF8_IMPL_SCALAR));
#if defined(__x86_64__) && !defined(WS_UTF8_NO_SIMD)
  /* SSSE3 is in every x86-64 CPU made in the last fifteen years. */
  cr_assert(ws_utf8_impl_available(WS_UTF8_IMPL_SSSE3));
  cr_assert_not_null((void *)ws_utf8_kernel(WS_UTF8_IMPL_AUTO));
#endif
}

/* A kernel's answer must be a valid prefix ending at a boundary, and must
 * cover all but the last block and sequence of valid text. */
Test(utf8_impl, kernels_return_valid_boundary_prefixes) {
  static const enum ws_utf8_impl kernels[] = {WS_UTF8_IMPL_SSSE3,
                                              WS_UTF8_IMPL_AVX2};
  uint8_t buf[400];
  rng_state = 99;
  for (size_t k = 0; k < 2; k++) {
    ws_utf8_kernel_fn fn = ws_utf8_kernel(kernels[k]);
    if (!fn)
      continue;
    for (int iter = 0; iter < 3000; iter++) {
      size_t n = random_text(buf, sizeof buf);
      bool corrupt = iter % 2;
      if (corrupt && n > 0)
        buf[rng() % n] = (uint8_t)rng();
      size_t len = fn(buf, n);
      cr_assert_leq(len, n);
      size_t at = 0;
      if (!utf8_dfa_validate(buf, len, &at))
        cr_assert_fail("%s: prefix %zu of [%s] invalid at %zu",
                       impl_name(kernels[k]), len, hex(buf, n), at);
      if (!corrupt && len + 32 + 3 < n)
        cr_assert_fail("%s: stopped at %zu of %zu on valid text",
                       impl_name(kernels[k]), len, n);
    }
  }
}

/* Lengths around the vector widths with an invalid byte at every position,
 * in ASCII and in multibyte text, through every implementation. */
static void sweep_invalid_positions(uint8_t fill_kind) {
  uint8_t buf[104];
  static const uint8_t bad_bytes[] = {0x80, 0xC0, 0xFF, 0xED, 0xF4, 0xE0};
  for (size_t n = 0; n <= 100; n++) {
    for (size_t pos = 0; pos <= n; pos++) {
      for (size_t b = 0; b < sizeof bad_bytes; b++) {
        if (fill_kind == 0) {
          memset(buf, 'a', n);
        } else {
          /* U+0393 (CE 93) and U+4E2D (E4 B8 AD), truncated to fit. */
          static const uint8_t pat[] = {0xCE, 0x93, 0xE4, 0xB8, 0xAD};
          for (size_t i = 0; i < n; i++)
            buf[i] = pat[i % sizeof pat];
        }
        if (pos < n)
          buf[pos] = bad_bytes[b];
        check_impls(buf, n, reference(buf, n));
      }
    }
  }
}

Test(utf8_impl, lengths_0_to_100_invalid_at_every_position_ascii) {
  sweep_invalid_positions(0);
}

Test(utf8_impl, lengths_0_to_100_invalid_at_every_position_multibyte) {
  sweep_invalid_positions(1);
}

/* A sequence of each length straddling every offset, so that every block
 * boundary of every kernel cuts through it somewhere. */
Test(utf8_impl, sequences_straddling_every_offset) {
  static const char *seqs[] = {"\xC2\x80", "\xE0\xA0\x80", "\xED\x9F\xBF",
                               "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"};
  uint8_t buf[140];
  for (size_t s = 0; s < 5; s++) {
    size_t len = strlen(seqs[s]);
    for (size_t pos = 0; pos + len <= sizeof buf; pos++) {
      memset(buf, 'q', sizeof buf);
      memcpy(buf + pos, seqs[s], len);
      struct verdict want = {true, 0};
      check_impls(buf, sizeof buf, want);
      /* Cut off at the sequence's end: a truncated message. */
      if (pos + len > 1)
        check_impls(buf, pos + len - 1, reference(buf, pos + len - 1));
    }
  }
}

Test(utf8_impl, megabyte_of_mixed_text_all_paths) {
  enum { BIG = 1 << 20 };
  static uint8_t buf[BIG];
  rng_state = 2024;
  size_t n = random_text(buf, BIG);
  check_impls(buf, n, (struct verdict){true, 0});
  static const size_t spots[] = {0, 1, 31, 32, 33, 4095, 4096, 65537, 999999};
  for (size_t s = 0; s < sizeof spots / sizeof spots[0]; s++) {
    uint8_t saved = buf[spots[s]];
    buf[spots[s]] = 0xFF;
    check_impls(buf, n, (struct verdict){false, spots[s]});
    buf[spots[s]] = saved;
  }
}

Test(utf8_impl, megabyte_of_ascii_then_one_bad_byte) {
  enum { BIG = 1 << 20 };
  static uint8_t buf[BIG];
  memset(buf, 'A', BIG);
  check_impls(buf, BIG, (struct verdict){true, 0});
  buf[BIG - 1] = 0xC2; /* truncated at the very end */
  check_impls(buf, BIG, (struct verdict){false, BIG});
  buf[BIG - 1] = 'A';
  buf[BIG / 2 + 3] = 0x80;
  check_impls(buf, BIG, (struct verdict){false, BIG / 2 + 3});
}

/* ---- incremental contract ---- */

Test(utf8_feed, fail_fast_in_the_call_that_receives_the_byte) {
  ws_utf8_validator v;
  ws_utf8_init(&v);
  size_t at = 99;
  static const uint8_t prefix[] = "hello \xCE\xBA\xE1\xBD";
  cr_assert_eq(ws_utf8_feed(&v, prefix, sizeof prefix - 1, &at),
               WS_UTF8_PARTIAL);
  /* B9 completes U+1F79, 'x' is fine, C0 is invalid: offset 2. */
  static const uint8_t chunk[] = "\xB9x\xC0 and the rest";
  cr_assert_eq(ws_utf8_feed(&v, chunk, sizeof chunk - 1, &at), WS_UTF8_INVALID);
  cr_assert_eq(at, 2);
  cr_assert_eq(v.total, sizeof prefix - 1 + 2);
  at = 99;
  static const uint8_t more[] = "valid text";
  cr_assert_eq(ws_utf8_feed(&v, more, sizeof more - 1, &at), WS_UTF8_INVALID);
  cr_assert_eq(at, 0);
  cr_assert_eq(ws_utf8_feed(&v, more, 0, &at), WS_UTF8_INVALID);
  cr_assert_eq(ws_utf8_state(&v), WS_UTF8_INVALID);
  cr_assert_eq(v.total, sizeof prefix - 1 + 2);
}

Test(utf8_feed, fail_fast_inside_a_large_chunk) {
  static uint8_t buf[100000];
  memset(buf, 'z', sizeof buf);
  buf[10] = 0xED;
  buf[11] = 0xA0; /* a surrogate */
  ws_utf8_validator v;
  ws_utf8_init(&v);
  size_t at = 0;
  cr_assert_eq(ws_utf8_feed(&v, buf, sizeof buf, &at), WS_UTF8_INVALID);
  cr_assert_eq(at, 11);
  cr_assert_eq(v.total, 11);
}

Test(utf8_feed, bad_continuation_after_partial_is_at_offset_0) {
  ws_utf8_validator v;
  ws_utf8_init(&v);
  size_t at = 99;
  cr_assert_eq(ws_utf8_feed(&v, U8("\xE2"), 1, &at), WS_UTF8_PARTIAL);
  cr_assert_eq(ws_utf8_feed(&v, U8("("), 1, &at), WS_UTF8_INVALID);
  cr_assert_eq(at, 0);
  cr_assert_eq(v.total, 1);
}

Test(utf8_feed, narrowed_second_byte_checked_across_calls) {
  /* E0 then 9F: overlong even though the bytes arrive apart. */
  static const char *cases[][2] = {{"\xE0", "\x9F\x80"},
                                   {"\xED", "\xA0\x80"},
                                   {"\xF0", "\x8F\x80\x80"},
                                   {"\xF4", "\x90\x80\x80"}};
  for (size_t i = 0; i < 4; i++) {
    ws_utf8_validator v;
    ws_utf8_init(&v);
    size_t at = 99;
    cr_assert_eq(ws_utf8_feed(&v, U8(cases[i][0]), 1, &at), WS_UTF8_PARTIAL);
    cr_assert_eq(ws_utf8_feed(&v, U8(cases[i][1]), strlen(cases[i][1]), &at),
                 WS_UTF8_INVALID);
    cr_assert_eq(at, 0, "case %zu", i);
  }
}

Test(utf8_feed, code_point_split_into_one_byte_calls) {
  static const uint8_t emoji[] = {0xF0, 0x9F, 0x98, 0x80};
  ws_utf8_validator v;
  ws_utf8_init(&v);
  for (size_t i = 0; i < 4; i++) {
    enum ws_utf8_result r = ws_utf8_feed(&v, emoji + i, 1, NULL);
    cr_assert_eq(r, i < 3 ? WS_UTF8_PARTIAL : WS_UTF8_VALID, "byte %zu", i);
    cr_assert_eq(ws_utf8_state(&v), r);
  }
  cr_assert_eq(v.total, 4);
}

Test(utf8_feed, state_at_end_of_message) {
  ws_utf8_validator v;
  ws_utf8_init(&v);
  cr_assert_eq(ws_utf8_state(&v), WS_UTF8_VALID);
  ws_utf8_feed(&v, U8("ab\xE2\x82"), 4, NULL);
  cr_assert_eq(ws_utf8_state(&v), WS_UTF8_PARTIAL);
  ws_utf8_feed(&v, U8("\xAC"), 1, NULL);
  cr_assert_eq(ws_utf8_state(&v), WS_UTF8_VALID);
  ws_utf8_feed(&v, U8("\xFF"), 1, NULL);
  cr_assert_eq(ws_utf8_state(&v), WS_UTF8_INVALID);
}

Test(utf8_feed, empty_chunks_change_nothing) {
  ws_utf8_validator v;
  ws_utf8_init(&v);
  size_t at = 99;
  cr_assert_eq(ws_utf8_feed(&v, NULL, 0, &at), WS_UTF8_VALID);
  ws_utf8_feed(&v, U8("\xC3"), 1, NULL);
  cr_assert_eq(ws_utf8_feed(&v, NULL, 0, &at), WS_UTF8_PARTIAL);
  cr_assert_eq(ws_utf8_feed(&v, U8("\xA9"), 1, &at), WS_UTF8_VALID);
  cr_assert_eq(v.total, 2);
  cr_assert_eq(at, 99, "invalid_at written without a failure");
}

Test(utf8_feed, init_resets_a_failed_validator) {
  ws_utf8_validator v;
  ws_utf8_init(&v);
  ws_utf8_feed(&v, U8("\xC3("), 2, NULL);
  cr_assert(v.failed);
  ws_utf8_init(&v);
  cr_assert_eq(ws_utf8_feed(&v, U8("\xC3\xA9"), 2, NULL), WS_UTF8_VALID);
  cr_assert_eq(v.total, 2);
}

Test(utf8_feed, total_counts_across_many_chunks) {
  /* "κόσμε" (11 bytes) fed 100 times, cut at a different place each time. */
  static const uint8_t kosme[] = "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5";
  ws_utf8_validator v;
  ws_utf8_init(&v);
  for (size_t i = 0; i < 100; i++) {
    size_t cut = i % 12;
    cr_assert_neq(ws_utf8_feed(&v, kosme, cut, NULL), WS_UTF8_INVALID);
    cr_assert_eq(ws_utf8_feed(&v, kosme + cut, 11 - cut, NULL), WS_UTF8_VALID);
  }
  cr_assert_eq(v.total, 1100);
  /* A lead byte, then a chunk whose first byte is not a continuation. */
  size_t at = 99;
  cr_assert_eq(ws_utf8_feed(&v, kosme + 2, 1, &at), WS_UTF8_PARTIAL);
  cr_assert_eq(ws_utf8_feed(&v, kosme, 2, &at), WS_UTF8_INVALID);
  cr_assert_eq(at, 0);
  cr_assert_eq(v.total, 1101);
}

Test(utf8_feed, fail_fast_with_pauses_like_the_harness) {
  /* Valid prefix, pause, the bad bytes, pause, the rest (PROTOCOL.md 6). */
  ws_utf8_validator v;
  ws_utf8_init(&v);
  size_t at = 99;
  cr_assert_eq(ws_utf8_feed(&v, U8("\xCE\xBA\xE1\xBD\xB9"), 5, &at),
               WS_UTF8_VALID);
  cr_assert_eq(ws_utf8_feed(&v, U8("\xF4\x90\x80\x80"), 4, &at),
               WS_UTF8_INVALID);
  cr_assert_eq(at, 1);
  cr_assert_eq(v.total, 6);
  cr_assert_eq(ws_utf8_feed(&v, U8("edited"), 6, &at), WS_UTF8_INVALID);
  cr_assert_eq(at, 0);
}

Test(utf8_oneshot, null_invalid_at_is_allowed) {
  cr_assert_not(ws_utf8_is_valid(U8("\xFF"), 1, NULL));
  cr_assert_not(ws_utf8_is_valid(U8("\xC2"), 1, NULL));
  cr_assert(ws_utf8_is_valid(U8("ok"), 2, NULL));
  cr_assert(ws_utf8_is_valid(NULL, 0, NULL));
}

Test(utf8_oneshot, truncated_message_reports_n) {
  size_t at = 0;
  cr_assert_not(ws_utf8_is_valid(U8("abc\xF0\x9F\x98"), 6, &at));
  cr_assert_eq(at, 6);
}

Test(utf8_reference, step_matches_validate) {
  /* utf8_dfa_step is the same machine, one byte at a time. */
  uint8_t buf[8];
  rng_state = 5;
  for (int iter = 0; iter < 20000; iter++) {
    size_t n = rng() % sizeof buf, i = 0;
    for (size_t k = 0; k < n; k++)
      buf[k] = (uint8_t)(0x70 + rng() % 0x90);
    uint8_t st = UTF8_DFA_ACCEPT;
    for (; i < n && st != UTF8_DFA_REJECT; i++)
      st = utf8_dfa_step(st, buf[i]);
    struct verdict want = reference(buf, n);
    cr_assert_eq(st == UTF8_DFA_ACCEPT, want.ok);
    if (st == UTF8_DFA_REJECT)
      cr_assert_eq(i - 1, want.at);
  }
  cr_assert_eq(utf8_dfa_step(UTF8_DFA_REJECT, 'a'), UTF8_DFA_REJECT);
}
