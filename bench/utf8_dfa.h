/* A deliberately plain, bytewise, table-driven UTF-8 DFA written from the
 * RFC 3629 section 4 grammar. It is the yardstick: unit tests check the codec's
 * validator against it (same verdict, same first invalid byte), and the
 * benchmark measures the codec's validator against its speed. */
#ifndef WS_BENCH_UTF8_DFA_H
#define WS_BENCH_UTF8_DFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { UTF8_DFA_ACCEPT = 0, UTF8_DFA_REJECT = 1 };

/* One transition. ACCEPT is also the start state; REJECT is absorbing. */
uint8_t utf8_dfa_step(uint8_t state, uint8_t byte);

/* Whole-string check. On false, *invalid_at (may be NULL) is the offset of
 * the byte that moved the DFA to REJECT, or n when the string ends inside a
 * sequence. */
bool utf8_dfa_validate(const uint8_t *p, size_t n, size_t *invalid_at);

#endif
