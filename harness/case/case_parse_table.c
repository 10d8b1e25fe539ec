/* <table>: the rest of the file is a template instantiated once per row,
 * with {column} replaced by the row's cell as text before parsing. */
#include "case/case_parse.h"
#include "case/placeholders.h"
#include "util/buf.h"

#include "codec/hooks.h"

#include <stdio.h>
#include <string.h>

#define MAX_ROWS WS_CASE_MAX_ROWS
/* An instantiated row is held to the same bound as a file, and all rows
 * together to 64 files' worth, which bounds the parsing time of a table. */
#define MAX_INSTANCE WS_CASE_MAX_FILE
#define MAX_TABLE_TEXT (64 * WS_CASE_MAX_FILE)

typedef struct cell {
  const char *p;
  size_t n;
} cell;

typedef struct table {
  cell cols[WS_CASE_MAX_TABLE_COLUMNS];
  size_t ncols;
  cell *cells; /* nrows * ncols */
  int *lines;  /* of each row */
  size_t nrows, cap;
  int id_col; /* -1 when there is no "id" column */
} table;

static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Cells separated by '|' and trimmed; -1 when there are more than max. */
static int split(const ws_line *ln, cell *out, size_t max, size_t *count) {
  ws_cursor t = ws_line_trimmed(ln);
  const char *b = t.p;
  *count = 0;
  for (;;) {
    const char *bar = memchr(b, '|', (size_t)(t.end - b));
    ws_cursor c = {b, bar ? bar : t.end};
    ws_cur_skip(&c);
    while (c.end > c.p && (c.end[-1] == ' ' || c.end[-1] == '\t'))
      c.end--;
    if (*count == max)
      return -1;
    out[(*count)++] = (cell){c.p, (size_t)(c.end - c.p)};
    if (!bar)
      return 0;
    b = bar + 1;
  }
}

static int header(ws_parser *p, const ws_line *ln, table *t) {
  char shown[48];
  if (split(ln, t->cols, WS_CASE_MAX_TABLE_COLUMNS, &t->ncols) < 0)
    return ws_parse_fail(p, ln->no, "more than %d table columns",
                         WS_CASE_MAX_TABLE_COLUMNS);
  for (size_t i = 0; i < t->ncols; i++) {
    const cell *c = &t->cols[i];
    bool ok = c->n > 0;
    for (size_t j = 0; ok && j < c->n; j++)
      ok = name_char(c->p[j]);
    if (!ok)
      return ws_parse_fail(p, ln->no,
                           "column name '%s' may only hold letters, digits, "
                           "'_' and '-'",
                           ws_parse_show(shown, sizeof shown, c->p, c->n));
    for (size_t j = 0; j < i; j++)
      if (t->cols[j].n == c->n && memcmp(t->cols[j].p, c->p, c->n) == 0)
        return ws_parse_fail(p, ln->no, "column '%s' given twice",
                             ws_parse_show(shown, sizeof shown, c->p, c->n));
    if (ws_word_is(c->p, c->n, "id"))
      t->id_col = (int)i;
  }
  return 0;
}

static int row(ws_parser *p, const ws_line *ln, table *t) {
  if (t->nrows == MAX_ROWS)
    return ws_parse_fail(p, ln->no, "more than %d table rows", MAX_ROWS);
  if (t->nrows == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 16;
    cell *cells = ws_realloc(t->cells, cap * t->ncols * sizeof *cells);
    if (!cells)
      return ws_parse_oom(p, ln->no);
    t->cells = cells;
    int *lines = ws_realloc(t->lines, cap * sizeof *lines);
    if (!lines)
      return ws_parse_oom(p, ln->no);
    t->lines = lines;
    t->cap = cap;
  }
  size_t n;
  cell *dst = t->cells + t->nrows * t->ncols;
  if (split(ln, dst, t->ncols, &n) < 0 || n != t->ncols)
    return ws_parse_fail(p, ln->no,
                         "row has %s cells than the %zu columns (a cell "
                         "cannot hold '|': write \\x7c)",
                         n < t->ncols ? "fewer" : "more", t->ncols);
  t->lines[t->nrows++] = ln->no;
  return 0;
}

static int read_table(ws_parser *p, ws_src *src, table *t, int open_line) {
  ws_line ln;
  while (ws_src_next(src, &ln)) {
    if (ws_line_skippable(&ln))
      continue;
    ws_cursor c = ws_line_trimmed(&ln);
    if (ws_cur_is(&c, "</table>")) {
      if (t->ncols == 0 || t->nrows == 0)
        return ws_parse_fail(p, open_line, "table has no %s",
                             t->ncols ? "rows" : "column names");
      return 0;
    }
    if (t->ncols == 0 ? header(p, &ln, t) < 0 : row(p, &ln, t) < 0)
      return -1;
  }
  return ws_parse_fail(p, open_line, "<table> block is not closed");
}

static int put(ws_parser *p, ws_buf *o, const char *s, size_t n, int line) {
  if (n > MAX_INSTANCE - o->len)
    return ws_parse_fail(p, line, "table row expands to more than 1 MiB");
  return ws_buf_append(o, s, n) == 0 ? 0 : ws_parse_oom(p, line);
}

/* {name} at s (s[0] == '{'): its length including braces, or 0 when what
 * follows is not name-shaped (then the '{' is plain text). */
static size_t ref_len(const char *s, const char *end) {
  const char *q = s + 1;
  while (q < end && name_char(*q))
    q++;
  return q > s + 1 && q < end && *q == '}' ? (size_t)(q - s + 1) : 0;
}

static const cell *lookup(const table *t, size_t r, const char *name,
                          size_t n) {
  for (size_t i = 0; i < t->ncols; i++)
    if (t->cols[i].n == n && memcmp(t->cols[i].p, name, n) == 0)
      return &t->cells[r * t->ncols + i];
  return NULL;
}

/* Is the {...} reference (rl bytes) exactly one of names? */
static bool is_placeholder(const char *brace, size_t rl,
                           const char *const *names) {
  int k = ws_placeholder_at((const uint8_t *)brace, rl, names);
  return k >= 0 && strlen(names[k]) == rl;
}

static int substitute(ws_parser *p, const table *t, size_t r, const ws_src *tpl,
                      ws_buf *o) {
  char shown[48];
  const char *s = tpl->text + tpl->pos, *end = tpl->text + tpl->len;
  int line = tpl->next_no;
  ws_buf_clear(o);
  while (s < end) {
    const char *brace = memchr(s, '{', (size_t)(end - s));
    const char *stop = brace ? brace : end;
    for (const char *q = s; q < stop; q++)
      line += *q == '\n';
    if (put(p, o, s, (size_t)(stop - s), line) < 0)
      return -1;
    if (!brace)
      break;
    size_t rl;
    if (brace + 1 < end && brace[1] == '{') {
      rl = 2;
      if (put(p, o, "{", 1, line) < 0)
        return -1;
    } else if ((rl = ref_len(brace, end)) == 0) {
      rl = 1;
      if (put(p, o, "{", 1, line) < 0)
        return -1;
    } else {
      const cell *c = lookup(t, r, brace + 1, rl - 2);
      /* The request and response placeholders pass through unless a
       * column claims them. */
      bool keep = !c && (is_placeholder(brace, rl, ws_request_placeholders) ||
                         is_placeholder(brace, rl, ws_response_placeholders));
      if (!c && !keep)
        return ws_parse_fail(p, line, "unknown column %s",
                             ws_parse_show(shown, sizeof shown, brace, rl));
      if (put(p, o, c ? c->p : brace, c ? c->n : rl, line) < 0)
        return -1;
    }
    s = brace + rl;
  }
  return 0;
}

static void row_label(ws_parser *p, const table *t, size_t r) {
  char shown[40];
  if (t->id_col >= 0 && t->cells[r * t->ncols + (size_t)t->id_col].n) {
    const cell *c = &t->cells[r * t->ncols + (size_t)t->id_col];
    snprintf(p->row, sizeof p->row, " (row %s)",
             ws_parse_show(shown, sizeof shown, c->p, c->n));
  } else {
    snprintf(p->row, sizeof p->row, " (row %zu)", r + 1);
  }
}

static int instantiate(ws_parser *p, const table *t, const ws_src *tpl,
                       int open_line) {
  ws_buf o = {0};
  size_t before = p->case_count, total = 0;
  int rc = 0;
  for (size_t r = 0; rc == 0 && r < t->nrows; r++) {
    row_label(p, t, r);
    rc = substitute(p, t, r, tpl, &o);
    if (rc == 0 && (total += o.len) > MAX_TABLE_TEXT)
      rc = ws_parse_fail(p, open_line,
                         "table expands to more than 64 MiB of "
                         "text");
    if (rc == 0) {
      ws_src inst = {ws_buf_str(&o), o.len, 0, tpl->next_no};
      rc = ws_parse_cases(p, &inst, true);
    }
  }
  p->row[0] = '\0';
  if (rc == 0 && p->case_count == before)
    rc = ws_parse_fail(p, open_line,
                       "the table's template holds no case "
                       "(no <info> after </table>)");
  ws_buf_free(&o);
  return rc;
}

int ws_parse_table(ws_parser *p, ws_src *src, int open_line) {
  table t;
  memset(&t, 0, sizeof t);
  t.id_col = -1;
  int rc = read_table(p, src, &t, open_line);
  if (rc == 0) {
    ws_src tpl = *src;
    rc = instantiate(p, &t, &tpl, open_line);
    src->pos = src->len; /* the template was the rest of the file */
  }
  ws_free(t.cells);
  ws_free(t.lines);
  return rc;
}
