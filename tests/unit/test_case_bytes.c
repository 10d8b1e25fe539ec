#include "case/case_bytes.h"

#include <criterion/criterion.h>
#include <string.h>

static ws_step fragmented(const char *payload, size_t size) {
  ws_step s = {.kind = WS_STEP_FRAGMENTED, .fragment_size = size};
  s.frame.opcode = WS_OP_TEXT;
  s.payload.ptr = (const uint8_t *)payload;
  s.payload.len = strlen(payload);
  return s;
}

Test(case_bytes, fragments_follow_rfc6455_5_4) {
  ws_step s = fragmented("0123456789", 3);
  ws_prng keys;
  ws_prng_seed(&keys, 1, "x");
  ws_fragments it;
  ws_frame_spec spec;
  const uint8_t *p;
  size_t len, n = 0, total = 0;
  ws_fragments_begin(&it, &s, WS_ROLE_CLIENT);
  while (ws_fragments_next(&it, &keys, &spec, &p, &len)) {
    cr_assert_eq(spec.opcode, n == 0 ? WS_OP_TEXT : WS_OP_CONTINUATION);
    cr_assert_eq(spec.fin, n == 3, "FIN only on the last fragment");
    cr_assert(spec.masked);
    cr_assert_eq(p, s.payload.ptr + total);
    total += len;
    n++;
  }
  cr_assert_eq(n, 4);
  cr_assert_eq(total, 10);
}

Test(case_bytes, an_empty_payload_is_one_empty_final_frame) {
  ws_step s = fragmented("", 5);
  ws_prng keys;
  ws_prng_seed(&keys, 1, "x");
  ws_fragments it;
  ws_frame_spec spec;
  const uint8_t *p;
  size_t len;
  ws_fragments_begin(&it, &s, WS_ROLE_CLIENT);
  cr_assert(ws_fragments_next(&it, &keys, &spec, &p, &len));
  cr_assert(spec.fin);
  cr_assert_eq(len, 0);
  cr_assert_not(ws_fragments_next(&it, &keys, &spec, &p, &len));
}

Test(case_bytes, key_stream_is_reproducible_per_seed_and_case) {
  char k1[WS_KEY_LEN + 1], k2[WS_KEY_LEN + 1], k3[WS_KEY_LEN + 1];
  ws_prng a, b, c;
  ws_case_keys_init(&a, 7, "1.1.1", k1);
  ws_case_keys_init(&b, 7, "1.1.1", k2);
  ws_case_keys_init(&c, 8, "1.1.1", k3);
  cr_assert_str_eq(k1, k2);
  cr_assert_str_neq(k1, k3);
  cr_assert_eq(strlen(k1), WS_KEY_LEN);
  ws_step s = {.kind = WS_STEP_FRAME};
  s.frame.mask = WS_MASK_RANDOM;
  ws_frame_spec x, y;
  ws_step_frame_spec(&s, WS_ROLE_CLIENT, &a, &x);
  ws_step_frame_spec(&s, WS_ROLE_CLIENT, &b, &y);
  cr_assert_eq(memcmp(x.mask_key, y.mask_key, 4), 0);
  s.frame.mask = WS_MASK_FIXED;
  memcpy(s.frame.mask_key, "\x01\x02\x03\x04", 4);
  ws_step_frame_spec(&s, WS_ROLE_CLIENT, &a, &x);
  cr_assert_eq(memcmp(x.mask_key, "\x01\x02\x03\x04", 4), 0);
  s.frame.mask = WS_MASK_NONE;
  ws_step_frame_spec(&s, WS_ROLE_CLIENT, &a, &x);
  cr_assert_not(x.masked);
}

Test(case_bytes, the_server_role_does_not_mask_unless_told) {
  ws_prng keys;
  ws_prng_seed(&keys, 1, "x");
  ws_step s = {.kind = WS_STEP_FRAME};
  s.frame.mask = WS_MASK_RANDOM; /* `mask=yes`, the default */
  ws_frame_spec spec;
  ws_step_frame_spec(&s, WS_ROLE_SERVER, &keys, &spec);
  cr_assert_not(spec.masked, "RFC 6455 5.1: server frames are not masked");
  s.frame.mask = WS_MASK_FIXED; /* a case that breaks the rule on purpose */
  memcpy(s.frame.mask_key, "\x0a\x0b\x0c\x0d", 4);
  ws_step_frame_spec(&s, WS_ROLE_SERVER, &keys, &spec);
  cr_assert(spec.masked);
  ws_step f = fragmented("abcdef", 2);
  ws_fragments it;
  const uint8_t *p;
  size_t len;
  ws_fragments_begin(&it, &f, WS_ROLE_SERVER);
  while (ws_fragments_next(&it, &keys, &spec, &p, &len))
    cr_assert_not(spec.masked);
}

static const ws_request_target target = {.authority = "example.com:8080",
                                         .path = "/chat?x=1",
                                         .origin = "http://example.com",
                                         .extra_headers = "Cookie: a=b\r\n"};

Test(case_bytes, the_default_request_is_a_valid_handshake) {
  ws_buf out = {0};
  cr_assert_eq(ws_case_request(NULL, &target, "dGhlIHNhbXBsZSBub25jZQ==", &out),
               0);
  const char *req = ws_buf_str(&out);
  static const char start[] =
      "GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n";
  cr_assert_eq(strncmp(req, start, sizeof start - 1), 0, "%s", req);
  cr_assert(strstr(req, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
  cr_assert(strstr(req, "Origin: http://example.com\r\n"));
  cr_assert(strstr(req, "Cookie: a=b\r\n\r\n"));
  cr_assert_eq(out.len, strlen(req));
  ws_buf_free(&out);
}

Test(case_bytes, a_handshake_step_adds_its_offers) {
  ws_step s = {.kind = WS_STEP_HANDSHAKE,
               .protocols = "chat, superchat",
               .extensions = "permessage-deflate"};
  ws_buf out = {0};
  cr_assert_eq(ws_case_request(&s, &target, "k", &out), 0);
  cr_assert(
      strstr(ws_buf_str(&out), "Sec-WebSocket-Protocol: chat, superchat"));
  cr_assert(
      strstr(ws_buf_str(&out), "Sec-WebSocket-Extensions: permessage-deflate"));
  ws_buf_free(&out);
}

Test(case_bytes, a_request_template_gets_its_placeholders_and_nothing_is_cut) {
  static const char tpl[] = "GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                            "X-Key: {key}{key}\r\nX-Brace: {other}\r\n";
  ws_step s = {.kind = WS_STEP_REQUEST, .request_is_template = true};
  s.payload = (ws_bytes){(const uint8_t *)tpl, sizeof tpl - 1};
  ws_buf out = {0};
  cr_assert_eq(ws_case_request(&s, &target, "KEY", &out), 0);
  cr_assert_str_eq(ws_buf_str(&out),
                   "GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n"
                   "X-Key: KEYKEY\r\nX-Brace: {other}\r\n");
  /* A raw request (no template) is sent as written. */
  s.request_is_template = false;
  ws_buf_clear(&out);
  cr_assert_eq(ws_case_request(&s, &target, "KEY", &out), 0);
  cr_assert_eq(out.len, sizeof tpl - 1);
  cr_assert_eq(memcmp(out.ptr, tpl, out.len), 0);
  /* Large requests come out whole (show used to cut them). */
  size_t big = 300000;
  uint8_t *pad = malloc(big);
  memset(pad, 'a', big);
  s.payload = (ws_bytes){pad, big};
  s.request_is_template = true;
  ws_buf_clear(&out);
  cr_assert_eq(ws_case_request(&s, &target, "KEY", &out), 0);
  cr_assert_eq(out.len, big);
  free(pad);
  ws_buf_free(&out);
}

Test(case_bytes, a_header_value_with_a_line_break_cannot_be_built) {
  ws_request_target bad = target;
  bad.origin = "http://x\r\nInjected: 1";
  ws_buf out = {0};
  cr_assert_eq(ws_case_request(NULL, &bad, "k", &out), -1,
               "a header cannot smuggle another one");
  ws_step s = {.kind = WS_STEP_HANDSHAKE, .protocols = "a\nb"};
  cr_assert_eq(ws_case_request(&s, &target, "k", &out), -1);
  ws_buf_free(&out);
}

Test(case_bytes, the_runs_headers_go_into_raw_requests_too) {
  static const char tpl[] = "GET {path} HTTP/1.1\r\nHost: {host}\r\n"
                            "Origin: http://case.example\r\n\r\n";
  ws_step s = {.kind = WS_STEP_REQUEST, .request_is_template = true};
  s.payload = (ws_bytes){(const uint8_t *)tpl, sizeof tpl - 1};
  ws_request_target t = target; /* Origin and Cookie */
  t.extra_headers = "Cookie: a=b\r\nHost: evil\r\nsec-websocket-version: 8\r\n";
  ws_buf out = {0};
  cr_assert_eq(ws_case_request(&s, &t, "KEY", &out), 0);
  /* The case's own Origin stays; the handshake's fields are never added. */
  cr_assert_str_eq(ws_buf_str(&out),
                   "GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n"
                   "Origin: http://case.example\r\nCookie: a=b\r\n\r\n");
  /* Bare LF line ends: the added fields use them too. */
  static const char lf[] = "GET / HTTP/1.1\nHost: h\n\n";
  s.payload = (ws_bytes){(const uint8_t *)lf, sizeof lf - 1};
  ws_buf_clear(&out);
  cr_assert_eq(ws_case_request(&s, &t, "KEY", &out), 0);
  cr_assert_str_eq(ws_buf_str(&out), "GET / HTTP/1.1\nHost: h\nOrigin: "
                                     "http://example.com\nCookie: a=b\n\n");
  /* No end of the header block: nothing is added. */
  static const char open[] = "GET / HTTP/1.1\r\nX-Pad: 1\r\n";
  s.payload = (ws_bytes){(const uint8_t *)open, sizeof open - 1};
  ws_buf_clear(&out);
  cr_assert_eq(ws_case_request(&s, &t, "KEY", &out), 0);
  cr_assert_str_eq(ws_buf_str(&out), open);
  ws_buf_free(&out);
}
