/* Small helpers shared by the fuzz targets: reading parameters off the front
 * of the input, and cutting the rest into chunks whose sizes the fuzzer
 * controls, so resumable parsers see every split of their input.
 *
 * Everything here is static inline and stateless across runs: a target keeps
 * its per-run state on the stack or in heap blocks it frees before returning,
 * so one input's result never depends on the inputs run before it. */
#ifndef WS_FUZZ_COMMON_H
#define WS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/header_values.h"
#include "codec/http.h"

/* An invariant failed: say which one and abort, so libFuzzer records the
 * input as a crash. Unlike assert() this cannot be compiled out. */
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,     \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* The unread part of the input. */
typedef struct fz_input {
  const uint8_t *p;
  size_t n;
} fz_input;

/* One byte from the front; 0 once the input is used up, so short inputs
 * still pick a (default) configuration. */
static inline uint8_t fz_u8(fz_input *in) {
  if (in->n == 0)
    return 0;
  in->n--;
  return *in->p++;
}

static inline uint16_t fz_u16(fz_input *in) {
  uint16_t hi = fz_u8(in);
  return (uint16_t)(hi << 8 | fz_u8(in));
}

static inline uint32_t fz_u32(fz_input *in) {
  uint32_t hi = fz_u16(in);
  return hi << 16 | fz_u16(in);
}

static inline uint64_t fz_u64(fz_input *in) {
  uint64_t hi = fz_u32(in);
  return hi << 32 | fz_u32(in);
}

/* Up to want bytes off the front. */
static inline fz_input fz_take(fz_input *in, size_t want) {
  fz_input out = {in->p, want < in->n ? want : in->n};
  in->p += out.n;
  in->n -= out.n;
  return out;
}

/* An exact-size heap copy (malloc(0) avoided), so ASan flags any read past
 * the end of what a parser was given. The caller frees it. */
static inline uint8_t *fz_dup(const uint8_t *p, size_t n) {
  uint8_t *copy = malloc(n ? n : 1);
  if (!copy)
    abort();
  if (n)
    memcpy(copy, p, n);
  return copy;
}

/* A buffer the chunks of one feed are copied into, each placed flush against
 * its end: a parser reading past the chunk it was given reads past the heap
 * block, which ASan reports, and the feed costs one malloc, not one per
 * chunk (under ASan a malloc per byte would dominate the run time). */
typedef struct fz_scratch {
  uint8_t *p;
  size_t cap;
} fz_scratch;

static inline void fz_scratch_init(fz_scratch *s, size_t cap) {
  s->cap = cap;
  s->p = malloc(cap ? cap : 1);
  if (!s->p)
    abort();
}

/* A copy of src[0..len) ending at the end of the buffer; len <= cap. */
static inline uint8_t *fz_scratch_copy(fz_scratch *s, const uint8_t *src,
                                       size_t len) {
  if (len > s->cap)
    abort();
  uint8_t *dst = s->p + (s->cap - len);
  if (len)
    memcpy(dst, src, len);
  return dst;
}

static inline void fz_scratch_free(fz_scratch *s) {
  free(s->p);
  s->p = NULL;
}

/* How the data is cut into chunks. The sizes come from the fuzzer's own
 * bytes (a fixed size, or a list taken off the END of the input) rather than
 * a PRNG, so a mutation of one size changes one split and nothing else. */
enum fz_chunk_mode {
  FZ_CHUNK_WHOLE, /* one call with everything */
  FZ_CHUNK_BYTES, /* one byte per call: every split point */
  FZ_CHUNK_FIXED, /* `fixed` bytes per call */
  FZ_CHUNK_LIST,  /* sizes from the list, cycled; 0 means "the rest" */
};

typedef struct fz_chunker {
  enum fz_chunk_mode mode;
  size_t fixed;
  const uint8_t *sizes;
  size_t size_count, next;
} fz_chunker;

/* Reads the scheme from the front of *in (2 bytes) and, for FZ_CHUNK_LIST,
 * the size list from its end (at most 16 bytes), leaving the data in *in. */
static inline void fz_chunker_init(fz_chunker *c, fz_input *in) {
  uint8_t mode = fz_u8(in);
  uint8_t param = fz_u8(in);
  memset(c, 0, sizeof *c);
  c->mode = (enum fz_chunk_mode)(mode & 3);
  c->fixed = (size_t)param + 1;
  if (c->mode == FZ_CHUNK_LIST) {
    size_t count = (size_t)(param & 15) + 1;
    if (count > in->n)
      count = in->n;
    c->sizes = in->p + in->n - count;
    c->size_count = count;
    in->n -= count;
    if (count == 0)
      c->mode = FZ_CHUNK_WHOLE;
  }
}

/* The next chunk's length for `left` bytes still to feed: 1..left when left
 * is not 0. */
static inline size_t fz_chunk_next(fz_chunker *c, size_t left) {
  size_t want;
  switch (c->mode) {
  case FZ_CHUNK_BYTES:
    want = 1;
    break;
  case FZ_CHUNK_FIXED:
    want = c->fixed;
    break;
  case FZ_CHUNK_LIST:
    want = c->sizes[c->next++ % c->size_count];
    if (want == 0)
      want = left;
    break;
  default:
    want = left;
    break;
  }
  return want < left ? want : left;
}

/* A growable byte log, for comparing two event sequences. */
typedef struct fz_log {
  uint8_t *p;
  size_t len, cap;
} fz_log;

static inline void fz_log_put(fz_log *log, const void *data, size_t n) {
  if (n > log->cap - log->len) {
    size_t cap = log->cap ? log->cap : 256;
    while (cap - log->len < n)
      cap *= 2;
    uint8_t *grown = realloc(log->p, cap);
    if (!grown)
      abort();
    log->p = grown;
    log->cap = cap;
  }
  if (n)
    memcpy(log->p + log->len, data, n);
  log->len += n;
}

static inline void fz_log_byte(fz_log *log, uint8_t b) {
  fz_log_put(log, &b, 1);
}

static inline void fz_log_u64(fz_log *log, uint64_t v) {
  fz_log_put(log, &v, sizeof v);
}

static inline bool fz_log_equal(const fz_log *a, const fz_log *b) {
  return a->len == b->len && (a->len == 0 || !memcmp(a->p, b->p, a->len));
}

static inline void fz_log_free(fz_log *log) {
  free(log->p);
  memset(log, 0, sizeof *log);
}

/* ---- frames ---- */

/* The violations RFC 6455 5.2 and the decoder's limit say a complete header
 * carries, as a list in the order frame.h documents (which is also the order
 * a STRICT decoder meets them). Written from the RFC, not from frame.c, so
 * the two can disagree. Returns the count; out needs 9 slots. */
static inline size_t fz_frame_violations(const ws_frame_header *h,
                                         const ws_frame_decoder_config *cfg,
                                         uint8_t out[9]) {
  size_t n = 0;
  bool control = (h->opcode & 0x8) != 0;
  bool known = h->opcode <= 2 || (h->opcode >= 8 && h->opcode <= 10);
  if (!known)
    out[n++] = WS_E_RESERVED_OPCODE;
  if (h->rsv & ~cfg->allowed_rsv)
    out[n++] = WS_E_RESERVED_BITS;
  if (control && !h->fin)
    out[n++] = WS_E_CONTROL_FRAGMENTED;
  if (cfg->sender == WS_SENDER_CLIENT && !h->masked)
    out[n++] = WS_E_UNMASKED_FRAME;
  if (cfg->sender == WS_SENDER_SERVER && h->masked)
    out[n++] = WS_E_MASKED_FRAME;
  if (control && h->length > 125)
    out[n++] = WS_E_CONTROL_TOO_LONG;
  if (h->length_size == 8 && (h->length >> 63) != 0)
    out[n++] = WS_E_LENGTH_TOP_BIT;
  if (cfg->max_frame_length != 0 && h->length > cfg->max_frame_length)
    out[n++] = WS_E_FRAME_TOO_BIG;
  /* Only OBSERVE reports it: the MUST binds the sender (frame.h). */
  if (cfg->policy == WS_POLICY_OBSERVE &&
      ((h->length_size == 2 && h->length < 126) ||
       (h->length_size == 8 && h->length < 65536)))
    out[n++] = WS_E_NON_MINIMAL_LENGTH;
  return n;
}

/* The shape every decoded header must have, whatever the bytes were. */
static inline void fz_check_header_shape(const ws_frame_header *h) {
  static const uint8_t zero[4];
  FUZZ_CHECK(h->rsv <= 7 && h->opcode <= 15);
  FUZZ_CHECK(h->length_size == 0 || h->length_size == 2 || h->length_size == 8);
  FUZZ_CHECK(h->header_size == 2 + h->length_size + (h->masked ? 4 : 0));
  FUZZ_CHECK(h->length_size != 0 || h->length <= 125);
  FUZZ_CHECK(h->length_size != 2 || h->length <= 0xffff);
  FUZZ_CHECK(h->masked || !memcmp(h->mask_key, zero, 4));
}

/* ---- HTTP ---- */

static inline void fz_check_span(ws_span s) {
  FUZZ_CHECK(s.ptr != NULL || s.len == 0);
  if (s.ptr) {
    FUZZ_CHECK(s.ptr[s.len] == '\0');
    FUZZ_CHECK(memchr(s.ptr, '\n', s.len) == NULL);
  }
}

static inline bool fz_is_ows(char c) { return c == ' ' || c == '\t'; }

/* What every parsed message must look like. */
static inline void fz_check_http_message(const ws_http_message *m,
                                         size_t max_fields) {
  FUZZ_CHECK(m->version_major == 1);
  FUZZ_CHECK(m->field_count <= max_fields);
  fz_check_span(m->method);
  fz_check_span(m->target);
  fz_check_span(m->reason);
  for (size_t i = 0; i < m->field_count; i++) {
    const ws_http_field *f = &m->fields[i];
    fz_check_span(f->name);
    fz_check_span(f->value);
    FUZZ_CHECK(f->name.len > 0 && ws_is_token(f->name.ptr, f->name.len));
    FUZZ_CHECK(f->value.len == 0 ||
               (!fz_is_ows(f->value.ptr[0]) &&
                !fz_is_ows(f->value.ptr[f->value.len - 1])));
    /* Lookups find what the list holds. */
    FUZZ_CHECK(ws_http_field_count(m, f->name.ptr) >= 1);
    FUZZ_CHECK(ws_http_field_get(m, f->name.ptr, 0) != NULL);
  }
}

#endif
