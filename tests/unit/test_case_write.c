/* Tests for harness/case/case_write.c: every case of the built-in catalogue,
 * written and parsed back, is the same case field by field; hand-built
 * steps that only the `frame` form, the `request` block or run-length
 * payloads can express survive the trip too. */
#include "case/case_write.h"
#include "case/catalogue.h"
#include "codec/frame.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses text (one case) into a fresh catalogue; the case stays valid until
 * the catalogue is freed. */
static const ws_case *parse_back(ws_catalogue **cat, const char *text,
                                 size_t len) {
  char err[512];
  *cat = ws_catalogue_new(7);
  cr_assert_not_null(*cat);
  int rc =
      ws_catalogue_add_text(*cat, "written.case", text, len, err, sizeof err);
  cr_assert_eq(rc, 0, "%s\n--- text ---\n%s", err, text);
  cr_assert_eq(ws_catalogue_count(*cat), 1);
  return ws_catalogue_get(*cat, 0);
}

static void round_trip(const ws_case *c) {
  char *text = NULL, err[256];
  size_t len = 0;
  cr_assert_eq(ws_case_write(c, &text, &len, err, sizeof err), 0, "%s: %s",
               c->id, err);
  cr_assert_eq(strlen(text), len);
  ws_catalogue *cat;
  const ws_case *back = parse_back(&cat, text, len);
  char why[256] = "";
  cr_assert(ws_case_equal(c, back, why, sizeof why), "%s\n--- text ---\n%s",
            why, text);
  ws_catalogue_free(cat);
  free(text);
}

Test(case_write, whole_builtin_catalogue_round_trips) {
  char err[512];
  ws_catalogue *cat = ws_catalogue_new(1);
  cr_assert_eq(ws_catalogue_add_builtin(cat, err, sizeof err), 0, "%s", err);
  size_t n = ws_catalogue_count(cat);
  cr_assert_gt(n, 400);
  for (size_t i = 0; i < n; i++)
    round_trip(ws_catalogue_get(cat, i));
  ws_catalogue_free(cat);
}

/* ---- hand-built cases ---- */

static ws_outcome *alive_outcomes(ws_predicate *preds, ws_alternative *alts) {
  static ws_outcome o[2];
  memset(o, 0, sizeof o);
  preds[0] = (ws_predicate){.kind = WS_PRED_ALIVE};
  preds[1] = (ws_predicate){.kind = WS_PRED_OTHERWISE};
  alts[0] = (ws_alternative){1, &preds[0]};
  alts[1] = (ws_alternative){1, &preds[1]};
  o[0] = (ws_outcome){.grade = WS_VERDICT_PASS, .count = 1, .alts = &alts[0]};
  o[1] = (ws_outcome){.grade = WS_VERDICT_FAIL, .count = 1, .alts = &alts[1]};
  return o;
}

static void base_case(ws_case *c, ws_step *steps, size_t n) {
  static ws_predicate preds[2];
  static ws_alternative alts[2];
  memset(c, 0, sizeof *c);
  snprintf(c->id, sizeof c->id, "fuzz-1-2");
  c->title = "Hand-built";
  c->area = "robustness";
  c->rfc = "6455#10.4";
  c->level = WS_LEVEL_MUST;
  c->timeout_ms = 250;
  c->steps = steps;
  c->step_count = n;
  c->outcomes = alive_outcomes(preds, alts);
  c->outcome_count = 2;
  c->uses_alive = true;
}

static ws_step frame(uint8_t op, const void *p, size_t len) {
  ws_step s = {.kind = WS_STEP_FRAME};
  s.frame.fin = true;
  s.frame.opcode = op;
  s.frame.mask = WS_MASK_RANDOM;
  s.payload.ptr = p;
  s.payload.len = len;
  return s;
}

Test(case_write, lies_and_odd_payloads) {
  static uint8_t big[70000];
  memset(big, 0xfe, sizeof big);
  big[100] = 'x';
  big[69999] = 0;
  static const uint8_t bin[] = {0, 1, 2, 0x80, 0xff, '"', '\\', '\n', 'a'};
  ws_step s[9];
  s[0] = (ws_step){.kind = WS_STEP_CHOP, .number = 3};
  s[0].frame = frame(1, "", 0).frame;
  s[0].payload.ptr = (const uint8_t *)"";
  s[1] = frame(0xB, bin, sizeof bin);
  s[1].frame.rsv = 2;
  s[1].frame.fin = false;
  s[1].frame.mask = WS_MASK_FIXED;
  memcpy(s[1].frame.mask_key, "\x00\x01\xab\xff", 4);
  s[2] = frame(WS_OP_BINARY, big, sizeof big);
  s[2].frame.length_form = WS_LEN_64BIT;
  s[2].frame.lie_length = true;
  s[2].frame.declared_length = UINT64_MAX;
  s[3] = frame(WS_OP_PING, "abc", 3);
  s[3].frame.length_form = WS_LEN_16BIT;
  s[3].frame.mask = WS_MASK_NONE;
  s[3].echo = true;
  s[4] = frame(WS_OP_PONG, "", 0);
  s[4].echo = true;
  s[5] = frame(WS_OP_CLOSE, "\x03\xe8", 2);
  s[5].echo = true;
  s[6] = frame(WS_OP_CLOSE, "\x03\xe8zz", 4);
  s[7] = (ws_step){.kind = WS_STEP_WAIT, .number = 2};
  s[7].frame = s[0].frame;
  s[7].payload = s[0].payload;
  s[8] = (ws_step){.kind = WS_STEP_AWAIT};
  s[8].frame = s[0].frame;
  s[8].payload = s[0].payload;
  ws_case c;
  base_case(&c, s, 9);
  round_trip(&c);
}

Test(case_write, raw_request_with_literal_placeholder) {
  static const char req[] = "GET {path} HTTP/1.1\r\nX: \\ \x01\r\n\r\n";
  ws_step s = {.kind = WS_STEP_REQUEST};
  s.frame = frame(1, "", 0).frame;
  s.payload.ptr = (const uint8_t *)req;
  s.payload.len = sizeof req - 1;
  ws_case c;
  base_case(&c, &s, 1);
  c.raw_handshake = true;
  c.about_handshake = true; /* as the parser derives it */
  round_trip(&c);           /* literal: the request block */
  s.request_is_template = true;
  round_trip(&c);     /* a template: request-bytes */
  s.payload.len -= 2; /* no final empty line: not expressible literally */
  s.request_is_template = false;
  char *text, err[128];
  size_t len;
  cr_assert_eq(ws_case_write(&c, &text, &len, err, sizeof err), -1);
  cr_assert(strstr(err, "empty line"), "%s", err);
}

Test(case_write, handshake_not_first_is_refused) {
  ws_step s[2];
  s[0] = frame(WS_OP_TEXT, "a", 1);
  s[1] = (ws_step){.kind = WS_STEP_HANDSHAKE};
  s[1].frame = s[0].frame;
  s[1].payload.ptr = (const uint8_t *)"";
  ws_case c;
  base_case(&c, s, 2);
  char *text, err[128];
  size_t len;
  cr_assert_eq(ws_case_write(&c, &text, &len, err, sizeof err), -1);
  cr_assert(strstr(err, "first"), "%s", err);
}
