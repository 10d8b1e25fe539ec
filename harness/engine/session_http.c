/* The opening handshake of a session. As the client: the default request, a
 * HANDSHAKE step's offers, or a REQUEST step's raw bytes, then the response,
 * recorded whole (status, every header) and checked as a client must (RFC
 * 6455 4.1). As the server: the request, recorded and checked as RFC 6455
 * 4.2.1 says, then the 101 or a refusal. */
#include "engine/session_internal.h"

#include "codec/errors.h"
#include "codec/header_values.h"

#include <stdlib.h>
#include <string.h>

/* Own requests bigger than this are not re-parsed to find what they offered
 * (a header bomb is not expected to upgrade anyway). */
#define REPARSE_MAX ((size_t)1 << 20)

static char *dup_text(ws_session *s, const char *text, size_t len) {
  char *out = malloc(len + 1);
  if (!out) {
    session_oom(s);
    return NULL;
  }
  memcpy(out, text, len);
  out[len] = '\0';
  return out;
}

/* Every value of header `name`, joined with ", " (a list may span repeated
 * headers), or NULL when absent. */
static char *joined_values(ws_session *s, const ws_http_message *m,
                           const char *name) {
  size_t count = ws_http_field_count(m, name);
  if (count == 0)
    return NULL;
  ws_buf b = {0};
  for (size_t i = 0; i < count; i++) {
    const ws_span *v = ws_http_field_get(m, name, i);
    if (i > 0)
      ws_buf_puts(&b, ", ");
    ws_buf_append(&b, v->ptr, v->len);
  }
  char *out = ws_buf_take_str(&b);
  if (!out)
    session_oom(s);
  return out;
}

/* "upgraded" means valid for the request actually sent, so the key and the
 * offers are read back from its own bytes; when they cannot be (a malformed
 * raw request), the generated key is used and nothing was offered. */
static void learn_offers(ws_session *s, const uint8_t *req, size_t len) {
  ws_http_parser p;
  ws_http_parser_init(&p, WS_HTTP_REQUEST, len + 1, len / 2 + 2);
  size_t used = 0;
  if (len <= REPARSE_MAX && ws_http_parse(&p, req, len, &used) == 1) {
    const ws_http_message *m = ws_http_parser_message(&p);
    const ws_span *key = ws_http_field_get(m, "Sec-WebSocket-Key", 0);
    if (key)
      s->check_key = dup_text(s, key->ptr, key->len);
    s->check_protocols = joined_values(s, m, "Sec-WebSocket-Protocol");
    s->check_extensions = joined_values(s, m, "Sec-WebSocket-Extensions");
  }
  ws_http_parser_free(&p);
}

int session_send_request(ws_session *s, const ws_step *step) {
  ws_buf req = {0};
  if (ws_case_request(step, &s->opts.target, s->key, &req) != 0) {
    if (req.failed && req.len == 0 && !req.ptr)
      session_oom(s);
    else
      session_note(s, "handshake request cannot be built");
    s->stop_steps = true;
    ws_buf_free(&req);
    return -1;
  }
  bool raw = step && step->kind == WS_STEP_REQUEST;
  /* What was offered is read back from the request itself, whichever
   * built it: a raw request's own headers, a HANDSHAKE step's offers, or a
   * Sec-WebSocket-Protocol the run adds with --header. */
  learn_offers(s, req.ptr, req.len);
  if (!s->check_key && !s->fatal)
    s->check_key = dup_text(s, s->key, strlen(s->key));
  int rc = -1;
  if (!s->fatal) {
    s->tx_http_left = req.len;
    /* coalesce=yes: the request and the following steps up to the next
     * flush/wait leave in one write (frames pipelined behind the request). */
    if (step && step->kind == WS_STEP_HANDSHAKE && step->coalesce)
      s->coalescing = true;
    rc = session_send(s, req.ptr, req.len,
                      raw ? "step 1: raw request" : "handshake request");
  }
  ws_buf_free(&req);
  return rc;
}

static bool names_deflate(const ws_extension_list *list) {
  for (size_t i = 0; i < list->count; i++)
    if (ws_span_ieq(list->items[i].name, WS_PMD_NAME))
      return true;
  return false;
}

/* A Sec-WebSocket-Extensions value as a list; an unparsable or absent one
 * is an empty list. */
static void extension_list(const char *value, ws_extension_list *out) {
  ws_extension_list_init(out);
  if (value && ws_extensions_parse(value, strlen(value), out) != 0)
    ws_extension_list_init(out);
}

/* What permessage-deflate the exchange settled: 1 agreed (*agreement, and
 * the offer answered, 1-based, in obs), 0 not in use, or a negative
 * WS_E_PMD_x / WS_E_HS_RESPONSE_EXTENSION: the response breaks RFC 7692
 * and the client must fail the connection. */
static int settle_deflate(ws_session *s, const char *offers_value,
                          const ws_extension_list *response,
                          ws_pmd_agreement *agreement) {
  if (!names_deflate(response))
    return 0;
  ws_extension_list offers;
  extension_list(offers_value, &offers);
  size_t chosen = 0;
  int rc = ws_pmd_client_accept(&offers, response, agreement, &chosen);
  if (rc == 1) {
    /* Index among the permessage-deflate offers, as a case counts them. */
    size_t nth = 0;
    for (size_t i = 0; i <= chosen && i < offers.count; i++)
      if (ws_span_ieq(offers.items[i].name, WS_PMD_NAME))
        nth++;
    s->obs->deflate_offer = nth;
  }
  return rc;
}

/* Once the handshake is through with permessage-deflate agreed. */
static void use_deflate(ws_session *s, const ws_pmd_agreement *agreement) {
  session_init_reader(s, true);
  (void)session_pmd_start(s, agreement);
}

static int record_headers(ws_session *s, const ws_http_message *m) {
  ws_observation *obs = s->obs;
  obs->response_complete = true;
  obs->status = m->status;
  for (size_t i = 0; i < m->field_count; i++) {
    const ws_http_field *f = &m->fields[i];
    if (ws_obs_add_header(obs, f->name.ptr, f->name.len, f->value.ptr,
                          f->value.len)) {
      session_oom(s);
      return -1;
    }
  }
  return 0;
}

static void on_response(ws_session *s) {
  ws_observation *obs = s->obs;
  const ws_http_message *m = ws_http_parser_message(&s->http);
  if (record_headers(s, m) != 0)
    return;
  ws_hs_response_info info;
  ws_pmd_agreement agreement;
  int rc = ws_hs_validate_response(m, s->check_key, s->check_protocols,
                                   s->check_extensions, &info);
  int pmd = rc < 0 ? 0
                   : settle_deflate(s, s->check_extensions, &info.extensions,
                                    &agreement);
  if (rc >= 0 && pmd < 0)
    rc = pmd; /* RFC 7692 7: the client fails the connection */
  if (rc < 0) {
    obs->upgrade_error = -rc;
    session_note(s, "HTTP %d: not upgraded: %s", m->status,
                 ws_error_message(rc));
    return;
  }
  obs->upgraded = s->upgraded = true;
  if (pmd == 1)
    use_deflate(s, &agreement);
}

/* Server role: the case's `handshake` step, which says what the 101
 * answers (its protocols= is the subprotocol chosen, its extensions= the
 * extensions accepted: as written, or in a `role both` case as
 * session_pmd_answer.c reads it), or its `response` step (the answer's raw
 * bytes); NULL when the case has neither. */
const ws_step *session_server_handshake(const ws_session *s) {
  const ws_case *c = s->c;
  size_t first = 0;
  while (first < c->step_count && c->steps[first].kind == WS_STEP_CHOP)
    first++;
  return first < c->step_count && (c->steps[first].kind == WS_STEP_HANDSHAKE ||
                                   c->steps[first].kind == WS_STEP_RESPONSE)
             ? &c->steps[first]
             : NULL;
}

/* Server role: the 101's extensions settle permessage-deflate against the
 * request's offers. A case may answer wrongly on purpose (to see the client
 * fail the connection): then nothing is compressed. */
static void server_deflate(ws_session *s, const ws_http_message *request,
                           const char *answered) {
  if (!answered)
    return;
  ws_extension_list response;
  extension_list(answered, &response);
  char *offers = joined_values(s, request, "Sec-WebSocket-Extensions");
  ws_pmd_agreement agreement;
  int rc = settle_deflate(s, offers, &response, &agreement);
  if (rc == 1)
    use_deflate(s, &agreement);
  else if (rc < 0)
    session_note(s,
                 "the 101 answers permessage-deflate against RFC 7692 "
                 "(%s): nothing is compressed",
                 ws_error_message(rc));
  free(offers);
}

/* The extensions the 101 accepts: the case's `handshake extensions=` as
 * written, except in a `role both` case, whose extensions= is the client's
 * offer: then permessage-deflate as session_pmd_answer settles it (in
 * answer[], WS_PMD_ELEMENT_MAX bytes), or none. */
static const char *accepted_extensions(ws_session *s,
                                       const ws_http_message *request,
                                       const ws_step *hs, char *answer) {
  if (!hs || !hs->extensions)
    return NULL;
  if (s->c->roles != WS_ROLES_BOTH)
    return hs->extensions;
  char *offers = joined_values(s, request, "Sec-WebSocket-Extensions");
  bool ok = !s->fatal && session_pmd_answer(s, offers, hs->extensions, answer,
                                            WS_PMD_ELEMENT_MAX);
  free(offers);
  return ok ? answer : NULL;
}

/* The first subprotocol of the request's Sec-WebSocket-Protocol, or ""
 * (a `response` step's {protocol}). */
static void first_protocol(const ws_http_message *m, char *out, size_t cap) {
  out[0] = '\0';
  const ws_span *v = ws_http_field_get(m, "Sec-WebSocket-Protocol", 0);
  if (!v)
    return;
  const char *cursor = v->ptr;
  ws_span first;
  if (ws_list_next(&cursor, v->ptr + v->len, &first) && first.len < cap) {
    memcpy(out, first.ptr, first.len);
    out[first.len] = '\0';
  }
}

/* A `response` step: the case's own bytes, {accept} {key} {protocol} taken
 * from the request (valid, so it has one key). A case may answer anything
 * on purpose (a 200, a wrong accept...): the steps run after it all the
 * same, and the client under test shows whether it went on. */
static void send_case_response(ws_session *s, const ws_step *step,
                               const ws_span *key, const char *accept) {
  const ws_http_message *m = ws_http_parser_message(&s->http);
  char protocol[256];
  first_protocol(m, protocol, sizeof protocol);
  char *key_text = dup_text(s, key->ptr, key->len);
  if (!key_text)
    return;
  ws_response_fill fill = {
      .accept = accept, .key = key_text, .protocol = protocol};
  ws_buf out = {0};
  if (ws_case_response(step, &fill, &out) != 0) {
    session_note(s, "the case's response cannot be built");
    s->stop_steps = true;
  } else {
    s->tx_http_left = out.len;
    (void)session_send(s, out.ptr, out.len, "step 1: the case's response");
  }
  ws_buf_free(&out);
  free(key_text);
}

/* The server's answer: a 101 (accepting what the case's `handshake` step
 * says, else nothing optional), the case's own `response`, or the refusal
 * that matches the first problem of the request (its HTTP status). */
static void answer_request(ws_session *s, int problem) {
  char text[2048];
  ssize_t n;
  const ws_step *hs = session_server_handshake(s);
  if (problem == 0) {
    const ws_http_message *m = ws_http_parser_message(&s->http);
    const ws_span *key = ws_http_field_get(m, "Sec-WebSocket-Key", 0);
    char accept[WS_ACCEPT_LEN + 1];
    if (!key || ws_hs_accept_value(key->ptr, key->len, accept) != 0) {
      session_oom(s);
      return;
    }
    if (hs && hs->kind == WS_STEP_RESPONSE) {
      send_case_response(s, hs, key, accept);
      return;
    }
    char pmd_answer[WS_PMD_ELEMENT_MAX];
    const char *extensions = accepted_extensions(s, m, hs, pmd_answer);
    if (s->fatal)
      return;
    n = ws_hs_build_response(text, sizeof text, accept,
                             hs ? hs->protocols : NULL, extensions);
    if (n >= 0)
      server_deflate(s, m, extensions);
  } else {
    n = ws_hs_build_refusal(text, sizeof text, problem);
  }
  if (n < 0) {
    session_note(s, "handshake answer cannot be built");
    s->stop_steps = true;
    return;
  }
  s->tx_http_left = (size_t)n;
  (void)session_send(s, (const uint8_t *)text, (size_t)n,
                     problem ? "handshake refusal" : "handshake response");
}

static void on_request(ws_session *s) {
  const ws_http_message *m = ws_http_parser_message(&s->http);
  if (record_headers(s, m) != 0)
    return;
  ws_hs_request_info info;
  int rc = ws_hs_validate_request(m, &info);
  if (rc < 0) {
    s->obs->upgrade_error = -rc;
    session_note(s, "request refused: %s", ws_error_message(rc));
    answer_request(s, -rc);
    return;
  }
  s->obs->upgraded = s->upgraded = true;
  answer_request(s, 0);
}

size_t session_feed_http(ws_session *s, uint8_t *buf, size_t len) {
  size_t used = 0;
  int rc = ws_http_parse(&s->http, buf, len, &used);
  if (rc == 0)
    return len;
  s->hs_done = true;
  bool client = s->role == WS_ROLE_CLIENT;
  if (rc < 0) {
    s->obs->upgrade_error = -rc;
    session_note(s, "invalid HTTP %s: %s", client ? "response" : "request",
                 ws_error_message(rc));
    if (!client)
      answer_request(s, -rc);
    return len;
  }
  if (client)
    on_response(s);
  else
    on_request(s);
  return used;
}

void session_http_missing(ws_session *s, const char *why) {
  s->hs_done = true;
  session_note(s, "no complete HTTP %s %s",
               s->role == WS_ROLE_CLIENT ? "response" : "request", why);
}
