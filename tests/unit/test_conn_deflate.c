/* Unit tests for permessage-deflate in server/conn.c: negotiation in the
 * 101, compressed echoes (checked with bare zlib, not with the codec under
 * test), the RSV1 rules, invalid DEFLATE data, a bomb answered with 1009,
 * context takeover either way, window bits 8, memory and allocation
 * failures. */
#include "codec/errors.h"
#include "codec/frame.h"
#include "server/conn.h"
#include "tests/unit/alloc_fixture.h"
#include "tests/unit/conn_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* RFC 7692 7.2.3.1 and 7.2.3.2: "Hello", then "Hello" sharing the window. */
static const uint8_t hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
static const uint8_t hello_again[] = {0xf2, 0x00, 0x11, 0x00, 0x00};

static void finish_conn(ws_conn *c, struct bytes *in, struct bytes *out) {
  bytes_free(in);
  bytes_free(out);
  ws_conn_free(c);
}

/* A request offering `extensions` (NULL: no header). */
static void make_request(char *out, size_t cap, const char *extensions) {
  snprintf(out, cap,
           "GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
           "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
           extensions ? "Sec-WebSocket-Extensions: " : "",
           extensions ? extensions : "", extensions ? "\r\n" : "");
}

/* An open connection for that offer; *ext receives the 101's
 * Sec-WebSocket-Extensions value ("" when absent). */
static ws_conn *open_offering(const char *extensions,
                              const ws_server_config *config, char *ext,
                              size_t ext_cap) {
  char request[1024];
  make_request(request, sizeof request, extensions);
  ws_conn *c = new_conn(config);
  cr_assert_eq(feed(c, request, strlen(request)), 0);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_OPEN);
  struct bytes out = {0};
  drain(c, &out);
  bytes_add(&out, "", 1);
  const char *text = (const char *)out.p;
  cr_assert(strncmp(text, "HTTP/1.1 101", 12) == 0, "%s", text);
  ext[0] = '\0';
  const char *h = strstr(text, "Sec-WebSocket-Extensions: ");
  if (h) {
    h += strlen("Sec-WebSocket-Extensions: ");
    size_t n = strcspn(h, "\r");
    cr_assert_lt(n, ext_cap);
    memcpy(ext, h, n);
    ext[n] = '\0';
  }
  bytes_free(&out);
  return c;
}

static ws_conn *open_deflate(const char *extensions,
                             const ws_server_config *config) {
  char ext[256];
  ws_conn *c = open_offering(extensions, config, ext, sizeof ext);
  cr_assert_neq(ext[0], '\0', "permessage-deflate not accepted");
  return c;
}

/* The client's side of the server's compressed frames: bare zlib, raw,
 * 00 00 ff ff appended, one output byte per call when strict_window so
 * every distance is checked against the window. */
typedef struct zpeer {
  z_stream z;
  bool strict_window;
} zpeer;

static void zpeer_init(zpeer *p, int bits, bool strict_window) {
  memset(p, 0, sizeof *p);
  cr_assert_eq(inflateInit2(&p->z, -bits), Z_OK);
  p->strict_window = strict_window;
}

/* Inflates one message's payload into out (cap bytes); returns its size. */
static size_t zpeer_inflate(zpeer *p, const uint8_t *data, size_t len,
                            uint8_t *out, size_t cap) {
  uint8_t *in = malloc(len + 4);
  memcpy(in, data, len);
  memcpy(in + len, "\x00\x00\xff\xff", 4);
  p->z.next_in = in;
  p->z.avail_in = (uInt)len + 4;
  size_t got = 0;
  for (;;) {
    p->z.next_out = out + got;
    uInt room = (uInt)(cap - got);
    p->z.avail_out = p->strict_window && room > 1 ? 1 : room;
    uInt before = p->z.avail_out;
    int rc = inflate(&p->z, Z_SYNC_FLUSH);
    got += before - p->z.avail_out;
    cr_assert(rc == Z_OK || rc == Z_BUF_ERROR, "zlib: %d %s", rc,
              p->z.msg ? p->z.msg : "");
    if (p->z.avail_in == 0 && (p->z.avail_out > 0 || rc == Z_BUF_ERROR))
      break;
    cr_assert_lt(got, cap, "server message larger than expected");
  }
  free(in);
  return got;
}

/* Expects the next server frame to be one compressed message (RSV1, FIN)
 * with `opcode` that inflates to want[0..n). */
static void expect_compressed(const struct bytes *out, size_t *pos, zpeer *p,
                              uint8_t opcode, const void *want, size_t n) {
  struct sframe f;
  cr_assert(next_frame(out, pos, &f), "no frame");
  cr_assert(f.fin && !f.masked);
  cr_assert_eq(f.rsv, WS_RSV1, "RSV1 on the compressed echo");
  cr_assert_eq(f.opcode, opcode);
  uint8_t *text = malloc(n + 1);
  size_t got = zpeer_inflate(p, f.payload, f.len, text, n + 1);
  cr_assert_eq(got, n);
  cr_assert(n == 0 || memcmp(text, want, n) == 0);
  free(text);
}

/* ---- negotiation ---- */

Test(conn_deflate, offers_are_answered_in_the_101) {
  static const struct {
    const char *offer, *answer;
  } cases[] = {
      {"permessage-deflate", "permessage-deflate"},
      {"permessage-deflate; client_max_window_bits", "permessage-deflate"},
      {"permessage-deflate; server_max_window_bits=10; "
       "client_max_window_bits=12",
       "permessage-deflate; server_max_window_bits=10; "
       "client_max_window_bits=12"},
      {"permessage-deflate; server_no_context_takeover; "
       "client_no_context_takeover",
       "permessage-deflate; server_no_context_takeover; "
       "client_no_context_takeover"},
      {"x-foo, permessage-deflate; bogus, permessage-deflate; "
       "server_max_window_bits=8",
       "permessage-deflate; server_max_window_bits=8"},
      {"permessage-deflate; bogus", ""},
      {"x-foo", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char ext[256];
    ws_conn *c = open_offering(cases[i].offer, NULL, ext, sizeof ext);
    cr_assert_str_eq(ext, cases[i].answer, "offer %s", cases[i].offer);
    ws_conn_free(c);
  }
}

Test(conn_deflate, no_deflate_declines_and_rsv1_is_then_reserved) {
  ws_server_config config = {.no_deflate = true};
  char ext[256];
  ws_conn *c = open_offering("permessage-deflate", &config, ext, sizeof ext);
  cr_assert_str_eq(ext, "");
  struct bytes in = {0}, out;
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello, sizeof hello);
  out = exchange(c, &in);
  expect_close_only(c, &out, 1002);
  bytes_free(&in);
  bytes_free(&out);
  ws_conn_free(c);
}

/* ---- echoes ---- */

Test(conn_deflate, compressed_messages_are_echoed_compressed_with_takeover) {
  ws_conn *c = open_deflate("permessage-deflate", NULL);
  struct bytes in = {0};
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello, sizeof hello);
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello_again,
            sizeof hello_again);
  add_msg(&in, WS_OP_BINARY, "plain", 5); /* uncompressed in: compressed out */
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  /* The server's own window is shared too: its second "Hello" is the RFC's
   * 7.2.3.2 bytes. */
  struct sframe f;
  size_t save = pos;
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(f.len, sizeof hello);
  cr_assert_eq(memcmp(f.payload, hello, sizeof hello), 0);
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(f.len, sizeof hello_again);
  cr_assert_eq(memcmp(f.payload, hello_again, sizeof hello_again), 0);
  pos = save;
  zpeer p;
  zpeer_init(&p, 15, false);
  expect_compressed(&out, &pos, &p, WS_OP_TEXT, "Hello", 5);
  expect_compressed(&out, &pos, &p, WS_OP_TEXT, "Hello", 5);
  expect_compressed(&out, &pos, &p, WS_OP_BINARY, "plain", 5);
  cr_assert_eq(pos, out.len);
  inflateEnd(&p.z);
  finish_conn(c, &in, &out);
}

Test(conn_deflate, fragmented_compressed_message_and_empty_messages) {
  ws_conn *c = open_deflate("permessage-deflate", NULL);
  struct bytes in = {0};
  /* RFC 7692 7.2.3.1's fragmented form: RSV1 on the first frame only,
   * a ping between the fragments. */
  add_frame(&in, false, WS_RSV1, WS_OP_TEXT, true, hello, 3);
  add_msg(&in, WS_OP_PING, "p", 1);
  add_frame(&in, true, 0, WS_OP_CONTINUATION, true, hello + 3,
            sizeof hello - 3);
  static const uint8_t empty[] = {0x00};
  add_frame(&in, true, WS_RSV1, WS_OP_BINARY, true, empty, 1);
  add_msg(&in, WS_OP_TEXT, NULL, 0);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  struct sframe f;
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(f.opcode, WS_OP_PONG);
  cr_assert_eq(f.rsv, 0, "RFC 7692 6.1: never RSV1 on a control frame");
  zpeer p;
  zpeer_init(&p, 15, false);
  expect_compressed(&out, &pos, &p, WS_OP_TEXT, "Hello", 5);
  size_t at = pos;
  expect_compressed(&out, &pos, &p, WS_OP_BINARY, "", 0);
  cr_assert_eq(out.p[at + 1], 1, "an empty message compresses to one 00");
  cr_assert_eq(out.p[at + 2], 0x00);
  expect_compressed(&out, &pos, &p, WS_OP_TEXT, "", 0);
  cr_assert_eq(pos, out.len);
  inflateEnd(&p.z);
  finish_conn(c, &in, &out);
}

Test(conn_deflate, server_no_context_takeover_compresses_each_message_alone) {
  ws_conn *c =
      open_deflate("permessage-deflate; server_no_context_takeover", NULL);
  struct bytes in = {0};
  for (int i = 0; i < 3; i++)
    add_msg(&in, WS_OP_TEXT, "Hello", 5);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  for (int i = 0; i < 3; i++) {
    struct sframe f;
    cr_assert(next_frame(&out, &pos, &f));
    cr_assert_eq(f.len, sizeof hello);
    cr_assert_eq(memcmp(f.payload, hello, sizeof hello), 0);
  }
  finish_conn(c, &in, &out);
}

Test(conn_deflate, client_no_context_takeover_is_agreed_and_held_to) {
  char ext[256];
  ws_conn *c = open_offering("permessage-deflate; client_no_context_takeover",
                             NULL, ext, sizeof ext);
  cr_assert_str_eq(ext, "permessage-deflate; client_no_context_takeover");
  /* The second message refers to the first: no longer allowed. */
  struct bytes in = {0};
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello, sizeof hello);
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello_again,
            sizeof hello_again);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  zpeer p;
  zpeer_init(&p, 15, false);
  expect_compressed(&out, &pos, &p, WS_OP_TEXT, "Hello", 5);
  struct sframe f;
  cr_assert(next_frame(&out, &pos, &f));
  cr_assert_eq(close_code_of(&f), 1007);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_DONE);
  inflateEnd(&p.z);
  finish_conn(c, &in, &out);
}

/* Window bits 8 both ways: the echo of a long repetitive text inflates with
 * a 256-byte window, every distance checked. */
Test(conn_deflate, window_bits_8_both_ways) {
  char ext[256];
  ws_conn *c = open_offering("permessage-deflate; server_max_window_bits=8; "
                             "client_max_window_bits=8",
                             NULL, ext, sizeof ext);
  cr_assert_str_eq(ext, "permessage-deflate; server_max_window_bits=8; "
                        "client_max_window_bits=8");
  enum { N = 20000 };
  static uint8_t text[N];
  for (size_t i = 0; i < N; i++)
    text[i] = (uint8_t)("window bits eight "[i % 18] + (i / 400) % 3);
  /* The client's message, compressed by bare zlib with windowBits 9 as the
   * codec does (deflate.h). */
  z_stream z;
  memset(&z, 0, sizeof z);
  cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, -9, 8, Z_DEFAULT_STRATEGY),
               Z_OK);
  static uint8_t comp[2 * N];
  z.next_in = text;
  z.avail_in = N;
  z.next_out = comp;
  z.avail_out = sizeof comp;
  cr_assert_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  size_t clen = sizeof comp - z.avail_out - 4;
  deflateEnd(&z);
  struct bytes in = {0};
  add_frame(&in, true, WS_RSV1, WS_OP_BINARY, true, comp, clen);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  zpeer p;
  zpeer_init(&p, 8, true);
  expect_compressed(&out, &pos, &p, WS_OP_BINARY, text, N);
  inflateEnd(&p.z);
  finish_conn(c, &in, &out);
}

/* ---- failures ---- */

Test(conn_deflate, rsv1_on_a_continuation_or_control_frame_gets_1002) {
  struct bytes in = {0};
  ws_conn *c = open_deflate("permessage-deflate", NULL);
  add_frame(&in, false, WS_RSV1, WS_OP_TEXT, true, hello, 3);
  add_frame(&in, true, WS_RSV1, WS_OP_CONTINUATION, true, hello + 3,
            sizeof hello - 3);
  struct bytes out = exchange(c, &in);
  expect_close_only(c, &out, 1002);
  finish_conn(c, &in, &out);

  c = open_deflate("permessage-deflate", NULL);
  in = (struct bytes){0};
  add_frame(&in, true, WS_RSV1, WS_OP_PING, true, "p", 1);
  out = exchange(c, &in);
  expect_close_only(c, &out, 1002);
  finish_conn(c, &in, &out);
}

Test(conn_deflate, invalid_deflate_data_gets_1007) {
  static const uint8_t bad_type[] = {0x06};         /* BTYPE 11 */
  static const uint8_t unfinished[] = {0xf2, 0x48}; /* stops mid-block */
  const uint8_t *bad[] = {bad_type, unfinished, hello_again};
  size_t lens[] = {sizeof bad_type, sizeof unfinished, sizeof hello_again};
  for (size_t i = 0; i < 3; i++) {
    ws_conn *c = open_deflate("permessage-deflate", NULL);
    struct bytes in = {0};
    add_frame(&in, true, WS_RSV1, WS_OP_BINARY, true, bad[i], lens[i]);
    struct bytes out = exchange(c, &in);
    expect_close_only(c, &out, 1007);
    finish_conn(c, &in, &out);
  }
}

Test(conn_deflate, inflated_text_must_be_utf8) {
  static const uint8_t bad_utf8[] = {0xC0, 0xAF, 'x'};
  uint8_t comp[64];
  z_stream z;
  memset(&z, 0, sizeof z);
  cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY),
               Z_OK);
  z.next_in = (Bytef *)bad_utf8;
  z.avail_in = sizeof bad_utf8;
  z.next_out = comp;
  z.avail_out = sizeof comp;
  cr_assert_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  size_t clen = sizeof comp - z.avail_out - 4;
  deflateEnd(&z);
  ws_conn *c = open_deflate("permessage-deflate", NULL);
  struct bytes in = {0};
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, comp, clen);
  struct bytes out = exchange(c, &in);
  expect_close_only(c, &out, 1007);
  finish_conn(c, &in, &out);
}

/* 8 MiB of zeros in about 8 KiB against a 64 KiB limit: 1009, memory
 * bounded, and the server goes on serving new connections. */
Test(conn_deflate, bomb_gets_1009_and_the_next_connection_is_served) {
  enum { MIB = 1 << 20 };
  uint8_t *zeros = calloc(1, 8 * MIB);
  size_t cap = 64 * 1024;
  uint8_t *comp = malloc(cap);
  z_stream z;
  memset(&z, 0, sizeof z);
  cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY),
               Z_OK);
  z.next_in = zeros;
  z.avail_in = 8 * MIB;
  z.next_out = comp;
  z.avail_out = (uInt)cap;
  cr_assert_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  size_t clen = cap - z.avail_out - 4;
  deflateEnd(&z);
  free(zeros);
  cr_assert_lt(clen, 16 * 1024);
  ws_server_config config = {.max_message = 64 * 1024};
  af_install(0);
  ws_conn *c = open_deflate("permessage-deflate", &config);
  struct bytes in = {0};
  add_frame(&in, true, WS_RSV1, WS_OP_BINARY, true, comp, clen);
  struct bytes out = exchange(c, &in);
  expect_close_only(c, &out, 1009);
  fprintf(stderr,
          "conn_deflate: %zu-byte bomb (8 MiB inflated) refused with 1009; "
          "peak heap %zu bytes for a %zu-byte limit\n",
          clen, af_peak, config.max_message);
  /* The compressed message as received, at most 1.5 times the limit for
   * the inflated bytes (the last doubling), zlib's inflate state: nothing
   * near the 8 MiB the bomb holds. */
  cr_assert_lt(af_peak, 2 * config.max_message + 2 * clen + 96 * 1024,
               "peak %zu", af_peak);
  finish_conn(c, &in, &out);
  cr_assert_eq(af_live, 0);
  af_uninstall();
  c = open_deflate("permessage-deflate", &config);
  in = (struct bytes){0};
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello, sizeof hello);
  out = exchange(c, &in);
  size_t pos = 0;
  zpeer p;
  zpeer_init(&p, 15, false);
  expect_compressed(&out, &pos, &p, WS_OP_TEXT, "Hello", 5);
  inflateEnd(&p.z);
  finish_conn(c, &in, &out);
  free(comp);
}

/* 100 'a's compress to a few bytes: only the inflated size meets the
 * limit. */
Test(conn_deflate, at_the_limit_passes_one_more_byte_gets_1009) {
  uint8_t text[100], comp[64];
  memset(text, 'a', sizeof text);
  z_stream z;
  memset(&z, 0, sizeof z);
  cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY),
               Z_OK);
  z.next_in = text;
  z.avail_in = sizeof text;
  z.next_out = comp;
  z.avail_out = sizeof comp;
  cr_assert_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  size_t clen = sizeof comp - z.avail_out - 4;
  deflateEnd(&z);
  cr_assert_lt(clen, 20);
  ws_server_config config = {.max_message = sizeof text};
  ws_conn *c = open_deflate("permessage-deflate", &config);
  struct bytes in = {0};
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, comp, clen);
  struct bytes out = exchange(c, &in);
  size_t pos = 0;
  zpeer p;
  zpeer_init(&p, 15, false);
  expect_compressed(&out, &pos, &p, WS_OP_TEXT, text, sizeof text);
  inflateEnd(&p.z);
  finish_conn(c, &in, &out);
  config.max_message = sizeof text - 1;
  c = open_deflate("permessage-deflate", &config);
  in = (struct bytes){0};
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, comp, clen);
  out = exchange(c, &in);
  expect_close_only(c, &out, 1009);
  finish_conn(c, &in, &out);
}

/* ---- memory ---- */

Test(conn_deflate, idle_memory_with_and_without_takeover) {
  af_install(0);
  ws_conn *c = open_deflate("permessage-deflate; server_no_context_takeover; "
                            "client_no_context_takeover",
                            NULL);
  struct bytes in = {0};
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello, sizeof hello);
  struct bytes out = exchange(c, &in);
  cr_assert_eq(ws_conn_heap_bytes(c), af_live);
  cr_assert_eq(af_blocks, 3, "conn, inflater and deflater structs only");
  cr_assert_lt(af_live, 2048, "%zu bytes idle", af_live);
  size_t no_takeover = af_live;
  finish_conn(c, &in, &out);
  c = open_deflate("permessage-deflate", NULL);
  in = (struct bytes){0};
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello, sizeof hello);
  out = exchange(c, &in);
  cr_assert_eq(ws_conn_heap_bytes(c), af_live);
  fprintf(stderr,
          "conn_deflate: idle connection holds %zu bytes without context "
          "takeover, %zu with (zlib windows)\n",
          no_takeover, af_live);
  finish_conn(c, &in, &out);
  cr_assert_eq(af_live, 0);
  af_uninstall();
}

/* A deflate session with the Nth allocation failing: NOMEM ends the
 * connection cleanly, nothing leaks. */
static size_t session_with_failure(size_t n) {
  char request[1024];
  make_request(request, sizeof request,
               "permessage-deflate; client_max_window_bits");
  struct bytes in = {0};
  bytes_add(&in, request, strlen(request));
  add_frame(&in, true, WS_RSV1, WS_OP_TEXT, true, hello, sizeof hello);
  add_frame(&in, false, WS_RSV1, WS_OP_TEXT, true, hello_again, 2);
  add_frame(&in, true, 0, WS_OP_CONTINUATION, true, hello_again + 2,
            sizeof hello_again - 2);
  uint8_t big[3000];
  memset(big, 'z', sizeof big);
  add_msg(&in, WS_OP_BINARY, big, sizeof big);
  add_close(&in, 1000, NULL);
  af_install(n);
  ws_conn *c = ws_conn_new(NULL);
  if (c) {
    for (size_t off = 0; off < in.len; off += 97) {
      size_t len = in.len - off < 97 ? in.len - off : 97;
      uint8_t chunk[97];
      memcpy(chunk, in.p + off, len);
      int rc = ws_conn_receive(c, chunk, len);
      cr_assert(rc == 0 || rc == -WS_E_NOMEM, "rc %d", rc);
      const uint8_t *data;
      size_t pending = ws_conn_pending_output(c, &data);
      ws_conn_output_written(c, pending / 2);
      if (ws_conn_phase(c) == WS_CONN_DONE)
        break;
    }
    ws_conn_free(c);
  }
  cr_assert_eq(af_live, 0, "leak with allocation %zu failing", n);
  size_t calls = af_calls;
  af_uninstall();
  bytes_free(&in);
  return calls;
}

Test(conn_deflate, allocation_failure_at_every_point_is_clean) {
  size_t total = session_with_failure(0);
  cr_assert_gt(total, 10);
  for (size_t n = 1; n <= total; n++)
    session_with_failure(n);
}
