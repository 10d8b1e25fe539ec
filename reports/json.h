/* A small streaming JSON emitter (RFC 8259) for the report writers.
 *
 * Strings are escaped so the output is valid JSON whatever the bytes: quotes,
 * backslashes and control characters are escaped, valid UTF-8 passes through,
 * and every byte that is not part of a well-formed UTF-8 sequence becomes
 * U+FFFD (the wire hex in results.json keeps the exact bytes). Numbers are
 * never NaN or infinite (those become null).
 *
 * Containers are pretty-printed (one member per line, 2-space indent) unless
 * opened with the _inline variants, which keep them and everything inside on
 * one line: the wire entries of results.json read best that way.
 *
 * The writer does not check that keys and values alternate; it tracks commas
 * and indentation only. I/O errors are sticky and reported by
 * ws_json_finish. */
#ifndef WS_REPORTS_JSON_H
#define WS_REPORTS_JSON_H

#include <float.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WS_JSON_MAX_DEPTH 32

/* Decimals ws_json_double writes at most. */
#define WS_JSON_MAX_DECIMALS 9
/* The longest number ws_json_double writes: a sign, every integer digit of
 * DBL_MAX (DBL_MAX_10_EXP + 1 of them, no exponent form), the point and the
 * decimals. The JSON reader (json_parse.c) must accept a token this long. */
#define WS_JSON_DOUBLE_MAX_CHARS                                               \
  (1 + (DBL_MAX_10_EXP + 1) + 1 + WS_JSON_MAX_DECIMALS)

typedef struct ws_json {
  FILE *out; /* not owned */
  int depth;
  bool first[WS_JSON_MAX_DEPTH + 1];   /* no member written yet at depth */
  bool inline_[WS_JSON_MAX_DEPTH + 1]; /* container at depth is one line */
  bool after_key;                      /* a value follows a key */
  bool error;                          /* nesting too deep or unbalanced */
} ws_json;

void ws_json_init(ws_json *w, FILE *out);

void ws_json_object_begin(ws_json *w);
void ws_json_object_begin_inline(ws_json *w);
void ws_json_object_end(ws_json *w);
void ws_json_array_begin(ws_json *w);
void ws_json_array_begin_inline(ws_json *w);
void ws_json_array_end(ws_json *w);

/* An object member's name; the next call writes its value. */
void ws_json_key(ws_json *w, const char *key);

/* NUL-terminated string; NULL writes null. */
void ws_json_string(ws_json *w, const char *s);
/* Any bytes, escaped as described above. */
void ws_json_string_n(ws_json *w, const void *bytes, size_t len);
/* Bytes as a string of lower-case hex digit pairs, no separators. */
void ws_json_hex(ws_json *w, const void *bytes, size_t len);
void ws_json_uint(ws_json *w, uint64_t v);
void ws_json_int(ws_json *w, int64_t v);
/* At most `decimals` (0..WS_JSON_MAX_DECIMALS) digits after the point,
 * trailing zeros trimmed (one kept: 3.0), -0 written as 0, never an
 * exponent: every finite double is written in full, however large. NaN and
 * infinities write null. */
void ws_json_double(ws_json *w, double v, int decimals);
/* The value a reader gets back from what ws_json_double(w, v, decimals)
 * writes (v rounded to the decimals; NaN for null). A writer that gives 0 a
 * meaning of its own decides on this value, not on v, so that writing what
 * it read back writes the same text. */
double ws_json_double_as_written(double v, int decimals);
void ws_json_bool(ws_json *w, bool v);
void ws_json_null(ws_json *w);

/* Ends the document with a newline. 0 when every container was closed and
 * the stream reported no error, else -1. */
int ws_json_finish(ws_json *w);

/* Writes the escaped form of bytes (without the surrounding quotes) to out.
 * Exposed for the other text writers and for tests. */
void ws_json_escape(FILE *out, const void *bytes, size_t len);

#endif
