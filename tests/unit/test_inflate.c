/* Unit tests for codec/inflate.c: RFC 7692 7.2.2 decompression, its
 * examples (7.2.3), any split of the input, context takeover, the bounds a
 * DEFLATE bomb meets (checked with the allocation hooks), both policies,
 * and allocation failures. Compressed inputs come from the RFC or from bare
 * zlib, never from codec/deflate.c, so a fault there cannot hide one
 * here. */
#include "codec/bytebuf.h"
#include "codec/errors.h"
#include "codec/inflate.h"
#include "tests/unit/alloc_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* ---- RFC 7692 7.2.3 payloads ---- */

/* 7.2.3.1: "Hello" in one compressed message. */
static const uint8_t hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
/* 7.2.3.2: "Hello" again, sharing the window: a match 5 bytes back. */
static const uint8_t hello_again[] = {0xf2, 0x00, 0x11, 0x00, 0x00};
/* 7.2.3.3: a stored block (no compression). */
static const uint8_t hello_stored[] = {0x00, 0x05, 0x00, 0xfa, 0xff, 0x48,
                                       0x65, 0x6c, 0x6c, 0x6f, 0x00};
/* 7.2.3.4: a block with BFINAL set, then one 00 octet. */
static const uint8_t hello_bfinal[] = {0xf3, 0x48, 0xcd, 0xc9,
                                       0xc9, 0x07, 0x00, 0x00};
/* 7.2.3.5: two blocks in one message ("He", then "llo"). */
static const uint8_t hello_two_blocks[] = {0xf2, 0x48, 0x05, 0x00, 0x00,
                                           0x00, 0xff, 0xff, 0xca, 0xc9,
                                           0xc9, 0x07, 0x00};

/* ---- helpers ---- */

static ws_inflater *make(int bits, bool no_takeover, size_t max,
                         enum ws_policy policy) {
  ws_inflater_config c = {.window_bits = bits,
                          .no_context_takeover = no_takeover,
                          .max_message = max,
                          .policy = policy};
  ws_inflater *inf = NULL;
  cr_assert_eq(ws_inflater_new(&c, &inf), 0);
  return inf;
}

/* Feeds one message in pieces of `piece` bytes (0: whole). */
static int feed_message(ws_inflater *inf, const uint8_t *p, size_t n,
                        size_t piece, ws_bytebuf *out) {
  if (piece == 0)
    piece = n ? n : 1;
  size_t off = 0;
  do {
    size_t take = n - off < piece ? n - off : piece;
    int rc = ws_inflater_feed(inf, p + off, take, off + take == n, out);
    if (rc < 0)
      return rc;
    off += take;
  } while (off < n);
  return 0;
}

/* Inflates one message into a fresh buffer and checks it says `text`. */
static void expect_message(ws_inflater *inf, const uint8_t *p, size_t n,
                           size_t piece, const char *text) {
  ws_bytebuf out = {0};
  int rc = feed_message(inf, p, n, piece, &out);
  cr_assert_eq(rc, 0, "rc %s (%s), piece %zu", ws_error_name(rc),
               ws_inflater_error_detail(inf), piece);
  cr_assert_eq(out.len, strlen(text), "len %zu, piece %zu", out.len, piece);
  cr_assert(out.len == 0 || memcmp(out.data, text, out.len) == 0);
  ws_bytebuf_free(&out);
}

/* Bare zlib, raw, with a sync flush: the tail 00 00 ff ff removed. */
static size_t zlib_compress(const uint8_t *in, size_t n, int bits, int level,
                            uint8_t *out, size_t cap) {
  z_stream z;
  memset(&z, 0, sizeof z);
  cr_assert_eq(
      deflateInit2(&z, level, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)cap;
  cr_assert_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  cr_assert_eq(z.avail_in, 0);
  size_t len = cap - z.avail_out;
  deflateEnd(&z);
  cr_assert_geq(len, 4);
  cr_assert_eq(memcmp(out + len - 4, "\x00\x00\xff\xff", 4), 0);
  return len - 4;
}

/* ---- the RFC's examples, whole and split at every byte ---- */

Test(inflate_rfc, hello_whole_and_split_everywhere) {
  for (size_t piece = 0; piece <= sizeof hello; piece++) {
    ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
    expect_message(inf, hello, sizeof hello, piece, "Hello");
    ws_inflater_free(inf);
  }
  /* Two pieces, cut at every position (the RFC's fragmented example cuts
   * after 3 bytes). */
  for (size_t cut = 0; cut <= sizeof hello; cut++) {
    ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
    ws_bytebuf out = {0};
    cr_assert_eq(ws_inflater_feed(inf, hello, cut, false, &out), 0);
    cr_assert_eq(
        ws_inflater_feed(inf, hello + cut, sizeof hello - cut, true, &out), 0);
    cr_assert_eq(out.len, 5);
    cr_assert_eq(memcmp(out.data, "Hello", 5), 0);
    ws_bytebuf_free(&out);
    ws_inflater_free(inf);
  }
}

Test(inflate_rfc, shared_window_needs_context_takeover) {
  for (size_t piece = 0; piece <= sizeof hello_again; piece++) {
    ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
    expect_message(inf, hello, sizeof hello, piece, "Hello");
    expect_message(inf, hello_again, sizeof hello_again, piece, "Hello");
    ws_inflater_free(inf);
  }
  /* Without takeover the match points before the message: invalid. */
  ws_inflater *inf = make(0, true, 0, WS_POLICY_STRICT);
  expect_message(inf, hello, sizeof hello, 0, "Hello");
  ws_bytebuf out = {0};
  int rc = feed_message(inf, hello_again, sizeof hello_again, 0, &out);
  cr_assert_eq(rc, -WS_E_DEFLATE_DATA, "%s", ws_error_name(rc));
  cr_assert_str_eq(ws_inflater_error_detail(inf),
                   "invalid distance too far back");
  cr_assert_eq(ws_error_close_code(rc), 1007);
  ws_bytebuf_free(&out);
  ws_inflater_free(inf);
}

Test(inflate_rfc, stored_block) {
  for (size_t piece = 0; piece <= sizeof hello_stored; piece++) {
    ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
    expect_message(inf, hello_stored, sizeof hello_stored, piece, "Hello");
    ws_inflater_free(inf);
  }
}

Test(inflate_rfc, bfinal_block_with_and_without_the_trailing_octet) {
  for (size_t piece = 0; piece <= sizeof hello_bfinal; piece++) {
    ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
    /* The RFC's form (a 00 after the final block), then zlib's Z_FINISH
     * form (nothing after it): both are "Hello", and the window carries
     * over the end of the stream to the next message. */
    expect_message(inf, hello_bfinal, sizeof hello_bfinal, piece, "Hello");
    expect_message(inf, hello_bfinal, sizeof hello_bfinal - 1, piece, "Hello");
    expect_message(inf, hello_again, sizeof hello_again, piece, "Hello");
    expect_message(inf, hello, sizeof hello, piece, "Hello");
    ws_inflater_free(inf);
  }
}

Test(inflate_rfc, two_blocks_in_one_message) {
  for (size_t piece = 0; piece <= sizeof hello_two_blocks; piece++) {
    ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
    expect_message(inf, hello_two_blocks, sizeof hello_two_blocks, piece,
                   "Hello");
    ws_inflater_free(inf);
  }
}

Test(inflate_rfc, empty_message_is_one_zero_octet) {
  static const uint8_t empty[] = {0x00};
  ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
  expect_message(inf, empty, 1, 0, "");
  expect_message(inf, hello, sizeof hello, 0, "Hello");
  expect_message(inf, empty, 1, 0, "");
  expect_message(inf, hello_again, sizeof hello_again, 0, "Hello");
  ws_inflater_free(inf);
}

/* ---- invalid data ---- */

static int one_message(const uint8_t *p, size_t n, char *detail,
                       size_t detail_cap) {
  ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
  ws_bytebuf out = {0};
  int rc = feed_message(inf, p, n, 0, &out);
  snprintf(detail, detail_cap, "%s", ws_inflater_error_detail(inf));
  ws_bytebuf_free(&out);
  ws_inflater_free(inf);
  return rc;
}

Test(inflate_invalid, bad_block_type_is_data_error_1007) {
  static const uint8_t bad[] = {0x06, 0x00}; /* BFINAL 0, BTYPE 11 */
  char detail[64];
  cr_assert_eq(one_message(bad, sizeof bad, detail, sizeof detail),
               -WS_E_DEFLATE_DATA);
  cr_assert_str_eq(detail, "invalid block type");
}

Test(inflate_invalid, stored_block_with_wrong_nlen) {
  static const uint8_t bad[] = {0x00, 0x05, 0x00, 0xfa, 0xfe, 'H', 'e'};
  char detail[64];
  cr_assert_eq(one_message(bad, sizeof bad, detail, sizeof detail),
               -WS_E_DEFLATE_DATA);
}

Test(inflate_invalid, unfinished_messages) {
  char detail[64];
  /* An empty payload: 00 00 ff ff alone starts a stored block and stops. */
  cr_assert_eq(one_message(NULL, 0, detail, sizeof detail),
               -WS_E_DEFLATE_UNFINISHED);
  /* A sender that removed the whole empty stored block (5 octets). */
  static const uint8_t cut[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07};
  cr_assert_eq(one_message(cut, sizeof cut, detail, sizeof detail),
               -WS_E_DEFLATE_UNFINISHED);
  /* A stored block announcing 5 bytes and carrying 2. */
  static const uint8_t short_stored[] = {0x00, 0x05, 0x00, 0xfa,
                                         0xff, 'H',  'e'};
  int rc =
      one_message(short_stored, sizeof short_stored, detail, sizeof detail);
  cr_assert(rc == -WS_E_DEFLATE_UNFINISHED || rc == -WS_E_DEFLATE_DATA, "%s",
            ws_error_name(rc));
  cr_assert_eq(ws_error_close_code(-WS_E_DEFLATE_UNFINISHED), 1007);
}

Test(inflate_invalid, garbage_after_a_final_block) {
  uint8_t bad[sizeof hello_bfinal + 1];
  memcpy(bad, hello_bfinal, sizeof hello_bfinal - 1);
  bad[sizeof hello_bfinal - 1] = 0x06; /* a new stream: BTYPE 11 */
  bad[sizeof hello_bfinal] = 0x00;
  char detail[64];
  cr_assert_eq(one_message(bad, sizeof bad, detail, sizeof detail),
               -WS_E_DEFLATE_DATA);
}

Test(inflate_invalid, strict_errors_stick) {
  static const uint8_t bad[] = {0x06};
  ws_inflater *inf = make(0, true, 0, WS_POLICY_STRICT);
  ws_bytebuf out = {0};
  cr_assert_eq(ws_inflater_feed(inf, bad, 1, true, &out), -WS_E_DEFLATE_DATA);
  cr_assert_eq(ws_inflater_feed(inf, hello, sizeof hello, true, &out),
               -WS_E_DEFLATE_DATA);
  ws_bytebuf_free(&out);
  ws_inflater_free(inf);
}

Test(inflate_invalid, config_out_of_range) {
  ws_inflater *inf = NULL;
  ws_inflater_config c = {.window_bits = 7};
  cr_assert_eq(ws_inflater_new(&c, &inf), -WS_E_INVALID_ARGUMENT);
  c.window_bits = 16;
  cr_assert_eq(ws_inflater_new(&c, &inf), -WS_E_INVALID_ARGUMENT);
  c.window_bits = 8;
  cr_assert_eq(ws_inflater_new(&c, &inf), 0);
  ws_inflater_free(inf);
  cr_assert_eq(ws_inflater_new(NULL, &inf), 0);
  ws_inflater_free(inf);
}

/* ---- OBSERVE ---- */

Test(inflate_observe, error_once_then_next_message_without_takeover) {
  static const uint8_t bad[] = {0x06};
  ws_inflater *inf = make(0, true, 0, WS_POLICY_OBSERVE);
  ws_bytebuf out = {0};
  cr_assert_eq(ws_inflater_feed(inf, bad, 1, false, &out), -WS_E_DEFLATE_DATA);
  /* The rest of the failed message is ignored. */
  cr_assert_eq(ws_inflater_feed(inf, hello, sizeof hello, false, &out), 0);
  cr_assert_eq(ws_inflater_feed(inf, NULL, 0, true, &out), 0);
  ws_bytebuf_free(&out);
  /* The peer resets its window per message: the next one inflates. */
  expect_message(inf, hello, sizeof hello, 0, "Hello");
  ws_inflater_free(inf);
}

Test(inflate_observe, takeover_loses_the_context_for_good) {
  static const uint8_t bad[] = {0x06};
  ws_inflater *inf = make(0, false, 0, WS_POLICY_OBSERVE);
  expect_message(inf, hello, sizeof hello, 0, "Hello");
  ws_bytebuf out = {0};
  cr_assert_eq(ws_inflater_feed(inf, bad, 1, true, &out), -WS_E_DEFLATE_DATA);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(ws_inflater_feed(inf, hello, 3, false, &out),
                 -WS_E_DEFLATE_CONTEXT_LOST);
    cr_assert_eq(ws_inflater_feed(inf, hello + 3, sizeof hello - 3, true, &out),
                 0);
  }
  cr_assert_eq(out.len, 0);
  cr_assert_eq(ws_error_close_code(-WS_E_DEFLATE_CONTEXT_LOST), 0);
  ws_bytebuf_free(&out);
  ws_inflater_free(inf);
}

/* ---- round trips against bare zlib, every window and mode ---- */

/* Text-like bytes with repeats at short and long distances. */
static void make_text(uint8_t *p, size_t n, uint32_t seed) {
  static const char *words[] = {"websocket ", "deflate ", "window ",   "frame ",
                                "message ",   "context ", "takeover ", "8 "};
  size_t at = 0;
  while (at < n) {
    seed = seed * 1103515245u + 12345u;
    const char *w = words[(seed >> 16) % 8];
    size_t len = strlen(w);
    if ((seed >> 8) % 7 == 0) {
      p[at++] = (uint8_t)(seed >> 3);
      continue;
    }
    for (size_t i = 0; i < len && at < n; i++)
      p[at++] = (uint8_t)w[i];
  }
}

Test(inflate_roundtrip, every_window_and_takeover_mode_split_anywhere) {
  enum { N = 3000 };
  static uint8_t text[N], comp[2 * N];
  for (int bits = 9; bits <= 15; bits++) {
    /* bits 8 is covered through codec/deflate.c in test_deflate.c: bare
     * zlib refuses a raw 8. No takeover: each message compressed alone. */
    ws_inflater *inf = make(bits, true, 0, WS_POLICY_STRICT);
    for (uint32_t m = 0; m < 3; m++) {
      make_text(text, N, m + (uint32_t)bits);
      size_t len = zlib_compress(text, N, bits, 6, comp, sizeof comp);
      size_t pieces[] = {0, 1, 2, 7, 64, 1000};
      for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        ws_bytebuf out = {0};
        cr_assert_eq(feed_message(inf, comp, len, pieces[k], &out), 0);
        cr_assert_eq(out.len, N);
        cr_assert_eq(memcmp(out.data, text, N), 0);
        ws_bytebuf_free(&out);
      }
    }
    ws_inflater_free(inf);
  }
}

Test(inflate_roundtrip, takeover_across_messages_matches_one_zlib_stream) {
  enum { N = 2000, M = 6 };
  static uint8_t text[M][N], comp[M][2 * N];
  size_t len[M];
  for (int bits = 9; bits <= 15; bits += 3) {
    /* One zlib stream, a sync flush per message: later messages refer to
     * earlier ones, as with context takeover. */
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY),
                 Z_OK);
    for (int m = 0; m < M; m++) {
      make_text(text[m], N, 7); /* the same text: long matches back */
      z.next_in = text[m];
      z.avail_in = N;
      z.next_out = comp[m];
      z.avail_out = 2 * N;
      cr_assert_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
      len[m] = 2 * N - z.avail_out - 4;
    }
    deflateEnd(&z);
    if ((1 << bits) > N)
      cr_assert_lt(len[M - 1], len[0] / 4, "later messages share the window");
    for (size_t piece = 0; piece < 40; piece += 13) {
      ws_inflater *inf = make(bits, false, 0, WS_POLICY_STRICT);
      for (int m = 0; m < M; m++) {
        ws_bytebuf out = {0};
        cr_assert_eq(feed_message(inf, comp[m], len[m], piece, &out), 0);
        cr_assert_eq(out.len, N);
        cr_assert_eq(memcmp(out.data, text[m], N), 0);
        ws_bytebuf_free(&out);
      }
      ws_inflater_free(inf);
    }
  }
}

/* A stream compressed with a 1 KiB window, read by an inflater that agreed
 * to 256 bytes: exact_window rejects it at every split; the default can
 * only be sure to with 15 (inflate.h). */
Test(inflate_roundtrip, exact_window_catches_distances_past_the_window) {
  enum { N = 4096 };
  static uint8_t text[N], comp[2 * N];
  for (size_t i = 0; i < N; i++)
    text[i] = i < 600 ? (uint8_t)(i * 7919u >> 3) : text[i - 600];
  size_t len = zlib_compress(text, N, 10, 9, comp, sizeof comp);
  for (size_t piece = 0; piece < 64; piece += 9) {
    ws_inflater_config c = {.window_bits = 8, .exact_window = true};
    ws_inflater *inf = NULL;
    cr_assert_eq(ws_inflater_new(&c, &inf), 0);
    ws_bytebuf out = {0};
    int rc = feed_message(inf, comp, len, piece, &out);
    cr_assert_eq(rc, -WS_E_DEFLATE_DATA, "piece %zu: %s", piece,
                 ws_error_name(rc));
    cr_assert_lt(out.len, 600 + 258);
    ws_bytebuf_free(&out);
    ws_inflater_free(inf);
  }
}

/* The message's end is judged by the last zlib call that moved: one more
 * call with nothing to do (the output filled exactly as the input ran out)
 * must not make a finished message look unfinished. */
Test(inflate_roundtrip, a_message_that_fills_the_output_exactly_is_finished) {
  enum { N = 777 };
  static uint8_t text[N], comp[2 * N];
  make_text(text, N, 11);
  size_t len = zlib_compress(text, N, 15, 6, comp, sizeof comp);
  for (int exact = 0; exact < 2; exact++) {
    for (size_t piece = 0; piece < 30; piece += 5) {
      ws_inflater_config c = {.exact_window = exact};
      ws_inflater *inf = NULL;
      cr_assert_eq(ws_inflater_new(&c, &inf), 0);
      ws_bytebuf out = {0};
      cr_assert_eq(ws_bytebuf_reserve(&out, N, N), 0);
      cr_assert_eq(out.cap, N);
      cr_assert_eq(feed_message(inf, comp, len, piece, &out), 0);
      cr_assert_eq(out.len, N);
      ws_bytebuf_free(&out);
      expect_message(inf, hello_bfinal, sizeof hello_bfinal, piece, "Hello");
      expect_message(inf, hello_two_blocks, sizeof hello_two_blocks, piece,
                     "Hello");
      ws_inflater_free(inf);
    }
  }
}

/* ---- bounds ---- */

/* zlib's inflate state (about 7 KiB) and its 32 KiB window, with slack. */
#define ZLIB_STATE_MAX (48 * 1024)

Test(inflate_bounds, exactly_the_limit_passes_one_more_byte_does_not) {
  enum { N = 1000 };
  static uint8_t text[N], comp[2 * N];
  make_text(text, N, 3);
  size_t len = zlib_compress(text, N, 15, 6, comp, sizeof comp);
  for (size_t piece = 0; piece < 50; piece += 7) {
    ws_inflater *inf = make(0, false, N, WS_POLICY_STRICT);
    ws_bytebuf out = {0};
    cr_assert_eq(feed_message(inf, comp, len, piece, &out), 0);
    cr_assert_eq(out.len, N);
    ws_bytebuf_free(&out);
    ws_inflater_free(inf);

    inf = make(0, false, N - 1, WS_POLICY_STRICT);
    int rc = feed_message(inf, comp, len, piece, &out);
    cr_assert_eq(rc, -WS_E_DEFLATE_TOO_BIG);
    cr_assert_eq(out.len, N - 1, "at most the limit is produced");
    cr_assert_eq(memcmp(out.data, text, N - 1), 0);
    cr_assert_leq(out.cap, N - 1, "nor allocated");
    cr_assert_eq(ws_error_close_code(rc), 1009);
    ws_bytebuf_free(&out);
    ws_inflater_free(inf);
  }
}

/* The compressed form of `blocks` MiB of zeros, built from one block that
 * repeats: after the first MiB (whose start has no window to refer to),
 * zlib compresses every further MiB of zeros, sync-flushed, to the same
 * bytes. About 1 KiB per MiB: DEFLATE's ratio stops near 1032:1. */
static uint8_t *zero_bomb(size_t blocks, size_t *len) {
  enum { MIB = 1 << 20 };
  uint8_t *zeros = calloc(1, MIB);
  uint8_t first[8192], next[8192], again[8192];
  size_t n[3];
  z_stream z;
  memset(&z, 0, sizeof z);
  cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY),
               Z_OK);
  uint8_t *outs[3] = {first, next, again};
  for (int i = 0; i < 3; i++) {
    z.next_in = zeros;
    z.avail_in = MIB;
    z.next_out = outs[i];
    z.avail_out = sizeof first;
    cr_assert_eq(deflate(&z, Z_SYNC_FLUSH), Z_OK);
    cr_assert_eq(z.avail_in, 0);
    n[i] = sizeof first - z.avail_out;
  }
  deflateEnd(&z);
  free(zeros);
  cr_assert(n[1] == n[2] && memcmp(next, again, n[1]) == 0,
            "the repeated block is not stable");
  uint8_t *bomb = malloc(n[0] + (blocks - 1) * n[1]);
  cr_assert_not_null(bomb);
  memcpy(bomb, first, n[0]);
  for (size_t b = 1; b < blocks; b++)
    memcpy(bomb + n[0] + (b - 1) * n[1], next, n[1]);
  *len = n[0] + (blocks - 1) * n[1] - 4; /* RFC 7692 7.2.1 step 3 */
  return bomb;
}

Test(inflate_bounds, a_few_kib_to_mebibytes_stops_at_the_limit) {
  size_t len;
  uint8_t *bomb = zero_bomb(4, &len); /* 4 MiB of zeros */
  cr_log_info("bomb: %zu bytes inflating to 4 MiB\n", len);
  cr_assert_lt(len, 8192);
  const size_t limit = 64 * 1024;
  af_install(0);
  ws_inflater *inf = make(15, false, limit, WS_POLICY_STRICT);
  ws_bytebuf out = {0};
  cr_assert_eq(feed_message(inf, bomb, len, 0, &out), -WS_E_DEFLATE_TOO_BIG);
  cr_assert_eq(out.len, limit);
  cr_assert_leq(af_peak, limit + limit / 2 + ZLIB_STATE_MAX, "peak %zu",
                af_peak);
  ws_bytebuf_free(&out);
  ws_inflater_free(inf);
  cr_assert_eq(af_live, 0);
  af_uninstall();
  free(bomb);
}

/* 1 GiB of zeros in about 1 MiB, fed in 4 KiB frames against a 1 MiB limit:
 * stopped at the limit, having allocated the limit plus zlib's state. */
Test(inflate_bounds, a_gibibyte_bomb_in_frames_is_bounded) {
  size_t len;
  uint8_t *bomb = zero_bomb(1024, &len);
  cr_log_info("bomb: %zu bytes inflating to 1 GiB\n", len);
  const size_t limit = 1 << 20;
  af_install(0);
  ws_inflater *inf = make(15, false, limit, WS_POLICY_STRICT);
  ws_bytebuf out = {0};
  int rc = feed_message(inf, bomb, len, 4096, &out);
  cr_assert_eq(rc, -WS_E_DEFLATE_TOO_BIG);
  cr_assert_eq(out.len, limit);
  ws_bytebuf_free(&out);
  ws_inflater_free(inf);
  fprintf(stderr,
          "inflate_bounds: 1 GiB bomb (%zu bytes) stopped at %zu bytes; peak "
          "%zu bytes allocated (limit + %zu)\n",
          len, limit, af_peak, af_peak - limit);
  /* The output buffer doubles up to the limit: its last growth holds the
   * old half and the new whole at once (a realloc), plus zlib's ~40 KiB. */
  cr_assert_leq(af_peak, limit + limit / 2 + ZLIB_STATE_MAX, "peak %zu",
                af_peak);
  cr_assert_eq(af_live, 0);
  af_uninstall();
  free(bomb);
}

/* With context takeover nothing but the window carries from one message to
 * the next: a bomb spread over 64 messages of 1 MiB each (each at the limit)
 * costs what one message costs, and the 65th byte too many is refused. */
Test(inflate_bounds, a_bomb_spread_over_messages_with_takeover) {
  size_t len;
  uint8_t *bomb = zero_bomb(2, &len);
  /* The second block alone is a message that refers to the first's
   * window: MiB-sized messages of ~1 KiB each, with takeover only. */
  size_t first_len;
  uint8_t *first = zero_bomb(1, &first_len);
  const uint8_t *later = bomb + first_len + 4;
  size_t later_len = len - first_len - 4;
  const size_t limit = 1 << 20;
  af_install(0);
  ws_inflater *inf = make(15, false, limit, WS_POLICY_STRICT);
  ws_bytebuf out = {0};
  cr_assert_eq(feed_message(inf, first, first_len, 0, &out), 0);
  cr_assert_eq(out.len, limit);
  ws_bytebuf_free(&out);
  size_t steady = 0;
  for (int m = 0; m < 64; m++) {
    cr_assert_eq(feed_message(inf, later, later_len, 512, &out), 0);
    cr_assert_eq(out.len, limit);
    ws_bytebuf_free(&out);
    if (m == 0)
      steady = af_peak;
    cr_assert_eq(af_peak, steady, "memory grew at message %d", m);
    cr_assert_eq(af_live, ws_inflater_heap_bytes(inf));
  }
  ws_inflater_free(inf);
  cr_assert_eq(af_live, 0);
  af_uninstall();
  /* One byte less of room: the same message is refused. */
  inf = make(15, false, limit - 1, WS_POLICY_STRICT);
  cr_assert_eq(feed_message(inf, first, first_len, 0, &out),
               -WS_E_DEFLATE_TOO_BIG);
  ws_bytebuf_free(&out);
  ws_inflater_free(inf);
  free(first);
  free(bomb);
}

Test(inflate_bounds, observe_keeps_the_first_max_message_bytes) {
  size_t len;
  uint8_t *bomb = zero_bomb(2, &len);
  ws_inflater *inf = make(15, true, 1000, WS_POLICY_OBSERVE);
  ws_bytebuf out = {0};
  cr_assert_eq(ws_inflater_feed(inf, bomb, 100, false, &out),
               -WS_E_DEFLATE_TOO_BIG);
  cr_assert_eq(out.len, 1000);
  cr_assert_eq(ws_inflater_feed(inf, bomb + 100, len - 100, true, &out), 0);
  cr_assert_eq(out.len, 1000, "the rest of the message is ignored");
  ws_bytebuf_free(&out);
  expect_message(inf, hello, sizeof hello, 0, "Hello");
  ws_inflater_free(inf);
  free(bomb);
}

/* ---- memory ---- */

Test(inflate_memory, heap_bytes_match_the_allocator) {
  af_install(0);
  ws_inflater *inf = make(0, false, 0, WS_POLICY_STRICT);
  cr_assert_eq(ws_inflater_heap_bytes(inf), af_live);
  expect_message(inf, hello, sizeof hello, 0, "Hello");
  cr_assert_eq(ws_inflater_heap_bytes(inf), af_live);
  cr_assert_gt(af_live, 7000, "zlib's state stays for takeover");
  ws_inflater_free(inf);
  /* Without takeover the state goes after every message. */
  inf = make(0, true, 0, WS_POLICY_STRICT);
  expect_message(inf, hello, sizeof hello, 0, "Hello");
  cr_assert_eq(af_blocks, 1, "only the struct while idle");
  cr_assert_eq(ws_inflater_heap_bytes(inf), af_live);
  ws_inflater_free(inf);
  cr_assert_eq(af_live, 0);
  af_uninstall();
}

/* Three messages (the last two sharing the window, one after a final
 * block), with each allocation in turn failing: NOMEM sticks, nothing
 * leaks. */
static size_t session_with_failure(size_t fail_at) {
  af_install(fail_at);
  ws_inflater *inf = NULL;
  ws_inflater_config c = {.policy = WS_POLICY_OBSERVE};
  int rc = ws_inflater_new(&c, &inf);
  if (rc == 0) {
    const uint8_t *msgs[] = {hello_bfinal, hello_again, hello_two_blocks};
    size_t lens[] = {sizeof hello_bfinal, sizeof hello_again,
                     sizeof hello_two_blocks};
    for (int m = 0; m < 3; m++) {
      ws_bytebuf out = {0};
      rc = feed_message(inf, msgs[m], lens[m], 3, &out);
      ws_bytebuf_free(&out);
      if (rc == -WS_E_NOMEM) {
        cr_assert_eq(ws_inflater_feed(inf, hello, sizeof hello, true, &out),
                     -WS_E_NOMEM, "NOMEM sticks");
        break;
      }
      cr_assert_eq(rc, 0, "%s at allocation %zu", ws_error_name(rc), fail_at);
    }
    ws_inflater_free(inf);
  } else {
    cr_assert_eq(rc, -WS_E_NOMEM);
  }
  cr_assert_eq(af_live, 0, "leak with allocation %zu failing", fail_at);
  size_t calls = af_calls;
  af_uninstall();
  return calls;
}

Test(inflate_memory, allocation_failure_at_every_point_is_clean) {
  size_t total = session_with_failure(0);
  cr_assert_gt(total, 3);
  for (size_t n = 1; n <= total; n++)
    session_with_failure(n);
}
