/* The server role's side of the case format: the `response` step (parsed,
 * filled in from the client's request, written back), the role rules of
 * `request` and `response`, and the predicates that read the client's
 * request (`offered`, `not-offered`, and `header` / `no-header`, which read
 * the request whenever the harness is the server). */
#include "case/case_bytes.h"
#include "case/case_write.h"
#include "case/catalogue.h"
#include "engine/grade.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An <info> block of 8 lines: <send> is line 9, its first step line 10. */
#define INFO_ROLE(role)                                                        \
  "<info>\nid r.1\ntitle T\narea handshake\nrfc 6455#4.1\nlevel MUST\n"        \
  "role " role "\n</info>\n"
#define CASE_ROLE(role, send, expect)                                          \
  INFO_ROLE(role) "<send>\n" send "</send>\n<expect>\n" expect "</expect>\n"

static char err[512];
static ws_catalogue *kept;

static void release(void) {
  ws_catalogue_free(kept);
  kept = NULL;
}

TestSuite(case_response, .fini = release);

static ws_catalogue *load(const char *text, enum ws_role role, int *rc) {
  ws_catalogue *cat = ws_catalogue_new(42);
  cr_assert_not_null(cat);
  ws_catalogue_set_role(cat, role);
  err[0] = '\0';
  *rc =
      ws_catalogue_add_text(cat, "x.case", text, strlen(text), err, sizeof err);
  return cat;
}

static const ws_case *ok_server(const char *text) {
  int rc;
  release();
  kept = load(text, WS_ROLE_SERVER, &rc);
  cr_assert_eq(rc, 0, "unexpected error: %s", err);
  cr_assert_eq(ws_catalogue_count(kept), 1);
  return ws_catalogue_get(kept, 0);
}

static void bad(const char *text, const char *want) {
  int rc;
  ws_catalogue *cat = load(text, WS_ROLE_SERVER, &rc);
  cr_assert_eq(rc, -1, "accepted, wanted: %s", want);
  cr_assert_str_eq(err, want);
  ws_catalogue_free(cat);
}

/* ---- parsing ---- */

Test(case_response, a_response_block_is_parsed_like_a_request) {
  const ws_case *c = ok_server(CASE_ROLE("server",
                                         "response\n"
                                         "HTTP/1.1 101 Switching Protocols\n"
                                         "Sec-WebSocket-Accept: {accept}\n"
                                         "Sec-WebSocket-Protocol: {protocol}\n"
                                         "X-Key: {key} {host}\\x21\n"
                                         "end\n"
                                         "text \"after\" echo\n",
                                         "pass echo\n"));
  const char *want = "HTTP/1.1 101 Switching Protocols\r\n"
                     "Sec-WebSocket-Accept: {accept}\r\n"
                     "Sec-WebSocket-Protocol: {protocol}\r\n"
                     "X-Key: {key} {host}!\r\n\r\n";
  cr_assert_eq(c->step_count, 2);
  cr_assert_eq(c->steps[0].kind, WS_STEP_RESPONSE);
  cr_assert_eq(c->steps[0].payload.len, strlen(want));
  cr_assert(memcmp(c->steps[0].payload.ptr, want, strlen(want)) == 0);
  cr_assert(c->steps[0].request_is_template);
  cr_assert(c->about_handshake, "its own response is the case's subject");
  cr_assert_not(c->raw_handshake);
  cr_assert_eq(c->steps[1].line, 16);
  /* Without a placeholder of its own ({host} is a request's), it is sent
   * as written. */
  c = ok_server(CASE_ROLE(
      "server", "response\nHTTP/1.1 200 OK\n\\{accept}\nend\n", "pass drop\n"));
  cr_assert_not(c->steps[0].request_is_template);
}

Test(case_response, request_and_response_belong_to_one_role_each) {
  bad(CASE_ROLE("client", "response\nHTTP/1.1 200 OK\nend\n", "pass drop\n"),
      "x.case:10: response is only for role server (this case: client)");
  bad(CASE_ROLE("both", "response\nHTTP/1.1 200 OK\nend\n", "pass drop\n"),
      "x.case:10: response is only for role server (this case: both)");
  bad(CASE_ROLE("server", "request\nGET / HTTP/1.1\nend\n", "pass drop\n"),
      "x.case:10: request is only for role client (this case: server)");
  bad(CASE_ROLE("server", "request-bytes \"GET\"\n", "pass drop\n"),
      "x.case:10: request-bytes is only for role client (this case: server)");
  bad(CASE_ROLE("both", "request\nGET / HTTP/1.1\nend\n", "pass drop\n"),
      "x.case:10: request is only for role client (this case: both)");
  bad(CASE_ROLE("server", "text \"a\"\nresponse\nHTTP/1.1 200 OK\nend\n",
                "pass drop\n"),
      "x.case:11: response must be the first step, after `chop` steps only "
      "(it replaces the opening handshake)");
  bad(CASE_ROLE("server", "response\nend\n", "pass drop\n"),
      "x.case:10: empty response block");
  bad(CASE_ROLE("server", "response\nHTTP/1.1 200 OK\n", "pass drop\n"),
      "x.case:10: response block has no 'end' line");
  bad(CASE_ROLE("server", "response\nX: {accept} \\{key}\nend\n",
                "pass drop\n"),
      "x.case:10: an escaped \\{accept}, \\{key} or \\{protocol} cannot be "
      "sent literally in a response that also uses placeholders");
}

Test(case_response, offered_reads_the_request_and_only_in_role_server) {
  const ws_case *c = ok_server(
      CASE_ROLE("server", "",
                "unimplemented not-offered permessage-deflate | offered "
                "permessage-deflate client_max_window_bits\npass drop\n"));
  const ws_predicate *p = &c->outcomes[0].alts[0].preds[0];
  cr_assert_eq(p->kind, WS_PRED_NOT_OFFERED);
  cr_assert_str_eq(p->name, "permessage-deflate");
  cr_assert_null(p->value);
  p = &c->outcomes[0].alts[1].preds[0];
  cr_assert_eq(p->kind, WS_PRED_OFFERED);
  cr_assert_str_eq(p->value, "client_max_window_bits");
  cr_assert(c->about_handshake);
  bad(CASE_ROLE("client", "", "pass offered permessage-deflate\n"),
      "x.case:12: offered reads the client's request: only for role server "
      "(this case: client)");
  bad(CASE_ROLE("both", "", "pass not-offered permessage-deflate\n"),
      "x.case:12: not-offered reads the client's request: only for role "
      "server (this case: both)");
  bad(CASE_ROLE("server", "", "pass offered\n"),
      "x.case:12: offered needs an extension name and at most one parameter "
      "name (tokens)");
  bad(CASE_ROLE("server", "", "pass offered a b c\n"),
      "x.case:12: offered needs an extension name and at most one parameter "
      "name (tokens)");
  bad(CASE_ROLE("server", "", "pass offered a;b\n"),
      "x.case:12: offered needs an extension name and at most one parameter "
      "name (tokens)");
}

Test(case_response, table_templates_pass_the_response_placeholders_through) {
  const ws_case *c = ok_server(
      "<table>\nid | s\nr.1 | 200 OK\n</table>\n<info>\nid {id}\ntitle T\n"
      "area handshake\nrfc 6455#4.1\nlevel MUST\nrole server\n</info>\n"
      "<send>\nresponse\nHTTP/1.1 {s}\nX: {accept} {protocol} {key}\nend\n"
      "</send>\n<expect>\npass drop\n</expect>\n");
  const char *want = "HTTP/1.1 200 OK\r\nX: {accept} {protocol} {key}\r\n\r\n";
  cr_assert_eq(c->steps[0].payload.len, strlen(want));
  cr_assert(memcmp(c->steps[0].payload.ptr, want, strlen(want)) == 0);
}

/* ---- the bytes ---- */

Test(case_response, placeholders_are_filled_from_the_request) {
  const ws_case *c = ok_server(CASE_ROLE(
      "server", "response\nA: {accept}\nK: {key}\nP: {protocol}\n{x}\nend\n",
      "pass drop\n"));
  ws_response_fill fill = {.accept = "ACC", .key = "KEY", .protocol = "chat"};
  ws_buf out = {0};
  cr_assert_eq(ws_case_response(&c->steps[0], &fill, &out), 0);
  const char *want = "A: ACC\r\nK: KEY\r\nP: chat\r\n{x}\r\n\r\n";
  cr_assert_eq(out.len, strlen(want));
  cr_assert(memcmp(out.ptr, want, out.len) == 0);
  ws_buf_clear(&out);
  /* No subprotocol offered: {protocol} is empty. */
  fill.protocol = NULL;
  cr_assert_eq(ws_case_response(&c->steps[0], &fill, &out), 0);
  cr_assert_not_null(memmem(out.ptr, out.len, "P: \r\n", 5));
  ws_buf_clear(&out);
  /* A value from the client never adds a header line of its own. */
  fill.protocol = "chat\r\nX-Injected: 1";
  cr_assert_eq(ws_case_response(&c->steps[0], &fill, &out), -1);
  ws_buf_free(&out);
}

/* ---- written and read back ---- */

static void round_trip(const ws_case *c) {
  char *text = NULL, why[256] = "";
  size_t len = 0;
  cr_assert_eq(ws_case_write(c, &text, &len, err, sizeof err), 0, "%s: %s",
               c->id, err);
  int rc;
  ws_catalogue *cat = load(text, WS_ROLE_SERVER, &rc);
  cr_assert_eq(rc, 0, "%s\n--- text ---\n%s", err, text);
  cr_assert_eq(ws_catalogue_count(cat), 1);
  cr_assert(ws_case_equal(c, ws_catalogue_get(cat, 0), why, sizeof why),
            "%s\n--- text ---\n%s", why, text);
  ws_catalogue_free(cat);
  free(text);
}

Test(case_response, every_server_case_of_the_catalogue_round_trips) {
  ws_catalogue *cat = ws_catalogue_new(1);
  ws_catalogue_set_role(cat, WS_ROLE_SERVER);
  cr_assert_eq(ws_catalogue_add_builtin(cat, err, sizeof err), 0, "%s", err);
  size_t chs = 0;
  for (size_t i = 0; i < ws_catalogue_count(cat); i++) {
    const ws_case *c = ws_catalogue_get(cat, i);
    chs += strncmp(c->id, "chs.", 4) == 0;
    round_trip(c);
  }
  cr_assert_geq(chs, 23);
  ws_catalogue_free(cat);
  /* A literal response keeps its braces escaped. */
  round_trip(ok_server(
      CASE_ROLE("server", "response\nHTTP/1.1 200 OK\nX: \\{accept}\nend\n",
                "pass drop\n")));
}

/* ---- grading on the request ---- */

static ws_case_result grade_on_request(const char *expect_text,
                                       const char *extensions,
                                       const char *protocol) {
  char text[1024];
  snprintf(text, sizeof text,
           CASE_ROLE("server", "handshake\n", "%s\nfail otherwise\n"),
           expect_text);
  const ws_case *c = ok_server(text);
  ws_observation obs;
  ws_observation_init(&obs);
  obs.role = WS_ROLE_SERVER;
  obs.response_complete = true;
  obs.upgraded = true;
  if (extensions)
    cr_assert_eq(ws_obs_add_header(&obs, "Sec-WebSocket-Extensions", 24,
                                   extensions, strlen(extensions)),
                 0);
  if (protocol)
    cr_assert_eq(ws_obs_add_header(&obs, "sec-websocket-protocol", 22, protocol,
                                   strlen(protocol)),
                 0);
  ws_case_result r = {0};
  cr_assert_eq(ws_grade_case(c, &obs, false, &r), 0);
  ws_observation_free(&obs);
  return r;
}

static void expect_verdict(const char *line, const char *extensions,
                           const char *protocol, enum ws_verdict want) {
  ws_case_result r = grade_on_request(line, extensions, protocol);
  cr_assert_eq(r.verdict, want, "%s with %s / %s: %s (%s)", line,
               extensions ? extensions : "-", protocol ? protocol : "-",
               ws_verdict_name(r.verdict), r.reason);
  ws_case_result_free(&r);
}

Test(case_response, offered_and_header_hold_on_the_clients_request) {
  const char *pmd = "permessage-deflate; client_max_window_bits, x-other";
  expect_verdict("pass offered permessage-deflate", pmd, NULL, WS_VERDICT_PASS);
  expect_verdict("pass offered PERMESSAGE-DEFLATE CLIENT_MAX_WINDOW_BITS", pmd,
                 NULL, WS_VERDICT_PASS);
  expect_verdict("pass offered x-other", pmd, NULL, WS_VERDICT_PASS);
  expect_verdict("pass offered x-other client_max_window_bits", pmd, NULL,
                 WS_VERDICT_FAIL);
  expect_verdict("pass offered permessage-deflate server_no_context_takeover",
                 pmd, NULL, WS_VERDICT_FAIL);
  expect_verdict("pass not-offered permessage-deflate", NULL, NULL,
                 WS_VERDICT_PASS);
  expect_verdict("pass not-offered permessage-deflate", pmd, NULL,
                 WS_VERDICT_FAIL);
  /* A list that does not parse offers nothing. */
  expect_verdict("pass offered permessage-deflate", "permessage-deflate;;",
                 NULL, WS_VERDICT_FAIL);
  /* header / no-header read the request in the server role. */
  expect_verdict("pass header Sec-WebSocket-Protocol~chat", NULL, "a, chat",
                 WS_VERDICT_PASS);
  expect_verdict("pass no-header Sec-WebSocket-Protocol", NULL, NULL,
                 WS_VERDICT_PASS);
  expect_verdict("pass no-header Sec-WebSocket-Protocol", NULL, "chat",
                 WS_VERDICT_FAIL);
  /* What did not hold is said in the client's words. */
  ws_case_result r =
      grade_on_request("pass offered permessage-deflate", "x-other", NULL);
  cr_assert_not_null(strstr(r.reason, "the client offered x-other"), "%s",
                     r.reason);
  ws_case_result_free(&r);
}
