/* The `stream` step (engine/session_stream.c): lock-step messages cut from a
 * corpus, every echo compared on arrival and only counted, the profile's
 * message count, and the deadline that grows with it. */
#include "case/corpus.h"
#include "case/stream.h"
#include "tests/unit/session_pump.h"

#include <criterion/criterion.h>

static ws_step *tc_stream(tcase *t, uint8_t opcode, enum ws_corpus kind,
                          uint64_t size, uint32_t count, uint32_t full,
                          uint64_t fragment) {
  ws_step *s = tc_add(t, WS_STEP_STREAM);
  s->frame.opcode = opcode;
  s->echo = true;
  s->stream = (ws_step_stream){.corpus = (uint8_t)kind,
                               .size = size,
                               .count = count,
                               .full_count = full,
                               .fragment = fragment};
  return s;
}

static void run_against_reference(tcase *t, enum ws_profile profile,
                                  ws_observation *obs, bool bytewise) {
  ws_server_config cfg;
  ws_server_config_defaults(&cfg);
  ws_conn *conn = ws_conn_new(&cfg);
  cr_assert_not_null(conn);
  ws_observation_init(obs);
  ws_session_opts o = client_opts();
  o.profile = profile;
  ws_session *s = ws_session_new(&t->c, &o, obs, T0);
  cr_assert_not_null(s);
  peer p = conn_peer(conn);
  pump(s, &p, bytewise);
  ws_session_free(s);
  ws_conn_free(conn);
}

Test(session_stream, every_echo_is_checked_and_counted_not_kept) {
  tcase t;
  tc_init(&t, "s.stream", 5000);
  tc_stream(&t, WS_OP_TEXT, WS_CORPUS_JSON, 3000, 3, 50, 0);
  tc_stream(&t, WS_OP_BINARY, WS_CORPUS_BITMAP, 5000, 2, 2, 700);
  tc_text(&t, "after")->echo = true;
  tc_close(&t, 1000);
  ws_observation obs;
  run_against_reference(&t, WS_PROFILE_DEFAULT, &obs, false);
  assert_clean(&obs);
  cr_assert_eq(obs.stream_expected, 5);
  cr_assert_eq(obs.stream_sent, 5);
  cr_assert_eq(obs.stream_echoed, 5);
  cr_assert_eq(obs.stream_mismatched, 0);
  cr_assert_null(obs.stream_problem);
  /* Only the plain step's echo is an event. */
  cr_assert_eq(count_events(&obs, WS_OBS_MESSAGE), 1);
  assert_message(&obs, 0, WS_OP_TEXT, "after", 5);
  assert_closed_1000(&obs);
  /* The fragmented step's first message left as 8 frames of 700 bytes at
   * most: 5000 = 7 * 700 + 100. */
  cr_assert(wire_has_note(&obs, "stream message 1 of 2 (binary, 5000 bytes, "
                                "fragmented)"));
  ws_observation_free(&obs);
}

Test(session_stream, the_full_profile_sends_the_full_count) {
  tcase t;
  tc_init(&t, "s.stream.full", 2000);
  tc_stream(&t, WS_OP_TEXT, WS_CORPUS_PROSE, 64, 2, 40, 0);
  tc_close(&t, 1000);
  ws_observation obs;
  run_against_reference(&t, WS_PROFILE_FULL, &obs, false);
  assert_clean(&obs);
  cr_assert_eq(obs.stream_expected, 40);
  cr_assert_eq(obs.stream_echoed, 40);
  ws_observation_free(&obs);
}

Test(session_stream, byte_by_byte_io_changes_nothing) {
  tcase t;
  tc_init(&t, "s.stream.bytes", 60000);
  tc_stream(&t, WS_OP_BINARY, WS_CORPUS_RANDOM, 200, 3, 3, 64);
  tc_close(&t, 1000);
  ws_observation obs;
  run_against_reference(&t, WS_PROFILE_DEFAULT, &obs, true);
  assert_clean(&obs);
  cr_assert_eq(obs.stream_echoed, 3);
  ws_observation_free(&obs);
}

/* A server-role session whose steps send data right after the upgrade: the
 * client's stream takes those messages as its echoes. */
static void against_server_case(tcase *client, tcase *server,
                                enum ws_profile profile, ws_observation *obs,
                                pump_stats *st) {
  ws_observation peer_obs;
  ws_observation_init(&peer_obs);
  ws_observation_init(obs);
  ws_session_opts so = server_opts();
  ws_session *srv = ws_session_new(&server->c, &so, &peer_obs, T0);
  ws_session_opts co = client_opts();
  co.profile = profile;
  ws_session *cli = ws_session_new(&client->c, &co, obs, T0);
  cr_assert(srv && cli);
  peer p = session_peer(srv);
  *st = pump(cli, &p, false);
  ws_session_free(cli);
  ws_session_free(srv);
  ws_observation_free(&peer_obs);
}

Test(session_stream, a_different_echo_is_counted_and_described) {
  tcase c, s;
  tc_init(&c, "s.stream.bad", 2000);
  tc_stream(&c, WS_OP_TEXT, WS_CORPUS_JSON, 100, 2, 2, 0);
  tc_init(&s, "s.stream.peer", 2000);
  tc_text(&s, "wrong");
  uint8_t first[100];
  ws_stream_message(&c.steps[0], 1, first); /* message 2, exactly */
  tc_frame(&s, WS_OP_TEXT, first, sizeof first);
  ws_observation obs;
  pump_stats st;
  against_server_case(&c, &s, WS_PROFILE_DEFAULT, &obs, &st);
  /* Message 1's echo is "wrong"; message 2's is message 2. */
  cr_assert_eq(obs.stream_sent, 2);
  cr_assert_eq(obs.stream_mismatched, 1);
  cr_assert_eq(obs.stream_echoed, 1);
  cr_assert_not_null(obs.stream_problem);
  cr_assert_str_eq(obs.stream_problem, "step 1, message 1 of 2 (text, 100 "
                                       "bytes): came back with 5 bytes");
  ws_observation_free(&obs);
}

Test(session_stream, the_deadline_grows_with_the_full_count) {
  tcase c, s;
  tc_init(&c, "s.stream.silent", 1000);
  tc_stream(&c, WS_OP_TEXT, WS_CORPUS_JSON, 10, 2, 10, 0);
  tc_init(&s, "s.stream.mute", 60000);
  tc_wait(&s, 60000); /* upgrades, then never echoes */
  ws_observation obs;
  pump_stats st;
  against_server_case(&c, &s, WS_PROFILE_DEFAULT, &obs, &st);
  cr_assert_eq(obs.stream_echoed, 0);
  cr_assert(obs.deadline_hit);
  int64_t quick = st.end - T0;
  ws_observation_free(&obs);
  against_server_case(&c, &s, WS_PROFILE_FULL, &obs, &st);
  int64_t full = st.end - T0;
  ws_observation_free(&obs);
  /* 1 s for 2 messages, 5 s for 10; each end also waits out the closing
   * grace, the same in both. */
  cr_assert_geq(full - quick, 4000000, "quick %lld us, full %lld us",
                (long long)quick, (long long)full);
  cr_assert_lt(full - quick, 4500000);
}
