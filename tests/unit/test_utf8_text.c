/* The report writers' one-sequence UTF-8 check agrees with the reference
 * DFA (bench/utf8_dfa.c) on every 1- and 2-byte input and on every 3- and
 * 4-byte input over the bytes where the rules change. */
#include "bench/utf8_dfa.h"
#include "reports/utf8_text.h"

#include <criterion/criterion.h>

/* What the DFA says the answer must be: k when p[0..k) is exactly one valid
 * sequence, else 0 (a longer valid prefix would be a different question). */
static size_t expected_len(const uint8_t *p, size_t k) {
  for (size_t n = 1; n <= k; n++) {
    size_t at;
    if (utf8_dfa_validate(p, n, &at))
      return n;
    if (at < n)
      return 0; /* rejected before the end: not valid at any length */
  }
  return 0; /* still inside a sequence: cut short */
}

static void check(const uint8_t *p, size_t k) {
  cr_assert_eq(ws_text_utf8_len(p, k), expected_len(p, k),
               "%02x %02x %02x %02x (%zu bytes)", p[0], k > 1 ? p[1] : 0,
               k > 2 ? p[2] : 0, k > 3 ? p[3] : 0, k);
}

Test(utf8_text, every_one_and_two_byte_input) {
  uint8_t p[2];
  for (int a = 0; a < 256; a++) {
    p[0] = (uint8_t)a;
    check(p, 1);
    for (int b = 0; b < 256; b++) {
      p[1] = (uint8_t)b;
      check(p, 2);
    }
  }
}

Test(utf8_text, three_and_four_byte_inputs_at_the_edges) {
  static const uint8_t edges[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F,
                                  0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0,
                                  0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  size_t e = sizeof edges;
  uint8_t p[4];
  for (size_t a = 0; a < e; a++)
    for (size_t b = 0; b < e; b++)
      for (size_t c = 0; c < e; c++) {
        p[0] = edges[a], p[1] = edges[b], p[2] = edges[c];
        check(p, 3);
        for (size_t d = 0; d < e; d++) {
          p[3] = edges[d];
          check(p, 4);
        }
      }
}
