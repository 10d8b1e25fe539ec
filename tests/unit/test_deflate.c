/* Unit tests for codec/deflate.c: RFC 7692 7.2.1 compression, byte for byte
 * against the RFC's examples (7.2.3), round trips through bare zlib's raw
 * inflate at every window size and takeover mode with messages given in
 * pieces, how window bits 8 is honoured, memory, and allocation failures. */
#include "codec/bytebuf.h"
#include "codec/deflate.h"
#include "codec/errors.h"
#include "tests/unit/alloc_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

static ws_deflater *make(int bits, bool no_takeover, int level) {
  ws_deflater_config c = {
      .window_bits = bits, .no_context_takeover = no_takeover, .level = level};
  ws_deflater *d = NULL;
  cr_assert_eq(ws_deflater_new(&c, &d), 0);
  return d;
}

/* Compresses one message given in pieces of `piece` bytes (0: whole). */
static void compress_message(ws_deflater *d, const void *text, size_t n,
                             size_t piece, ws_bytebuf *out) {
  const uint8_t *p = text;
  if (piece == 0)
    piece = n ? n : 1;
  size_t off = 0;
  do {
    size_t take = n - off < piece ? n - off : piece;
    cr_assert_eq(ws_deflater_feed(d, p + off, take, off + take == n, out), 0);
    off += take;
  } while (off < n);
}

static void expect_bytes(const ws_bytebuf *b, const uint8_t *want, size_t n) {
  cr_assert_eq(b->len, n, "got %zu bytes, want %zu", b->len, n);
  cr_assert_eq(memcmp(b->data, want, n), 0);
}

/* A bare zlib raw inflater standing for the peer: appends 00 00 ff ff
 * (RFC 7692 7.2.2) and checks the message ends where a block does. With
 * one_byte_out, every inflate() call gets one byte of output room, so zlib
 * checks every match distance against its window (inflate.h). */
typedef struct peer {
  z_stream z;
  bool one_byte_out;
} peer;

static void peer_init(peer *pr, int bits, bool one_byte_out) {
  memset(pr, 0, sizeof *pr);
  cr_assert_eq(inflateInit2(&pr->z, -bits), Z_OK);
  pr->one_byte_out = one_byte_out;
}

/* Returns zlib's result: Z_OK when the whole message inflated to want. */
static int peer_inflate(peer *pr, const ws_bytebuf *msg, const uint8_t *want,
                        size_t n) {
  uint8_t *buf = malloc(msg->len + 4);
  uint8_t *out = malloc(n + 1);
  memcpy(buf, msg->data, msg->len);
  memcpy(buf + msg->len, "\x00\x00\xff\xff", 4);
  z_stream *z = &pr->z;
  z->next_in = buf;
  z->avail_in = (uInt)msg->len + 4;
  size_t got = 0;
  bool at_boundary = false;
  int rc;
  for (;;) {
    z->next_out = out + got;
    uInt room = (uInt)(n + 1 - got);
    z->avail_out = pr->one_byte_out && room > 1 ? 1 : room;
    uInt before = z->avail_out, in_before = z->avail_in;
    rc = inflate(z, Z_SYNC_FLUSH);
    got += before - z->avail_out;
    /* data_type is only meaningful after a call that moved. */
    if (before != z->avail_out || in_before != z->avail_in)
      at_boundary = (z->data_type & 128) != 0;
    if (rc == Z_BUF_ERROR) /* no progress: the input is used up */
      rc = Z_OK;
    if (rc != Z_OK || got > n || (z->avail_in == 0 && z->avail_out > 0))
      break;
  }
  if (rc == Z_OK && (got != n || memcmp(out, want, n) != 0))
    rc = Z_DATA_ERROR;
  if (rc == Z_OK && !at_boundary)
    rc = Z_BUF_ERROR; /* the message did not end at a block boundary */
  free(buf);
  free(out);
  return rc;
}

/* ---- RFC 7692 7.2.3, byte for byte ---- */

Test(deflate_rfc, hello_and_hello_again_with_takeover) {
  ws_deflater *d = make(0, false, 0);
  ws_bytebuf out = {0};
  compress_message(d, "Hello", 5, 0, &out);
  static const uint8_t hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  expect_bytes(&out, hello, sizeof hello); /* 7.2.3.1 */
  out.len = 0;
  compress_message(d, "Hello", 5, 0, &out);
  static const uint8_t again[] = {0xf2, 0x00, 0x11, 0x00, 0x00};
  expect_bytes(&out, again, sizeof again); /* 7.2.3.2 */
  ws_bytebuf_free(&out);
  ws_deflater_free(d);
}

Test(deflate_rfc, no_context_takeover_compresses_each_message_alone) {
  ws_deflater *d = make(0, true, 0);
  static const uint8_t hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
  for (int i = 0; i < 3; i++) {
    ws_bytebuf out = {0};
    compress_message(d, "Hello", 5, 0, &out);
    expect_bytes(&out, hello, sizeof hello);
    ws_bytebuf_free(&out);
  }
  ws_deflater_free(d);
}

Test(deflate_rfc, stored_blocks) {
  ws_deflater *d = make(0, false, WS_DEFLATE_LEVEL_STORED);
  ws_bytebuf out = {0};
  compress_message(d, "Hello", 5, 0, &out);
  static const uint8_t stored[] = {0x00, 0x05, 0x00, 0xfa, 0xff, 0x48,
                                   0x65, 0x6c, 0x6c, 0x6f, 0x00};
  expect_bytes(&out, stored, sizeof stored); /* 7.2.3.3 */
  ws_bytebuf_free(&out);
  ws_deflater_free(d);
}

Test(deflate_rfc, empty_message_is_one_zero_octet) {
  ws_deflater *d = make(0, false, 0);
  static const uint8_t empty[] = {0x00};
  for (int i = 0; i < 2; i++) {
    ws_bytebuf out = {0};
    compress_message(d, "", 0, 0, &out); /* first: zlib's own 00 */
    expect_bytes(&out, empty, 1);
    ws_bytebuf_free(&out);
    out = (ws_bytebuf){0};
    compress_message(d, "Hello", 5, 0, &out);
    ws_bytebuf_free(&out);
  }
  /* After a message, zlib has nothing to flush: the 00 is ours. */
  ws_bytebuf out = {0};
  compress_message(d, "", 0, 0, &out);
  expect_bytes(&out, empty, 1);
  cr_assert_eq(ws_deflater_feed(d, NULL, 0, true, &out), 0);
  static const uint8_t two[] = {0x00, 0x00};
  expect_bytes(&out, two, 2);
  ws_bytebuf_free(&out);
  ws_deflater_free(d);
}

Test(deflate_rfc, appends_after_what_the_buffer_holds) {
  ws_deflater *d = make(0, false, 0);
  ws_bytebuf out = {0};
  cr_assert_eq(ws_bytebuf_append(&out, "\x81\x07", 2), 0);
  compress_message(d, "Hello", 5, 0, &out);
  static const uint8_t frame[] = {0x81, 0x07, 0xf2, 0x48, 0xcd,
                                  0xc9, 0xc9, 0x07, 0x00};
  expect_bytes(&out, frame, sizeof frame);
  ws_bytebuf_free(&out);
  ws_deflater_free(d);
}

/* ---- round trips ---- */

static void make_text(uint8_t *p, size_t n, uint32_t seed) {
  static const char *words[] = {"permessage ", "deflate ", "sliding ",
                                "window ",     "bits ",    "RSV1 ",
                                "takeover ",   "message "};
  size_t at = 0;
  while (at < n) {
    seed = seed * 1103515245u + 12345u;
    if ((seed >> 8) % 9 == 0) {
      p[at++] = (uint8_t)(seed >> 3);
      continue;
    }
    const char *w = words[(seed >> 16) % 8];
    for (size_t i = 0; w[i] && at < n; i++)
      p[at++] = (uint8_t)w[i];
  }
}

Test(deflate_roundtrip, every_window_takeover_mode_and_piece_size) {
  enum { N = 5000, M = 4 };
  static uint8_t text[N];
  const size_t pieces[] = {0, 1, 3, 100, 4999};
  for (int bits = 8; bits <= 15; bits++) {
    for (int takeover = 0; takeover < 2; takeover++) {
      for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        ws_deflater *d = make(bits, !takeover, 0);
        peer pr;
        peer_init(&pr, bits, false);
        for (uint32_t m = 0; m < M; m++) {
          make_text(text, N, m % 2); /* repeats: takeover has work to do */
          ws_bytebuf out = {0};
          compress_message(d, text, N, pieces[k], &out);
          if (!takeover)
            cr_assert_eq(inflateReset(&pr.z), Z_OK);
          cr_assert_eq(peer_inflate(&pr, &out, text, N), Z_OK,
                       "bits %d takeover %d piece %zu message %u", bits,
                       takeover, pieces[k], m);
          ws_bytebuf_free(&out);
        }
        inflateEnd(&pr.z);
        ws_deflater_free(d);
      }
    }
  }
}

Test(deflate_roundtrip, pieces_do_not_change_the_output) {
  enum { N = 3000 };
  static uint8_t text[N];
  make_text(text, N, 5);
  ws_deflater *d = make(0, true, 0);
  ws_bytebuf whole = {0};
  compress_message(d, text, N, 0, &whole);
  for (size_t piece = 1; piece < 300; piece += 37) {
    ws_bytebuf out = {0};
    compress_message(d, text, N, piece, &out);
    expect_bytes(&out, whole.data, whole.len);
    ws_bytebuf_free(&out);
  }
  ws_bytebuf_free(&whole);
  ws_deflater_free(d);
}

Test(deflate_roundtrip, every_level_and_incompressible_data) {
  enum { N = 70000 };
  uint8_t *noise = malloc(N);
  uint32_t x = 1;
  for (size_t i = 0; i < N; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    noise[i] = (uint8_t)x;
  }
  for (int level = -1; level <= 9; level++) {
    ws_deflater *d = make(0, false, level);
    peer pr;
    peer_init(&pr, 15, false);
    for (int m = 0; m < 2; m++) {
      ws_bytebuf out = {0};
      compress_message(d, noise, N, 4096, &out);
      cr_assert_lt(out.len, N + N / 1000 + 64, "level %d", level);
      cr_assert_eq(peer_inflate(&pr, &out, noise, N), Z_OK, "level %d", level);
      ws_bytebuf_free(&out);
    }
    inflateEnd(&pr.z);
    ws_deflater_free(d);
  }
  free(noise);
}

/* ---- window bits 8 (deflate.h) ---- */

/* Data that tempts matches at every distance up to 600: our window-8 output
 * is inflated by a raw 256-byte window, one output byte per call, so zlib
 * checks every distance against 256. The same data compressed with a real
 * 512-byte window fails that check, which shows the check can fail. */
Test(deflate_window, window_8_stays_within_256_bytes) {
  enum { N = 64 * 1024 };
  uint8_t *text = malloc(N);
  uint32_t x = 7;
  for (size_t i = 0; i < N; i++) {
    x = x * 1103515245u + 12345u;
    size_t dist = 1 + (x >> 16) % 600;
    text[i] = i >= dist && (x >> 8) % 4 ? text[i - dist] : (uint8_t)(x >> 24);
  }
  for (int level = 1; level <= 9; level++) {
    ws_deflater *d = make(8, false, level);
    peer pr;
    peer_init(&pr, 8, true);
    for (int m = 0; m < 2; m++) {
      ws_bytebuf out = {0};
      compress_message(d, text, N, 1000, &out);
      int rc = peer_inflate(&pr, &out, text, N);
      cr_assert_eq(rc, Z_OK, "level %d message %d: %d %s", level, m, rc,
                   pr.z.msg ? pr.z.msg : "");
      ws_bytebuf_free(&out);
    }
    inflateEnd(&pr.z);
    ws_deflater_free(d);
  }
  /* The control: zlib with windowBits 10 reaches past 256. */
  ws_deflater *d = make(10, false, 9);
  peer pr;
  peer_init(&pr, 8, true);
  ws_bytebuf out = {0};
  compress_message(d, text, N, 0, &out);
  cr_assert_eq(peer_inflate(&pr, &out, text, N), Z_DATA_ERROR);
  ws_bytebuf_free(&out);
  inflateEnd(&pr.z);
  ws_deflater_free(d);
  free(text);
}

Test(deflate_window, config_out_of_range) {
  ws_deflater *d = NULL;
  ws_deflater_config bad[] = {{.window_bits = 7}, {.window_bits = 16},
                              {.level = 10},      {.level = -2},
                              {.mem_level = 10},  {.mem_level = -1}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(ws_deflater_new(&bad[i], &d), -WS_E_INVALID_ARGUMENT);
  cr_assert_eq(ws_deflater_new(NULL, &d), 0);
  ws_deflater_free(d);
}

/* ---- memory ---- */

Test(deflate_memory, state_lives_with_takeover_and_goes_without) {
  af_install(0);
  ws_deflater *d = make(0, false, 0);
  cr_assert_eq(ws_deflater_heap_bytes(d), af_live);
  cr_assert_eq(af_blocks, 1, "no zlib state before the first message");
  ws_bytebuf out = {0};
  compress_message(d, "Hello", 5, 0, &out);
  ws_bytebuf_free(&out);
  cr_assert_eq(ws_deflater_heap_bytes(d), af_live);
  cr_assert_gt(af_live, 200 * 1024, "15/8: about 256 KiB of zlib state");
  ws_deflater_free(d);
  cr_assert_eq(af_live, 0);

  d = make(9, true, 0);
  compress_message(d, "Hello", 5, 0, &out);
  ws_bytebuf_free(&out);
  cr_assert_eq(af_blocks, 1, "no takeover: only the struct while idle");
  cr_assert_eq(ws_deflater_heap_bytes(d), af_live);
  ws_deflater_free(d);
  cr_assert_eq(af_live, 0);
  af_uninstall();
}

static size_t session_with_failure(size_t fail_at) {
  af_install(fail_at);
  ws_deflater *d = NULL;
  int rc = ws_deflater_new(NULL, &d);
  if (rc == 0) {
    static uint8_t text[20000];
    make_text(text, sizeof text, 1);
    for (int m = 0; m < 3 && rc == 0; m++) {
      ws_bytebuf out = {0};
      for (size_t off = 0; off < sizeof text && rc == 0; off += 5000)
        rc = ws_deflater_feed(d, text + off, 5000, off + 5000 == sizeof text,
                              &out);
      ws_bytebuf_free(&out);
    }
    if (rc < 0) {
      cr_assert_eq(rc, -WS_E_NOMEM);
      ws_bytebuf out = {0};
      cr_assert_eq(ws_deflater_feed(d, text, 1, true, &out), -WS_E_NOMEM);
      ws_bytebuf_free(&out);
    }
    ws_deflater_free(d);
  } else {
    cr_assert_eq(rc, -WS_E_NOMEM);
  }
  cr_assert_eq(af_live, 0, "leak with allocation %zu failing", fail_at);
  size_t calls = af_calls;
  af_uninstall();
  return calls;
}

Test(deflate_memory, allocation_failure_at_every_point_is_clean) {
  size_t total = session_with_failure(0);
  cr_assert_gt(total, 5);
  for (size_t n = 1; n <= total; n++)
    session_with_failure(n);
}
