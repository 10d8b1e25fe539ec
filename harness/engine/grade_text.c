/* The words of a result: predicates as written, why one did not hold, and a
 * compact account of what the peer did. */
#include "codec/errors.h"
#include "codec/frame.h"
#include "engine/grade_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ws_grade_quote(ws_buf *b, const uint8_t *bytes, size_t len, size_t max) {
  ws_buf_puts(b, "'");
  size_t shown = len < max ? len : max;
  for (size_t i = 0; i < shown; i++) {
    uint8_t c = bytes[i];
    if (c == '\'' || c == '\\')
      ws_buf_printf(b, "\\%c", c);
    else if (c >= 0x20 && c < 0x7F)
      ws_buf_putc(b, c);
    else
      ws_buf_printf(b, "\\x%02x", c);
  }
  ws_buf_puts(b, shown < len ? "'..." : "'");
}

/* ---- predicates as written ---- */

static void code_set_text(ws_buf *b, const ws_code_set *s) {
  size_t parts = 0;
#define PART(...)                                                              \
  do {                                                                         \
    ws_buf_printf(b, "%s", parts++ ? "," : "");                                \
    ws_buf_printf(b, __VA_ARGS__);                                             \
  } while (0)
  if (s->any)
    PART("any");
  if (s->empty)
    PART("empty");
  if (s->valid)
    PART("valid");
  for (int n = 1; n < 10; n++)
    if (s->classes & (1u << n))
      PART("%dxx", n);
  for (size_t i = 0; i < s->count && i < WS_CODE_SET_MAX; i++)
    PART("%u", (unsigned)s->codes[i]);
#undef PART
}

static void range_text(ws_buf *b, const char *word, uint32_t min,
                       uint32_t max) {
  if (min == max)
    ws_buf_printf(b, "%s %u", word, (unsigned)min);
  else
    ws_buf_printf(b, "%s %u..%u", word, (unsigned)min, (unsigned)max);
}

void ws_grade_pred_text(ws_buf *b, const ws_predicate *p) {
  switch (p->kind) {
  case WS_PRED_OTHERWISE:
    ws_buf_puts(b, "otherwise");
    break;
  case WS_PRED_ECHO:
    ws_buf_puts(b, "echo");
    break;
  case WS_PRED_PARTIAL_ECHO:
    ws_buf_puts(b, "partial-echo");
    break;
  case WS_PRED_MESSAGES:
    range_text(b, "messages", p->min, p->max);
    break;
  case WS_PRED_PONGS:
    range_text(b, "pongs", p->min, p->max);
    break;
  case WS_PRED_CLOSE:
  case WS_PRED_STATUS:
    ws_buf_puts(b, p->kind == WS_PRED_CLOSE ? "close " : "status ");
    code_set_text(b, &p->codes);
    break;
  case WS_PRED_NO_CLOSE:
    ws_buf_puts(b, "no-close");
    break;
  case WS_PRED_DROP:
    ws_buf_puts(b, "drop");
    break;
  case WS_PRED_BEFORE:
    ws_buf_printf(b, "before %s", p->name ? p->name : "?");
    break;
  case WS_PRED_NO_RESPONSE:
    ws_buf_puts(b, "no-response");
    break;
  case WS_PRED_UPGRADED:
    ws_buf_puts(b, "upgraded");
    break;
  case WS_PRED_HEADER:
    ws_buf_printf(b, "header %s%s%s", p->name ? p->name : "?",
                  p->value ? (p->value_is_token ? "~" : "=") : "",
                  p->value ? p->value : "");
    break;
  case WS_PRED_NO_HEADER:
    ws_buf_printf(b, "no-header %s", p->name ? p->name : "?");
    break;
  case WS_PRED_ALIVE:
    ws_buf_puts(b, "alive");
    break;
  case WS_PRED_LAST_PONG:
    ws_buf_puts(b, "last-pong");
    break;
  case WS_PRED_STREAM_ECHO:
    ws_buf_puts(b, "stream-echo");
    break;
  case WS_PRED_DEFLATE:
    ws_buf_puts(b, "deflate");
    if (p->min)
      ws_buf_printf(b, " offer=%u", p->min);
    break;
  case WS_PRED_NO_DEFLATE:
    ws_buf_puts(b, "no-deflate");
    break;
  case WS_PRED_OFFERED:
  case WS_PRED_NOT_OFFERED:
    ws_buf_printf(b, "%s %s%s%s", ws_pred_kind_name(p->kind),
                  p->name ? p->name : "?", p->value ? " " : "",
                  p->value ? p->value : "");
    break;
  }
}

void ws_grade_outcome_text(ws_buf *b, const ws_outcome *o) {
  if (o->text) {
    ws_buf_puts(b, o->text);
    return;
  }
  for (size_t i = 0; i < o->count; i++) {
    if (i)
      ws_buf_puts(b, " | ");
    for (size_t j = 0; j < o->alts[i].count; j++) {
      if (j)
        ws_buf_puts(b, " & ");
      ws_grade_pred_text(b, &o->alts[i].preds[j]);
    }
  }
}

/* ---- small descriptions ---- */

static const char *plural(size_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

static uint64_t event_len(const ws_obs_event *ev) {
  return ev->full_len > ev->len ? ev->full_len : ev->len;
}

/* "text, 5 bytes 'Hello'" */
static void message_desc(ws_buf *b, uint8_t opcode, const uint8_t *data,
                         size_t len, uint64_t full_len) {
  ws_buf_printf(b, "%s, %llu %s ", ws_opcode_name(opcode),
                (unsigned long long)full_len,
                plural((size_t)full_len, "byte", "bytes"));
  ws_grade_quote(b, data, len, 24);
}

static void reply_desc(ws_buf *b, const ws_reply *r, bool is_message) {
  if (is_message)
    message_desc(b, r->opcode, r->ptr, r->len, r->len);
  else
    ws_grade_quote(b, r->ptr, r->len, 24);
}

static void event_desc(ws_buf *b, const ws_obs_event *ev, bool is_message) {
  if (is_message)
    message_desc(b, ev->opcode, ev->data, ev->len, event_len(ev));
  else
    ws_grade_quote(b, ev->data, ev->len, 24);
}

/* "close 1000 'bye'" or "an empty close frame" */
static void close_desc(ws_buf *b, const ws_obs_event *cl) {
  if (cl->close_empty) {
    ws_buf_puts(b, "an empty close frame");
    return;
  }
  ws_buf_printf(b, "close %u", (unsigned)cl->close_code);
  if (cl->len) {
    ws_buf_puts(b, " ");
    ws_grade_quote(b, cl->data, cl->len, 40);
  }
}

/* What the peer did instead of closing, for close/drop/before. */
static void no_close_fact(const ws_grade_ctx *g, ws_buf *fact) {
  const ws_observation *obs = g->obs;
  if (obs->peer_closed_tcp)
    ws_buf_printf(fact, "the peer %s TCP without a close frame at %.1f ms",
                  obs->peer_reset ? "reset" : "closed", obs->tcp_end_t_ms);
  else if (obs->deadline_hit)
    ws_buf_printf(fact,
                  "the peer neither sent a close frame nor closed TCP "
                  "before the deadline (%.0f ms)",
                  obs->duration_ms);
  else
    ws_buf_printf(fact,
                  "the peer neither sent a close frame nor closed TCP "
                  "(the harness ended the case at %.1f ms)",
                  obs->duration_ms);
}

/* ---- explanations ---- */

/* Messages or pongs compared with the replies marked echo. */
static const char *explain_echo_list(const ws_reply *want, size_t want_count,
                                     const ws_obs_event *const *got,
                                     size_t got_count, bool is_message,
                                     ws_explanation *out) {
  const char *what = is_message ? "message" : "pong";
  const char *whats = is_message ? "messages" : "pongs";
  size_t common = want_count < got_count ? want_count : got_count;
  for (size_t i = 0; i < common; i++) {
    if (ws_grade_reply_matches(&want[i], got[i], is_message))
      continue;
    ws_buf_printf(&out->fact, "%s %zu differs: expected ", what, i + 1);
    reply_desc(&out->fact, &want[i], is_message);
    ws_buf_puts(&out->fact, ", got ");
    event_desc(&out->fact, got[i], is_message);
    ws_buf_puts(&out->sentence, ws_buf_str(&out->fact));
    return "echo-mismatch";
  }
  if (want_count == got_count)
    return NULL;
  ws_buf_printf(&out->sentence, "expected %zu %s echoed, got %zu", want_count,
                plural(want_count, what, whats), got_count);
  ws_buf_printf(&out->fact, "got %zu %s, %zu expected", got_count,
                plural(got_count, what, whats), want_count);
  return got_count < want_count ? "echo-missing" : "echo-unexpected";
}

static const char *explain_subsequence(const ws_reply *want, size_t want_count,
                                       const ws_obs_event *const *got,
                                       size_t got_count, bool is_message,
                                       ws_explanation *out) {
  size_t j = 0;
  for (size_t i = 0; i < got_count; i++) {
    while (j < want_count &&
           !ws_grade_reply_matches(&want[j], got[i], is_message))
      j++;
    if (j++ < want_count)
      continue;
    ws_buf_printf(&out->fact, "%s %zu (", is_message ? "message" : "pong",
                  i + 1);
    event_desc(&out->fact, got[i], is_message);
    ws_buf_printf(&out->fact,
                  ") is not one of the %zu expected echoes, in order",
                  want_count);
    ws_buf_printf(&out->sentence, "expected partial-echo, got %s",
                  ws_buf_str(&out->fact));
    return "echo-unexpected";
  }
  return NULL;
}

static void explain_echo(const ws_grade_ctx *g, bool partial,
                         ws_explanation *out) {
  const char *code;
  if (partial) {
    code = explain_subsequence(g->exp.msgs, g->exp.msg_count, g->msgs,
                               g->msg_count, true, out);
    if (!code)
      code = explain_subsequence(g->exp.pongs, g->exp.pong_count, g->pongs,
                                 g->pong_count, false, out);
  } else {
    code = explain_echo_list(g->exp.msgs, g->exp.msg_count, g->msgs,
                             g->msg_count, true, out);
    if (!code)
      code = explain_echo_list(g->exp.pongs, g->exp.pong_count, g->pongs,
                               g->pong_count, false, out);
  }
  out->code = code ? code : "echo-missing";
}

static void explain_count(const ws_predicate *p, size_t got, const char *what,
                          const char *whats, ws_explanation *out) {
  out->code = p->kind == WS_PRED_MESSAGES ? "messages" : "pongs";
  ws_buf_puts(&out->sentence, "expected ");
  if (p->min == p->max)
    ws_buf_printf(&out->sentence, "%u %s", (unsigned)p->min,
                  plural(p->min, what, whats));
  else
    ws_buf_printf(&out->sentence, "%u..%u %s", (unsigned)p->min,
                  (unsigned)p->max, whats);
  ws_buf_printf(&out->fact, "got %zu %s", got, plural(got, what, whats));
  ws_buf_printf(&out->sentence, ", got %zu", got);
}

static void explain_close(const ws_grade_ctx *g, const ws_predicate *p,
                          ws_explanation *out) {
  if (g->close) {
    out->code = "close-code";
    ws_buf_puts(&out->fact, "got ");
    close_desc(&out->fact, g->close);
  } else {
    out->code = g->obs->peer_closed_tcp ? "drop" : "no-close";
    no_close_fact(g, &out->fact);
  }
  ws_buf_puts(&out->sentence, "expected ");
  ws_grade_pred_text(&out->sentence, p);
  ws_buf_printf(&out->sentence, ", %s", ws_buf_str(&out->fact));
}

static void explain_before(const ws_grade_ctx *g, const ws_predicate *p,
                           ws_explanation *out) {
  const ws_step *s =
      p->step_index < g->c->step_count ? &g->c->steps[p->step_index] : NULL;
  size_t at = 0;
  double t = 0;
  bool failed = true;
  if (g->close) {
    at = g->close->steps_started;
    t = g->close->t_ms;
  } else if (g->obs->peer_closed_tcp) {
    at = g->obs->tcp_end_steps_started;
    t = g->obs->tcp_end_t_ms;
  } else {
    failed = false;
  }
  if (failed)
    ws_buf_printf(&out->fact,
                  "the peer failed the connection at %.1f ms, after %zu "
                  "step%s had started",
                  t, at, at == 1 ? "" : "s");
  else
    ws_buf_puts(&out->fact, "the peer did not fail the connection");
  out->code = failed ? "late-fail" : "no-fail";
  ws_buf_printf(&out->sentence,
                "expected the peer to fail the connection before step '%s'",
                p->name ? p->name : "?");
  if (s)
    ws_buf_printf(&out->sentence, " (line %d)", s->line);
  ws_buf_printf(&out->sentence, ", but %s", ws_buf_str(&out->fact));
}

static void response_fact(const ws_observation *obs, ws_buf *fact) {
  if (obs->role == WS_ROLE_SERVER) {
    /* As the server the HTTP message read is the client's request, with no
     * status to quote; the lines are only graded once it was answered (an
     * incomplete or refused request is decided by grade.c's request gate). */
    ws_buf_puts(fact, "answered the client's request");
  } else if (!obs->response_complete) {
    ws_buf_puts(fact, "got no complete HTTP response");
  } else {
    ws_buf_printf(fact, "got status %d", obs->status);
  }
}

static const ws_obs_header *find_header(const ws_observation *obs,
                                        const char *name) {
  for (size_t i = 0; name && i < obs->header_count; i++)
    if (obs->headers[i].name && strcasecmp(obs->headers[i].name, name) == 0)
      return &obs->headers[i];
  return NULL;
}

static void explain_handshake(const ws_grade_ctx *g, const ws_predicate *p,
                              ws_explanation *out) {
  const ws_observation *obs = g->obs;
  const ws_obs_header *h = find_header(obs, p->name);
  switch (p->kind) {
  case WS_PRED_STATUS:
    out->code = "status";
    if (obs->response_complete && obs->role != WS_ROLE_SERVER)
      ws_buf_printf(&out->fact, "got %d", obs->status);
    else
      response_fact(obs, &out->fact);
    break;
  case WS_PRED_NO_RESPONSE:
    out->code = "response";
    response_fact(obs, &out->fact);
    break;
  case WS_PRED_UPGRADED:
    out->code = "not-upgraded";
    response_fact(obs, &out->fact);
    if (obs->response_complete && obs->status == 101 && obs->upgrade_error)
      ws_buf_printf(&out->fact, ", but %s",
                    ws_error_message(obs->upgrade_error));
    break;
  default: /* HEADER, NO_HEADER */
    out->code = "header";
    if (!obs->response_complete)
      response_fact(obs, &out->fact);
    else if (h)
      ws_buf_printf(&out->fact, "got %s: %s", h->name,
                    h->value ? h->value : "");
    else
      ws_buf_printf(&out->fact, "got no %s header", p->name ? p->name : "?");
  }
  ws_buf_puts(&out->sentence, "expected ");
  ws_grade_pred_text(&out->sentence, p);
  ws_buf_printf(&out->sentence, ", %s", ws_buf_str(&out->fact));
}

/* `deflate` / `no-deflate`: what the handshake settled. */
static void deflate_fact(const ws_observation *obs, ws_explanation *out) {
  if (!obs->upgraded) {
    out->code = "not-upgraded";
    ws_buf_puts(&out->fact, "the connection was not upgraded");
  } else if (!obs->deflate) {
    out->code = "deflate-declined";
    ws_buf_puts(&out->fact, "permessage-deflate was not agreed");
  } else {
    out->code = "deflate-accepted";
    ws_buf_printf(&out->fact,
                  "the server accepted permessage-deflate offer %zu",
                  obs->deflate_offer);
  }
}

/* `stream-echo`: the first message that came back different, else how far
 * the stream got. */
static void stream_fact(const ws_observation *obs, ws_explanation *out) {
  if (obs->stream_mismatched > 0) {
    out->code = "stream-mismatch";
    ws_buf_printf(&out->fact,
                  "%llu of %llu streamed messages came back "
                  "different",
                  (unsigned long long)obs->stream_mismatched,
                  (unsigned long long)obs->stream_expected);
  } else {
    out->code = "stream-incomplete";
    ws_buf_printf(&out->fact,
                  "%llu of %llu streamed messages echoed (%llu sent)",
                  (unsigned long long)obs->stream_echoed,
                  (unsigned long long)obs->stream_expected,
                  (unsigned long long)obs->stream_sent);
  }
  if (obs->stream_problem)
    ws_buf_printf(&out->fact, "; %s", obs->stream_problem);
}

/* `offered` / `not-offered`: what the client's request offered. */
static void offer_fact(const ws_observation *obs, ws_buf *fact) {
  bool any = false;
  for (size_t i = 0; i < obs->header_count; i++) {
    const ws_obs_header *h = &obs->headers[i];
    if (h->name && strcasecmp(h->name, "Sec-WebSocket-Extensions") == 0) {
      ws_buf_printf(fact, "%sthe client offered %s", any ? "; " : "",
                    h->value ? h->value : "");
      any = true;
    }
  }
  if (!any)
    ws_buf_puts(fact, "the client offered no extension");
}

static void explain_simple(const ws_grade_ctx *g, const ws_predicate *p,
                           ws_explanation *out) {
  switch (p->kind) {
  case WS_PRED_NO_CLOSE:
    out->code = "close-unexpected";
    ws_buf_puts(&out->fact, "got ");
    close_desc(&out->fact, g->close);
    break;
  case WS_PRED_DROP:
    if (g->close) {
      out->code = "close-not-drop";
      ws_buf_puts(&out->fact, "got ");
      close_desc(&out->fact, g->close);
    } else {
      out->code = "no-drop";
      no_close_fact(g, &out->fact);
    }
    break;
  case WS_PRED_LAST_PONG:
    out->code = "last-pong-missing";
    ws_buf_puts(&out->fact, "the latest ping marked echo got no pong");
    break;
  case WS_PRED_STREAM_ECHO:
    stream_fact(g->obs, out);
    break;
  case WS_PRED_DEFLATE:
  case WS_PRED_NO_DEFLATE:
    deflate_fact(g->obs, out);
    break;
  case WS_PRED_OFFERED:
  case WS_PRED_NOT_OFFERED:
    out->code = "offer-differs";
    offer_fact(g->obs, &out->fact);
    break;
  case WS_PRED_ALIVE:
    out->code = "not-alive";
    /* As the server the harness cannot open a connection to its client:
     * whoever runs it (wsprobe serve) says whether the client lived on. */
    ws_buf_puts(&out->fact,
                g->obs->alive < 0 ? "the liveness probe did not run"
                : g->obs->role == WS_ROLE_SERVER
                    ? "the client under test did not live on after the case"
                    : "the target did not complete a handshake and an echo "
                      "on a new connection after the case");
    break;
  default:
    out->code = "no-match";
    ws_buf_puts(&out->fact, "it did not hold");
  }
  ws_buf_puts(&out->sentence, "expected ");
  ws_grade_pred_text(&out->sentence, p);
  ws_buf_printf(&out->sentence, ", %s", ws_buf_str(&out->fact));
}

void ws_grade_explain(const ws_grade_ctx *g, const ws_predicate *p,
                      ws_explanation *out) {
  switch (p->kind) {
  case WS_PRED_ECHO:
  case WS_PRED_PARTIAL_ECHO:
    explain_echo(g, p->kind == WS_PRED_PARTIAL_ECHO, out);
    break;
  case WS_PRED_MESSAGES:
    explain_count(p, g->msg_total, "message", "messages", out);
    break;
  case WS_PRED_PONGS:
    explain_count(p, g->pong_total, "pong", "pongs", out);
    break;
  case WS_PRED_CLOSE:
    explain_close(g, p, out);
    break;
  case WS_PRED_BEFORE:
    explain_before(g, p, out);
    break;
  case WS_PRED_STATUS:
  case WS_PRED_NO_RESPONSE:
  case WS_PRED_UPGRADED:
  case WS_PRED_HEADER:
  case WS_PRED_NO_HEADER:
    explain_handshake(g, p, out);
    break;
  default:
    explain_simple(g, p, out);
  }
}

void ws_grade_rfc_text(ws_buf *b, const char *rfc) {
  /* "6455#5.5, 7692#7.2.1": numbers, '#', '.', ',' and blanks. */
  bool start = true;
  for (const char *p = rfc; *p; p++) {
    if (*p == ',') {
      ws_buf_puts(b, ", ");
      start = true;
    } else if (*p == ' ' || *p == '\t') {
      continue;
    } else {
      if (start)
        ws_buf_puts(b, "RFC ");
      start = false;
      ws_buf_putc(b, *p == '#' ? ' ' : (uint8_t)*p);
    }
  }
}

/* ---- observed ---- */

static void observed_replies(const ws_grade_ctx *g, ws_buf *b) {
  if (g->msg_total == 1 && g->msg_count == 1) {
    ws_buf_puts(b, "; 1 message (");
    message_desc(b, g->msgs[0]->opcode, g->msgs[0]->data, g->msgs[0]->len,
                 event_len(g->msgs[0]));
    ws_buf_puts(b, ")");
  } else if (g->msg_total > 1) {
    uint64_t total = 0;
    for (size_t i = 0; i < g->msg_count; i++)
      total += event_len(g->msgs[i]);
    ws_buf_printf(b, "; %zu messages (%llu bytes in all%s)", g->msg_total,
                  (unsigned long long)total,
                  g->msg_total > g->msg_count ? " of those kept" : "");
  }
  if (g->pong_count == 1) {
    ws_buf_puts(b, "; pong ");
    ws_grade_quote(b, g->pongs[0]->data, g->pongs[0]->len, 24);
  } else if (g->pong_total > 1) {
    ws_buf_printf(b, "; %zu pongs", g->pong_total);
  }
  if (g->ping_count)
    ws_buf_printf(b, "; %zu %s from the peer (answered)", g->ping_count,
                  plural(g->ping_count, "ping", "pings"));
  const ws_observation *obs = g->obs;
  if (obs->stream_expected)
    ws_buf_printf(b, "; stream: %llu of %llu echoed",
                  (unsigned long long)obs->stream_echoed,
                  (unsigned long long)obs->stream_expected);
  if (obs->stream_mismatched)
    ws_buf_printf(b, ", %llu different",
                  (unsigned long long)obs->stream_mismatched);
}

static void observed_end(const ws_grade_ctx *g, ws_buf *b) {
  const ws_observation *obs = g->obs;
  if (g->violation)
    ws_buf_printf(b, "; violation: %s at %.1f ms",
                  ws_error_message(g->violation->violation),
                  g->violation->t_ms);
  if (g->close) {
    ws_buf_puts(b, "; ");
    close_desc(b, g->close);
    ws_buf_printf(b, " from peer at %.1f ms", g->close->t_ms);
  } else if (obs->upgraded) {
    ws_buf_puts(b, "; no close frame");
  }
  if (obs->peer_closed_tcp)
    ws_buf_printf(b, "; TCP %s by peer at %.1f ms",
                  obs->peer_reset ? "reset" : "closed", obs->tcp_end_t_ms);
  else if (obs->deadline_hit)
    ws_buf_printf(b, "; connection still open at the deadline (%.0f ms)",
                  obs->duration_ms);
  else
    ws_buf_puts(b, "; TCP closed by the harness");
  if (obs->closing_handshake && obs->peer_closed_tcp && !obs->peer_closed_first)
    ws_buf_puts(b, " (after the harness)");
  if (obs->send_error)
    ws_buf_printf(b, "; write failed: %s", strerror(obs->send_error));
  if (obs->alive >= 0)
    ws_buf_puts(b, obs->alive ? "; alive after the case"
                              : "; not alive after the case");
}

void ws_grade_observed_text(const ws_grade_ctx *g, ws_buf *b) {
  const ws_observation *obs = g->obs;
  if (obs->harness_error) {
    ws_buf_printf(b, "harness error: %s", obs->harness_error);
    return;
  }
  if (obs->role == WS_ROLE_SERVER) {
    /* As the server, the HTTP message read is the client's request. */
    if (!obs->response_complete)
      ws_buf_puts(b, "no complete opening request");
    else if (obs->upgraded)
      ws_buf_puts(b, "request answered as the case says");
    else
      ws_buf_printf(b, "request refused: %s",
                    ws_error_message(obs->upgrade_error));
  } else if (!obs->response_complete) {
    ws_buf_puts(b, "no complete HTTP response");
  } else {
    ws_buf_printf(b, "status %d", obs->status);
    if (obs->status == 101 && !obs->upgraded && obs->upgrade_error)
      ws_buf_printf(b, " (not a valid upgrade: %s)",
                    ws_error_message(obs->upgrade_error));
  }
  observed_replies(g, b);
  observed_end(g, b);
}
