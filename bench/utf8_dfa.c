/* The reference UTF-8 DFA, written from the RFC 3629 section 4 grammar:
 *
 *   UTF8-1 = %x00-7F
 *   UTF8-2 = %xC2-DF UTF8-tail
 *   UTF8-3 = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
 *            %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
 *   UTF8-4 = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
 *            %xF4 %x80-8F 2( UTF8-tail )
 *   UTF8-tail = %x80-BF
 *
 * It is deliberately plain: one byte at a time through a byte -> class table
 * and a state x class transition table, no fast paths, so that it can be
 * checked by eye against the grammar. */
#include "bench/utf8_dfa.h"

/* Byte classes: every byte range the grammar above distinguishes. */
enum {
  AS, /* 00-7F: UTF8-1 */
  T8, /* 80-8F: tail; the only tail allowed after F4 */
  T9, /* 90-9F: tail; allowed after ED, not after E0 */
  TA, /* A0-BF: tail; allowed after E0 and F0, not after ED or F4 */
  L2, /* C2-DF: lead of UTF8-2 */
  E0, /* E0: lead of UTF8-3 whose second byte is A0-BF */
  L3, /* E1-EC, EE-EF: lead of UTF8-3 with plain tails */
  ED, /* ED: lead of UTF8-3 whose second byte is 80-9F */
  F0, /* F0: lead of UTF8-4 whose second byte is 90-BF */
  L4, /* F1-F3: lead of UTF8-4 with plain tails */
  F4, /* F4: lead of UTF8-4 whose second byte is 80-8F */
  XX, /* C0, C1, F5-FF: appear in no UTF-8 string */
  CLASS_COUNT
};

/* RFC 3629 3: C0 and C1 could only start overlong forms, and F5-FF would
 * start code points above U+10FFFF, so they are class XX. */
// clang-format off
static const uint8_t byte_class[256] = {
  /* 00 */ AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS,
  /* 10 */ AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS,
  /* 20 */ AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS,
  /* 30 */ AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS,
  /* 40 */ AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS,
  /* 50 */ AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS,
  /* 60 */ AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS,
  /* 70 */ AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS, AS,
  /* 80 */ T8, T8, T8, T8, T8, T8, T8, T8, T8, T8, T8, T8, T8, T8, T8, T8,
  /* 90 */ T9, T9, T9, T9, T9, T9, T9, T9, T9, T9, T9, T9, T9, T9, T9, T9,
  /* A0 */ TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA,
  /* B0 */ TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA, TA,
  /* C0 */ XX, XX, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2,
  /* D0 */ L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2, L2,
  /* E0 */ E0, L3, L3, L3, L3, L3, L3, L3, L3, L3, L3, L3, L3, ED, L3, L3,
  /* F0 */ F0, L4, L4, L4, F4, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
// clang-format on

/* States beyond ACCEPT (0) and REJECT (1): what the next byte must be. */
enum {
  N1 = 2, /* one tail byte left */
  N2,     /* two tail bytes left */
  N3,     /* three tail bytes left */
  SE0,    /* after E0: A0-BF, then one tail */
  SED,    /* after ED: 80-9F, then one tail */
  SF0,    /* after F0: 90-BF, then two tails */
  SF4,    /* after F4: 80-8F, then two tails */
  STATE_COUNT
};

#define OK UTF8_DFA_ACCEPT
#define NO UTF8_DFA_REJECT

/* transition[state][class]: every cell the grammar does not name rejects. */
// clang-format off
static const uint8_t transition[STATE_COUNT][CLASS_COUNT] = {
  /*           AS  T8   T9   TA   L2  E0   L3  ED   F0   L4  F4   XX */
  [OK]  = {    OK, NO,  NO,  NO,  N1, SE0, N2, SED, SF0, N3, SF4, NO },
  [NO]  = {    NO, NO,  NO,  NO,  NO, NO,  NO, NO,  NO,  NO, NO,  NO },
  [N1]  = {    NO, OK,  OK,  OK,  NO, NO,  NO, NO,  NO,  NO, NO,  NO },
  [N2]  = {    NO, N1,  N1,  N1,  NO, NO,  NO, NO,  NO,  NO, NO,  NO },
  [N3]  = {    NO, N2,  N2,  N2,  NO, NO,  NO, NO,  NO,  NO, NO,  NO },
  /* RFC 3629 4: after E0 only A0-BF; E0 80-9F would be overlong */
  [SE0] = {    NO, NO,  NO,  N1,  NO, NO,  NO, NO,  NO,  NO, NO,  NO },
  /* RFC 3629 3: after ED only 80-9F; ED A0-BF are surrogates U+D800-DFFF */
  [SED] = {    NO, N1,  N1,  NO,  NO, NO,  NO, NO,  NO,  NO, NO,  NO },
  /* RFC 3629 4: after F0 only 90-BF; F0 80-8F would be overlong */
  [SF0] = {    NO, NO,  N2,  N2,  NO, NO,  NO, NO,  NO,  NO, NO,  NO },
  /* RFC 3629 3: after F4 only 80-8F; F4 90-BF would exceed U+10FFFF */
  [SF4] = {    NO, N2,  NO,  NO,  NO, NO,  NO, NO,  NO,  NO, NO,  NO },
};
// clang-format on

#undef OK
#undef NO

uint8_t utf8_dfa_step(uint8_t state, uint8_t byte) {
  /* A state the DFA never produces is treated as REJECT rather than read out
   * of bounds. */
  if (state >= STATE_COUNT)
    return UTF8_DFA_REJECT;
  return transition[state][byte_class[byte]];
}

bool utf8_dfa_validate(const uint8_t *p, size_t n, size_t *invalid_at) {
  uint8_t state = UTF8_DFA_ACCEPT;
  for (size_t i = 0; i < n; i++) {
    state = transition[state][byte_class[p[i]]];
    if (state == UTF8_DFA_REJECT) {
      if (invalid_at)
        *invalid_at = i;
      return false;
    }
  }
  if (state != UTF8_DFA_ACCEPT) {
    if (invalid_at)
      *invalid_at = n; /* the string ends inside a sequence */
    return false;
  }
  return true;
}
