/* The harness as the server of a `role both` case: what its 101 answers to
 * the client's permessage-deflate offers. The case's `handshake
 * extensions="permessage-deflate; PARAMS"` was written as the client's
 * offer; as the server the offer is the client's to make, so the harness
 * answers the first of the client's permessage-deflate offers that PARAMS
 * can answer as they are (RFC 7692 7), less what a server may not send to
 * that offer:
 *  - `client_max_window_bits` without a value is a client's "you may limit
 *    my window": nothing to answer, left out;
 *  - `client_max_window_bits=N` only when that offer had
 *    client_max_window_bits (RFC 7692 7.1.2.2).
 * Nothing else is clamped: an offer PARAMS cannot answer (a smaller
 * server_max_window_bits than PARAMS say, a server_no_context_takeover
 * PARAMS lack, ...) is declined, and with none left the 101 names no
 * permessage-deflate, so the case grades through its `no-deflate` line
 * (unimplemented), never on parameters the client did not agree to.
 * `role server` cases answer exactly as written (session_http.c): those
 * send invalid answers on purpose. */
#include "engine/session_internal.h"

#include <string.h>

/* The case's PARAMS, in the offer form (a value-less client_max_window_bits
 * allowed). False when the case names no valid permessage-deflate. */
static bool case_params(const char *value, ws_pmd_params *out) {
  ws_extension_list list;
  ws_extension_list_init(&list);
  if (ws_extensions_parse(value, strlen(value), &list) != 0)
    return false;
  for (size_t i = 0; i < list.count; i++)
    if (ws_span_ieq(list.items[i].name, WS_PMD_NAME))
      return ws_pmd_params_parse(&list.items[i], false, out);
  return false;
}

/* PARAMS as an answer to one offer: what a server may send it. */
static ws_pmd_params answer_for(const ws_pmd_params *params,
                                const ws_pmd_params *offer) {
  ws_pmd_params answer = *params;
  if (answer.client_max_window_bits == WS_PMD_BITS_NO_VALUE ||
      offer->client_max_window_bits == 0)
    answer.client_max_window_bits = 0;
  return answer;
}

bool session_pmd_answer(ws_session *s, const char *offers_value,
                        const char *params_value, char *out, size_t cap) {
  ws_pmd_params params;
  if (!case_params(params_value, &params)) {
    session_note(s, "the case's permessage-deflate parameters cannot be "
                    "answered: none accepted");
    return false;
  }
  ws_extension_list offers;
  ws_extension_list_init(&offers);
  if (!offers_value ||
      ws_extensions_parse(offers_value, strlen(offers_value), &offers) != 0)
    ws_extension_list_init(&offers);
  size_t nth = 0;
  for (size_t i = 0; i < offers.count; i++) {
    if (!ws_span_ieq(offers.items[i].name, WS_PMD_NAME))
      continue;
    nth++;
    ws_pmd_params offer;
    if (!ws_pmd_params_parse(&offers.items[i], false, &offer))
      continue; /* an invalid offer is declined (RFC 7692 7) */
    ws_pmd_params answer = answer_for(&params, &offer);
    if (ws_pmd_response_check(&answer, &offer) != 0)
      continue;
    if (ws_pmd_params_format(&answer, out, cap) < 0)
      return false;
    session_note(s,
                 "permessage-deflate offer %zu answered with the case's "
                 "parameters: %s",
                 nth, out);
    return true;
  }
  session_note(s, nth ? "no permessage-deflate offer of the client can be "
                        "answered with the case's parameters: none accepted"
                      : "the client offered no permessage-deflate");
  return false;
}
