#include "reports/utf8_text.h"

size_t ws_text_utf8_len(const uint8_t *p, size_t n) {
  uint8_t b = p[0];
  if (b < 0x80)
    return 1;
  size_t need;
  uint8_t lo = 0x80, hi = 0xBF; /* the range of the second byte */
  if (b >= 0xC2 && b <= 0xDF)
    need = 2;
  else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
    if (b == 0xE0)
      lo = 0xA0; /* overlong below U+0800 */
    else if (b == 0xED)
      hi = 0x9F; /* UTF-16 surrogates U+D800-U+DFFF */
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
    if (b == 0xF0)
      lo = 0x90; /* overlong below U+10000 */
    else if (b == 0xF4)
      hi = 0x8F; /* above U+10FFFF */
  } else
    return 0; /* continuation byte, C0, C1 or F5-FF */
  if (n < need || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < need; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  return need;
}
