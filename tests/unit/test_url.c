#include "io/url.h"

#include <criterion/criterion.h>

static ws_url parse_ok(const char *text) {
  ws_url url;
  char err[128];
  cr_assert_eq(ws_url_parse(text, &url, err, sizeof err), 0, "%s: %s", text,
               err);
  return url;
}

static void parse_fails(const char *text) {
  ws_url url;
  char err[128] = "";
  cr_assert_eq(ws_url_parse(text, &url, err, sizeof err), -1, "%s", text);
  cr_assert_neq(err[0], '\0', "no reason for %s", text);
}

Test(url, host_port_path) {
  ws_url u = parse_ok("ws://127.0.0.1:9001/chat?room=1");
  cr_assert_str_eq(u.host, "127.0.0.1");
  cr_assert_eq(u.port, 9001);
  cr_assert_str_eq(u.path, "/chat?room=1");
  cr_assert_str_eq(u.authority, "127.0.0.1:9001");
  cr_assert(!u.secure);
}

Test(url, defaults_port_and_path) {
  ws_url u = parse_ok("ws://example.test");
  cr_assert_eq(u.port, 80);
  cr_assert_str_eq(u.path, "/");
  cr_assert_eq(parse_ok("wss://example.test").port, 443);
  cr_assert_str_eq(parse_ok("ws://h?x=1").path, "/?x=1");
}

Test(url, ipv6_literal) {
  ws_url u = parse_ok("ws://[::1]:8080/");
  cr_assert_str_eq(u.host, "::1");
  cr_assert_eq(u.port, 8080);
  cr_assert_str_eq(u.authority, "[::1]:8080");
}

Test(url, scheme_is_case_insensitive) {
  cr_assert_eq(parse_ok("WS://h:1/").port, 1);
}

Test(url, rejects_what_rfc6455_3_forbids_or_we_cannot_reach) {
  parse_fails("http://h/");
  parse_fails("ws://h/#frag");
  parse_fails("ws://:80/");
  parse_fails("ws://h:0/");
  parse_fails("ws://h:65536/");
  parse_fails("ws://h:8x/");
  parse_fails("ws://[::1/");
  parse_fails("ws://user@h/");
  parse_fails("ws://h/a b");
  parse_fails("");
}
