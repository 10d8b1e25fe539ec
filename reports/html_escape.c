/* Escaping for the HTML reports: text and attributes, JSON inside <script>,
 * wire bytes for display, anchors. See html_internal.h for the contracts. */
#include "reports/html_internal.h"
#include "reports/utf8_text.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* U+2028 or U+2029 (E2 80 A8, E2 80 A9): line terminators to JavaScript. */
static bool is_line_separator(const uint8_t *s) {
  return s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xA8 || s[2] == 0xA9);
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

void ws_html_text_n(FILE *out, const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t len = ws_text_utf8_len(s + i, n - i);
    if (len == 0) {
      fputs(REPLACEMENT, out);
      i++;
      continue;
    }
    if (len == 3 && is_line_separator(s + i)) { /* as in JSON, never raw */
      fprintf(out, "&#x%x;", s[i + 2] == 0xA8 ? 0x2028u : 0x2029u);
      i += len;
      continue;
    }
    if (len > 1) {
      fwrite(s + i, 1, len, out);
      i += len;
      continue;
    }
    i++;
    switch (c) {
    case '&':
      fputs("&amp;", out);
      break;
    case '<':
      fputs("&lt;", out);
      break;
    case '>':
      fputs("&gt;", out);
      break;
    case '"':
      fputs("&quot;", out);
      break;
    case '\'':
      fputs("&#39;", out);
      break;
    default:
      if (c == '\t' || c == '\n' || (c >= 0x20 && c != 0x7F))
        fputc(c, out);
      else /* visible, and never a raw control in the document */
        fprintf(out, "&#x%x;", c == 0x7F ? 0x2421u : 0x2400u + c);
    }
  }
}

void ws_html_text(FILE *out, const char *s) {
  if (s)
    ws_html_text_n(out, (const uint8_t *)s, strlen(s));
}

/* One JSON string body character from the ASCII range. */
static void json_ascii(FILE *out, uint8_t c) {
  switch (c) {
  case '"':
    fputs("\\\"", out);
    return;
  case '\\':
    fputs("\\\\", out);
    return;
  case '\n':
    fputs("\\n", out);
    return;
  case '<': /* no "</script" nor "<!--" can form inside the element */
  case '>':
  case '&':
    fprintf(out, "\\u%04x", c);
    return;
  default:
    if (c < 0x20 || c == 0x7F)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
}

/* A valid multi-byte sequence, with the two JavaScript line terminators
 * escaped (E2 80 A8 and E2 80 A9). */
static void json_multibyte(FILE *out, const uint8_t *s, size_t len) {
  if (len == 3 && is_line_separator(s))
    fprintf(out, "\\u%04x", s[2] == 0xA8 ? 0x2028u : 0x2029u);
  else
    fwrite(s, 1, len, out);
}

void ws_html_json_string(FILE *out, const uint8_t *s, size_t n) {
  fputc('"', out);
  size_t i = 0;
  while (i < n) {
    size_t len = ws_text_utf8_len(s + i, n - i);
    if (len == 0) {
      fputs("\\ufffd", out);
      i++;
    } else if (len == 1) {
      json_ascii(out, s[i++]);
    } else {
      json_multibyte(out, s + i, len);
      i += len;
    }
  }
  fputc('"', out);
}

void ws_html_json_cstr(FILE *out, const char *s) {
  if (!s)
    fputs("null", out);
  else
    ws_html_json_string(out, (const uint8_t *)s, strlen(s));
}

void ws_html_json_display(FILE *out, const uint8_t *s, size_t n) {
  fputc('"', out);
  size_t i = 0;
  while (i < n) {
    size_t len = ws_text_utf8_len(s + i, n - i);
    uint8_t c = s[i];
    if (len > 1) {
      json_multibyte(out, s + i, len);
      i += len;
      continue;
    }
    i++;
    if (len == 1 && c == '\\')
      fputs("\\\\\\\\", out); /* a doubled backslash, JSON-escaped */
    else if (len == 1 && c >= 0x20 && c < 0x7F)
      json_ascii(out, c);
    else
      fprintf(out, "\\\\x%02x", c);
  }
  fputc('"', out);
}

void ws_html_href_path(FILE *out, const char *path) {
  for (const uint8_t *p = (const uint8_t *)(path ? path : ""); *p; p++) {
    bool plain = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                 (*p >= 'A' && *p <= 'Z') || strchr("-._~/", *p);
    if (plain)
      fputc(*p, out);
    else
      fprintf(out, "%%%02X", *p);
  }
}

void ws_html_href_fragment(FILE *out, const char *id) {
  static const char safe[] = "-._~!$'()*+,;=:@/?";
  fputs("#case-", out);
  for (const uint8_t *p = (const uint8_t *)(id ? id : ""); *p; p++) {
    bool alnum = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                 (*p >= 'A' && *p <= 'Z');
    if (alnum || (strchr(safe, *p) && *p != '\''))
      fputc(*p, out);
    else
      fprintf(out, "%%%02X", *p);
  }
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Compares the digit runs at *a and *b by value, advancing both. */
static int compare_numbers(const char **a, const char **b) {
  while (**a == '0' && is_digit((*a)[1]))
    (*a)++;
  while (**b == '0' && is_digit((*b)[1]))
    (*b)++;
  const char *sa = *a, *sb = *b;
  while (is_digit(**a))
    (*a)++;
  while (is_digit(**b))
    (*b)++;
  size_t la = (size_t)(*a - sa), lb = (size_t)(*b - sb);
  if (la != lb)
    return la < lb ? -1 : 1;
  int c = memcmp(sa, sb, la);
  return c < 0 ? -1 : c > 0;
}

int ws_html_id_compare(const char *a, const char *b) {
  a = a ? a : "";
  b = b ? b : "";
  while (*a && *b) {
    if (is_digit(*a) && is_digit(*b)) {
      int c = compare_numbers(&a, &b);
      if (c)
        return c;
      continue;
    }
    if (*a != *b)
      return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
    a++;
    b++;
  }
  return *a ? 1 : *b ? -1 : 0;
}

void ws_html_duration(FILE *out, double ms) {
  if (!isfinite(ms) || ms < 0)
    ms = 0;
  if (ms < 1000)
    fprintf(out, "%.1f ms", ms);
  else if (ms < 600000)
    fprintf(out, "%.2f s", ms / 1000);
  else
    fprintf(out, "%.1f min", ms / 60000);
}
