/* permessage-deflate in the case engine (engine/session_deflate.c): the
 * agreement read off the handshake, our messages compressed, the peer's
 * inflated with exactly what it agreed to, in both roles, and what breaks
 * RFC 7692 recorded as the peer's violation. */
#include "codec/errors.h"
#include "tests/unit/session_pump.h"

#include <criterion/criterion.h>

static ws_step *offer(tcase *t, const char *extensions) {
  ws_step *hs = tc_add(t, WS_STEP_HANDSHAKE);
  hs->extensions = extensions;
  return hs;
}

static ws_step *compressed_text(tcase *t, const char *text) {
  ws_step *s = tc_text(t, text);
  s->compress = true;
  return s;
}

static void against_conn(tcase *t, const ws_server_config *cfg,
                         ws_observation *obs, bool bytewise) {
  ws_conn *conn = ws_conn_new(cfg);
  cr_assert_not_null(conn);
  ws_observation_init(obs);
  ws_session_opts o = client_opts();
  ws_session *s = ws_session_new(&t->c, &o, obs, T0);
  cr_assert_not_null(s);
  peer p = conn_peer(conn);
  pump(s, &p, bytewise);
  ws_session_free(s);
  ws_conn_free(conn);
}

static void against_default_conn(tcase *t, ws_observation *obs, bool bytewise) {
  ws_server_config cfg;
  ws_server_config_defaults(&cfg);
  against_conn(t, &cfg, obs, bytewise);
}

/* Both roles: the client session of `client` against a server session of
 * `server`; obs is the client's. */
static void between_sessions(tcase *client, tcase *server, ws_observation *obs,
                             ws_observation *server_obs) {
  ws_observation_init(server_obs);
  ws_observation_init(obs);
  ws_session_opts so = server_opts();
  ws_session *srv = ws_session_new(&server->c, &so, server_obs, T0);
  ws_session_opts co = client_opts();
  ws_session *cli = ws_session_new(&client->c, &co, obs, T0);
  cr_assert(srv && cli);
  peer p = session_peer(srv);
  pump(cli, &p, false);
  ws_session_free(cli);
  ws_session_free(srv);
}

Test(session_deflate, compressed_messages_echo_with_context_takeover) {
  for (size_t m = 0; m < 2; m++) {
    tcase t;
    tc_init(&t, "d.echo", 3000);
    offer(&t, "permessage-deflate");
    compressed_text(&t, "Hello, Hello, Hello, compressed world");
    compressed_text(&t, "Hello, Hello, Hello, compressed world");
    tc_close(&t, 1000);
    ws_observation obs;
    against_default_conn(&t, &obs, bytewise_modes[m]);
    assert_clean(&obs);
    cr_assert(obs.deflate);
    cr_assert_eq(obs.deflate_offer, 1);
    cr_assert_eq(obs.deflate_agreement.server_window_bits, 15);
    assert_message(&obs, 0, WS_OP_TEXT, "Hello, Hello, Hello, compressed world",
                   37);
    assert_message(&obs, 1, WS_OP_TEXT, "Hello, Hello, Hello, compressed world",
                   37);
    cr_assert(wire_has_note(&obs, "permessage-deflate agreed"));
    cr_assert(wire_has_note(&obs, "inflated: 37 bytes from"));
    assert_closed_1000(&obs);
    ws_observation_free(&obs);
  }
}

Test(session_deflate, small_windows_and_no_context_takeover_round_trip) {
  static const char *offers[] = {
      "permessage-deflate; server_max_window_bits=8",
      "permessage-deflate; server_no_context_takeover; "
      "client_no_context_takeover",
      "permessage-deflate; client_max_window_bits=9; server_max_window_bits=9",
  };
  static uint8_t big[6000];
  for (size_t i = 0; i < sizeof big; i++)
    big[i] = (uint8_t) "abcdefghij"[(i * 7 + i / 300) % 10];
  for (size_t k = 0; k < sizeof offers / sizeof *offers; k++) {
    tcase t;
    tc_init(&t, "d.windows", 3000);
    offer(&t, offers[k]);
    ws_step *f = tc_add(&t, WS_STEP_FRAGMENTED);
    f->frame.opcode = WS_OP_BINARY;
    f->frame.mask = WS_MASK_RANDOM;
    f->payload = (ws_bytes){big, sizeof big};
    f->fragment_size = 100;
    f->compress = true;
    f->echo = true;
    ws_step *again = tc_frame(&t, WS_OP_BINARY, big, sizeof big);
    again->compress = true;
    again->echo = true;
    tc_close(&t, 1000);
    ws_observation obs;
    against_default_conn(&t, &obs, false);
    assert_clean(&obs);
    cr_assert(obs.deflate, "offer %zu", k);
    cr_assert_eq(count_events(&obs, WS_OBS_MESSAGE), 2);
    for (size_t n = 0; n < 2; n++) {
      const ws_obs_event *e = nth_event(&obs, WS_OBS_MESSAGE, n);
      cr_assert_eq(e->full_len, sizeof big);
      cr_assert_eq(memcmp(e->data, big, sizeof big), 0);
    }
    ws_observation_free(&obs);
  }
}

Test(session_deflate, a_declining_server_upgrades_without_it) {
  tcase t;
  tc_init(&t, "d.declined", 2000);
  offer(&t, "permessage-deflate");
  compressed_text(&t, "plain after all");
  tc_close(&t, 1000);
  ws_server_config cfg;
  ws_server_config_defaults(&cfg);
  cfg.no_deflate = true;
  ws_observation obs;
  against_conn(&t, &cfg, &obs, false);
  assert_clean(&obs);
  cr_assert(obs.upgraded);
  cr_assert_not(obs.deflate);
  assert_message(&obs, 0, WS_OP_TEXT, "plain after all", 15);
  ws_observation_free(&obs);
}

Test(session_deflate, the_server_role_compresses_what_it_accepts) {
  tcase c, s;
  tc_init(&c, "d.client", 2000);
  offer(&c, "permessage-deflate; client_max_window_bits, permessage-deflate");
  tc_wait(&c, 300);
  tc_init(&s, "d.server", 2000);
  offer(&s, "permessage-deflate; server_max_window_bits=10");
  compressed_text(&s, "from the server, squeezed, squeezed");
  ws_observation obs, server_obs;
  between_sessions(&c, &s, &obs, &server_obs);
  cr_assert(obs.deflate);
  cr_assert(server_obs.deflate);
  cr_assert_eq(obs.deflate_offer, 1);
  cr_assert_eq(obs.deflate_agreement.server_window_bits, 10);
  assert_message(&obs, 0, WS_OP_TEXT, "from the server, squeezed, squeezed",
                 35);
  cr_assert_eq(count_events(&obs, WS_OBS_VIOLATION), 0);
  ws_observation_free(&obs);
  ws_observation_free(&server_obs);
}

Test(session_deflate, an_answer_never_offered_fails_the_upgrade) {
  tcase c, s;
  tc_init(&c, "d.unasked", 2000);
  offer(&c, "permessage-deflate; client_max_window_bits");
  tc_wait(&c, 200);
  tc_init(&s, "d.wrong", 2000);
  /* client_no_context_takeover takes no value (RFC 7692 7.1.1.2): an
   * answer the client must fail the connection over. */
  offer(&s, "permessage-deflate; client_no_context_takeover=1");
  tc_wait(&s, 200);
  ws_observation obs, server_obs;
  between_sessions(&c, &s, &obs, &server_obs);
  cr_assert_not(obs.upgraded);
  cr_assert_not(obs.deflate);
  ws_observation_free(&obs);
  ws_observation_free(&server_obs);
}

/* The server role sends raw frames: payload bytes as written, RSV1 set. */
static void raw_rsv1(tcase *s, const uint8_t *deflated, size_t len) {
  ws_step *f = tc_frame(s, WS_OP_TEXT, deflated, len);
  f->frame.rsv = 4;
  f->frame.mask = WS_MASK_NONE;
}

Test(session_deflate, invalid_deflate_data_is_the_peers_violation) {
  tcase c, s;
  tc_init(&c, "d.garbage", 2000);
  offer(&c, "permessage-deflate");
  tc_wait(&c, 300);
  tc_init(&s, "d.garbage.peer", 2000);
  offer(&s, "permessage-deflate");
  static const uint8_t reserved_btype[] = {0x07, 0x00}; /* BTYPE 11 */
  raw_rsv1(&s, reserved_btype, sizeof reserved_btype);
  ws_observation obs, server_obs;
  between_sessions(&c, &s, &obs, &server_obs);
  cr_assert(obs.deflate);
  cr_assert_eq(count_events(&obs, WS_OBS_MESSAGE), 0);
  const ws_obs_event *v = nth_event(&obs, WS_OBS_VIOLATION, 0);
  cr_assert_not_null(v);
  cr_assert(wire_has_note(&obs, "peer violation"));
  ws_observation_free(&obs);
  ws_observation_free(&server_obs);
}

Test(session_deflate, inflated_text_is_checked_as_utf8) {
  tcase c, s;
  tc_init(&c, "d.utf8", 2000);
  offer(&c, "permessage-deflate");
  tc_wait(&c, 300);
  tc_init(&s, "d.utf8.peer", 2000);
  offer(&s, "permessage-deflate");
  /* A stored block holding the two bytes ce ba ff ("κ" then 0xff). */
  static const uint8_t stored[] = {0x00, 0x03, 0x00, 0xfc, 0xff,
                                   0xce, 0xba, 0xff, 0x00};
  raw_rsv1(&s, stored, sizeof stored);
  ws_observation obs, server_obs;
  between_sessions(&c, &s, &obs, &server_obs);
  const ws_obs_event *v = nth_event(&obs, WS_OBS_VIOLATION, 0);
  cr_assert_not_null(v);
  cr_assert_eq(v->violation, WS_E_INVALID_UTF8, "%d %s", v->violation,
               ws_error_message(v->violation));
  cr_assert(wire_has_note(&obs, "in the inflated text message"));
  ws_observation_free(&obs);
  ws_observation_free(&server_obs);
}

Test(session_deflate, rsv1_without_an_agreement_is_a_violation) {
  tcase c, s;
  tc_init(&c, "d.unagreed", 2000);
  tc_wait(&c, 300);
  tc_init(&s, "d.unagreed.peer", 2000);
  static const uint8_t hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  raw_rsv1(&s, hello, sizeof hello);
  ws_observation obs, server_obs;
  between_sessions(&c, &s, &obs, &server_obs);
  cr_assert(obs.upgraded);
  cr_assert_not(obs.deflate);
  /* Observed, not inflated: the reader reports the RSV1 bit it was never
   * told of (and, observing, still hands the frame on as sent). */
  const ws_obs_event *v = nth_event(&obs, WS_OBS_VIOLATION, 0);
  cr_assert_not_null(v);
  cr_assert_eq(v->violation, WS_E_RESERVED_BITS, "%s",
               ws_error_message(v->violation));
  cr_assert_not(wire_has_note(&obs, "inflated"));
  ws_observation_free(&obs);
  ws_observation_free(&server_obs);
}
