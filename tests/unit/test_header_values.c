/* Unit tests for codec/header_values.c: tokens, comma lists, subprotocol and
 * extension lists. */
#include "codec/errors.h"
#include "codec/header_values.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(header_values, tchar_table) {
  /* RFC 7230 3.2.6: the delimiters are "(),/:;<=>?@[\]{} plus DQUOTE. */
  const char *delimiters = "\"(),/:;<=>?@[\\]{}";
  const char *specials = "!#$%&'*+-.^_`|~";
  for (int c = 0; c < 256; c++) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9');
    bool special = c != 0 && strchr(specials, c) != NULL;
    cr_expect_eq(ws_is_tchar((unsigned char)c), alnum || special, "%#x", c);
  }
  for (const char *d = delimiters; *d; d++)
    cr_expect_not(ws_is_tchar((unsigned char)*d), "%c", *d);
  cr_expect_not(ws_is_tchar(' '));
  cr_expect_not(ws_is_tchar(0x80));
}

Test(header_values, is_token) {
  cr_expect(ws_is_token("websocket", 9));
  cr_expect(ws_is_token("a.b-c_d~", 8));
  cr_expect_not(ws_is_token("", 0));
  cr_expect_not(ws_is_token("a b", 3));
  cr_expect_not(ws_is_token("a,b", 3));
  cr_expect_not(ws_is_token("\"a\"", 3));
}

/* Collects the elements of a list as "[x][y]". */
static void elements(const char *value, char *out, size_t cap) {
  const char *cursor = value;
  ws_span element;
  size_t used = 0;
  out[0] = '\0';
  while (ws_list_next(&cursor, value + strlen(value), &element))
    used += (size_t)snprintf(out + used, cap - used, "[%.*s]", (int)element.len,
                             element.ptr);
}

Test(header_values, list_iteration_skips_empty_elements_and_ows) {
  char out[128];
  elements("a, b ,c", out, sizeof(out));
  cr_expect_str_eq(out, "[a][b][c]");
  elements(" , ,a , \t b,,, ", out, sizeof(out));
  cr_expect_str_eq(out, "[a][b]");
  elements("", out, sizeof(out));
  cr_expect_str_eq(out, "");
  elements(" ,, ", out, sizeof(out));
  cr_expect_str_eq(out, "");
  /* Elements are raw: inner spaces and quotes are kept. */
  elements("x y, \"q,r\"", out, sizeof(out));
  cr_expect_str_eq(out, "[x y][\"q][r\"]");
}

Test(header_values, has_token_table) {
  struct {
    const char *value, *token;
    bool expected;
  } rows[] = {
      {"Upgrade", "upgrade", true},
      {"keep-alive, Upgrade", "upgrade", true},
      {"keep-alive,upgrade", "upgrade", true},
      {",,UPGRADE,,", "upgrade", true},
      {"NotUpgrade", "upgrade", false},
      {"Upgrades", "upgrade", false},
      {"Upgrade2, close", "upgrade", false},
      {"up grade", "upgrade", false},
      {"", "upgrade", false},
      {"foo, WebSocket", "websocket", true},
      {"websocket/13", "websocket", false},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
    cr_expect_eq(
        ws_list_has_token(rows[i].value, strlen(rows[i].value), rows[i].token),
        rows[i].expected, "row %zu: %s", i, rows[i].value);
}

static int protocols(const char *value, ws_subprotocol_list *list) {
  return ws_subprotocols_parse(value, strlen(value), list);
}

Test(header_values, subprotocols_accepted) {
  ws_subprotocol_list list = {0};
  cr_assert_eq(protocols("chat, superchat", &list), 0);
  cr_assert_eq(protocols(" v2.bin ,, json", &list), 0);
  cr_assert_eq(list.count, 4);
  const char *expected[] = {"chat", "superchat", "v2.bin", "json"};
  for (size_t i = 0; i < 4; i++)
    cr_expect(ws_span_ieq(list.items[i], expected[i]), "%zu", i);
}

Test(header_values, subprotocols_rejected) {
  const char *bad[] = {"",    " , ",   "a b", "chat, sup er",
                       "a;b", "\"a\"", "a/b", "caf\xc3\xa9"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ws_subprotocol_list list = {0};
    cr_expect_eq(protocols(bad[i], &list), -WS_E_HS_BAD_PROTOCOL_HEADER,
                 "row %zu", i);
    cr_expect_eq(list.count, 0, "a failed value leaves the list unchanged");
  }
}

Test(header_values, subprotocols_limit) {
  char value[512] = "";
  for (int i = 0; i < WS_MAX_SUBPROTOCOLS; i++)
    snprintf(value + strlen(value), sizeof(value) - strlen(value), "p%d,", i);
  ws_subprotocol_list list = {0};
  cr_expect_eq(protocols(value, &list), 0);
  cr_expect_eq(list.count, WS_MAX_SUBPROTOCOLS);
  cr_expect_eq(protocols("one-more", &list), -WS_E_HS_BAD_PROTOCOL_HEADER);
  cr_expect_eq(list.count, WS_MAX_SUBPROTOCOLS);
}

static int extensions(const char *value, ws_extension_list *list) {
  ws_extension_list_init(list);
  return ws_extensions_parse(value, strlen(value), list);
}

/* Formats a parsed list canonically, or "<error>". */
static const char *canonical(const char *value, char *out, size_t cap) {
  ws_extension_list list;
  if (extensions(value, &list) != 0)
    return "<error>";
  cr_assert_geq(ws_extensions_format(&list, out, cap), 0);
  return out;
}

Test(header_values, extensions_accepted) {
  struct {
    const char *value, *canonical;
  } rows[] = {
      {"permessage-deflate", "permessage-deflate"},
      {"permessage-deflate; client_max_window_bits",
       "permessage-deflate; client_max_window_bits"},
      {"a;b;c", "a; b; c"},
      {"a ; b = 1 ;c=x", "a; b=1; c=x"},
      {"a; b=\"10\"", "a; b=10"},
      {"a; b=\"x\\y\"", "a; b=xy"},
      {"a; b=\"\\1\\5\"", "a; b=15"},
      {", a ,, b ,", "a, b"},
      {"a; x=1, a; y, b", "a; x=1, a; y, b"},
      {"x-foo;p=\"q.r\"\t, y", "x-foo; p=q.r, y"},
  };
  for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
    char out[256];
    cr_expect_str_eq(canonical(rows[i].value, out, sizeof(out)),
                     rows[i].canonical, "row %zu: %s", i, rows[i].value);
  }
}

Test(header_values, extensions_rejected) {
  const char *bad[] = {"",
                       " , ",
                       "a;",
                       "a; =1",
                       "a; b=",
                       "a; b=\"\"",
                       "a; b=\"x y\"",
                       "a; b=\"open",
                       "a b",
                       "a; b=c d",
                       "a;;b",
                       "=a",
                       "a; b=\"x\\",
                       "a@b",
                       "a; b=\"a,b\"",
                       ";a",
                       "a; b=c=d",
                       "a; b c",
                       "a; b=\"x\"y",
                       "a; b=(x)",
                       "a; b=\"\x01\"",
                       "a, b;",
                       "caf\xc3\xa9",
                       "a; b=\"\\\x01\""};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    ws_extension_list list;
    cr_expect_eq(extensions(bad[i], &list), -WS_E_HS_BAD_EXTENSION_HEADER,
                 "row %zu: %s", i, bad[i]);
    cr_expect_eq(list.count, 0, "row %zu", i);
    cr_expect_eq(list.store_used, 0, "row %zu", i);
  }
}

Test(header_values, extension_params_detail) {
  ws_extension_list list;
  const char *value = "permessage-deflate; server_no_context_takeover; "
                      "client_max_window_bits=\"10\"";
  cr_assert_eq(extensions(value, &list), 0);
  cr_assert_eq(list.count, 1);
  const ws_extension *ext = &list.items[0];
  cr_expect(ws_span_ieq(ext->name, "permessage-deflate"));
  cr_assert_eq(ext->param_count, 2);
  cr_expect(ws_span_ieq(ext->params[0].name, "server_no_context_takeover"));
  cr_expect_not(ext->params[0].has_value);
  cr_expect(ext->params[1].has_value);
  /* Quoted values are unescaped into the store and NUL-terminated. */
  cr_expect_str_eq(ext->params[1].value.ptr, "10");
  cr_expect(ext->params[1].value.ptr >= list.store &&
            ext->params[1].value.ptr < list.store + WS_EXT_VALUE_STORE);
}

Test(header_values, extensions_append_across_header_instances) {
  ws_extension_list list;
  cr_assert_eq(extensions("a; x=\"1\"", &list), 0);
  size_t store = list.store_used;
  cr_expect_eq(ws_extensions_parse("b, bad;", 7, &list),
               -WS_E_HS_BAD_EXTENSION_HEADER);
  cr_expect_eq(list.count, 1, "a failed value leaves earlier ones intact");
  cr_expect_eq(list.store_used, store);
  cr_assert_eq(ws_extensions_parse("c; y=\"2\"", 8, &list), 0);
  cr_expect_eq(list.count, 2);
  cr_expect_str_eq(list.items[0].params[0].value.ptr, "1");
  cr_expect_str_eq(list.items[1].params[0].value.ptr, "2");
}

Test(header_values, extension_count_limit) {
  char value[512] = "";
  for (int i = 0; i < WS_EXT_MAX; i++)
    snprintf(value + strlen(value), sizeof(value) - strlen(value), "e%d, ", i);
  ws_extension_list list;
  cr_expect_eq(extensions(value, &list), 0);
  cr_expect_eq(list.count, WS_EXT_MAX);
  strcat(value, "one-more");
  cr_expect_eq(extensions(value, &list), -WS_E_HS_BAD_EXTENSION_HEADER);
  cr_expect_eq(list.count, 0);
}

Test(header_values, extension_param_limit) {
  char value[512] = "e";
  for (int i = 0; i < WS_EXT_MAX_PARAMS; i++)
    snprintf(value + strlen(value), sizeof(value) - strlen(value), "; p%d", i);
  ws_extension_list list;
  cr_expect_eq(extensions(value, &list), 0);
  cr_expect_eq(list.items[0].param_count, WS_EXT_MAX_PARAMS);
  strcat(value, "; q");
  cr_expect_eq(extensions(value, &list), -WS_E_HS_BAD_EXTENSION_HEADER);
}

Test(header_values, extension_store_limit) {
  /* Each quoted value of 99 characters takes 100 bytes of the store. */
  char quoted[128];
  memset(quoted, 'v', 99);
  quoted[99] = '\0';
  char value[1024] = "";
  int fit = WS_EXT_VALUE_STORE / 100;
  for (int i = 0; i < fit; i++)
    snprintf(value + strlen(value), sizeof(value) - strlen(value),
             "e; p=\"%s\", ", quoted);
  ws_extension_list list;
  cr_expect_eq(extensions(value, &list), 0);
  cr_expect_eq(list.count, (size_t)fit);
  snprintf(value + strlen(value), sizeof(value) - strlen(value), "e; p=\"%s\"",
           quoted);
  cr_expect_eq(extensions(value, &list), -WS_E_HS_BAD_EXTENSION_HEADER);
  /* Unquoted values take no store at all. */
  cr_expect_eq(extensions("e; p=vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", &list), 0);
  cr_expect_eq(list.store_used, 0);
}

Test(header_values, format_buffer_boundary) {
  ws_extension_list list;
  cr_assert_eq(extensions("a; x=1, b", &list), 0);
  char out[16];
  /* "a; x=1, b" is 9 characters: 10 bytes with the NUL fit, 9 do not. */
  cr_expect_eq(ws_extensions_format(&list, out, 10), 9);
  cr_expect_str_eq(out, "a; x=1, b");
  cr_expect_eq(ws_extensions_format(&list, out, 9), -WS_E_BUFFER_TOO_SMALL);
  cr_expect_eq(ws_extensions_format(&list, out, 0), -WS_E_BUFFER_TOO_SMALL);
  ws_extension_list empty;
  ws_extension_list_init(&empty);
  cr_expect_eq(ws_extensions_format(&empty, out, 1), 0);
  cr_expect_str_eq(out, "");
}

Test(header_values, format_round_trips_through_the_parser) {
  const char *value =
      "permessage-deflate; client_max_window_bits; server_max_window_bits="
      "\"12\", permessage-deflate, x-webkit-deflate-frame";
  ws_extension_list first, second;
  cr_assert_eq(extensions(value, &first), 0);
  char out[256], again[256];
  cr_assert_geq(ws_extensions_format(&first, out, sizeof(out)), 0);
  cr_assert_eq(extensions(out, &second), 0);
  cr_assert_geq(ws_extensions_format(&second, again, sizeof(again)), 0);
  cr_expect_str_eq(out, again);
  cr_expect_eq(second.count, 3);
}
