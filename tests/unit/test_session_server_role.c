/* The harness as the server (the client catalogue, `wsprobe serve`): every
 * `role both` and `role server` case of the built-in catalogue played in
 * memory against an echoing client; the client's masking keys (RFC 6455
 * 5.3); the permessage-deflate answer of a `both` case; and the grade's
 * server-side rules (the request gate, the TCP close order). */
#include "case/catalogue.h"
#include "codec/errors.h"
#include "engine/grade.h"
#include "engine/session.h"
#include "tests/unit/case_fixture.h"
#include "tests/unit/echo_client.h"
#include "tests/unit/session_pump.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ws_catalogue *catalogue(enum ws_role role) {
  char err[512];
  ws_catalogue *cat = ws_catalogue_new(1);
  cr_assert_not_null(cat);
  ws_catalogue_set_role(cat, role);
  cr_assert_eq(ws_catalogue_add_builtin(cat, err, sizeof err), 0, "%s", err);
  return cat;
}

/* Plays c as the server against an echo client; grades into *r. */
static void play(const ws_case *c, echo_client *client, ws_case_result *r) {
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = server_opts();
  ws_session *s = ws_session_new(c, &o, &obs, T0);
  cr_assert_not_null(s);
  peer p = echo_peer(client);
  pump(s, &p, false);
  cr_assert_null(obs.harness_error, "%s: %s", c->id, obs.harness_error);
  /* `alive` is what wsprobe serve records; the client here is in memory
   * and lives on. */
  if (c->uses_alive)
    obs.alive = 1;
  memset(r, 0, sizeof *r);
  cr_assert_eq(ws_grade_case(c, &obs, false, r), 0);
  ws_session_free(s);
  ws_observation_free(&obs);
}

static enum ws_verdict play_with_keys(const char *id, enum echo_keys mode,
                                      unsigned cycle, char *reason,
                                      size_t cap) {
  ws_catalogue *cat = catalogue(WS_ROLE_SERVER);
  const ws_case *c = ws_catalogue_find(cat, id);
  cr_assert_not_null(c, "%s is a server-role case", id);
  echo_client client;
  echo_client_init(&client, mode, NULL);
  client.key_cycle = cycle;
  ws_case_result r;
  play(c, &client, &r);
  snprintf(reason, cap, "%s", r.reason ? r.reason : "");
  enum ws_verdict v = r.verdict;
  ws_case_result_free(&r);
  echo_client_free(&client);
  ws_catalogue_free(cat);
  return v;
}

/* ---- the whole client catalogue ---- */

/* Every frame-level case the server side plays runs to its end with a verdict,
 * never a harness error, against a conformant echoing client; and none fails
 * it: a `fail` would mean the case reads wrong with the roles reversed (or the
 * client broke a rule). Without a permessage-deflate offer the compression
 * cases grade `unimplemented`; with one, none does. */
static void every_case(const char *offer) {
  ws_catalogue *cat = catalogue(WS_ROLE_SERVER);
  size_t count = ws_catalogue_count(cat), both = 0, fails = 0;
  size_t verdicts[WS_VERDICT_COUNT] = {0};
  cr_assert_gt(count, 300);
  for (size_t i = 0; i < count; i++) {
    const ws_case *c = ws_catalogue_get(cat, i);
    both += c->roles == WS_ROLES_BOTH;
    /* The client handshake cases answer wrongly on purpose, and this echo
     * client does not check the 101: test_session_chs.c plays them against
     * the harness's own client role, which does. */
    if (strcmp(c->area, "handshake") == 0)
      continue;
    echo_client client;
    echo_client_init(&client, ECHO_KEYS_FRESH, offer);
    ws_case_result r;
    play(c, &client, &r);
    cr_assert_neq(r.verdict, WS_VERDICT_ERROR, "%s: error: %s", c->id,
                  r.reason);
    verdicts[r.verdict]++;
    bool compression = strcmp(c->area, "compression") == 0;
    if (compression)
      cr_assert_eq(r.verdict == WS_VERDICT_UNIMPLEMENTED, offer == NULL,
                   "%s: %s: %s", c->id, ws_verdict_name(r.verdict), r.reason);
    if (r.verdict == WS_VERDICT_FAIL) {
      fails++;
      cr_log_error("%s fails against the echo client: %s", c->id, r.reason);
    }
    ws_case_result_free(&r);
    echo_client_free(&client);
  }
  cr_log_info("server role, offer %s: %zu cases (%zu both, %zu server only)",
              offer ? offer : "none", count, both, count - both);
  for (int v = 0; v < WS_VERDICT_COUNT; v++)
    cr_log_info("  %s: %zu", ws_verdict_name((enum ws_verdict)v), verdicts[v]);
  cr_assert_eq(fails, 0, "%zu cases fail a conformant client", fails);
  ws_catalogue_free(cat);
}

Test(server_role, every_client_catalogue_case_plays_against_an_echo_client,
     .timeout = 600) {
  every_case(NULL);
}

Test(server_role, every_case_plays_against_a_compressing_echo_client,
     .timeout = 600) {
  every_case("permessage-deflate; client_max_window_bits");
}

/* `wsprobe test` sees none of the server-only cases and all of the both
 * ones: the client role's count is the catalogue's 793. */
Test(server_role, the_client_role_count_is_unchanged) {
  ws_catalogue *client = catalogue(WS_ROLE_CLIENT);
  ws_catalogue *server = catalogue(WS_ROLE_SERVER);
  cr_assert_eq(ws_catalogue_count(client), 793);
  cr_assert_null(ws_catalogue_find(client, "framing.40"));
  cr_assert_not_null(ws_catalogue_find(server, "framing.40"));
  cr_assert_null(ws_catalogue_find(server, "framing.30"),
                 "an unmasked client frame means nothing from the server");
  cr_assert_not_null(ws_catalogue_find(server, "12.1.1"));
  cr_assert_null(ws_catalogue_find(server, "pmd.50"),
                 "negotiation cases test a server's answer");
  ws_catalogue_free(client);
  ws_catalogue_free(server);
}

/* ---- masking ---- */

/* RFC 6455 5.1: a client must fail on a masked server frame; the echo
 * client does (its STRICT reader), with 1002. */
Test(server_role, a_masked_server_frame_makes_a_conformant_client_fail) {
  static const char *const ids[] = {"framing.40", "framing.41", "framing.42",
                                    "framing.43", "framing.44", "framing.45",
                                    "framing.47"};
  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
    char reason[512];
    cr_assert_eq(
        play_with_keys(ids[i], ECHO_KEYS_FRESH, 0, reason, sizeof reason),
        WS_VERDICT_PASS, "%s: %s", ids[i], reason);
  }
}

/* ... and a client that carries on after one fails every one of them. */
Test(server_role, a_client_accepting_masked_frames_fails) {
  ws_catalogue *cat = catalogue(WS_ROLE_SERVER);
  static const char *const ids[] = {"framing.40", "framing.41", "framing.42",
                                    "framing.43", "framing.45", "framing.47"};
  for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
    const ws_case *c = ws_catalogue_find(cat, ids[i]);
    cr_assert_not_null(c);
    echo_client client;
    echo_client_init(&client, ECHO_KEYS_FRESH, NULL);
    echo_client_lenient(&client);
    ws_case_result r;
    play(c, &client, &r);
    cr_assert_eq(r.verdict, WS_VERDICT_FAIL, "%s: %s", ids[i], r.reason);
    cr_assert(strstr(r.reason, "masked server frame"), "%s", r.reason);
    ws_case_result_free(&r);
    echo_client_free(&client);
  }
  ws_catalogue_free(cat);
}

Test(server_role, fresh_keys_pass_the_key_case) {
  char reason[512];
  cr_assert_eq(
      play_with_keys("framing.46", ECHO_KEYS_FRESH, 0, reason, sizeof reason),
      WS_VERDICT_PASS, "%s", reason);
}

Test(server_role, all_zero_keys_fail_naming_rfc_6455_5_3) {
  char reason[512];
  cr_assert_eq(
      play_with_keys("framing.46", ECHO_KEYS_ZERO, 0, reason, sizeof reason),
      WS_VERDICT_FAIL);
  cr_assert(strstr(reason, "all-zero key"), "%s", reason);
  cr_assert(strstr(reason, "RFC 6455 5.3"), "%s", reason);
}

Test(server_role, a_repeated_key_fails_naming_rfc_6455_5_3) {
  char reason[512];
  cr_assert_eq(
      play_with_keys("framing.46", ECHO_KEYS_REPEAT, 0, reason, sizeof reason),
      WS_VERDICT_FAIL);
  cr_assert(strstr(reason, "already used"), "%s", reason);
  cr_assert(strstr(reason, "RFC 6455 5.3"), "%s", reason);
}

/* The window is the client's last 8 keys: a cycle of 8 repeats within it,
 * a cycle of 9 just outside. */
Test(server_role, the_key_window_is_the_last_eight) {
  char reason[512];
  cr_assert_eq(
      play_with_keys("framing.46", ECHO_KEYS_CYCLE, 8, reason, sizeof reason),
      WS_VERDICT_FAIL);
  cr_assert(strstr(reason, "already used"), "%s", reason);
  cr_assert_eq(
      play_with_keys("framing.46", ECHO_KEYS_CYCLE, 9, reason, sizeof reason),
      WS_VERDICT_PASS, "%s", reason);
}

/* The rule holds in every server-role case, not only framing.46: a
 * `both` case fails on a reused key too. */
Test(server_role, key_reuse_fails_any_server_role_case) {
  char reason[512];
  cr_assert_eq(
      play_with_keys("1.1.2", ECHO_KEYS_REPEAT, 0, reason, sizeof reason),
      WS_VERDICT_FAIL);
  cr_assert(strstr(reason, "RFC 6455 5.3"), "%s", reason);
  /* ... and the client role never looks at keys (a server sends none). */
}

/* ---- the request gate and the TCP close order ---- */

static ws_case_result play_script(const ws_case *c, script *sc) {
  ws_observation obs;
  ws_observation_init(&obs);
  ws_session_opts o = server_opts();
  ws_session *s = ws_session_new(c, &o, &obs, T0);
  peer p = script_peer(sc);
  pump(s, &p, false);
  ws_case_result r = {0};
  cr_assert_eq(ws_grade_case(c, &obs, false, &r), 0);
  ws_session_free(s);
  ws_observation_free(&obs);
  return r;
}

/* A both case whose handshake step is the harness's answer: a client whose
 * request breaks RFC 6455 4.1 fails it, one that sends none is an error
 * (the case never reached its subject), as a server that never answers is
 * on the client side. */
Test(server_role, the_clients_request_is_the_way_in) {
  ws_catalogue *cat = catalogue(WS_ROLE_SERVER);
  const ws_case *c = ws_catalogue_find(cat, "12.1.1");
  cr_assert_not_null(c);
  static const char bad[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  script sc = {.bytes = (const uint8_t *)bad, .len = sizeof bad - 1};
  ws_case_result r = play_script(c, &sc);
  cr_assert_eq(r.verdict, WS_VERDICT_FAIL, "%s", r.reason);
  cr_assert_str_eq(r.reason_code, "handshake-invalid");
  cr_assert(strstr(r.reason, "RFC 6455 4.1"), "%s", r.reason);
  cr_assert(strstr(r.reason, "Upgrade"), "%s", r.reason);
  ws_case_result_free(&r);
  script none = {.bytes = (const uint8_t *)"", .len = 0, .close_after = true};
  r = play_script(c, &none);
  cr_assert_eq(r.verdict, WS_VERDICT_ERROR, "%s", r.reason);
  cr_assert_str_eq(r.reason_code, "target-unavailable");
  cr_assert(strstr(r.observed, "no complete opening request"), "%s",
            r.observed);
  ws_case_result_free(&r);
  ws_catalogue_free(cat);
}

/* As the server the harness closes TCP first (RFC 6455 7.1.1) and the
 * client closes after it: a pass stays a pass. */
Test(server_role, the_client_closing_tcp_second_is_a_pass) {
  ws_catalogue *cat = catalogue(WS_ROLE_SERVER);
  const ws_case *c = ws_catalogue_find(cat, "7.1.1");
  cr_assert_not_null(c);
  echo_client client;
  echo_client_init(&client, ECHO_KEYS_FRESH, NULL);
  ws_case_result r;
  play(c, &client, &r);
  cr_assert_eq(r.verdict, WS_VERDICT_PASS, "%s: %s", r.reason_code, r.reason);
  cr_assert(client.got_eof, "the harness closed TCP first");
  ws_case_result_free(&r);
  echo_client_free(&client);
  ws_catalogue_free(cat);
}

/* ---- permessage-deflate in a both case ---- */

typedef struct pmd_run {
  ws_observation sobs, cobs; /* the harness as server, the client */
} pmd_run;

/* A both case whose handshake step says `params`, played as the server
 * against a client-role session offering `offer` (NULL: none). */
static void pmd_play(pmd_run *run, const char *params, unsigned roles,
                     const char *offer) {
  tcase server_case, client_case;
  tc_init(&server_case, "s.pmd", 1000);
  server_case.c.roles = roles;
  ws_step *hs = tc_add(&server_case, WS_STEP_HANDSHAKE);
  hs->extensions = params;
  tc_text(&server_case, "compressed if agreed");
  tc_close(&server_case, 1000);
  tc_init(&client_case, "c.pmd", 1000);
  if (offer) {
    ws_step *chs = tc_add(&client_case, WS_STEP_HANDSHAKE);
    chs->extensions = offer;
  }
  tc_wait(&client_case, 300);
  ws_observation_init(&run->sobs);
  ws_observation_init(&run->cobs);
  ws_session_opts so = server_opts(), co = client_opts();
  ws_session *server = ws_session_new(&server_case.c, &so, &run->sobs, T0);
  ws_session *client = ws_session_new(&client_case.c, &co, &run->cobs, T0);
  peer p = session_peer(client);
  pump(server, &p, false);
  ws_session_end(client, T0);
  ws_session_free(server);
  ws_session_free(client);
}

static void pmd_free(pmd_run *run) {
  ws_observation_free(&run->sobs);
  ws_observation_free(&run->cobs);
}

static const char *answered(const pmd_run *run) {
  return header_value(&run->cobs, "Sec-WebSocket-Extensions");
}

/* A value-less client_max_window_bits is the offer's form only: left out. */
Test(server_role, pmd_answers_the_offer_with_the_cases_params) {
  pmd_run run;
  pmd_play(&run, "permessage-deflate; client_max_window_bits", WS_ROLES_BOTH,
           "permessage-deflate; client_max_window_bits");
  cr_assert(run.cobs.upgraded);
  cr_assert_str_eq(answered(&run), "permessage-deflate");
  cr_assert(run.sobs.deflate && run.cobs.deflate);
  /* The client inflated the harness's compressed message. */
  assert_message(&run.cobs, 0, WS_OP_TEXT, "compressed if agreed", 20);
  cr_assert_eq(count_events(&run.cobs, WS_OBS_VIOLATION), 0);
  pmd_free(&run);
}

Test(server_role, pmd_server_window_is_answered_as_written) {
  pmd_run run;
  pmd_play(&run,
           "permessage-deflate; server_max_window_bits=8; "
           "client_max_window_bits",
           WS_ROLES_BOTH, "permessage-deflate; client_max_window_bits");
  cr_assert_str_eq(answered(&run),
                   "permessage-deflate; server_max_window_bits=8");
  cr_assert_eq(run.sobs.deflate_agreement.server_window_bits, 8);
  cr_assert_eq(run.cobs.deflate_agreement.server_window_bits, 8);
  cr_assert_eq(count_events(&run.cobs, WS_OBS_VIOLATION), 0);
  pmd_free(&run);
}

/* client_max_window_bits=N only to an offer that had the parameter. */
Test(server_role, pmd_client_window_only_when_offered) {
  pmd_run run;
  pmd_play(&run, "permessage-deflate; client_max_window_bits=9", WS_ROLES_BOTH,
           "permessage-deflate");
  cr_assert_str_eq(answered(&run), "permessage-deflate");
  cr_assert(run.cobs.deflate);
  cr_assert_eq(run.cobs.deflate_agreement.client_window_bits, 15);
  pmd_free(&run);
  pmd_play(&run, "permessage-deflate; client_max_window_bits=9", WS_ROLES_BOTH,
           "permessage-deflate; client_max_window_bits");
  cr_assert_str_eq(answered(&run),
                   "permessage-deflate; client_max_window_bits=9");
  cr_assert_eq(run.sobs.deflate_agreement.client_window_bits, 9);
  pmd_free(&run);
}

/* An offer the params cannot answer is declined, never clamped; the next
 * one may be answered; with none left, no permessage-deflate. */
Test(server_role, pmd_an_offer_the_params_cannot_answer_is_declined) {
  pmd_run run;
  pmd_play(&run, "permessage-deflate", WS_ROLES_BOTH,
           "permessage-deflate; server_no_context_takeover");
  cr_assert(run.cobs.upgraded);
  cr_assert_null(answered(&run));
  cr_assert_not(run.sobs.deflate || run.cobs.deflate);
  cr_assert(wire_has_note(&run.sobs, "can be answered with the case's"));
  pmd_free(&run);
  pmd_play(&run, "permessage-deflate", WS_ROLES_BOTH,
           "permessage-deflate; server_max_window_bits=10, "
           "permessage-deflate");
  cr_assert_str_eq(answered(&run), "permessage-deflate");
  cr_assert_eq(run.cobs.deflate_offer, 2);
  pmd_free(&run);
  pmd_play(&run, "permessage-deflate", WS_ROLES_BOTH, NULL);
  cr_assert(run.cobs.upgraded);
  cr_assert_null(answered(&run));
  cr_assert(wire_has_note(&run.sobs, "offered no permessage-deflate"));
  pmd_free(&run);
}

/* A `role server` case answers as written, even wrongly (the client
 * handshake cases rely on it): the client must fail the connection. */
Test(server_role, pmd_a_server_case_answers_as_written) {
  pmd_run run;
  pmd_play(&run, "permessage-deflate; client_max_window_bits=10",
           WS_ROLES_SERVER, "permessage-deflate");
  cr_assert_not(run.cobs.upgraded);
  cr_assert_eq(run.cobs.upgrade_error, WS_E_HS_RESPONSE_EXTENSION, "%s",
               ws_error_name(run.cobs.upgrade_error));
  pmd_free(&run);
}

/* The compression data cases grade `unimplemented`, with a reason that
 * reads right from either side, when nothing was agreed. */
Test(server_role, no_deflate_reads_right_in_the_server_role) {
  ws_catalogue *cat = catalogue(WS_ROLE_SERVER);
  const ws_case *c = ws_catalogue_find(cat, "13.3.1");
  cr_assert_not_null(c);
  echo_client client;
  echo_client_init(&client, ECHO_KEYS_FRESH, NULL);
  ws_case_result r;
  play(c, &client, &r);
  cr_assert_eq(r.verdict, WS_VERDICT_UNIMPLEMENTED, "%s", r.reason);
  cr_assert(strstr(r.reason, "permessage-deflate was not agreed"), "%s",
            r.reason);
  cr_assert_null(strstr(r.reason, "server declined"), "%s", r.reason);
  ws_case_result_free(&r);
  echo_client_free(&client);
  ws_catalogue_free(cat);
}
