/* permessage-deflate negotiation, RFC 7692 5 and 7: the parameters of one
 * offer or response, the server's pick among a request's offers, the
 * client's check of the server's answer, and the agreed parameters each
 * direction then compresses (codec/deflate.h) and inflates (codec/inflate.h)
 * with.
 *
 * Who calls what:
 *  - a server (the reference server; a harness playing server) passes the
 *    request's Sec-WebSocket-Extensions (ws_hs_request_info.extensions) to
 *    ws_pmd_server_accept, puts the element it returns in its 101, and
 *    configures its deflater with ws_pmd_direction_of(agreement,
 *    WS_SENDER_SERVER) and its inflater with the WS_SENDER_CLIENT one;
 *  - a client (the harness) builds its offers with ws_pmd_params_format,
 *    passes them and the 101's extensions to ws_pmd_client_accept, then
 *    configures the other way round. In OBSERVE use the error it returns is
 *    the server's violation to report; ws_pmd_server_answer says why a
 *    server would decline a given offer. */
#ifndef WS_PMD_H
#define WS_PMD_H

#include "codec/frame.h"
#include "codec/header_values.h"

#include <stdbool.h>
#include <stddef.h>

#define WS_PMD_NAME "permessage-deflate"
#define WS_PMD_BITS_NO_VALUE (-1)     /* client_max_window_bits without value */
#define WS_PMD_DEFAULT_WINDOW_BITS 15 /* RFC 7692 7.1.2: 32,768 bytes */
/* Longest element ws_pmd_params_format writes, NUL included. */
#define WS_PMD_ELEMENT_MAX 160

/* The parameters of one permessage-deflate element, as written. */
typedef struct ws_pmd_params {
  bool server_no_context_takeover;
  bool client_no_context_takeover;
  int server_max_window_bits; /* 0 absent, else 8..15 */
  int client_max_window_bits; /* 0 absent, WS_PMD_BITS_NO_VALUE, or 8..15 */
} ws_pmd_params;

/* A window-bits value per RFC 7692 7.1.2: "8".."15", decimal, no leading
 * zeros. Returns the number, or 0 when the text is not valid. */
int ws_pmd_window_bits_value(ws_span value);

/* Decodes the parameters of one permessage-deflate element (an offer, or a
 * response when is_response). 0, or why the element is invalid (RFC 7692
 * 7): WS_E_PMD_UNKNOWN_PARAM, WS_E_PMD_DUPLICATE_PARAM, WS_E_PMD_BAD_VALUE
 * (a value on *_no_context_takeover, a window-bits value that is not 8..15
 * without leading zeros, a server_max_window_bits without one, or a
 * client_max_window_bits without one in a response). */
int ws_pmd_params_check(const ws_extension *ext, bool is_response,
                        ws_pmd_params *out);
/* Same, as a yes or no. */
bool ws_pmd_params_parse(const ws_extension *ext, bool is_response,
                         ws_pmd_params *out);

/* 0 when a server's response parameters are a valid answer to one offer
 * (RFC 7692 7.1.1, 7.1.2), else the first rule broken:
 * WS_E_PMD_PARAM_NOT_OFFERED, WS_E_PMD_OFFER_NOT_HONOURED or
 * WS_E_PMD_WINDOW_ABOVE_OFFER. */
int ws_pmd_response_check(const ws_pmd_params *response,
                          const ws_pmd_params *offer);
/* Same, as a yes or no. */
bool ws_pmd_response_accepts_offer(const ws_pmd_params *response,
                                   const ws_pmd_params *offer);

/* "permessage-deflate; server_no_context_takeover; ..." into out[0..cap),
 * NUL-terminated, parameters in a fixed order. Returns the length,
 * -WS_E_INVALID_ARGUMENT for a window value that is not 0, 8..15 (or
 * WS_PMD_BITS_NO_VALUE for client_max_window_bits), or
 * -WS_E_BUFFER_TOO_SMALL. */
long ws_pmd_params_format(const ws_pmd_params *params, char *out, size_t cap);

/* ---- the agreement ---- */

/* What an accepted offer and its response settle, for both directions. */
typedef struct ws_pmd_agreement {
  int server_window_bits; /* 8..15: the server compresses within it */
  int client_window_bits; /* 8..15: the client compresses within it */
  bool server_no_context_takeover;
  bool client_no_context_takeover;
} ws_pmd_agreement;

/* The agreed parameters for an offer and a valid response to it:
 *  - server_max_window_bits: the response's, else 15 (RFC 7692 7.1.2.1:
 *    without it the client "can receive messages compressed using an LZ77
 *    sliding window of up to 32,768 bytes");
 *  - client_max_window_bits: the response's, else the offer's value (RFC
 *    7692 7.1.2.2: with a value the offer tells the server the client "is
 *    not going to use an LZ77 sliding window size greater than" it), else
 *    15;
 *  - server_no_context_takeover: the response's;
 *  - client_no_context_takeover: the response's, or the offer's (RFC 7692
 *    7.1.1.2: in an offer it says the client "is not going to use context
 *    takeover" even if the response leaves it out).
 * The offer's hints bind the client; ws_pmd_server_answer always answers
 * them, so a server using these values never relies on a mere hint. */
void ws_pmd_agree(const ws_pmd_params *offer, const ws_pmd_params *response,
                  ws_pmd_agreement *out);

/* The parameters of the messages `sender` sends: it compresses with them,
 * its peer inflates with them. */
typedef struct ws_pmd_direction {
  int window_bits; /* 8..15 */
  bool no_context_takeover;
} ws_pmd_direction;
ws_pmd_direction ws_pmd_direction_of(const ws_pmd_agreement *agreement,
                                     enum ws_sender sender);

/* ---- the server's side ---- */

/* What a server supports and prefers. The zero config accepts every valid
 * offer and asks for nothing. */
typedef struct ws_pmd_server_config {
  /* Largest window the server compresses with, 8..15 (0: 15). Answered as
   * server_max_window_bits when smaller than 15 or when the offer had the
   * parameter (then the smaller of the two). */
  int server_max_window_bits;
  /* Offers asking for a smaller server window are declined, 8..15 (0: 8,
   * every size). RFC 7692 7.1.2.1: a server "declines an extension
   * negotiation offer with this parameter if the server doesn't support
   * it". */
  int min_server_window_bits;
  /* Largest window the client may compress with, 8..15 (0: 15). Asked as
   * client_max_window_bits only when the offer allows it (RFC 7692
   * 7.1.2.2); an offer without the parameter is still accepted, with 15. */
  int client_max_window_bits;
  /* Answer server_no_context_takeover even when not offered (RFC 7692
   * 7.1.1.1 lets the server): the server's window is then per message. */
  bool server_no_context_takeover;
  /* Answer client_no_context_takeover even when not offered (RFC 7692
   * 7.1.1.2 lets the server): the client's window is then per message. */
  bool client_no_context_takeover;
} ws_pmd_server_config;

/* The response a server gives one offer. 0 with *response filled, or why
 * the offer is declined: its own invalidity (ws_pmd_params_check's errors)
 * or WS_E_PMD_UNSUPPORTED; -WS_E_INVALID_ARGUMENT for a config out of
 * range. The answer echoes server_no_context_takeover (RFC 7692 7.1.1.1: it
 * is how a server accepts it), client_no_context_takeover when offered (so
 * the client's promise binds), and client_max_window_bits whenever the
 * offer had a value, so every parameter the server relies on is in the
 * response. */
int ws_pmd_server_answer(const ws_extension *offer,
                         const ws_pmd_server_config *config,
                         ws_pmd_params *response);

/* The server's negotiation: the first permessage-deflate offer in `offers`
 * (the request's extension list, in the client's order of preference, RFC
 * 7692 5) that ws_pmd_server_answer accepts. Declined offers are simply
 * skipped (RFC 7692 7: the server declines them, which is no reason to
 * refuse the handshake). Returns 1 with *agreement, the response element in
 * response[0..cap) (for the 101's Sec-WebSocket-Extensions) and, when chosen
 * is not NULL, the index of the accepted offer in offers->items; 0 when no
 * offer is accepted (the 101 then names no permessage-deflate); or
 * -WS_E_INVALID_ARGUMENT / -WS_E_BUFFER_TOO_SMALL. */
int ws_pmd_server_accept(const ws_extension_list *offers,
                         const ws_pmd_server_config *config,
                         ws_pmd_agreement *agreement, char *response,
                         size_t cap, size_t *chosen);

/* ---- the client's side ---- */

/* The client's check of the 101: `offers` is what it sent (parsed), and
 * `response` the 101's extension list (ws_hs_response_info.extensions).
 * Returns 1 with *agreement (and *chosen, the offer answered: the first one
 * the response is a valid answer to) when permessage-deflate is in use, 0
 * when the response does not name it, or the violation (RFC 7692 7: the
 * client MUST fail the connection):
 *   WS_E_PMD_REPEATED          permessage-deflate accepted twice (RFC 7692
 *                              5: both would own RSV1)
 *   WS_E_HS_RESPONSE_EXTENSION no permessage-deflate offer was sent
 *   ws_pmd_params_check's      the response element is invalid
 *   WS_E_PMD_INVALID_OFFER_ACCEPTED  every offer sent was invalid
 *   ws_pmd_response_check's    it answers no offer; the rule it breaks
 *                              against the first valid offer */
int ws_pmd_client_accept(const ws_extension_list *offers,
                         const ws_extension_list *response,
                         ws_pmd_agreement *agreement, size_t *chosen);

#endif
