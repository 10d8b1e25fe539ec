/* The human-readable wire trace of -v and `show`. */
#include "cli/wire_format.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static char *out_buf;
static size_t out_len;
static FILE *out;
static ws_wire_formatter fmt;

static void setup(void) {
  out = open_memstream(&out_buf, &out_len);
  ws_wire_formatter_init(&fmt);
}

static void teardown(void) {
  if (out)
    fclose(out);
  free(out_buf);
  out = NULL;
  out_buf = NULL;
}

static const char *text(void) {
  fflush(out);
  return out_buf;
}

TestSuite(wire, .init = setup, .fini = teardown);

/* RFC 6455 5.7: a masked "Hello". */
static const uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                0x7f, 0x9f, 0x4d, 0x51, 0x58};

Test(wire, masked_frame_header_fields) {
  ws_wire_formatter_skip_http(&fmt);
  ws_wire_format_entry(&fmt, out, 1.5, "tx", hello, sizeof hello, "step 1");
  const char *t = text();
  cr_assert(strstr(t, "    1.500 ms  ->  11 bytes  (step 1)\n"), "%s", t);
  cr_assert(strstr(t, "frame text FIN=1 RSV=000 MASK=1 key=37fa213d len=5\n"),
            "%s", t);
  cr_assert(strstr(t, "payload 'Hello'"), "%s", t);
  cr_assert(strstr(t, "0000  81 85 37 fa 21 3d 7f 9f  4d 51 58"), "%s", t);
}

Test(wire, http_lines_then_frames_in_one_entry) {
  static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n"
                             "Upgrade: websocket\r\n\r\n"
                             "\x81\x02hi";
  ws_wire_format_entry(&fmt, out, 0, "rx", (const uint8_t *)resp,
                       sizeof resp - 1, NULL);
  const char *t = text();
  cr_assert(strstr(t, "| 'HTTP/1.1 101 Switching Protocols'\n"), "%s", t);
  cr_assert(strstr(t, "| 'Upgrade: websocket'\n"), "%s", t);
  cr_assert(strstr(t, "frame text FIN=1 RSV=000 MASK=0 len=2\n"), "%s", t);
  cr_assert(strstr(t, "payload 'hi'"), "%s", t);
}

Test(wire, refused_response_body_not_decoded) {
  static const char resp[] = "HTTP/1.1 400 Bad Request\r\n\r\n\x81\x02hi";
  ws_wire_format_entry(&fmt, out, 0, "rx", (const uint8_t *)resp,
                       sizeof resp - 1, NULL);
  const char *t = text();
  cr_assert_null(strstr(t, "frame text"), "%s", t);
  cr_assert(strstr(t, "4 bytes after the HTTP response"), "%s", t);
}

Test(wire, close_frame_decoded) {
  static const uint8_t close[] = {0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'};
  ws_wire_formatter_skip_http(&fmt);
  ws_wire_format_entry(&fmt, out, 0, "rx", close, sizeof close, NULL);
  const char *t = text();
  cr_assert(strstr(t, "frame close FIN=1 RSV=000 MASK=0 len=5"), "%s", t);
  cr_assert(strstr(t, "close 1000 'bye'"), "%s", t);
}

Test(wire, frame_split_across_entries) {
  ws_wire_formatter_skip_http(&fmt);
  ws_wire_format_entry(&fmt, out, 0, "tx", hello, 4, NULL);
  ws_wire_format_entry(&fmt, out, 1, "tx", hello + 4, sizeof hello - 4, NULL);
  const char *t = text();
  const char *first = strstr(t, "frame text");
  cr_assert_not_null(first, "%s", t);
  cr_assert_null(strstr(first + 1, "frame text"), "decoded once: %s", t);
  cr_assert(strstr(t, "payload 'Hello'"), "%s", t);
}

Test(wire, extended_length_and_rsv) {
  uint8_t frame[4 + 126];
  frame[0] = 0x80 | 0x40 | 0x2; /* FIN, RSV1, binary */
  frame[1] = 126;
  frame[2] = 0;
  frame[3] = 126;
  memset(frame + 4, 0xab, 126);
  ws_wire_formatter_skip_http(&fmt);
  ws_wire_format_entry(&fmt, out, 0, "rx", frame, sizeof frame, NULL);
  const char *t = text();
  cr_assert(strstr(t, "frame binary FIN=1 RSV=100 MASK=0 len=126 (16-bit "
                      "length field)"),
            "%s", t);
  cr_assert(strstr(t, "! RSV bit set"), "violation shown: %s", t);
}

Test(wire, masked_server_frame_is_flagged) {
  ws_wire_formatter_skip_http(&fmt);
  ws_wire_format_entry(&fmt, out, 0, "rx", hello, sizeof hello, NULL);
  const char *t = text();
  cr_assert(strstr(t, "! frame from a server is masked"), "%s", t);
}

Test(wire, empty_frame_and_notes) {
  static const uint8_t ping[] = {0x89, 0x00};
  ws_wire_formatter_skip_http(&fmt);
  ws_wire_format_entry(&fmt, out, 0, "rx", ping, 2, NULL);
  ws_wire_format_entry(&fmt, out, 3.25, "note", NULL, 0, "peer closed TCP");
  const char *t = text();
  cr_assert(strstr(t, "frame ping FIN=1 RSV=000 MASK=0 len=0"), "%s", t);
  cr_assert(strstr(t, "    3.250 ms  --  peer closed TCP\n"), "%s", t);
}

Test(wire, hexdump_cut_at_limit) {
  uint8_t bytes[40];
  for (int i = 0; i < 40; i++)
    bytes[i] = (uint8_t)('A' + i % 26);
  ws_wire_hexdump(out, bytes, sizeof bytes, 32, 2);
  const char *t = text();
  cr_assert(strstr(t, "  0000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f "
                      "50  |ABCDEFGHIJKLMNOP|\n"),
            "%s", t);
  cr_assert(strstr(t, "... 8 more bytes not shown"), "%s", t);
}

Test(wire, result_log_rendering) {
  ws_case_result r = {0};
  ws_result_wire e[2] = {
      {.t_ms = 0,
       .dir = "tx",
       .bytes = (uint8_t *)"GET / HTTP/1.1\r\n\r\n",
       .len = 18,
       .note = "handshake request"},
      {.t_ms = 1, .dir = "tx", .bytes = (uint8_t *)hello, .len = sizeof hello},
  };
  r.wire = e;
  r.wire_count = 2;
  r.wire_truncated = true;
  ws_wire_format_result(out, &r);
  const char *t = text();
  cr_assert(strstr(t, "| 'GET / HTTP/1.1'"), "%s", t);
  cr_assert(strstr(t, "frame text FIN=1"), "%s", t);
  cr_assert(strstr(t, "wire log cut"), "%s", t);
}

/* Text frames show their text: valid UTF-8 as it is; control characters
 * (C0, C1, DEL), the bidirectional controls and invalid or cut sequences
 * as escapes. "k\xce\xbb" is kappa-lambda; U+202E reorders a line. */
Test(wire, utf8_text_shown_as_text) {
  static const uint8_t frame[] = {
      0x81, 27,   'a',  0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83,
      0xce, 0xbc, 0xce, 0xb5, 0xf0, 0x9f, 0x98, 0x80, 0x01, 0x7f,
      0xc2, 0x85, 0xe2, 0x80, 0xae, 0xc0, 0xaf, 0xff, 0xce};
  ws_wire_formatter_skip_http(&fmt);
  ws_wire_format_entry(&fmt, out, 0, "rx", frame, sizeof frame, NULL);
  const char *t = text();
  cr_assert(strstr(t, "payload 'a\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
                      "\xf0\x9f\x98\x80\\x01\\x7f\\xc2\\x85\\xe2\\x80\\xae"
                      "\\xc0\\xaf\\xff\\xce'\n"),
            "%s", t);
}

Test(wire, printable_utf8_lengths) {
  static const struct {
    const char *bytes;
    size_t want;
  } cases[] = {
      {"A", 0},            /* ASCII is the caller's business */
      {"\xc2\xb5", 2},     /* U+00B5 */
      {"\xc2\x9f", 0},     /* U+009F, a C1 control */
      {"\xe2\x80\xa8", 0}, /* U+2028, line separator */
      {"\xe2\x81\xa6", 0}, /* U+2066, a bidirectional isolate */
      {"\xe2\x82\xac", 3}, /* U+20AC, the euro sign */
      {"\xed\xa0\x80", 0}, /* a surrogate */
      {"\xf0\x9f\x98", 0}, /* cut short */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_eq(ws_wire_printable_utf8((const uint8_t *)cases[i].bytes,
                                        strlen(cases[i].bytes)),
                 cases[i].want, "case %zu", i);
}
