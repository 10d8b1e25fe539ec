/* Line and token helpers shared by the case parser's files, and its error
 * reporting. Nothing here reads past the end of a line or the text. */
#include "case/case_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ws_parse_fail(ws_parser *p, int line, const char *fmt, ...) {
  if (!p->cap)
    return -1;
  int n = snprintf(p->err, p->cap, "%s:%d%s: ", p->name, line, p->row);
  if (n < 0 || (size_t)n >= p->cap)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + n, p->cap - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

int ws_parse_oom(ws_parser *p, int line) {
  if (p->arena->over_limit)
    return ws_parse_fail(p, line,
                         "case file needs more than %zu MiB of memory "
                         "(payloads, steps and table rows)",
                         p->arena->limit >> 20);
  return ws_parse_fail(p, line, "out of memory");
}

const char *ws_parse_show(char *buf, size_t cap, const char *s, size_t n) {
  size_t keep = n < cap - 4 ? n : cap - 4, i;
  for (i = 0; i < keep; i++)
    buf[i] = (s[i] >= ' ' && s[i] < 0x7f) ? s[i] : '?';
  if (keep < n)
    memcpy(buf + i, "...", 3), i += 3;
  buf[i] = '\0';
  return buf;
}

bool ws_src_next(ws_src *s, ws_line *out) {
  if (s->pos >= s->len)
    return false;
  const char *start = s->text + s->pos;
  const char *nl = memchr(start, '\n', s->len - s->pos);
  size_t n = nl ? (size_t)(nl - start) : s->len - s->pos;
  s->pos += n + (nl ? 1 : 0);
  if (n && start[n - 1] == '\r')
    n--; /* files written on Windows read the same */
  out->p = start;
  out->len = n;
  out->no = s->next_no++;
  return true;
}

ws_cursor ws_line_trimmed(const ws_line *l) {
  ws_cursor c = {l->p, l->p + l->len};
  while (c.p < c.end && (*c.p == ' ' || *c.p == '\t'))
    c.p++;
  while (c.end > c.p && (c.end[-1] == ' ' || c.end[-1] == '\t'))
    c.end--;
  return c;
}

bool ws_line_skippable(const ws_line *l) {
  ws_cursor c = ws_line_trimmed(l);
  return c.p == c.end || *c.p == '#';
}

bool ws_cur_is(const ws_cursor *c, const char *lit) {
  return ws_word_is(c->p, (size_t)(c->end - c->p), lit);
}

void ws_cur_skip(ws_cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
    c->p++;
}

bool ws_cur_end(ws_cursor *c) {
  ws_cur_skip(c);
  return c->p >= c->end;
}

size_t ws_cur_word(ws_cursor *c, const char **w) {
  ws_cur_skip(c);
  *w = c->p;
  while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
    c->p++;
  return (size_t)(c->p - *w);
}

bool ws_word_is(const char *w, size_t n, const char *lit) {
  return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

int ws_parse_u64(const char *w, size_t n, uint64_t max, uint64_t *out) {
  if (n == 0)
    return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (w[i] < '0' || w[i] > '9')
      return -1;
    unsigned d = (unsigned)(w[i] - '0');
    if (v > max / 10 || max - v * 10 < d)
      return -2; /* v * 10 + d > max, without overflowing */
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

char *ws_parse_strdup(ws_parser *p, int line, const char *s, size_t n) {
  char *r = ws_arena_strndup(p->arena, s, n);
  if (!r)
    ws_parse_oom(p, line);
  return r;
}
