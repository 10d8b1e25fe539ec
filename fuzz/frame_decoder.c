/* Fuzz target: the resumable frame decoder (codec/frame.h).
 *
 * Input: [config 2 bytes][chunk scheme 2 bytes][frame bytes...][chunk sizes]
 * The frame bytes are decoded twice, in chunks (each chunk an exact-size heap
 * copy, so a read past a chunk is an ASan error) and whole. Invariants:
 *  - both feeds give the same events: headers, violations, the concatenated
 *    payload of each frame, ends, and the same STRICT error (frame.h: "any
 *    split of the input ... yields the same sequence of events");
 *  - every header has a consistent shape, payload offsets run 0..length and
 *    END comes when they reach it, payload points into the caller's buffer;
 *  - OBSERVE reports exactly the violations the header carries, in the
 *    documented order; STRICT never hands out a header that breaks a rule,
 *    and an error is sticky;
 *  - a return of 0 consumed everything, and the decoder always progresses. */
#include "fuzz/fuzz_common.h"

#include "codec/errors.h"
#include "codec/frame.h"

/* Per-feed bookkeeping beyond the log. */
typedef struct feed {
  ws_frame_decoder dec;
  fz_log log;
  size_t payload_rec; /* log offset of the open payload record's length, or
                         SIZE_MAX when the last record was not payload */
  bool in_frame;
  uint64_t offset; /* payload bytes of the current frame so far */
  uint8_t violations[16];
  size_t violation_count;
  int error; /* STRICT error, negative; 0 while decoding */
} feed;

/* The header's violations are all in once the next non-violation event
 * arrives: compare them with what the header carries. */
static void check_violations(feed *f) {
  uint8_t want[9];
  size_t n = fz_frame_violations(&f->dec.header, &f->dec.config, want);
  if (f->dec.config.policy == WS_POLICY_STRICT) {
    FUZZ_CHECK(n == 0);
    return;
  }
  FUZZ_CHECK(f->violation_count == n);
  FUZZ_CHECK(n == 0 || !memcmp(f->violations, want, n));
}

static void record(feed *f, const ws_frame_event *ev, const uint8_t *buf,
                   size_t len) {
  const ws_frame_header *h = ev->header;
  FUZZ_CHECK(h == ws_frame_decoder_header(&f->dec));
  if (ev->type != WS_FRAME_PAYLOAD)
    f->payload_rec = SIZE_MAX;
  if (ev->type != WS_FRAME_VIOLATION && ev->type != WS_FRAME_HEADER &&
      f->in_frame && f->violation_count != SIZE_MAX) {
    check_violations(f);
    f->violation_count = SIZE_MAX; /* checked for this frame */
  }
  switch (ev->type) {
  case WS_FRAME_HEADER:
    FUZZ_CHECK(!f->in_frame);
    fz_check_header_shape(h);
    f->in_frame = true;
    f->offset = 0;
    f->violation_count = 0;
    fz_log_byte(&f->log, 'H');
    fz_log_byte(&f->log, (uint8_t)(h->fin | h->rsv << 1 | h->masked << 4));
    fz_log_byte(&f->log, h->opcode);
    fz_log_put(&f->log, h->mask_key, 4);
    fz_log_u64(&f->log, h->length);
    fz_log_byte(&f->log, h->length_size);
    break;
  case WS_FRAME_VIOLATION:
    FUZZ_CHECK(f->in_frame && f->offset == 0);
    FUZZ_CHECK(f->dec.config.policy == WS_POLICY_OBSERVE);
    FUZZ_CHECK(ev->violation > 0 && ev->violation < WS_E__COUNT);
    FUZZ_CHECK(f->violation_count < sizeof f->violations);
    f->violations[f->violation_count++] = (uint8_t)ev->violation;
    fz_log_byte(&f->log, 'V');
    fz_log_byte(&f->log, (uint8_t)ev->violation);
    break;
  case WS_FRAME_PAYLOAD:
    FUZZ_CHECK(f->in_frame && ev->len > 0);
    FUZZ_CHECK(ev->offset == f->offset && ev->len <= h->length - f->offset);
    FUZZ_CHECK(ev->data >= buf && ev->data + ev->len <= buf + len);
    f->offset += ev->len;
    /* Payload events may be cut differently: merge runs of them. */
    if (f->payload_rec == SIZE_MAX) {
      fz_log_byte(&f->log, 'P');
      f->payload_rec = f->log.len;
      fz_log_u64(&f->log, 0);
    }
    uint64_t total;
    memcpy(&total, f->log.p + f->payload_rec, sizeof total);
    total += ev->len;
    memcpy(f->log.p + f->payload_rec, &total, sizeof total);
    fz_log_put(&f->log, ev->data, ev->len);
    break;
  case WS_FRAME_END:
    FUZZ_CHECK(f->in_frame && f->offset == h->length);
    f->in_frame = false;
    fz_log_byte(&f->log, 'E');
    break;
  default:
    FUZZ_CHECK(!"unknown event type");
  }
}

/* Decodes one chunk to exhaustion. */
static void feed_chunk(feed *f, uint8_t *buf, size_t len) {
  size_t used = 0;
  /* Each event either consumes bytes or is one of the few a header can
   * produce without input (9 violations, END): bound the loop so a decoder
   * that stops making progress is a crash, not a hang. */
  size_t budget = 16 * (len + 1);
  while (f->error == 0) {
    FUZZ_CHECK(budget-- > 0);
    ws_frame_event ev;
    size_t consumed = SIZE_MAX;
    int rc = ws_frame_decode(&f->dec, buf + used, len - used, &consumed, &ev);
    FUZZ_CHECK(consumed <= len - used);
    if (rc < 0) {
      FUZZ_CHECK(f->dec.config.policy == WS_POLICY_STRICT);
      FUZZ_CHECK(-rc > 0 && -rc < WS_E__COUNT);
      f->error = rc;
      fz_log_byte(&f->log, 'X');
      fz_log_byte(&f->log, (uint8_t)-rc);
      /* Sticky: the same error again, nothing consumed. */
      uint8_t more = 0x81;
      FUZZ_CHECK(ws_frame_decode(&f->dec, &more, 1, &consumed, &ev) == rc);
      FUZZ_CHECK(consumed == 0);
      return;
    }
    if (rc == 0) {
      FUZZ_CHECK(consumed == len - used);
      return;
    }
    FUZZ_CHECK(rc == 1);
    record(f, &ev, buf + used, len - used);
    used += consumed;
  }
}

static void feed_init(feed *f, const ws_frame_decoder_config *cfg) {
  memset(f, 0, sizeof *f);
  ws_frame_decoder_init(&f->dec, cfg);
  f->payload_rec = SIZE_MAX;
  f->violation_count = SIZE_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint8_t flags = fz_u8(&in);
  uint8_t limit = fz_u8(&in);
  static const uint64_t limits[] = {
      0, 1, 125, 126, 127, 65535, 65536, UINT64_MAX >> 1, UINT64_MAX,
  };
  ws_frame_decoder_config cfg = {
      .sender = flags & 1 ? WS_SENDER_SERVER : WS_SENDER_CLIENT,
      .policy = flags & 2 ? WS_POLICY_OBSERVE : WS_POLICY_STRICT,
      .allowed_rsv = (flags >> 2) & 7,
      .max_frame_length = limit < 16 ? limits[limit % 9] : limit,
  };
  fz_chunker chunker;
  fz_chunker_init(&chunker, &in);

  feed chunked, whole;
  fz_scratch scratch;
  fz_scratch_init(&scratch, in.n);
  feed_init(&chunked, &cfg);
  for (size_t off = 0; off < in.n;) {
    size_t n = fz_chunk_next(&chunker, in.n - off);
    feed_chunk(&chunked, fz_scratch_copy(&scratch, in.p + off, n), n);
    off += n;
  }
  /* Events that need no input (END of an empty frame, violations) come out
   * of a call with no bytes; feed_chunk already drained them. */
  feed_init(&whole, &cfg);
  feed_chunk(&whole, fz_scratch_copy(&scratch, in.p, in.n), in.n);
  fz_scratch_free(&scratch);

  FUZZ_CHECK(chunked.error == whole.error);
  FUZZ_CHECK(fz_log_equal(&chunked.log, &whole.log));
  fz_log_free(&chunked.log);
  fz_log_free(&whole.log);
  return 0;
}
