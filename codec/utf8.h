/* Incremental UTF-8 validation (RFC 3629 as RFC 6455 5.6 and 8.1 require).
 *
 * The state survives any chunking: a code point split across calls, frames or
 * fragments is valid. The first invalid byte is reported in the call that
 * receives it (fail fast), never later. "Invalid byte" means the first byte at
 * which no valid continuation exists: for C0 80 it is the C0; for E0 80 it is
 * the 80; for ED A0 (a surrogate) it is the A0; for F4 90 (> U+10FFFF) the 90.
 * Rejected: overlong forms, surrogates U+D800-DFFF, code points above
 * U+10FFFF, stray continuation bytes, truncated sequences, bytes C0 C1 F5-FF.
 * ASCII runs take a word-at-a-time fast path; on x86 long runs of any text
 * take a vector fast path (SSSE3/AVX2, chosen at run time). */
#ifndef WS_UTF8_H
#define WS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_utf8_result {
  WS_UTF8_VALID = 0,   /* valid, at a code point boundary */
  WS_UTF8_PARTIAL = 1, /* valid so far, inside a multi-byte sequence */
  WS_UTF8_INVALID = -1,
};

typedef struct ws_utf8_validator {
  uint8_t needed; /* private: continuation bytes still expected */
  uint8_t lower;  /* private: bounds for the next continuation byte */
  uint8_t upper;  /* private */
  bool failed;    /* sticky */
  uint64_t total; /* bytes accepted before the first invalid one */
} ws_utf8_validator;

void ws_utf8_init(ws_utf8_validator *v);

/* Feeds p[0..n). On WS_UTF8_INVALID sets *invalid_at (may be NULL) to the
 * offset in p of the first invalid byte; after that every call returns
 * WS_UTF8_INVALID with *invalid_at = 0. */
enum ws_utf8_result ws_utf8_feed(ws_utf8_validator *v, const uint8_t *p,
                                 size_t n, size_t *invalid_at);

/* The state at end of message: VALID, PARTIAL (a truncated sequence: the
 * message is invalid) or INVALID. */
enum ws_utf8_result ws_utf8_state(const ws_utf8_validator *v);

/* One-shot check of a complete string; *invalid_at as above, and n when the
 * string ends inside a sequence. */
bool ws_utf8_is_valid(const uint8_t *p, size_t n, size_t *invalid_at);

#endif
