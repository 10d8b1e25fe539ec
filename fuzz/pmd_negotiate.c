/* Fuzz target: permessage-deflate negotiation (codec/pmd.h).
 *
 * Input: [smax][smin][cmax][flags]offers\0response
 *   smax, smin, cmax: the server config's window bits, value % 9: 0 the
 *   default, else 7 + value (8..15); flags bit 0 server_no_context_takeover,
 *   bit 1 client_no_context_takeover. offers is a Sec-WebSocket-Extensions
 *   value as a client sends it; response (optional) one as a server might
 *   answer, for the client's check.
 * Invariants:
 *  - the server accepts exactly the first permessage-deflate offer that
 *    ws_pmd_server_answer accepts, every earlier one is declined, and a
 *    config out of range is the only -WS_E_INVALID_ARGUMENT;
 *  - its answer is a valid response element (it parses, has only response
 *    parameters, each once, in range), a valid answer to the chosen offer
 *    (RFC 7692 7.1), within the config (its own window no larger than
 *    server_max_window_bits, not below min_server_window_bits when asked,
 *    client window no larger than the offer's value), and the client's check
 *    accepts it with the very same agreement;
 *  - the client's check of an arbitrary response returns one of the
 *    documented results; when it accepts, the response is a valid answer to
 *    the offer it names, and the agreement is in range. */
#include "fuzz/fuzz_common.h"

#include "codec/errors.h"
#include "codec/header_values.h"
#include "codec/pmd.h"

static int bits_of(uint8_t b) {
  int v = b % 9;
  return v == 0 ? 0 : 7 + v;
}

static bool in_range(int bits) { return bits >= 8 && bits <= 15; }

static void check_agreement(const ws_pmd_agreement *a) {
  FUZZ_CHECK(in_range(a->server_window_bits));
  FUZZ_CHECK(in_range(a->client_window_bits));
}

static bool same_agreement(const ws_pmd_agreement *a,
                           const ws_pmd_agreement *b) {
  return a->server_window_bits == b->server_window_bits &&
         a->client_window_bits == b->client_window_bits &&
         a->server_no_context_takeover == b->server_no_context_takeover &&
         a->client_no_context_takeover == b->client_no_context_takeover;
}

static bool is_pmd(const ws_extension *e) {
  return ws_span_ieq(e->name, WS_PMD_NAME);
}

static void check_server(const ws_extension_list *offers,
                         const ws_pmd_server_config *cfg) {
  char resp[WS_PMD_ELEMENT_MAX];
  ws_pmd_agreement a;
  size_t chosen = SIZE_MAX;
  int rc = ws_pmd_server_accept(offers, cfg, &a, resp, sizeof resp, &chosen);
  int smax = cfg->server_max_window_bits ? cfg->server_max_window_bits : 15;
  int smin = cfg->min_server_window_bits ? cfg->min_server_window_bits : 8;
  bool bad_config = smin > smax;
  bool any_pmd = false;
  for (size_t i = 0; i < offers->count; i++)
    any_pmd = any_pmd || is_pmd(&offers->items[i]);
  if (bad_config && any_pmd) {
    FUZZ_CHECK(rc == -WS_E_INVALID_ARGUMENT);
    return;
  }
  FUZZ_CHECK(rc == 0 || rc == 1);
  size_t first_accepted = SIZE_MAX;
  for (size_t i = 0; i < offers->count && first_accepted == SIZE_MAX; i++) {
    ws_pmd_params answer;
    if (is_pmd(&offers->items[i]) &&
        ws_pmd_server_answer(&offers->items[i], cfg, &answer) == 0)
      first_accepted = i;
  }
  if (rc == 0) {
    FUZZ_CHECK(first_accepted == SIZE_MAX);
    return;
  }
  FUZZ_CHECK(chosen == first_accepted);
  check_agreement(&a);
  FUZZ_CHECK(a.server_window_bits <= smax);
  /* The response is one valid permessage-deflate element. */
  ws_extension_list answer;
  ws_extension_list_init(&answer);
  FUZZ_CHECK(ws_extensions_parse(resp, strlen(resp), &answer) == 0);
  FUZZ_CHECK(answer.count == 1 && is_pmd(&answer.items[0]));
  ws_pmd_params got, offered;
  FUZZ_CHECK(ws_pmd_params_check(&answer.items[0], true, &got) == 0);
  FUZZ_CHECK(ws_pmd_params_check(&offers->items[chosen], false, &offered) == 0);
  FUZZ_CHECK(ws_pmd_response_check(&got, &offered) == 0);
  if (offered.server_max_window_bits)
    FUZZ_CHECK(a.server_window_bits >= smin);
  if (offered.client_max_window_bits > 0)
    FUZZ_CHECK(a.client_window_bits <= offered.client_max_window_bits);
  /* Formatting the parsed answer gives the same text. */
  char again[WS_PMD_ELEMENT_MAX];
  FUZZ_CHECK(ws_pmd_params_format(&got, again, sizeof again) ==
             (long)strlen(resp));
  FUZZ_CHECK(strcmp(again, resp) == 0);
  /* The client agrees on the same terms. */
  ws_pmd_agreement client;
  size_t client_chosen;
  FUZZ_CHECK(ws_pmd_client_accept(offers, &answer, &client, &client_chosen) ==
             1);
  FUZZ_CHECK(client_chosen == chosen);
  FUZZ_CHECK(same_agreement(&a, &client));
}

static void check_client(const ws_extension_list *offers,
                         const ws_extension_list *response) {
  ws_pmd_agreement a;
  size_t chosen = SIZE_MAX;
  int rc = ws_pmd_client_accept(offers, response, &a, &chosen);
  if (rc == 1) {
    check_agreement(&a);
    FUZZ_CHECK(chosen < offers->count && is_pmd(&offers->items[chosen]));
    const ws_extension *el = NULL;
    for (size_t i = 0; i < response->count; i++)
      if (is_pmd(&response->items[i]))
        el = &response->items[i];
    FUZZ_CHECK(el != NULL);
    ws_pmd_params got, offered;
    FUZZ_CHECK(ws_pmd_params_check(el, true, &got) == 0);
    FUZZ_CHECK(ws_pmd_params_check(&offers->items[chosen], false, &offered) ==
               0);
    FUZZ_CHECK(ws_pmd_response_check(&got, &offered) == 0);
    return;
  }
  FUZZ_CHECK(
      rc == 0 || rc == -WS_E_PMD_REPEATED ||
      rc == -WS_E_HS_RESPONSE_EXTENSION || rc == -WS_E_PMD_UNKNOWN_PARAM ||
      rc == -WS_E_PMD_DUPLICATE_PARAM || rc == -WS_E_PMD_BAD_VALUE ||
      rc == -WS_E_PMD_INVALID_OFFER_ACCEPTED ||
      rc == -WS_E_PMD_PARAM_NOT_OFFERED || rc == -WS_E_PMD_WINDOW_ABOVE_OFFER ||
      rc == -WS_E_PMD_OFFER_NOT_HONOURED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  ws_pmd_server_config cfg = {0};
  cfg.server_max_window_bits = bits_of(fz_u8(&in));
  cfg.min_server_window_bits = bits_of(fz_u8(&in));
  cfg.client_max_window_bits = bits_of(fz_u8(&in));
  uint8_t flags = fz_u8(&in);
  cfg.server_no_context_takeover = flags & 1;
  cfg.client_no_context_takeover = (flags >> 1) & 1;
  const uint8_t *nul = memchr(in.p, 0, in.n);
  size_t offers_len = nul ? (size_t)(nul - in.p) : in.n;
  /* Exact-size copies: a parser reading past its value trips ASan. */
  char *offers_text = (char *)fz_dup(in.p, offers_len);
  ws_extension_list offers;
  ws_extension_list_init(&offers);
  if (ws_extensions_parse(offers_text, offers_len, &offers) == 0) {
    check_server(&offers, &cfg);
    if (nul) {
      size_t resp_len = in.n - offers_len - 1;
      char *resp_text = (char *)fz_dup(nul + 1, resp_len);
      ws_extension_list response;
      ws_extension_list_init(&response);
      if (ws_extensions_parse(resp_text, resp_len, &response) == 0)
        check_client(&offers, &response);
      free(resp_text);
    }
  }
  free(offers_text);
  return 0;
}
