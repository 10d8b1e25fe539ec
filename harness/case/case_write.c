/* ws_case -> case-file text. Every choice here mirrors a rule of the parser
 * (case_parse*.c), so that the text parses back to the same structure: a
 * step is written in its short form (`text`, `close 1000`) only when the
 * short form yields exactly the same fields, and in the `frame` form
 * otherwise. */
#include "case/case_write.h"
#include "case/placeholders.h"

#include "case/stream.h"
#include "util/buf.h"

#include "codec/frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A run of one byte at least this long is written as `"x" * N`. */
#define RUN_MIN 12

typedef struct tbuf {
  ws_buf text;
  char *err; /* first reason the case cannot be written */
  size_t err_cap;
  bool failed;
} tbuf;

static void put(tbuf *b, const char *s, size_t n) {
  (void)ws_buf_append(&b->text, s, n);
}

static void puts_(tbuf *b, const char *s) { put(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static void putf(tbuf *b, const char *fmt,
                                                       ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0)
    put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void fail(tbuf *b, const char *why) {
  if (!b->failed && b->err && b->err_cap)
    snprintf(b->err, b->err_cap, "%s", why);
  b->failed = true;
}

/* ---- payloads ---- */

static bool printable(uint8_t c) { return c >= 0x20 && c < 0x7f; }

/* One byte inside "...": the escapes the payload parser knows. */
static void put_str_byte(tbuf *b, uint8_t c) {
  if (c == '"' || c == '\\') {
    char e[2] = {'\\', (char)c};
    put(b, e, 2);
  } else if (c == '\n') {
    puts_(b, "\\n");
  } else if (c == '\r') {
    puts_(b, "\\r");
  } else if (c == '\t') {
    puts_(b, "\\t");
  } else if (printable(c)) {
    char ch = (char)c;
    put(b, &ch, 1);
  } else {
    putf(b, "\\x%02x", c);
  }
}

static void put_quoted(tbuf *b, const uint8_t *p, size_t n) {
  puts_(b, "\"");
  for (size_t i = 0; i < n; i++)
    put_str_byte(b, p[i]);
  puts_(b, "\"");
}

static void put_hex(tbuf *b, const uint8_t *p, size_t n) {
  puts_(b, "hex\"");
  for (size_t i = 0; i < n; i++)
    putf(b, "%02x", p[i]);
  puts_(b, "\"");
}

/* Text that is mostly printable reads better as a string; binary as hex. */
static void put_literal(tbuf *b, const uint8_t *p, size_t n) {
  size_t shown = 0;
  for (size_t i = 0; i < n; i++)
    shown += printable(p[i]) || p[i] == '\n';
  if (shown * 4 >= n * 3)
    put_quoted(b, p, n);
  else
    put_hex(b, p, n);
}

/* Length of the run of p[0] at p, counted up to cap. */
static size_t run_at(const uint8_t *p, size_t n, size_t cap) {
  size_t k = 1;
  while (k < n && k < cap && p[k] == p[0])
    k++;
  return k;
}

static void put_payload(tbuf *b, const uint8_t *p, size_t n) {
  if (n == 0) {
    puts_(b, "\"\"");
    return;
  }
  size_t i = 0;
  while (i < n) {
    if (i > 0)
      puts_(b, " + ");
    size_t run = run_at(p + i, n - i, n - i);
    if (run >= RUN_MIN) {
      put_literal(b, p + i, 1);
      putf(b, " * %zu", run);
      i += run;
      continue;
    }
    size_t j = i;
    while (j < n && run_at(p + j, n - j, RUN_MIN) < RUN_MIN)
      j++;
    put_literal(b, p + i, j - i);
    i = j;
  }
}

/* ---- steps ---- */

static const char *op_word(uint8_t op) {
  switch (op) {
  case WS_OP_CONTINUATION:
    return "continuation";
  case WS_OP_TEXT:
    return "text";
  case WS_OP_BINARY:
    return "binary";
  case WS_OP_CLOSE:
    return "close";
  case WS_OP_PING:
    return "ping";
  case WS_OP_PONG:
    return "pong";
  default:
    return NULL;
  }
}

static bool plain_header(const ws_step_frame *f) {
  return f->fin && f->rsv == 0 && f->mask == WS_MASK_RANDOM &&
         f->length_form == WS_LEN_MINIMAL && !f->lie_length;
}

static void put_echo(tbuf *b, bool echo) {
  if (echo)
    puts_(b, " echo");
}

/* text/binary/ping/pong/close/close-raw; false when the step needs the
 * `frame` form to keep its fields. */
static bool short_frame(tbuf *b, const ws_step *s) {
  const ws_step_frame *f = &s->frame;
  const ws_bytes *pl = &s->payload;
  if (!plain_header(f))
    return false;
  switch (f->opcode) {
  case WS_OP_TEXT:
  case WS_OP_BINARY:
    if (!s->compress) /* the frame form is sent as written */
      return false;
    break;
  case WS_OP_PING:
    break;
  case WS_OP_PONG: /* `pong` takes no echo */
    if (s->echo)
      return false;
    break;
  case WS_OP_CLOSE:
    if (s->echo)
      return false;
    if (pl->len == 0) {
      puts_(b, "close");
    } else if (pl->len == 1) {
      puts_(b, "close-raw ");
      put_payload(b, pl->ptr, pl->len);
    } else {
      putf(b, "close %u", (unsigned)(pl->ptr[0] << 8 | pl->ptr[1]));
      if (pl->len > 2) {
        puts_(b, " ");
        put_payload(b, pl->ptr + 2, pl->len - 2);
      }
    }
    return true;
  default:
    return false;
  }
  puts_(b, op_word(f->opcode));
  if (pl->len) {
    puts_(b, " ");
    put_payload(b, pl->ptr, pl->len);
  }
  put_echo(b, s->echo);
  return true;
}

static void frame_form(tbuf *b, const ws_step *s) {
  const ws_step_frame *f = &s->frame;
  uint64_t len = f->lie_length ? f->declared_length : s->payload.len;
  if ((f->length_form == WS_LEN_7BIT && len > 127) ||
      (f->length_form == WS_LEN_16BIT && len > 65535))
    fail(b, "a frame length does not fit its forced length form");
  puts_(b, "frame");
  const char *name = op_word(f->opcode);
  if (f->opcode != WS_OP_TEXT)
    name ? putf(b, " op=%s", name) : putf(b, " op=%u", f->opcode);
  if (!f->fin)
    puts_(b, " fin=0");
  if (f->rsv)
    putf(b, " rsv=%u", f->rsv);
  if (f->mask == WS_MASK_NONE)
    puts_(b, " mask=no");
  else if (f->mask == WS_MASK_FIXED)
    putf(b, " mask=%02x%02x%02x%02x", f->mask_key[0], f->mask_key[1],
         f->mask_key[2], f->mask_key[3]);
  static const char *const forms[] = {NULL, "7", "16", "64"};
  if (f->length_form > WS_LEN_MINIMAL && f->length_form <= WS_LEN_64BIT)
    putf(b, " length-form=%s", forms[f->length_form]);
  if (f->lie_length)
    putf(b, " declared=%llu", (unsigned long long)f->declared_length);
  if (s->payload.len) {
    puts_(b, " payload=");
    put_payload(b, s->payload.ptr, s->payload.len);
  }
  put_echo(b, s->echo);
}

static bool has_placeholder(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (ws_placeholder_at(p + i, n - i, ws_request_placeholders) >= 0)
      return true;
  return false;
}

/* A request sending "{host}" literally needs the `request` block, where
 * \{ escapes it, and a response is always a `response` block (a template
 * keeps its braces, a literal one escapes them); the block always ends its
 * bytes with an empty line. */
static void request_block(tbuf *b, const ws_step *s, const char *kw,
                          bool escape_braces) {
  const uint8_t *p = s->payload.ptr;
  size_t n = s->payload.len;
  if (n < 4 || memcmp(p + n - 4, "\r\n\r\n", 4) != 0) {
    fail(b, escape_braces
                ? "a raw request or response with literal placeholders does "
                  "not end in an empty line"
                : "a response does not end in an empty line");
    return;
  }
  n -= 4;
  putf(b, "%s\n", kw);
  if (n == 0) { /* two empty lines: CRLF CRLF */
    puts_(b, "\n\nend");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if (c == '{' && escape_braces)
      puts_(b, "\\{");
    else if (c == '{')
      puts_(b, "{");
    else if (c == '\\')
      puts_(b, "\\\\");
    else if (i == 0 && printable(c))
      putf(b, "\\x%02x", c); /* the line can never read as `end` */
    else if (printable(c))
      put(b, (const char *)&p[i], 1);
    else if (c == '\r')
      puts_(b, "\\r");
    else if (c == '\n')
      puts_(b, "\\n");
    else if (c == '\t')
      puts_(b, "\\t");
    else
      putf(b, "\\x%02x", c);
  }
  puts_(b, "\nend");
}

static void request_step(tbuf *b, const ws_step *s) {
  bool literal = has_placeholder(s->payload.ptr, s->payload.len);
  if (literal && !s->request_is_template) {
    request_block(b, s, "request", true);
    return;
  }
  if (!literal && s->request_is_template)
    fail(b, "a request marked as a template has no placeholder");
  puts_(b, "request-bytes ");
  put_payload(b, s->payload.ptr, s->payload.len);
}

static void handshake_step(tbuf *b, const ws_step *s) {
  puts_(b, "handshake");
  if (s->protocols) {
    puts_(b, " protocols=");
    put_quoted(b, (const uint8_t *)s->protocols, strlen(s->protocols));
  }
  if (s->extensions) {
    puts_(b, " extensions=");
    put_quoted(b, (const uint8_t *)s->extensions, strlen(s->extensions));
  }
  if (s->coalesce)
    puts_(b, " coalesce=yes");
}

static void put_step(tbuf *b, const ws_step *s) {
  if (s->label)
    putf(b, "%s: ", s->label);
  switch (s->kind) {
  case WS_STEP_FRAME:
    if (!short_frame(b, s))
      frame_form(b, s);
    break;
  case WS_STEP_FRAGMENTED:
    if (s->frame.opcode != WS_OP_TEXT && s->frame.opcode != WS_OP_BINARY)
      fail(b, "a fragmented step is neither text nor binary");
    putf(b, "fragmented %s ",
         s->frame.opcode == WS_OP_TEXT ? "text" : "binary");
    put_payload(b, s->payload.ptr, s->payload.len);
    putf(b, " in %zu", s->fragment_size);
    if (s->frame.rsv & WS_RSV1)
      puts_(b, " deflated");
    else if (!s->compress)
      puts_(b, " uncompressed");
    put_echo(b, s->echo);
    break;
  case WS_STEP_RAW:
    puts_(b, "raw ");
    put_payload(b, s->payload.ptr, s->payload.len);
    break;
  case WS_STEP_CHOP:
    s->number ? putf(b, "chop %llu", (unsigned long long)s->number)
              : puts_(b, "chop off");
    break;
  case WS_STEP_COALESCE:
    puts_(b, "coalesce");
    break;
  case WS_STEP_FLUSH:
    puts_(b, "flush");
    break;
  case WS_STEP_AWAIT:
    puts_(b, "await");
    break;
  case WS_STEP_WAIT:
    putf(b, "wait %llu", (unsigned long long)s->number);
    break;
  case WS_STEP_HANDSHAKE:
    handshake_step(b, s);
    break;
  case WS_STEP_REQUEST:
    request_step(b, s);
    break;
  case WS_STEP_RESPONSE:
    request_block(b, s, "response", !s->request_is_template);
    break;
  case WS_STEP_STREAM: {
    char text[160];
    ws_stream_step_text(s, text, sizeof text);
    puts_(b, text);
    break;
  }
  }
  puts_(b, "\n");
}

/* handshake/request/request-bytes replace the opening handshake: only
 * `chop` steps may come before them. */
static void check_opening(tbuf *b, const ws_case *c) {
  bool only_chops = true;
  for (size_t i = 0; i < c->step_count; i++) {
    enum ws_step_kind k = c->steps[i].kind;
    if ((k == WS_STEP_HANDSHAKE || k == WS_STEP_REQUEST ||
         k == WS_STEP_RESPONSE) &&
        !only_chops)
      fail(b, "a handshake, request or response step is not the first step");
    if (k != WS_STEP_CHOP)
      only_chops = false;
  }
}

/* ---- expectations ---- */

static void put_codes(tbuf *b, const ws_code_set *set, bool close) {
  const char *sep = "";
  for (size_t i = 0; i < set->count; i++, sep = ",")
    putf(b, "%s%u", sep, set->codes[i]);
  for (int cls = 1; !close && cls <= 5; cls++)
    if (set->classes & (1u << cls)) {
      putf(b, "%s%dxx", sep, cls);
      sep = ",";
    }
  if (set->any) {
    putf(b, "%sany", sep);
    sep = ",";
  }
  if (close && set->empty) {
    putf(b, "%sempty", sep);
    sep = ",";
  }
  if (close && set->valid)
    putf(b, "%svalid", sep);
}

static void put_pred(tbuf *b, const ws_predicate *pr) {
  puts_(b, ws_pred_kind_name(pr->kind));
  switch (pr->kind) {
  case WS_PRED_MESSAGES:
  case WS_PRED_PONGS:
    if (pr->min == pr->max)
      putf(b, " %u", pr->min);
    else
      putf(b, " %u..%u", pr->min, pr->max);
    break;
  case WS_PRED_CLOSE:
  case WS_PRED_STATUS:
    puts_(b, " ");
    put_codes(b, &pr->codes, pr->kind == WS_PRED_CLOSE);
    break;
  case WS_PRED_BEFORE:
    putf(b, " %s", pr->name ? pr->name : "");
    break;
  case WS_PRED_HEADER:
  case WS_PRED_NO_HEADER:
    putf(b, " %s", pr->name ? pr->name : "");
    if (pr->value && (strchr(pr->value, '|') || strchr(pr->value, '&')))
      fail(b, "a header value holds '|' or '&'");
    if (pr->value)
      putf(b, "%c%s", pr->value_is_token ? '~' : '=', pr->value);
    break;
  case WS_PRED_OFFERED:
  case WS_PRED_NOT_OFFERED:
    putf(b, " %s", pr->name ? pr->name : "");
    if (pr->value)
      putf(b, " %s", pr->value);
    break;
  default:
    break;
  }
}

static void put_outcome(tbuf *b, const ws_outcome *o) {
  putf(b, "%-14s", ws_verdict_name(o->grade));
  for (size_t a = 0; a < o->count; a++) {
    if (a)
      puts_(b, " | ");
    for (size_t i = 0; i < o->alts[a].count; i++) {
      if (i)
        puts_(b, " & ");
      put_pred(b, &o->alts[a].preds[i]);
    }
  }
  if (o->because) {
    if (strpbrk(o->because, "\"\r\n"))
      fail(b, "a because text holds a quote or a line break");
    puts_(b, " because \"");
    puts_(b, o->because);
    puts_(b, "\"");
  }
  puts_(b, "\n");
}

/* ---- info ---- */

static void put_info_line(tbuf *b, const char *key, const char *value) {
  if (!value)
    return;
  if (strpbrk(value, "\r\n") || !*value)
    fail(b, "an <info> value is empty or spans lines");
  putf(b, "%-12s", key);
  puts_(b, value);
  puts_(b, "\n");
}

static void put_info(tbuf *b, const ws_case *c) {
  puts_(b, "<info>\n");
  put_info_line(b, "id", c->id);
  put_info_line(b, "title", c->title);
  put_info_line(b, "area", c->area);
  put_info_line(b, "rfc", c->rfc);
  put_info_line(b, "level", ws_case_level_name(c->level));
  put_info_line(b, "autobahn", c->autobahn);
  if (c->timeout_ms && c->timeout_ms != WS_CASE_DEFAULT_TIMEOUT_MS)
    putf(b, "%-12s%u\n", "timeout", c->timeout_ms);
  if (c->serial)
    putf(b, "%-12syes\n", "serial");
  if (c->roles && c->roles != WS_ROLES_CLIENT)
    putf(b, "%-12s%s\n", "role", ws_case_roles_name(c->roles));
  put_info_line(b, "description", c->description);
  puts_(b, "</info>\n");
}

int ws_case_write(const ws_case *c, char **out, size_t *len, char *err,
                  size_t cap) {
  tbuf b = {.err = err, .err_cap = cap};
  put_info(&b, c);
  check_opening(&b, c);
  puts_(&b, "<send>\n");
  for (size_t i = 0; i < c->step_count; i++)
    put_step(&b, &c->steps[i]);
  puts_(&b, "</send>\n<expect>\n");
  for (size_t i = 0; i < c->outcome_count; i++)
    put_outcome(&b, &c->outcomes[i]);
  puts_(&b, "</expect>\n");
  if (b.text.failed)
    fail(&b, "out of memory");
  else if (b.text.len > WS_CASE_MAX_FILE)
    fail(&b, "the case text is larger than a case file may be (1 MiB)");
  if (b.failed) {
    ws_buf_free(&b.text);
    return -1;
  }
  *len = b.text.len;
  *out = ws_buf_take_str(&b.text);
  return 0;
}

/* ---- comparison ---- */

typedef struct diff {
  char *why;
  size_t cap;
  bool differ;
} diff;

__attribute__((format(printf, 2, 3))) static bool differ(diff *d,
                                                         const char *fmt, ...) {
  if (!d->differ && d->why && d->cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->why, d->cap, fmt, ap);
    va_end(ap);
  }
  d->differ = true;
  return false;
}

static bool same_str(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_bytes(const ws_bytes *a, const ws_bytes *b) {
  return a->len == b->len &&
         (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static bool same_frame(const ws_step_frame *a, const ws_step_frame *b) {
  return a->fin == b->fin && a->rsv == b->rsv && a->opcode == b->opcode &&
         a->mask == b->mask &&
         (a->mask != WS_MASK_FIXED ||
          memcmp(a->mask_key, b->mask_key, 4) == 0) &&
         a->length_form == b->length_form && a->lie_length == b->lie_length &&
         (!a->lie_length || a->declared_length == b->declared_length);
}

static bool same_step(diff *d, size_t i, const ws_step *a, const ws_step *b) {
  if (a->kind != b->kind)
    return differ(d, "step %zu: kind %s vs %s", i + 1,
                  ws_step_kind_name(a->kind), ws_step_kind_name(b->kind));
  if (!same_str(a->label, b->label))
    return differ(d, "step %zu: label", i + 1);
  if (a->echo != b->echo)
    return differ(d, "step %zu: echo", i + 1);
  if (!same_frame(&a->frame, &b->frame))
    return differ(d, "step %zu: frame header fields", i + 1);
  if (!same_bytes(&a->payload, &b->payload))
    return differ(d, "step %zu: payload (%zu vs %zu bytes)", i + 1,
                  a->payload.len, b->payload.len);
  if (a->fragment_size != b->fragment_size || a->number != b->number)
    return differ(d, "step %zu: fragment size or number", i + 1);
  if (!same_str(a->protocols, b->protocols) ||
      !same_str(a->extensions, b->extensions) || a->coalesce != b->coalesce)
    return differ(d, "step %zu: handshake options", i + 1);
  if (a->request_is_template != b->request_is_template)
    return differ(d, "step %zu: request template flag", i + 1);
  return true;
}

static bool same_codes(const ws_code_set *a, const ws_code_set *b) {
  return a->any == b->any && a->empty == b->empty && a->valid == b->valid &&
         a->classes == b->classes && a->count == b->count &&
         memcmp(a->codes, b->codes, a->count * sizeof a->codes[0]) == 0;
}

static bool same_pred(const ws_predicate *a, const ws_predicate *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case WS_PRED_MESSAGES:
  case WS_PRED_PONGS:
    return a->min == b->min && a->max == b->max;
  case WS_PRED_CLOSE:
  case WS_PRED_STATUS:
    return same_codes(&a->codes, &b->codes);
  case WS_PRED_BEFORE:
    return a->step_index == b->step_index && same_str(a->name, b->name);
  case WS_PRED_HEADER:
  case WS_PRED_NO_HEADER:
    return same_str(a->name, b->name) && same_str(a->value, b->value) &&
           a->value_is_token == b->value_is_token;
  case WS_PRED_OFFERED:
  case WS_PRED_NOT_OFFERED:
    return same_str(a->name, b->name) && same_str(a->value, b->value);
  default:
    return true;
  }
}

static bool same_outcome(diff *d, size_t i, const ws_outcome *a,
                         const ws_outcome *b) {
  if (a->grade != b->grade || a->count != b->count)
    return differ(d, "outcome %zu: grade or alternatives", i + 1);
  if (!same_str(a->because, b->because))
    return differ(d, "outcome %zu: because", i + 1);
  for (size_t k = 0; k < a->count; k++) {
    if (a->alts[k].count != b->alts[k].count)
      return differ(d, "outcome %zu: predicates of alternative %zu", i + 1,
                    k + 1);
    for (size_t j = 0; j < a->alts[k].count; j++)
      if (!same_pred(&a->alts[k].preds[j], &b->alts[k].preds[j]))
        return differ(d, "outcome %zu: predicate %zu.%zu (%s)", i + 1, k + 1,
                      j + 1, ws_pred_kind_name(a->alts[k].preds[j].kind));
  }
  return true;
}

static bool same_info(diff *d, const ws_case *a, const ws_case *b) {
  if (strcmp(a->id, b->id) != 0)
    return differ(d, "id %s vs %s", a->id, b->id);
  if (!same_str(a->title, b->title) || !same_str(a->area, b->area) ||
      !same_str(a->rfc, b->rfc) || a->level != b->level ||
      !same_str(a->autobahn, b->autobahn) ||
      !same_str(a->description, b->description))
    return differ(d, "%s: <info> text fields", a->id);
  if (a->timeout_ms != b->timeout_ms || a->serial != b->serial)
    return differ(d, "%s: timeout or serial", a->id);
  if ((a->roles ? a->roles : WS_ROLES_CLIENT) !=
      (b->roles ? b->roles : WS_ROLES_CLIENT))
    return differ(d, "%s: role", a->id);
  if (a->uses_alive != b->uses_alive || a->raw_handshake != b->raw_handshake ||
      a->about_handshake != b->about_handshake)
    return differ(d, "%s: derived flags", a->id);
  return true;
}

bool ws_case_equal(const ws_case *a, const ws_case *b, char *why, size_t cap) {
  diff d = {why, cap, false};
  if (!same_info(&d, a, b))
    return false;
  if (a->step_count != b->step_count)
    return differ(&d, "%s: %zu vs %zu steps", a->id, a->step_count,
                  b->step_count);
  for (size_t i = 0; i < a->step_count; i++)
    if (!same_step(&d, i, &a->steps[i], &b->steps[i]))
      return false;
  if (a->outcome_count != b->outcome_count)
    return differ(&d, "%s: %zu vs %zu outcomes", a->id, a->outcome_count,
                  b->outcome_count);
  for (size_t i = 0; i < a->outcome_count; i++)
    if (!same_outcome(&d, i, &a->outcomes[i], &b->outcomes[i]))
      return false;
  return true;
}
