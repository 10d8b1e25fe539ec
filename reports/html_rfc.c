/* A case's RFC references as links to the RFC Editor's HTML rendering of
 * each RFC, whose section anchors read "section-5.5":
 * https://www.rfc-editor.org/rfc/rfc6455#section-5.5. A link is a
 * navigation the person chooses, not a fetch: the page itself still loads
 * nothing (its Content-Security-Policy allows no network at all).
 *
 * The link text is the whole reference ("RFC 6455 §5.5"), so a page read
 * offline or printed still says which section a case rests on.
 *
 * The field comes from case files, which the person running wsprobe writes
 * or downloads: only an RFC number of digits and a section of dot-separated
 * digits reach an href (no quote, colon or slash can), everything else is
 * shown as escaped text with no link. */
#include "reports/html_internal.h"

#include <string.h>

#define RFC_URL "https://www.rfc-editor.org/rfc/rfc"
#define RFC_NUMBER_MAX 5   /* RFC numbers have four digits today */
#define RFC_SECTION_MAX 32 /* "11.3.4" and such; longer is not a section */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* 1 to RFC_NUMBER_MAX digits, no leading zero (rfc06455 is no page). */
static bool rfc_number(const char *s, size_t n) {
  if (n == 0 || n > RFC_NUMBER_MAX || s[0] == '0')
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_digit(s[i]))
      return false;
  return true;
}

/* "5", "5.5", "11.3.4": digits separated by single dots. */
static bool rfc_section(const char *s, size_t n) {
  if (n == 0 || n > RFC_SECTION_MAX || !is_digit(s[0]) || !is_digit(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_digit(s[i]) && (s[i] != '.' || s[i + 1] == '.'))
      return false;
  return true;
}

/* The reference as a person reads it; "&#xa7;" is the section sign. */
static void rfc_text(FILE *out, const char *num, size_t num_len,
                     const char *sec, size_t sec_len) {
  fputs("RFC ", out);
  ws_html_text_n(out, (const uint8_t *)num, num_len);
  if (sec) {
    fputs(" &#xa7;", out);
    ws_html_text_n(out, (const uint8_t *)sec, sec_len);
  }
}

/* One reference, "6455#5.5" or "6455", trimmed. */
static void one_reference(FILE *out, const char *p, size_t len) {
  const char *hash = memchr(p, '#', len);
  size_t num_len = hash ? (size_t)(hash - p) : len;
  const char *sec = hash ? hash + 1 : NULL;
  size_t sec_len = hash ? len - num_len - 1 : 0;
  if (!rfc_number(p, num_len) || (sec && !rfc_section(sec, sec_len))) {
    if (hash)
      rfc_text(out, p, num_len, sec, sec_len);
    else /* not an RFC number: the text as written */
      ws_html_text_n(out, (const uint8_t *)p, len);
    return;
  }
  /* A new tab: the reader keeps the report where it was (filters, an open
   * wire log); no referrer, and no handle back to this page. */
  fputs("<a class=\"rfc\" href=\"" RFC_URL, out);
  fwrite(p, 1, num_len, out);
  if (sec) {
    fputs("#section-", out);
    fwrite(sec, 1, sec_len, out);
  }
  fputs("\" target=\"_blank\" rel=\"noopener noreferrer\">", out);
  rfc_text(out, p, num_len, sec, sec_len);
  fputs("</a>", out);
}

void ws_html_rfc_links(FILE *out, const char *rfc) {
  const char *p = rfc ? rfc : "";
  bool first = true;
  while (*p) {
    while (*p == ' ' || *p == ',')
      p++;
    size_t len = strcspn(p, ",");
    while (len && p[len - 1] == ' ')
      len--;
    if (len == 0)
      break;
    if (!first)
      fputs(", ", out);
    first = false;
    one_reference(out, p, len);
    p += len;
    p += strcspn(p, ",");
  }
}
