/* The opening handshake response, RFC 6455 4.1 and 4.2.2: the server builds
 * its 101 (or a refusal); the client checks the server's answer, including
 * the permessage-deflate parameter rules of RFC 7692 7.1. */
#include "codec/handshake.h"

#include "codec/errors.h"
#include "codec/strbuf.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

int ws_hs_accept_value(const char *key, size_t key_len,
                       char out[WS_ACCEPT_LEN + 1]) {
  /* RFC 6455 4.2.2 item 5.4: the value is the base64-encoded SHA-1 of the
   * key concatenated with the GUID, the key taken as sent (not decoded). */
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  int ok = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx) {
    ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
         EVP_DigestUpdate(ctx, key, key_len) &&
         EVP_DigestUpdate(ctx, WS_GUID, strlen(WS_GUID)) &&
         EVP_DigestFinal_ex(ctx, digest, &digest_len) && digest_len == 20;
    EVP_MD_CTX_free(ctx);
  }
  if (!ok)
    return -WS_E_NOMEM;
  EVP_EncodeBlock((unsigned char *)out, digest, 20);
  out[WS_ACCEPT_LEN] = '\0';
  return 0;
}

/* ---- building responses -------------------------------------------------- */

ssize_t ws_hs_build_response(char *out, size_t cap, const char *accept,
                             const char *protocol, const char *extensions) {
  if (!out || !accept)
    return -WS_E_INVALID_ARGUMENT;
  ws_strbuf b;
  ws_strbuf_init(&b, out, cap);
  /* RFC 6455 4.2.2 item 5: the status line, "Upgrade: websocket",
   * "Connection: Upgrade" and Sec-WebSocket-Accept, then the optional
   * subprotocol and extensions the server selected. */
  ws_strbuf_printf(&b, "HTTP/1.1 101 Switching Protocols\r\n");
  ws_strbuf_printf(&b, "Upgrade: websocket\r\nConnection: Upgrade\r\n");
  ws_strbuf_printf(&b, "Sec-WebSocket-Accept: %s\r\n", accept);
  if (protocol)
    ws_strbuf_printf(&b, "Sec-WebSocket-Protocol: %s\r\n", protocol);
  if (extensions)
    ws_strbuf_printf(&b, "Sec-WebSocket-Extensions: %s\r\n", extensions);
  ws_strbuf_printf(&b, "\r\n");
  return ws_strbuf_finish(&b);
}

/* RFC 7231 6 reason phrases for the statuses the error table uses; 431 is
 * from RFC 6585 5. */
static const char *reason_phrase(int status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 426:
    return "Upgrade Required";
  case 431:
    return "Request Header Fields Too Large";
  default:
    return "Internal Server Error";
  }
}

ssize_t ws_hs_build_refusal(char *out, size_t cap, int error) {
  if (!out)
    return -WS_E_INVALID_ARGUMENT;
  int status = ws_error_http_status(error);
  /* An error that is not a handshake error means the server itself failed. */
  if (status == 0)
    status = 500;
  const char *message = ws_error_message(error);
  ws_strbuf b;
  ws_strbuf_init(&b, out, cap);
  ws_strbuf_printf(&b, "HTTP/1.1 %d %s\r\n", status, reason_phrase(status));
  ws_strbuf_printf(&b, "Content-Type: text/plain\r\nContent-Length: %zu\r\n",
                   strlen(message) + 1);
  if (status == 426) {
    /* RFC 7231 6.5.15: a 426 MUST carry an Upgrade header naming the
     * protocol; RFC 7230 6.7: whoever sends Upgrade MUST also list "upgrade"
     * in Connection. "close" stays: the connection ends after the body. */
    ws_strbuf_printf(&b,
                     "Upgrade: websocket\r\nConnection: Upgrade, close\r\n");
  } else {
    ws_strbuf_printf(&b, "Connection: close\r\n");
  }
  /* RFC 7231 6.5.5: a 405 MUST list the allowed methods in Allow. */
  if (status == 405)
    ws_strbuf_printf(&b, "Allow: GET\r\n");
  /* RFC 6455 4.4: when the version is not understood, the server "MUST
   * abort the WebSocket handshake ... and instead send an appropriate HTTP
   * error code (such as 426 Upgrade Required) and a |Sec-WebSocket-Version|
   * header field indicating the version(s) the server is capable of
   * understanding." */
  if (error == WS_E_HS_VERSION || error == -WS_E_HS_VERSION)
    ws_strbuf_printf(&b, "Sec-WebSocket-Version: 13\r\n");
  ws_strbuf_printf(&b, "\r\n%s\n", message);
  return ws_strbuf_finish(&b);
}

/* ---- permessage-deflate answers (RFC 7692 7.1, rules in pmd.c) ---------- */

/* True when `response` (a permessage-deflate element) is a valid answer to at
 * least one permessage-deflate offer: the client offered several in
 * preference order and the server picked one (RFC 7692 5). Offers that are
 * themselves invalid can match nothing. */
static bool pmd_matches_an_offer(const ws_extension *response,
                                 const ws_extension_list *offers) {
  ws_pmd_params got, offered;
  if (!ws_pmd_params_parse(response, true, &got))
    return false;
  for (size_t i = 0; i < offers->count; i++) {
    const ws_extension *offer = &offers->items[i];
    if (ws_span_ieq(offer->name, WS_PMD_NAME) &&
        ws_pmd_params_parse(offer, false, &offered) &&
        ws_pmd_response_accepts_offer(&got, &offered))
      return true;
  }
  return false;
}

/* ---- validating the response (client side) ------------------------------- */

/* RFC 6455 4.1: "If the status code received from the server is not 101, the
 * client handles the response per HTTP [RFC2616] procedures." For a
 * WebSocket client that means the connection is not established. */
static int check_status(const ws_http_message *m) {
  return m->status == 101 ? 0 : -WS_E_HS_RESPONSE_STATUS;
}

/* RFC 6455 4.1: "If the response lacks an |Upgrade| header field or the
 * |Upgrade| header field contains a value that is not an ASCII
 * case-insensitive match for the value 'websocket', the client MUST _Fail
 * the WebSocket Connection_." and "If the response lacks a |Connection|
 * header field or the |Connection| header field doesn't contain a token that
 * is an ASCII case-insensitive match for the value 'Upgrade', the client MUST
 * _Fail the WebSocket Connection_." */
static int check_upgrade_and_connection(const ws_http_message *m) {
  if (!ws_http_field_has_token(m, "Upgrade", "websocket"))
    return -WS_E_HS_RESPONSE_UPGRADE;
  if (!ws_http_field_has_token(m, "Connection", "upgrade"))
    return -WS_E_HS_RESPONSE_CONNECTION;
  return 0;
}

/* RFC 6455 4.1: "If the response lacks a |Sec-WebSocket-Accept| header field
 * or the |Sec-WebSocket-Accept| contains a value other than the base64-encoded
 * SHA-1 of the concatenation of the |Sec-WebSocket-Key| (as a string, not
 * base64-decoded) with the string '258EAFA5-E914-47DA-95CA-C5AB0DC85B11' but
 * ignoring any leading and trailing whitespace, the client MUST _Fail the
 * WebSocket Connection_." 11.3.3: it MUST NOT appear more than once. */
static int check_accept(const ws_http_message *m, const char *key) {
  char expected[WS_ACCEPT_LEN + 1];
  if (ws_http_field_count(m, "Sec-WebSocket-Accept") != 1)
    return -WS_E_HS_RESPONSE_ACCEPT;
  int err = ws_hs_accept_value(key, strlen(key), expected);
  if (err)
    return err;
  const ws_span *got = ws_http_field_get(m, "Sec-WebSocket-Accept", 0);
  if (got->len != WS_ACCEPT_LEN ||
      memcmp(got->ptr, expected, WS_ACCEPT_LEN) != 0)
    return -WS_E_HS_RESPONSE_ACCEPT;
  return 0;
}

/* RFC 6455 4.1: "If the response includes a |Sec-WebSocket-Protocol| header
 * field and this header field indicates the use of a subprotocol that was not
 * present in the client's handshake (the server has indicated a subprotocol
 * not requested by the client), the client MUST _Fail the WebSocket
 * Connection_." 4.2.2 lets the server select one value, so a list or a
 * repeated header is refused too. Subprotocol names are compared exactly, as
 * the server is to echo one of the strings it received. */
static int check_protocol(const ws_http_message *m, const char *offered,
                          ws_span *selected) {
  size_t count = ws_http_field_count(m, "Sec-WebSocket-Protocol");
  if (count == 0)
    return 0;
  const ws_span *got = ws_http_field_get(m, "Sec-WebSocket-Protocol", 0);
  if (count > 1 || !offered || !ws_is_token(got->ptr, got->len))
    return -WS_E_HS_RESPONSE_PROTOCOL;
  ws_subprotocol_list offers = {0};
  if (ws_subprotocols_parse(offered, strlen(offered), &offers) != 0)
    return -WS_E_INVALID_ARGUMENT;
  for (size_t i = 0; i < offers.count; i++) {
    if (offers.items[i].len == got->len &&
        memcmp(offers.items[i].ptr, got->ptr, got->len) == 0) {
      *selected = *got;
      return 0;
    }
  }
  return -WS_E_HS_RESPONSE_PROTOCOL;
}

/* Extension names are tokens, compared case-insensitively like the other
 * tokens of the handshake. */
static bool names_equal(ws_span a, ws_span b) {
  if (a.len != b.len)
    return false;
  for (size_t i = 0; i < a.len; i++) {
    char x = a.ptr[i], y = b.ptr[i];
    if (x >= 'A' && x <= 'Z')
      x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = (char)(y - 'A' + 'a');
    if (x != y)
      return false;
  }
  return true;
}

static bool was_offered(const ws_extension_list *offers, ws_span name) {
  for (size_t i = 0; i < offers->count; i++)
    if (names_equal(offers->items[i].name, name))
      return true;
  return false;
}

/* RFC 6455 4.1: "If the response includes a |Sec-WebSocket-Extensions|
 * header field and this header field indicates the use of an extension that
 * was not present in the client's handshake (the server has indicated an
 * extension not requested by the client), the client MUST _Fail the
 * WebSocket Connection_." Parameters are judged only for permessage-deflate,
 * whose rules we know; another extension's parameters are its own business. */
static int check_one_extension(const ws_extension_list *got, size_t index,
                               const ws_extension_list *offers) {
  const ws_extension *ext = &got->items[index];
  if (!was_offered(offers, ext->name))
    return -WS_E_HS_RESPONSE_EXTENSION;
  if (!ws_span_ieq(ext->name, WS_PMD_NAME))
    return 0;
  /* RFC 7692 5: the server accepts at most one of the offers, so the
   * response names permessage-deflate once. */
  for (size_t i = 0; i < index; i++)
    if (ws_span_ieq(got->items[i].name, WS_PMD_NAME))
      return -WS_E_HS_RESPONSE_EXTENSION;
  return pmd_matches_an_offer(ext, offers) ? 0 : -WS_E_HS_RESPONSE_EXTENSION;
}

static int check_extensions(const ws_http_message *m, const char *offered,
                            ws_extension_list *got) {
  const ws_span *v;
  for (size_t i = 0; (v = ws_http_field_get(m, "Sec-WebSocket-Extensions", i));
       i++)
    if (ws_extensions_parse(v->ptr, v->len, got) != 0)
      return -WS_E_HS_RESPONSE_EXTENSION;
  if (got->count == 0)
    return 0;
  if (!offered)
    return -WS_E_HS_RESPONSE_EXTENSION;
  ws_extension_list offers;
  ws_extension_list_init(&offers);
  if (ws_extensions_parse(offered, strlen(offered), &offers) != 0)
    return -WS_E_INVALID_ARGUMENT;
  for (size_t i = 0; i < got->count; i++) {
    int err = check_one_extension(got, i, &offers);
    if (err)
      return err;
  }
  return 0;
}

int ws_hs_validate_response(const ws_http_message *response, const char *key,
                            const char *offered_protocols,
                            const char *offered_extensions,
                            ws_hs_response_info *info) {
  if (!response || !key || !info || response->kind != WS_HTTP_RESPONSE)
    return -WS_E_INVALID_ARGUMENT;
  memset(info, 0, sizeof(*info));
  ws_extension_list_init(&info->extensions);
  int err;
  if ((err = check_status(response)) ||
      (err = check_upgrade_and_connection(response)) ||
      (err = check_accept(response, key)) ||
      (err = check_protocol(response, offered_protocols, &info->protocol)) ||
      (err = check_extensions(response, offered_extensions, &info->extensions)))
    return err;
  return 0;
}
