#include "reports/xml_escape.h"

#include "reports/utf8_text.h"

#include <string.h>

/* Characters XML 1.0 allows but readers misread: DEL, the C1 controls (NEL
 * is a line break to some tools) and the two noncharacters XML forbids. */
static bool is_visible_escape(const uint8_t *p, size_t n, unsigned *cp) {
  if (n == 2 && p[0] == 0xC2 && p[1] <= 0x9F) {
    *cp = p[1];
    return true;
  }
  if (n == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE) {
    *cp = 0xFFC0u | (p[2] & 0x3Fu); /* U+FFFE or U+FFFF */
    return true;
  }
  return false;
}

static void escape_ascii(FILE *out, uint8_t c, enum ws_xml_mode mode) {
  switch (c) {
  case '&':
    fputs("&amp;", out);
    return;
  case '<':
    fputs("&lt;", out);
    return;
  case '>':
    fputs("&gt;", out); /* also keeps "]]>" from ever appearing */
    return;
  case '"':
    fputs("&quot;", out);
    return;
  case '\'':
    fputs("&apos;", out);
    return;
  case '\t':
  case '\n':
  case '\r':
    if (mode == WS_XML_ONE_LINE)
      fprintf(out, "\\x%02X", c);
    else if (mode == WS_XML_ATTRIBUTE || c == '\r')
      fprintf(out, "&#%u;", c);
    else
      fputc(c, out);
    return;
  default:
    if (c < 0x20 || c == 0x7F)
      fprintf(out, "\\x%02X", c); /* NUL and C0 controls: not XML at all */
    else
      fputc(c, out);
  }
}

void ws_xml_escape(FILE *out, const void *s, size_t len,
                   enum ws_xml_mode mode) {
  const uint8_t *p = s;
  size_t i = 0;
  while (i < len) {
    size_t n = ws_text_utf8_len(p + i, len - i);
    unsigned cp;
    if (n == 0) {
      fprintf(out, "\\x%02X", p[i]); /* not UTF-8: show the byte */
      i++;
    } else if (n == 1) {
      escape_ascii(out, p[i], mode);
      i++;
    } else if (is_visible_escape(p + i, n, &cp)) {
      fprintf(out, "\\u%04X", cp);
      i += n;
    } else {
      fwrite(p + i, 1, n, out);
      i += n;
    }
  }
}

void ws_xml_escape_str(FILE *out, const char *s, enum ws_xml_mode mode) {
  if (s)
    ws_xml_escape(out, s, strlen(s), mode);
}
