/* The case file's block structure and the <info> block; steps, expectations
 * and tables live in case_parse_{send,expect,table}.c. */
#include "case/case_parse.h"

#include "codec/hooks.h"

#include <stdio.h>
#include <string.h>

#define MAX_FILE_BYTES WS_CASE_MAX_FILE

static const char *const areas[] = {
    "framing",       "pings",      "reserved-bits", "opcodes",
    "fragmentation", "utf8",       "close",         "auto-fragmentation",
    "handshake",     "robustness", "compression",
};

/* Which <info> keys were seen, to catch duplicates and missing ones. */
enum {
  K_ID,
  K_TITLE,
  K_AREA,
  K_RFC,
  K_LEVEL,
  K_AUTOBAHN,
  K_TIMEOUT,
  K_SERIAL,
  K_ROLE
};

typedef struct info_state {
  unsigned seen; /* bit per K_* */
  size_t desc_len;
} info_state;

static bool is_tag(const ws_cursor *c) {
  return c->end - c->p >= 2 && c->p[0] == '<' && c->end[-1] == '>';
}

static int check_id(ws_parser *p, int line, const char *v, size_t n) {
  char shown[48];
  if (n > WS_CASE_ID_MAX)
    return ws_parse_fail(p, line, "id '%s' is longer than %d characters",
                         ws_parse_show(shown, sizeof shown, v, n),
                         WS_CASE_ID_MAX);
  for (size_t i = 0; i < n; i++) {
    char ch = v[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok)
      return ws_parse_fail(p, line,
                           "id '%s' may only hold letters, digits, '.', '_' "
                           "and '-'",
                           ws_parse_show(shown, sizeof shown, v, n));
  }
  return 0;
}

static int set_area(ws_parser *p, int line, ws_case *c, const char *v,
                    size_t n) {
  char shown[48];
  for (size_t i = 0; i < sizeof areas / sizeof *areas; i++)
    if (ws_word_is(v, n, areas[i])) {
      c->area = areas[i]; /* static: no copy needed */
      return 0;
    }
  return ws_parse_fail(p, line, "unknown area '%s'",
                       ws_parse_show(shown, sizeof shown, v, n));
}

static int set_level(ws_parser *p, int line, ws_case *c, const char *v,
                     size_t n) {
  char shown[48];
  if (ws_word_is(v, n, "MUST"))
    c->level = WS_LEVEL_MUST;
  else if (ws_word_is(v, n, "SHOULD"))
    c->level = WS_LEVEL_SHOULD;
  else if (ws_word_is(v, n, "MAY"))
    c->level = WS_LEVEL_MAY;
  else
    return ws_parse_fail(p, line, "level must be MUST, SHOULD or MAY, not '%s'",
                         ws_parse_show(shown, sizeof shown, v, n));
  return 0;
}

static int set_timeout(ws_parser *p, int line, ws_case *c, const char *v,
                       size_t n) {
  uint64_t ms;
  if (ws_parse_u64(v, n, WS_CASE_MAX_TIMEOUT_MS, &ms) < 0 || ms == 0)
    return ws_parse_fail(p, line, "timeout must be a number of ms from 1 to %u",
                         WS_CASE_MAX_TIMEOUT_MS);
  c->timeout_ms = (uint32_t)ms;
  return 0;
}

static int set_roles(ws_parser *p, int line, ws_case *c, const char *v,
                     size_t n) {
  char shown[48];
  if (ws_word_is(v, n, "client"))
    c->roles = WS_ROLES_CLIENT;
  else if (ws_word_is(v, n, "server"))
    c->roles = WS_ROLES_SERVER;
  else if (ws_word_is(v, n, "both"))
    c->roles = WS_ROLES_BOTH;
  else
    return ws_parse_fail(p, line,
                         "role must be client, server or both, not '%s'",
                         ws_parse_show(shown, sizeof shown, v, n));
  return 0;
}

/* Repeated description lines are joined with a space, like a paragraph. */
static int add_description(ws_parser *p, int line, ws_case *c, info_state *st,
                           const char *v, size_t n) {
  size_t old = st->desc_len;
  size_t total = old + (old ? 1 : 0) + n;
  if (total > MAX_FILE_BYTES)
    return ws_parse_fail(p, line, "description too long");
  char *d = ws_arena_alloc(p->arena, total + 1);
  if (!d)
    return ws_parse_oom(p, line);
  if (old) {
    memcpy(d, c->description, old);
    d[old] = ' ';
  }
  memcpy(d + total - n, v, n);
  d[total] = '\0';
  c->description = d;
  st->desc_len = total;
  return 0;
}

static int info_value(ws_parser *p, int line, ws_case *c, info_state *st,
                      int key, const char *v, size_t n) {
  switch (key) {
  case K_ID:
    if (check_id(p, line, v, n) < 0)
      return -1;
    memcpy(c->id, v, n);
    c->id[n] = '\0';
    return 0;
  case K_TITLE:
    return (c->title = ws_parse_strdup(p, line, v, n)) ? 0 : -1;
  case K_AREA:
    return set_area(p, line, c, v, n);
  case K_RFC:
    return (c->rfc = ws_parse_strdup(p, line, v, n)) ? 0 : -1;
  case K_LEVEL:
    return set_level(p, line, c, v, n);
  case K_AUTOBAHN:
    return (c->autobahn = ws_parse_strdup(p, line, v, n)) ? 0 : -1;
  case K_TIMEOUT:
    return set_timeout(p, line, c, v, n);
  case K_SERIAL:
    if (!ws_word_is(v, n, "yes") && !ws_word_is(v, n, "no"))
      return ws_parse_fail(p, line, "serial must be yes or no");
    c->serial = ws_word_is(v, n, "yes");
    return 0;
  case K_ROLE:
    return set_roles(p, line, c, v, n);
  default:
    return add_description(p, line, c, st, v, n);
  }
}

static int info_key(const char *k, size_t n) {
  static const char *const keys[] = {"id",    "title",      "area",    "rfc",
                                     "level", "autobahn",   "timeout", "serial",
                                     "role",  "description"};
  for (int i = 0; i < (int)(sizeof keys / sizeof *keys); i++)
    if (ws_word_is(k, n, keys[i]))
      return i;
  return -1;
}

static int info_line(ws_parser *p, const ws_line *ln, ws_case *c,
                     info_state *st) {
  char shown[48];
  ws_cursor cur = ws_line_trimmed(ln);
  const char *k;
  size_t kn = ws_cur_word(&cur, &k);
  int key = info_key(k, kn);
  if (key < 0)
    return ws_parse_fail(p, ln->no, "unknown <info> key '%s'",
                         ws_parse_show(shown, sizeof shown, k, kn));
  ws_cur_skip(&cur);
  size_t vn = (size_t)(cur.end - cur.p);
  if (vn == 0)
    return ws_parse_fail(p, ln->no, "'%.*s' needs a value", (int)kn, k);
  if (key <= K_ROLE) {
    if (st->seen & (1u << key))
      return ws_parse_fail(p, ln->no, "'%.*s' given twice", (int)kn, k);
    st->seen |= 1u << key;
  }
  return info_value(p, ln->no, c, st, key, cur.p, vn);
}

static int finish_info(ws_parser *p, const info_state *st, int open_line) {
  static const char *const required[] = {"id", "title", "area", "rfc", "level"};
  for (int i = K_ID; i <= K_LEVEL; i++)
    if (!(st->seen & (1u << i)))
      return ws_parse_fail(p, open_line, "<info> has no '%s'", required[i]);
  return 0;
}

/* After <info>: keys up to </info>. */
static int parse_info(ws_parser *p, ws_src *src, ws_case *c, int open_line) {
  info_state st = {0, 0};
  ws_line ln;
  while (ws_src_next(src, &ln)) {
    if (ws_line_skippable(&ln))
      continue;
    ws_cursor t = ws_line_trimmed(&ln);
    if (ws_cur_is(&t, "</info>"))
      return finish_info(p, &st, open_line);
    if (is_tag(&t))
      return ws_parse_fail(p, ln.no,
                           "block tag inside <info> (missing "
                           "</info>?)");
    if (info_line(p, &ln, c, &st) < 0)
      return -1;
  }
  return ws_parse_fail(p, open_line, "<info> block is not closed");
}

/* The next block tag after blanks and comments; false at the end. */
static bool next_tag(ws_src *src, ws_line *ln, ws_cursor *t) {
  while (ws_src_next(src, ln)) {
    if (ws_line_skippable(ln))
      continue;
    *t = ws_line_trimmed(ln);
    return true;
  }
  return false;
}

static int expect_tag(ws_parser *p, ws_src *src, const ws_case *c,
                      const char *tag, int *line) {
  ws_line ln;
  ws_cursor t;
  char shown[48];
  if (!next_tag(src, &ln, &t))
    return ws_parse_fail(p, c->line, "case %s has no %s block", c->id, tag);
  if (!ws_cur_is(&t, tag))
    return ws_parse_fail(
        p, ln.no,
        "expected %s, found '%s' (blocks go <info>, <send>, "
        "<expect>)",
        tag, ws_parse_show(shown, sizeof shown, t.p, (size_t)(t.end - t.p)));
  *line = ln.no;
  return 0;
}

static int parse_case_blocks(ws_parser *p, ws_src *src, int info_line_no);

/* One case, from just after its <info> line to its </expect>. */
static int parse_case(ws_parser *p, ws_src *src, int info_line_no) {
  int rc = parse_case_blocks(p, src, info_line_no);
  ws_free(p->labels);
  p->labels = NULL;
  p->nlabels = 0;
  return rc;
}

static int parse_case_blocks(ws_parser *p, ws_src *src, int info_line_no) {
  ws_case *c = ws_arena_calloc(p->arena, 1, sizeof *c);
  if (!c)
    return ws_parse_oom(p, info_line_no);
  c->file = p->name;
  c->line = info_line_no;
  c->timeout_ms = WS_CASE_DEFAULT_TIMEOUT_MS;
  c->roles = WS_ROLES_CLIENT;
  c->level = WS_LEVEL_MUST;
  int line;
  if (parse_info(p, src, c, info_line_no) < 0)
    return -1;
  /* The id is known now: random(N) gets this case's own stream. */
  char salt[WS_CASE_ID_MAX + 8];
  snprintf(salt, sizeof salt, "random:%s", c->id);
  ws_prng_seed(&p->rng, p->seed, salt);
  if (expect_tag(p, src, c, "<send>", &line) < 0 ||
      ws_parse_send(p, src, c, line) < 0 ||
      expect_tag(p, src, c, "<expect>", &line) < 0 ||
      ws_parse_expect(p, src, c, line) < 0)
    return -1;
  ws_case_derive(c);
  char msg[160];
  if (p->accept && p->accept(p->user, c, msg, sizeof msg) < 0)
    return ws_parse_fail(p, c->line, "%s", msg);
  p->case_count++;
  return 0;
}

int ws_parse_cases(ws_parser *p, ws_src *src, bool in_template) {
  ws_line ln;
  ws_cursor t;
  char shown[48];
  while (next_tag(src, &ln, &t)) {
    if (ws_cur_is(&t, "<info>")) {
      if (parse_case(p, src, ln.no) < 0)
        return -1;
    } else if (ws_cur_is(&t, "<table>")) {
      if (in_template)
        return ws_parse_fail(p, ln.no,
                             "a table's template cannot hold "
                             "another <table>");
      return ws_parse_table(p, src, ln.no); /* the rest is its template */
    } else {
      return ws_parse_fail(
          p, ln.no, "expected <info> or <table>, found '%s'",
          ws_parse_show(shown, sizeof shown, t.p, (size_t)(t.end - t.p)));
    }
  }
  return 0;
}

int ws_case_parse_text(ws_parser *p, const char *text, size_t len) {
  p->row[0] = '\0';
  p->env.arena = p->arena;
  p->env.rng = &p->rng;
  p->env.max = WS_CASE_MAX_PAYLOAD;
  if (len > MAX_FILE_BYTES)
    return ws_parse_fail(p, 1, "case file larger than 1 MiB");
  const char *nul = memchr(text, '\0', len);
  if (nul) {
    int line = 1;
    for (const char *q = text; q < nul; q++)
      line += *q == '\n';
    return ws_parse_fail(p, line, "NUL byte in a case file");
  }
  ws_src src = {text, len, 0, 1};
  size_t before = p->case_count;
  if (ws_parse_cases(p, &src, false) < 0)
    return -1;
  if (p->case_count == before)
    return ws_parse_fail(p, 1,
                         "no case in this file (a case starts with "
                         "<info>)");
  return 0;
}
