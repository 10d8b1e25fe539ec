/* Unit tests for codec/pmd_params.c and codec/pmd_negotiate.c:
 * permessage-deflate negotiation, RFC 7692 5 and 7. Every parameter valid
 * and invalid (out of range, leading zero, repeated, a value where none is
 * allowed, missing where one is needed, unknown), several offers, the
 * client_max_window_bits rules with their default, the server's config, and
 * the client's check of every kind of wrong answer. */
#include "codec/errors.h"
#include "codec/header_values.h"
#include "codec/pmd.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static ws_extension_list parse_list(const char *value) {
  ws_extension_list list;
  ws_extension_list_init(&list);
  cr_assert_eq(ws_extensions_parse(value, strlen(value), &list), 0, "%s",
               value);
  return list;
}

/* The check of the first element of `value`. */
static int check(const char *value, bool is_response, ws_pmd_params *out) {
  ws_extension_list list = parse_list(value);
  ws_pmd_params scratch;
  return ws_pmd_params_check(&list.items[0], is_response, out ? out : &scratch);
}

/* ---- one element ---- */

Test(pmd_params, every_parameter_valid) {
  ws_pmd_params p;
  cr_assert_eq(check("permessage-deflate", false, &p), 0);
  cr_assert(!p.server_no_context_takeover && !p.client_no_context_takeover);
  cr_assert_eq(p.server_max_window_bits, 0);
  cr_assert_eq(p.client_max_window_bits, 0);
  cr_assert_eq(check("permessage-deflate; server_no_context_takeover; "
                     "client_no_context_takeover; server_max_window_bits=10; "
                     "client_max_window_bits=8",
                     false, &p),
               0);
  cr_assert(p.server_no_context_takeover && p.client_no_context_takeover);
  cr_assert_eq(p.server_max_window_bits, 10);
  cr_assert_eq(p.client_max_window_bits, 8);
  /* Names are case-insensitive tokens; a quoted value is its token. */
  cr_assert_eq(
      check("permessage-deflate; Client_Max_Window_Bits=\"15\"", true, &p), 0);
  cr_assert_eq(p.client_max_window_bits, 15);
  /* RFC 7692 7.1.2.2: no value is fine in an offer. */
  cr_assert_eq(check("permessage-deflate; client_max_window_bits", false, &p),
               0);
  cr_assert_eq(p.client_max_window_bits, WS_PMD_BITS_NO_VALUE);
  for (int bits = 8; bits <= 15; bits++) {
    char text[80];
    snprintf(text, sizeof text, "permessage-deflate; server_max_window_bits=%d",
             bits);
    cr_assert_eq(check(text, true, &p), 0);
    cr_assert_eq(p.server_max_window_bits, bits);
  }
}

Test(pmd_params, window_values_out_of_range_or_with_leading_zeros) {
  static const char *bad[] = {"7",  "16", "0",  "08", "015",  "1",
                              "99", "-9", "9a", "a9", "\"\"", "1e1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *names[] = {"server_max_window_bits", "client_max_window_bits"};
    for (int n = 0; n < 2; n++) {
      char text[80];
      snprintf(text, sizeof text, "permessage-deflate; %s=%s", names[n],
               bad[i]);
      ws_extension_list list;
      ws_extension_list_init(&list);
      if (ws_extensions_parse(text, strlen(text), &list) != 0)
        continue; /* not even a token: the header parser refuses it */
      for (int resp = 0; resp < 2; resp++) {
        ws_pmd_params p;
        cr_assert_eq(ws_pmd_params_check(&list.items[0], resp, &p),
                     -WS_E_PMD_BAD_VALUE, "%s (%s)", text,
                     resp ? "response" : "offer");
      }
    }
  }
}

Test(pmd_params, missing_and_forbidden_values) {
  /* server_max_window_bits always needs a value; client_max_window_bits
   * needs one in a response (RFC 7692 7.1.2.1, 7.1.2.2). */
  cr_assert_eq(check("permessage-deflate; server_max_window_bits", false, NULL),
               -WS_E_PMD_BAD_VALUE);
  cr_assert_eq(check("permessage-deflate; server_max_window_bits", true, NULL),
               -WS_E_PMD_BAD_VALUE);
  cr_assert_eq(check("permessage-deflate; client_max_window_bits", true, NULL),
               -WS_E_PMD_BAD_VALUE);
  /* RFC 7692 7.1.1: the takeover parameters have no value. */
  cr_assert_eq(
      check("permessage-deflate; server_no_context_takeover=1", false, NULL),
      -WS_E_PMD_BAD_VALUE);
  cr_assert_eq(
      check("permessage-deflate; client_no_context_takeover=\"x\"", true, NULL),
      -WS_E_PMD_BAD_VALUE);
}

Test(pmd_params, repeated_and_unknown_parameters) {
  static const char *repeated[] = {
      "permessage-deflate; server_no_context_takeover; "
      "server_no_context_takeover",
      "permessage-deflate; client_no_context_takeover; "
      "Client_No_Context_Takeover",
      "permessage-deflate; server_max_window_bits=10; "
      "server_max_window_bits=10",
      "permessage-deflate; client_max_window_bits; client_max_window_bits=9",
  };
  for (size_t i = 0; i < sizeof repeated / sizeof repeated[0]; i++)
    cr_assert_eq(check(repeated[i], false, NULL), -WS_E_PMD_DUPLICATE_PARAM,
                 "%s", repeated[i]);
  cr_assert_eq(check("permessage-deflate; x=1", false, NULL),
               -WS_E_PMD_UNKNOWN_PARAM);
  cr_assert_eq(check("permessage-deflate; max_window_bits=10", true, NULL),
               -WS_E_PMD_UNKNOWN_PARAM);
  cr_assert_eq(ws_error_http_status(WS_E_PMD_UNKNOWN_PARAM), 0,
               "declining is not refusing");
}

Test(pmd_params, format_round_trips) {
  ws_pmd_params all[] = {
      {0},
      {.server_no_context_takeover = true},
      {.client_no_context_takeover = true, .server_max_window_bits = 8},
      {.client_max_window_bits = WS_PMD_BITS_NO_VALUE},
      {true, true, 15, 9},
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    char text[WS_PMD_ELEMENT_MAX];
    long len = ws_pmd_params_format(&all[i], text, sizeof text);
    cr_assert_gt(len, 0);
    ws_pmd_params back;
    bool offer_only = all[i].client_max_window_bits == WS_PMD_BITS_NO_VALUE;
    cr_assert_eq(check(text, !offer_only, &back), 0, "%s", text);
    cr_assert(
        back.server_no_context_takeover == all[i].server_no_context_takeover &&
            back.client_no_context_takeover ==
                all[i].client_no_context_takeover &&
            back.server_max_window_bits == all[i].server_max_window_bits &&
            back.client_max_window_bits == all[i].client_max_window_bits,
        "%s", text);
  }
  char text[WS_PMD_ELEMENT_MAX];
  cr_assert_eq(ws_pmd_params_format(&all[4], text, sizeof text),
               (long)strlen("permessage-deflate; server_no_context_takeover; "
                            "client_no_context_takeover; "
                            "server_max_window_bits=15; "
                            "client_max_window_bits=9"));
  ws_pmd_params bad = {.server_max_window_bits = 16};
  cr_assert_eq(ws_pmd_params_format(&bad, text, sizeof text),
               -WS_E_INVALID_ARGUMENT);
  cr_assert_eq(ws_pmd_params_format(&all[4], text, 20), -WS_E_BUFFER_TOO_SMALL);
}

/* ---- a response against an offer ---- */

Test(pmd_params, response_check_names_the_rule_broken) {
  ws_pmd_params offer = {0}, resp = {0};
  cr_assert_eq(ws_pmd_response_check(&resp, &offer), 0);
  resp.client_max_window_bits = 10;
  cr_assert_eq(ws_pmd_response_check(&resp, &offer),
               -WS_E_PMD_PARAM_NOT_OFFERED);
  offer.client_max_window_bits = WS_PMD_BITS_NO_VALUE;
  cr_assert_eq(ws_pmd_response_check(&resp, &offer), 0);
  offer.client_max_window_bits = 9;
  cr_assert_eq(ws_pmd_response_check(&resp, &offer),
               -WS_E_PMD_WINDOW_ABOVE_OFFER);
  offer.client_max_window_bits = 10;
  cr_assert_eq(ws_pmd_response_check(&resp, &offer), 0);
  offer.server_max_window_bits = 12;
  cr_assert_eq(ws_pmd_response_check(&resp, &offer),
               -WS_E_PMD_OFFER_NOT_HONOURED);
  resp.server_max_window_bits = 13;
  cr_assert_eq(ws_pmd_response_check(&resp, &offer),
               -WS_E_PMD_WINDOW_ABOVE_OFFER);
  resp.server_max_window_bits = 8;
  cr_assert_eq(ws_pmd_response_check(&resp, &offer), 0);
  offer.server_no_context_takeover = true;
  cr_assert_eq(ws_pmd_response_check(&resp, &offer),
               -WS_E_PMD_OFFER_NOT_HONOURED);
  resp.server_no_context_takeover = true;
  resp.client_no_context_takeover = true; /* allowed unasked */
  cr_assert_eq(ws_pmd_response_check(&resp, &offer), 0);
  cr_assert(ws_pmd_response_accepts_offer(&resp, &offer));
}

Test(pmd_params, agreement_defaults_and_hints) {
  ws_pmd_params offer = {0}, resp = {0};
  ws_pmd_agreement a;
  ws_pmd_agree(&offer, &resp, &a);
  cr_assert_eq(a.server_window_bits, 15);
  cr_assert_eq(a.client_window_bits, 15);
  cr_assert(!a.server_no_context_takeover && !a.client_no_context_takeover);
  /* The offer's client_max_window_bits=10 and client_no_context_takeover
   * bind the client even when the response leaves them out. */
  offer.client_max_window_bits = 10;
  offer.client_no_context_takeover = true;
  ws_pmd_agree(&offer, &resp, &a);
  cr_assert_eq(a.client_window_bits, 10);
  cr_assert(a.client_no_context_takeover);
  resp.client_max_window_bits = 9;
  resp.server_max_window_bits = 11;
  resp.server_no_context_takeover = true;
  ws_pmd_agree(&offer, &resp, &a);
  cr_assert_eq(a.client_window_bits, 9);
  cr_assert_eq(a.server_window_bits, 11);
  ws_pmd_direction s = ws_pmd_direction_of(&a, WS_SENDER_SERVER);
  ws_pmd_direction c = ws_pmd_direction_of(&a, WS_SENDER_CLIENT);
  cr_assert(s.window_bits == 11 && s.no_context_takeover);
  cr_assert(c.window_bits == 9 && c.no_context_takeover);
}

/* ---- the server ---- */

/* The server's negotiation over one header value: returns the response
 * element, or "" when nothing is accepted. */
static int accept_offers(const char *value, const ws_pmd_server_config *cfg,
                         char *resp, ws_pmd_agreement *a, size_t *chosen) {
  ws_extension_list offers = parse_list(value);
  resp[0] = '\0';
  return ws_pmd_server_accept(&offers, cfg, a, resp, WS_PMD_ELEMENT_MAX,
                              chosen);
}

static void expect_answer(const char *offer, const ws_pmd_server_config *cfg,
                          const char *want) {
  char resp[WS_PMD_ELEMENT_MAX];
  ws_pmd_agreement a;
  size_t chosen = 99;
  int rc = accept_offers(offer, cfg, resp, &a, &chosen);
  if (!want) {
    cr_assert_eq(rc, 0, "%s: accepted as %s", offer, resp);
    return;
  }
  cr_assert_eq(rc, 1, "%s: declined (%d)", offer, rc);
  cr_assert_str_eq(resp, want, "offer: %s", offer);
}

Test(pmd_server, plain_offers) {
  expect_answer("permessage-deflate", NULL, "permessage-deflate");
  expect_answer("x-other, PerMessage-Deflate", NULL, "permessage-deflate");
  expect_answer("x-other; a=1", NULL, NULL);
  expect_answer("permessage-deflate; server_no_context_takeover", NULL,
                "permessage-deflate; server_no_context_takeover");
  expect_answer("permessage-deflate; client_no_context_takeover", NULL,
                "permessage-deflate; client_no_context_takeover");
}

Test(pmd_server, server_max_window_bits_rules) {
  /* RFC 7692 7.1.2.1: answered with the same or a smaller value. */
  for (int bits = 8; bits <= 15; bits++) {
    char offer[80], want[80];
    snprintf(offer, sizeof offer,
             "permessage-deflate; server_max_window_bits=%d", bits);
    snprintf(want, sizeof want, "permessage-deflate; server_max_window_bits=%d",
             bits);
    expect_answer(offer, NULL, want);
  }
  /* A server limiting its own window answers smaller, asked or not. */
  ws_pmd_server_config cfg = {.server_max_window_bits = 10};
  expect_answer("permessage-deflate", &cfg,
                "permessage-deflate; server_max_window_bits=10");
  expect_answer("permessage-deflate; server_max_window_bits=12", &cfg,
                "permessage-deflate; server_max_window_bits=10");
  expect_answer("permessage-deflate; server_max_window_bits=9", &cfg,
                "permessage-deflate; server_max_window_bits=9");
  /* A size the server does not support: declined, the next offer taken. */
  cfg = (ws_pmd_server_config){.min_server_window_bits = 9};
  expect_answer("permessage-deflate; server_max_window_bits=8", &cfg, NULL);
  char resp[WS_PMD_ELEMENT_MAX];
  ws_pmd_agreement a;
  size_t chosen = 99;
  cr_assert_eq(accept_offers("permessage-deflate; server_max_window_bits=8, "
                             "permessage-deflate; server_max_window_bits=9",
                             &cfg, resp, &a, &chosen),
               1);
  cr_assert_eq(chosen, 1);
  cr_assert_eq(a.server_window_bits, 9);
  ws_extension_list one =
      parse_list("permessage-deflate; server_max_window_bits=8");
  ws_pmd_params answer;
  cr_assert_eq(ws_pmd_server_answer(&one.items[0], &cfg, &answer),
               -WS_E_PMD_UNSUPPORTED);
}

Test(pmd_server, client_max_window_bits_rules) {
  ws_pmd_server_config want10 = {.client_max_window_bits = 10};
  /* Not in the offer: never in the answer (RFC 7692 7.1.2.2), whatever the
   * server prefers; the client then uses the default, 15. */
  expect_answer("permessage-deflate", &want10, "permessage-deflate");
  char resp[WS_PMD_ELEMENT_MAX];
  ws_pmd_agreement a;
  cr_assert_eq(accept_offers("permessage-deflate", &want10, resp, &a, NULL), 1);
  cr_assert_eq(a.client_window_bits, 15);
  /* Without a value: any size; answered only when the server wants less. */
  expect_answer("permessage-deflate; client_max_window_bits", NULL,
                "permessage-deflate");
  cr_assert_eq(accept_offers("permessage-deflate; client_max_window_bits", NULL,
                             resp, &a, NULL),
               1);
  cr_assert_eq(a.client_window_bits, 15);
  expect_answer("permessage-deflate; client_max_window_bits", &want10,
                "permessage-deflate; client_max_window_bits=10");
  /* With a value: answered, the smaller of the two. */
  expect_answer("permessage-deflate; client_max_window_bits=12", NULL,
                "permessage-deflate; client_max_window_bits=12");
  expect_answer("permessage-deflate; client_max_window_bits=12", &want10,
                "permessage-deflate; client_max_window_bits=10");
  expect_answer("permessage-deflate; client_max_window_bits=8", &want10,
                "permessage-deflate; client_max_window_bits=8");
  cr_assert_eq(accept_offers("permessage-deflate; client_max_window_bits=8",
                             &want10, resp, &a, NULL),
               1);
  cr_assert_eq(a.client_window_bits, 8);
}

Test(pmd_server, config_requests_no_context_takeover) {
  ws_pmd_server_config cfg = {.server_no_context_takeover = true,
                              .client_no_context_takeover = true};
  char resp[WS_PMD_ELEMENT_MAX];
  ws_pmd_agreement a;
  cr_assert_eq(accept_offers("permessage-deflate", &cfg, resp, &a, NULL), 1);
  cr_assert_str_eq(resp, "permessage-deflate; server_no_context_takeover; "
                         "client_no_context_takeover");
  cr_assert(a.server_no_context_takeover && a.client_no_context_takeover);
}

Test(pmd_server, invalid_offers_are_declined_not_refused) {
  static const char *invalid[] = {
      "permessage-deflate; foo",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=07",
      "permessage-deflate; client_max_window_bits=16",
      "permessage-deflate; server_no_context_takeover=true",
      "permessage-deflate; client_no_context_takeover; "
      "client_no_context_takeover",
  };
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    expect_answer(invalid[i], NULL, NULL);
    /* The next offer in preference order is taken instead. */
    char both[256];
    snprintf(both, sizeof both,
             "%s, permessage-deflate; server_max_window_bits=11", invalid[i]);
    char resp[WS_PMD_ELEMENT_MAX];
    ws_pmd_agreement a;
    size_t chosen = 99;
    cr_assert_eq(accept_offers(both, NULL, resp, &a, &chosen), 1);
    cr_assert_eq(chosen, 1);
    cr_assert_str_eq(resp, "permessage-deflate; server_max_window_bits=11");
  }
}

Test(pmd_server, first_acceptable_offer_in_preference_order) {
  char resp[WS_PMD_ELEMENT_MAX];
  ws_pmd_agreement a;
  size_t chosen = 99;
  cr_assert_eq(accept_offers("x-a, permessage-deflate; client_max_window_bits="
                             "9, permessage-deflate",
                             NULL, resp, &a, &chosen),
               1);
  cr_assert_eq(chosen, 1);
  cr_assert_str_eq(resp, "permessage-deflate; client_max_window_bits=9");
}

Test(pmd_server, bad_config_and_small_buffer) {
  ws_extension_list offers = parse_list("permessage-deflate");
  ws_pmd_agreement a;
  char resp[WS_PMD_ELEMENT_MAX];
  ws_pmd_server_config bad[] = {
      {.server_max_window_bits = 7},
      {.client_max_window_bits = 16},
      {.min_server_window_bits = 12, .server_max_window_bits = 10}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(
        ws_pmd_server_accept(&offers, &bad[i], &a, resp, sizeof resp, NULL),
        -WS_E_INVALID_ARGUMENT);
  cr_assert_eq(ws_pmd_server_accept(&offers, NULL, &a, resp, 10, NULL),
               -WS_E_BUFFER_TOO_SMALL);
}

/* ---- the client ---- */

static int client_check(const char *offers, const char *response,
                        ws_pmd_agreement *a, size_t *chosen) {
  ws_extension_list o = parse_list(offers);
  ws_extension_list r = parse_list(response);
  ws_pmd_agreement scratch;
  return ws_pmd_client_accept(&o, &r, a ? a : &scratch, chosen);
}

Test(pmd_client, valid_answers) {
  ws_pmd_agreement a;
  size_t chosen = 99;
  cr_assert_eq(client_check("permessage-deflate", "x-none", &a, NULL), 0);
  cr_assert_eq(client_check("permessage-deflate; client_max_window_bits",
                            "permessage-deflate; client_max_window_bits=8", &a,
                            NULL),
               1);
  cr_assert_eq(a.client_window_bits, 8);
  cr_assert_eq(a.server_window_bits, 15);
  /* Two offers: the response fits the second only. */
  cr_assert_eq(client_check("permessage-deflate; server_max_window_bits=10, "
                            "permessage-deflate",
                            "permessage-deflate; server_max_window_bits=12", &a,
                            &chosen),
               1);
  cr_assert_eq(chosen, 1);
  cr_assert_eq(a.server_window_bits, 12);
}

Test(pmd_client, every_wrong_answer) {
  cr_assert_eq(client_check("permessage-deflate",
                            "permessage-deflate, permessage-deflate", NULL,
                            NULL),
               -WS_E_PMD_REPEATED);
  cr_assert_eq(client_check("x-other", "permessage-deflate", NULL, NULL),
               -WS_E_HS_RESPONSE_EXTENSION);
  cr_assert_eq(
      client_check("permessage-deflate", "permessage-deflate; x", NULL, NULL),
      -WS_E_PMD_UNKNOWN_PARAM);
  cr_assert_eq(client_check("permessage-deflate; client_max_window_bits",
                            "permessage-deflate; client_max_window_bits", NULL,
                            NULL),
               -WS_E_PMD_BAD_VALUE);
  cr_assert_eq(
      client_check("permessage-deflate; x=1", "permessage-deflate", NULL, NULL),
      -WS_E_PMD_INVALID_OFFER_ACCEPTED);
  cr_assert_eq(client_check("permessage-deflate",
                            "permessage-deflate; client_max_window_bits=10",
                            NULL, NULL),
               -WS_E_PMD_PARAM_NOT_OFFERED);
  cr_assert_eq(client_check("permessage-deflate; server_max_window_bits=10",
                            "permessage-deflate; server_max_window_bits=11",
                            NULL, NULL),
               -WS_E_PMD_WINDOW_ABOVE_OFFER);
  cr_assert_eq(client_check("permessage-deflate; server_no_context_takeover",
                            "permessage-deflate", NULL, NULL),
               -WS_E_PMD_OFFER_NOT_HONOURED);
  /* Against several offers the first valid one names the rule. */
  cr_assert_eq(client_check("permessage-deflate; server_no_context_takeover, "
                            "permessage-deflate; server_max_window_bits=9",
                            "permessage-deflate; server_max_window_bits=10",
                            NULL, NULL),
               -WS_E_PMD_OFFER_NOT_HONOURED);
}

/* Whatever the server answers, the client accepts it with the same
 * agreement: the two sides read RFC 7692 7.1 the same way. */
Test(pmd_client, server_answers_pass_the_client_check) {
  static const char *params[] = {
      "server_no_context_takeover", "client_no_context_takeover",
      "server_max_window_bits=8",   "server_max_window_bits=13",
      "client_max_window_bits",     "client_max_window_bits=9"};
  ws_pmd_server_config cfgs[] = {
      {0},
      {.server_max_window_bits = 11, .client_max_window_bits = 10},
      {.server_no_context_takeover = true, .client_no_context_takeover = true},
      {.min_server_window_bits = 12}};
  for (unsigned mask = 0; mask < 64; mask++) {
    if ((mask & 12) == 12 || (mask & 48) == 48)
      continue; /* a parameter twice */
    char offer[256] = "permessage-deflate";
    for (int i = 0; i < 6; i++)
      if (mask & (1u << i)) {
        strcat(offer, "; ");
        strcat(offer, params[i]);
      }
    for (size_t c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
      char resp[WS_PMD_ELEMENT_MAX];
      ws_pmd_agreement server, client;
      int rc = accept_offers(offer, &cfgs[c], resp, &server, NULL);
      if (rc == 0)
        continue;
      cr_assert_eq(rc, 1);
      cr_assert_eq(client_check(offer, resp, &client, NULL), 1, "%s -> %s",
                   offer, resp);
      cr_assert(client.server_window_bits == server.server_window_bits &&
                    client.client_window_bits == server.client_window_bits &&
                    client.server_no_context_takeover ==
                        server.server_no_context_takeover &&
                    client.client_no_context_takeover ==
                        server.client_no_context_takeover,
                "%s -> %s", offer, resp);
      cr_assert(server.server_window_bits >= 8 &&
                server.server_window_bits <= 15);
      cr_assert(server.client_window_bits >= 8 &&
                server.client_window_bits <= 15);
    }
  }
}
