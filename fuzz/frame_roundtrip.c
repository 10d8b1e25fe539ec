/* Fuzz target: encoder against decoder (codec/frame.h).
 *
 * Input: [flags][opcode/rsv][mask key 4][declared length 8][limit][payload...]
 * A ws_frame_spec and a payload are built from the input and encoded. Then:
 *  - ws_frame_header_size, ws_frame_encode_header and ws_frame_encode agree
 *    on whether the spec is encodable and on the header bytes;
 *  - an OBSERVE decode of the encoding gives back every field of the spec
 *    (fin, rsv, opcode, mask, key, the length written and the length form),
 *    the payload when the length told the truth, and exactly the violations
 *    those fields carry, in order;
 *  - a STRICT decode accepts the frame iff it carries no violation other than
 *    a non-minimal length, and otherwise fails with the first one.
 * The 7-bit form with a value of 126 or 127 is a lie the decoder cannot see
 * through (those values mean "extended length follows"): it is decoded for
 * robustness only. */
#include "fuzz/fuzz_common.h"

#include "codec/errors.h"
#include "codec/frame.h"

#define MAX_PAYLOAD 1024

/* What one decode of the encoding produced. */
typedef struct decoded {
  bool have_header;
  ws_frame_header header;
  uint8_t violations[16];
  size_t violation_count;
  uint8_t payload[MAX_PAYLOAD];
  size_t payload_len;
  bool ended;
  int error;
} decoded;

/* Decodes the first frame of buf[0..len) (unmasking in place). */
static void decode_first(const ws_frame_decoder_config *cfg, uint8_t *buf,
                         size_t len, decoded *out) {
  ws_frame_decoder dec;
  ws_frame_decoder_init(&dec, cfg);
  memset(out, 0, sizeof *out);
  size_t used = 0;
  for (int guard = 0; !out->ended; guard++) {
    FUZZ_CHECK(guard < 64 + MAX_PAYLOAD);
    ws_frame_event ev;
    size_t consumed = 0;
    int rc = ws_frame_decode(&dec, buf + used, len - used, &consumed, &ev);
    used += consumed;
    if (rc < 0) {
      out->error = rc;
      return;
    }
    if (rc == 0)
      return;
    switch (ev.type) {
    case WS_FRAME_HEADER:
      out->have_header = true;
      out->header = *ev.header;
      break;
    case WS_FRAME_VIOLATION:
      FUZZ_CHECK(out->violation_count < sizeof out->violations);
      out->violations[out->violation_count++] = (uint8_t)ev.violation;
      break;
    case WS_FRAME_PAYLOAD:
      FUZZ_CHECK(ev.len <= MAX_PAYLOAD - out->payload_len);
      memcpy(out->payload + out->payload_len, ev.data, ev.len);
      out->payload_len += ev.len;
      break;
    case WS_FRAME_END:
      out->ended = true;
      break;
    }
  }
}

/* The length form a decoder sees for this spec and wire length. */
static uint8_t expected_length_size(const ws_frame_spec *spec, uint64_t v) {
  switch (spec->length_form) {
  case WS_LEN_16BIT:
    return 2;
  case WS_LEN_64BIT:
    return 8;
  default:
    return v < 126 ? 0 : v < 65536 ? 2 : 8;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint8_t flags = fz_u8(&in);
  uint8_t op = fz_u8(&in);
  ws_frame_spec spec = {
      .fin = flags & 1,
      .masked = (flags >> 1) & 1,
      .length_form = (enum ws_length_form)((flags >> 2) & 3),
      .lie_length = (flags >> 4) & 1,
      .opcode = op & 15,
      .rsv = (op >> 4) & 7,
  };
  /* Out-of-range values must be refused, not encoded. */
  if (op & 0x80)
    spec.rsv = (uint8_t)(8 + (op & 7));
  if (flags & 0x80)
    spec.opcode |= 0x10;
  fz_input key = fz_take(&in, 4);
  memcpy(spec.mask_key, key.p, key.n);
  spec.declared_length = fz_u64(&in);
  uint8_t limit = fz_u8(&in);
  fz_input payload = fz_take(&in, MAX_PAYLOAD);

  ws_frame_decoder_config cfg = {
      /* The sender that matches the mask bit, unless flags ask for the
       * other one (then the decoder must report the mask violation). */
      .sender = spec.masked ^ ((flags >> 5) & 1) ? WS_SENDER_CLIENT
                                                 : WS_SENDER_SERVER,
      .policy = WS_POLICY_OBSERVE,
      .allowed_rsv = (flags >> 6) & 1 ? 7 : 0,
      .max_frame_length = limit & 0x80 ? (uint64_t)(limit & 0x7f) * 9 : 0,
  };

  uint64_t wire_len = spec.lie_length ? spec.declared_length : payload.n;
  size_t header_size = ws_frame_header_size(&spec, payload.n);
  uint8_t header[WS_FRAME_MAX_HEADER];
  ssize_t header_rc = ws_frame_encode_header(&spec, payload.n, header);
  size_t cap = WS_FRAME_MAX_HEADER + payload.n;
  uint8_t *out = malloc(cap);
  FUZZ_CHECK(out);
  ssize_t n = ws_frame_encode(&spec, payload.p, payload.n, out, cap);

  bool valid_form = spec.length_form == WS_LEN_MINIMAL ||
                    (spec.length_form == WS_LEN_7BIT && wire_len < 128) ||
                    (spec.length_form == WS_LEN_16BIT && wire_len < 65536) ||
                    spec.length_form == WS_LEN_64BIT;
  if (spec.rsv > 7 || spec.opcode > 15 || !valid_form) {
    FUZZ_CHECK(header_size == 0);
    FUZZ_CHECK(header_rc == -WS_E_INVALID_ARGUMENT);
    FUZZ_CHECK(n == -WS_E_INVALID_ARGUMENT);
    free(out);
    return 0;
  }
  FUZZ_CHECK(header_size >= 2 && header_size <= WS_FRAME_MAX_HEADER);
  FUZZ_CHECK(header_rc == (ssize_t)header_size);
  FUZZ_CHECK(n == (ssize_t)(header_size + payload.n));
  FUZZ_CHECK(!memcmp(out, header, header_size));
  /* One byte short of room is refused, never overflowed. */
  FUZZ_CHECK(ws_frame_encode(&spec, payload.p, payload.n, out,
                             header_size + payload.n - 1) ==
             -WS_E_BUFFER_TOO_SMALL);

  /* Decode a copy of exactly the encoding, twice (decoding unmasks). */
  uint8_t *copy = fz_dup(out, (size_t)n);
  decoded got;
  decode_first(&cfg, copy, (size_t)n, &got);
  free(copy);

  bool decodable = !(spec.length_form == WS_LEN_7BIT && wire_len >= 126);
  if (decodable) {
    FUZZ_CHECK(got.have_header && got.error == 0);
    const ws_frame_header *h = &got.header;
    FUZZ_CHECK(h->fin == spec.fin && h->rsv == spec.rsv &&
               h->opcode == spec.opcode && h->masked == spec.masked);
    FUZZ_CHECK(!spec.masked || !memcmp(h->mask_key, spec.mask_key, 4));
    FUZZ_CHECK(h->length == wire_len);
    FUZZ_CHECK(h->length_size == expected_length_size(&spec, wire_len));
    FUZZ_CHECK(h->header_size == header_size);
    fz_check_header_shape(h);

    uint8_t want[9];
    size_t want_n = fz_frame_violations(h, &cfg, want);
    FUZZ_CHECK(got.violation_count == want_n);
    FUZZ_CHECK(want_n == 0 || !memcmp(got.violations, want, want_n));

    if (wire_len == payload.n) {
      FUZZ_CHECK(got.ended && got.payload_len == payload.n);
      FUZZ_CHECK(payload.n == 0 || !memcmp(got.payload, payload.p, payload.n));
    } else {
      /* A lie: the decoder takes what the header says. */
      FUZZ_CHECK(got.payload_len ==
                 (wire_len < payload.n ? wire_len : payload.n));
      FUZZ_CHECK(got.ended == (wire_len < payload.n));
    }

    /* STRICT: accept iff no violation but a non-minimal length. */
    ws_frame_decoder_config strict = cfg;
    strict.policy = WS_POLICY_STRICT;
    size_t strict_n = fz_frame_violations(h, &strict, want);
    copy = fz_dup(out, (size_t)n);
    decoded st;
    decode_first(&strict, copy, (size_t)n, &st);
    free(copy);
    if (strict_n == 0) {
      FUZZ_CHECK(st.error == 0 && st.have_header);
      FUZZ_CHECK(st.payload_len == got.payload_len && st.ended == got.ended);
    } else {
      FUZZ_CHECK(st.error == -want[0] && !st.have_header);
    }
  }
  free(out);
  return 0;
}
