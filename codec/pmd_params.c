/* permessage-deflate parameters (pmd.h): reading one element, judging a
 * response against an offer, writing an element, and what an accepted pair
 * settles for each direction. */
#include "codec/pmd.h"

#include "codec/errors.h"
#include "codec/strbuf.h"

#include <string.h>

/* RFC 7692 7.1.2.1 and 7.1.2.2: a window-bits value is "a decimal integer
 * value without leading zeroes between 8 to 15, inclusive". Returns the
 * number, or 0 when the text is not such a value. */
int ws_pmd_window_bits_value(ws_span value) {
  if (value.len == 1 && value.ptr[0] >= '8' && value.ptr[0] <= '9')
    return value.ptr[0] - '0';
  if (value.len == 2 && value.ptr[0] == '1' && value.ptr[1] >= '0' &&
      value.ptr[1] <= '5')
    return 10 + (value.ptr[1] - '0');
  return 0;
}

/* Records a *_no_context_takeover flag. RFC 7692 7.1.1.1, 7.1.1.2: "This
 * extension parameter has no value"; RFC 7692 7: an element with "multiple
 * extension parameters with the same name" is invalid. */
static int set_flag(const ws_ext_param *param, bool *flag) {
  if (*flag)
    return -WS_E_PMD_DUPLICATE_PARAM;
  if (param->has_value)
    return -WS_E_PMD_BAD_VALUE;
  *flag = true;
  return 0;
}

/* Records a *_max_window_bits parameter; value_optional only for
 * client_max_window_bits in an offer (RFC 7692 7.1.2.2: "This parameter has
 * no value or a decimal integer value ..."; in a response it "has a decimal
 * integer value"). */
static int set_window_bits(const ws_ext_param *param, bool value_optional,
                           int *bits) {
  if (*bits != 0)
    return -WS_E_PMD_DUPLICATE_PARAM;
  if (!param->has_value) {
    *bits = WS_PMD_BITS_NO_VALUE;
    return value_optional ? 0 : -WS_E_PMD_BAD_VALUE;
  }
  *bits = ws_pmd_window_bits_value(param->value);
  return *bits != 0 ? 0 : -WS_E_PMD_BAD_VALUE;
}

int ws_pmd_params_check(const ws_extension *ext, bool is_response,
                        ws_pmd_params *out) {
  memset(out, 0, sizeof(*out));
  for (size_t i = 0; i < ext->param_count; i++) {
    const ws_ext_param *param = &ext->params[i];
    int rc;
    if (ws_span_ieq(param->name, "server_no_context_takeover"))
      rc = set_flag(param, &out->server_no_context_takeover);
    else if (ws_span_ieq(param->name, "client_no_context_takeover"))
      rc = set_flag(param, &out->client_no_context_takeover);
    else if (ws_span_ieq(param->name, "server_max_window_bits"))
      rc = set_window_bits(param, false, &out->server_max_window_bits);
    else if (ws_span_ieq(param->name, "client_max_window_bits"))
      rc = set_window_bits(param, !is_response, &out->client_max_window_bits);
    else
      /* RFC 7692 7: "an extension parameter not defined for use in an
       * offer" (a response) makes the element invalid. */
      rc = -WS_E_PMD_UNKNOWN_PARAM;
    if (rc < 0)
      return rc;
  }
  return 0;
}

bool ws_pmd_params_parse(const ws_extension *ext, bool is_response,
                         ws_pmd_params *out) {
  return ws_pmd_params_check(ext, is_response, out) == 0;
}

/* RFC 7692 7.1.2.1: a server accepts an offer with server_max_window_bits
 * "by including the 'server_max_window_bits' extension parameter in the
 * extension negotiation response to send back to the client with the same or
 * smaller value as the offer", and "MAY include" it unasked. */
static int check_server_window(const ws_pmd_params *response,
                               const ws_pmd_params *offer) {
  if (offer->server_max_window_bits == 0)
    return 0;
  if (response->server_max_window_bits == 0)
    return -WS_E_PMD_OFFER_NOT_HONOURED;
  return response->server_max_window_bits <= offer->server_max_window_bits
             ? 0
             : -WS_E_PMD_WINDOW_ABOVE_OFFER;
}

/* RFC 7692 7.1.2.2: "If a received extension negotiation offer doesn't have
 * the 'client_max_window_bits' extension parameter, the corresponding
 * extension negotiation response to the offer MUST NOT include the
 * 'client_max_window_bits' extension parameter." When the offer had a value,
 * the response's must be "equal to or smaller than the received value". */
static int check_client_window(const ws_pmd_params *response,
                               const ws_pmd_params *offer) {
  if (response->client_max_window_bits == 0)
    return 0;
  if (offer->client_max_window_bits == 0)
    return -WS_E_PMD_PARAM_NOT_OFFERED;
  if (offer->client_max_window_bits == WS_PMD_BITS_NO_VALUE ||
      response->client_max_window_bits <= offer->client_max_window_bits)
    return 0;
  return -WS_E_PMD_WINDOW_ABOVE_OFFER;
}

/* RFC 7692 7.1.1.1: "A server accepts an extension negotiation offer that
 * includes the 'server_no_context_takeover' extension parameter by including
 * the 'server_no_context_takeover' extension parameter in the corresponding
 * extension negotiation response"; both flags MAY appear unasked. */
static int check_context_takeover(const ws_pmd_params *response,
                                  const ws_pmd_params *offer) {
  return !offer->server_no_context_takeover ||
                 response->server_no_context_takeover
             ? 0
             : -WS_E_PMD_OFFER_NOT_HONOURED;
}

int ws_pmd_response_check(const ws_pmd_params *response,
                          const ws_pmd_params *offer) {
  int rc;
  if ((rc = check_client_window(response, offer)) < 0 ||
      (rc = check_server_window(response, offer)) < 0 ||
      (rc = check_context_takeover(response, offer)) < 0)
    return rc;
  return 0;
}

bool ws_pmd_response_accepts_offer(const ws_pmd_params *response,
                                   const ws_pmd_params *offer) {
  return ws_pmd_response_check(response, offer) == 0;
}

static bool bits_in_range(int bits) { return bits >= 8 && bits <= 15; }

long ws_pmd_params_format(const ws_pmd_params *p, char *out, size_t cap) {
  if ((p->server_max_window_bits &&
       !bits_in_range(p->server_max_window_bits)) ||
      (p->client_max_window_bits &&
       p->client_max_window_bits != WS_PMD_BITS_NO_VALUE &&
       !bits_in_range(p->client_max_window_bits)))
    return -WS_E_INVALID_ARGUMENT;
  ws_strbuf b;
  ws_strbuf_init(&b, out, cap);
  ws_strbuf_printf(&b, "%s", WS_PMD_NAME);
  if (p->server_no_context_takeover)
    ws_strbuf_printf(&b, "; server_no_context_takeover");
  if (p->client_no_context_takeover)
    ws_strbuf_printf(&b, "; client_no_context_takeover");
  if (p->server_max_window_bits)
    ws_strbuf_printf(&b, "; server_max_window_bits=%d",
                     p->server_max_window_bits);
  if (p->client_max_window_bits == WS_PMD_BITS_NO_VALUE)
    ws_strbuf_printf(&b, "; client_max_window_bits");
  else if (p->client_max_window_bits)
    ws_strbuf_printf(&b, "; client_max_window_bits=%d",
                     p->client_max_window_bits);
  return (long)ws_strbuf_finish(&b);
}

void ws_pmd_agree(const ws_pmd_params *offer, const ws_pmd_params *response,
                  ws_pmd_agreement *out) {
  out->server_window_bits = response->server_max_window_bits > 0
                                ? response->server_max_window_bits
                                : WS_PMD_DEFAULT_WINDOW_BITS;
  if (response->client_max_window_bits > 0)
    out->client_window_bits = response->client_max_window_bits;
  else if (offer->client_max_window_bits > 0)
    out->client_window_bits = offer->client_max_window_bits;
  else
    out->client_window_bits = WS_PMD_DEFAULT_WINDOW_BITS;
  out->server_no_context_takeover = response->server_no_context_takeover;
  out->client_no_context_takeover =
      response->client_no_context_takeover || offer->client_no_context_takeover;
}

ws_pmd_direction ws_pmd_direction_of(const ws_pmd_agreement *a,
                                     enum ws_sender sender) {
  ws_pmd_direction d;
  if (sender == WS_SENDER_SERVER) {
    d.window_bits = a->server_window_bits;
    d.no_context_takeover = a->server_no_context_takeover;
  } else {
    d.window_bits = a->client_window_bits;
    d.no_context_takeover = a->client_no_context_takeover;
  }
  return d;
}
