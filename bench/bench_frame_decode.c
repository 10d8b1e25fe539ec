/* Figure 4: frames per second of ws_frame_decode against libwslay's frame
 * layer (wslay_frame_recv) on the same bytes.
 *
 * The input is 100,000 masked client frames with 2-125 byte payloads (text,
 * binary, ping, pong; all final frames, since wslay's frame layer rejects a
 * fragmented control frame and neither side here reassembles messages),
 * built by a tiny encoder in this file so the figure does not depend on the
 * codec's encoder.
 *
 * What each side does, made as alike as the two APIs allow. Both model a
 * server that recv()s into a 4 KiB buffer:
 *  - ours: copies the next (up to) 4096 bytes of the input into a 4 KiB
 *    receive buffer (the stand-in for recv()), then calls ws_frame_decode
 *    until it needs more bytes, consuming every event; the decoder parses
 *    headers and unmasks payload in place in that buffer. Policy STRICT,
 *    sender CLIENT, so every header check the reference server runs is paid.
 *  - wslay: wslay_frame_recv calls our recv_callback, which copies the next
 *    bytes of the same input into wslay's own 4 KiB buffer (wslay's API has
 *    no other way in); wslay parses the header and unmasks in place in that
 *    buffer and hands back a pointer in the iocb. A frame ends when the
 *    payload bytes seen reach iocb.payload_length.
 * So each side copies every input byte once, unmasks it once, and touches
 * each payload chunk the same way (first byte, last byte, length). wslay
 * additionally moves a header split across its buffer end to the front (at
 * most 13 bytes; its design). Neither side allocates in the loop; wslay's
 * context is allocated once per pass, 100,000 frames amortise it. */
#include "bench/bench.h"
#include "codec/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wslay/wslay.h>

#define FRAME_COUNT 100000
#define RECV_BUF 4096

typedef struct frame_ctx {
  const uint8_t *wire; /* the masked frames, never modified */
  size_t wire_len;
  uint8_t *rbuf; /* our receive buffer */
  bool verify;   /* sum every payload byte instead of sampling */
  uint64_t frames;
  uint64_t acc;
  int error;
} frame_ctx;

/* The per-chunk work both sides do with the payload they are handed. When
 * verifying, every byte is summed so a wrong unmask shows. */
static uint64_t consume(const frame_ctx *c, const uint8_t *p, size_t n) {
  if (n == 0)
    return 0;
  if (!c->verify)
    return (uint64_t)p[0] + p[n - 1] + n;
  uint64_t s = n;
  for (size_t i = 0; i < n; i++)
    s += p[i];
  return s;
}

/* ---- ours ---- */

/* Decodes one receive buffer's worth; 0 or the decoder's negative error. */
static int decode_chunk(frame_ctx *c, ws_frame_decoder *dec, size_t len) {
  size_t off = 0;
  for (;;) {
    size_t used = 0;
    ws_frame_event ev;
    /* Called again after the last bytes too: END can follow the final
     * PAYLOAD event of a chunk with no input left. */
    int r = ws_frame_decode(dec, c->rbuf + off, len - off, &used, &ev);
    off += used;
    if (r <= 0)
      return r;
    if (ev.type == WS_FRAME_PAYLOAD)
      c->acc += consume(c, ev.data, ev.len);
    else if (ev.type == WS_FRAME_END)
      c->frames++;
  }
}

static void run_ours(void *p) {
  frame_ctx *c = p;
  ws_frame_decoder_config cfg = {.sender = WS_SENDER_CLIENT,
                                 .policy = WS_POLICY_STRICT};
  ws_frame_decoder dec;
  ws_frame_decoder_init(&dec, &cfg);
  c->frames = 0;
  for (size_t pos = 0; pos < c->wire_len;) {
    size_t n = c->wire_len - pos < RECV_BUF ? c->wire_len - pos : RECV_BUF;
    memcpy(c->rbuf, c->wire + pos, n);
    pos += n;
    int r = decode_chunk(c, &dec, n);
    if (r < 0) {
      c->error = r;
      return;
    }
  }
  bench_keep(c->frames);
}

/* ---- wslay ---- */

typedef struct wslay_src {
  frame_ctx *c;
  size_t pos;
} wslay_src;

static ssize_t wslay_recv_cb(uint8_t *buf, size_t len, int flags, void *ud) {
  (void)flags;
  wslay_src *s = ud;
  size_t left = s->c->wire_len - s->pos;
  size_t n = left < len ? left : len;
  if (n == 0)
    return -1; /* input exhausted: wslay reports WANT_READ */
  memcpy(buf, s->c->wire + s->pos, n);
  s->pos += n;
  return (ssize_t)n;
}

static void run_wslay(void *p) {
  frame_ctx *c = p;
  wslay_src src = {.c = c};
  struct wslay_frame_callbacks cbs = {.recv_callback = wslay_recv_cb};
  wslay_frame_context_ptr ctx;
  if (wslay_frame_context_init(&ctx, &cbs, &src) != 0) {
    c->error = -1;
    return;
  }
  c->frames = 0;
  uint64_t seen = 0; /* payload bytes of the current frame so far */
  for (;;) {
    struct wslay_frame_iocb iocb;
    ssize_t r = wslay_frame_recv(ctx, &iocb);
    if (r < 0) {
      if (r != WSLAY_ERR_WANT_READ)
        c->error = (int)r;
      break;
    }
    c->acc += consume(c, iocb.data, iocb.data_length);
    seen += iocb.data_length;
    if (seen == iocb.payload_length) {
      c->frames++;
      seen = 0;
    }
  }
  wslay_frame_context_free(ctx);
  bench_keep(c->frames);
}

/* ---- input ---- */

/* Writes FRAME_COUNT masked frames into wire; returns the length and the sum
 * consume() computes in verify mode over the plaintext. */
static size_t build_wire(uint8_t *wire, uint64_t *expect_sum) {
  static const uint8_t opcodes[] = {WS_OP_TEXT,   WS_OP_TEXT, WS_OP_TEXT,
                                    WS_OP_BINARY, WS_OP_PING, WS_OP_PONG};
  uint64_t seed = 0x6672616d;
  size_t at = 0;
  *expect_sum = 0;
  for (int f = 0; f < FRAME_COUNT; f++) {
    uint8_t op = opcodes[bench_rand(&seed) % sizeof opcodes];
    size_t len = 2 + bench_rand(&seed) % 124; /* 2..125 */
    uint64_t k = bench_rand(&seed);
    uint8_t key[4] = {(uint8_t)k, (uint8_t)(k >> 8), (uint8_t)(k >> 16),
                      (uint8_t)(k >> 24)};
    wire[at++] = (uint8_t)(0x80 | op);  /* FIN, no RSV */
    wire[at++] = (uint8_t)(0x80 | len); /* MASK, 7-bit length */
    memcpy(wire + at, key, 4);
    at += 4;
    *expect_sum += len;
    for (size_t i = 0; i < len; i++) {
      uint8_t plain = op == WS_OP_TEXT ? (uint8_t)('a' + bench_rand(&seed) % 26)
                                       : (uint8_t)bench_rand(&seed);
      *expect_sum += plain;
      wire[at++] = plain ^ key[i % 4];
    }
  }
  return at;
}

/* One untimed pass of each side in verify mode: same frame count, same
 * plaintext, no error. Otherwise the timing would compare wrong work. */
static bool verify(frame_ctx *c, void (*run)(void *), const char *who,
                   uint64_t expect_sum) {
  c->verify = true;
  c->acc = 0;
  c->error = 0;
  run(c);
  c->verify = false;
  if (c->error == 0 && c->frames == FRAME_COUNT && c->acc == expect_sum)
    return true;
  fprintf(stderr,
          "bench: frame_decode %s: error %d, %llu frames (want %d), payload "
          "sum %llu (want %llu)\n",
          who, c->error, (unsigned long long)c->frames, FRAME_COUNT,
          (unsigned long long)c->acc, (unsigned long long)expect_sum);
  return false;
}

void bench_frame_decode(void) {
  /* Largest frame: 6 header bytes and 125 payload bytes. */
  uint8_t *wire = bench_alloc((size_t)FRAME_COUNT * (6 + 125));
  uint64_t expect_sum;
  frame_ctx c = {.wire = wire, .rbuf = bench_alloc(RECV_BUF)};
  c.wire_len = build_wire(wire, &expect_sum);

  if (!verify(&c, run_ours, "ours", expect_sum) ||
      !verify(&c, run_wslay, "wslay", expect_sum)) {
    bench_print_na("frame_decode_vs_wslay", "ratio", "a decoder is wrong");
  } else {
    bench_pair r = bench_compare(run_ours, &c, run_wslay, &c, 51);
    bench_print("frame_decode_ours", FRAME_COUNT / r.a_ns * 1e3, "Mframes/s");
    bench_print("frame_decode_wslay", FRAME_COUNT / r.b_ns * 1e3, "Mframes/s");
    bench_print_target("frame_decode_vs_wslay", r.ratio, "ratio", 1.0);
  }
  bench_keep(c.acc);
  free(c.rbuf);
  free(wire);
}
