/* A small, strict, bounded JSON parser (RFC 8259) for reading results.json
 * and other wsprobe documents back. It is a fuzz target: every input, however
 * hostile, ends in a tree or a clean error, never a crash, and every size a
 * document controls has a cap.
 *
 * Strict means exactly the RFC grammar: no comments, no trailing commas, no
 * leading zeros, no NaN, no single quotes; strings must be well-formed UTF-8
 * with no raw control characters, escapes must be valid and surrogates must
 * pair. Duplicate member names are accepted (RFC 8259 only says SHOULD be
 * unique); lookups return the first.
 *
 * The tree does not copy the text: nodes hold offsets into it, so the text
 * must outlive the document. Strings are decoded on demand
 * (ws_jdoc_string_dup); "\u0000" decodes to U+FFFD because the results model
 * keeps NUL-terminated strings. */
#ifndef WS_REPORTS_JSON_PARSE_H
#define WS_REPORTS_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_jtype {
  WS_JNULL,
  WS_JFALSE,
  WS_JTRUE,
  WS_JNUMBER,
  WS_JSTRING,
  WS_JARRAY,
  WS_JOBJECT
};

/* Index of a node; 0 means "none" (the root is node 0 and is never a child,
 * member or sibling, so 0 is free as a sentinel for those). */
typedef uint32_t ws_jref;
#define WS_JNONE ((ws_jref)0)

typedef struct ws_jnode {
  uint8_t type;     /* enum ws_jtype */
  uint32_t key_off; /* member name: raw bytes between the quotes */
  uint32_t key_len;
  uint32_t off; /* scalar token (a string: raw bytes between the quotes) */
  uint32_t len; /* token length; containers: number of children */
  ws_jref first, next;
} ws_jnode;

typedef struct ws_jdoc_limits {
  size_t max_input;  /* bytes of text, at most UINT32_MAX - 1 */
  int max_depth;     /* nested containers */
  size_t max_nodes;  /* values in the whole document */
  size_t max_string; /* raw bytes of one string or member name */
} ws_jdoc_limits;

/* Defaults: 1 GiB of text, depth 64, 16 Mi values, 256 MiB per string. */
extern const ws_jdoc_limits ws_jdoc_default_limits;

typedef struct ws_jdoc {
  const char *text; /* not owned */
  size_t len;
  ws_jnode *nodes; /* heap */
  size_t count, cap;
} ws_jdoc;

/* Parses text[0..len) (NUL bytes are just invalid characters, so text need
 * not be NUL-terminated). limits NULL: the defaults. 0, or -1 with
 * "line L, column C: message" in err and *doc empty. */
/* 0-15 for an ASCII hex digit (either case), else -1. */
int ws_json_hex_digit(int c);

int ws_jdoc_parse(const char *text, size_t len, const ws_jdoc_limits *limits,
                  ws_jdoc *doc, char *err, size_t cap);
void ws_jdoc_free(ws_jdoc *doc);

static inline enum ws_jtype ws_jdoc_type(const ws_jdoc *d, ws_jref n) {
  return (enum ws_jtype)d->nodes[n].type;
}
static inline ws_jref ws_jdoc_first(const ws_jdoc *d, ws_jref n) {
  return d->nodes[n].first;
}
static inline ws_jref ws_jdoc_next(const ws_jdoc *d, ws_jref n) {
  return d->nodes[n].next;
}
/* Children of an array or object. */
static inline size_t ws_jdoc_count(const ws_jdoc *d, ws_jref n) {
  return d->nodes[n].type >= WS_JARRAY ? d->nodes[n].len : 0;
}

/* The first member of object obj named key (escapes in the name are
 * decoded before comparing); WS_JNONE when absent or obj is no object. */
ws_jref ws_jdoc_get(const ws_jdoc *d, ws_jref obj, const char *key);

/* The decoded string (heap, NUL-terminated; *len without the NUL when len is
 * not NULL). NULL when n is not a string or out of memory. */
char *ws_jdoc_string_dup(const ws_jdoc *d, ws_jref n, size_t *len);

/* True when n is a string equal to s. */
bool ws_jdoc_string_eq(const ws_jdoc *d, ws_jref n, const char *s);

/* A number as a double: 0, or -1 when n is not a number or does not fit a
 * finite double (1e999). */
int ws_jdoc_number(const ws_jdoc *d, ws_jref n, double *out);

/* A non-negative integer written without fraction or exponent: 0, or -1
 * (not such a number, or above UINT64_MAX). */
int ws_jdoc_uint(const ws_jdoc *d, ws_jref n, uint64_t *out);

#endif
