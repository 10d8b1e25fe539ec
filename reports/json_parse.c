/* The strict, bounded JSON parser (json_parse.h). Recursive descent whose
 * recursion is bounded by limits.max_depth; every node goes into one array
 * that grows geometrically up to limits.max_nodes. Nodes are referred to by
 * index because the array moves when it grows. */
#include "reports/json_parse.h"
#include "reports/json.h"
#include "reports/utf8_text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number token accepted: DBL_MAX printed with %f has 309 digits, so
 * 512 keeps every number a writer produces and rejects absurd ones. */
#define MAX_NUMBER_TOKEN 512
_Static_assert(MAX_NUMBER_TOKEN >= WS_JSON_DOUBLE_MAX_CHARS,
               "the reader must take every number the writer (json.h) writes");

const ws_jdoc_limits ws_jdoc_default_limits = {
    .max_input = (size_t)1 << 30,
    .max_depth = 64,
    .max_nodes = (size_t)16 << 20,
    .max_string = (size_t)256 << 20,
};

typedef struct parser {
  const uint8_t *s;
  size_t len, pos;
  ws_jdoc_limits lim;
  ws_jdoc *doc;
  char *err;
  size_t cap;
} parser;

/* Reports the error at the current position as "line L, column C". Lines
 * and columns count bytes from 1; a hostile file may hold one huge line, so
 * the scan is linear and done once, on the error path only. */
static int fail(parser *p, const char *msg) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < p->pos && i < p->len; i++) {
    if (p->s[i] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  snprintf(p->err, p->cap, "line %zu, column %zu: %s", line, col, msg);
  return -1;
}

static void skip_ws(parser *p) {
  while (p->pos < p->len) {
    uint8_t c = p->s[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
      return;
    p->pos++;
  }
}

static int peek(const parser *p) { return p->pos < p->len ? p->s[p->pos] : -1; }

static int new_node(parser *p, enum ws_jtype type, ws_jref *out) {
  ws_jdoc *d = p->doc;
  if (d->count >= p->lim.max_nodes)
    return fail(p, "too many values in the document");
  if (d->count == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 256;
    if (cap > p->lim.max_nodes)
      cap = p->lim.max_nodes;
    ws_jnode *grown = realloc(d->nodes, cap * sizeof *grown);
    if (!grown)
      return fail(p, "out of memory");
    d->nodes = grown;
    d->cap = cap;
  }
  memset(&d->nodes[d->count], 0, sizeof d->nodes[0]);
  d->nodes[d->count].type = (uint8_t)type;
  d->nodes[d->count].off = (uint32_t)p->pos;
  *out = (ws_jref)d->count++;
  return 0;
}

/* ---- strings ---- */

int ws_json_hex_digit(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The 4 hex digits at s (which has at least 4 bytes), or -1. */
static long hex4(const uint8_t *s) {
  long v = 0;
  for (int i = 0; i < 4; i++) {
    int d = ws_json_hex_digit(s[i]);
    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Validates a \u escape at p->pos (pointing at the 'u'), a surrogate pair
 * included, and moves past it. */
static int scan_unicode_escape(parser *p) {
  if (p->len - p->pos < 5)
    return fail(p, "truncated \\u escape");
  long cp = hex4(p->s + p->pos + 1);
  if (cp < 0)
    return fail(p, "\\u needs four hex digits");
  p->pos += 5;
  if (cp >= 0xDC00 && cp <= 0xDFFF)
    return fail(p, "lone low surrogate in \\u escape");
  if (cp < 0xD800 || cp > 0xDBFF)
    return 0;
  /* RFC 8259 7: a character outside the BMP is a pair of escapes. */
  if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
    return fail(p, "high surrogate not followed by a low one");
  long lo = hex4(p->s + p->pos + 2);
  if (lo < 0xDC00 || lo > 0xDFFF)
    return fail(p, "high surrogate not followed by a low one");
  p->pos += 6;
  return 0;
}

/* Scans the string starting at the quote at p->pos; *off and *len receive
 * the raw bytes between the quotes. */
static int scan_string(parser *p, uint32_t *off, uint32_t *len) {
  size_t start = ++p->pos;
  for (;;) {
    if (p->pos >= p->len)
      return fail(p, "unterminated string");
    if (p->pos - start > p->lim.max_string)
      return fail(p, "string too long");
    uint8_t c = p->s[p->pos];
    if (c == '"')
      break;
    if (c < 0x20)
      return fail(p, "control character in a string");
    if (c == '\\') {
      if (++p->pos >= p->len)
        return fail(p, "unterminated string");
      c = p->s[p->pos];
      if (c == 'u') {
        if (scan_unicode_escape(p) != 0)
          return -1;
        continue;
      }
      if (!strchr("\"\\/bfnrt", c) || c == 0)
        return fail(p, "invalid escape");
      p->pos++;
      continue;
    }
    size_t n = ws_text_utf8_len(p->s + p->pos, p->len - p->pos);
    if (n == 0)
      return fail(p, "invalid UTF-8 in a string");
    p->pos += n;
  }
  *off = (uint32_t)start;
  *len = (uint32_t)(p->pos - start);
  p->pos++; /* the closing quote */
  return 0;
}

static size_t put_utf8(uint8_t *out, unsigned long cp) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xC0 | cp >> 6);
    out[1] = (uint8_t)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xE0 | cp >> 12);
    out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (uint8_t)(0xF0 | cp >> 18);
  out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (uint8_t)(0x80 | (cp & 0x3F));
  return 4;
}

static char unescape_char(uint8_t c) {
  switch (c) {
  case 'b':
    return '\b';
  case 'f':
    return '\f';
  case 'n':
    return '\n';
  case 'r':
    return '\r';
  case 't':
    return '\t';
  default:
    return (char)c; /* " \ / */
  }
}

/* Decodes a raw string the parser validated into out (room for len bytes:
 * decoding never grows the text, "\u0000" -> U+FFFD is 6 bytes -> 3).
 * Returns the decoded length. Defensive on its own too: anything malformed
 * decodes as U+FFFD rather than reading past the end. */
static size_t decode(const uint8_t *raw, size_t len, uint8_t *out) {
  size_t i = 0, o = 0;
  while (i < len) {
    if (raw[i] != '\\') {
      out[o++] = raw[i++];
      continue;
    }
    if (i + 1 >= len)
      break;
    if (raw[i + 1] != 'u') {
      out[o++] = (uint8_t)unescape_char(raw[i + 1]);
      i += 2;
      continue;
    }
    if (len - i < 6)
      break; /* a malformed tail: the parser never lets one through */
    long cp = hex4(raw + i + 2);
    i += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && len - i >= 6 && raw[i] == '\\' &&
        raw[i + 1] == 'u') {
      long lo = hex4(raw + i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      }
    }
    if (cp <= 0 || (cp >= 0xD800 && cp <= 0xDFFF))
      cp = 0xFFFD; /* NUL (the model keeps C strings), or malformed */
    o += put_utf8(out + o, (unsigned long)cp);
  }
  return o;
}

/* ---- numbers and literals ---- */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static void skip_digits(parser *p) {
  while (is_digit(peek(p)))
    p->pos++;
}

/* RFC 8259 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int scan_number(parser *p, size_t start) {
  if (peek(p) == '-')
    p->pos++;
  if (peek(p) == '0') {
    p->pos++;
    if (is_digit(peek(p)))
      return fail(p, "leading zero in a number");
  } else if (is_digit(peek(p))) {
    skip_digits(p);
  } else {
    return fail(p, "invalid number");
  }
  if (peek(p) == '.') {
    p->pos++;
    if (!is_digit(peek(p)))
      return fail(p, "digit expected after the decimal point");
    skip_digits(p);
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    p->pos++;
    if (peek(p) == '+' || peek(p) == '-')
      p->pos++;
    if (!is_digit(peek(p)))
      return fail(p, "digit expected in the exponent");
    skip_digits(p);
  }
  if (p->pos - start > MAX_NUMBER_TOKEN)
    return fail(p, "number too long");
  return 0;
}

static int scan_literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
    return fail(p, "unexpected character");
  p->pos += n;
  return 0;
}

/* ---- values ---- */

static int parse_value(parser *p, int depth, ws_jref *out);

/* Appends child to container self (both indexes; the array may move). */
static void link_child(parser *p, ws_jref self, ws_jref *last, ws_jref child) {
  ws_jnode *n = p->doc->nodes;
  if (*last == WS_JNONE)
    n[self].first = child;
  else
    n[*last].next = child;
  *last = child;
  n[self].len++;
}

/* After a member or element: ',' (more follow) or the closing bracket. 1 when
 * closed, 0 when a comma was eaten, -1 on error. */
static int after_item(parser *p, char close) {
  skip_ws(p);
  int c = peek(p);
  p->pos++;
  if (c == close)
    return 1;
  if (c == ',')
    return 0;
  p->pos--;
  return fail(p, c < 0 ? "unexpected end of input"
                       : "',' or a closing bracket expected");
}

static int parse_array(parser *p, int depth, ws_jref self) {
  ws_jref last = WS_JNONE;
  p->pos++;
  skip_ws(p);
  if (peek(p) == ']') {
    p->pos++;
    return 0;
  }
  for (;;) {
    ws_jref child = WS_JNONE;
    if (parse_value(p, depth, &child) != 0)
      return -1;
    link_child(p, self, &last, child);
    int rc = after_item(p, ']');
    if (rc != 0)
      return rc < 0 ? -1 : 0;
  }
}

static int parse_member(parser *p, int depth, ws_jref *out) {
  uint32_t key_off, key_len;
  skip_ws(p);
  if (peek(p) != '"')
    return fail(p, peek(p) < 0 ? "unexpected end of input"
                               : "member name (a string) expected");
  if (scan_string(p, &key_off, &key_len) != 0)
    return -1;
  skip_ws(p);
  if (peek(p) != ':')
    return fail(p, "':' expected after a member name");
  p->pos++;
  if (parse_value(p, depth, out) != 0)
    return -1;
  p->doc->nodes[*out].key_off = key_off;
  p->doc->nodes[*out].key_len = key_len;
  return 0;
}

static int parse_object(parser *p, int depth, ws_jref self) {
  ws_jref last = WS_JNONE;
  p->pos++;
  skip_ws(p);
  if (peek(p) == '}') {
    p->pos++;
    return 0;
  }
  for (;;) {
    ws_jref child = WS_JNONE;
    if (parse_member(p, depth, &child) != 0)
      return -1;
    link_child(p, self, &last, child);
    int rc = after_item(p, '}');
    if (rc != 0)
      return rc < 0 ? -1 : 0;
  }
}

static int parse_scalar(parser *p, int c, ws_jref self) {
  ws_jnode *n = &p->doc->nodes[self];
  size_t start = p->pos;
  int rc;
  if (c == '"') {
    uint32_t off, len;
    rc = scan_string(p, &off, &len);
    n = &p->doc->nodes[self];
    n->off = off;
    n->len = len;
    return rc;
  }
  if (c == 't' || c == 'f' || c == 'n') {
    n->type = c == 't' ? WS_JTRUE : c == 'f' ? WS_JFALSE : WS_JNULL;
    return scan_literal(p, c == 't' ? "true" : c == 'f' ? "false" : "null");
  }
  rc = scan_number(p, start);
  n = &p->doc->nodes[self];
  n->len = (uint32_t)(p->pos - start);
  return rc;
}

static enum ws_jtype type_of(int c) {
  switch (c) {
  case '{':
    return WS_JOBJECT;
  case '[':
    return WS_JARRAY;
  case '"':
    return WS_JSTRING;
  case 't':
    return WS_JTRUE;
  case 'f':
    return WS_JFALSE;
  case 'n':
    return WS_JNULL;
  default:
    return WS_JNUMBER;
  }
}

static int parse_value(parser *p, int depth, ws_jref *out) {
  skip_ws(p);
  int c = peek(p);
  if (c < 0)
    return fail(p, "unexpected end of input");
  if (c != '-' && !is_digit(c) && !strchr("{[\"tfn", c))
    return fail(p, "unexpected character");
  if (new_node(p, type_of(c), out) != 0)
    return -1;
  if (c != '{' && c != '[')
    return parse_scalar(p, c, *out);
  if (depth >= p->lim.max_depth)
    return fail(p, "nesting too deep");
  return c == '{' ? parse_object(p, depth + 1, *out)
                  : parse_array(p, depth + 1, *out);
}

int ws_jdoc_parse(const char *text, size_t len, const ws_jdoc_limits *limits,
                  ws_jdoc *doc, char *err, size_t cap) {
  parser p = {.s = (const uint8_t *)text,
              .len = len,
              .lim = limits ? *limits : ws_jdoc_default_limits,
              .doc = doc,
              .err = err,
              .cap = cap};
  memset(doc, 0, sizeof *doc);
  /* Offsets and counts are 32-bit. */
  if (p.lim.max_input > UINT32_MAX - 1)
    p.lim.max_input = UINT32_MAX - 1;
  if (p.lim.max_nodes > UINT32_MAX)
    p.lim.max_nodes = UINT32_MAX;
  if (len > p.lim.max_input) {
    snprintf(err, cap, "document too large (%zu bytes, at most %zu)", len,
             p.lim.max_input);
    return -1;
  }
  ws_jref root = WS_JNONE;
  int rc = parse_value(&p, 0, &root);
  if (rc == 0) {
    skip_ws(&p);
    if (p.pos < p.len)
      rc = fail(&p, "data after the end of the document");
  }
  if (rc != 0) {
    ws_jdoc_free(doc);
    return -1;
  }
  doc->text = text;
  doc->len = len;
  return 0;
}

void ws_jdoc_free(ws_jdoc *doc) {
  free(doc->nodes);
  memset(doc, 0, sizeof *doc);
}

/* ---- accessors ---- */

/* Compares a raw (escaped) name with key without allocating when the name
 * holds no escape, which is every name a wsprobe writer produces. */
static bool raw_equals(const uint8_t *raw, size_t len, const char *key) {
  size_t klen = strlen(key);
  if (!memchr(raw, '\\', len))
    return len == klen && memcmp(raw, key, len) == 0;
  if (len > 4096)
    return false; /* no name we look up is that long, even escaped */
  uint8_t buf[4096];
  size_t n = decode(raw, len, buf);
  return n == klen && memcmp(buf, key, n) == 0;
}

ws_jref ws_jdoc_get(const ws_jdoc *d, ws_jref obj, const char *key) {
  if (ws_jdoc_type(d, obj) != WS_JOBJECT)
    return WS_JNONE;
  const uint8_t *s = (const uint8_t *)d->text;
  for (ws_jref m = d->nodes[obj].first; m != WS_JNONE; m = d->nodes[m].next)
    if (raw_equals(s + d->nodes[m].key_off, d->nodes[m].key_len, key))
      return m;
  return WS_JNONE;
}

char *ws_jdoc_string_dup(const ws_jdoc *d, ws_jref n, size_t *len) {
  if (ws_jdoc_type(d, n) != WS_JSTRING)
    return NULL;
  const ws_jnode *node = &d->nodes[n];
  uint8_t *out = malloc((size_t)node->len + 1);
  if (!out)
    return NULL;
  size_t k = decode((const uint8_t *)d->text + node->off, node->len, out);
  out[k] = '\0';
  if (len)
    *len = k;
  return (char *)out;
}

bool ws_jdoc_string_eq(const ws_jdoc *d, ws_jref n, const char *s) {
  if (ws_jdoc_type(d, n) != WS_JSTRING)
    return false;
  return raw_equals((const uint8_t *)d->text + d->nodes[n].off, d->nodes[n].len,
                    s);
}

int ws_jdoc_number(const ws_jdoc *d, ws_jref n, double *out) {
  if (ws_jdoc_type(d, n) != WS_JNUMBER || d->nodes[n].len > MAX_NUMBER_TOKEN)
    return -1;
  char buf[MAX_NUMBER_TOKEN + 1];
  memcpy(buf, d->text + d->nodes[n].off, d->nodes[n].len);
  buf[d->nodes[n].len] = '\0';
  errno = 0;
  double v = strtod(buf, NULL);
  if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1))
    return -1; /* overflow; underflow to 0 is harmless */
  *out = v;
  return 0;
}

int ws_jdoc_uint(const ws_jdoc *d, ws_jref n, uint64_t *out) {
  if (ws_jdoc_type(d, n) != WS_JNUMBER)
    return -1;
  const char *s = d->text + d->nodes[n].off;
  uint64_t v = 0;
  for (uint32_t i = 0; i < d->nodes[n].len; i++) {
    if (!is_digit(s[i]))
      return -1; /* a sign, a fraction or an exponent */
    unsigned digit = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - digit) / 10)
      return -1;
    v = v * 10 + digit;
  }
  *out = v;
  return 0;
}
