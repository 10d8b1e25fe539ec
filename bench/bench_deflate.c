/* Figures for permessage-deflate: the codec's wrappers (codec/inflate.h,
 * codec/deflate.h) against bare zlib doing the same work, side by side in
 * one run (bench_compare), so the ratio is what the wrapper costs: the
 * bounded output buffer, the 4 octets appended or removed, the block-end
 * check, the allocation hooks.
 *
 *  - inflate_vs_zlib / deflate_vs_zlib: one 1 MiB JSON-like message in
 *    16 KiB pieces (frames), a fresh window per message (no context
 *    takeover: the wrapper frees and re-creates zlib's state each time, bare
 *    zlib only resets it);
 *  - *_small: a conversation of 1000 messages of about 200 bytes sharing
 *    one window (context takeover), from a fresh stream per run, where the
 *    per-message overhead shows.
 * Both sides get the same pieces, the same window bits (15), level (6) and
 * memLevel (8), and write into buffers allocated once. Ratio = zlib time /
 * ours: 1 means no overhead; the target is >= 0.9. */
#include "bench/bench.h"
#include "codec/bytebuf.h"
#include "codec/deflate.h"
#include "codec/inflate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BIG (1u << 20)
#define PIECE (16u * 1024)
#define SMALL_COUNT 1000
#define SMALL_MAX 256

/* JSON-like records: keys repeat, values vary, as chat or telemetry
 * messages do. */
static size_t make_json(uint8_t *p, size_t n, uint64_t *seed) {
  static const char *names[] = {"alice", "bob", "carol", "dave", "eve"};
  static const char *events[] = {"join", "message", "typing", "leave"};
  size_t at = 0;
  while (at < n) {
    char rec[160];
    uint64_t r = bench_rand(seed);
    int len = snprintf(
        rec, sizeof rec,
        "{\"user\":\"%s\",\"event\":\"%s\",\"seq\":%llu,"
        "\"ts\":%llu,\"text\":\"lorem %x ipsum\"}\n",
        names[r % 5], events[(r >> 8) % 4], (unsigned long long)(r >> 40),
        (unsigned long long)(1700000000000ull + (r >> 20) % 99999),
        (unsigned)(r >> 12) & 0xfff);
    for (int i = 0; i < len && at < n; i++)
      p[at++] = (uint8_t)rec[i];
  }
  return at;
}

typedef struct corpus {
  uint8_t *big;   /* BIG bytes of text */
  uint8_t *big_z; /* it compressed, 00 00 ff ff removed */
  size_t big_z_len;
  uint8_t *small[SMALL_COUNT]; /* the conversation */
  size_t small_len[SMALL_COUNT];
  uint8_t *small_z[SMALL_COUNT]; /* compressed with a shared window */
  size_t small_z_len[SMALL_COUNT];
  uint8_t *out; /* bare zlib's output buffer */
  size_t out_cap;
  ws_bytebuf ours; /* the wrappers' output, capacity kept between runs */
  uint64_t check;  /* kept so nothing is optimised away */
} corpus;

/* ---- bare zlib ---- */

/* In place: zlib's state points back at its z_stream, which therefore
 * cannot be copied. */
static void zlib_deflater(z_stream *z) {
  memset(z, 0, sizeof *z);
  if (deflateInit2(z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    abort();
}

/* One message in pieces, sync-flushed, the tail removed: its length. */
static size_t zlib_deflate_message(z_stream *z, const uint8_t *p, size_t n,
                                   uint8_t *out, size_t cap) {
  size_t produced = 0;
  for (size_t off = 0; off < n || off == 0;) {
    size_t take = n - off < PIECE ? n - off : PIECE;
    bool last = off + take == n;
    z->next_in = (Bytef *)(p + off);
    z->avail_in = (uInt)take;
    do {
      uInt room = (uInt)(cap - produced);
      z->next_out = out + produced;
      z->avail_out = room;
      deflate(z, last ? Z_SYNC_FLUSH : Z_NO_FLUSH);
      produced += room - z->avail_out;
    } while (z->avail_out == 0);
    off += take;
    if (last)
      break;
  }
  return produced - 4;
}

static size_t zlib_inflate_message(z_stream *z, const uint8_t *p, size_t n,
                                   uint8_t *out, size_t cap) {
  static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
  size_t produced = 0;
  for (size_t off = 0; off <= n;) {
    size_t take = n - off < PIECE ? n - off : PIECE;
    z->next_in = (Bytef *)(off < n ? p + off : tail);
    z->avail_in = (uInt)(off < n ? take : sizeof tail);
    do {
      uInt room = (uInt)(cap - produced);
      z->next_out = out + produced;
      z->avail_out = room;
      inflate(z, Z_SYNC_FLUSH);
      produced += room - z->avail_out;
    } while (z->avail_in > 0 && z->avail_out > 0);
    off += off < n ? take : 1;
  }
  return produced;
}

static void run_zlib_inflate_big(void *p) {
  corpus *c = p;
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, -15) != Z_OK)
    abort();
  c->check +=
      zlib_inflate_message(&z, c->big_z, c->big_z_len, c->out, c->out_cap);
  inflateEnd(&z);
  bench_clobber(c->out);
}

static void run_zlib_inflate_small(void *p) {
  corpus *c = p;
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, -15) != Z_OK)
    abort();
  for (int m = 0; m < SMALL_COUNT; m++)
    c->check += zlib_inflate_message(&z, c->small_z[m], c->small_z_len[m],
                                     c->out, c->out_cap);
  inflateEnd(&z);
  bench_clobber(c->out);
}

static void run_zlib_deflate_big(void *p) {
  corpus *c = p;
  z_stream z;
  zlib_deflater(&z);
  c->check += zlib_deflate_message(&z, c->big, BIG, c->out, c->out_cap);
  deflateEnd(&z);
  bench_clobber(c->out);
}

static void run_zlib_deflate_small(void *p) {
  corpus *c = p;
  z_stream z;
  zlib_deflater(&z);
  for (int m = 0; m < SMALL_COUNT; m++)
    c->check += zlib_deflate_message(&z, c->small[m], c->small_len[m], c->out,
                                     c->out_cap);
  deflateEnd(&z);
  bench_clobber(c->out);
}

/* ---- the codec ---- */

static void ours_inflate(ws_inflater *inf, const uint8_t *p, size_t n,
                         ws_bytebuf *out) {
  for (size_t off = 0; off < n || off == 0;) {
    size_t take = n - off < PIECE ? n - off : PIECE;
    if (ws_inflater_feed(inf, p + off, take, off + take == n, out) != 0)
      abort();
    off += take;
    if (off == n)
      break;
  }
}

static void ours_deflate(ws_deflater *d, const uint8_t *p, size_t n,
                         ws_bytebuf *out) {
  for (size_t off = 0; off < n || off == 0;) {
    size_t take = n - off < PIECE ? n - off : PIECE;
    if (ws_deflater_feed(d, p + off, take, off + take == n, out) != 0)
      abort();
    off += take;
    if (off == n)
      break;
  }
}

static void run_ours_inflate_big(void *p) {
  corpus *c = p;
  ws_inflater_config cfg = {.no_context_takeover = true,
                            .max_message = 2 * BIG};
  ws_inflater *inf;
  if (ws_inflater_new(&cfg, &inf) != 0)
    abort();
  c->ours.len = 0;
  ours_inflate(inf, c->big_z, c->big_z_len, &c->ours);
  c->check += c->ours.len;
  ws_inflater_free(inf);
  bench_clobber(c->ours.data);
}

static void run_ours_inflate_small(void *p) {
  corpus *c = p;
  ws_inflater *inf;
  if (ws_inflater_new(NULL, &inf) != 0)
    abort();
  for (int m = 0; m < SMALL_COUNT; m++) {
    c->ours.len = 0;
    ours_inflate(inf, c->small_z[m], c->small_z_len[m], &c->ours);
    c->check += c->ours.len;
  }
  ws_inflater_free(inf);
  bench_clobber(c->ours.data);
}

static void run_ours_deflate_big(void *p) {
  corpus *c = p;
  ws_deflater_config cfg = {.no_context_takeover = true};
  ws_deflater *d;
  if (ws_deflater_new(&cfg, &d) != 0)
    abort();
  c->ours.len = 0;
  ours_deflate(d, c->big, BIG, &c->ours);
  c->check += c->ours.len;
  ws_deflater_free(d);
  bench_clobber(c->ours.data);
}

static void run_ours_deflate_small(void *p) {
  corpus *c = p;
  ws_deflater *d;
  if (ws_deflater_new(NULL, &d) != 0)
    abort();
  for (int m = 0; m < SMALL_COUNT; m++) {
    c->ours.len = 0;
    ours_deflate(d, c->small[m], c->small_len[m], &c->ours);
    c->check += c->ours.len;
  }
  ws_deflater_free(d);
  bench_clobber(c->ours.data);
}

/* ---- setup ---- */

static void make_corpus(corpus *c) {
  memset(c, 0, sizeof *c);
  uint64_t seed = 0x6465666c;
  c->big = bench_alloc(BIG);
  make_json(c->big, BIG, &seed);
  c->out_cap = 2 * BIG;
  c->out = bench_alloc(c->out_cap);
  c->big_z = bench_alloc(c->out_cap);
  z_stream z;
  zlib_deflater(&z);
  c->big_z_len = zlib_deflate_message(&z, c->big, BIG, c->big_z, c->out_cap);
  deflateEnd(&z);
  zlib_deflater(&z);
  for (int m = 0; m < SMALL_COUNT; m++) {
    c->small[m] = bench_alloc(SMALL_MAX);
    c->small_len[m] =
        make_json(c->small[m], 120 + bench_rand(&seed) % 120, &seed);
    c->small_z[m] = bench_alloc(2 * SMALL_MAX + 64);
    c->small_z_len[m] = zlib_deflate_message(&z, c->small[m], c->small_len[m],
                                             c->small_z[m], 2 * SMALL_MAX + 64);
  }
  deflateEnd(&z);
  if (ws_bytebuf_reserve(&c->ours, c->out_cap, c->out_cap) != 0)
    abort();
}

static void free_corpus(corpus *c) {
  free(c->big);
  free(c->big_z);
  free(c->out);
  for (int m = 0; m < SMALL_COUNT; m++) {
    free(c->small[m]);
    free(c->small_z[m]);
  }
  ws_bytebuf_free(&c->ours);
  bench_keep(c->check);
}

/* The wrappers must give what bare zlib gives before anything is timed. */
static bool outputs_agree(corpus *c) {
  run_ours_inflate_big(c);
  bool ok = c->ours.len == BIG && memcmp(c->ours.data, c->big, BIG) == 0;
  run_zlib_deflate_big(c);
  size_t zlen = c->big_z_len;
  run_ours_deflate_big(c);
  ok = ok && c->ours.len == zlen && memcmp(c->ours.data, c->big_z, zlen) == 0;
  if (!ok)
    fprintf(stderr, "bench: the wrappers and bare zlib disagree\n");
  return ok;
}

void bench_inflate_vs_zlib(void) {
  corpus c;
  make_corpus(&c);
  if (!outputs_agree(&c)) {
    bench_print_na("inflate_vs_zlib", "ratio", "outputs differ");
    free_corpus(&c);
    return;
  }
  fprintf(stderr, "bench: 1 MiB of JSON-like text compresses to %zu bytes\n",
          c.big_z_len);
  bench_pair r =
      bench_compare(run_ours_inflate_big, &c, run_zlib_inflate_big, &c, 21);
  bench_print("inflate_1MiB", bench_gbps(BIG, r.a_ns), "GB/s");
  bench_print_target("inflate_vs_zlib", r.ratio, "ratio", 0.9);
  r = bench_compare(run_ours_inflate_small, &c, run_zlib_inflate_small, &c, 21);
  bench_print("inflate_small_per_message", r.a_ns / SMALL_COUNT, "ns");
  bench_print_target("inflate_vs_zlib_small", r.ratio, "ratio", 0.9);
  free_corpus(&c);
}

void bench_deflate_vs_zlib(void) {
  corpus c;
  make_corpus(&c);
  if (!outputs_agree(&c)) {
    bench_print_na("deflate_vs_zlib", "ratio", "outputs differ");
    free_corpus(&c);
    return;
  }
  bench_pair r =
      bench_compare(run_ours_deflate_big, &c, run_zlib_deflate_big, &c, 11);
  bench_print("deflate_1MiB", bench_gbps(BIG, r.a_ns), "GB/s");
  bench_print_target("deflate_vs_zlib", r.ratio, "ratio", 0.9);
  r = bench_compare(run_ours_deflate_small, &c, run_zlib_deflate_small, &c, 11);
  bench_print("deflate_small_per_message", r.a_ns / SMALL_COUNT, "ns");
  bench_print_target("deflate_vs_zlib_small", r.ratio, "ratio", 0.9);
  free_corpus(&c);
}
