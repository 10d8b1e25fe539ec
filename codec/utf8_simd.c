/* Vector UTF-8 kernels, after the "lookup" algorithm Keiser and Lemire
 * describe in "Validating UTF-8 In Less Than One Instruction Per Byte"
 * (Software: Practice and Experience, 2021).
 *
 * Every error RFC 3629 defines shows within the first two bytes of a
 * sequence, except a missing or surplus third or fourth byte. So each byte is
 * classified together with the byte before it by three 16-entry tables, one
 * per nibble (high and low nibble of the previous byte, high nibble of the
 * current one); each table entry is a set of error bits and a pair is wrong
 * when the three sets share a bit. The third and fourth bytes of long
 * sequences are then checked by comparing "is a continuation after a
 * continuation" with "must be a continuation because of the byte two or three
 * places back". Bytes carry over from the previous block, so a sequence that
 * straddles two blocks is checked like any other. */
#include "codec/utf8_simd.h"

/* WS_UTF8_NO_SIMD builds the portable configuration on x86 too, so that it
 * can be tested there. */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(WS_UTF8_NO_SIMD)
#define HAVE_X86_KERNELS 1
#include <immintrin.h>
#endif

#ifdef HAVE_X86_KERNELS

/* The error bits a byte pair can raise. A bit is raised when all three
 * nibble tables carry it. */
enum {
  TOO_SHORT = 0x01,  /* a lead byte not followed by a continuation */
  TOO_LONG = 0x02,   /* a continuation right after an ASCII byte */
  OVERLONG_3 = 0x04, /* RFC 3629 4: E0 80-9F is overlong */
  TOO_LARGE = 0x08,  /* RFC 3629 3: F4 90-BF, F5-FF 90-BF exceed U+10FFFF */
  SURROGATE = 0x10,  /* RFC 3629 3: ED A0-BF encode U+D800..U+DFFF */
  OVERLONG_2 = 0x20, /* RFC 3629 3: C0 and C1 only start overlong forms */
  /* RFC 3629 4: F0 80-8F is overlong; F5-FF 80-8F exceed U+10FFFF. */
  OVERLONG_4 = 0x40,
  TWO_CONTS = 0x80, /* a continuation after a continuation */
  /* Bits whose rule does not depend on the previous byte's low nibble. */
  ANY_LOW = TOO_SHORT | TOO_LONG | TWO_CONTS,
};

/* Indexed by the previous byte's high nibble. */
static const uint8_t prev_high[16] = {
    /* 0-7: ASCII */
    TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
    TOO_LONG,
    /* 8-B: continuation */
    TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
    /* C: two-byte leads, C0 and C1 among them */
    TOO_SHORT | OVERLONG_2,
    /* D: two-byte leads */
    TOO_SHORT,
    /* E: three-byte leads, E0 and ED among them */
    TOO_SHORT | OVERLONG_3 | SURROGATE,
    /* F: four-byte leads and F5-FF */
    TOO_SHORT | TOO_LARGE | OVERLONG_4};

/* Indexed by the previous byte's low nibble: narrows the bits above to the
 * exact lead bytes (C0, C1, E0, ED, F0, F4, F5-FF) they concern. */
static const uint8_t prev_low[16] = {
    ANY_LOW | OVERLONG_2 | OVERLONG_3 | OVERLONG_4, /* C0, E0, F0 */
    ANY_LOW | OVERLONG_2,                           /* C1 */
    ANY_LOW,
    ANY_LOW,
    ANY_LOW | TOO_LARGE, /* F4 */
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4 | SURROGATE, /* ED, FD */
    ANY_LOW | TOO_LARGE | OVERLONG_4,
    ANY_LOW | TOO_LARGE | OVERLONG_4};

/* Indexed by the current byte's high nibble. */
static const uint8_t cur_high[16] = {
    /* 0-7: not a continuation */
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
    TOO_SHORT,
    /* 8: 80-8F */
    TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | OVERLONG_4,
    /* 9: 90-9F */
    TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | TOO_LARGE,
    /* A, B: A0-BF */
    TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE,
    TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE,
    /* C-F: not a continuation */
    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT};

/* The kernels stop at a block boundary, which may fall inside a sequence.
 * Everything before pos passed the checks, but a sequence still open at pos
 * has not had its missing bytes checked, so the valid prefix ends before its
 * lead byte. The lead is at most three bytes back. */
static size_t back_to_boundary(const uint8_t *p, size_t pos) {
  for (size_t k = 1; k <= 3 && k <= pos; k++) {
    uint8_t b = p[pos - k];
    if ((b & 0xC0) == 0x80)
      continue; /* a continuation: the lead is further back */
    size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    return len == k ? pos : pos - k;
  }
  /* Three continuations: a four-byte sequence ends exactly at pos. */
  return pos;
}

/* ---- SSSE3, 16-byte blocks ---- */

#define SSSE3 __attribute__((target("ssse3")))

/* The block shifted right by k bytes, with the last k bytes of prev in
 * front: lane i holds the byte k places before cur[i]. */
#define SSE_BEFORE(cur, prev, k) _mm_alignr_epi8((cur), (prev), 16 - (k))

SSSE3 static inline __m128i sse_nibble_hi(__m128i x) {
  return _mm_and_si128(_mm_srli_epi16(x, 4), _mm_set1_epi8(0x0F));
}

SSSE3 static inline __m128i sse_errors(__m128i cur, __m128i prev,
                                       const __m128i tables[3]) {
  __m128i prev1 = SSE_BEFORE(cur, prev, 1);
  __m128i lo = _mm_and_si128(prev1, _mm_set1_epi8(0x0F));
  __m128i sc = _mm_and_si128(
      _mm_and_si128(_mm_shuffle_epi8(tables[0], sse_nibble_hi(prev1)),
                    _mm_shuffle_epi8(tables[1], lo)),
      _mm_shuffle_epi8(tables[2], sse_nibble_hi(cur)));
  /* A byte must be a continuation when two places back there is a lead of
   * three or more bytes (>= E0), or three places back one of four (>= F0).
   * Saturating subtraction of 0x60 and 0x70 sets bit 7 exactly then. */
  __m128i must = _mm_or_si128(
      _mm_subs_epu8(SSE_BEFORE(cur, prev, 2), _mm_set1_epi8(0x60)),
      _mm_subs_epu8(SSE_BEFORE(cur, prev, 3), _mm_set1_epi8(0x70)));
  must = _mm_and_si128(must, _mm_set1_epi8((char)0x80));
  /* TWO_CONTS is an error only where no continuation was due, and a due
   * continuation that is missing is one too: both show as a difference. */
  return _mm_xor_si128(sc, must);
}

SSSE3 static size_t kernel_ssse3(const uint8_t *p, size_t n) {
  const size_t w = 16;
  const __m128i tables[3] = {_mm_loadu_si128((const __m128i *)prev_high),
                             _mm_loadu_si128((const __m128i *)prev_low),
                             _mm_loadu_si128((const __m128i *)cur_high)};
  /* An ASCII block classifies like a block of zeros as "previous", and the
   * buffer starts at a boundary, so zeros are the right first previous. */
  __m128i prev = _mm_setzero_si128();
  bool prev_ascii = true;
  size_t pos = 0;
  while (n - pos >= w) {
    __m128i cur = _mm_loadu_si128((const __m128i *)(p + pos));
    bool ascii = _mm_movemask_epi8(cur) == 0;
    if (!(ascii && prev_ascii)) {
      __m128i err = sse_errors(cur, prev, tables);
      if (_mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) != 0xFFFF)
        break;
      prev = cur;
    }
    prev_ascii = ascii;
    pos += w;
  }
  return back_to_boundary(p, pos);
}

/* ---- AVX2, 32-byte blocks ---- */

#define AVX2 __attribute__((target("avx2")))

/* As SSE_BEFORE; alignr works within 128-bit lanes, so the upper half of prev
 * and the lower half of cur are first paired into one register. */
#define AVX_BEFORE(cur, prev, k)                                               \
  _mm256_alignr_epi8((cur), _mm256_permute2x128_si256((prev), (cur), 0x21),    \
                     16 - (k))

AVX2 static inline __m256i avx_nibble_hi(__m256i x) {
  return _mm256_and_si256(_mm256_srli_epi16(x, 4), _mm256_set1_epi8(0x0F));
}

AVX2 static inline __m256i avx_errors(__m256i cur, __m256i prev,
                                      const __m256i tables[3]) {
  __m256i prev1 = AVX_BEFORE(cur, prev, 1);
  __m256i lo = _mm256_and_si256(prev1, _mm256_set1_epi8(0x0F));
  __m256i sc = _mm256_and_si256(
      _mm256_and_si256(_mm256_shuffle_epi8(tables[0], avx_nibble_hi(prev1)),
                       _mm256_shuffle_epi8(tables[1], lo)),
      _mm256_shuffle_epi8(tables[2], avx_nibble_hi(cur)));
  /* See sse_errors for the "must be a continuation" test. */
  __m256i must = _mm256_or_si256(
      _mm256_subs_epu8(AVX_BEFORE(cur, prev, 2), _mm256_set1_epi8(0x60)),
      _mm256_subs_epu8(AVX_BEFORE(cur, prev, 3), _mm256_set1_epi8(0x70)));
  must = _mm256_and_si256(must, _mm256_set1_epi8((char)0x80));
  return _mm256_xor_si256(sc, must);
}

AVX2 static inline __m256i avx_table(const uint8_t t[16]) {
  return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)t));
}

/* Skips whole 128-byte runs of ASCII, the common case of text protocols,
 * with one test per run. Returns the new position. */
AVX2 static size_t avx_skip_ascii(const uint8_t *p, size_t pos, size_t n) {
  while (n - pos >= 128) {
    __m256i a = _mm256_loadu_si256((const __m256i *)(p + pos));
    __m256i b = _mm256_loadu_si256((const __m256i *)(p + pos + 32));
    __m256i c = _mm256_loadu_si256((const __m256i *)(p + pos + 64));
    __m256i d = _mm256_loadu_si256((const __m256i *)(p + pos + 96));
    __m256i all = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
    if (_mm256_movemask_epi8(all) != 0)
      break;
    pos += 128;
  }
  return pos;
}

AVX2 static size_t kernel_avx2(const uint8_t *p, size_t n) {
  const size_t w = 32;
  const __m256i tables[3] = {avx_table(prev_high), avx_table(prev_low),
                             avx_table(cur_high)};
  __m256i prev = _mm256_setzero_si256(); /* see kernel_ssse3 */
  bool prev_ascii = true;
  size_t pos = 0;
  while (n - pos >= w) {
    if (prev_ascii) {
      pos = avx_skip_ascii(p, pos, n);
      if (n - pos < w)
        break;
    }
    __m256i cur = _mm256_loadu_si256((const __m256i *)(p + pos));
    bool ascii = _mm256_movemask_epi8(cur) == 0;
    if (!(ascii && prev_ascii)) {
      __m256i err = avx_errors(cur, prev, tables);
      if (!_mm256_testz_si256(err, err))
        break;
      prev = cur;
    }
    prev_ascii = ascii;
    pos += w;
  }
  return back_to_boundary(p, pos);
}

bool ws_utf8_impl_available(enum ws_utf8_impl impl) {
  switch (impl) {
  case WS_UTF8_IMPL_AUTO:
  case WS_UTF8_IMPL_SCALAR:
    return true;
  case WS_UTF8_IMPL_SSSE3:
    return __builtin_cpu_supports("ssse3");
  case WS_UTF8_IMPL_AVX2:
    return __builtin_cpu_supports("avx2");
  }
  return false;
}

ws_utf8_kernel_fn ws_utf8_kernel(enum ws_utf8_impl impl) {
  if (impl == WS_UTF8_IMPL_AUTO)
    impl = ws_utf8_impl_available(WS_UTF8_IMPL_AVX2)    ? WS_UTF8_IMPL_AVX2
           : ws_utf8_impl_available(WS_UTF8_IMPL_SSSE3) ? WS_UTF8_IMPL_SSSE3
                                                        : WS_UTF8_IMPL_SCALAR;
  if (!ws_utf8_impl_available(impl))
    return NULL;
  switch (impl) {
  case WS_UTF8_IMPL_SSSE3:
    return kernel_ssse3;
  case WS_UTF8_IMPL_AVX2:
    return kernel_avx2;
  default:
    return NULL;
  }
}

#else /* no vector kernels for this target: the scalar path does it all */

bool ws_utf8_impl_available(enum ws_utf8_impl impl) {
  return impl == WS_UTF8_IMPL_AUTO || impl == WS_UTF8_IMPL_SCALAR;
}

ws_utf8_kernel_fn ws_utf8_kernel(enum ws_utf8_impl impl) {
  (void)impl;
  return NULL;
}

#endif
