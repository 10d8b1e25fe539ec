/* Autobahn's case ids: parsing them out of a case's cross-reference, their
 * order, their sequence numbers, and the file-name form of agent names. */
#include "reports/autobahn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Digits separated by single dots, no leading or trailing dot. */
static bool is_dotted_number(const char *s, size_t n) {
  if (n == 0 || !is_digit(s[0]) || !is_digit(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_digit(s[i]) && !(s[i] == '.' && is_digit(s[i + 1])))
      return false;
  return true;
}

bool ws_autobahn_next_id(const char **cursor,
                         char out[WS_AUTOBAHN_ID_MAX + 1]) {
  const char *p = *cursor;
  while (p && *p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    const char *next = end ? end + 1 : p + n;
    while (n && (*p == ' ' || *p == '\t'))
      p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    if (n <= WS_AUTOBAHN_ID_MAX && is_dotted_number(p, n)) {
      memcpy(out, p, n);
      out[n] = '\0';
      *cursor = next;
      return true;
    }
    p = next;
  }
  *cursor = p;
  return false;
}

/* The next dotted part as a number (saturating: ids are short), advancing
 * *s past it and its dot; -1 when there is none. */
static long next_part(const char **s) {
  if (!is_digit(**s))
    return -1;
  long v = 0;
  for (; is_digit(**s); (*s)++)
    v = v < 100000000 ? v * 10 + (**s - '0') : v;
  if (**s == '.')
    (*s)++;
  return v;
}

int ws_autobahn_id_compare(const char *a, const char *b) {
  for (;;) {
    long x = next_part(&a), y = next_part(&b);
    if (x != y)
      return x < y ? -1 : 1; /* a shorter id (-1) sorts first, as tuples do */
    if (x < 0)
      return strcmp(a, b); /* not dotted numbers: any fixed order */
  }
}

/* Autobahn's case list in order, as groups of ids PREFIX.1 .. PREFIX.COUNT
 * (case/__init__.py builds the list; case6_x_x.py, case7_7_X.py,
 * case7_9_X.py and case9_7_X.py generate the families). The numbers of
 * sections 1 to 7 and 10 also match wsprobe's catalogue, which carries each
 * of these ids. Section 9 (performance) is here only for the numbers after
 * it. Sections 12 and 13 (compression) follow 10.1.1 and are not numbered
 * here. */
static const struct {
  const char *prefix;
  unsigned count;
} groups[] = {
    {"1.1", 8},   {"1.2", 8},  {"2", 11},   {"3", 7},     {"4.1", 5},
    {"4.2", 5},   {"5", 20},   {"6.1", 3},  {"6.2", 4},   {"6.3", 2},
    {"6.4", 4},   {"6.5", 5},  {"6.6", 11}, {"6.7", 4},   {"6.8", 2},
    {"6.9", 4},   {"6.10", 3}, {"6.11", 5}, {"6.12", 8},  {"6.13", 5},
    {"6.14", 10}, {"6.15", 1}, {"6.16", 3}, {"6.17", 5},  {"6.18", 5},
    {"6.19", 5},  {"6.20", 7}, {"6.21", 8}, {"6.22", 34}, {"6.23", 7},
    {"7.1", 6},   {"7.3", 6},  {"7.5", 1},  {"7.7", 13},  {"7.9", 9},
    {"7.13", 2},  {"9.1", 6},  {"9.2", 6},  {"9.3", 9},   {"9.4", 9},
    {"9.5", 6},   {"9.6", 6},  {"9.7", 6},  {"9.8", 6},   {"10.1", 1},
};

unsigned ws_autobahn_case_number(const char *id) {
  const char *dot = strrchr(id, '.');
  if (!dot || !is_dotted_number(id, strlen(id)))
    return 0;
  size_t prefix_len = (size_t)(dot - id);
  unsigned long last = strtoul(dot + 1, NULL, 10);
  unsigned before = 0;
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
    if (strlen(groups[i].prefix) == prefix_len &&
        memcmp(groups[i].prefix, id, prefix_len) == 0)
      return last >= 1 && last <= groups[i].count ? before + (unsigned)last : 0;
    before += groups[i].count;
  }
  return 0;
}

void ws_autobahn_agent_slug(const char *agent, char *out, size_t cap) {
  size_t n = 0, pending = 0; /* '_' owed before the next kept character */
  if (cap == 0)
    return;
  for (const unsigned char *p = (const unsigned char *)agent; *p; p++) {
    unsigned char c = *p;
    if (c >= 'A' && c <= 'Z')
      c = (unsigned char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      for (; pending && n + 1 < cap; pending--)
        out[n++] = '_';
      pending = 0;
      if (n + 1 < cap)
        out[n++] = (char)c;
    } else if (n > 0 && (c < 0x80 || c >= 0xC0)) {
      pending++; /* one per character: UTF-8 continuation bytes add none */
    }
  }
  out[n] = '\0';
}
