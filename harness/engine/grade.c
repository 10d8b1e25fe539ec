/* The verdict engine (cases/FORMAT.md "<expect>" and the global rules).
 * This file decides; grade_text.c finds the words. */
#include "engine/grade.h"
#include "codec/close.h"
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/header_values.h"
#include "engine/grade_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- predicates ---- */

bool ws_grade_reply_matches(const ws_reply *r, const ws_obs_event *ev,
                            bool is_message) {
  /* A message cut by the observation's bound keeps a prefix and its full
   * length: compare both. */
  uint64_t full = is_message && ev->full_len > ev->len ? ev->full_len : ev->len;
  if (is_message && ev->opcode != r->opcode)
    return false;
  /* A message kept only in part cannot be shown to match: no claim of an
   * echo is made on bytes that were not compared. */
  if (full != r->len || ev->len != r->len)
    return false;
  return ev->len == 0 || memcmp(ev->data, r->ptr, ev->len) == 0;
}

static bool all_echoed(const ws_reply *want, size_t want_count,
                       const ws_obs_event *const *got, size_t got_count,
                       bool is_message) {
  if (want_count != got_count)
    return false;
  for (size_t i = 0; i < got_count; i++)
    if (!ws_grade_reply_matches(&want[i], got[i], is_message))
      return false;
  return true;
}

/* got is an in-order subsequence of want. Taking the earliest match for each
 * received reply is optimal for a subsequence test. */
static bool subsequence(const ws_reply *want, size_t want_count,
                        const ws_obs_event *const *got, size_t got_count,
                        bool is_message) {
  size_t j = 0;
  for (size_t i = 0; i < got_count; i++) {
    while (j < want_count &&
           !ws_grade_reply_matches(&want[j], got[i], is_message))
      j++;
    if (j == want_count)
      return false;
    j++;
  }
  return true;
}

static bool code_in_set(const ws_code_set *s, uint16_t code) {
  for (size_t i = 0; i < s->count && i < WS_CODE_SET_MAX; i++)
    if (s->codes[i] == code)
      return true;
  return false;
}

static bool close_matches(const ws_grade_ctx *g, const ws_code_set *s) {
  const ws_obs_event *cl = g->close;
  if (!cl)
    return false;
  if (s->any)
    return true;
  if (cl->close_empty)
    return s->empty;
  if (s->valid && ws_close_code_is_valid(cl->close_code))
    return true;
  return code_in_set(s, cl->close_code);
}

static bool status_matches(const ws_observation *obs, const ws_code_set *s) {
  if (!obs->response_complete)
    return false;
  if (s->any)
    return true;
  int st = obs->status;
  if (st >= 100 && st < 1000 && (s->classes & (1u << (st / 100))))
    return true;
  return st >= 0 && st <= 0xFFFF && code_in_set(s, (uint16_t)st);
}

/* Header values compare case-insensitively after trimming spaces and tabs. */
static bool value_equals(const char *have, const char *want) {
  while (*have == ' ' || *have == '\t')
    have++;
  while (*want == ' ' || *want == '\t')
    want++;
  size_t hn = strlen(have), wn = strlen(want);
  while (hn && (have[hn - 1] == ' ' || have[hn - 1] == '\t'))
    hn--;
  while (wn && (want[wn - 1] == ' ' || want[wn - 1] == '\t'))
    wn--;
  return hn == wn && strncasecmp(have, want, hn) == 0;
}

static bool value_matches(const char *have, const ws_predicate *p) {
  if (p->value_is_token)
    return ws_list_has_token(have, strlen(have), p->value);
  return value_equals(have, p->value);
}

/* A header named p->name (any letter case), with a matching value when the
 * predicate gives one. */
static bool has_header(const ws_observation *obs, const ws_predicate *p) {
  for (size_t i = 0; i < obs->header_count; i++) {
    const ws_obs_header *h = &obs->headers[i];
    if (h->name && strcasecmp(h->name, p->name) == 0 &&
        (!p->value || value_matches(h->value ? h->value : "", p)))
      return true;
  }
  return false;
}

/* offered / not-offered: whether the request's Sec-WebSocket-Extensions
 * (every instance: RFC 6455 9.1 lets it repeat) offers extension p->name,
 * with parameter p->value in that offer when given. In the server role the
 * observation's headers are the client's request. A list that does not
 * parse offers nothing. */
static bool offers(const ws_observation *obs, const ws_predicate *p) {
  ws_extension_list list;
  ws_extension_list_init(&list);
  for (size_t i = 0; i < obs->header_count; i++) {
    const ws_obs_header *h = &obs->headers[i];
    if (h->name && h->value &&
        strcasecmp(h->name, "Sec-WebSocket-Extensions") == 0 &&
        ws_extensions_parse(h->value, strlen(h->value), &list) != 0)
      return false;
  }
  for (size_t i = 0; i < list.count; i++) {
    const ws_extension *e = &list.items[i];
    if (!p->name || !ws_span_ieq(e->name, p->name))
      continue;
    if (!p->value)
      return true;
    for (size_t k = 0; k < e->param_count; k++)
      if (ws_span_ieq(e->params[k].name, p->value))
        return true;
  }
  return false;
}

/* When the peer failed the connection: the steps started at its close frame,
 * else at its TCP close; false when it did neither. */
static bool failed_at(const ws_grade_ctx *g, size_t *steps_started) {
  if (g->close) {
    *steps_started = g->close->steps_started;
    return true;
  }
  if (g->obs->peer_closed_tcp) {
    *steps_started = g->obs->tcp_end_steps_started;
    return true;
  }
  return false;
}

bool ws_grade_last_pong_in(const ws_grade_ctx *g) {
  if (g->exp.pong_count == 0)
    return false;
  const ws_reply *last = &g->exp.pongs[g->exp.pong_count - 1];
  for (size_t i = 0; i < g->pong_count; i++)
    if (ws_grade_reply_matches(last, g->pongs[i], false))
      return true;
  return false;
}

bool ws_grade_pred_holds(const ws_grade_ctx *g, const ws_predicate *p) {
  const ws_observation *obs = g->obs;
  size_t at;
  switch (p->kind) {
  case WS_PRED_OTHERWISE:
    return true;
  case WS_PRED_ECHO:
    return g->msg_total == g->msg_count && g->pong_total == g->pong_count &&
           all_echoed(g->exp.msgs, g->exp.msg_count, g->msgs, g->msg_count,
                      true) &&
           all_echoed(g->exp.pongs, g->exp.pong_count, g->pongs, g->pong_count,
                      false);
  case WS_PRED_PARTIAL_ECHO:
    return subsequence(g->exp.msgs, g->exp.msg_count, g->msgs, g->msg_count,
                       true) &&
           subsequence(g->exp.pongs, g->exp.pong_count, g->pongs, g->pong_count,
                       false);
  case WS_PRED_MESSAGES:
    return g->msg_total >= p->min && g->msg_total <= p->max;
  case WS_PRED_PONGS:
    return g->pong_total >= p->min && g->pong_total <= p->max;
  case WS_PRED_LAST_PONG:
    return ws_grade_last_pong_in(g);
  case WS_PRED_CLOSE:
    return close_matches(g, &p->codes);
  case WS_PRED_NO_CLOSE:
    return g->close == NULL;
  case WS_PRED_DROP:
    return obs->peer_closed_tcp && g->close == NULL;
  case WS_PRED_BEFORE:
    /* Step k (0-based) has not started while steps_started <= k. */
    return failed_at(g, &at) && at <= p->step_index;
  case WS_PRED_STATUS:
    return status_matches(obs, &p->codes);
  case WS_PRED_NO_RESPONSE:
    return !obs->response_complete;
  case WS_PRED_UPGRADED:
    return obs->upgraded;
  case WS_PRED_HEADER:
    return p->name && has_header(obs, p);
  case WS_PRED_NO_HEADER:
    return p->name && !has_header(obs, p);
  case WS_PRED_ALIVE:
    return obs->alive == 1;
  case WS_PRED_STREAM_ECHO:
    return obs->stream_echoed == obs->stream_expected &&
           obs->stream_mismatched == 0;
  case WS_PRED_DEFLATE:
    return obs->upgraded && obs->deflate &&
           (p->min == 0 || obs->deflate_offer == p->min);
  case WS_PRED_NO_DEFLATE:
    return obs->upgraded && !obs->deflate;
  case WS_PRED_OFFERED:
    return offers(obs, p);
  case WS_PRED_NOT_OFFERED:
    return !offers(obs, p);
  }
  return false;
}

/* ---- lines ---- */

static bool alternative_holds(const ws_grade_ctx *g, const ws_alternative *a) {
  for (size_t i = 0; i < a->count; i++)
    if (!ws_grade_pred_holds(g, &a->preds[i]))
      return false;
  return true;
}

static bool outcome_holds(const ws_grade_ctx *g, const ws_outcome *o) {
  for (size_t i = 0; i < o->count; i++)
    if (alternative_holds(g, &o->alts[i]))
      return true;
  return false;
}

static int ctx_init(ws_grade_ctx *g, const ws_case *c,
                    const ws_observation *obs) {
  memset(g, 0, sizeof *g);
  g->c = c;
  g->obs = obs;
  size_t n = obs->event_count ? obs->event_count : 1;
  g->msgs = malloc(n * sizeof *g->msgs);
  g->pongs = malloc(n * sizeof *g->pongs);
  if (!g->msgs || !g->pongs ||
      ws_expected_build(c, c->step_count, &g->exp) != 0)
    return -1;
  g->msg_total = obs->kind_total[WS_OBS_MESSAGE];
  g->pong_total = obs->kind_total[WS_OBS_PONG];
  g->ping_count = obs->kind_total[WS_OBS_PING];
  for (size_t i = 0; i < obs->event_count; i++) {
    const ws_obs_event *ev = &obs->events[i];
    switch (ev->kind) {
    case WS_OBS_MESSAGE:
      g->msgs[g->msg_count++] = ev;
      break;
    case WS_OBS_PONG:
      g->pongs[g->pong_count++] = ev;
      break;
    case WS_OBS_PING:
      break;
    case WS_OBS_CLOSE:
      if (!g->close)
        g->close = ev;
      break;
    case WS_OBS_VIOLATION:
      if (!g->violation)
        g->violation = ev;
      g->violation_count++;
      break;
    }
  }
  return 0;
}

static void ctx_free(ws_grade_ctx *g) {
  free(g->msgs);
  free(g->pongs);
  ws_expected_free(&g->exp);
}

/* ---- the result ---- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static bool copy_case_info(const ws_case *c, ws_case_result *out) {
  out->id = strdup(c->id);
  out->title = strdup(c->title ? c->title : "");
  out->area = strdup(c->area ? c->area : "");
  out->rfc = strdup(c->rfc ? c->rfc : "");
  out->level = strdup(ws_case_level_name(c->level));
  out->autobahn = dup_or_null(c->autobahn);
  return out->id && out->title && out->area && out->rfc && out->level &&
         (out->autobahn || !c->autobahn);
}

/* Who sent the first close frame: the peer when its close arrived before the
 * harness had started a close step of its own. */
static const char *close_initiator(const ws_grade_ctx *g) {
  size_t first_close_step = (size_t)-1;
  for (size_t i = 0; i < g->c->step_count; i++) {
    const ws_step *s = &g->c->steps[i];
    if (s->kind == WS_STEP_FRAME && s->frame.opcode == WS_OP_CLOSE) {
      first_close_step = i;
      break;
    }
  }
  if (g->close &&
      (!g->obs->close_sent || g->close->steps_started <= first_close_step))
    return "peer";
  if (g->obs->close_sent)
    return "harness";
  return g->close ? "peer" : "none";
}

static bool fill_close(const ws_grade_ctx *g, ws_case_result *out) {
  out->has_close = g->close != NULL;
  out->close_by = close_initiator(g);
  out->close_clean = g->obs->closing_handshake && g->obs->peer_closed_tcp;
  if (!g->close) {
    out->close_reason = strdup("");
    return out->close_reason != NULL;
  }
  out->close_code = g->close->close_code;
  out->close_empty = g->close->close_empty;
  out->close_reason = malloc(g->close->len + 1);
  if (!out->close_reason)
    return false;
  if (g->close->len)
    memcpy(out->close_reason, g->close->data, g->close->len);
  out->close_reason[g->close->len] = '\0';
  return true;
}

static bool fill_deflate(const ws_observation *obs, ws_case_result *out) {
  if (!obs->deflate)
    return true;
  const ws_pmd_agreement *a = &obs->deflate_agreement;
  char text[160];
  snprintf(text, sizeof text,
           "server_window_bits=%d client_window_bits=%d "
           "server_no_context_takeover=%s client_no_context_takeover=%s",
           a->server_window_bits, a->client_window_bits,
           a->server_no_context_takeover ? "yes" : "no",
           a->client_no_context_takeover ? "yes" : "no");
  out->deflate = strdup(text);
  return out->deflate != NULL;
}

static const char *wire_dir_name(enum ws_wire_dir d) {
  return d == WS_WIRE_TX ? "tx" : d == WS_WIRE_RX ? "rx" : "note";
}

static bool copy_wire(const ws_observation *obs, ws_case_result *out) {
  out->wire_truncated = obs->wire_truncated;
  out->wire_dropped = obs->wire_dropped;
  if (obs->wire_count == 0)
    return true;
  out->wire = calloc(obs->wire_count, sizeof *out->wire);
  if (!out->wire)
    return false;
  for (size_t i = 0; i < obs->wire_count; i++) {
    const ws_wire_entry *e = &obs->wire[i];
    ws_result_wire *w = &out->wire[i];
    out->wire_count = i + 1; /* so a failure frees what was copied */
    w->t_ms = e->t_ms;
    w->dir = wire_dir_name(e->dir);
    if (e->len) {
      w->bytes = malloc(e->len);
      if (!w->bytes)
        return false;
      memcpy(w->bytes, e->bytes, e->len);
      w->len = e->len;
    }
    if (e->note && !(w->note = strdup(e->note)))
      return false;
  }
  return true;
}

/* The line a non-pass verdict is explained against: the first pass line,
 * or, in a case that has none (one that only records behaviour, graded
 * informational), its first line that is not a fail. */
static const ws_outcome *reference_line(const ws_case *c) {
  for (size_t i = 0; i < c->outcome_count; i++)
    if (c->outcomes[i].grade == WS_VERDICT_PASS)
      return &c->outcomes[i];
  for (size_t i = 0; i < c->outcome_count; i++)
    if (c->outcomes[i].grade != WS_VERDICT_FAIL)
      return &c->outcomes[i];
  return NULL;
}

/* Why the reference line (the first pass line) did not hold: its first
 * alternative's first failing predicate. A line of one alternative is explained
 * by that predicate's own sentence; with several alternatives the sentence
 * names the whole line ("expected close 1002 | drop, got close 1000"). */
static const char *explain_pass_line(const ws_grade_ctx *g,
                                     const ws_outcome *pass, ws_buf *reason) {
  const ws_alternative *alt = pass->count ? &pass->alts[0] : NULL;
  const ws_predicate *failing = NULL;
  for (size_t i = 0; alt && i < alt->count && !failing; i++)
    if (!ws_grade_pred_holds(g, &alt->preds[i]))
      failing = &alt->preds[i];
  if (!failing) {
    ws_buf_puts(reason, "the pass condition did not hold");
    return "no-match";
  }
  ws_explanation ex = {0};
  ws_grade_explain(g, failing, &ex);
  if (pass->count > 1) {
    ws_buf_puts(reason, "expected ");
    ws_grade_outcome_text(reason, pass);
    ws_buf_printf(reason, ", %s", ws_buf_str(&ex.fact));
  } else {
    ws_buf_puts(reason, ws_buf_str(&ex.sentence));
  }
  ws_buf_free(&ex.sentence);
  ws_buf_free(&ex.fact);
  return ex.code;
}

/* A bare `otherwise` line adds nothing to a reason worth saying. */
static bool is_otherwise(const ws_outcome *o) {
  for (size_t i = 0; i < o->count; i++)
    if (o->alts[i].count == 1 && o->alts[i].preds[0].kind == WS_PRED_OTHERWISE)
      return true;
  return false;
}

/* Returns the line that held, or NULL. */
static const ws_outcome *set_verdict_by_lines(const ws_grade_ctx *g,
                                              ws_case_result *out,
                                              ws_buf *reason) {
  const ws_case *c = g->c;
  const ws_outcome *matched = NULL;
  for (size_t i = 0; i < c->outcome_count && !matched; i++)
    if (outcome_holds(g, &c->outcomes[i]))
      matched = &c->outcomes[i];
  out->verdict = matched ? matched->grade : WS_VERDICT_FAIL;
  if (out->verdict == WS_VERDICT_PASS) {
    out->reason_code = strdup("");
    return matched;
  }
  const ws_outcome *ref = reference_line(c);
  const char *code;
  if (matched && matched->because) {
    /* The case says why in its own words; what missed the pass line, when
     * there is one, follows in brackets. */
    ws_buf_puts(reason, matched->because);
    code = "matched-line";
    /* An earlier line may decide over a pass line that held too (an
     * `unimplemented` the case could not test): nothing missed it then. */
    if (ref && ref != matched && ref->grade == WS_VERDICT_PASS &&
        !outcome_holds(g, ref)) {
      ws_buf missed = {0};
      code = explain_pass_line(g, ref, &missed);
      ws_buf_printf(reason, " (%s)", ws_buf_str(&missed));
      ws_buf_free(&missed);
    }
  } else if (ref && ref != matched) {
    code = explain_pass_line(g, ref, reason);
  } else {
    code = matched ? "matched-line" : "no-match";
    if (!matched)
      ws_buf_puts(reason, "no expectation line matched");
  }
  if (matched && !matched->because &&
      !(matched->grade == WS_VERDICT_FAIL && is_otherwise(matched))) {
    bool explained = reason->len > 0;
    ws_buf_printf(reason, "%smatched %s: ", explained ? " (" : "",
                  ws_verdict_name(matched->grade));
    ws_grade_outcome_text(reason, matched);
    if (explained)
      ws_buf_puts(reason, ")");
  }
  if (reason->len == 0) { /* only `fail otherwise` lines, and one matched */
    ws_buf_puts(reason, "no expectation line matched");
    code = "no-match";
  }
  out->reason_code = strdup(code);
  return matched;
}

/* The first violation's message and the rule it breaks; a repeat of it is
 * counted, other kinds are named after it ("...; also: text message is not
 * valid UTF-8"). */
static void violation_reason(const ws_grade_ctx *g, ws_buf *reason) {
  const ws_observation *obs = g->obs;
  int first = g->violation->violation;
  size_t repeats = 0, others = 0;
  bool named[WS_E__COUNT + 1] = {false}; /* linear: a peer may flood */
  ws_buf_puts(reason, ws_error_message(first));
  if (*ws_error_rfc(first))
    ws_buf_printf(reason, " (%s)", ws_error_rfc(first));
  for (size_t i = 0; i < obs->event_count; i++)
    if (obs->events[i].kind == WS_OBS_VIOLATION &&
        obs->events[i].violation == first)
      repeats++;
  if (repeats > 1)
    ws_buf_printf(reason, ", %zu times", repeats);
  for (size_t i = 0; i < obs->event_count; i++) {
    const ws_obs_event *ev = &obs->events[i];
    int v = ev->violation > 0 && ev->violation < WS_E__COUNT ? ev->violation
                                                             : WS_E__COUNT;
    if (ev->kind != WS_OBS_VIOLATION || ev->violation == first || named[v])
      continue;
    named[v] = true;
    if (others++ < 2)
      ws_buf_printf(reason, "; also: %s", ws_error_message(ev->violation));
  }
  if (others > 2)
    ws_buf_printf(reason, "; and %zu more kinds", others - 2);
}

static void set(ws_case_result *out, enum ws_verdict v, const char *code) {
  out->verdict = v;
  out->reason_code = strdup(code);
}

/* As the server, a case's own `handshake` or `response` step says what the
 * harness answers, not what it asks: the client's request is only the way
 * in, and the case starts once it is in and valid. */
static bool about_the_handshake(const ws_grade_ctx *g) {
  if (g->obs->role == WS_ROLE_SERVER)
    return false;
  return g->c->about_handshake;
}

/* The server side of the gate: the client's opening request never came
 * whole (error), or broke a rule of RFC 6455 4.1 and was refused (fail:
 * a client MUST), or only one of the harness's limits (error). */
static bool request_gate(const ws_observation *obs, ws_case_result *out,
                         ws_buf *reason) {
  if (!obs->response_complete && !obs->upgrade_error) {
    set(out, WS_VERDICT_ERROR, "target-unavailable");
    ws_buf_puts(reason, "the client sent no complete opening request: the "
                        "case could not be run");
    return true;
  }
  const char *rfc = ws_error_rfc(obs->upgrade_error);
  if (!*rfc) {
    set(out, WS_VERDICT_ERROR, "handshake-refused");
    ws_buf_printf(reason,
                  "the client's opening request was refused (%s): the case "
                  "could not be run",
                  ws_error_message(obs->upgrade_error));
    return true;
  }
  set(out, WS_VERDICT_FAIL, "handshake-invalid");
  ws_buf_printf(reason,
                "the client's opening request is invalid: %s (RFC 6455 "
                "4.1 asks a client for a valid request; the check: %s)",
                ws_error_message(obs->upgrade_error), rfc);
  return true;
}

/* The case never reached its subject: the connection could not be made, or
 * the opening handshake (only the way in for this case) never completed.
 * Evidence first (PROTOCOL.md 0): that is `error`, never fail, unless the
 * server answered with a 101 that breaks RFC 6455, which is a failure of
 * its own. True when it decided the verdict. */
static bool handshake_gate(const ws_grade_ctx *g, ws_case_result *out,
                           ws_buf *reason) {
  const ws_observation *obs = g->obs;
  if (obs->harness_error) {
    set(out, WS_VERDICT_ERROR,
        obs->connect_error ? "target-unavailable" : "harness");
    ws_buf_puts(reason, obs->harness_error);
    return true;
  }
  if (about_the_handshake(g) || obs->upgraded)
    return false;
  if (obs->role == WS_ROLE_SERVER)
    return request_gate(obs, out, reason);
  if (!obs->response_complete) {
    set(out, WS_VERDICT_ERROR, "target-unavailable");
    if (obs->peer_closed_tcp)
      ws_buf_printf(reason,
                    "the target %s the connection before answering the "
                    "opening handshake: the case could not be run",
                    obs->peer_reset ? "reset" : "closed");
    else if (obs->upgrade_error)
      ws_buf_printf(reason,
                    "the target's answer to the opening handshake is not "
                    "HTTP (%s): the case could not be run",
                    ws_error_message(obs->upgrade_error));
    else
      ws_buf_puts(reason, "no answer to the opening handshake before the "
                          "case deadline: the case could not be run");
    return true;
  }
  if (obs->status == 101) {
    set(out, WS_VERDICT_FAIL, "handshake-invalid");
    ws_buf_printf(reason, "the 101 response is invalid: %s (%s)",
                  ws_error_message(obs->upgrade_error),
                  *ws_error_rfc(obs->upgrade_error)
                      ? ws_error_rfc(obs->upgrade_error)
                      : "RFC 6455 4.2.2");
    return true;
  }
  set(out, WS_VERDICT_ERROR, "handshake-refused");
  ws_buf_printf(reason,
                "the target refused the opening handshake with HTTP %d: the "
                "case could not be run",
                obs->status);
  return true;
}

/* A fail names the rule it is about: the line's own `because` does, else
 * the case's rfc field is added. */
static void name_the_rule(const ws_grade_ctx *g, const ws_outcome *matched,
                          ws_case_result *out, ws_buf *reason) {
  if (out->verdict != WS_VERDICT_FAIL || (matched && matched->because))
    return;
  if (g->c->rfc && *g->c->rfc && !strstr(ws_buf_str(reason), "RFC ")) {
    ws_buf_puts(reason, " (");
    ws_grade_rfc_text(reason, g->c->rfc);
    ws_buf_puts(reason, ")");
  }
}

/* The global rules of FORMAT.md, in order of precedence: the case never got
 * to its subject; the peer broke the protocol; the lines; the TCP close
 * order downgrade of a pass. */
static void set_verdict(const ws_grade_ctx *g, ws_case_result *out,
                        ws_buf *reason) {
  const ws_observation *obs = g->obs;
  if (handshake_gate(g, out, reason))
    return;
  if (g->violation) {
    set(out, WS_VERDICT_FAIL, "violation");
    violation_reason(g, reason);
    return;
  }
  const ws_outcome *matched = set_verdict_by_lines(g, out, reason);
  name_the_rule(g, matched, out, reason);
  /* Only the server is asked to close TCP first: as the server the harness
   * does, and a client "MAY close the connection at any time after sending
   * and receiving a Close message" (RFC 6455 7.1.1). */
  if (out->verdict == WS_VERDICT_PASS && obs->role == WS_ROLE_CLIENT &&
      obs->closing_handshake && !obs->peer_closed_first) {
    out->verdict = WS_VERDICT_NON_STRICT;
    free(out->reason_code);
    out->reason_code = strdup("tcp-close-order");
    ws_buf_puts(reason, "the server did not close TCP first after the "
                        "closing handshake (RFC 6455 7.1.1)");
  }
}

static char *expected_text(const ws_case *c) {
  ws_buf b = {0};
  for (size_t i = 0; i < c->outcome_count; i++) {
    if (c->outcomes[i].grade != WS_VERDICT_PASS)
      continue;
    if (b.len)
      ws_buf_puts(&b, " | ");
    ws_grade_outcome_text(&b, &c->outcomes[i]);
  }
  return ws_buf_take_str(&b);
}

int ws_grade_case(const ws_case *c, const ws_observation *obs,
                  bool keep_wire_for_pass, ws_case_result *out) {
  ws_grade_ctx g;
  ws_buf reason = {0}, observed = {0};
  bool ok = ctx_init(&g, c, obs) == 0 && copy_case_info(c, out);
  if (ok) {
    set_verdict(&g, out, &reason);
    ws_grade_observed_text(&g, &observed);
    out->reason = ws_buf_take_str(&reason);
    out->observed = ws_buf_take_str(&observed);
    out->expected = expected_text(c);
    out->duration_ms = obs->duration_ms;
    ok = out->reason_code && out->reason && out->observed && out->expected &&
         fill_close(&g, out) && fill_deflate(obs, out);
  }
  if (ok && (out->verdict != WS_VERDICT_PASS || keep_wire_for_pass))
    ok = copy_wire(obs, out);
  ws_buf_free(&reason);
  ws_buf_free(&observed);
  ctx_free(&g);
  if (!ok) {
    ws_case_result_free(out);
    return -1;
  }
  return 0;
}
