/* Unit tests for codec/handshake_request.c and codec/handshake_response.c:
 * the opening handshake of RFC 6455 4 on both sides, with the HTTP parser in
 * front as the server and client use it. */
#include "codec/errors.h"
#include "codec/handshake.h"
#include "codec/hooks.h"
#include "codec/http.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 6455 1.3 example pair. */
#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

#define LINE "GET /chat HTTP/1.1\r\n"
#define HOST "Host: server.example.com\r\n"
#define UPG "Upgrade: websocket\r\n"
#define CONN "Connection: Upgrade\r\n"
#define KEY "Sec-WebSocket-Key: " RFC_KEY "\r\n"
#define VER "Sec-WebSocket-Version: 13\r\n"
#define END "\r\n"
#define VALID LINE HOST UPG CONN KEY VER END
#define WITHOUT_LINE HOST UPG CONN KEY VER END

/* ---- parsing helpers ------------------------------------------------------
 */

static int parse_whole(ws_http_parser *p, enum ws_http_kind kind,
                       const char *text, size_t *consumed) {
  ws_http_parser_init(p, kind, 0, 0);
  return ws_http_parse(p, (const uint8_t *)text, strlen(text), consumed);
}

static int parse_drip(ws_http_parser *p, enum ws_http_kind kind,
                      const char *text, size_t *consumed) {
  ws_http_parser_init(p, kind, 0, 0);
  size_t len = strlen(text);
  int rc = 0;
  *consumed = 0;
  for (size_t i = 0; i < len && rc == 0; i++) {
    size_t used = 0;
    rc = ws_http_parse(p, (const uint8_t *)text + i, 1, &used);
    *consumed += used;
  }
  return rc;
}

static bool spans_equal(ws_span a, ws_span b) {
  return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Parses `text` whole and one byte at a time, checks that both agree, then
 * validates it as a handshake request. Returns the first error or 0. The
 * info's spans point into *keep, which the caller frees (NULL: freed here). */
static int check_request_keep(const char *text, ws_hs_request_info *info,
                              ws_http_parser *keep) {
  ws_http_parser whole, drip;
  size_t used_whole, used_drip;
  int rc_whole = parse_whole(&whole, WS_HTTP_REQUEST, text, &used_whole);
  int rc_drip = parse_drip(&drip, WS_HTTP_REQUEST, text, &used_drip);
  cr_expect_eq(rc_whole, rc_drip, "whole vs drip: %s", text);
  int rc = rc_whole;
  if (rc == 1) {
    const ws_http_message *a = ws_http_parser_message(&whole);
    const ws_http_message *b = ws_http_parser_message(&drip);
    cr_expect_eq(used_whole, used_drip);
    cr_expect(spans_equal(a->method, b->method));
    cr_expect(spans_equal(a->target, b->target));
    cr_assert_eq(a->field_count, b->field_count);
    for (size_t i = 0; i < a->field_count; i++)
      cr_expect(spans_equal(a->fields[i].name, b->fields[i].name) &&
                    spans_equal(a->fields[i].value, b->fields[i].value),
                "field %zu of %s", i, text);
    rc = ws_hs_validate_request(a, info);
  }
  if (keep)
    *keep = whole;
  else
    ws_http_parser_free(&whole);
  ws_http_parser_free(&drip);
  return rc;
}

static int check_request(const char *text, ws_hs_request_info *info) {
  return check_request_keep(text, info, NULL);
}

/* ---- RFC 6455 1.3 and the key ---------------------------------------------
 */

Test(handshake, rfc_accept_example) {
  char accept[WS_ACCEPT_LEN + 1];
  cr_assert_eq(ws_hs_accept_value(RFC_KEY, strlen(RFC_KEY), accept), 0);
  cr_expect_str_eq(accept, RFC_ACCEPT);
}

static void fixed_random(uint8_t *out, size_t len, void *ctx) {
  (void)ctx;
  for (size_t i = 0; i < len; i++)
    out[i] = (uint8_t)i;
}

Test(handshake, generated_key_uses_random_hook) {
  ws_set_random(fixed_random, NULL);
  char key[WS_KEY_LEN + 1];
  ws_hs_generate_key(key);
  ws_set_random(NULL, NULL);
  /* base64 of the bytes 00 01 02 ... 0f. */
  cr_expect_str_eq(key, "AAECAwQFBgcICQoLDA0ODw==");
  char a[WS_KEY_LEN + 1], b[WS_KEY_LEN + 1];
  ws_hs_generate_key(a);
  ws_hs_generate_key(b);
  cr_expect_eq(strlen(a), WS_KEY_LEN);
  cr_expect_str_neq(a, b, "two fresh keys differ");
}

/* ---- requests the server must refuse (PROTOCOL.md section 1) --------------
 */

struct refused_row {
  const char *text;
  int error;
  int status;
};

static const struct refused_row refused[] = {
    /* method and version */
    {"POST /chat HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_METHOD, 405},
    {"HEAD /chat HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_METHOD, 405},
    {"get /chat HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_METHOD, 405},
    {"POST /chat HTTP/1.1\r\n" UPG END, WS_E_HS_METHOD, 405},
    {"GET /chat HTTP/1.0\r\n" WITHOUT_LINE, WS_E_HTTP_VERSION, 400},
    {"GET /chat HTTP/2.0\r\n" WITHOUT_LINE, WS_E_HTTP_VERSION, 400},
    /* request-target forms */
    {"GET * HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_TARGET, 400},
    {"GET server.example.com:80 HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_TARGET,
     400},
    {"GET chat HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_TARGET, 400},
    {"GET ftp://host/chat HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_TARGET, 400},
    {"GET http:///chat HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_TARGET, 400},
    {"GET /chat#frag HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_TARGET, 400},
    {"GET /bad%zz HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_TARGET, 400},
    {"GET /a\"b HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HS_TARGET, 400},
    /* Host */
    {LINE UPG CONN KEY VER END, WS_E_HS_NO_HOST, 400},
    {LINE HOST HOST UPG CONN KEY VER END, WS_E_HS_NO_HOST, 400},
    {LINE "Host:\r\n" UPG CONN KEY VER END, WS_E_HS_NO_HOST, 400},
    /* Upgrade */
    {LINE HOST CONN KEY VER END, WS_E_HS_NO_UPGRADE, 400},
    {LINE HOST "Upgrade: h2c\r\n" CONN KEY VER END, WS_E_HS_NO_UPGRADE, 400},
    {LINE HOST "Upgrade: websocket2\r\n" CONN KEY VER END, WS_E_HS_NO_UPGRADE,
     400},
    {LINE HOST "Upgrade: web socket\r\n" CONN KEY VER END, WS_E_HS_NO_UPGRADE,
     400},
    /* Connection */
    {LINE HOST UPG KEY VER END, WS_E_HS_NO_CONNECTION_UPGRADE, 400},
    {LINE HOST UPG "Connection: keep-alive\r\n" KEY VER END,
     WS_E_HS_NO_CONNECTION_UPGRADE, 400},
    {LINE HOST UPG "Connection: NotUpgrade\r\n" KEY VER END,
     WS_E_HS_NO_CONNECTION_UPGRADE, 400},
    {LINE HOST UPG "Connection: Upgrade-Insecure\r\n" KEY VER END,
     WS_E_HS_NO_CONNECTION_UPGRADE, 400},
    /* Sec-WebSocket-Key */
    {LINE HOST UPG CONN VER END, WS_E_HS_NO_KEY, 400},
    {LINE HOST UPG CONN KEY KEY VER END, WS_E_HS_DUPLICATE_KEY, 400},
    {LINE HOST UPG CONN "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0O\r\n" VER END,
     WS_E_HS_BAD_KEY, 400}, /* 15 bytes */
    {LINE HOST UPG CONN
     "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODxA=\r\n" VER END,
     WS_E_HS_BAD_KEY, 400}, /* 17 bytes */
    {LINE HOST UPG CONN
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==\r\n" VER END,
     WS_E_HS_BAD_KEY, 400},
    {LINE HOST UPG CONN
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j-Q==\r\n" VER END,
     WS_E_HS_BAD_KEY, 400}, /* base64url is another alphabet */
    {LINE HOST UPG CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n" VER END,
     WS_E_HS_BAD_KEY, 400}, /* padding missing */
    {LINE HOST UPG CONN
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ===\r\n" VER END,
     WS_E_HS_BAD_KEY, 400},
    {LINE HOST UPG CONN "Sec-WebSocket-Key:\r\n" VER END, WS_E_HS_BAD_KEY, 400},
    /* Sec-WebSocket-Version */
    {LINE HOST UPG CONN KEY END, WS_E_HS_VERSION, 426},
    {LINE HOST UPG CONN KEY "Sec-WebSocket-Version: 8\r\n" END, WS_E_HS_VERSION,
     426},
    {LINE HOST UPG CONN KEY "Sec-WebSocket-Version: 7\r\n" END, WS_E_HS_VERSION,
     426},
    {LINE HOST UPG CONN KEY "Sec-WebSocket-Version: 99\r\n" END,
     WS_E_HS_VERSION, 426},
    {LINE HOST UPG CONN KEY "Sec-WebSocket-Version: 013\r\n" END,
     WS_E_HS_VERSION, 426},
    {LINE HOST UPG CONN KEY "Sec-WebSocket-Version:  13 , 13\r\n" END,
     WS_E_HS_VERSION, 426},
    {LINE HOST UPG CONN KEY VER VER END, WS_E_HS_VERSION, 426},
    /* subprotocol and extension lists */
    {LINE HOST UPG CONN KEY VER "Sec-WebSocket-Protocol: a b\r\n" END,
     WS_E_HS_BAD_PROTOCOL_HEADER, 400},
    {LINE HOST UPG CONN KEY VER "Sec-WebSocket-Protocol:\r\n" END,
     WS_E_HS_BAD_PROTOCOL_HEADER, 400},
    {LINE HOST UPG CONN KEY VER "Sec-WebSocket-Extensions: a;;b\r\n" END,
     WS_E_HS_BAD_EXTENSION_HEADER, 400},
    {LINE HOST UPG CONN KEY VER
     "Sec-WebSocket-Extensions: a; b=\"x y\"\r\n" END,
     WS_E_HS_BAD_EXTENSION_HEADER, 400},
    /* HTTP syntax (RFC 7230 3.2.4) */
    {LINE HOST "Upgrade : websocket\r\n" CONN KEY VER END, WS_E_HTTP_SYNTAX,
     400},
    {LINE HOST UPG "Connection: keep-alive,\r\n Upgrade\r\n" KEY VER END,
     WS_E_HTTP_SYNTAX, 400},
    {"GET /chat  HTTP/1.1\r\n" WITHOUT_LINE, WS_E_HTTP_SYNTAX, 400},
};

Test(handshake, refused_requests_table) {
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    ws_hs_request_info info;
    int rc = check_request(refused[i].text, &info);
    cr_expect_eq(rc, -refused[i].error, "row %zu: got %s, want %s", i,
                 ws_error_name(rc), ws_error_name(refused[i].error));
    cr_expect_eq(ws_error_http_status(rc), refused[i].status, "row %zu", i);
  }
}

/* ---- requests the server must accept --------------------------------------
 */

static const char *const accepted[] = {
    VALID,
    "GET http://server.example.com/chat HTTP/1.1\r\n" WITHOUT_LINE,
    "GET https://server.example.com:8443/chat?x=1 HTTP/1.1\r\n" WITHOUT_LINE,
    "GET ws://server.example.com/chat HTTP/1.1\r\n" WITHOUT_LINE,
    "GET WSS://server.example.com HTTP/1.1\r\n" WITHOUT_LINE,
    "GET / HTTP/1.1\r\n" WITHOUT_LINE,
    "GET /a/b%20c?q=1&r=%2F;s:@!$'()*+,=~ HTTP/1.1\r\n" WITHOUT_LINE,
    "GET /chat HTTP/1.9\r\n" WITHOUT_LINE,
    LINE HOST "Upgrade: WEBSOCKET\r\n" CONN KEY VER END,
    LINE HOST "Upgrade: WebSocket\r\n" CONN KEY VER END,
    LINE HOST "Upgrade: foo, websocket\r\n" CONN KEY VER END,
    LINE HOST "Upgrade: foo\r\nUpgrade: websocket\r\n" CONN KEY VER END,
    LINE HOST UPG "Connection: keep-alive, Upgrade\r\n" KEY VER END,
    LINE HOST UPG "Connection: upgrade\r\n" KEY VER END,
    LINE HOST UPG
    "Connection: keep-alive\r\nConnection: Upgrade\r\n" KEY VER END,
    "GET /chat HTTP/1.1\r\nhost: a\r\nupgrade: websocket\r\nconnection: "
    "upgrade\r\nsec-websocket-key: " RFC_KEY
    "\r\nsec-websocket-version: 13\r\n\r\n",
    LINE "User-Agent: test\r\nCookie: a=b\r\n" HOST UPG CONN KEY VER
         "Origin: http://example.com\r\nX-Custom:\r\n" END,
    /* Unused trailing bits of the key are not checked (see the source). */
    LINE HOST UPG CONN
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n" VER END,
    "GET /chat HTTP/1.1\nHost: a\nUpgrade: websocket\nConnection: Upgrade\n"
    "Sec-WebSocket-Key: " RFC_KEY "\nSec-WebSocket-Version: 13\n\n",
    LINE HOST UPG CONN KEY VER
    "Sec-WebSocket-Protocol: chat\r\n"
    "Sec-WebSocket-Protocol: superchat, json\r\n" END,
    LINE HOST UPG CONN KEY VER
    "Sec-WebSocket-Extensions: permessage-deflate; "
    "client_max_window_bits, foo\r\nSec-WebSocket-Extensions: bar\r\n" END,
    LINE HOST UPG CONN KEY "Sec-WebSocket-Version:   13  \r\n" END,
};

Test(handshake, accepted_requests_table) {
  for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
    ws_hs_request_info info;
    int rc = check_request(accepted[i], &info);
    cr_expect_eq(rc, 0, "row %zu: %s", i, ws_error_name(rc));
  }
}

Test(handshake, request_info_is_filled) {
  const char *text =
      "GET /chat?room=1 HTTP/1.1\r\nHost: example.com:9001\r\n" UPG CONN KEY VER
      "Origin: http://example.com\r\n"
      "Sec-WebSocket-Protocol: chat, superchat\r\n"
      "Sec-WebSocket-Protocol: json\r\n"
      "Sec-WebSocket-Extensions: permessage-deflate; "
      "client_max_window_bits=\"10\", x-foo\r\n" END;
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(parse_whole(&p, WS_HTTP_REQUEST, text, &consumed), 1);
  ws_hs_request_info info;
  cr_assert_eq(ws_hs_validate_request(ws_http_parser_message(&p), &info), 0);
  cr_expect_str_eq(info.key.ptr, RFC_KEY);
  cr_expect_str_eq(info.host.ptr, "example.com:9001");
  cr_expect_str_eq(info.target.ptr, "/chat?room=1");
  cr_expect_str_eq(info.origin.ptr, "http://example.com");
  cr_assert_eq(info.subprotocols.count, 3);
  cr_expect(ws_span_ieq(info.subprotocols.items[2], "json"));
  cr_assert_eq(info.extensions.count, 2);
  cr_expect(ws_span_ieq(info.extensions.items[0].name, "permessage-deflate"));
  cr_expect_str_eq(info.extensions.items[0].params[0].value.ptr, "10");
  cr_expect(ws_span_ieq(info.extensions.items[1].name, "x-foo"));
  ws_http_parser_free(&p);
}

Test(handshake, request_without_origin_has_empty_origin) {
  ws_hs_request_info info;
  cr_assert_eq(check_request(VALID, &info), 0);
  cr_expect_eq(info.origin.len, 0);
  cr_expect_eq(info.subprotocols.count, 0);
  cr_expect_eq(info.extensions.count, 0);
}

Test(handshake, pipelined_frame_after_request_is_left) {
  const char text[] = VALID "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(parse_whole(&p, WS_HTTP_REQUEST, text, &consumed), 1);
  cr_expect_eq(consumed, strlen(VALID));
  ws_hs_request_info info;
  cr_expect_eq(ws_hs_validate_request(ws_http_parser_message(&p), &info), 0);
  ws_http_parser_free(&p);
}

Test(handshake, validate_request_rejects_a_response_message) {
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(
      parse_whole(&p, WS_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\n\r\n", &consumed),
      1);
  ws_hs_request_info info;
  cr_expect_eq(ws_hs_validate_request(ws_http_parser_message(&p), &info),
               -WS_E_INVALID_ARGUMENT);
  ws_http_parser_free(&p);
}

/* ---- the server's answers --------------------------------------------------
 */

Test(handshake, response_round_trip) {
  char out[512];
  ssize_t n = ws_hs_build_response(out, sizeof(out), RFC_ACCEPT, "chat",
                                   "permessage-deflate");
  cr_assert_gt(n, 0);
  cr_expect_eq((size_t)n, strlen(out));
  cr_expect(strncmp(out, "HTTP/1.1 101 Switching Protocols\r\n", 34) == 0);
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(parse_whole(&p, WS_HTTP_RESPONSE, out, &consumed), 1);
  cr_expect_eq(consumed, (size_t)n);
  ws_hs_response_info info;
  cr_expect_eq(ws_hs_validate_response(ws_http_parser_message(&p), RFC_KEY,
                                       "superchat, chat", "permessage-deflate",
                                       &info),
               0);
  cr_expect_str_eq(info.protocol.ptr, "chat");
  cr_expect_eq(info.extensions.count, 1);
  ws_http_parser_free(&p);
}

Test(handshake, response_without_options) {
  char out[256];
  ssize_t n = ws_hs_build_response(out, sizeof(out), RFC_ACCEPT, NULL, NULL);
  cr_assert_gt(n, 0);
  cr_expect_str_eq(out, "HTTP/1.1 101 Switching Protocols\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n\r\n");
  /* One byte short of the text plus its NUL. */
  cr_expect_eq(ws_hs_build_response(out, (size_t)n, RFC_ACCEPT, NULL, NULL),
               -WS_E_BUFFER_TOO_SMALL);
  cr_expect_eq(ws_hs_build_response(out, (size_t)n + 1, RFC_ACCEPT, NULL, NULL),
               n);
}

/* Parses a refusal and checks its status line, headers and body. */
static void check_refusal(int error, int status, const char *reason) {
  char out[512];
  ssize_t n = ws_hs_build_refusal(out, sizeof(out), -error);
  cr_assert_gt(n, 0, "%s", ws_error_name(error));
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(parse_whole(&p, WS_HTTP_RESPONSE, out, &consumed), 1);
  const ws_http_message *m = ws_http_parser_message(&p);
  cr_expect_eq(m->status, status);
  cr_expect_str_eq(m->reason.ptr, reason);
  cr_expect(ws_http_field_has_token(m, "Connection", "close"));
  cr_expect_str_eq(ws_http_field_get(m, "Content-Type", 0)->ptr, "text/plain");
  /* The body is the message and a newline; Content-Length counts it. */
  const char *body = out + consumed;
  cr_expect_eq((size_t)n - consumed, strlen(ws_error_message(error)) + 1);
  cr_expect_eq(
      strtoul(ws_http_field_get(m, "Content-Length", 0)->ptr, NULL, 10),
      strlen(body));
  cr_expect_eq(strncmp(body, ws_error_message(error), strlen(body) - 1), 0);
  bool is_version = error == WS_E_HS_VERSION;
  cr_expect_eq(ws_http_field_count(m, "Sec-WebSocket-Version"),
               is_version ? 1u : 0u);
  if (is_version)
    cr_expect_str_eq(ws_http_field_get(m, "Sec-WebSocket-Version", 0)->ptr,
                     "13");
  cr_expect_eq(ws_http_field_count(m, "Allow"), status == 405 ? 1u : 0u);
  ws_http_parser_free(&p);
}

Test(handshake, refusals_have_status_reason_and_body) {
  check_refusal(WS_E_HS_NO_HOST, 400, "Bad Request");
  check_refusal(WS_E_HS_METHOD, 405, "Method Not Allowed");
  check_refusal(WS_E_HS_TIMEOUT, 408, "Request Timeout");
  check_refusal(WS_E_HS_VERSION, 426, "Upgrade Required");
  check_refusal(WS_E_HTTP_HEADER_TOO_LARGE, 431,
                "Request Header Fields Too Large");
  check_refusal(WS_E_NOMEM, 500, "Internal Server Error");
  check_refusal(WS_E_STATE, 500, "Internal Server Error");
}

Test(handshake, refusal_details) {
  char out[512];
  cr_assert_gt(ws_hs_build_refusal(out, sizeof(out), -WS_E_HS_METHOD), 0);
  cr_expect_not_null(strstr(out, "\r\nAllow: GET\r\n"));
  cr_assert_gt(ws_hs_build_refusal(out, sizeof(out), WS_E_HS_VERSION), 0);
  cr_expect_not_null(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n"));
  cr_expect_not_null(strstr(out, "\r\nUpgrade: websocket\r\n"));
  cr_expect_eq(ws_hs_build_refusal(out, 40, -WS_E_HS_NO_KEY),
               -WS_E_BUFFER_TOO_SMALL);
}

/* ---- the client's request
 * ---------------------------------------------------- */

Test(handshake, client_request_round_trip) {
  char key[WS_KEY_LEN + 1];
  ws_hs_generate_key(key);
  ws_hs_client_request req = {
      .host = "localhost:9001",
      .path = "/runCase?case=1&agent=wsprobe",
      .key = key,
      .origin = "http://localhost",
      .protocols = "chat, superchat",
      .extensions = "permessage-deflate; client_max_window_bits",
      .extra_headers = "User-Agent: wsprobe\r\nX-Test: 1\r\n",
  };
  char out[1024];
  ssize_t n = ws_hs_build_request(out, sizeof(out), &req);
  cr_assert_gt(n, 0);
  ws_hs_request_info info;
  ws_http_parser p;
  cr_assert_eq(check_request_keep(out, &info, &p), 0);
  cr_expect(spans_equal(info.key, (ws_span){key, WS_KEY_LEN}));
  cr_expect_str_eq(info.host.ptr, "localhost:9001");
  cr_expect_str_eq(info.target.ptr, "/runCase?case=1&agent=wsprobe");
  cr_expect_str_eq(info.origin.ptr, "http://localhost");
  cr_expect_eq(info.subprotocols.count, 2);
  cr_expect_eq(info.extensions.count, 1);
  cr_expect_not_null(
      strstr(out, "\r\nUser-Agent: wsprobe\r\nX-Test: 1\r\n\r\n"));
  ws_http_parser_free(&p);
}

Test(handshake, client_request_minimal_and_small_buffer) {
  ws_hs_client_request req = {.host = "h", .key = RFC_KEY};
  char out[256];
  ssize_t n = ws_hs_build_request(out, sizeof(out), &req);
  cr_assert_gt(n, 0);
  cr_expect_str_eq(out, "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: " RFC_KEY
                        "\r\nSec-WebSocket-Version: 13\r\n\r\n");
  cr_expect_eq(ws_hs_build_request(out, (size_t)n, &req),
               -WS_E_BUFFER_TOO_SMALL);
  cr_expect_eq(ws_hs_build_request(out, 0, &req), -WS_E_BUFFER_TOO_SMALL);
  ws_hs_client_request no_key = {.host = "h"};
  cr_expect_eq(ws_hs_build_request(out, sizeof(out), &no_key),
               -WS_E_INVALID_ARGUMENT);
}

/* ---- the server's response as the client checks it (PROTOCOL.md 2) ---------
 */

struct response_row {
  const char *headers; /* after the default status line, NULL: default set */
  const char *protocols;
  const char *extensions;
  int error; /* 0: accepted */
};

#define R101 "HTTP/1.1 101 Switching Protocols\r\n"
#define RUPG "Upgrade: websocket\r\n"
#define RCONN "Connection: Upgrade\r\n"
#define RACC "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
#define RBASE R101 RUPG RCONN RACC
#define PMD "Sec-WebSocket-Extensions: permessage-deflate"
#define OFFER_PMD "permessage-deflate"
#define OFFER_CMWB "permessage-deflate; client_max_window_bits"

static const struct response_row responses[] = {
    /* accepted */
    {RBASE END, NULL, NULL, 0},
    {R101 "upgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
          "sec-websocket-accept: " RFC_ACCEPT "\r\nServer: x\r\n" END,
     NULL, NULL, 0},
    {RBASE "Sec-WebSocket-Protocol: b\r\n" END, "a, b", NULL, 0},
    {RBASE END, "a, b", OFFER_PMD, 0},
    {RBASE PMD "\r\n" END, NULL, OFFER_PMD, 0},
    {RBASE PMD "; client_max_window_bits=10\r\n" END, NULL, OFFER_CMWB, 0},
    {RBASE PMD "; client_max_window_bits=15\r\n" END, NULL,
     OFFER_PMD "; client_max_window_bits=15", 0},
    {RBASE PMD "; server_no_context_takeover\r\n" END, NULL, OFFER_PMD, 0},
    {RBASE PMD "; client_no_context_takeover\r\n" END, NULL, OFFER_PMD, 0},
    {RBASE PMD "; server_max_window_bits=10\r\n" END, NULL, OFFER_PMD, 0},
    {RBASE PMD "; server_max_window_bits=8\r\n" END, NULL,
     OFFER_PMD "; server_max_window_bits=12", 0},
    {RBASE PMD "; server_max_window_bits=\"12\"\r\n" END, NULL,
     OFFER_PMD "; server_max_window_bits=12", 0},
    {RBASE PMD "; server_no_context_takeover\r\n" END, NULL,
     OFFER_PMD "; server_no_context_takeover", 0},
    {RBASE PMD "\r\n" END, NULL,
     OFFER_PMD "; server_max_window_bits=10, " OFFER_PMD, 0},
    {RBASE "Sec-WebSocket-Extensions: x-foo; bar=1\r\n" END, NULL,
     OFFER_PMD ", x-foo", 0},
    /* status */
    {"HTTP/1.1 200 OK\r\n" RUPG RCONN RACC END, NULL, NULL,
     WS_E_HS_RESPONSE_STATUS},
    {"HTTP/1.1 426 Upgrade Required\r\n" RUPG RCONN RACC END, NULL, NULL,
     WS_E_HS_RESPONSE_STATUS},
    /* Upgrade and Connection */
    {R101 RCONN RACC END, NULL, NULL, WS_E_HS_RESPONSE_UPGRADE},
    {R101 "Upgrade: h2c\r\n" RCONN RACC END, NULL, NULL,
     WS_E_HS_RESPONSE_UPGRADE},
    {R101 RUPG RACC END, NULL, NULL, WS_E_HS_RESPONSE_CONNECTION},
    {R101 RUPG "Connection: NotUpgrade\r\n" RACC END, NULL, NULL,
     WS_E_HS_RESPONSE_CONNECTION},
    /* Sec-WebSocket-Accept */
    {R101 RUPG RCONN END, NULL, NULL, WS_E_HS_RESPONSE_ACCEPT},
    {R101 RUPG RCONN
     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOO=\r\n" END,
     NULL, NULL, WS_E_HS_RESPONSE_ACCEPT},
    {R101 RUPG RCONN "Sec-WebSocket-Accept: " RFC_KEY "\r\n" END, NULL, NULL,
     WS_E_HS_RESPONSE_ACCEPT},
    {RBASE RACC END, NULL, NULL, WS_E_HS_RESPONSE_ACCEPT},
    /* Sec-WebSocket-Protocol */
    {RBASE "Sec-WebSocket-Protocol: c\r\n" END, "a, b", NULL,
     WS_E_HS_RESPONSE_PROTOCOL},
    {RBASE "Sec-WebSocket-Protocol: a\r\n" END, NULL, NULL,
     WS_E_HS_RESPONSE_PROTOCOL},
    {RBASE "Sec-WebSocket-Protocol: a, b\r\n" END, "a, b", NULL,
     WS_E_HS_RESPONSE_PROTOCOL},
    {RBASE "Sec-WebSocket-Protocol: a\r\nSec-WebSocket-Protocol: a\r\n" END,
     "a, b", NULL, WS_E_HS_RESPONSE_PROTOCOL},
    {RBASE "Sec-WebSocket-Protocol:\r\n" END, "a, b", NULL,
     WS_E_HS_RESPONSE_PROTOCOL},
    {RBASE "Sec-WebSocket-Protocol: A\r\n" END, "a, b", NULL,
     WS_E_HS_RESPONSE_PROTOCOL},
    /* Sec-WebSocket-Extensions */
    {RBASE PMD "\r\n" END, NULL, NULL, WS_E_HS_RESPONSE_EXTENSION},
    {RBASE "Sec-WebSocket-Extensions: x-foo\r\n" END, NULL, OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD ";\r\n" END, NULL, OFFER_PMD, WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; client_max_window_bits=10\r\n" END, NULL, OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; client_max_window_bits\r\n" END, NULL, OFFER_CMWB,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; client_max_window_bits=11\r\n" END, NULL,
     OFFER_PMD "; client_max_window_bits=10", WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; server_max_window_bits=16\r\n" END, NULL, OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; server_max_window_bits=7\r\n" END, NULL, OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; server_max_window_bits=08\r\n" END, NULL, OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; server_max_window_bits=010\r\n" END, NULL, OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; server_max_window_bits\r\n" END, NULL, OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; server_max_window_bits=13\r\n" END, NULL,
     OFFER_PMD "; server_max_window_bits=12", WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "\r\n" END, NULL, OFFER_PMD "; server_max_window_bits=12",
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "\r\n" END, NULL, OFFER_PMD "; server_no_context_takeover",
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; server_no_context_takeover=1\r\n" END, NULL, OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD
     "; client_no_context_takeover; client_no_context_takeover\r\n" END,
     NULL, OFFER_PMD, WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "; foo\r\n" END, NULL, OFFER_PMD, WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD ", permessage-deflate\r\n" END, NULL, OFFER_PMD ", " OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
    {RBASE PMD "\r\n" PMD "\r\n" END, NULL, OFFER_PMD ", " OFFER_PMD,
     WS_E_HS_RESPONSE_EXTENSION},
};

Test(handshake, response_validation_table) {
  for (size_t i = 0; i < sizeof(responses) / sizeof(responses[0]); i++) {
    const struct response_row *row = &responses[i];
    ws_http_parser p;
    size_t consumed;
    cr_assert_eq(parse_whole(&p, WS_HTTP_RESPONSE, row->headers, &consumed), 1,
                 "row %zu", i);
    ws_hs_response_info info;
    int rc = ws_hs_validate_response(ws_http_parser_message(&p), RFC_KEY,
                                     row->protocols, row->extensions, &info);
    cr_expect_eq(rc, -row->error, "row %zu: got %s, want %s", i,
                 ws_error_name(rc), ws_error_name(row->error));
    ws_http_parser_free(&p);
  }
}

Test(handshake, response_info_protocol_and_extensions) {
  const char *text =
      RBASE "Sec-WebSocket-Protocol: superchat\r\n" PMD
            "; server_no_context_takeover; client_max_window_bits=9\r\n" END;
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(parse_drip(&p, WS_HTTP_RESPONSE, text, &consumed), 1);
  ws_hs_response_info info;
  cr_assert_eq(ws_hs_validate_response(ws_http_parser_message(&p), RFC_KEY,
                                       "chat, superchat", OFFER_CMWB, &info),
               0);
  cr_expect_str_eq(info.protocol.ptr, "superchat");
  cr_assert_eq(info.extensions.count, 1);
  cr_expect_eq(info.extensions.items[0].param_count, 2);
  ws_http_parser_free(&p);
}

Test(handshake, response_without_protocol_has_empty_protocol) {
  ws_http_parser p;
  size_t consumed;
  cr_assert_eq(parse_whole(&p, WS_HTTP_RESPONSE, RBASE END, &consumed), 1);
  ws_hs_response_info info;
  cr_assert_eq(ws_hs_validate_response(ws_http_parser_message(&p), RFC_KEY,
                                       "chat", OFFER_PMD, &info),
               0);
  cr_expect_eq(info.protocol.len, 0);
  cr_expect_eq(info.extensions.count, 0);
  /* A request message is not a response. */
  ws_http_parser q;
  cr_assert_eq(parse_whole(&q, WS_HTTP_REQUEST, VALID, &consumed), 1);
  cr_expect_eq(ws_hs_validate_response(ws_http_parser_message(&q), RFC_KEY,
                                       NULL, NULL, &info),
               -WS_E_INVALID_ARGUMENT);
  ws_http_parser_free(&p);
  ws_http_parser_free(&q);
}

/* ---- permessage-deflate helpers ---------------------------------------------
 */

Test(handshake, pmd_window_bits_values) {
  const char *good[] = {"8", "9", "10", "11", "12", "13", "14", "15"};
  for (int i = 0; i < 8; i++)
    cr_expect_eq(ws_pmd_window_bits_value((ws_span){good[i], strlen(good[i])}),
                 8 + i);
  const char *bad[] = {"", "7", "16", "08", "015", "1", "0", "x", "9 ", "+9"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    cr_expect_eq(ws_pmd_window_bits_value((ws_span){bad[i], strlen(bad[i])}), 0,
                 "%s", bad[i]);
}

static bool pmd_parse(const char *value, bool is_response, ws_pmd_params *out) {
  ws_extension_list list;
  ws_extension_list_init(&list);
  cr_assert_eq(ws_extensions_parse(value, strlen(value), &list), 0);
  return ws_pmd_params_parse(&list.items[0], is_response, out);
}

Test(handshake, pmd_params_parse) {
  ws_pmd_params params;
  cr_assert(pmd_parse(OFFER_PMD "; client_max_window_bits; "
                                "server_max_window_bits=10; "
                                "client_no_context_takeover",
                      false, &params));
  cr_expect_eq(params.client_max_window_bits, WS_PMD_BITS_NO_VALUE);
  cr_expect_eq(params.server_max_window_bits, 10);
  cr_expect(params.client_no_context_takeover);
  cr_expect_not(params.server_no_context_takeover);
  /* Without a value client_max_window_bits is an offer-only form. */
  cr_expect_not(pmd_parse(OFFER_CMWB, true, &params));
  cr_expect_not(
      pmd_parse(OFFER_PMD "; server_max_window_bits", false, &params));
  cr_expect_not(pmd_parse(OFFER_PMD "; client_max_window_bits=9; "
                                    "client_max_window_bits=9",
                          false, &params));
  cr_expect_not(pmd_parse(OFFER_PMD "; x=1", false, &params));
}

Test(handshake, pmd_response_accepts_offer_rules) {
  ws_pmd_params offer = {0}, response = {0};
  cr_expect(ws_pmd_response_accepts_offer(&response, &offer));
  response.client_max_window_bits = 12;
  cr_expect_not(ws_pmd_response_accepts_offer(&response, &offer));
  offer.client_max_window_bits = WS_PMD_BITS_NO_VALUE;
  cr_expect(ws_pmd_response_accepts_offer(&response, &offer));
  offer.client_max_window_bits = 11;
  cr_expect_not(ws_pmd_response_accepts_offer(&response, &offer));
  offer.client_max_window_bits = 12;
  cr_expect(ws_pmd_response_accepts_offer(&response, &offer));
  offer.server_no_context_takeover = true;
  cr_expect_not(ws_pmd_response_accepts_offer(&response, &offer));
  response.server_no_context_takeover = true;
  cr_expect(ws_pmd_response_accepts_offer(&response, &offer));
}

/* ---- allocation failure
 * ------------------------------------------------------ */

static long live_blocks;

static void *failing_malloc(size_t size, void *ctx) {
  (void)size;
  (void)ctx;
  return NULL;
}

static void *failing_realloc(void *ptr, size_t size, void *ctx) {
  (void)ptr;
  (void)size;
  (void)ctx;
  return NULL;
}

static void counting_free(void *ptr, void *ctx) {
  (void)ctx;
  live_blocks--;
  free(ptr);
}

Test(handshake, allocation_failure_refuses_with_500) {
  static const ws_allocator failing = {failing_malloc, failing_realloc,
                                       counting_free, NULL};
  ws_set_allocator(&failing);
  ws_http_parser p;
  size_t consumed;
  int rc = parse_whole(&p, WS_HTTP_REQUEST, VALID, &consumed);
  ws_http_parser_free(&p);
  ws_set_allocator(NULL);
  cr_expect_eq(rc, -WS_E_NOMEM);
  cr_expect_eq(live_blocks, 0, "nothing was allocated, nothing freed");
  char out[256];
  cr_assert_gt(ws_hs_build_refusal(out, sizeof(out), rc), 0);
  cr_expect(strncmp(out, "HTTP/1.1 500 Internal Server Error\r\n", 36) == 0);
}
