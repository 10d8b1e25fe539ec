/* The <send> block: one step per line, plus the multi-line request and
 * response blocks. */
#include "case/case_parse.h"
#include "case/placeholders.h"

#include "codec/frame.h"
#include "codec/hooks.h"

#include <stdlib.h>
#include <string.h>

typedef struct step_vec {
  ws_step *v;
  size_t n, cap;
} step_vec;

static const uint8_t no_bytes[1];

static int payload_at(ws_parser *p, ws_cursor *cur, int line, ws_bytes *out) {
  if (ws_payload_parse(&p->env, &cur->p, cur->end, out) < 0)
    return ws_parse_fail(p, line, "%s", p->env.msg);
  return 0;
}

/* What may follow the step's arguments: nothing, or a final "echo" where a
 * reply can be expected. */
static int finish(ws_parser *p, ws_cursor *cur, int line, ws_step *s,
                  bool echo_ok) {
  char shown[48];
  const char *w;
  size_t n = ws_cur_word(cur, &w);
  if (n == 0)
    return 0;
  if (ws_word_is(w, n, "echo")) {
    if (!echo_ok)
      return ws_parse_fail(p, line, "'echo' is not allowed on this step");
    s->echo = true;
    if (ws_cur_end(cur))
      return 0;
    n = ws_cur_word(cur, &w);
  }
  return ws_parse_fail(p, line, "unexpected '%s' after the step",
                       ws_parse_show(shown, sizeof shown, w, n));
}

/* A data message is sent compressed when permessage-deflate is agreed,
 * unless the step says `uncompressed` (before a final `echo`). */
static void compression(ws_cursor *cur, ws_step *s) {
  s->compress = true;
  ws_cursor look = *cur;
  const char *w;
  size_t n = ws_cur_word(&look, &w);
  if (ws_word_is(w, n, "uncompressed")) {
    s->compress = false;
    *cur = look;
  }
}

static bool is_data(uint8_t op) {
  return op == WS_OP_TEXT || op == WS_OP_BINARY;
}

/* text/binary/ping/pong: a missing payload means an empty one. */
static int optional_payload(ws_parser *p, ws_cursor *cur, int line,
                            ws_step *s) {
  ws_cursor look = *cur;
  const char *w;
  size_t n = ws_cur_word(&look, &w);
  if (n == 0 ||
      ((ws_word_is(w, n, "echo") ||
        (is_data(s->frame.opcode) && ws_word_is(w, n, "uncompressed"))) &&
       ws_cur_end(&look)))
    return 0;
  if (is_data(s->frame.opcode) && ws_word_is(w, n, "uncompressed")) {
    ws_cursor after = look;
    n = ws_cur_word(&after, &w);
    if (ws_word_is(w, n, "echo") && ws_cur_end(&after))
      return 0;
  }
  return payload_at(p, cur, line, &s->payload);
}

static int simple_frame(ws_parser *p, ws_cursor *cur, int line, ws_step *s,
                        uint8_t op) {
  s->frame.opcode = op;
  if (optional_payload(p, cur, line, s) < 0)
    return -1;
  if (is_data(op))
    compression(cur, s);
  return finish(p, cur, line, s, op != WS_OP_PONG);
}

static int close_step(ws_parser *p, ws_cursor *cur, int line, ws_step *s) {
  s->frame.opcode = WS_OP_CLOSE;
  const char *w;
  size_t n = ws_cur_word(cur, &w);
  if (n == 0)
    return 0; /* no payload at all */
  uint64_t code;
  if (ws_parse_u64(w, n, 65535, &code) < 0)
    return ws_parse_fail(p, line,
                         "close code must be a number from 0 to "
                         "65535");
  ws_bytes reason = {no_bytes, 0};
  if (!ws_cur_end(cur) && payload_at(p, cur, line, &reason) < 0)
    return -1;
  if (reason.len > WS_CASE_MAX_PAYLOAD - 2)
    return ws_parse_fail(p, line, "close reason too large");
  uint8_t *b = ws_arena_alloc(p->arena, reason.len + 2);
  if (!b)
    return ws_parse_oom(p, line);
  b[0] = (uint8_t)(code >> 8);
  b[1] = (uint8_t)code;
  memcpy(b + 2, reason.ptr, reason.len);
  s->payload.ptr = b;
  s->payload.len = reason.len + 2;
  return finish(p, cur, line, s, false);
}

static int required_payload(ws_parser *p, ws_cursor *cur, int line, ws_step *s,
                            bool echo_ok) {
  if (payload_at(p, cur, line, &s->payload) < 0)
    return -1;
  return finish(p, cur, line, s, echo_ok);
}

static int fragmented(ws_parser *p, ws_cursor *cur, int line, ws_step *s) {
  const char *w;
  size_t n = ws_cur_word(cur, &w);
  s->kind = WS_STEP_FRAGMENTED;
  if (ws_word_is(w, n, "text"))
    s->frame.opcode = WS_OP_TEXT;
  else if (ws_word_is(w, n, "binary"))
    s->frame.opcode = WS_OP_BINARY;
  else
    return ws_parse_fail(p, line, "fragmented needs text or binary");
  if (payload_at(p, cur, line, &s->payload) < 0)
    return -1;
  n = ws_cur_word(cur, &w);
  if (!ws_word_is(w, n, "in"))
    return ws_parse_fail(p, line,
                         "fragmented needs 'in N' after the "
                         "payload");
  n = ws_cur_word(cur, &w);
  uint64_t size;
  if (ws_parse_u64(w, n, WS_CASE_MAX_PAYLOAD, &size) < 0 || size == 0)
    return ws_parse_fail(p, line,
                         "fragment size must be a number from 1 "
                         "to %zu",
                         WS_CASE_MAX_PAYLOAD);
  s->fragment_size = (size_t)size;
  ws_cursor look = *cur;
  n = ws_cur_word(&look, &w);
  if (ws_word_is(w, n, "deflated")) {
    /* The payload is DEFLATE data already (deflate(...), bomb(N)): sent as
     * written, RSV1 on the first frame, as a compressed message. */
    s->frame.rsv = WS_RSV1;
    *cur = look;
    return finish(p, cur, line, s, true);
  }
  compression(cur, s);
  return finish(p, cur, line, s, true);
}

static int number_step(ws_parser *p, ws_cursor *cur, int line, ws_step *s,
                       uint64_t min, uint64_t max, const char *what) {
  const char *w;
  size_t n = ws_cur_word(cur, &w);
  if (s->kind == WS_STEP_CHOP && ws_word_is(w, n, "off")) {
    s->number = 0;
    return finish(p, cur, line, s, false);
  }
  if (ws_parse_u64(w, n, max, &s->number) < 0 || s->number < min)
    return ws_parse_fail(p, line, "%s must be a number from %llu to %llu", what,
                         (unsigned long long)min, (unsigned long long)max);
  return finish(p, cur, line, s, false);
}

/* ---- frame FIELD=VALUE ... ---- */

enum { F_OP, F_FIN, F_RSV, F_MASK, F_FORM, F_DECLARED, F_PAYLOAD, F_COUNT };
static const char *const frame_fields[F_COUNT] = {
    "op", "fin", "rsv", "mask", "length-form", "declared", "payload"};

static int set_op(ws_step_frame *f, const char *v, size_t n) {
  static const struct {
    const char *name;
    uint8_t op;
  } ops[] = {{"continuation", WS_OP_CONTINUATION},
             {"text", WS_OP_TEXT},
             {"binary", WS_OP_BINARY},
             {"close", WS_OP_CLOSE},
             {"ping", WS_OP_PING},
             {"pong", WS_OP_PONG}};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
    if (ws_word_is(v, n, ops[i].name)) {
      f->opcode = ops[i].op;
      return 0;
    }
  uint64_t x;
  if (ws_parse_u64(v, n, 15, &x) < 0)
    return -1;
  f->opcode = (uint8_t)x;
  return 0;
}

static int set_mask(ws_step_frame *f, const char *v, size_t n) {
  if (ws_word_is(v, n, "yes")) {
    f->mask = WS_MASK_RANDOM;
    return 0;
  }
  if (ws_word_is(v, n, "no")) {
    f->mask = WS_MASK_NONE;
    return 0;
  }
  if (n != 8)
    return -1;
  for (size_t i = 0; i < 8; i += 2) {
    unsigned byte = 0;
    for (size_t j = i; j < i + 2; j++) {
      char c = v[j];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0)
        return -1;
      byte = byte * 16 + (unsigned)d;
    }
    f->mask_key[i / 2] = (uint8_t)byte;
  }
  f->mask = WS_MASK_FIXED;
  return 0;
}

static int set_form(ws_step_frame *f, const char *v, size_t n) {
  if (ws_word_is(v, n, "minimal"))
    f->length_form = WS_LEN_MINIMAL;
  else if (ws_word_is(v, n, "7"))
    f->length_form = WS_LEN_7BIT;
  else if (ws_word_is(v, n, "16"))
    f->length_form = WS_LEN_16BIT;
  else if (ws_word_is(v, n, "64"))
    f->length_form = WS_LEN_64BIT;
  else
    return -1;
  return 0;
}

static int frame_value(ws_step_frame *f, int field, const char *v, size_t n) {
  uint64_t x;
  switch (field) {
  case F_OP:
    return set_op(f, v, n);
  case F_FIN:
    if (ws_parse_u64(v, n, 1, &x) < 0)
      return -1;
    f->fin = x == 1;
    return 0;
  case F_RSV:
    if (ws_parse_u64(v, n, 7, &x) < 0)
      return -1;
    f->rsv = (uint8_t)x;
    return 0;
  case F_MASK:
    return set_mask(f, v, n);
  case F_FORM:
    return set_form(f, v, n);
  default: /* F_DECLARED */
    if (ws_parse_u64(v, n, UINT64_MAX, &f->declared_length) < 0)
      return -1;
    f->lie_length = true;
    return 0;
  }
}

/* A forced length form must be able to hold the length it writes. */
static int check_form(ws_parser *p, int line, const ws_step *s) {
  uint64_t len =
      s->frame.lie_length ? s->frame.declared_length : s->payload.len;
  if ((s->frame.length_form == WS_LEN_7BIT && len > 127) ||
      (s->frame.length_form == WS_LEN_16BIT && len > 65535))
    return ws_parse_fail(p, line, "length %llu does not fit length-form=%s",
                         (unsigned long long)len,
                         s->frame.length_form == WS_LEN_7BIT ? "7" : "16");
  return 0;
}

static int frame_step(ws_parser *p, ws_cursor *cur, int line, ws_step *s) {
  static const char *const hints[F_COUNT] = {
      "continuation, text, binary, close, ping, pong or 0-15",
      "0 or 1",
      "0 to 7",
      "yes, no or 8 hex digits",
      "minimal, 7, 16 or 64",
      "0 to 18446744073709551615",
      ""};
  char shown[48];
  unsigned seen = 0;
  while (!ws_cur_end(cur)) {
    const char *w;
    size_t n = ws_cur_word(cur, &w);
    if (ws_word_is(w, n, "echo") && ws_cur_end(cur)) {
      s->echo = true;
      break;
    }
    const char *eq = memchr(w, '=', n);
    int field = -1;
    for (int i = 0; eq && i < F_COUNT; i++)
      if (ws_word_is(w, (size_t)(eq - w), frame_fields[i]))
        field = i;
    if (field < 0)
      return ws_parse_fail(p, line,
                           "unknown frame field '%s' (expected "
                           "FIELD=VALUE)",
                           ws_parse_show(shown, sizeof shown, w, n));
    if (seen & (1u << field))
      return ws_parse_fail(p, line, "frame field '%s' given twice",
                           frame_fields[field]);
    seen |= 1u << field;
    if (field == F_PAYLOAD) {
      cur->p = eq + 1; /* the payload runs to the end, before "echo" */
      if (required_payload(p, cur, line, s, true) < 0)
        return -1;
      break;
    }
    size_t vn = n - (size_t)(eq + 1 - w);
    if (frame_value(&s->frame, field, eq + 1, vn) < 0)
      return ws_parse_fail(p, line, "%s must be %s, not '%s'",
                           frame_fields[field], hints[field],
                           ws_parse_show(shown, sizeof shown, eq + 1, vn));
  }
  return check_form(p, line, s);
}

/* ---- handshake [protocols=".." extensions=".." coalesce=yes] ---- */

static int option_value(ws_parser *p, ws_cursor *cur, int line, const char *v,
                        const char **out) {
  if (v >= cur->p) /* "protocols=" and nothing after the '=' */
    return ws_parse_fail(p, line,
                         "handshake option needs a value (\"\" "
                         "for an empty header)");
  if (*v == '"') {
    cur->p = v;
    char *s;
    if (ws_payload_string(&p->env, &cur->p, cur->end, &s) < 0)
      return ws_parse_fail(p, line, "%s", p->env.msg);
    if (cur->p < cur->end && *cur->p != ' ' && *cur->p != '\t')
      return ws_parse_fail(p, line, "junk after a quoted value");
    *out = s;
    return 0;
  }
  *out = ws_parse_strdup(p, line, v, (size_t)(cur->p - v));
  return *out ? 0 : -1;
}

static int handshake_step(ws_parser *p, ws_cursor *cur, int line, ws_step *s) {
  char shown[48];
  unsigned seen = 0;
  while (!ws_cur_end(cur)) {
    const char *w;
    size_t n = ws_cur_word(cur, &w);
    const char *eq = memchr(w, '=', n);
    size_t kn = eq ? (size_t)(eq - w) : n;
    int opt = ws_word_is(w, kn, "protocols")    ? 0
              : ws_word_is(w, kn, "extensions") ? 1
              : ws_word_is(w, kn, "coalesce")   ? 2
                                                : -1;
    if (!eq || opt < 0)
      return ws_parse_fail(p, line,
                           "unknown handshake option '%s' "
                           "(protocols=, extensions=, coalesce=)",
                           ws_parse_show(shown, sizeof shown, w, n));
    if (seen & (1u << opt))
      return ws_parse_fail(p, line, "handshake option given twice");
    seen |= 1u << opt;
    const char *v = eq + 1;
    size_t vn = n - kn - 1;
    if (opt == 2) {
      if (!ws_word_is(v, vn, "yes") && !ws_word_is(v, vn, "no"))
        return ws_parse_fail(p, line, "coalesce must be yes or no");
      s->coalesce = ws_word_is(v, vn, "yes");
    } else if (option_value(p, cur, line, v,
                            opt == 0 ? &s->protocols : &s->extensions) < 0) {
      return -1;
    }
  }
  return 0;
}

/* ---- request ... end ---- */

/* The request text with, per byte, whether an escape produced it: a '{' from
 * \{ or \x7b must not be taken for a placeholder. */
typedef struct req_buf {
  uint8_t *b, *esc;
  size_t n, cap;
} req_buf;

static int req_put(req_buf *r, uint8_t byte, bool escaped) {
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 256;
    uint8_t *b = ws_realloc(r->b, cap);
    if (!b)
      return -1;
    r->b = b;
    uint8_t *e = ws_realloc(r->esc, cap);
    if (!e)
      return -1;
    r->esc = e;
    r->cap = cap;
  }
  r->b[r->n] = byte;
  r->esc[r->n++] = escaped;
  return 0;
}

static int hexdig(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

static int req_escape(ws_parser *p, int line, const char **q, const char *end,
                      req_buf *r) {
  const char *e = *q + 1;
  char c = e < end ? *e : '\0';
  int byte;
  switch (c) {
  case 'r':
    byte = '\r';
    break;
  case 'n':
    byte = '\n';
    break;
  case 't':
    byte = '\t';
    break;
  case '\\':
    byte = '\\';
    break;
  case '{':
    byte = '{';
    break;
  case 'x':
    if (end - e < 3 || hexdig(e[1]) < 0 || hexdig(e[2]) < 0)
      return ws_parse_fail(p, line, "\\x must be followed by two hex digits");
    byte = hexdig(e[1]) * 16 + hexdig(e[2]);
    e += 2;
    break;
  default:
    return ws_parse_fail(p, line,
                         "unknown escape in request (\\r \\n \\t "
                         "\\xNN \\\\ \\{ work)");
  }
  *q = e + 1;
  return req_put(r, (uint8_t)byte, true) < 0 ? ws_parse_oom(p, line) : 0;
}

/* One source line; returns whether it ends in a continuation backslash. */
static int req_line(ws_parser *p, const ws_line *ln, req_buf *r, bool *cont) {
  size_t k = 0;
  while (k < ln->len && ln->p[ln->len - 1 - k] == '\\')
    k++;
  *cont = k % 2 == 1; /* "\\" at the end is an escaped backslash */
  const char *q = ln->p, *end = ln->p + ln->len - (*cont ? 1 : 0);
  while (q < end) {
    if (*q == '\\') {
      if (req_escape(p, ln->no, &q, end, r) < 0)
        return -1;
    } else if (req_put(r, (uint8_t)*q++, false) < 0) {
      return ws_parse_oom(p, ln->no);
    }
  }
  return 0;
}

static bool has_placeholder(const uint8_t *b, const uint8_t *esc, size_t n,
                            bool want_escaped, const char *const *names) {
  for (size_t i = 0; i < n; i++) {
    bool escaped = esc && esc[i];
    if (escaped == want_escaped && ws_placeholder_at(b + i, n - i, names) >= 0)
      return true;
  }
  return false;
}

static int req_crlf(req_buf *r) {
  return req_put(r, '\r', false) < 0 || req_put(r, '\n', false) < 0 ? -1 : 0;
}

/* Lines up to "end", each followed by CRLF unless continued with '\'; then
 * the empty line that ends a header block, unless the last line was one. */
static int req_read(ws_parser *p, ws_src *src, int line, req_buf *r,
                    const char *what) {
  ws_line ln;
  bool cont = false, any = false, last_empty = false;
  size_t start = 0; /* where the current logical line began */
  while (ws_src_next(src, &ln)) {
    ws_cursor t = ws_line_trimmed(&ln);
    if (ws_cur_is(&t, "end")) {
      if (!any)
        return ws_parse_fail(p, line, "empty %s block", what);
      if (cont) { /* a continuation on the last line just ends it */
        last_empty = r->n == start;
        if (req_crlf(r) < 0)
          return ws_parse_oom(p, ln.no);
      }
      if (!last_empty && req_crlf(r) < 0)
        return ws_parse_oom(p, ln.no);
      return 0;
    }
    if (ws_cur_is(&t, "</send>"))
      break;
    any = true;
    if (!cont)
      start = r->n;
    if (req_line(p, &ln, r, &cont) < 0)
      return -1;
    if (!cont) {
      last_empty = r->n == start;
      if (req_crlf(r) < 0)
        return ws_parse_oom(p, ln.no);
    }
  }
  return ws_parse_fail(p, line, "%s block has no 'end' line", what);
}

/* `request ... end` and `response ... end` (s->kind says which): the same
 * lines and escapes, each with its own placeholders. */
static int request_block(ws_parser *p, ws_src *src, ws_cursor *cur, int line,
                         ws_step *s) {
  if (finish(p, cur, line, s, false) < 0)
    return -1;
  bool response = s->kind == WS_STEP_RESPONSE;
  const char *const *names =
      response ? ws_response_placeholders : ws_request_placeholders;
  req_buf r = {NULL, NULL, 0, 0};
  int rc = req_read(p, src, line, &r, response ? "response" : "request");
  if (rc == 0) {
    bool real = has_placeholder(r.b, r.esc, r.n, false, names);
    if (real && has_placeholder(r.b, r.esc, r.n, true, names))
      rc = ws_parse_fail(p, line,
                         response ? "an escaped \\{accept}, \\{key} or "
                                    "\\{protocol} cannot be sent literally in "
                                    "a response that also uses placeholders"
                                  : "an escaped \\{host}, \\{path} or \\{key} "
                                    "cannot be sent literally in a request "
                                    "that also uses placeholders");
    s->request_is_template = real;
  }
  if (rc == 0) {
    uint8_t *b = ws_arena_alloc(p->arena, r.n);
    if (!b)
      rc = ws_parse_oom(p, line);
    else {
      memcpy(b, r.b, r.n);
      s->payload.ptr = b;
      s->payload.len = r.n;
    }
  }
  ws_free(r.b);
  ws_free(r.esc);
  return rc;
}

/* ---- dispatch ---- */

typedef struct step_ctx {
  ws_parser *p;
  ws_src *src;
  ws_cursor *cur;
  int line;
  size_t index;
  const ws_step *earlier; /* the steps before this one (index of them) */
  unsigned roles;         /* the case's `role` (enum ws_case_roles) */
} step_ctx;

/* A request is the client's opening and a response the server's: each
 * belongs to a case that the harness plays from that side only. */
static int role_only(step_ctx *x, const char *kw, unsigned roles) {
  if (x->roles == roles)
    return 0;
  return ws_parse_fail(x->p, x->line, "%s is only for role %s (this case: %s)",
                       kw, ws_case_roles_name(roles),
                       ws_case_roles_name(x->roles));
}

/* The opening steps replace the handshake, so nothing may be sent before
 * them; only `chop` may come first, to cut the request itself into pieces. */
static int first_only(step_ctx *x, const char *kw) {
  size_t i = 0;
  while (i < x->index && x->earlier[i].kind == WS_STEP_CHOP)
    i++;
  if (i == x->index)
    return 0;
  return ws_parse_fail(x->p, x->line,
                       "%s must be the first step, after `chop` steps only "
                       "(it replaces the opening handshake)",
                       kw);
}

static int step_body(step_ctx *x, ws_step *s, const char *kw, size_t n) {
  ws_parser *p = x->p;
  ws_cursor *cur = x->cur;
  int line = x->line;
  char shown[48];
  if (ws_word_is(kw, n, "text"))
    return simple_frame(p, cur, line, s, WS_OP_TEXT);
  if (ws_word_is(kw, n, "binary"))
    return simple_frame(p, cur, line, s, WS_OP_BINARY);
  if (ws_word_is(kw, n, "ping"))
    return simple_frame(p, cur, line, s, WS_OP_PING);
  if (ws_word_is(kw, n, "pong"))
    return simple_frame(p, cur, line, s, WS_OP_PONG);
  if (ws_word_is(kw, n, "close"))
    return close_step(p, cur, line, s);
  if (ws_word_is(kw, n, "close-raw")) {
    s->frame.opcode = WS_OP_CLOSE;
    return required_payload(p, cur, line, s, false);
  }
  if (ws_word_is(kw, n, "fragmented"))
    return fragmented(p, cur, line, s);
  if (ws_word_is(kw, n, "frame"))
    return frame_step(p, cur, line, s);
  if (ws_word_is(kw, n, "stream"))
    return ws_parse_stream_step(p, cur, line, s);
  if (ws_word_is(kw, n, "raw")) {
    s->kind = WS_STEP_RAW;
    return required_payload(p, cur, line, s, false);
  }
  if (ws_word_is(kw, n, "chop")) {
    s->kind = WS_STEP_CHOP;
    return number_step(p, cur, line, s, 1, WS_CASE_MAX_PAYLOAD, "chop");
  }
  if (ws_word_is(kw, n, "coalesce") || ws_word_is(kw, n, "flush")) {
    s->kind = kw[0] == 'c' ? WS_STEP_COALESCE : WS_STEP_FLUSH;
    return finish(p, cur, line, s, false);
  }
  if (ws_word_is(kw, n, "await")) {
    s->kind = WS_STEP_AWAIT;
    return finish(p, cur, line, s, false);
  }
  if (ws_word_is(kw, n, "wait")) {
    s->kind = WS_STEP_WAIT;
    return number_step(p, cur, line, s, 0, WS_CASE_MAX_WAIT_MS, "wait");
  }
  if (ws_word_is(kw, n, "handshake")) {
    s->kind = WS_STEP_HANDSHAKE;
    if (first_only(x, "handshake") < 0)
      return -1;
    return handshake_step(p, cur, line, s);
  }
  if (ws_word_is(kw, n, "request")) {
    s->kind = WS_STEP_REQUEST;
    if (role_only(x, "request", WS_ROLES_CLIENT) < 0 ||
        first_only(x, "request") < 0)
      return -1;
    return request_block(p, x->src, cur, line, s);
  }
  if (ws_word_is(kw, n, "request-bytes")) {
    s->kind = WS_STEP_REQUEST;
    if (role_only(x, "request-bytes", WS_ROLES_CLIENT) < 0 ||
        first_only(x, "request-bytes") < 0 ||
        required_payload(p, cur, line, s, false) < 0)
      return -1;
    s->request_is_template = has_placeholder(
        s->payload.ptr, NULL, s->payload.len, false, ws_request_placeholders);
    return 0;
  }
  if (ws_word_is(kw, n, "response")) {
    s->kind = WS_STEP_RESPONSE;
    if (role_only(x, "response", WS_ROLES_SERVER) < 0 ||
        first_only(x, "response") < 0)
      return -1;
    return request_block(p, x->src, cur, line, s);
  }
  return ws_parse_fail(p, line, "unknown step '%s'",
                       ws_parse_show(shown, sizeof shown, kw, n));
}

static bool is_label(const char *w, size_t n) {
  if (n < 2 || w[n - 1] != ':')
    return false;
  for (size_t i = 0; i + 1 < n; i++) {
    char c = w[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
      return false;
  }
  return true;
}

static int take_label(ws_parser *p, ws_step *s, const char *w, size_t n) {
  s->label = ws_parse_strdup(p, s->line, w, n - 1);
  return s->label ? 0 : -1;
}

static int push_step(ws_parser *p, step_vec *sv, int line) {
  if (sv->n >= WS_CASE_MAX_STEPS)
    return ws_parse_fail(p, line, "more than %d steps in one case",
                         WS_CASE_MAX_STEPS);
  if (sv->n == sv->cap) {
    size_t cap = sv->cap ? sv->cap * 2 : 16;
    ws_step *v = ws_realloc(sv->v, cap * sizeof *v);
    if (!v)
      return ws_parse_oom(p, line);
    sv->v = v;
    sv->cap = cap;
  }
  ws_step *s = &sv->v[sv->n];
  memset(s, 0, sizeof *s);
  s->kind = WS_STEP_FRAME;
  s->line = line;
  s->frame.fin = true;
  s->frame.opcode = WS_OP_TEXT;
  s->frame.mask = WS_MASK_RANDOM;
  s->frame.length_form = WS_LEN_MINIMAL;
  s->payload.ptr = no_bytes;
  return 0;
}

static int parse_step(ws_parser *p, ws_src *src, const ws_line *ln,
                      step_vec *sv, unsigned roles) {
  if (push_step(p, sv, ln->no) < 0)
    return -1;
  ws_step tmp = sv->v[sv->n]; /* added only once it parsed */
  ws_cursor cur = ws_line_trimmed(ln);
  const char *w;
  size_t n = ws_cur_word(&cur, &w);
  if (is_label(w, n)) {
    if (take_label(p, &tmp, w, n) < 0)
      return -1;
    n = ws_cur_word(&cur, &w);
    if (n == 0)
      return ws_parse_fail(p, ln->no, "label without a step");
  }
  step_ctx x = {p, src, &cur, ln->no, sv->n, sv->v, roles};
  if (step_body(&x, &tmp, w, n) < 0)
    return -1;
  sv->v[sv->n++] = tmp;
  return 0;
}

static int send_lines(ws_parser *p, ws_src *src, step_vec *sv, int open_line,
                      unsigned roles) {
  ws_line ln;
  while (ws_src_next(src, &ln)) {
    if (ws_line_skippable(&ln))
      continue;
    ws_cursor t = ws_line_trimmed(&ln);
    if (ws_cur_is(&t, "</send>"))
      return 0;
    if (t.end - t.p >= 2 && t.p[0] == '<' && t.end[-1] == '>')
      return ws_parse_fail(p, ln.no,
                           "block tag inside <send> (missing "
                           "</send>?)");
    if (parse_step(p, src, &ln, sv, roles) < 0)
      return -1;
  }
  return ws_parse_fail(p, open_line, "<send> block is not closed");
}

static int cmp_label(const void *x, const void *y) {
  const ws_label_ref *a = x, *b = y;
  int c = strcmp(a->label, b->label);
  return c ? c : a->index < b->index ? -1 : a->index > b->index;
}

/* Sorts the labelled steps once; equal labels end up side by side, the
 * earliest first, so duplicates are found without comparing every pair. */
static int index_labels(ws_parser *p, const ws_case *c, int open_line) {
  size_t n = 0;
  for (size_t i = 0; i < c->step_count; i++)
    n += c->steps[i].label != NULL;
  if (n == 0)
    return 0;
  p->labels = ws_malloc(n * sizeof *p->labels);
  if (!p->labels)
    return ws_parse_oom(p, open_line);
  for (size_t i = 0; i < c->step_count; i++)
    if (c->steps[i].label)
      p->labels[p->nlabels++] =
          (ws_label_ref){c->steps[i].label, i, c->steps[i].line};
  qsort(p->labels, n, sizeof *p->labels, cmp_label);
  const ws_label_ref *dup = NULL, *first = NULL;
  for (size_t i = 1; i < n; i++)
    if (strcmp(p->labels[i].label, p->labels[i - 1].label) == 0 &&
        (i < 2 || strcmp(p->labels[i].label, p->labels[i - 2].label) != 0) &&
        (!dup || p->labels[i].line < dup->line)) {
      dup = &p->labels[i];
      first = &p->labels[i - 1];
    }
  if (dup)
    return ws_parse_fail(p, dup->line,
                         "duplicate label '%s' (first at line "
                         "%d)",
                         dup->label, first->line);
  return 0;
}

const ws_label_ref *ws_parse_find_label(const ws_parser *p, const char *label,
                                        size_t n) {
  size_t lo = 0, hi = p->nlabels;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *l = p->labels[mid].label;
    int c = strncmp(l, label, n);
    if (c == 0 && l[n] != '\0')
      c = 1; /* l is longer: it sorts after label[0..n) */
    if (c == 0)
      return &p->labels[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

int ws_parse_send(ws_parser *p, ws_src *src, ws_case *c, int open_line) {
  step_vec sv = {NULL, 0, 0};
  int rc = send_lines(p, src, &sv, open_line, c->roles);
  if (rc == 0) {
    c->steps = ws_arena_calloc(p->arena, sv.n, sizeof *c->steps);
    if (!c->steps) {
      rc = ws_parse_oom(p, open_line);
    } else {
      if (sv.n)
        memcpy(c->steps, sv.v, sv.n * sizeof *c->steps);
      c->step_count = sv.n;
      rc = index_labels(p, c, open_line);
    }
  }
  ws_free(sv.v);
  return rc;
}
