/* Unit tests for codec/frame.c: the RFC 6455 5.7 examples, every malformed
 * header in both policies, every length edge, split invariance down to one
 * byte per call, and encode/decode round trips. */
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/mask.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

/* ---- a recorder of decoder events ---- */

#define MAX_EVENTS 512

typedef struct rec {
  enum ws_frame_event_type type;
  ws_frame_header header;
  int violation;
  uint64_t len; /* PAYLOAD: consecutive payload events merged */
} rec;

typedef struct trace {
  rec ev[MAX_EVENTS];
  size_t n;
  uint8_t *payload; /* every payload byte of every frame, concatenated */
  size_t payload_len;
  uint64_t frame_done; /* payload bytes of the current frame so far */
  int rc;              /* 0, or the STRICT error that stopped decoding */
  size_t consumed;
} trace;

static trace trace_a, trace_b;

#define CFG(sender, policy)                                                    \
  { WS_SENDER_##sender, WS_POLICY_##policy, 0, 0 }
static const ws_frame_decoder_config client_strict = CFG(CLIENT, STRICT),
                                     client_observe = CFG(CLIENT, OBSERVE),
                                     server_strict = CFG(SERVER, STRICT),
                                     server_observe = CFG(SERVER, OBSERVE);

static const uint8_t key_a[4] = {0x37, 0xfa, 0x21, 0x3d};

static void record(trace *t, const ws_frame_event *ev) {
  cr_assert_not_null(ev->header);
  if (ev->type == WS_FRAME_HEADER)
    t->frame_done = 0;
  if (ev->type == WS_FRAME_PAYLOAD) {
    cr_assert_gt(ev->len, 0, "empty payload event");
    cr_assert_eq(ev->offset, t->frame_done, "payload offsets not contiguous");
    memcpy(t->payload + t->payload_len, ev->data, ev->len);
    t->payload_len += ev->len;
    t->frame_done += ev->len;
    if (t->n > 0 && t->ev[t->n - 1].type == WS_FRAME_PAYLOAD) {
      t->ev[t->n - 1].len += ev->len;
      return;
    }
  }
  cr_assert_lt(t->n, MAX_EVENTS);
  rec *r = &t->ev[t->n++];
  r->type = ev->type;
  r->header = *ev->header;
  r->violation = ev->type == WS_FRAME_VIOLATION ? ev->violation : 0;
  r->len = ev->type == WS_FRAME_PAYLOAD ? ev->len : 0;
}

/* Decodes `in` fed `chunk` bytes per call (0: all at once), calling again
 * on each piece until the decoder reports it needs more. The input is copied
 * to an exact-size heap buffer so ASan catches any overread. */
static void run(trace *t, const ws_frame_decoder_config *cfg, const uint8_t *in,
                size_t len, size_t chunk) {
  free(t->payload);
  memset(t, 0, sizeof *t);
  t->payload = malloc(len + 1);
  uint8_t *buf = malloc(len + 1);
  cr_assert(t->payload && buf);
  if (len)
    memcpy(buf, in, len);
  ws_frame_decoder dec;
  ws_frame_decoder_init(&dec, cfg);
  size_t pos = 0;
  do {
    size_t piece = chunk && chunk < len - pos ? chunk : len - pos, off = 0;
    for (;;) {
      ws_frame_event ev;
      size_t used = 99;
      int rc = ws_frame_decode(&dec, buf + pos + off, piece - off, &used, &ev);
      cr_assert_leq(used, piece - off);
      off += used;
      t->consumed += used;
      if (rc < 0) {
        t->rc = rc;
        free(buf);
        return;
      }
      if (rc == 0) {
        cr_assert_eq(off, piece, "0 returned with input left");
        break;
      }
      cr_assert_eq(rc, 1);
      record(t, &ev);
    }
    pos += piece;
  } while (pos < len);
  free(buf);
}

static bool same_header(const ws_frame_header *a, const ws_frame_header *b) {
  return a->fin == b->fin && a->rsv == b->rsv && a->opcode == b->opcode &&
         a->masked == b->masked && !memcmp(a->mask_key, b->mask_key, 4) &&
         a->length == b->length && a->length_size == b->length_size &&
         a->header_size == b->header_size;
}

static void assert_same_trace(const trace *a, const trace *b) {
  cr_assert_eq(a->rc, b->rc);
  cr_assert_eq(a->consumed, b->consumed);
  cr_assert_eq(a->n, b->n, "event counts differ: %zu vs %zu", a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    cr_assert_eq(a->ev[i].type, b->ev[i].type, "event %zu", i);
    cr_assert_eq(a->ev[i].violation, b->ev[i].violation, "event %zu", i);
    cr_assert_eq(a->ev[i].len, b->ev[i].len, "event %zu", i);
    cr_assert(same_header(&a->ev[i].header, &b->ev[i].header), "event %zu", i);
  }
  cr_assert_eq(a->payload_len, b->payload_len);
  cr_assert_arr_eq(a->payload, b->payload, a->payload_len);
}

/* The split invariant: whole, 1 byte per call and a few other sizes give the
 * same events (payload merged) and the same payload. Leaves the whole-input
 * trace in trace_a. */
static void check_splits(const ws_frame_decoder_config *cfg, const uint8_t *in,
                         size_t len) {
  static const size_t chunks[] = {1, 2, 3, 5, 13};
  for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
    run(&trace_b, cfg, in, len, chunks[i]);
    if (i == 0)
      run(&trace_a, cfg, in, len, 0);
    assert_same_trace(&trace_a, &trace_b);
  }
}

/* Asserts trace_a's event types; `types` ends with 0. */
static void expect_types(const int *types) {
  size_t n = 0;
  while (types[n])
    n++;
  cr_assert_eq(trace_a.n, n, "expected %zu events, got %zu", n, trace_a.n);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq((int)trace_a.ev[i].type, types[i], "event %zu", i);
}

#define H WS_FRAME_HEADER
#define P WS_FRAME_PAYLOAD
#define E WS_FRAME_END
#define V WS_FRAME_VIOLATION
#define EXPECT(...) expect_types((const int[]){__VA_ARGS__, 0})

/* Feeds `in` one byte at a time in STRICT mode and asserts the error appears
 * exactly when byte number `at` (1-based) arrives, and stays. */
static void expect_strict_error_at(const ws_frame_decoder_config *cfg,
                                   const uint8_t *in, size_t len, size_t at,
                                   int err) {
  ws_frame_decoder dec;
  ws_frame_decoder_init(&dec, cfg);
  uint8_t buf[64];
  cr_assert_leq(len, sizeof buf);
  memcpy(buf, in, len);
  for (size_t i = 0; i < len; i++) {
    size_t used;
    ws_frame_event ev;
    int rc = ws_frame_decode(&dec, buf + i, 1, &used, &ev);
    if (i + 1 < at) {
      cr_assert_geq(rc, 0, "error %d before byte %zu", rc, at);
      continue;
    }
    cr_assert_eq(rc, -err, "byte %zu: got %s, want %s", i + 1,
                 ws_error_name(rc), ws_error_name(err));
    cr_assert_eq(used, i + 1 == at ? 1u : 0u);
  }
  /* The header fields known when the error struck stay readable. */
  const ws_frame_header *h = ws_frame_decoder_header(&dec);
  cr_assert_eq(h->fin, (in[0] & 0x80) != 0);
  cr_assert_eq(h->rsv, (in[0] >> 4) & 7);
  cr_assert_eq(h->opcode, in[0] & 0x0f);
  if (at >= 2)
    cr_assert_eq(h->masked, (in[1] & 0x80) != 0);
  check_splits(cfg, in, len);
  cr_assert_eq(trace_a.rc, -err);
  cr_assert_eq(trace_a.consumed, at);
  cr_assert_eq(trace_a.n, 0, "no event before a header error");
}

/* Asserts the OBSERVE trace_a holds HEADER, the violations listed, then the
 * rest of the frame as if it were legal. */
static void expect_violations(const int *codes, size_t n) {
  cr_assert_eq(trace_a.rc, 0);
  cr_assert_geq(trace_a.n, n + 1);
  cr_assert_eq(trace_a.ev[0].type, WS_FRAME_HEADER);
  for (size_t i = 0; i < n; i++) {
    cr_assert_eq(trace_a.ev[1 + i].type, WS_FRAME_VIOLATION, "event %zu", i);
    cr_assert_eq(trace_a.ev[1 + i].violation, codes[i], "violation %zu: %s", i,
                 ws_error_name(trace_a.ev[1 + i].violation));
  }
  if (n + 1 < trace_a.n)
    cr_assert_neq(trace_a.ev[n + 1].type, WS_FRAME_VIOLATION);
}
#define EXPECT_VIOLATIONS(...)                                                 \
  expect_violations((const int[]){__VA_ARGS__},                                \
                    sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

/* Encodes into a static buffer; asserts success. */
static uint8_t enc_buf[70000 + WS_FRAME_MAX_HEADER];
static size_t encode_ok(const ws_frame_spec *spec, const void *payload,
                        size_t len) {
  ssize_t n = ws_frame_encode(spec, payload, len, enc_buf, sizeof enc_buf);
  cr_assert_gt(n, 0, "encode failed: %s", ws_error_name((int)n));
  return (size_t)n;
}

static void assert_bytes(const uint8_t *got, size_t got_len,
                         const uint8_t *want, size_t want_len) {
  cr_assert_eq(got_len, want_len);
  cr_assert_arr_eq(got, want, want_len);
}

/* Bytes written as a string literal (its NUL is not part of the frame). */
#define LIT(s) (const uint8_t *)(s), (sizeof(s) - 1)
#define EXPECT_WIRE(n, s) assert_bytes(enc_buf, n, LIT(s))

/* One ws_frame_decode call on a fresh or running decoder; the event and the
 * bytes used land in last_ev / last_used. */
static ws_frame_event last_ev;
static size_t last_used;
static int decode_once(ws_frame_decoder *dec, uint8_t *buf, size_t len) {
  last_used = 99;
  return ws_frame_decode(dec, buf, len, &last_used, &last_ev);
}

/* ---- RFC 6455 5.7 examples, decoded and encoded byte for byte ---- */

/* Exact array sizes drop the literals' NUL. */
#define HELLO_MASKED "\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
static const uint8_t unmasked_hello[7] = "\x81\x05Hello";
static const uint8_t masked_hello[11] = "\x81\x85" HELLO_MASKED;
static const uint8_t frag_hel[5] = "\x01\x03Hel";
static const uint8_t frag_lo[4] = "\x80\x02lo";
static const uint8_t unmasked_ping[7] = "\x89\x05Hello";
static const uint8_t masked_pong[11] = "\x8a\x85" HELLO_MASKED;
static const uint8_t header_256[4] = "\x82\x7E\x01\x00";
static const uint8_t header_64k[10] = "\x82\x7F\0\0\0\0\0\1\0\0";

typedef struct example {
  const uint8_t *wire; /* the whole frame, or only its header when */
  size_t wire_len;     /* pattern_len != 0 (payload: a pattern) */
  size_t pattern_len;
  bool masked;
  uint8_t opcode;
  bool fin;
  const char *payload;
} example;

#define EX(w, m, op, fin, p)                                                   \
  { w, sizeof w, 0, m, op, fin, p }
static example examples[] = {
    EX(unmasked_hello, false, WS_OP_TEXT, true, "Hello"),
    EX(masked_hello, true, WS_OP_TEXT, true, "Hello"),
    EX(frag_hel, false, WS_OP_TEXT, false, "Hel"),
    EX(frag_lo, false, WS_OP_CONTINUATION, true, "lo"),
    EX(unmasked_ping, false, WS_OP_PING, true, "Hello"),
    EX(masked_pong, true, WS_OP_PONG, true, "Hello"),
    {header_256, sizeof header_256, 256, false, WS_OP_BINARY, true, NULL},
    {header_64k, sizeof header_64k, 65536, false, WS_OP_BINARY, true, NULL},
};
#define EXAMPLE_COUNT (sizeof examples / sizeof examples[0])

/* Criterion runs each parameter in a fresh process, so parameters carry an
 * index into a table, never a pointer. */
static void *index_params(size_t *index, size_t n) {
  for (size_t i = 0; i < n; i++)
    index[i] = i;
  return index;
}

static size_t example_index[EXAMPLE_COUNT];

ParameterizedTestParameters(rfc_examples, decode) {
  return cr_make_param_array(size_t, index_params(example_index, EXAMPLE_COUNT),
                             EXAMPLE_COUNT);
}

static uint8_t big_payload[65536], big_in[65536 + 14];

/* The example's full wire bytes in big_in and its payload; returns the wire
 * length. */
static size_t example_wire(const example *ex, const uint8_t **payload,
                           size_t *plen) {
  memcpy(big_in, ex->wire, ex->wire_len);
  if (ex->pattern_len == 0) {
    *payload = (const uint8_t *)ex->payload;
    *plen = strlen(ex->payload);
    return ex->wire_len;
  }
  for (size_t i = 0; i < ex->pattern_len; i++)
    big_payload[i] = (uint8_t)(i * 7 + 1);
  memcpy(big_in + ex->wire_len, big_payload, ex->pattern_len);
  *payload = big_payload;
  *plen = ex->pattern_len;
  return ex->wire_len + ex->pattern_len;
}

ParameterizedTest(size_t *index, rfc_examples, decode) {
  const example *ex = &examples[*index];
  const uint8_t *payload;
  size_t plen, n = example_wire(ex, &payload, &plen);
  const ws_frame_decoder_config *cfg =
      ex->masked ? &client_strict : &server_strict;
  check_splits(cfg, big_in, n);
  cr_assert_eq(trace_a.rc, 0);
  cr_assert_eq(trace_a.consumed, n);
  EXPECT(H, P, E);
  const ws_frame_header *h = &trace_a.ev[0].header;
  cr_assert_eq(h->opcode, ex->opcode);
  cr_assert_eq(h->fin, ex->fin);
  cr_assert_eq(h->masked, ex->masked);
  cr_assert_arr_eq(h->mask_key, ex->masked ? key_a : (uint8_t[4]){0}, 4);
  cr_assert_eq(h->length, plen);
  cr_assert_eq(h->header_size, n - plen);
  cr_assert_eq(trace_a.payload_len, plen);
  cr_assert_arr_eq(trace_a.payload, payload, plen);
}

ParameterizedTestParameters(rfc_examples, encode) {
  return cr_make_param_array(size_t, index_params(example_index, EXAMPLE_COUNT),
                             EXAMPLE_COUNT);
}

ParameterizedTest(size_t *index, rfc_examples, encode) {
  const example *ex = &examples[*index];
  const uint8_t *payload;
  size_t plen, n = example_wire(ex, &payload, &plen);
  ws_frame_spec s = {
      .fin = ex->fin, .opcode = ex->opcode, .masked = ex->masked};
  if (ex->masked)
    memcpy(s.mask_key, key_a, 4);
  size_t got = encode_ok(&s, payload, plen);
  assert_bytes(enc_buf, got, big_in, n);
}

/* ---- malformed headers ---- */

/* One malformed frame. STRICT must fail with `err` exactly when byte `at`
 * arrives (err 0: STRICT accepts the frame); OBSERVE must report
 * `violations` (0-terminated, in the documented order) right after HEADER
 * and then go on as if the frame were legal. */
typedef struct bad_frame {
  uint8_t in[16];
  size_t len;
  enum ws_sender sender;
  uint64_t max_frame_length;
  size_t at;
  int err;
  int violations[8];
} bad_frame;

/* Rows are BAD(bytes, sender, max_frame_length, at, err, violations...);
 * the bytes are a string literal (its NUL is not part of the frame). */
#define BAD(bytes, sender, max, at, err, ...)                                  \
  {                                                                            \
    bytes, sizeof(bytes) - 1, sender, max, at, err, { __VA_ARGS__ }            \
  }
#define S WS_SENDER_SERVER
#define C WS_SENDER_CLIENT
#define TOP_BIT_LEN "\x82\x7F\x80\0\0\0\0\0\0\0"
static const bad_frame bad_frames[] = {
    /* reserved opcodes, a data one and a control one */
    BAD("\x83\x02hi", S, 0, 1, WS_E_RESERVED_OPCODE, WS_E_RESERVED_OPCODE),
    BAD("\x8F\x02hi", S, 0, 1, WS_E_RESERVED_OPCODE, WS_E_RESERVED_OPCODE),
    /* RSV bits without an extension */
    BAD("\x92\x01z", S, 0, 1, WS_E_RESERVED_BITS, WS_E_RESERVED_BITS),
    BAD("\xF1\x01z", S, 0, 1, WS_E_RESERVED_BITS, WS_E_RESERVED_BITS),
    /* fragmented control frames, with and without payload */
    BAD("\x09\x01p", S, 0, 1, WS_E_CONTROL_FRAGMENTED, WS_E_CONTROL_FRAGMENTED),
    BAD("\x08\x00", S, 0, 1, WS_E_CONTROL_FRAGMENTED, WS_E_CONTROL_FRAGMENTED),
    /* the mask bit against the sender */
    BAD("\x81\x05Hello", C, 0, 2, WS_E_UNMASKED_FRAME, WS_E_UNMASKED_FRAME),
    BAD("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", S, 0, 2,
        WS_E_MASKED_FRAME, WS_E_MASKED_FRAME),
    /* control frames over 125 bytes, judged once the extended length is in */
    BAD("\x89\x7E\x00\x7E\x63", S, 0, 4, WS_E_CONTROL_TOO_LONG,
        WS_E_CONTROL_TOO_LONG),
    BAD("\x8A\x7F\0\0\0\0\0\1\0\0", S, 0, 10, WS_E_CONTROL_TOO_LONG,
        WS_E_CONTROL_TOO_LONG),
    /* 64-bit lengths with the top bit set: 2^63 and 2^64-1 */
    BAD(TOP_BIT_LEN "a", S, 0, 10, WS_E_LENGTH_TOP_BIT, WS_E_LENGTH_TOP_BIT),
    BAD("\x82\x7F\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x61", S, 0, 10,
        WS_E_LENGTH_TOP_BIT, WS_E_LENGTH_TOP_BIT),
    /* over max_frame_length in each length form */
    BAD("\x82\x65", S, 100, 2, WS_E_FRAME_TOO_BIG, WS_E_FRAME_TOO_BIG),
    BAD("\x82\x7E\x03\xE8\x61", S, 100, 4, WS_E_FRAME_TOO_BIG,
        WS_E_FRAME_TOO_BIG),
    BAD("\x82\x7F\0\0\0\1\0\0\0\0", S, 100, 10, WS_E_FRAME_TOO_BIG,
        WS_E_FRAME_TOO_BIG),
    /* non-minimal lengths: accepted by STRICT, reported by OBSERVE */
    BAD("\x82\x7E\x00\x7D\x61", S, 0, 0, 0, WS_E_NON_MINIMAL_LENGTH),
    BAD("\x82\x7F\0\0\0\0\0\0\xFF\xFF\x62", S, 0, 0, 0,
        WS_E_NON_MINIMAL_LENGTH),
    /* several violations: STRICT stops at the first, OBSERVE lists all */
    BAD("\x7B\x7F\x80\0\0\0\0\0\0\0xy", C, 1000, 1, WS_E_RESERVED_OPCODE,
        WS_E_RESERVED_OPCODE, WS_E_RESERVED_BITS, WS_E_CONTROL_FRAGMENTED,
        WS_E_UNMASKED_FRAME, WS_E_CONTROL_TOO_LONG, WS_E_LENGTH_TOP_BIT,
        WS_E_FRAME_TOO_BIG),
    BAD("\x31\x01\x61", C, 0, 1, WS_E_RESERVED_BITS, WS_E_RESERVED_BITS,
        WS_E_UNMASKED_FRAME),
    BAD("\x89\x7F\0\0\0\0\0\0\0\5", C, 0, 2, WS_E_UNMASKED_FRAME,
        WS_E_UNMASKED_FRAME, WS_E_NON_MINIMAL_LENGTH),
    /* a short control payload in a long length field is only non-minimal */
    BAD("\x89\x7E\x00\x05hello", S, 0, 0, 0, WS_E_NON_MINIMAL_LENGTH),
};
#undef S
#undef C
#define BAD_COUNT (sizeof bad_frames / sizeof bad_frames[0])

static size_t bad_index[BAD_COUNT];

ParameterizedTestParameters(malformed, strict) {
  return cr_make_param_array(size_t, index_params(bad_index, BAD_COUNT),
                             BAD_COUNT);
}

ParameterizedTest(size_t *index, malformed, strict) {
  const bad_frame *b = &bad_frames[*index];
  ws_frame_decoder_config cfg = {b->sender, WS_POLICY_STRICT, 0,
                                 b->max_frame_length};
  if (b->err != 0) {
    expect_strict_error_at(&cfg, b->in, b->len, b->at, b->err);
    return;
  }
  check_splits(&cfg, b->in, b->len);
  cr_assert_eq(trace_a.rc, 0);
  cr_assert_eq(trace_a.ev[0].type, WS_FRAME_HEADER);
  for (size_t i = 0; i < trace_a.n; i++)
    cr_assert_neq(trace_a.ev[i].type, WS_FRAME_VIOLATION);
}

/* A header that arrives whole is judged straight from the caller's buffer,
 * one that arrives in pieces from the decoder's own copy: a STRICT error must
 * leave the same header readable, with the same bytes consumed, either way. */
Test(malformed, strict_error_same_header_whole_or_bytewise) {
  for (size_t i = 0; i < BAD_COUNT; i++) {
    const bad_frame *b = &bad_frames[i];
    if (b->err == 0)
      continue;
    ws_frame_decoder_config cfg = {b->sender, WS_POLICY_STRICT, 0,
                                   b->max_frame_length};
    ws_frame_decoder whole, bytewise;
    uint8_t buf_w[16], buf_b[16];
    memcpy(buf_w, b->in, b->len);
    memcpy(buf_b, b->in, b->len);
    ws_frame_decoder_init(&whole, &cfg);
    ws_frame_decoder_init(&bytewise, &cfg);
    size_t used_w, used_b = 0;
    ws_frame_event ev;
    cr_assert_eq(ws_frame_decode(&whole, buf_w, b->len, &used_w, &ev), -b->err,
                 "row %zu", i);
    int rc = 0;
    for (size_t at = 0; at < b->len && rc >= 0; at++) {
      size_t used;
      rc = ws_frame_decode(&bytewise, buf_b + at, 1, &used, &ev);
      used_b += used;
    }
    cr_assert_eq(rc, -b->err, "row %zu", i);
    cr_assert_eq(used_w, b->at, "row %zu", i);
    cr_assert_eq(used_b, b->at, "row %zu", i);
    cr_assert(same_header(ws_frame_decoder_header(&whole),
                          ws_frame_decoder_header(&bytewise)),
              "row %zu", i);
  }
}

ParameterizedTestParameters(malformed, observe) {
  return cr_make_param_array(size_t, index_params(bad_index, BAD_COUNT),
                             BAD_COUNT);
}

ParameterizedTest(size_t *index, malformed, observe) {
  const bad_frame *b = &bad_frames[*index];
  ws_frame_decoder_config cfg = {b->sender, WS_POLICY_OBSERVE, 0,
                                 b->max_frame_length};
  size_t n = 0;
  while (b->violations[n])
    n++;
  check_splits(&cfg, b->in, b->len);
  expect_violations(b->violations, n);
  /* Decoding goes on as if the frame were legal: what payload is there is
   * delivered (unmasked if masked), and the frame ends when it is all in. */
  const ws_frame_header *h = &trace_a.ev[0].header;
  size_t have = b->len - h->header_size;
  cr_assert_eq(trace_a.consumed, b->len);
  cr_assert_eq(trace_a.payload_len, have < h->length ? have : h->length);
  bool ended = trace_a.ev[trace_a.n - 1].type == WS_FRAME_END;
  cr_assert_eq(ended, h->length <= have);
  if (h->masked)
    cr_assert_arr_eq(trace_a.payload, "Hello", 5);
}

Test(malformed, every_reserved_opcode_and_rsv_combination_and_allowed_rsv) {
  for (uint8_t op = 0; op < 16; op++) {
    uint8_t in[] = {(uint8_t)(0x80 | op), 0x80, 1, 2, 3, 4};
    if (ws_opcode_is_reserved(op))
      expect_strict_error_at(&client_strict, in, sizeof in, 1,
                             WS_E_RESERVED_OPCODE);
  }
  for (uint8_t rsv = 1; rsv < 8; rsv++) {
    uint8_t in[] = {(uint8_t)(0x81 | rsv << 4), 0x00};
    expect_strict_error_at(&server_strict, in, sizeof in, 1,
                           WS_E_RESERVED_BITS);
  }
  ws_frame_decoder_config cfg = server_strict; /* an extension allows RSV1 */
  cfg.allowed_rsv = WS_RSV1;
  uint8_t ok[] = {0xC1, 0x01, 'x'};
  check_splits(&cfg, ok, sizeof ok);
  EXPECT(H, P, E);
  cr_assert_eq(trace_a.ev[0].header.rsv, WS_RSV1);
  uint8_t bad[] = {0xE1, 0x01, 'x'}; /* RSV1|RSV2: only RSV1 allowed */
  expect_strict_error_at(&cfg, bad, sizeof bad, 1, WS_E_RESERVED_BITS);
}

Test(malformed, strict_error_is_sticky_and_header_readable) {
  ws_frame_decoder dec;
  uint8_t in[] = {0x89, 0x7E, 0x00, 0x7E, 'c'};
  ws_frame_decoder_init(&dec, &server_strict);
  cr_assert_eq(decode_once(&dec, in, sizeof in), -WS_E_CONTROL_TOO_LONG);
  cr_assert_eq(last_used, 4, "fail fast: the payload is not read");
  for (int i = 0; i < 2; i++) { /* sticky, and consumes nothing more */
    cr_assert_eq(decode_once(&dec, in + 4, 1), -WS_E_CONTROL_TOO_LONG);
    cr_assert_eq(last_used, 0);
  }
  const ws_frame_header *h = ws_frame_decoder_header(&dec);
  cr_assert(h->fin && h->opcode == WS_OP_PING && !h->masked);
  cr_assert_eq(h->length_size, 2);
  uint8_t top[] = {0xC2, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1, 'a'};
  ws_frame_decoder_config cfg = server_strict;
  cfg.allowed_rsv = WS_RSV1;
  ws_frame_decoder_init(&dec, &cfg);
  cr_assert_eq(decode_once(&dec, top, sizeof top), -WS_E_LENGTH_TOP_BIT);
  cr_assert_eq(last_used, 10);
  cr_assert_eq(h->rsv, WS_RSV1);
  cr_assert_eq(h->length, ((uint64_t)1 << 63) + 1);
  cr_assert_eq(ws_error_close_code(-WS_E_LENGTH_TOP_BIT), 1002);
}

Test(malformed, limits_that_are_met_exactly_pass) {
  ws_frame_decoder_config cfg = server_strict;
  cfg.max_frame_length = 125;
  uint8_t ctl[2 + 125] = {0x8A, 125}; /* a 125-byte pong at a 125 limit */
  memset(ctl + 2, 'q', 125);
  check_splits(&cfg, ctl, sizeof ctl);
  EXPECT(H, P, E);
  cr_assert_eq(trace_a.payload_len, 125);
  /* The smallest minimal values of the extended forms are not violations. */
  check_splits(&server_observe, LIT("\x82\x7E\x00\x7E"));
  EXPECT(H);
  check_splits(&server_observe, LIT("\x82\x7F\0\0\0\0\0\1\0\0"));
  EXPECT(H);
}

/* ---- length edges ---- */

static void roundtrip_length(size_t len, bool masked) {
  static uint8_t payload[65536];
  for (size_t i = 0; i < len; i++)
    payload[i] = (uint8_t)(i ^ (i >> 8));
  ws_frame_spec s = {.fin = true, .opcode = WS_OP_BINARY, .masked = masked};
  memcpy(s.mask_key, key_a, 4);
  size_t n = encode_ok(&s, payload, len);
  size_t ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  cr_assert_eq(n, 2 + ext + (masked ? 4 : 0) + len);
  run(&trace_a, masked ? &client_strict : &server_strict, enc_buf, n, 0);
  run(&trace_b, masked ? &client_strict : &server_strict, enc_buf, n, 1);
  assert_same_trace(&trace_a, &trace_b);
  cr_assert_eq(trace_a.ev[0].header.length, len);
  cr_assert_eq(trace_a.ev[0].header.length_size, ext);
  cr_assert_eq(trace_a.payload_len, len);
  cr_assert_arr_eq(trace_a.payload, payload, len);
  cr_assert_eq(trace_a.ev[trace_a.n - 1].type, WS_FRAME_END);
}

Test(lengths, edges_0_125_126_127_128_65535_65536) {
  static const size_t lens[] = {0, 1, 125, 126, 127, 128};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    roundtrip_length(lens[i], false);
    roundtrip_length(lens[i], true);
  }
  roundtrip_length(65535, false);
  roundtrip_length(65536, true);
}

/* 2^32, 2^63-1, 2^63, 2^64-1: a header and 3 bytes; no frame that long is
 * ever buffered, the bytes simply stream. */
Test(lengths, huge_declared_lengths_stream) {
  static const uint64_t lens[] = {(uint64_t)1 << 32, ((uint64_t)1 << 63) - 1,
                                  (uint64_t)1 << 63, UINT64_MAX};
  for (size_t i = 0; i < 4; i++) {
    ws_frame_spec s = {.fin = true,
                       .opcode = WS_OP_BINARY,
                       .length_form = WS_LEN_64BIT,
                       .lie_length = true,
                       .declared_length = lens[i]};
    uint8_t in[14];
    cr_assert_eq(ws_frame_encode(&s, LIT("abc"), in, sizeof in), 13);
    bool top = lens[i] >> 63;
    if (top)
      expect_strict_error_at(&server_strict, in, 13, 10, WS_E_LENGTH_TOP_BIT);
    check_splits(top ? &server_observe : &server_strict, in, 13);
    if (top)
      EXPECT(H, V, P);
    else
      EXPECT(H, P);
    cr_assert_eq(trace_a.ev[0].header.length, lens[i]);
    cr_assert_eq(trace_a.ev[0].header.length_size, 8);
    cr_assert_arr_eq(trace_a.payload, "abc", 3);
  }
}

/* ---- split invariance ---- */

static size_t append(uint8_t *buf, size_t at, const uint8_t *p, size_t n) {
  memcpy(buf + at, p, n);
  return at + n;
}

Test(splits, many_frames_coalesced_in_one_buffer) {
  uint8_t in[512];
  size_t n = 0;
  for (int round = 0; round < 3; round++) {
    n = append(in, n, unmasked_hello, sizeof unmasked_hello);
    n = append(in, n, frag_hel, sizeof frag_hel);
    n = append(in, n, frag_lo, sizeof frag_lo);
    n = append(in, n, unmasked_ping, sizeof unmasked_ping);
  }
  n = append(in, n, LIT("\x88\x00")); /* empty close */
  check_splits(&server_strict, in, n);
  cr_assert_eq(trace_a.consumed, n);
  cr_assert_eq(trace_a.n, 3 * 4 * 3 + 2);
  cr_assert_eq(trace_a.payload_len, 3 * 15);
  cr_assert_eq(trace_a.ev[trace_a.n - 2].header.opcode, WS_OP_CLOSE);
}

Test(splits, masked_frames_coalesced) {
  uint8_t in[256];
  size_t n = 0;
  for (int i = 0; i < 10; i++) {
    n = append(in, n, i % 2 ? masked_pong : masked_hello, sizeof masked_hello);
    n = append(in, n, LIT("\x89\x80\x37\xfa\x21\x3d")); /* empty ping */
  }
  check_splits(&client_strict, in, n);
  cr_assert_eq(trace_a.n, 10 * 5);
  for (int i = 0; i < 10; i++)
    cr_assert_arr_eq(trace_a.payload + 5 * i, "Hello", 5);
}

Test(splits, violating_frames_coalesced_in_observe_mode) {
  ws_frame_decoder_config cfg = client_observe;
  cfg.max_frame_length = 4;
  uint8_t in[64];
  size_t n = append(in, 0, masked_hello, sizeof masked_hello);
  n = append(in, n, LIT("\x81\x05Hello\x89\x7E\0\5vwxyz"));
  n = append(in, n, LIT("\xF2\x00\x01\x00\x08\x01\x63"));
  check_splits(&cfg, in, n);
  cr_assert_eq(trace_a.consumed, n);
  cr_assert_eq(trace_a.payload_len, 5 + 5 + 5 + 0 + 1);
  /* Nothing leaks from one header into the next: no stale mask key. */
  const ws_frame_header *last = &trace_a.ev[trace_a.n - 1].header;
  cr_assert(!last->masked && !memcmp(last->mask_key, "\0\0\0\0", 4));
}

Test(splits, strict_error_after_valid_frames) {
  uint8_t in[sizeof masked_hello * 2 + 2];
  size_t n = append(in, 0, masked_hello, sizeof masked_hello);
  n = append(in, n, masked_pong, sizeof masked_pong);
  n = append(in, n, LIT("\x83\x80")); /* reserved opcode */
  check_splits(&client_strict, in, n);
  cr_assert_eq(trace_a.rc, -WS_E_RESERVED_OPCODE);
  cr_assert_eq(trace_a.consumed, n - 1);
  cr_assert_eq(trace_a.n, 6);
}

Test(splits, direct_calls_end_offsets_and_in_place_unmasking) {
  ws_frame_decoder dec;
  ws_frame_decoder_init(&dec, &client_strict);
  uint8_t in[sizeof masked_hello + 6];
  memcpy(in, masked_hello, sizeof masked_hello);
  memcpy(in + 11, "\x8A\x80\x37\xfa\x21\x3d", 6); /* empty masked pong */
  cr_assert_eq(decode_once(&dec, in, 6), 1);
  cr_assert_eq(decode_once(&dec, in + 6, 2), 1);
  cr_assert_eq(last_ev.data, in + 6, "payload must point into the input");
  cr_assert_eq(last_ev.offset, 0);
  cr_assert_eq(decode_once(&dec, in + 8, 3), 1);
  cr_assert(last_ev.offset == 2 && last_ev.len == 3);
  cr_assert_arr_eq(in + 6, "Hello", 5);
  cr_assert_eq(decode_once(&dec, in + 11, 0), 1, "END needs no input");
  cr_assert(last_ev.type == WS_FRAME_END && last_used == 0);
  cr_assert_eq(decode_once(&dec, in + 11, 6), 1);
  cr_assert(last_ev.type == WS_FRAME_HEADER && last_used == 6);
  cr_assert_eq(decode_once(&dec, in + 17, 0), 1, "END of an empty frame");
  cr_assert(last_ev.type == WS_FRAME_END && last_used == 0);
  cr_assert_eq(last_ev.header->opcode, WS_OP_PONG);
  cr_assert_eq(decode_once(&dec, in + 17, 0), 0);
}

/* ---- round trips: decode(encode(spec)) == spec ---- */

static void roundtrip(const ws_frame_spec *s, const uint8_t *payload,
                      size_t len) {
  ws_frame_decoder_config cfg = {
      s->masked ? WS_SENDER_CLIENT : WS_SENDER_SERVER, WS_POLICY_STRICT, 7, 0};
  /* STRICT rejects reserved opcodes and control-frame rule breaks, which
   * the encoder must still produce faithfully: decode those in OBSERVE. */
  if (ws_opcode_is_reserved(s->opcode) ||
      (ws_opcode_is_control(s->opcode) && (!s->fin || len > 125)))
    cfg.policy = WS_POLICY_OBSERVE;
  size_t n = encode_ok(s, payload, len);
  run(&trace_a, &cfg, enc_buf, n, 0);
  cr_assert_eq(trace_a.rc, 0);
  cr_assert_eq(trace_a.consumed, n);
  const ws_frame_header *h = &trace_a.ev[0].header;
  cr_assert_eq(trace_a.ev[0].type, WS_FRAME_HEADER);
  cr_assert(h->fin == s->fin && h->rsv == s->rsv && h->opcode == s->opcode);
  cr_assert_eq(h->masked, s->masked);
  if (s->masked)
    cr_assert_arr_eq(h->mask_key, s->mask_key, 4);
  cr_assert_eq(h->length, len);
  cr_assert_eq(h->header_size, n - len);
  cr_assert_eq(trace_a.payload_len, len);
  cr_assert_arr_eq(trace_a.payload, payload, len);
  cr_assert_eq(trace_a.ev[trace_a.n - 1].type, WS_FRAME_END);
}

Test(roundtrip, opcodes_fin_rsv_mask_grid) {
  for (uint8_t op = 0; op < 16; op++)
    for (int fin = 0; fin < 2; fin++)
      for (uint8_t rsv = 0; rsv < 8; rsv++)
        for (int masked = 0; masked < 2; masked++) {
          ws_frame_spec s = {.fin = fin,
                             .rsv = rsv,
                             .opcode = op,
                             .masked = masked,
                             .mask_key = {op, rsv, 0xAA, (uint8_t)fin}};
          roundtrip(&s, LIT("payload"));
        }
}

Test(roundtrip, lengths_and_forced_forms_grid) {
  static const size_t lens[] = {0, 1, 5, 125, 126, 127, 128, 1000, 65535};
  static uint8_t payload[65535];
  for (size_t i = 0; i < sizeof payload; i++)
    payload[i] = (uint8_t)(i * 13);
  for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
    for (int form = WS_LEN_MINIMAL; form <= WS_LEN_64BIT; form++)
      for (int masked = 0; masked < 2; masked++) {
        ws_frame_spec s = {.fin = true,
                           .opcode = WS_OP_BINARY,
                           .masked = masked,
                           .mask_key = {1, 2, 3, (uint8_t)li},
                           .length_form = (enum ws_length_form)form};
        /* 7-bit values 126/127 announce an extended length, so they do not
         * round-trip; only legal pairs are in the grid. */
        if ((form == WS_LEN_7BIT && lens[li] > 125) ||
            (form == WS_LEN_16BIT && lens[li] > 65535))
          continue;
        cr_assert_gt(ws_frame_header_size(&s, lens[li]), 0);
        roundtrip(&s, payload, lens[li]);
      }
}

/* ---- the encoder's lies and its errors ---- */

Test(encoder, forced_length_forms_bytes) {
  ws_frame_spec s = {
      .fin = true, .opcode = WS_OP_TEXT, .length_form = WS_LEN_16BIT};
  EXPECT_WIRE(encode_ok(&s, "ab", 2), "\x81\x7E\x00\x02\x61\x62");
  s.length_form = WS_LEN_64BIT;
  EXPECT_WIRE(encode_ok(&s, "ab", 2), "\x81\x7F\0\0\0\0\0\0\0\2\x61\x62");
  s.length_form = WS_LEN_7BIT; /* raw 7-bit value 127: announces 64-bit */
  cr_assert_eq(encode_ok(&s, big_payload, 127), 2 + 127);
  cr_assert_eq(enc_buf[1], 127);
}

Test(encoder, lie_length_writes_declared_length) {
  ws_frame_spec s = {.fin = true,
                     .opcode = WS_OP_BINARY,
                     .lie_length = true,
                     .declared_length = 1000};
  EXPECT_WIRE(encode_ok(&s, "xyz", 3), "\x82\x7E\x03\xE8xyz");
  s.declared_length = 0; /* claims empty, yet 3 bytes follow */
  EXPECT_WIRE(encode_ok(&s, "xyz", 3), "\x82\x00xyz");
  s.declared_length = (uint64_t)1 << 63;
  EXPECT_WIRE(encode_ok(&s, NULL, 0), "\x82\x7F\x80\0\0\0\0\0\0\0");
}

Test(encoder, any_rsv_opcode_and_fin) {
  ws_frame_spec s = {.fin = false, .rsv = 7, .opcode = 0xF};
  EXPECT_WIRE(encode_ok(&s, NULL, 0), "\x7F\x00");
  uint8_t hdr[WS_FRAME_MAX_HEADER];
  s.masked = true;
  memcpy(s.mask_key, key_a, 4);
  cr_assert_eq(ws_frame_encode_header(&s, 300, hdr), 8);
  cr_assert_arr_eq(hdr, "\x7F\xFE\x01\x2C\x37\xfa\x21\x3d", 8);
}

Test(encoder, invalid_specs_are_refused) {
  uint8_t hdr[WS_FRAME_MAX_HEADER];
  ws_frame_spec bad_op = {.fin = true, .opcode = 16};
  ws_frame_spec bad_rsv = {.fin = true, .opcode = 1, .rsv = 8};
  ws_frame_spec f7 = {.opcode = 2, .length_form = WS_LEN_7BIT};
  ws_frame_spec f16 = {.opcode = 2, .length_form = WS_LEN_16BIT};
  ws_frame_spec bad_form = {.opcode = 2, .length_form = 9};
  cr_assert_eq(ws_frame_header_size(&bad_op, 0), 0);
  cr_assert_eq(ws_frame_header_size(&bad_rsv, 0), 0);
  cr_assert_eq(ws_frame_header_size(&f7, 200), 0);
  cr_assert_eq(ws_frame_header_size(&f7, 128), 0);
  cr_assert_eq(ws_frame_header_size(&f16, 65536), 0);
  cr_assert_eq(ws_frame_header_size(&bad_form, 0), 0);
  cr_assert_eq(ws_frame_encode_header(&bad_op, 0, hdr), -WS_E_INVALID_ARGUMENT);
  cr_assert_eq(ws_frame_encode_header(&f7, 200, hdr), -WS_E_INVALID_ARGUMENT);
  cr_assert_eq(ws_frame_encode(&bad_rsv, NULL, 0, enc_buf, 100),
               -WS_E_INVALID_ARGUMENT);
  /* A declared length that does not fit the forced form is refused too. */
  f16.lie_length = true;
  f16.declared_length = 65536;
  cr_assert_eq(ws_frame_encode(&f16, NULL, 0, enc_buf, 100),
               -WS_E_INVALID_ARGUMENT);
  ws_frame_spec ok = {.fin = true, .opcode = 1};
  cr_assert_eq(ws_frame_encode(&ok, NULL, 3, enc_buf, 100),
               -WS_E_INVALID_ARGUMENT, "NULL payload with a length");
}

Test(encoder, buffer_too_small) {
  ws_frame_spec s = {.fin = true, .opcode = WS_OP_TEXT, .masked = true};
  uint8_t out[11];
  cr_assert_eq(ws_frame_encode(&s, LIT("Hello"), out, 10),
               -WS_E_BUFFER_TOO_SMALL);
  cr_assert_eq(ws_frame_encode(&s, LIT("Hello"), out, 11), 11);
  cr_assert_eq(ws_frame_encode(&s, NULL, 0, out, 5), -WS_E_BUFFER_TOO_SMALL);
  cr_assert_eq(ws_frame_encode(&s, NULL, 0, out, 6), 6);
}

/* ---- opcodes and init ---- */

Test(opcodes, reserved_set_and_names) {
  static const char *const names[16] = {
      "continuation", "text",        "binary",      "reserved-3",
      "reserved-4",   "reserved-5",  "reserved-6",  "reserved-7",
      "close",        "ping",        "pong",        "reserved-11",
      "reserved-12",  "reserved-13", "reserved-14", "reserved-15"};
  for (unsigned op = 0; op < 256; op++) {
    bool known = op <= 2 || (op >= 8 && op <= 10);
    cr_assert_eq(ws_opcode_is_reserved((uint8_t)op), !known, "opcode %u", op);
    cr_assert_not_null(ws_opcode_name((uint8_t)op));
    if (op < 16)
      cr_assert_str_eq(ws_opcode_name((uint8_t)op), names[op]);
  }
}

Test(opcodes, null_config_is_strict_client) {
  ws_frame_decoder dec;
  ws_frame_decoder_init(&dec, NULL);
  uint8_t in[] = {0x81, 0x00};
  cr_assert_eq(decode_once(&dec, in, 2), -WS_E_UNMASKED_FRAME);
}
