/* The words of a result: reasons, expected, observed, the close summary,
 * the wire copy and the case info. */
#include "tests/unit/grade_fixture.h"

TestSuite(grade_text, .fini = fini);

Test(grade_text, multi_alternative_pass_line_reason) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "close 1002 | drop", 2, 1, p_close(1, 1002), 1,
          pk(WS_PRED_DROP));
  to_init(&o);
  to_close(&o, 1000, "", 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_FAIL, "close-code");
  cr_assert_str_eq(R.reason,
                   "expected close 1002 | drop, got close 1000 (RFC 6455 5.2)");
}

Test(grade_text, expected_joins_pass_lines) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "close 1002", 1, 1, p_close(1, 1002));
  tc_line(&t, WS_VERDICT_NON_STRICT, "drop", 1, 1, pk(WS_PRED_DROP));
  tc_line(&t, WS_VERDICT_PASS, "close 1007", 1, 1, p_close(1, 1007));
  to_init(&o);
  to_close(&o, 1007, "", 1);
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  cr_assert_str_eq(R.expected, "close 1002 | close 1007");
}

Test(grade_text, observed_account) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  to_msg(&o, WS_OP_TEXT, "Hello");
  to_pong(&o, "abc");
  to_close(&o, 1002, "bad frame", 1);
  to_tcp_end(&o, 1);
  grade(&t, &o);
  cr_assert_str_eq(R.observed,
                   "status 101; 1 message (text, 5 bytes 'Hello'); pong "
                   "'abc'; close 1002 'bad frame' from peer at 4.0 ms; TCP "
                   "closed by peer at 3.1 ms");
}

Test(grade_text, close_summary) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_frame(&t, WS_OP_TEXT, true, "x", false);
  tc_frame(&t, WS_OP_CLOSE, true, "\x03\xe8", false);
  tc_line(&t, WS_VERDICT_PASS, "close any", 1, 1, p_close_flag("any"));
  to_init(&o);
  o.o.close_sent = true;
  grade(&t, &o); /* we closed, the peer never answered */
  cr_assert_not(R.has_close);
  cr_assert_str_eq(R.close_by, "harness");
  to_close(&o, 1000, "bye", 2); /* after our close step started: an answer */
  o.o.closing_handshake = true;
  o.o.peer_closed_first = true;
  to_tcp_end(&o, 2);
  grade(&t, &o);
  cr_assert(R.has_close);
  cr_assert_eq(R.close_code, 1000);
  cr_assert_str_eq(R.close_reason, "bye");
  cr_assert_str_eq(R.close_by, "harness");
  cr_assert(R.close_clean);
  o.ev[0].steps_started = 1; /* before our close step: the peer's own */
  grade(&t, &o);
  cr_assert_str_eq(R.close_by, "peer");
  to_init(&o);
  grade(&t, &o);
  cr_assert_str_eq(R.close_by, "none");
  cr_assert_not(R.close_clean);
}

Test(grade_text, wire_copied_for_non_pass_only) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  static uint8_t bytes[] = {0x81, 0x03, 'o', 'n', 'e'};
  o.wire[0] = (ws_wire_entry){.t_ms = 1.5,
                              .dir = WS_WIRE_RX,
                              .bytes = bytes,
                              .len = sizeof bytes,
                              .note = "frame"};
  o.wire[1] = (ws_wire_entry){.t_ms = 2.0, .dir = WS_WIRE_NOTE, .note = "end"};
  o.o.wire_count = 2;
  to_msg(&o, WS_OP_TEXT, "one");
  grade(&t, &o);
  assert_verdict(WS_VERDICT_PASS, "");
  cr_assert_eq(R.wire_count, 0);
  ws_case_result_free(&R);
  cr_assert_eq(ws_grade_case(&t.c, &o.o, true, &R), 0);
  cr_assert_eq(R.wire_count, 2);
  o.o.event_count = 0;
  to_recount(&o);
  grade(&t, &o);
  cr_assert_eq(R.wire_count, 2);
  cr_assert_str_eq(R.wire[0].dir, "rx");
  cr_assert_eq(R.wire[0].len, 5);
  cr_assert_eq(memcmp(R.wire[0].bytes, bytes, 5), 0);
  cr_assert_str_eq(R.wire[0].note, "frame");
  cr_assert_str_eq(R.wire[1].dir, "note");
}

Test(grade_text, case_info_copied) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  t.c.autobahn = "1.1.1";
  t.c.level = WS_LEVEL_SHOULD;
  to_init(&o);
  grade(&t, &o);
  cr_assert_str_eq(R.id, "t.1");
  cr_assert_str_eq(R.area, "framing");
  cr_assert_str_eq(R.rfc, "6455#5.2");
  cr_assert_str_eq(R.level, "SHOULD");
  cr_assert_str_eq(R.autobahn, "1.1.1");
  cr_assert_eq(R.duration_ms, 12.5);
  t.c.autobahn = NULL;
  grade(&t, &o);
  cr_assert_null(R.autobahn);
}

Test(grade_text, observed_without_upgrade) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "status 4xx", 1, 1, p_status(0, 4));
  to_init(&o);
  o.o.response_complete = false;
  o.o.upgraded = false;
  to_tcp_end(&o, 1);
  o.o.peer_reset = true;
  grade(&t, &o);
  cr_assert_str_eq(R.observed,
                   "no complete HTTP response; TCP reset by peer at 3.1 ms");
  o.o.response_complete = true;
  o.o.status = 101;
  o.o.upgrade_error = WS_E_HS_RESPONSE_UPGRADE;
  grade(&t, &o);
  cr_assert(strstr(R.observed, "status 101 (not a valid upgrade: response "
                               "Upgrade header is not websocket)"),
            "%s", R.observed);
}

Test(grade_text, observed_violation_pings_and_counts) {
  tcase t;
  tobs o;
  echo_case(&t, 1);
  to_init(&o);
  to_event(&o, WS_OBS_PING, 1);
  to_msg(&o, WS_OP_TEXT, "a");
  to_msg(&o, WS_OP_BINARY, "bc");
  to_pong(&o, "x");
  to_pong(&o, "y");
  to_event(&o, WS_OBS_VIOLATION, 1)->violation = WS_E_RESERVED_OPCODE;
  o.o.deadline_hit = true;
  o.o.duration_ms = 2000;
  grade(&t, &o);
  cr_assert_str_eq(R.observed,
                   "status 101; 2 messages (3 bytes in all); 2 pongs; 1 ping "
                   "from the peer (answered); violation: reserved opcode at "
                   "7.0 ms; no close frame; connection still open at the "
                   "deadline (2000 ms)");
}

Test(grade_text, drop_reset_and_missing_header_wording) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "close 1002", 1, 1, p_close(1, 1002));
  to_init(&o);
  to_tcp_end(&o, 1);
  o.o.peer_reset = true;
  grade(&t, &o);
  cr_assert_str_eq(R.reason, "expected close 1002, the peer reset TCP without "
                             "a close frame at 3.1 ms (RFC 6455 5.2)");
  tc_init(&t);
  tc_line(&t, WS_VERDICT_PASS, "header Sec-WebSocket-Version=13", 1, 1,
          p_header(WS_PRED_HEADER, "Sec-WebSocket-Version", "13"));
  to_init(&o);
  o.o.status = 400;
  grade(&t, &o);
  cr_assert_str_eq(R.reason, "expected header Sec-WebSocket-Version=13, got "
                             "no Sec-WebSocket-Version header (RFC 6455 5.2)");
}

Test(grade_text, payload_quoting_in_reasons) {
  tcase t;
  tobs o;
  tc_init(&t);
  tc_frame(&t, WS_OP_BINARY, true, "\x01'\\", true);
  tc_line(&t, WS_VERDICT_PASS, "echo", 1, 1, pk(WS_PRED_ECHO));
  to_init(&o);
  to_msg(&o, WS_OP_BINARY, "\xff'\\");
  grade(&t, &o);
  cr_assert_str_eq(R.reason, "message 1 differs: expected binary, 3 bytes "
                             "'\\x01\\'\\\\', got binary, 3 bytes "
                             "'\\xff\\'\\\\' (RFC 6455 5.2)");
}
