/* Fuzz target: our frame decoder against libwslay's (wslay_frame_recv), on
 * the same bytes, as a server reads them (client frames, normally masked).
 *
 * Input: [chunk scheme 2 bytes][frame bytes...][chunk sizes]
 * Our decoder runs in OBSERVE mode, so it goes on through violations the way
 * wslay's frame layer does; wslay gets the bytes through its recv callback in
 * chunks. Where both complete a frame they must agree on fin, rsv, opcode,
 * mask bit, length and payload (both unmask).
 *
 * Policy differences allowed (wslay's frame layer is deliberately lax; its
 * event layer applies the rest):
 *  - wslay accepts what our STRICT decoder rejects and OBSERVE reports: RSV
 *    bits, reserved opcodes, an unmasked client frame. Those frames must
 *    still decode identically.
 *  - wslay stops with WSLAY_ERR_PROTO on a fragmented control frame, a
 *    control frame over 125 bytes (opcodes 0x8-0xF, as ours), a non-minimal
 *    length, or a 64-bit length with the top bit set. Our OBSERVE decoder
 *    must have flagged that frame with the matching violation (our STRICT
 *    decoder accepts a non-minimal length: RFC 6455 leaves the receiver's
 *    behaviour open). Any other wslay error is a disagreement.
 *  - wslay stops at its first error; we compare the frames before it. */
#include "fuzz/fuzz_common.h"

#include "codec/errors.h"
#include "codec/frame.h"

#include <wslay/wslay.h>

/* Frames we compare, and how many bytes of payload we keep per frame. */
#define MAX_FRAMES 64

typedef struct frame_rec {
  bool fin, masked;
  uint8_t rsv, opcode;
  uint64_t length;
  uint64_t payload_len; /* bytes seen so far */
  uint64_t payload_hash;
  bool complete;
  uint16_t violations; /* bit set of WS_E_x (ours only) */
} frame_rec;

typedef struct frames {
  frame_rec f[MAX_FRAMES];
  size_t count; /* headers seen */
} frames;

/* FNV-1a over the payload, so frames of any length compare in O(1) memory. */
static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}
#define HASH_INIT 0xcbf29ce484222325ull

static void decode_ours(uint8_t *buf, size_t len, frames *out) {
  ws_frame_decoder_config cfg = {.sender = WS_SENDER_CLIENT,
                                 .policy = WS_POLICY_OBSERVE};
  ws_frame_decoder dec;
  ws_frame_decoder_init(&dec, &cfg);
  size_t used = 0;
  frame_rec *cur = NULL;
  for (size_t guard = 0;; guard++) {
    FUZZ_CHECK(guard < 16 * (len + 1));
    ws_frame_event ev;
    size_t consumed = 0;
    int rc = ws_frame_decode(&dec, buf + used, len - used, &consumed, &ev);
    FUZZ_CHECK(rc >= 0); /* OBSERVE never fails */
    used += consumed;
    if (rc == 0)
      return;
    if (ev.type == WS_FRAME_HEADER) {
      if (out->count == MAX_FRAMES)
        return;
      cur = &out->f[out->count++];
      memset(cur, 0, sizeof *cur);
      cur->fin = ev.header->fin;
      cur->masked = ev.header->masked;
      cur->rsv = ev.header->rsv;
      cur->opcode = ev.header->opcode;
      cur->length = ev.header->length;
      cur->payload_hash = HASH_INIT;
    } else if (ev.type == WS_FRAME_VIOLATION) {
      cur->violations |= (uint16_t)(1u << ev.violation);
    } else if (ev.type == WS_FRAME_PAYLOAD) {
      cur->payload_hash = hash_bytes(cur->payload_hash, ev.data, ev.len);
      cur->payload_len += ev.len;
    } else if (ev.type == WS_FRAME_END) {
      cur->complete = true;
    }
  }
}

/* wslay pulls its input through this callback. */
typedef struct source {
  const uint8_t *p;
  size_t n;
  fz_chunker chunker;
} source;

static ssize_t recv_cb(uint8_t *buf, size_t len, int flags, void *user) {
  (void)flags;
  source *src = user;
  if (src->n == 0)
    return WSLAY_ERR_WANT_READ;
  size_t n = fz_chunk_next(&src->chunker, src->n);
  if (n > len)
    n = len;
  memcpy(buf, src->p, n);
  src->p += n;
  src->n -= n;
  return (ssize_t)n;
}

static ssize_t send_cb(const uint8_t *data, size_t len, int flags, void *user) {
  (void)data, (void)len, (void)flags, (void)user;
  return WSLAY_ERR_INVALID_CALLBACK; /* never sends */
}

static int genmask_cb(uint8_t *buf, size_t len, void *user) {
  (void)user;
  memset(buf, 0, len);
  return 0;
}

/* Returns wslay's terminal error (WSLAY_ERR_WANT_READ when it simply ran out
 * of input). */
static int decode_wslay(source *src, frames *out) {
  struct wslay_frame_callbacks cbs = {send_cb, recv_cb, genmask_cb};
  wslay_frame_context_ptr ctx;
  FUZZ_CHECK(wslay_frame_context_init(&ctx, &cbs, src) == 0);
  frame_rec *cur = NULL;
  int result = WSLAY_ERR_WANT_READ;
  for (size_t guard = 0;; guard++) {
    FUZZ_CHECK(guard < 1000000);
    struct wslay_frame_iocb iocb;
    memset(&iocb, 0, sizeof iocb);
    ssize_t r = wslay_frame_recv(ctx, &iocb);
    if (r == WSLAY_ERR_WANT_READ) {
      if (src->n == 0)
        break;
      continue;
    }
    if (r < 0) {
      result = (int)r;
      break;
    }
    /* A new frame starts when no frame is open. */
    if (cur == NULL || cur->complete) {
      if (out->count == MAX_FRAMES)
        break;
      cur = &out->f[out->count++];
      memset(cur, 0, sizeof *cur);
      cur->fin = iocb.fin;
      cur->masked = iocb.mask;
      cur->rsv = iocb.rsv;
      cur->opcode = iocb.opcode;
      cur->length = iocb.payload_length;
      cur->payload_hash = HASH_INIT;
    } else {
      /* Every chunk of one frame repeats its header. */
      FUZZ_CHECK(iocb.fin == cur->fin && iocb.rsv == cur->rsv &&
                 iocb.opcode == cur->opcode &&
                 iocb.payload_length == cur->length);
    }
    FUZZ_CHECK((size_t)r == iocb.data_length);
    cur->payload_hash =
        hash_bytes(cur->payload_hash, iocb.data, iocb.data_length);
    cur->payload_len += iocb.data_length;
    FUZZ_CHECK(cur->payload_len <= cur->length);
    if (cur->payload_len == cur->length)
      cur->complete = true;
  }
  wslay_frame_context_free(ctx);
  return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  source src;
  fz_chunker_init(&src.chunker, &in);
  src.p = in.p;
  src.n = in.n;

  frames *ours = calloc(1, sizeof *ours);
  frames *theirs = calloc(1, sizeof *theirs);
  FUZZ_CHECK(ours && theirs);
  uint8_t *copy = fz_dup(in.p, in.n);
  decode_ours(copy, in.n, ours);
  free(copy);
  int wslay_rc = decode_wslay(&src, theirs);

  /* Frames both saw a header of must agree field by field, and on the
   * payload where both completed them. */
  size_t both = ours->count < theirs->count ? ours->count : theirs->count;
  for (size_t i = 0; i < both; i++) {
    const frame_rec *a = &ours->f[i], *b = &theirs->f[i];
    FUZZ_CHECK(a->fin == b->fin && a->rsv == b->rsv && a->opcode == b->opcode &&
               a->masked == b->masked && a->length == b->length);
    if (a->complete && b->complete)
      FUZZ_CHECK(a->payload_hash == b->payload_hash);
  }
  if (wslay_rc == WSLAY_ERR_WANT_READ) {
    /* wslay read everything: it saw as many frames as we did and completed
     * the same ones (unless the frame table filled up). */
    if (ours->count < MAX_FRAMES && theirs->count < MAX_FRAMES) {
      /* wslay reports a header with its first payload bytes: a last frame
       * of ours with none of its payload yet is one wslay has not shown. */
      if (ours->count == theirs->count + 1)
        FUZZ_CHECK(!ours->f[ours->count - 1].complete &&
                   ours->f[ours->count - 1].payload_len == 0);
      else
        FUZZ_CHECK(ours->count == theirs->count);
      for (size_t i = 0; i < both; i++)
        FUZZ_CHECK(ours->f[i].complete == theirs->f[i].complete);
    }
  } else {
    /* The only error wslay may raise on bytes we read is a length we flag:
     * it fails at frame number theirs->count (its header never came out). */
    FUZZ_CHECK(wslay_rc == WSLAY_ERR_PROTO);
    size_t k = theirs->count;
    if (k < ours->count) {
      uint16_t allowed =
          (uint16_t)(1u << WS_E_NON_MINIMAL_LENGTH | 1u << WS_E_LENGTH_TOP_BIT |
                     1u << WS_E_CONTROL_FRAGMENTED |
                     1u << WS_E_CONTROL_TOO_LONG);
      FUZZ_CHECK((ours->f[k].violations & allowed) != 0);
    }
  }
  free(ours);
  free(theirs);
  return 0;
}
