/* The client handshake cases (cases/handshake-client, chs.N) played in
 * memory: the harness as the server answers a client badly and grades what
 * the client does next. A client-role session is a conformant client (it
 * validates the answer as RFC 6455 4.1 and RFC 7692 5 say), so every case
 * must grade it pass; a scripted client that ignores the answer must grade
 * fail on every negative case; silence and a close frame are non-strict;
 * a client that did not offer what a case needs makes it unimplemented. */
#include "case/catalogue.h"
#include "engine/grade.h"
#include "tests/unit/session_pump.h"

#include <criterion/criterion.h>

#define CHS_COUNT 23
#define CHS_FIRST_CONTROL 22 /* chs.22 and chs.23 are positive controls */

static const ws_catalogue *server_catalogue(void) {
  static ws_catalogue *cat;
  if (!cat) {
    char err[512];
    cat = ws_catalogue_new(7);
    ws_catalogue_set_role(cat, WS_ROLE_SERVER);
    cr_assert_eq(ws_catalogue_add_builtin(cat, err, sizeof err), 0, "%s", err);
  }
  return cat;
}

static const ws_case *chs(int n) {
  char id[16];
  snprintf(id, sizeof id, "chs.%d", n);
  const ws_case *c = ws_catalogue_find(server_catalogue(), id);
  cr_assert_not_null(c, "%s is not in the server catalogue", id);
  return c;
}

/* The payload of the case's text step marked echo: what a client that
 * proceeded sends back. */
static const ws_bytes *echo_payload(const ws_case *c) {
  for (size_t i = 0; i < c->step_count; i++)
    if (c->steps[i].kind == WS_STEP_FRAME && c->steps[i].echo)
      return &c->steps[i].payload;
  cr_assert_fail("%s has no step marked echo", c->id);
  return NULL;
}

/* What a conformant client offers so case n can tell: no permessage-deflate
 * for chs.14 (it answers one the client did not offer), an offer without
 * client_max_window_bits for chs.16, else an offer with it; always the
 * subprotocol "chat". */
static const char *offer_for(int n) {
  if (n == 14)
    return NULL;
  if (n == 16)
    return "permessage-deflate";
  return "permessage-deflate; client_max_window_bits";
}

typedef struct graded {
  ws_observation obs;
  ws_case_result result;
} graded;

static void grade(const ws_case *c, graded *g) {
  memset(&g->result, 0, sizeof g->result);
  cr_assert_eq(ws_grade_case(c, &g->obs, true, &g->result), 0);
}

static void graded_free(graded *g) {
  ws_case_result_free(&g->result);
  ws_observation_free(&g->obs);
}

/* Case c (server role) against a client-role session that offers the
 * subprotocols and extensions given (NULL: none) and, once upgraded, sends
 * what c expects back: a client that proceeds only on a valid answer. */
static void against_conformant_client(const ws_case *c, const char *protocols,
                                      const char *extensions, graded *g) {
  tcase client;
  tc_init(&client, "client", 4000);
  ws_step *hs = tc_add(&client, WS_STEP_HANDSHAKE);
  hs->protocols = protocols;
  hs->extensions = extensions;
  const ws_bytes *echo = echo_payload(c);
  ws_step *text = tc_frame(&client, WS_OP_TEXT, echo->ptr, echo->len);
  text->compress = true;
  ws_observation cobs;
  ws_observation_init(&cobs);
  ws_observation_init(&g->obs);
  ws_session_opts so = server_opts(), co = client_opts();
  ws_session *server = ws_session_new(c, &so, &g->obs, T0);
  ws_session *cli = ws_session_new(&client.c, &co, &cobs, T0);
  cr_assert(server && cli);
  peer p = session_peer(cli);
  pump(server, &p, false);
  ws_session_end(cli, T0);
  ws_session_free(server);
  ws_session_free(cli);
  ws_observation_free(&cobs);
  grade(c, g);
}

/* Case c against scripted bytes of a client's (peer p). */
static void against_peer(const ws_case *c, peer *p, graded *g) {
  ws_observation_init(&g->obs);
  ws_session_opts so = server_opts();
  ws_session *server = ws_session_new(c, &so, &g->obs, T0);
  cr_assert_not_null(server);
  pump(server, p, false);
  ws_session_free(server);
  grade(c, g);
}

/* A valid request; extensions NULL: none offered. */
static void request_text(char *out, size_t cap, const char *extensions) {
  snprintf(out, cap,
           "GET /runCase HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: "
           "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Protocol: chat\r\n%s%s%s\r\n",
           extensions ? "Sec-WebSocket-Extensions: " : "",
           extensions ? extensions : "", extensions ? "\r\n" : "");
}

Test(session_chs, the_server_catalogue_holds_every_chs_case_as_role_server) {
  for (int n = 1; n <= CHS_COUNT; n++) {
    const ws_case *c = chs(n);
    cr_assert_eq(c->roles, WS_ROLES_SERVER, "%s", c->id);
    cr_assert_str_eq(c->area, "handshake");
    cr_assert(c->about_handshake, "%s", c->id);
  }
  char err[512];
  ws_catalogue *client = ws_catalogue_new(7);
  cr_assert_eq(ws_catalogue_add_builtin(client, err, sizeof err), 0, "%s", err);
  cr_assert_null(ws_catalogue_find(client, "chs.1"),
                 "wsprobe test never plays a client handshake case");
  ws_catalogue_free(client);
}

Test(session_chs, a_conformant_client_passes_every_case) {
  for (int n = 1; n <= CHS_COUNT; n++) {
    const ws_case *c = chs(n);
    graded g;
    against_conformant_client(c, "chat", offer_for(n), &g);
    cr_assert_eq(g.result.verdict, WS_VERDICT_PASS, "%s: %s: %s (%s)", c->id,
                 ws_verdict_name(g.result.verdict), g.result.reason,
                 g.result.observed);
    if (n < CHS_FIRST_CONTROL) {
      cr_assert_eq(count_events(&g.obs, WS_OBS_MESSAGE), 0, "%s", c->id);
      cr_assert(g.obs.peer_closed_tcp, "%s", c->id);
    } else {
      cr_assert_eq(count_events(&g.obs, WS_OBS_MESSAGE), 1, "%s", c->id);
    }
    graded_free(&g);
  }
}

/* The answers are what the cases say, filled in from the request. */
Test(session_chs, responses_are_filled_in_from_the_clients_request) {
  char req[512];
  request_text(req, sizeof req, NULL);
  static const struct {
    int n;
    const char *has;
  } rows[] = {
      {1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {2, "HTTP/1.1 302 Found\r\nLocation: /chs-redirected\r\n"},
      /* chs.6 sends the key itself as the accept value. */
      {6, "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n"},
      {10, "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
           "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"},
      {13, "Sec-WebSocket-Protocol: chs-unoffered\r\n"},
      {22, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
           "Sec-WebSocket-Protocol: chat\r\n\r\n"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    script sc = {.bytes = (const uint8_t *)req, .len = strlen(req)};
    peer p = script_peer(&sc);
    graded g;
    against_peer(chs(rows[i].n), &p, &g);
    cr_assert_not_null(
        memmem(sc.got, sc.got_len, rows[i].has, strlen(rows[i].has)),
        "chs.%d sent: %.*s", rows[i].n, (int)sc.got_len, sc.got);
    graded_free(&g);
  }
}

Test(session_chs, a_client_that_ignores_the_answer_fails_every_negative_case) {
  for (int n = 1; n <= CHS_COUNT; n++) {
    const ws_case *c = chs(n);
    char req[512];
    request_text(req, sizeof req, n == 14 ? NULL : "permessage-deflate");
    proceeding client = {.request = req};
    peer p = proceeding_peer(&client);
    graded g;
    against_peer(c, &p, &g);
    if (n >= CHS_FIRST_CONTROL) {
      cr_assert_eq(g.result.verdict, WS_VERDICT_PASS, "%s: %s", c->id,
                   g.result.reason);
    } else {
      cr_assert_eq(g.result.verdict, WS_VERDICT_FAIL, "%s: %s: %s", c->id,
                   ws_verdict_name(g.result.verdict), g.result.reason);
      cr_assert_not_null(strstr(g.result.reason, "proceeded after"), "%s: %s",
                         c->id, g.result.reason);
      cr_assert_not_null(strstr(g.result.reason, "MUST"), "%s: %s", c->id,
                         g.result.reason);
      static const char observed[] =
          "request answered as the case says; 1 message";
      cr_assert_eq(strncmp(g.result.observed, observed, sizeof observed - 1), 0,
                   "%s: %s", c->id, g.result.observed);
    }
    graded_free(&g);
  }
}

Test(session_chs, a_client_that_neither_proceeds_nor_closes_is_non_strict) {
  char req[512];
  request_text(req, sizeof req, "permessage-deflate");
  script sc = {.bytes = (const uint8_t *)req, .len = strlen(req)};
  peer p = script_peer(&sc);
  graded g;
  against_peer(chs(9), &p, &g);
  cr_assert_eq(g.result.verdict, WS_VERDICT_NON_STRICT, "%s", g.result.reason);
  cr_assert_not_null(strstr(g.result.reason, "neither proceeded nor closed"),
                     "%s", g.result.reason);
  graded_free(&g);
}

Test(session_chs, a_client_that_sends_only_a_close_frame_is_non_strict) {
  char req[512];
  request_text(req, sizeof req, NULL);
  size_t rl = strlen(req);
  /* A masked close 1002 after the request, once the answer is in. */
  static const uint8_t close_frame[] = {0x88, 0x82, 1,        2,
                                        3,    4,    0x03 ^ 1, 0xea ^ 2};
  uint8_t bytes[600];
  memcpy(bytes, req, rl);
  memcpy(bytes + rl, close_frame, sizeof close_frame);
  script sc = {.bytes = bytes,
               .len = rl + sizeof close_frame,
               .hold_at = rl,
               .hold_until = 20,
               .close_after = true};
  peer p = script_peer(&sc);
  graded g;
  against_peer(chs(1), &p, &g);
  cr_assert_eq(g.result.verdict, WS_VERDICT_NON_STRICT, "%s", g.result.reason);
  cr_assert_not_null(strstr(g.result.reason, "sent a close frame but no data"),
                     "%s", g.result.reason);
  graded_free(&g);
}

/* offered / not-offered / header read the client's request: a client that
 * did not offer what a case needs leaves it unimplemented. */
Test(session_chs,
     a_client_that_did_not_offer_what_a_case_needs_is_unimplemented) {
  static const struct {
    int n;
    const char *protocols, *extensions;
  } rows[] = {
      {14, "chat", "permessage-deflate"}, /* offered: accepting is valid */
      {16, "chat", NULL},                 /* no permessage-deflate offer */
      {16, "chat", "permessage-deflate; client_max_window_bits"},
      {17, "chat", NULL},
      {21, "chat", NULL},
      {13, "chs-unoffered", NULL},
      {15, NULL, "x-wsprobe-unknown"},
      {22, NULL, NULL}, /* no subprotocol to select */
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const ws_case *c = chs(rows[i].n);
    graded g;
    against_conformant_client(c, rows[i].protocols, rows[i].extensions, &g);
    cr_assert_eq(g.result.verdict, WS_VERDICT_UNIMPLEMENTED, "%s row %zu: %s",
                 c->id, i, g.result.reason);
    /* The client did what a pass asks (it could not be asked more): the
     * reason is the case's, with no "what missed the pass line". */
    cr_assert_null(strstr(g.result.reason, "(the pass condition"), "%s: %s",
                   c->id, g.result.reason);
    graded_free(&g);
  }
}

/* The harness refuses an invalid request: the case's answer was never sent,
 * so a client that then drops is no pass. The request broke RFC 6455 4.1,
 * a client MUST: fail, for that. */
Test(session_chs, an_invalid_request_fails_and_never_passes) {
  static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  script sc = {.bytes = (const uint8_t *)req, .len = sizeof req - 1};
  peer p = script_peer(&sc);
  graded g;
  against_peer(chs(1), &p, &g);
  cr_assert_eq(g.result.verdict, WS_VERDICT_FAIL, "%s", g.result.reason);
  cr_assert_str_eq(g.result.reason_code, "handshake-invalid");
  cr_assert_not_null(strstr(g.result.reason, "opening request is invalid"),
                     "%s", g.result.reason);
  cr_assert_eq(strncmp((char *)sc.got, "HTTP/1.1 400 ", 13), 0);
  cr_assert_not_null(strstr(g.result.observed, "request refused: "), "%s",
                     g.result.observed);
  graded_free(&g);
  script silent = {.bytes = (const uint8_t *)"", .len = 0, .close_after = true};
  p = script_peer(&silent);
  against_peer(chs(1), &p, &g);
  cr_assert_eq(g.result.verdict, WS_VERDICT_ERROR, "%s", g.result.reason);
  cr_assert_str_eq(g.result.reason_code, "target-unavailable");
  graded_free(&g);
}
