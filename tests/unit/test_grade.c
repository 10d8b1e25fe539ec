/* The verdict engine: every predicate and global rule on hand-built cases
 * and observations. */
#include "tests/unit/grade_fixture.h"

TestSuite(grade, .fini = fini);

Test(grade, echo_pass) {
  tcase t;
  tobs o;
  echo_case(&t, 2);
  to_init(&o);
  to_msg(&o, WS_OP_TEXT, "one");
  to_msg(&o, WS_OP_TEXT, "two");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  cr_assert_str_eq(R.reason, "");
  cr_assert_str_eq(R.expected, "echo");
}

Test(grade, echo_missing) {
  tcase t;
  tobs o;
  echo_case(&t, 3);
  to_init(&o);
  to_msg(&o, WS_OP_TEXT, "one");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-missing");
  cr_assert_str_eq(R.reason,
                   "expected 3 messages echoed, got 1 (RFC 6455 5.2)");
}

Test(grade, echo_mismatch) {
  tcase t;
  tobs o;
  echo_case(&t, 2);
  to_init(&o);
  to_msg(&o, WS_OP_TEXT, "one");
  to_msg(&o, WS_OP_TEXT, "tw0");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-mismatch");
  cr_assert_str_eq(R.reason, "message 2 differs: expected text, 3 bytes "
                             "'two', got text, 3 bytes 'tw0' (RFC 6455 5.2)");
}

Test(grade, echo_wrong_type_fails) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  to_msg(&o, WS_OP_BINARY, "one");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-mismatch");
}

Test(grade, echo_extra_message) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  to_msg(&o, WS_OP_TEXT, "one");
  to_msg(&o, WS_OP_TEXT, "one");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-unexpected");
  cr_assert_str_eq(R.reason, "expected 1 message echoed, got 2 (RFC 6455 5.2)");
}

Test(grade, echo_assembles_frame_steps) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_frame(&t, WS_OP_TEXT, false, "Hel", false);
  tc_frame(&t, WS_OP_PING, true, "p", true);
  tc_frame(&t, WS_OP_CONTINUATION, false, "lo, ", false);
  tc_frame(&t, WS_OP_CONTINUATION, true, "world", true);
  tc_line(&t, WS_VERDICT_PASS, "echo", 1, 1, pk(WS_PRED_ECHO));
  to_init(&o);
  to_pong(&o, "p");
  to_msg(&o, WS_OP_TEXT, "Hello, world");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
}

Test(grade, echo_fragmented_step) {
  tcase t;
  tobs o;
  tc_init(&t);
  ws_step *s = tc_step(&t, WS_STEP_FRAGMENTED);
  s->frame.opcode = WS_OP_BINARY;
  s->payload.ptr = (const uint8_t *)"abcdef";
  s->payload.len = 6;
  s->fragment_size = 2;
  s->echo = true;
  tc_line(&t, WS_VERDICT_PASS, "echo", 1, 1, pk(WS_PRED_ECHO));
  to_init(&o);
  to_msg(&o, WS_OP_BINARY, "abcdef");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
}

Test(grade, unmarked_message_not_expected) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_frame(&t, WS_OP_TEXT, true, "quiet", false);
  tc_line(&t, WS_VERDICT_PASS, "echo", 1, 1, pk(WS_PRED_ECHO));
  to_init(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  to_msg(&o, WS_OP_TEXT, "quiet");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-unexpected");
}

Test(grade, ping_echo_needs_same_pong) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_frame(&t, WS_OP_PING, true, "abc", true);
  tc_line(&t, WS_VERDICT_PASS, "echo", 1, 1, pk(WS_PRED_ECHO));
  to_init(&o);
  to_pong(&o, "abd");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-mismatch");
  cr_assert(strstr(R.reason, "pong 1 differs"), "%s", R.reason);
  to_init(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-missing");
  cr_assert_str_eq(R.reason, "expected 1 pong echoed, got 0 (RFC 6455 5.2)");
  to_pong(&o, "abc");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
}

Test(grade, peer_pings_ignored) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  to_event(&o, WS_OBS_PING, 1);
  to_msg(&o, WS_OP_TEXT, "one");
  to_event(&o, WS_OBS_PING, 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
}

Test(grade, a_message_kept_in_part_never_matches) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  to_msg(&o, WS_OP_TEXT, "on");
  o.ev[0].full_len = 3; /* the observation kept 2 of 3 bytes */
  grade(&t, &o);
  /* Its last byte was never compared: no echo is claimed on it. */
  assert_verdict(WS_VERDICT_FAIL, "echo-mismatch");
  o.ev[0].full_len = 4;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-mismatch");
}

static void partial_case(tcase *t) {
  echo_case(t, 3);
  t->outs[0].grade = WS_VERDICT_PASS;
  t->preds[0] = pk(WS_PRED_PARTIAL_ECHO);
  t->outs[0].text = "partial-echo";
}

Test(grade, partial_echo_subsequence) {
  tcase t;
  tobs o;
  partial_case(&t);
  to_init(&o);
  grade(&t, &o); /* nothing is a subsequence */
  assert_verdict(WS_VERDICT_PASS, "");
  to_msg(&o, WS_OP_TEXT, "one");
  to_msg(&o, WS_OP_TEXT, "three");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
}

Test(grade, partial_echo_order_and_strangers) {
  tcase t;
  tobs o;
  partial_case(&t);
  to_init(&o);
  to_msg(&o, WS_OP_TEXT, "three");
  to_msg(&o, WS_OP_TEXT, "one");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-unexpected");
  cr_assert(strstr(R.reason, "message 2"), "%s", R.reason);
  to_init(&o);
  to_msg(&o, WS_OP_TEXT, "one");
  to_msg(&o, WS_OP_TEXT, "one");
  grade(&t, &o); /* a repeat is not in order */
  assert_verdict(WS_VERDICT_FAIL, "echo-unexpected");
}

static void close_case(tcase *t) {
  tc_init(t);
  tc_frame(t, WS_OP_PING, true, "", false);
  tc_line(t, WS_VERDICT_PASS, "close 1002", 1, 1, p_close(1, 1002));
  tc_line(t, WS_VERDICT_NON_STRICT, "close empty | drop", 2, 1,
          p_close_flag("empty"), 1, pk(WS_PRED_DROP));
  tc_line(t, WS_VERDICT_FAIL, "otherwise", 1, 1, pk(WS_PRED_OTHERWISE));
}

Test(grade, close_code_pass_and_wrong_code) {
  tcase t;
  tobs o;
  close_case(&t);
  to_init(&o);
  to_close(&o, 1002, "bad frame", 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  to_init(&o);
  to_close(&o, 1000, "", 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "close-code");
  cr_assert_str_eq(R.reason,
                   "expected close 1002, got close 1000 (RFC 6455 5.2)");
}

Test(grade, close_empty_is_non_strict) {
  tcase t;
  tobs o;
  close_case(&t);
  to_init(&o);
  to_close_empty(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_NON_STRICT, "close-code");
  cr_assert_str_eq(R.reason,
                   "expected close 1002, got an empty close frame (matched "
                   "non-strict: close empty | drop)");
}

Test(grade, drop_is_non_strict) {
  tcase t;
  tobs o;
  close_case(&t);
  to_init(&o);
  to_tcp_end(&o, 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_NON_STRICT, "drop");
  cr_assert(strstr(R.reason, "matched non-strict: close empty | drop"), "%s",
            R.reason);
  cr_assert(strstr(R.reason, "closed TCP without a close frame"), "%s",
            R.reason);
}

Test(grade, no_close_before_deadline) {
  tcase t;
  tobs o;
  close_case(&t);
  to_init(&o);
  o.o.deadline_hit = true;
  o.o.duration_ms = 2000;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "no-close");
  cr_assert_str_eq(
      R.reason, "expected close 1002, the peer neither sent a close frame "
                "nor closed TCP before the deadline (2000 ms) (RFC 6455 5.2)");
}

Test(grade, close_sets_valid_any) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "close valid", 1, 1, p_close_flag("valid"));
  tc_line(&t, WS_VERDICT_INFORMATIONAL, "close any", 1, 1, p_close_flag("any"));
  to_init(&o);
  to_close(&o, 4000, "", 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  to_init(&o);
  to_close(&o, 1016, "", 1); /* not valid; graded without a violation */
  grade(&t, &o);
  assert_verdict(WS_VERDICT_INFORMATIONAL, "close-code");
  to_init(&o);
  to_close_empty(&o);
  grade(&t, &o); /* empty is no code, so not "valid" */
  cr_assert_eq(R.verdict, WS_VERDICT_INFORMATIONAL);
}

Test(grade, no_close_and_drop_predicates) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "no-close", 1, 1, pk(WS_PRED_NO_CLOSE));
  to_init(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  to_close(&o, 1000, "", 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "close-unexpected");
  t.preds[0] = pk(WS_PRED_DROP);
  t.outs[0].text = "drop";
  grade(&t, &o); /* a close frame, then TCP: not a drop */
  assert_verdict(WS_VERDICT_FAIL, "close-not-drop");
}

static void before_case(tcase *t) {
  tc_init(t);
  tc_frame(t, WS_OP_TEXT, true, "a", false);
  tc_frame(t, WS_OP_TEXT, true, "\xff", false);
  ws_step *rest = tc_frame(t, WS_OP_TEXT, true, "b", false);
  rest->label = "rest";
  tc_line(t, WS_VERDICT_PASS, "close 1007 & before rest", 1, 2,
          p_close(1, 1007), p_before("rest", 2));
  tc_line(t, WS_VERDICT_NON_STRICT, "close 1007", 1, 1, p_close(1, 1007));
}

Test(grade, before_label_by_close) {
  tcase t;
  tobs o;
  before_case(&t);
  to_init(&o);
  to_close(&o, 1007, "", 2); /* steps 0 and 1 had started */
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  to_init(&o);
  to_close(&o, 1007, "", 3);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_NON_STRICT, "late-fail");
  cr_assert(strstr(R.reason, "before step 'rest' (line 13)"), "%s", R.reason);
}

Test(grade, before_label_by_tcp_end) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_frame(&t, WS_OP_TEXT, true, "a", false);
  tc_frame(&t, WS_OP_TEXT, true, "b", false)->label = "later";
  tc_line(&t, WS_VERDICT_PASS, "before later", 1, 1, p_before("later", 1));
  to_init(&o);
  to_tcp_end(&o, 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  to_init(&o);
  to_tcp_end(&o, 2);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "late-fail");
  to_init(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "no-fail");
}

Test(grade, status_classes_and_lists) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "status 4xx", 1, 1, p_status(0, 4));
  to_init(&o);
  o.o.status = 426;
  o.o.upgraded = false;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  o.o.status = 101;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "status");
  cr_assert_str_eq(R.reason, "expected status 4xx, got 101 (RFC 6455 5.2)");
  o.o.response_complete = false;
  grade(&t, &o);
  cr_assert_str_eq(
      R.reason,
      "expected status 4xx, got no complete HTTP response (RFC 6455 5.2)");
  /* "status 400,405" */
  t.preds[0] = p_status(400, 0);
  t.preds[0].codes.codes[t.preds[0].codes.count++] = 405;
  t.outs[0].text = NULL; /* rendered from the predicate */
  o.o.response_complete = true;
  o.o.status = 405;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  cr_assert_str_eq(R.expected, "status 400,405");
  o.o.status = 404;
  grade(&t, &o);
  cr_assert_str_eq(R.reason, "expected status 400,405, got 404 (RFC 6455 5.2)");
}

Test(grade, no_response_and_upgraded) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "upgraded", 1, 1, pk(WS_PRED_UPGRADED));
  tc_line(&t, WS_VERDICT_INFORMATIONAL, "no-response", 1, 1,
          pk(WS_PRED_NO_RESPONSE));
  to_init(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  o.o.upgraded = false;
  o.o.upgrade_error = WS_E_HS_RESPONSE_ACCEPT;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "not-upgraded");
  cr_assert(strstr(R.reason, "got status 101, but response "
                             "Sec-WebSocket-Accept missing or wrong"),
            "%s", R.reason);
  o.o.response_complete = false;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_INFORMATIONAL, "not-upgraded");
}

/* As the server the HTTP message read is the client's request: a reason
 * never quotes a status it does not have (a case written for the client
 * side, with a status line, played as the server). */
Test(grade, server_role_reason_names_the_request_not_a_status) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "status 101", 1, 1, p_status(101, 0));
  to_init(&o);
  o.o.role = WS_ROLE_SERVER;
  o.o.status = 0;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "status");
  cr_assert_null(strstr(R.reason, "got 0"), "%s", R.reason);
  cr_assert(strstr(R.reason, "answered the client's request"), "%s", R.reason);
}

Test(grade, header_compare_case_insensitive_trimmed) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "header Sec-WebSocket-Version=13", 1, 1,
          p_header(WS_PRED_HEADER, "Sec-WebSocket-Version", "13"));
  to_init(&o);
  o.o.status = 426;
  to_header(&o, "sec-websocket-version", "  13 ");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  o.hd[0].value = "8, 13";
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "header");
  cr_assert_str_eq(R.reason, "expected header Sec-WebSocket-Version=13, got "
                             "sec-websocket-version: 8, 13 (RFC 6455 5.2)");
  t.preds[0].value = NULL; /* presence only */
  t.outs[0].text = "header Sec-WebSocket-Version";
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  t.preds[0].value = "WebSocket";
  t.preds[0].name = "Upgrade";
  o.hd[1].name = "UPGRADE";
  o.hd[1].value = "websocket";
  o.o.header_count = 2;
  grade(&t, &o); /* values compare case-insensitively */
  assert_verdict(WS_VERDICT_PASS, "");
}

Test(grade, header_token_in_a_comma_list) {
  tcase t;
  tobs o;
  tc_init(&t);
  ws_predicate want = p_header(WS_PRED_HEADER, "Sec-WebSocket-Version", "13");
  want.value_is_token = true;
  tc_line(&t, WS_VERDICT_PASS, "header Sec-WebSocket-Version~13", 1, 1, want);
  to_init(&o);
  o.o.status = 426;
  to_header(&o, "Sec-WebSocket-Version", "13, 8");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  o.hd[0].value = "8,7";
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "header");
  cr_assert_str_eq(R.reason, "expected header Sec-WebSocket-Version~13, got "
                             "Sec-WebSocket-Version: 8,7 (RFC 6455 5.2)");
  o.hd[0].value = "130, 113"; /* an element, not a substring */
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "header");
}

Test(grade, no_header) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "no-header Sec-WebSocket-Protocol", 1, 1,
          p_header(WS_PRED_NO_HEADER, "Sec-WebSocket-Protocol", NULL));
  to_init(&o);
  to_header(&o, "Upgrade", "websocket");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  to_header(&o, "sec-websocket-PROTOCOL", "chat");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "header");
  cr_assert_str_eq(R.reason, "expected no-header Sec-WebSocket-Protocol, got "
                             "sec-websocket-PROTOCOL: chat (RFC 6455 5.2)");
}

Test(grade, alive) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "alive", 1, 1, pk(WS_PRED_ALIVE));
  to_init(&o);
  o.o.alive = 1;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  o.o.alive = 0;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "not-alive");
  cr_assert(strstr(R.observed, "not alive after the case"), "%s", R.observed);
  o.o.alive = -1;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "not-alive");
}

Test(grade, message_and_pong_counts) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "pongs 10", 1, 1,
          p_range(WS_PRED_PONGS, 10, 10));
  tc_line(&t, WS_VERDICT_NON_STRICT, "pongs 1..9 & messages 0", 1, 2,
          p_range(WS_PRED_PONGS, 1, 9), p_range(WS_PRED_MESSAGES, 0, 0));
  to_init(&o);
  for (int i = 0; i < 10; i++)
    to_pong(&o, "x");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  o.o.event_count = 3;
  to_recount(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_NON_STRICT, "pongs");
  cr_assert_str_eq(R.reason, "expected 10 pongs, got 3 (matched non-strict: "
                             "pongs 1..9 & messages 0)");
  to_msg(&o, WS_OP_TEXT, "x");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "pongs");
}

Test(grade, violation_overrides_pass) {
  tcase t;
  tobs o;
  close_case(&t);
  to_init(&o);
  to_close(&o, 1002, "", 1);
  to_event(&o, WS_OBS_VIOLATION, 1)->violation = WS_E_MASKED_FRAME;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "violation");
  cr_assert_str_eq(R.reason, "frame from a server is masked (RFC 6455 5.1)");
  to_event(&o, WS_OBS_VIOLATION, 1)->violation = WS_E_INVALID_UTF8;
  grade(&t, &o);
  to_event(&o, WS_OBS_VIOLATION, 1)->violation = WS_E_MASKED_FRAME;
  grade(&t, &o);
  cr_assert_str_eq(R.reason, "frame from a server is masked (RFC 6455 5.1), 2 "
                             "times; also: text message is not valid UTF-8");
}

Test(grade, tcp_close_order_downgrades_pass) {
  tcase t;
  tobs o;
  close_case(&t);
  to_init(&o);
  to_close(&o, 1002, "", 1);
  o.o.close_sent = true;
  o.o.closing_handshake = true;
  o.o.peer_closed_first = false;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_NON_STRICT, "tcp-close-order");
  cr_assert_str_eq(R.reason, "the server did not close TCP first after the "
                             "closing handshake (RFC 6455 7.1.1)");
  o.o.peer_closed_first = true;
  to_tcp_end(&o, 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  cr_assert(R.close_clean);
}

Test(grade, tcp_close_order_leaves_non_pass_alone) {
  tcase t;
  tobs o;
  close_case(&t);
  to_init(&o);
  to_close(&o, 1000, "", 1);
  o.o.closing_handshake = true;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "close-code");
}

Test(grade, harness_error_is_error) {
  tcase t;
  tobs o;
  close_case(&t);
  to_init(&o);
  to_event(&o, WS_OBS_VIOLATION, 1)->violation = WS_E_MASKED_FRAME;
  o.o.harness_error = "connection refused";
  grade(&t, &o);
  assert_verdict(WS_VERDICT_ERROR, "harness");
  cr_assert_str_eq(R.reason, "connection refused");
  cr_assert_str_eq(R.observed, "harness error: connection refused");
}

Test(grade, no_line_matching_fails) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "close 1002", 1, 1, p_close(1, 1002));
  tc_line(&t, WS_VERDICT_NON_STRICT, "drop", 1, 1, pk(WS_PRED_DROP));
  to_init(&o);
  to_close(&o, 1011, "", 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "close-code");
  cr_assert_str_eq(R.reason,
                   "expected close 1002, got close 1011 (RFC 6455 5.2)");
}

Test(grade, no_pass_line_reports_matched_line) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_INFORMATIONAL, "status 101", 1, 1, p_status(101, 0));
  tc_line(&t, WS_VERDICT_UNIMPLEMENTED, "otherwise", 1, 1,
          pk(WS_PRED_OTHERWISE));
  to_init(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_INFORMATIONAL, "matched-line");
  cr_assert_str_eq(R.reason, "matched informational: status 101");
  /* Another line matched: the first non-fail line explains what differed. */
  o.o.status = 400;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_UNIMPLEMENTED, "status");
  cr_assert_str_eq(R.reason, "expected status 101, got 400 (matched "
                             "unimplemented: otherwise)");
  t.c.outcome_count = 1;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "status");
  cr_assert_str_eq(R.reason, "expected status 101, got 400 (RFC 6455 5.2)");
}

Test(grade, a_case_without_pass_or_other_lines_still_says_why) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_FAIL, "otherwise", 1, 1, pk(WS_PRED_OTHERWISE));
  to_init(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "no-match");
  cr_assert_str_eq(R.reason, "no expectation line matched (RFC 6455 5.2)");
}

/* ---- evidence first (FORMAT.md global rules) ---- */

Test(grade, a_connection_never_made_is_an_error_naming_the_target) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  o.o.response_complete = o.o.upgraded = false;
  o.o.status = 0;
  o.o.harness_error = "cannot connect to 127.0.0.1:1: connection refused";
  o.o.connect_error = 111;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_ERROR, "target-unavailable");
  o.o.connect_error = 0; /* the harness's own trouble, not the target's */
  o.o.harness_error = "out of memory";
  grade(&t, &o);
  assert_verdict(WS_VERDICT_ERROR, "harness");
}

Test(grade, no_answer_to_the_handshake_is_an_error_for_a_frame_case) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  o.o.response_complete = o.o.upgraded = false;
  o.o.status = 0;
  to_tcp_end(&o, 0);
  o.o.peer_reset = true;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_ERROR, "target-unavailable");
  cr_assert(strstr(R.reason, "reset the connection before answering"), "%s",
            R.reason);
  /* Silence until the deadline too. */
  to_init(&o);
  o.o.response_complete = o.o.upgraded = false;
  o.o.deadline_hit = true;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_ERROR, "target-unavailable");
}

Test(grade, a_refused_handshake_is_an_error_and_an_invalid_101_a_failure) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  o.o.upgraded = false;
  o.o.status = 403;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_ERROR, "handshake-refused");
  cr_assert(strstr(R.reason, "HTTP 403"), "%s", R.reason);
  o.o.status = 101;
  o.o.upgrade_error = WS_E_HS_RESPONSE_ACCEPT;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "handshake-invalid");
  cr_assert_str_eq(R.reason, "the 101 response is invalid: response "
                             "Sec-WebSocket-Accept missing or wrong (RFC "
                             "6455 4.2.2)");
}

Test(grade, a_case_about_the_handshake_grades_the_refusal_itself) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "status 4xx", 1, 1, p_status(0, 4));
  tc_line(&t, WS_VERDICT_FAIL, "otherwise", 1, 1, pk(WS_PRED_OTHERWISE));
  cr_assert(t.c.about_handshake);
  to_init(&o);
  o.o.upgraded = false;
  o.o.status = 400;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
}

Test(grade, a_because_line_gives_the_reason_and_what_missed_the_pass_line) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "close 1002", 1, 1, p_close(1, 1002));
  tc_line(&t, WS_VERDICT_NON_STRICT, "close any", 1, 1, p_close_flag("any"));
  t.outs[1].because = "closed without the 1002 code (RFC 6455 5.1: a MAY)";
  tc_line(&t, WS_VERDICT_FAIL, "otherwise", 1, 1, pk(WS_PRED_OTHERWISE));
  to_init(&o);
  to_close(&o, 1000, "", 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_NON_STRICT, "close-code");
  cr_assert_str_eq(R.reason, "closed without the 1002 code (RFC 6455 5.1: a "
                             "MAY) (expected close 1002, got close 1000)");
}

Test(grade, a_fail_without_because_names_the_cases_rfc_sections) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  t.c.rfc = "6455#5.5, 7692#7.2.1";
  to_init(&o);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-missing");
  cr_assert_str_eq(R.reason, "expected 1 message echoed, got 0 (RFC 6455 "
                             "5.5, RFC 7692 7.2.1)");
}

Test(grade, last_pong_holds_when_the_latest_ping_is_answered) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_frame(&t, WS_OP_PING, true, "p1", true);
  tc_frame(&t, WS_OP_PING, true, "p2", true);
  tc_line(&t, WS_VERDICT_PASS, "echo", 1, 1, pk(WS_PRED_ECHO));
  tc_line(&t, WS_VERDICT_NON_STRICT, "partial-echo & last-pong", 1, 2,
          pk(WS_PRED_PARTIAL_ECHO), pk(WS_PRED_LAST_PONG));
  tc_line(&t, WS_VERDICT_FAIL, "otherwise", 1, 1, pk(WS_PRED_OTHERWISE));
  to_init(&o);
  to_pong(&o, "p2"); /* RFC 6455 5.5.3: only the latest answered */
  grade(&t, &o);
  assert_verdict(WS_VERDICT_NON_STRICT, "echo-mismatch");
  to_init(&o);
  to_pong(&o, "p1"); /* the latest never answered */
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "echo-missing");
}

Test(grade, counts_come_from_every_event_not_only_the_kept_ones) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "pongs 0", 1, 1, p_range(WS_PRED_PONGS, 0, 0));
  tc_line(&t, WS_VERDICT_FAIL, "otherwise", 1, 1, pk(WS_PRED_OTHERWISE));
  to_init(&o);
  o.o.kind_total[WS_OBS_PONG] = 50000; /* a flood, none of it kept */
  o.o.events_dropped = 50000;
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "pongs");
  cr_assert(strstr(R.reason, "got 50000"), "%s", R.reason);
}
