/* The <expect> block: "GRADE CONDITION" lines, a condition being
 * alternatives joined by '|', each predicates joined by '&'. */
#include "case/case_parse.h"

#include "codec/hooks.h"

#include <stddef.h>
#include <string.h>

typedef struct outcome_vec {
  ws_outcome *v;
  size_t n, cap;
} outcome_vec;

typedef struct pred_ctx {
  ws_parser *p;
  const ws_case *c;
  int line;
} pred_ctx;

static const struct {
  const char *name;
  enum ws_verdict grade;
} grades[] = {{"pass", WS_VERDICT_PASS},
              {"non-strict", WS_VERDICT_NON_STRICT},
              {"informational", WS_VERDICT_INFORMATIONAL},
              {"unimplemented", WS_VERDICT_UNIMPLEMENTED},
              {"fail", WS_VERDICT_FAIL}};

/* Predicates that take no argument, and the ones that do. */
static const struct {
  const char *name;
  enum ws_pred_kind kind;
  bool args;
} preds[] = {{"otherwise", WS_PRED_OTHERWISE, false},
             {"echo", WS_PRED_ECHO, false},
             {"partial-echo", WS_PRED_PARTIAL_ECHO, false},
             {"messages", WS_PRED_MESSAGES, true},
             {"pongs", WS_PRED_PONGS, true},
             {"close", WS_PRED_CLOSE, true},
             {"no-close", WS_PRED_NO_CLOSE, false},
             {"drop", WS_PRED_DROP, false},
             {"before", WS_PRED_BEFORE, true},
             {"status", WS_PRED_STATUS, true},
             {"no-response", WS_PRED_NO_RESPONSE, false},
             {"upgraded", WS_PRED_UPGRADED, false},
             {"header", WS_PRED_HEADER, true},
             {"no-header", WS_PRED_NO_HEADER, true},
             {"alive", WS_PRED_ALIVE, false},
             {"last-pong", WS_PRED_LAST_PONG, false},
             {"stream-echo", WS_PRED_STREAM_ECHO, false},
             {"deflate", WS_PRED_DEFLATE, true},
             {"no-deflate", WS_PRED_NO_DEFLATE, false},
             {"offered", WS_PRED_OFFERED, true},
             {"not-offered", WS_PRED_NOT_OFFERED, true}};

static ws_cursor trim(const char *b, const char *e) {
  ws_cursor c = {b, e};
  ws_cur_skip(&c);
  while (c.end > c.p && (c.end[-1] == ' ' || c.end[-1] == '\t'))
    c.end--;
  return c;
}

static size_t count_char(const char *b, const char *e, char ch) {
  size_t n = 0;
  for (; b < e; b++)
    n += *b == ch;
  return n;
}

static int range(pred_ctx *x, ws_cursor a, ws_predicate *pr, const char *nm) {
  size_t n = (size_t)(a.end - a.p);
  const char *dots = NULL;
  for (size_t i = 0; i + 1 < n; i++)
    if (a.p[i] == '.' && a.p[i + 1] == '.') {
      dots = a.p + i;
      break;
    }
  uint64_t lo, hi;
  size_t ln = dots ? (size_t)(dots - a.p) : n;
  if (ws_parse_u64(a.p, ln, UINT32_MAX, &lo) < 0)
    return ws_parse_fail(x->p, x->line, "%s needs N or N..M", nm);
  hi = lo;
  if (dots && ws_parse_u64(dots + 2, n - ln - 2, UINT32_MAX, &hi) < 0)
    return ws_parse_fail(x->p, x->line, "%s needs N or N..M", nm);
  if (hi < lo)
    return ws_parse_fail(x->p, x->line, "%s range %llu..%llu is empty", nm,
                         (unsigned long long)lo, (unsigned long long)hi);
  pr->min = (uint32_t)lo;
  pr->max = (uint32_t)hi;
  return 0;
}

static int code_item(pred_ctx *x, ws_cursor it, ws_code_set *set, bool close) {
  char shown[48];
  size_t n = (size_t)(it.end - it.p);
  uint64_t v;
  if (ws_word_is(it.p, n, "any")) {
    set->any = true;
    return 0;
  }
  if (close && ws_word_is(it.p, n, "empty")) {
    set->empty = true;
    return 0;
  }
  if (close && ws_word_is(it.p, n, "valid")) {
    set->valid = true;
    return 0;
  }
  if (!close && n == 3 && it.p[0] >= '1' && it.p[0] <= '5' && it.p[1] == 'x' &&
      it.p[2] == 'x') {
    set->classes |= (uint16_t)(1u << (it.p[0] - '0'));
    return 0;
  }
  if (ws_parse_u64(it.p, n, close ? 65535 : 599, &v) < 0 || (!close && v < 100))
    return ws_parse_fail(
        x->p, x->line,
        close ? "close code '%s' is not 0-65535, empty, any or valid"
              : "status '%s' is not 100-599, 1xx-5xx or any",
        ws_parse_show(shown, sizeof shown, it.p, n));
  if (set->count == WS_CODE_SET_MAX)
    return ws_parse_fail(x->p, x->line, "more than %d codes in one list",
                         WS_CODE_SET_MAX);
  set->codes[set->count++] = (uint16_t)v;
  return 0;
}

static int code_list(pred_ctx *x, ws_cursor a, ws_code_set *set, bool close) {
  if (a.p == a.end)
    return ws_parse_fail(x->p, x->line, "%s needs a list of codes",
                         close ? "close" : "status");
  const char *b = a.p;
  for (;;) {
    const char *comma = memchr(b, ',', (size_t)(a.end - b));
    const char *e = comma ? comma : a.end;
    ws_cursor it = trim(b, e);
    if (it.p == it.end)
      return ws_parse_fail(x->p, x->line, "empty item in a code list");
    if (code_item(x, it, set, close) < 0)
      return -1;
    if (!comma)
      return 0;
    b = comma + 1;
  }
}

static bool is_token(const char *s, size_t n) {
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] <= ' ' || s[i] >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", s[i]))
      return false;
  return true;
}

static int header_args(pred_ctx *x, ws_cursor a, ws_predicate *pr) {
  size_t n = (size_t)(a.end - a.p);
  /* NAME=VALUE compares the whole value; NAME~TOKEN looks for one element
   * of a comma list ("Sec-WebSocket-Version: 13, 8" has the token 13). */
  const char *eq = NULL;
  if (pr->kind == WS_PRED_HEADER) {
    const char *tilde = memchr(a.p, '~', n);
    eq = memchr(a.p, '=', n);
    if (tilde && (!eq || tilde < eq)) {
      eq = tilde;
      pr->value_is_token = true;
    }
  }
  ws_cursor name = trim(a.p, eq ? eq : a.end);
  if (!is_token(name.p, (size_t)(name.end - name.p)))
    return ws_parse_fail(x->p, x->line, "%s needs a header name",
                         pr->kind == WS_PRED_HEADER ? "header" : "no-header");
  pr->name =
      ws_parse_strdup(x->p, x->line, name.p, (size_t)(name.end - name.p));
  if (!pr->name)
    return -1;
  if (eq) {
    ws_cursor v = trim(eq + 1, a.end);
    pr->value = ws_parse_strdup(x->p, x->line, v.p, (size_t)(v.end - v.p));
    if (!pr->value)
      return -1;
  }
  return 0;
}

static int before_args(pred_ctx *x, ws_cursor a, ws_predicate *pr) {
  char shown[48];
  size_t n = (size_t)(a.end - a.p);
  if (n == 0)
    return ws_parse_fail(x->p, x->line, "before needs a step label");
  const ws_label_ref *ref = ws_parse_find_label(x->p, a.p, n);
  if (ref) {
    pr->step_index = ref->index;
    pr->name = ref->label;
    return 0;
  }
  return ws_parse_fail(x->p, x->line, "before names an unknown label '%s'",
                       ws_parse_show(shown, sizeof shown, a.p, n));
}

/* deflate [offer=N]: which permessage-deflate offer the server answered. */
static int deflate_args(pred_ctx *x, ws_cursor a, ws_predicate *pr) {
  char shown[48];
  if (a.p == a.end)
    return 0;
  size_t n = (size_t)(a.end - a.p);
  uint64_t v;
  if (n > 6 && strncmp(a.p, "offer=", 6) == 0 &&
      ws_parse_u64(a.p + 6, n - 6, 64, &v) == 0 && v >= 1) {
    pr->min = (uint32_t)v;
    return 0;
  }
  return ws_parse_fail(x->p, x->line,
                       "deflate takes nothing or offer=N (1 to 64), not '%s'",
                       ws_parse_show(shown, sizeof shown, a.p, n));
}

/* offered / not-offered EXTENSION [PARAM]: what the client's request
 * offered, so only a case that plays the server can ask. */
static int offered_args(pred_ctx *x, ws_cursor a, ws_predicate *pr) {
  const char *kw = ws_pred_kind_name(pr->kind);
  if (x->c->roles != WS_ROLES_SERVER)
    return ws_parse_fail(x->p, x->line,
                         "%s reads the client's request: only for role "
                         "server (this case: %s)",
                         kw, ws_case_roles_name(x->c->roles));
  const char *w[3];
  size_t n[3];
  size_t words = 0;
  while (words < 3 && (n[words] = ws_cur_word(&a, &w[words])) > 0)
    words++;
  if (words < 1 || words > 2 || !is_token(w[0], n[0]) ||
      (words == 2 && !is_token(w[1], n[1])))
    return ws_parse_fail(x->p, x->line,
                         "%s needs an extension name and at most one "
                         "parameter name (tokens)",
                         kw);
  pr->name = ws_parse_strdup(x->p, x->line, w[0], n[0]);
  if (!pr->name)
    return -1;
  if (words == 2 && !(pr->value = ws_parse_strdup(x->p, x->line, w[1], n[1])))
    return -1;
  return 0;
}

static int predicate(pred_ctx *x, ws_cursor seg, ws_predicate *pr) {
  char shown[48];
  const char *w;
  size_t n = ws_cur_word(&seg, &w);
  ws_cursor args = trim(seg.p, seg.end);
  for (size_t i = 0; i < sizeof preds / sizeof *preds; i++) {
    if (!ws_word_is(w, n, preds[i].name))
      continue;
    pr->kind = preds[i].kind;
    if (!preds[i].args && args.p != args.end)
      return ws_parse_fail(x->p, x->line,
                           "'%s' takes no argument, found "
                           "'%s'",
                           preds[i].name,
                           ws_parse_show(shown, sizeof shown, args.p,
                                         (size_t)(args.end - args.p)));
    switch (pr->kind) {
    case WS_PRED_MESSAGES:
    case WS_PRED_PONGS:
      return range(x, args, pr, preds[i].name);
    case WS_PRED_CLOSE:
      return code_list(x, args, &pr->codes, true);
    case WS_PRED_STATUS:
      return code_list(x, args, &pr->codes, false);
    case WS_PRED_HEADER:
    case WS_PRED_NO_HEADER:
      return header_args(x, args, pr);
    case WS_PRED_BEFORE:
      return before_args(x, args, pr);
    case WS_PRED_DEFLATE:
      return deflate_args(x, args, pr);
    case WS_PRED_OFFERED:
    case WS_PRED_NOT_OFFERED:
      return offered_args(x, args, pr);
    default:
      return 0;
    }
  }
  if (n == 0)
    return ws_parse_fail(x->p, x->line, "empty condition around '|' or '&'");
  return ws_parse_fail(x->p, x->line, "unknown predicate '%s'",
                       ws_parse_show(shown, sizeof shown, w, n));
}

static int alternative(pred_ctx *x, ws_cursor seg, ws_alternative *alt) {
  size_t max = count_char(seg.p, seg.end, '&') + 1;
  alt->preds = ws_arena_calloc(x->p->arena, max, sizeof *alt->preds);
  if (!alt->preds)
    return ws_parse_oom(x->p, x->line);
  const char *b = seg.p;
  for (;;) {
    const char *amp = memchr(b, '&', (size_t)(seg.end - b));
    const char *e = amp ? amp : seg.end;
    if (predicate(x, trim(b, e), &alt->preds[alt->count++]) < 0)
      return -1;
    if (!amp)
      return 0;
    b = amp + 1;
  }
}

static int condition(pred_ctx *x, ws_cursor cond, ws_outcome *o) {
  size_t max = count_char(cond.p, cond.end, '|') + 1;
  o->alts = ws_arena_calloc(x->p->arena, max, sizeof *o->alts);
  if (!o->alts)
    return ws_parse_oom(x->p, x->line);
  const char *b = cond.p;
  for (;;) {
    const char *bar = memchr(b, '|', (size_t)(cond.end - b));
    const char *e = bar ? bar : cond.end;
    if (alternative(x, trim(b, e), &o->alts[o->count++]) < 0)
      return -1;
    if (!bar)
      return 0;
    b = bar + 1;
  }
}

/* A line may end with `because "TEXT"`: the reason a report gives when that
 * line decides the verdict (a fail names the rule the target broke). The
 * text is plain (no escapes) and may not hold a double quote. */
static int because_clause(ws_parser *p, int line, ws_cursor *cond,
                          ws_outcome *o) {
  static const char key[] = "because \"";
  const size_t klen = sizeof key - 1;
  if (cond->end - cond->p < (ptrdiff_t)klen + 3 || cond->end[-1] != '"')
    return 0;
  const char *found = NULL; /* the last "because \"" after a blank */
  for (const char *q = cond->p + 1; q + klen < cond->end; q++)
    if ((q[-1] == ' ' || q[-1] == '\t') && memcmp(q, key, klen) == 0)
      found = q;
  if (!found)
    return 0;
  const char *text = found + klen;
  size_t len = (size_t)(cond->end - 1 - text);
  if (len == 0 || memchr(text, '"', len))
    return ws_parse_fail(p, line, "because needs one \"quoted reason\"");
  o->because = ws_parse_strdup(p, line, text, len);
  if (!o->because)
    return -1;
  *cond = trim(cond->p, found);
  return 0;
}

static int outcome_line(ws_parser *p, const ws_case *c, const ws_line *ln,
                        ws_outcome *o) {
  char shown[48];
  ws_cursor cur = ws_line_trimmed(ln);
  const char *w;
  size_t n = ws_cur_word(&cur, &w);
  size_t g = 0;
  while (g < sizeof grades / sizeof *grades &&
         !ws_word_is(w, n, grades[g].name))
    g++;
  if (g == sizeof grades / sizeof *grades)
    return ws_parse_fail(p, ln->no,
                         "unknown grade '%s' (pass, non-strict, "
                         "informational, unimplemented, fail)",
                         ws_parse_show(shown, sizeof shown, w, n));
  memset(o, 0, sizeof *o);
  o->grade = grades[g].grade;
  o->line = ln->no;
  ws_cursor cond = trim(cur.p, cur.end);
  if (because_clause(p, ln->no, &cond, o) < 0)
    return -1;
  if (cond.p == cond.end)
    return ws_parse_fail(p, ln->no, "'%s' needs a condition", grades[g].name);
  o->text = ws_parse_strdup(p, ln->no, cond.p, (size_t)(cond.end - cond.p));
  if (!o->text)
    return -1;
  pred_ctx x = {p, c, ln->no};
  return condition(&x, cond, o);
}

static int push_outcome(ws_parser *p, outcome_vec *ov, int line) {
  if (ov->n == ov->cap) {
    size_t cap = ov->cap ? ov->cap * 2 : 8;
    ws_outcome *v = ws_realloc(ov->v, cap * sizeof *v);
    if (!v)
      return ws_parse_oom(p, line);
    ov->v = v;
    ov->cap = cap;
  }
  return 0;
}

static int expect_lines(ws_parser *p, ws_src *src, const ws_case *c,
                        outcome_vec *ov, int open_line) {
  ws_line ln;
  while (ws_src_next(src, &ln)) {
    if (ws_line_skippable(&ln))
      continue;
    ws_cursor t = ws_line_trimmed(&ln);
    if (ws_cur_is(&t, "</expect>")) {
      if (ov->n == 0)
        return ws_parse_fail(p, open_line, "<expect> has no outcome line");
      return 0;
    }
    if (t.end - t.p >= 2 && t.p[0] == '<' && t.end[-1] == '>')
      return ws_parse_fail(p, ln.no,
                           "block tag inside <expect> (missing "
                           "</expect>?)");
    if (push_outcome(p, ov, ln.no) < 0 ||
        outcome_line(p, c, &ln, &ov->v[ov->n]) < 0)
      return -1;
    ov->n++;
  }
  return ws_parse_fail(p, open_line, "<expect> block is not closed");
}

int ws_parse_expect(ws_parser *p, ws_src *src, ws_case *c, int open_line) {
  outcome_vec ov = {NULL, 0, 0};
  int rc = expect_lines(p, src, c, &ov, open_line);
  if (rc == 0) {
    c->outcomes = ws_arena_calloc(p->arena, ov.n, sizeof *c->outcomes);
    if (!c->outcomes) {
      rc = ws_parse_oom(p, open_line);
    } else {
      memcpy(c->outcomes, ov.v, ov.n * sizeof *c->outcomes);
      c->outcome_count = ov.n;
    }
  }
  ws_free(ov.v);
  return rc;
}
