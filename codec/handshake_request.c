/* The opening handshake request, RFC 6455 4.1 and 4.2.1: the server checks a
 * client's request; the client builds its own. */
#include "codec/handshake.h"

#include "codec/errors.h"
#include "codec/hooks.h"
#include "codec/strbuf.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* ---- request-target (RFC 7230 5.3, RFC 3986) ---------------------------- */

static bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* RFC 3986 2.2, 2.3: unreserved and sub-delims, plus ":" and "@" which every
 * component below also allows (pchar, userinfo, port). */
static bool is_uri_char(unsigned char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') ||
         (c != '\0' && strchr("-._~!$&'()*+,;=:@", c) != NULL);
}

/* True when every character is a URI character, one of `extra`, or part of a
 * well-formed percent-encoding. A '#' is never accepted: RFC 6455 3 forbids
 * fragments in WebSocket URIs and RFC 7230 5.3 has none in request-targets. */
static bool uri_chars_ok(const char *s, size_t len, const char *extra) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%') {
      if (i + 2 >= len || !is_hex((unsigned char)s[i + 1]) ||
          !is_hex((unsigned char)s[i + 2]))
        return false;
      i += 2;
    } else if (!is_uri_char(c) && strchr(extra, c) == NULL) {
      return false;
    }
  }
  return true;
}

/* origin-form = absolute-path [ "?" query ] (RFC 7230 5.3.1). */
static bool is_origin_form(const char *s, size_t len) {
  return len > 0 && s[0] == '/' && uri_chars_ok(s, len, "/?");
}

/* Length of a "scheme://" prefix for the schemes a WebSocket request may
 * name (RFC 6455 3 for ws/wss; http/https as RFC 7230 5.3.2 allows), or 0. */
static size_t scheme_prefix(const char *s, size_t len) {
  static const char *const schemes[] = {"http://", "https://", "ws://",
                                        "wss://"};
  for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
    size_t n = strlen(schemes[i]);
    if (len >= n && ws_span_ieq((ws_span){s, n}, schemes[i]))
      return n;
  }
  return 0;
}

/* absolute-form = absolute-URI (RFC 7230 5.3.2): here scheme "://" authority
 * path-abempty [ "?" query ], with a non-empty authority. */
static bool is_absolute_form(const char *s, size_t len) {
  size_t start = scheme_prefix(s, len);
  if (start == 0)
    return false;
  size_t stop = start;
  while (stop < len && s[stop] != '/' && s[stop] != '?')
    stop++;
  if (stop == start || !uri_chars_ok(s + start, stop - start, "[]"))
    return false;
  return uri_chars_ok(s + stop, len - stop, "/?");
}

/* ---- Sec-WebSocket-Key -------------------------------------------------- */

static bool is_base64_char(unsigned char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* RFC 6455 4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a
 * base64-encoded (see Section 4 of [RFC4648]) value that, when decoded, is 16
 * bytes in length." Sixteen bytes encode as 22 alphabet characters and "==".
 *
 * Choice: the four unused low bits of the 22nd character are not required to
 * be zero. RFC 4648 3.5 lets a decoder ignore them, the value still decodes to
 * exactly 16 bytes, and RFC 6455 4.2.2 does not even require the server to
 * decode the key; refusing would only punish a harmless quirk. */
static bool is_key_of_16_bytes(ws_span key) {
  if (key.len != WS_KEY_LEN)
    return false;
  for (size_t i = 0; i < WS_KEY_LEN - 2; i++)
    if (!is_base64_char((unsigned char)key.ptr[i]))
      return false;
  return key.ptr[WS_KEY_LEN - 2] == '=' && key.ptr[WS_KEY_LEN - 1] == '=';
}

/* ---- the checks of RFC 6455 4.2.1, in order ----------------------------- */

/* Item 1: "An HTTP/1.1 or higher GET request". Methods are case-sensitive
 * (RFC 7231 4.1), so "get" is not GET. */
static int check_method_and_version(const ws_http_message *m) {
  if (m->method.len != 3 || memcmp(m->method.ptr, "GET", 3) != 0)
    return -WS_E_HS_METHOD;
  if (m->version_major != 1 || m->version_minor < 1)
    return -WS_E_HTTP_VERSION;
  return 0;
}

/* Item 1 continued: "including a 'Request-URI' [RFC2616] that should be
 * interpreted as a /resource name/ defined in Section 3 (or an absolute
 * HTTP/HTTPS URI containing the /resource name/)". */
static int check_target(const ws_http_message *m) {
  if (is_origin_form(m->target.ptr, m->target.len) ||
      is_absolute_form(m->target.ptr, m->target.len))
    return 0;
  return -WS_E_HS_TARGET;
}

/* Item 2: "A |Host| header field containing the server's authority." RFC 7230
 * 5.4: a server MUST respond 400 to a request that lacks a Host field or has
 * more than one. An empty value names no authority, so it is refused too. */
static int check_host(const ws_http_message *m, ws_hs_request_info *info) {
  if (ws_http_field_count(m, "Host") != 1)
    return -WS_E_HS_NO_HOST;
  info->host = *ws_http_field_get(m, "Host", 0);
  return info->host.len > 0 ? 0 : -WS_E_HS_NO_HOST;
}

/* Items 3 and 4: "An |Upgrade| header field containing the value
 * 'websocket', treated as an ASCII case-insensitive value." and "A
 * |Connection| header field that includes the token 'Upgrade', treated as an
 * ASCII case-insensitive value." Both are token lists (RFC 7230 6.1, 6.7). */
static int check_upgrade_and_connection(const ws_http_message *m) {
  if (!ws_http_field_has_token(m, "Upgrade", "websocket"))
    return -WS_E_HS_NO_UPGRADE;
  if (!ws_http_field_has_token(m, "Connection", "upgrade"))
    return -WS_E_HS_NO_CONNECTION_UPGRADE;
  return 0;
}

/* Item 5, see is_key_of_16_bytes(). RFC 6455 11.3.1: the header "MUST NOT
 * appear more than once in an HTTP request." */
static int check_key(const ws_http_message *m, ws_hs_request_info *info) {
  size_t count = ws_http_field_count(m, "Sec-WebSocket-Key");
  if (count == 0)
    return -WS_E_HS_NO_KEY;
  if (count > 1)
    return -WS_E_HS_DUPLICATE_KEY;
  info->key = *ws_http_field_get(m, "Sec-WebSocket-Key", 0);
  return is_key_of_16_bytes(info->key) ? 0 : -WS_E_HS_BAD_KEY;
}

/* Item 6: "A |Sec-WebSocket-Version| header field, with a value of 13."
 * RFC 6455 4.4 then wants a 426-style refusal naming version 13. The value
 * is compared byte for byte: "013" or a list are not 13, and 11.3.5 says the
 * header MUST NOT appear more than once in a request. */
static int check_version(const ws_http_message *m) {
  if (ws_http_field_count(m, "Sec-WebSocket-Version") != 1)
    return -WS_E_HS_VERSION;
  const ws_span *v = ws_http_field_get(m, "Sec-WebSocket-Version", 0);
  if (v->len != 2 || memcmp(v->ptr, "13", 2) != 0)
    return -WS_E_HS_VERSION;
  return 0;
}

/* Items 7 and 8 are optional: "Optionally, an |Origin| header field." and
 * "Optionally, a |Sec-WebSocket-Protocol| header field, with a list of values
 * indicating which protocols the client would like to speak". Every instance
 * of the list is collected (RFC 7230 3.2.2). */
static int collect_protocols(const ws_http_message *m,
                             ws_hs_request_info *info) {
  const ws_span *origin = ws_http_field_get(m, "Origin", 0);
  if (origin)
    info->origin = *origin;
  const ws_span *v;
  for (size_t i = 0; (v = ws_http_field_get(m, "Sec-WebSocket-Protocol", i));
       i++) {
    int err = ws_subprotocols_parse(v->ptr, v->len, &info->subprotocols);
    if (err)
      return err;
  }
  return 0;
}

/* Item 9: "Optionally, a |Sec-WebSocket-Extensions| header field, with a
 * list of values indicating which extensions the client would like to speak.
 * The interpretation of this header field is discussed in Section 9.1." */
static int collect_extensions(const ws_http_message *m,
                              ws_hs_request_info *info) {
  const ws_span *v;
  for (size_t i = 0; (v = ws_http_field_get(m, "Sec-WebSocket-Extensions", i));
       i++) {
    int err = ws_extensions_parse(v->ptr, v->len, &info->extensions);
    if (err)
      return err;
  }
  return 0;
}

int ws_hs_validate_request(const ws_http_message *request,
                           ws_hs_request_info *info) {
  if (!request || !info || request->kind != WS_HTTP_REQUEST)
    return -WS_E_INVALID_ARGUMENT;
  memset(info, 0, sizeof(*info));
  ws_extension_list_init(&info->extensions);
  info->target = request->target;
  int err;
  if ((err = check_method_and_version(request)) ||
      (err = check_target(request)) || (err = check_host(request, info)) ||
      (err = check_upgrade_and_connection(request)) ||
      (err = check_key(request, info)) || (err = check_version(request)) ||
      (err = collect_protocols(request, info)) ||
      (err = collect_extensions(request, info)))
    return err;
  return 0;
}

/* ---- client side: the key and the request -------------------------------- */

void ws_hs_generate_key(char out[WS_KEY_LEN + 1]) {
  /* RFC 6455 4.1: "The nonce MUST be selected randomly for each connection."
   * It is 16 random bytes, base64-encoded. */
  uint8_t nonce[16];
  ws_random_bytes(nonce, sizeof(nonce));
  EVP_EncodeBlock((unsigned char *)out, nonce, (int)sizeof(nonce));
  out[WS_KEY_LEN] = '\0';
}

ssize_t ws_hs_build_request(char *out, size_t cap,
                            const ws_hs_client_request *request) {
  if (!out || !request || !request->host || !request->key)
    return -WS_E_INVALID_ARGUMENT;
  ws_strbuf b;
  ws_strbuf_init(&b, out, cap);
  /* RFC 6455 4.1: a GET request, HTTP/1.1, with Host, Upgrade, Connection,
   * Sec-WebSocket-Key and Sec-WebSocket-Version: 13; the rest is optional. */
  ws_strbuf_printf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n",
                   request->path ? request->path : "/", request->host);
  ws_strbuf_printf(&b, "Upgrade: websocket\r\nConnection: Upgrade\r\n");
  ws_strbuf_printf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
                   request->key);
  if (request->origin)
    ws_strbuf_printf(&b, "Origin: %s\r\n", request->origin);
  if (request->protocols)
    ws_strbuf_printf(&b, "Sec-WebSocket-Protocol: %s\r\n", request->protocols);
  if (request->extensions)
    ws_strbuf_printf(&b, "Sec-WebSocket-Extensions: %s\r\n",
                     request->extensions);
  if (request->extra_headers)
    ws_strbuf_printf(&b, "%s", request->extra_headers);
  ws_strbuf_printf(&b, "\r\n");
  return ws_strbuf_finish(&b);
}
