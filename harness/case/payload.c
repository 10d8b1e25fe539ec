#include "case/payload.h"

#include "case/corpus.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Every evaluation runs twice over the same text: once to measure (out NULL)
 * and check the limits, once to write into a block of exactly that size. */
typedef struct writer {
  uint8_t *out; /* NULL: measuring */
  size_t len;
} writer;

static const uint8_t empty_payload[1];

static int fail(ws_payload_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(ws_payload_env *env, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(env->msg, sizeof env->msg, fmt, ap);
  va_end(ap);
  return -1;
}

static int too_big(ws_payload_env *env) {
  return fail(env, "payload larger than the limit of %zu bytes", env->max);
}

static void put(writer *w, const void *src, size_t n) {
  if (w->out && n)
    memcpy(w->out + w->len, src, n);
  w->len += n;
}

static void put_byte(writer *w, uint8_t b) { put(w, &b, 1); }

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static const char *skip_blanks(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

static bool starts_with(const char *p, const char *end, const char *lit) {
  size_t n = strlen(lit);
  return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* Decimal, at most max; the number ends at a non-digit. */
static int number(ws_payload_env *env, const char **cur, const char *end,
                  uint64_t max, const char *what, uint64_t *out) {
  const char *p = *cur;
  uint64_t v = 0;
  if (p >= end || *p < '0' || *p > '9')
    return fail(env, "expected a number after %s", what);
  for (; p < end && *p >= '0' && *p <= '9'; p++) {
    v = v * 10 + (uint64_t)(*p - '0');
    if (v > max)
      return fail(env, "%s is over the limit of %llu", what,
                  (unsigned long long)max);
  }
  *cur = p;
  *out = v;
  return 0;
}

static void put_utf8(writer *w, uint32_t cp) {
  uint8_t b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (uint8_t)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (uint8_t)(0xC0 | (cp >> 6));
    b[1] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (uint8_t)(0xE0 | (cp >> 12));
    b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (uint8_t)(0xF0 | (cp >> 18));
    b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (uint8_t)(0x80 | (cp & 0x3F));
    n = 4;
  }
  put(w, b, n);
}

/* \u{H..H}: p is after the 'u'. Only scalar values: surrogates and values
 * over U+10FFFF have no UTF-8 form, and \xNN exists to send such bytes. */
static int unicode_escape(ws_payload_env *env, const char **cur,
                          const char *end, writer *w) {
  const char *p = *cur;
  if (p >= end || *p != '{')
    return fail(env, "\\u must be followed by {HEX}");
  p++;
  uint32_t cp = 0;
  int digits = 0;
  for (; p < end && hexval(*p) >= 0; p++) {
    if (++digits > 6)
      return fail(env, "\\u{...} takes at most 6 hex digits");
    cp = cp * 16 + (uint32_t)hexval(*p);
  }
  if (digits == 0 || p >= end || *p != '}')
    return fail(env, "malformed \\u{HEX} escape");
  if (cp > 0x10FFFF)
    return fail(env, "\\u{%X} is beyond U+10FFFF (use \\xNN for raw bytes)",
                cp);
  if (cp >= 0xD800 && cp <= 0xDFFF)
    return fail(env, "\\u{%X} is a surrogate, not a scalar value (use \\xNN)",
                cp);
  put_utf8(w, cp);
  *cur = p + 1;
  return 0;
}

static int escape(ws_payload_env *env, const char **cur, const char *end,
                  writer *w) {
  const char *p = *cur; /* after the backslash */
  if (p >= end)
    return fail(env, "unterminated string");
  char c = *p++;
  switch (c) {
  case 'n':
    put_byte(w, '\n');
    break;
  case 'r':
    put_byte(w, '\r');
    break;
  case 't':
    put_byte(w, '\t');
    break;
  case '\\':
  case '"':
    put_byte(w, (uint8_t)c);
    break;
  case 'x':
    if (end - p < 2 || hexval(p[0]) < 0 || hexval(p[1]) < 0)
      return fail(env, "\\x must be followed by two hex digits");
    put_byte(w, (uint8_t)(hexval(p[0]) * 16 + hexval(p[1])));
    p += 2;
    break;
  case 'u':
    *cur = p;
    return unicode_escape(env, cur, end, w);
  default:
    return fail(env, "unknown escape \\%c in string", c >= ' ' ? c : '?');
  }
  *cur = p;
  return 0;
}

/* *cur is at the opening quote. */
static int string_lit(ws_payload_env *env, const char **cur, const char *end,
                      writer *w) {
  const char *p = *cur + 1;
  while (p < end && *p != '"') {
    if (*p == '\\') {
      p++;
      if (escape(env, &p, end, w) < 0)
        return -1;
    } else {
      put_byte(w, (uint8_t)*p++);
    }
  }
  if (p >= end)
    return fail(env, "unterminated string");
  *cur = p + 1;
  return 0;
}

/* *cur is at hex". Blanks between digits are ignored. */
static int hex_lit(ws_payload_env *env, const char **cur, const char *end,
                   writer *w) {
  const char *p = *cur + 4;
  int hi = -1;
  for (; p < end && *p != '"'; p++) {
    if (*p == ' ' || *p == '\t')
      continue;
    int v = hexval(*p);
    if (v < 0)
      return fail(env, "'%c' is not a hex digit in hex\"..\"",
                  *p >= ' ' ? *p : '?');
    if (hi < 0) {
      hi = v;
    } else {
      put_byte(w, (uint8_t)(hi * 16 + v));
      hi = -1;
    }
  }
  if (p >= end)
    return fail(env, "unterminated hex\"..\"");
  if (hi >= 0)
    return fail(env, "odd number of hex digits in hex\"..\"");
  *cur = p + 1;
  return 0;
}

static int random_term(ws_payload_env *env, const char **cur, const char *end,
                       writer *w) {
  const char *p = skip_blanks(*cur + 7, end);
  uint64_t n;
  if (number(env, &p, end, env->max, "random(", &n) < 0)
    return -1;
  p = skip_blanks(p, end);
  if (p >= end || *p != ')')
    return fail(env, "random(N) is missing its ')'");
  if (w->len > env->max - n)
    return too_big(env);
  if (w->out)
    ws_prng_fill(env->rng, w->out + w->len, (size_t)n);
  w->len += (size_t)n;
  *cur = p + 1;
  return 0;
}

/* corpus(KIND, N) or corpus(KIND, N, OFFSET): bytes [OFFSET, OFFSET + N)
 * of a synthetic corpus (case/corpus.h), the same in every run. */
static int corpus_term(ws_payload_env *env, const char **cur, const char *end,
                       writer *w) {
  const char *p = skip_blanks(*cur + 7, end), *name = p;
  while (p < end && *p >= 'a' && *p <= 'z')
    p++;
  int kind = ws_corpus_parse(name, (size_t)(p - name));
  if (kind < 0)
    return fail(env, "corpus(KIND, N): KIND is one of json, html, prose, "
                     "german, bitmap, random");
  p = skip_blanks(p, end);
  if (p >= end || *p != ',')
    return fail(env, "corpus(KIND, N) is missing ', N'");
  p = skip_blanks(p + 1, end);
  uint64_t n, offset = 0;
  if (number(env, &p, end, env->max, "corpus(KIND,", &n) < 0)
    return -1;
  p = skip_blanks(p, end);
  if (p < end && *p == ',') {
    p = skip_blanks(p + 1, end);
    if (number(env, &p, end, WS_CORPUS_MAX_OFFSET, "corpus(KIND, N,", &offset) <
        0)
      return -1;
    p = skip_blanks(p, end);
  }
  if (p >= end || *p != ')')
    return fail(env, "corpus(KIND, N) is missing its ')'");
  if (w->len > env->max - n)
    return too_big(env);
  if (w->out)
    ws_corpus_fill((enum ws_corpus)kind, WS_CORPUS_SEED, offset,
                   w->out + w->len, (size_t)n);
  w->len += (size_t)n;
  *cur = p + 1;
  return 0;
}

bool ws_payload_starts(const char *p, const char *end) {
  return (p < end && *p == '"') || starts_with(p, end, "hex\"") ||
         starts_with(p, end, "random(") || starts_with(p, end, "corpus(");
}

static int primary(ws_payload_env *env, const char **cur, const char *end,
                   writer *w) {
  const char *p = *cur;
  if (p < end && *p == '"')
    return string_lit(env, cur, end, w);
  if (starts_with(p, end, "hex\""))
    return hex_lit(env, cur, end, w);
  if (starts_with(p, end, "random("))
    return random_term(env, cur, end, w);
  if (starts_with(p, end, "corpus("))
    return corpus_term(env, cur, end, w);
  if (p < end && *p == '{')
    return fail(env, "{name} is only substituted in a file with a <table>");
  return fail(env, "expected a payload: \"...\", hex\"..\", random(N) "
                   "or corpus(KIND, N)");
}

/* TERM [* N]...: measures the primary, reads the repeat counts, and only
 * then writes, so "x" * 0 writes nothing into a zero-sized block. */
static int term(ws_payload_env *env, const char **cur, const char *end,
                writer *w) {
  const char *start = *cur;
  writer probe = {NULL, 0};
  if (primary(env, cur, end, &probe) < 0)
    return -1;
  uint64_t reps = 1;
  for (;;) {
    const char *p = skip_blanks(*cur, end);
    if (p >= end || *p != '*')
      break;
    p = skip_blanks(p + 1, end);
    uint64_t n;
    if (number(env, &p, end, WS_PAYLOAD_MAX_REPEAT, "'*'", &n) < 0)
      return -1;
    *cur = p;
    if (probe.len == 0 || reps == 0)
      continue; /* empty stays empty: no product to bound */
    if (n != 0 && reps > env->max / probe.len / n)
      return too_big(env);
    reps *= n;
  }
  uint64_t total = probe.len == 0 ? 0 : reps * probe.len;
  if (total > env->max - w->len)
    return too_big(env);
  if (!w->out) {
    w->len += (size_t)total;
    return 0;
  }
  if (reps == 0)
    return 0;
  size_t at = w->len;
  const char *again = start;
  if (primary(env, &again, end, w) < 0)
    return -1;
  /* Doubling copies: log2(reps) memcpy calls, not reps. */
  size_t done = probe.len, want = (size_t)total;
  while (done < want) {
    size_t n = done < want - done ? done : want - done;
    memcpy(w->out + at + done, w->out + at, n);
    done += n;
  }
  w->len = at + want;
  return 0;
}

static int expr(ws_payload_env *env, const char **cur, const char *end,
                writer *w) {
  const char *p = skip_blanks(*cur, end);
  for (;;) {
    if (term(env, &p, end, w) < 0)
      return -1;
    p = skip_blanks(p, end);
    if (p >= end || *p != '+')
      break;
    p = skip_blanks(p + 1, end);
  }
  *cur = p;
  return 0;
}

int ws_payload_parse(ws_payload_env *env, const char **cur, const char *end,
                     ws_bytes *out) {
  const char *p = *cur;
  writer w = {NULL, 0};
  if (expr(env, &p, end, &w) < 0)
    return -1;
  if (w.len == 0) {
    out->ptr = empty_payload;
    out->len = 0;
    *cur = p;
    return 0;
  }
  uint8_t *buf = ws_arena_alloc(env->arena, w.len);
  if (!buf)
    return fail(env, env->arena->over_limit
                         ? "case file needs more memory than its limit"
                         : "out of memory");
  writer fill = {buf, 0};
  p = *cur;
  if (expr(env, &p, end, &fill) < 0) /* cannot fail: same text as above */
    return -1;
  out->ptr = buf;
  out->len = fill.len;
  *cur = p;
  return 0;
}

int ws_payload_string(ws_payload_env *env, const char **cur, const char *end,
                      char **out) {
  const char *p = *cur;
  writer w = {NULL, 0};
  if (p >= end || *p != '"')
    return fail(env, "expected a \"...\" string");
  if (string_lit(env, &p, end, &w) < 0)
    return -1;
  char *buf = ws_arena_alloc(env->arena, w.len + 1);
  if (!buf)
    return fail(env, env->arena->over_limit
                         ? "case file needs more memory than its limit"
                         : "out of memory");
  writer fill = {(uint8_t *)buf, 0};
  p = *cur;
  string_lit(env, &p, end, &fill);
  buf[w.len] = '\0';
  if (memchr(buf, '\0', w.len))
    return fail(env, "a NUL byte is not allowed in this string");
  *cur = p;
  *out = buf;
  return 0;
}
