/* permessage-deflate negotiation (pmd.h): the server picking an offer and
 * answering it, the client checking the answer. */
#include "codec/pmd.h"

#include "codec/errors.h"

#include <string.h>

static bool is_pmd(const ws_extension *ext) {
  return ws_span_ieq(ext->name, WS_PMD_NAME);
}

static int min_bits(int a, int b) { return a < b ? a : b; }

static bool config_bits_ok(int bits) {
  return bits == 0 || (bits >= 8 && bits <= 15);
}

/* The config with its zeros replaced by what they stand for; false when a
 * field is out of range. */
static bool resolve(const ws_pmd_server_config *in, ws_pmd_server_config *c) {
  static const ws_pmd_server_config zero = {0};
  *c = in ? *in : zero;
  if (!config_bits_ok(c->server_max_window_bits) ||
      !config_bits_ok(c->min_server_window_bits) ||
      !config_bits_ok(c->client_max_window_bits))
    return false;
  if (c->server_max_window_bits == 0)
    c->server_max_window_bits = WS_PMD_DEFAULT_WINDOW_BITS;
  if (c->min_server_window_bits == 0)
    c->min_server_window_bits = 8;
  if (c->client_max_window_bits == 0)
    c->client_max_window_bits = WS_PMD_DEFAULT_WINDOW_BITS;
  return c->min_server_window_bits <= c->server_max_window_bits;
}

/* The server's own window. RFC 7692 7.1.2.1: an offered value is accepted by
 * answering "the same or smaller value"; a server "MAY include" the
 * parameter unasked, which is how it limits its own window. */
static void answer_server_window(const ws_pmd_params *offer,
                                 const ws_pmd_server_config *c,
                                 ws_pmd_params *r) {
  int bits = c->server_max_window_bits;
  if (offer->server_max_window_bits > 0)
    bits = min_bits(bits, offer->server_max_window_bits);
  if (offer->server_max_window_bits > 0 || bits < WS_PMD_DEFAULT_WINDOW_BITS)
    r->server_max_window_bits = bits;
}

/* The client's window. RFC 7692 7.1.2.2: only when the offer has the
 * parameter ("If a received extension negotiation offer doesn't have the
 * 'client_max_window_bits' extension parameter, the corresponding extension
 * negotiation response to the offer MUST NOT include" it); no value in the
 * offer means the client accepts any size, so the default 15 holds unless
 * the server wants less. An offered value is answered explicitly (equal or
 * smaller), so the server's inflater never relies on the offer's hint. */
static void answer_client_window(const ws_pmd_params *offer,
                                 const ws_pmd_server_config *c,
                                 ws_pmd_params *r) {
  if (offer->client_max_window_bits == 0)
    return;
  bool has_value = offer->client_max_window_bits != WS_PMD_BITS_NO_VALUE;
  int bits =
      has_value ? offer->client_max_window_bits : WS_PMD_DEFAULT_WINDOW_BITS;
  bits = min_bits(bits, c->client_max_window_bits);
  if (has_value || bits < WS_PMD_DEFAULT_WINDOW_BITS)
    r->client_max_window_bits = bits;
}

int ws_pmd_server_answer(const ws_extension *offer,
                         const ws_pmd_server_config *config,
                         ws_pmd_params *response) {
  ws_pmd_server_config c;
  if (!resolve(config, &c))
    return -WS_E_INVALID_ARGUMENT;
  memset(response, 0, sizeof(*response));
  ws_pmd_params o;
  /* RFC 7692 7: "A server MUST decline an extension negotiation offer for
   * this extension if any of the following conditions are met": a parameter
   * not defined for an offer, an invalid value, a repeated name. */
  int rc = ws_pmd_params_check(offer, false, &o);
  if (rc < 0)
    return rc;
  /* ... and "The server doesn't support the offered configuration." */
  if (o.server_max_window_bits > 0 &&
      o.server_max_window_bits < c.min_server_window_bits)
    return -WS_E_PMD_UNSUPPORTED;
  answer_server_window(&o, &c, response);
  answer_client_window(&o, &c, response);
  /* RFC 7692 7.1.1.1: an offered server_no_context_takeover is accepted by
   * answering it, and a server may include it unasked. */
  response->server_no_context_takeover =
      o.server_no_context_takeover || c.server_no_context_takeover;
  /* RFC 7692 7.1.1.2: a server may include client_no_context_takeover
   * whether or not it was offered; echoing an offered one turns the
   * client's hint into the agreement the server's inflater relies on (it
   * then frees its window between messages). */
  response->client_no_context_takeover =
      o.client_no_context_takeover || c.client_no_context_takeover;
  return 0;
}

int ws_pmd_server_accept(const ws_extension_list *offers,
                         const ws_pmd_server_config *config,
                         ws_pmd_agreement *agreement, char *response,
                         size_t cap, size_t *chosen) {
  for (size_t i = 0; i < offers->count; i++) {
    const ws_extension *ext = &offers->items[i];
    if (!is_pmd(ext))
      continue;
    ws_pmd_params answer;
    int rc = ws_pmd_server_answer(ext, config, &answer);
    if (rc == -WS_E_INVALID_ARGUMENT)
      return rc;
    if (rc < 0)
      continue; /* declined: RFC 7692 5, the next offer may do */
    long len = ws_pmd_params_format(&answer, response, cap);
    if (len < 0)
      return (int)len;
    ws_pmd_params offered;
    (void)ws_pmd_params_check(ext, false, &offered); /* valid: answered */
    ws_pmd_agree(&offered, &answer, agreement);
    if (chosen)
      *chosen = i;
    return 1;
  }
  return 0;
}

/* The one permessage-deflate element of a response, or NULL; *count says
 * how many there were. */
static const ws_extension *find_pmd(const ws_extension_list *list,
                                    size_t *count) {
  const ws_extension *found = NULL;
  *count = 0;
  for (size_t i = 0; i < list->count; i++) {
    if (is_pmd(&list->items[i])) {
      if (!found)
        found = &list->items[i];
      (*count)++;
    }
  }
  return found;
}

int ws_pmd_client_accept(const ws_extension_list *offers,
                         const ws_extension_list *response,
                         ws_pmd_agreement *agreement, size_t *chosen) {
  size_t count;
  const ws_extension *answer = find_pmd(response, &count);
  if (!answer)
    return 0;
  /* RFC 7692 5: a server must not accept a PMCE together with another
   * extension that uses RSV1; two permessage-deflate elements would both
   * own it. */
  if (count > 1)
    return -WS_E_PMD_REPEATED;
  ws_pmd_params got;
  /* RFC 7692 7: the client MUST fail the connection when the response has
   * a parameter not defined for a response, an invalid value, or a
   * repeated parameter. */
  int rc = ws_pmd_params_check(answer, true, &got);
  if (rc < 0)
    return rc;
  bool any_offer = false, any_valid = false;
  int first_mismatch = 0;
  for (size_t i = 0; i < offers->count; i++) {
    const ws_extension *offer = &offers->items[i];
    if (!is_pmd(offer))
      continue;
    any_offer = true;
    ws_pmd_params offered;
    if (ws_pmd_params_check(offer, false, &offered) < 0)
      continue; /* an invalid offer can be answered by nothing */
    any_valid = true;
    rc = ws_pmd_response_check(&got, &offered);
    if (rc == 0) {
      ws_pmd_agree(&offered, &got, agreement);
      if (chosen)
        *chosen = i;
      return 1;
    }
    if (first_mismatch == 0)
      first_mismatch = rc;
  }
  /* RFC 6455 4.1: an extension the client did not offer fails the
   * connection. */
  if (!any_offer)
    return -WS_E_HS_RESPONSE_EXTENSION;
  if (!any_valid)
    return -WS_E_PMD_INVALID_OFFER_ACCEPTED;
  return first_mismatch;
}
