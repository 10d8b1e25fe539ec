/* ws_md_text (markdown_internal.h): peer-controlled text in summary.md. */
#include "reports/markdown_internal.h"
#include "reports/utf8_text.h"

#include <string.h>

static void escape_byte(FILE *out, unsigned char c) {
  if (c == '\n' || c == '\r' || c == '\t')
    fputc(' ', out); /* a newline would end the table row */
  else if (c < 0x20 || c == 0x7F)
    fprintf(out, "\\x%02X", c);
  else if (c == '<')
    fputs("&lt;", out);
  else if (c == '>')
    fputs("&gt;", out);
  else if (c == '&')
    fputs("&amp;", out);
  else if (strchr("\\|`*_[]~", c))
    fprintf(out, "\\%c", c); /* the rest only matters next to these */
  else
    fputc(c, out);
}

void ws_md_text(FILE *out, const char *s, size_t max) {
  if (!s)
    return;
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s), i = 0;
  while (i < len) {
    size_t n = ws_text_utf8_len(p + i, len - i);
    if (max && i + (n ? n : 1) > max) {
      fputs("...", out);
      return;
    }
    if (n == 0)
      fprintf(out, "\\x%02X", p[i]); /* not UTF-8 */
    else if (n == 1)
      escape_byte(out, p[i]);
    else
      fwrite(p + i, 1, n, out);
    i += n ? n : 1;
  }
}
