/* Incremental UTF-8 validation (RFC 3629, as RFC 6455 5.6 and 8.1 require).
 *
 * One scalar decoder below is the only code that decides where an error is
 * and what state carries over to the next chunk. The vector kernels of
 * utf8_simd.c only skip ahead over a prefix they have proven valid and
 * complete, so they can never change a verdict or an offset, only the speed
 * at which the scalar decoder gets to it. */
#include "codec/utf8.h"

#include "codec/utf8_simd.h"

#include <string.h>

/* RFC 3629 4: every byte after the first of a sequence is 80-BF, unless the
 * lead byte narrows the first of them (see start_sequence). */
#define TAIL_MIN 0x80
#define TAIL_MAX 0xBF

/* After the kernel has skipped what it could, the scalar decoder works this
 * many bytes before handing back to the kernel. Any window is correct, since
 * the kernel restarts from wherever the decoder stops at a boundary; this one
 * covers a vector block plus the three bytes the kernel may have backed off,
 * so the decoder reaches whatever stopped the kernel in one go. */
#define SCALAR_WINDOW 64

void ws_utf8_init(ws_utf8_validator *v) {
  v->needed = 0;
  v->lower = TAIL_MIN;
  v->upper = TAIL_MAX;
  v->failed = false;
  v->total = 0;
}

/* The decoder's position inside a sequence. Kept in locals while scanning:
 * stores through a uint8_t pointer may alias anything, so fields of *v would
 * be reloaded after every byte. */
struct seq {
  uint8_t needed;
  uint8_t lower;
  uint8_t upper;
};

/* What each lead byte C0-FF calls for, indexed by its low six bits: how
 * many continuation bytes follow and the bounds of the first of them (the
 * others are always 80-BF). A byte that cannot lead has needed = 0 and an
 * empty range, so it fails every check below. */
struct lead {
  uint8_t needed;
  uint8_t lower;
  uint8_t upper;
};

#define NO_LEAD                                                                \
  { 0, 0xFF, 0x00 }
#define LEAD2                                                                  \
  { 1, TAIL_MIN, TAIL_MAX }
#define LEAD3                                                                  \
  { 2, TAIL_MIN, TAIL_MAX }
#define LEAD4                                                                  \
  { 3, TAIL_MIN, TAIL_MAX }

// clang-format off
static const struct lead leads[64] = {
  /* C0, C1: RFC 3629 3: they could only start overlong forms of U+0000-007F */
  NO_LEAD, NO_LEAD,
  /* C2-DF */
  LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2,
  LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2,
  LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2, LEAD2,
  /* E0: RFC 3629 4: E0 80-9F would be overlong */
  {2, 0xA0, TAIL_MAX},
  /* E1-EC */
  LEAD3, LEAD3, LEAD3, LEAD3, LEAD3, LEAD3, LEAD3, LEAD3, LEAD3, LEAD3, LEAD3,
  LEAD3,
  /* ED: RFC 3629 3: surrogates U+D800..U+DFFF (ED A0-BF) are not valid */
  {2, TAIL_MIN, 0x9F},
  /* EE, EF */
  LEAD3, LEAD3,
  /* F0: RFC 3629 4: F0 80-8F would be overlong */
  {3, 0x90, TAIL_MAX},
  /* F1-F3 */
  LEAD4, LEAD4, LEAD4,
  /* F4: RFC 3629 3: F4 90-BF would exceed U+10FFFF */
  {3, TAIL_MIN, 0x8F},
  /* F5-FF: RFC 3629 3: they would start code points above U+10FFFF */
  NO_LEAD, NO_LEAD, NO_LEAD, NO_LEAD, NO_LEAD, NO_LEAD, NO_LEAD, NO_LEAD,
  NO_LEAD, NO_LEAD, NO_LEAD,
};
// clang-format on

#undef NO_LEAD
#undef LEAD2
#undef LEAD3
#undef LEAD4

/* Sets up the continuation bytes the non-ASCII byte b calls for. Returns
 * false when b cannot start a sequence. */
static bool start_sequence(struct seq *s, uint8_t b) {
  /* RFC 3629 4: 80-BF only ever continue a sequence. */
  if (b < 0xC0)
    return false;
  struct lead l = leads[b & 0x3F];
  s->needed = l.needed;
  s->lower = l.lower;
  s->upper = l.upper;
  return l.needed > 0;
}

/* True when the 8 bytes at p are all ASCII. memcpy keeps the load legal at
 * any alignment and compiles to one move. */
static bool ascii_word(const uint8_t *p) {
  uint64_t w;
  memcpy(&w, p, sizeof w);
  return (w & UINT64_C(0x8080808080808080)) == 0;
}

/* Checks the sequence at p, whose first byte is not ASCII and of which at
 * least four bytes are readable, in one go. Returns its length, or 0 when it
 * is invalid and must go through start_sequence to locate the error. Mixed
 * text has lead bytes of every length in random order, so this looks up and
 * computes instead of branching on the length, which no predictor guesses. */
static size_t whole_sequence(const uint8_t *p) {
  uint8_t b = p[0];
  struct lead l = leads[b & 0x3F];
  bool ok = (b >= 0xC0) & (p[1] >= l.lower) & (p[1] <= l.upper) &
            ((l.needed < 2) | ((p[2] & 0xC0) == 0x80)) &
            ((l.needed < 3) | ((p[3] & 0xC0) == 0x80));
  return ok ? l.needed + 1u : 0;
}

/* The scalar decoder proper: returns end, or the offset of the first byte
 * that no valid string can contain at that place. */
static size_t scan_seq(struct seq *s, const uint8_t *p, size_t i, size_t end) {
  while (i < end) {
    uint8_t b = p[i];
    if (s->needed > 0) {
      if (b < s->lower || b > s->upper)
        return i;
      s->lower = TAIL_MIN;
      s->upper = TAIL_MAX;
      s->needed--;
      i++;
      continue;
    }
    if (b < 0x80) {
      i++;
      while (end - i >= 8 && ascii_word(p + i))
        i += 8;
      continue;
    }
    if (end - i > 3) {
      size_t len = whole_sequence(p + i);
      if (len > 0) {
        i += len;
        continue;
      }
    }
    if (!start_sequence(s, b))
      return i;
    i++;
  }
  return end;
}

/* Decodes p[i..end) one sequence at a time, ASCII eight bytes at a time.
 * Returns end, or the offset of the first invalid byte with v->failed set. */
static size_t scan_scalar(ws_utf8_validator *v, const uint8_t *p, size_t i,
                          size_t end) {
  struct seq s = {v->needed, v->lower, v->upper};
  size_t stop = scan_seq(&s, p, i, end);
  v->needed = s.needed;
  v->lower = s.lower;
  v->upper = s.upper;
  v->failed = stop < end;
  return stop;
}

enum ws_utf8_result ws_utf8_feed_impl(ws_utf8_validator *v, const uint8_t *p,
                                      size_t n, size_t *invalid_at,
                                      enum ws_utf8_impl impl) {
  if (v->failed) {
    /* Failure is sticky: the offset was reported by the call that failed. */
    if (invalid_at)
      *invalid_at = 0;
    return WS_UTF8_INVALID;
  }
  ws_utf8_kernel_fn kernel = ws_utf8_kernel(impl);
  size_t i = 0;
  while (i < n) {
    /* A kernel may only start at a code point boundary. */
    if (kernel && v->needed == 0)
      i += kernel(p + i, n - i);
    size_t end = n;
    if (kernel && n - i > SCALAR_WINDOW)
      end = i + SCALAR_WINDOW;
    i = scan_scalar(v, p, i, end);
    if (v->failed) {
      v->total += i;
      if (invalid_at)
        *invalid_at = i;
      return WS_UTF8_INVALID;
    }
  }
  v->total += n;
  return v->needed > 0 ? WS_UTF8_PARTIAL : WS_UTF8_VALID;
}

enum ws_utf8_result ws_utf8_feed(ws_utf8_validator *v, const uint8_t *p,
                                 size_t n, size_t *invalid_at) {
  return ws_utf8_feed_impl(v, p, n, invalid_at, WS_UTF8_IMPL_AUTO);
}

enum ws_utf8_result ws_utf8_state(const ws_utf8_validator *v) {
  if (v->failed)
    return WS_UTF8_INVALID;
  return v->needed > 0 ? WS_UTF8_PARTIAL : WS_UTF8_VALID;
}

bool ws_utf8_is_valid(const uint8_t *p, size_t n, size_t *invalid_at) {
  ws_utf8_validator v;
  ws_utf8_init(&v);
  size_t at = 0;
  enum ws_utf8_result r = ws_utf8_feed(&v, p, n, &at);
  if (r == WS_UTF8_VALID)
    return true;
  if (invalid_at)
    *invalid_at = r == WS_UTF8_INVALID ? at : n; /* PARTIAL: truncated */
  return false;
}
