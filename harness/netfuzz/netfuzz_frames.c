/* Mutations of frames: header lies, payload damage, fragment storms and
 * control frames where they do not belong. */
#include "netfuzz/netfuzz_internal.h"

#include "codec/frame.h"

#include <string.h>

/* When there is no frame to mutate, a small text frame is added. */
static long frame_to_mutate(nf_gen *g) {
  long i = nf_pick(g, nf_is_frame);
  if (i >= 0)
    return i;
  ws_step s = nf_frame(WS_OP_TEXT, (const uint8_t *)"fuzz", 4);
  size_t at = nf_body_start(g);
  return nf_insert(g, at, &s) ? (long)at : -1;
}

/* ---- header lies ---- */

static uint64_t lie_value(nf_gen *g, size_t real) {
  static const uint64_t edges[] = {0,
                                   1,
                                   125,
                                   126,
                                   127,
                                   65535,
                                   65536,
                                   (uint64_t)1 << 31,
                                   (uint64_t)1 << 32,
                                   ((uint64_t)1 << 63) - 1,
                                   (uint64_t)1 << 63,
                                   UINT64_MAX};
  switch (nf_below(g, 4)) {
  case 0:
    return real + 1;
  case 1:
    return real ? real - 1 : 1;
  case 2: {
    /* Two draws, in sequence: operands of one expression are evaluated in
     * an unspecified order, and the input sequence must not depend on the
     * compiler. */
    uint64_t v = ws_prng_next(g->rng);
    return v >> nf_below(g, 64);
  }
  default:
    return edges[nf_below(g, sizeof edges / sizeof *edges)];
  }
}

static void lie_length(nf_gen *g, ws_step *s) {
  ws_step_frame *f = &s->frame;
  f->lie_length = true;
  f->declared_length = lie_value(g, s->payload.len);
  uint64_t d = f->declared_length;
  f->length_form = d > 65535 ? WS_LEN_64BIT
                   : d > 125 ? (nf_chance(g, 50) ? WS_LEN_16BIT : WS_LEN_64BIT)
                             : (uint8_t)nf_below(g, 4);
  nf_note(g, "declared");
}

static void length_form(nf_gen *g, ws_step *s) {
  s->frame.length_form = (uint8_t)(1 + nf_below(g, 3)); /* 7, 16 or 64 */
  nf_note(g, "length-form"); /* normalisation widens one that cannot fit */
}

static void opcode(nf_gen *g, ws_step *s) {
  static const uint8_t reserved[] = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
  s->frame.opcode = nf_chance(g, 60) ? reserved[nf_below(g, sizeof reserved)]
                                     : (uint8_t)nf_below(g, 16);
  nf_note(g, "opcode");
}

static void mask(nf_gen *g, ws_step *s) {
  ws_step_frame *f = &s->frame;
  if (nf_chance(g, 50)) {
    f->mask = WS_MASK_NONE;
  } else {
    f->mask = WS_MASK_FIXED;
    uint64_t k = nf_chance(g, 30) ? 0 : ws_prng_next(g->rng);
    memcpy(f->mask_key, &k, 4);
  }
  nf_note(g, "mask");
}

static void header_once(nf_gen *g, ws_step *s) {
  switch (nf_below(g, 6)) {
  case 0:
    length_form(g, s);
    break;
  case 1:
    lie_length(g, s);
    break;
  case 2:
    s->frame.rsv = (uint8_t)(1 + nf_below(g, 7));
    nf_note(g, "rsv");
    break;
  case 3:
    opcode(g, s);
    break;
  case 4:
    s->frame.fin = !s->frame.fin;
    nf_note(g, "fin");
    break;
  default:
    mask(g, s);
    break;
  }
}

/* Up to three lies stacked on one frame: bugs often need two at once (a
 * reserved opcode and an RSV bit, a lie about a control frame's length). */
void nf_mutate_header(nf_gen *g) {
  long i = frame_to_mutate(g);
  if (i < 0)
    return;
  unsigned n = 1 + (nf_chance(g, 50) ? 1 + (unsigned)nf_below(g, 2) : 0);
  for (unsigned k = 0; k < n; k++)
    header_once(g, &g->v[i]);
}

/* ---- payloads ---- */

/* A private copy of the step's payload, len bytes long (extra bytes are
 * left for the caller to fill). */
static uint8_t *own_payload(nf_gen *g, ws_step *s, size_t len) {
  uint8_t *p = nf_alloc(g, len);
  if (!p)
    return NULL;
  size_t keep = s->payload.len < len ? s->payload.len : len;
  if (keep)
    memcpy(p, s->payload.ptr, keep);
  s->payload.ptr = p;
  s->payload.len = len;
  return p;
}

static void flip_bits(nf_gen *g, ws_step *s) {
  uint8_t *p = own_payload(g, s, s->payload.len);
  if (!p)
    return;
  unsigned flips = 1 + (unsigned)nf_below(g, 8);
  for (unsigned k = 0; k < flips; k++) {
    size_t at = (size_t)nf_below(g, s->payload.len); /* draws in order */
    p[at] ^= (uint8_t)(1u << nf_below(g, 8));
  }
  nf_note(g, "bitflip");
}

static void bad_utf8(nf_gen *g, ws_step *s) {
  static const char *const seqs[] = {"\xc0\xaf",
                                     "\xed\xa0\x80",
                                     "\xf4\x90\x80\x80",
                                     "\xff",
                                     "\x80",
                                     "\xe2\x82",
                                     "\xfe",
                                     "\xc3",
                                     "\xf0\x9f\x98",
                                     "\xef\xbf\xbf\xed",
                                     "\xf8\x88\x80\x80\x80"};
  const char *q = seqs[nf_below(g, sizeof seqs / sizeof *seqs)];
  size_t qn = strlen(q), len = s->payload.len;
  size_t at = (size_t)nf_below(g, len + 1);
  uint8_t *p = nf_alloc(g, len + qn);
  if (!p)
    return;
  memcpy(p, s->payload.ptr, at);
  memcpy(p + at, q, qn);
  memcpy(p + at + qn, s->payload.ptr + at, len - at);
  s->payload.ptr = p;
  s->payload.len = len + qn;
  nf_note(g, "bad-utf8");
}

static void extend(nf_gen *g, ws_step *s) {
  static const size_t edges[] = {125, 126, 127, 128, 65535, 65536};
  size_t old = s->payload.len;
  size_t len = nf_chance(g, 40) ? edges[nf_below(g, 6)]
                                : old + 1 + (size_t)nf_below(g, 300);
  if (len <= old)
    len = old + 1;
  uint8_t *p = own_payload(g, s, len);
  if (!p)
    return;
  if (nf_chance(g, 50))
    ws_prng_fill(g->rng, p + old, len - old);
  else
    memset(p + old, old ? p[old - 1] : '*', len - old);
  nf_note(g, "extend");
}

static bool any_payload_step(const ws_step *s) {
  return s->kind == WS_STEP_FRAME || s->kind == WS_STEP_FRAGMENTED ||
         s->kind == WS_STEP_RAW;
}

void nf_mutate_payload(nf_gen *g) {
  long i = nf_pick(g, nf_has_payload);
  unsigned how = (unsigned)nf_below(g, 4);
  if (i < 0 || how == 3) { /* extending also works on empty payloads */
    i = nf_pick(g, any_payload_step);
    if (i < 0)
      i = frame_to_mutate(g);
    if (i >= 0)
      extend(g, &g->v[i]);
    return;
  }
  ws_step *s = &g->v[i];
  if (how == 0) {
    flip_bits(g, s);
  } else if (how == 1) {
    bad_utf8(g, s);
  } else {
    s->payload.len = (size_t)nf_below(g, s->payload.len);
    nf_note(g, "truncate");
  }
}

/* ---- fragment storms ---- */

/* A data frame cut into many pieces: tiny or empty continuations, up to a
 * few hundred of them. */
void nf_fragment_storm(nf_gen *g) {
  long i = nf_pick(g, nf_is_data_frame);
  if (i < 0)
    i = frame_to_mutate(g);
  if (i < 0)
    return;
  ws_step whole = g->v[i];
  size_t len = whole.payload.len;
  size_t pieces = 2 + (size_t)nf_below(g, nf_chance(g, 30) ? 300 : 16);
  bool empties = nf_chance(g, 40);
  nf_remove(g, (size_t)i);
  size_t off = 0;
  for (size_t k = 0; k < pieces; k++) {
    size_t left = len - off, n = 0;
    if (k + 1 == pieces)
      n = left;
    else if (!empties || nf_chance(g, 20))
      n = left < 3 ? left : (size_t)nf_below(g, left / 2 + 1);
    ws_step f = whole;
    f.frame.opcode = k == 0 ? whole.frame.opcode : WS_OP_CONTINUATION;
    f.frame.fin = k + 1 == pieces ? whole.frame.fin : false;
    f.frame.lie_length = false;
    f.payload.ptr = whole.payload.ptr + off;
    f.payload.len = n;
    if (!nf_insert(g, (size_t)i + k, &f))
      break;
    off += n;
  }
  nf_note(g, "storm");
}

/* ---- control frames in odd places ---- */

void nf_control_odd(nf_gen *g) {
  static const uint8_t ops[] = {WS_OP_PING, WS_OP_PING, WS_OP_PONG,
                                WS_OP_CLOSE};
  static const size_t sizes[] = {0, 1, 2, 125, 126, 127, 200};
  uint8_t op = ops[nf_below(g, sizeof ops)];
  size_t len =
      nf_chance(g, 50) ? sizes[nf_below(g, 7)] : (size_t)nf_below(g, 130);
  uint8_t *p = nf_alloc(g, len);
  if (!p)
    return;
  ws_prng_fill(g->rng, p, len);
  if (op == WS_OP_CLOSE && len >= 2 && nf_chance(g, 50)) {
    p[0] = 0x03; /* a plausible code, so the reason gets parsed */
    p[1] = 0xe8;
  }
  ws_step s = nf_frame(op, p, len);
  if (nf_chance(g, 25))
    s.frame.fin = false; /* a fragmented control frame */
  /* Between the fragments of a message when there is one. */
  long frag = -1;
  for (size_t i = nf_body_start(g); i < g->n && frag < 0; i++)
    if (g->v[i].kind == WS_STEP_FRAME && !g->v[i].frame.fin)
      frag = (long)i + 1;
  size_t start = nf_body_start(g);
  size_t at = frag >= 0 && nf_chance(g, 60)
                  ? (size_t)frag
                  : start + (size_t)nf_below(g, g->n - start + 1);
  unsigned times = nf_chance(g, 15) ? 2 + (unsigned)nf_below(g, 30) : 1;
  for (unsigned k = 0; k < times && nf_insert(g, at, &s); k++)
    ;
  nf_note(g, "control");
}
