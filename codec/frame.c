/* Frames, RFC 6455 5.2: the resumable decoder and the encoder that can lie.
 *
 * Decoder states. A header split across calls is accumulated in header_buf
 * one byte at a time, so every check runs on the same bytes whatever the
 * split of the input, and the checks run as soon as the byte they need has
 * arrived (fail fast). A header that arrives whole, the usual case, runs the
 * same checks in the same order straight from the caller's buffer:
 *
 *   HEAD        collecting the 2..14 header bytes
 *   VIOLATIONS  OBSERVE only: the header is out, violations still to report
 *   PAYLOAD     streaming payload bytes, unmasked in place
 *   END         all payload delivered, END still to report
 *   FAILED      STRICT only: a violation stopped decoding (dec->error)
 *
 * Violations of one header are reported in a fixed order, the order of the
 * checks below, which is also the order of the bytes they depend on:
 *   byte 1:          RESERVED_OPCODE, RESERVED_BITS, CONTROL_FRAGMENTED
 *   byte 2:          UNMASKED_FRAME / MASKED_FRAME, FRAME_TOO_BIG (7-bit
 *                    lengths)
 *   extended length: CONTROL_TOO_LONG, LENGTH_TOP_BIT, FRAME_TOO_BIG,
 *                    NON_MINIMAL_LENGTH
 * STRICT mode stops at the first of them; OBSERVE reports all of them, after
 * the HEADER event, in that order.
 *
 * Events that need no input (pending violations, END) are produced by the
 * next call even with len 0, so a caller loops until ws_frame_decode returns
 * 0 (or an error), not merely until its input is used up. */
#include "codec/frame.h"

#include "codec/errors.h"
#include "codec/mask.h"

#include <limits.h>
#include <string.h>

enum decoder_state {
  ST_HEAD = 0,
  ST_VIOLATIONS,
  ST_PAYLOAD,
  ST_END,
  ST_FAILED,
};

/* pending_violations is a bit set indexed by error code, so every frame
 * violation must fit in its 16 bits. */
_Static_assert(WS_E_FRAME_TOO_BIG < 16 && WS_E_RESERVED_BITS < 16 &&
                   WS_E_RESERVED_OPCODE < 16 && WS_E_UNMASKED_FRAME < 16 &&
                   WS_E_MASKED_FRAME < 16 && WS_E_LENGTH_TOP_BIT < 16 &&
                   WS_E_NON_MINIMAL_LENGTH < 16 && WS_E_CONTROL_TOO_LONG < 16 &&
                   WS_E_CONTROL_FRAGMENTED < 16,
               "frame violations must fit the pending_violations bit set");

/* The documented reporting order (see the comment at the top). */
static const uint8_t violation_order[] = {
    WS_E_RESERVED_OPCODE, WS_E_RESERVED_BITS, WS_E_CONTROL_FRAGMENTED,
    WS_E_UNMASKED_FRAME,  WS_E_MASKED_FRAME,  WS_E_CONTROL_TOO_LONG,
    WS_E_LENGTH_TOP_BIT,  WS_E_FRAME_TOO_BIG, WS_E_NON_MINIMAL_LENGTH,
};

bool ws_opcode_is_reserved(uint8_t opcode) {
  switch (opcode) {
  case WS_OP_CONTINUATION:
  case WS_OP_TEXT:
  case WS_OP_BINARY:
  case WS_OP_CLOSE:
  case WS_OP_PING:
  case WS_OP_PONG:
    return false;
  default:
    return true;
  }
}

const char *ws_opcode_name(uint8_t opcode) {
  static const char *const names[16] = {
      "continuation", "text",        "binary",      "reserved-3",
      "reserved-4",   "reserved-5",  "reserved-6",  "reserved-7",
      "close",        "ping",        "pong",        "reserved-11",
      "reserved-12",  "reserved-13", "reserved-14", "reserved-15",
  };
  return opcode < 16 ? names[opcode] : "invalid";
}

/* ---- decoder ---- */

void ws_frame_decoder_init(ws_frame_decoder *dec,
                           const ws_frame_decoder_config *config) {
  memset(dec, 0, sizeof *dec);
  /* A NULL config means the zero config: client frames, STRICT, no RSV, no
   * length limit. */
  if (config)
    dec->config = *config;
  dec->state = ST_HEAD;
}

const ws_frame_header *ws_frame_decoder_header(const ws_frame_decoder *dec) {
  return &dec->header;
}

/* Records a violation. Returns the error to stop with in STRICT mode, 0 when
 * decoding goes on (OBSERVE). */
static int violate(ws_frame_decoder *dec, int code) {
  if (dec->config.policy == WS_POLICY_STRICT) {
    dec->error = -code;
    dec->state = ST_FAILED;
    return -code;
  }
  dec->pending_violations |= (uint16_t)(1u << code);
  return 0;
}

/* The checks take the header bytes as arguments, not from header_buf: a
 * header that arrives whole is judged straight from the caller's buffer
 * (decode_whole_header), one that arrives in pieces from header_buf. */

/* Only the RSV bits an extension negotiated may be set. */
static int check_byte1(ws_frame_decoder *dec, uint8_t b) {
  ws_frame_header *h = &dec->header;
  int rc;
  h->fin = (b & 0x80) != 0;
  h->rsv = (uint8_t)((b >> 4) & 0x7);
  h->opcode = b & 0x0f;
  h->header_size = 2;
  /* RFC 6455 5.2: If an unknown opcode is received, the receiving endpoint
   * MUST _Fail the WebSocket Connection_. */
  if (ws_opcode_is_reserved(h->opcode) &&
      (rc = violate(dec, WS_E_RESERVED_OPCODE)) < 0)
    return rc;
  /* RFC 6455 5.2: RSV1, RSV2, RSV3: MUST be 0 unless an extension is
   * negotiated that defines meanings for non-zero values. */
  if ((h->rsv & ~dec->config.allowed_rsv) != 0 &&
      (rc = violate(dec, WS_E_RESERVED_BITS)) < 0)
    return rc;
  /* RFC 6455 5.5: All control frames MUST have a payload length of 125 bytes
   * or less and MUST NOT be fragmented. Reserved opcodes 0xB-0xF are control
   * frames too ("reserved for further control frames"). The opcode's
   * control bit (0x08) set and FIN (0x80) clear, tested in one comparison:
   * as two tests the first one's outcome follows the random mix of control
   * and data frames, a mispredicted branch every few frames. */
  if ((b & 0x88) == 0x08 && (rc = violate(dec, WS_E_CONTROL_FRAGMENTED)) < 0)
    return rc;
  return 0;
}

/* Length limit from the configuration, checked as soon as the length is
 * known. */
static int check_limit(ws_frame_decoder *dec) {
  uint64_t max = dec->config.max_frame_length;
  /* RFC 6455 10.4: implementations SHOULD impose a limit on frame size; a
   * frame over it fails the connection with 1009 (RFC 6455 7.4.1). */
  if (max != 0 && dec->header.length > max)
    return violate(dec, WS_E_FRAME_TOO_BIG);
  return 0;
}

static int check_byte2(ws_frame_decoder *dec, uint8_t b) {
  ws_frame_header *h = &dec->header;
  uint8_t len7 = b & 0x7f;
  int rc;
  h->masked = (b & 0x80) != 0;
  h->length = len7;
  h->length_size = len7 == 127 ? 8 : len7 == 126 ? 2 : 0;
  h->header_size = (uint8_t)(2 + h->length_size + (h->masked ? 4 : 0));
  /* RFC 6455 5.1: a client MUST mask all frames that it sends to the server
   * ... The server MUST close the connection upon receiving a frame that is
   * not masked. */
  if (dec->config.sender == WS_SENDER_CLIENT && !h->masked &&
      (rc = violate(dec, WS_E_UNMASKED_FRAME)) < 0)
    return rc;
  /* RFC 6455 5.1: A server MUST NOT mask any frames that it sends to the
   * client. A client MUST close a connection if it detects a masked frame. */
  if (dec->config.sender == WS_SENDER_SERVER && h->masked &&
      (rc = violate(dec, WS_E_MASKED_FRAME)) < 0)
    return rc;
  /* A control frame announcing an extended length (7-bit field 126 or 127)
   * is judged once that length is in: RFC 6455 5.5 limits the payload to 125
   * bytes, and a short payload in a long length field is only a non-minimal
   * encoding, treated as for data frames (check_extended_length). */
  if (h->length_size == 0)
    return check_limit(dec);
  return 0;
}

/* Runs once the extended length bytes (ext[0..length_size)) are all in. */
static int check_extended_length(ws_frame_decoder *dec, const uint8_t *ext) {
  ws_frame_header *h = &dec->header;
  uint64_t v = 0;
  int rc;
  for (unsigned i = 0; i < h->length_size; i++)
    v = (v << 8) | ext[i];
  h->length = v;
  /* RFC 6455 5.5: All control frames MUST have a payload length of 125 bytes
   * or less and MUST NOT be fragmented. */
  if (ws_opcode_is_control(h->opcode) && v > WS_CONTROL_MAX_PAYLOAD &&
      (rc = violate(dec, WS_E_CONTROL_TOO_LONG)) < 0)
    return rc;
  /* RFC 6455 5.2: If 127, the following 8 bytes interpreted as a 64-bit
   * unsigned integer (the most significant bit MUST be 0) are the payload
   * length. */
  if (h->length_size == 8 && (v >> 63) != 0 &&
      (rc = violate(dec, WS_E_LENGTH_TOP_BIT)) < 0)
    return rc;
  if ((rc = check_limit(dec)) < 0)
    return rc;
  /* RFC 6455 5.2: in all cases, the minimal number of bytes MUST be used to
   * encode the length. That binds the sender only; what the receiver does is
   * unspecified, so STRICT accepts the frame and OBSERVE records it. */
  bool non_minimal =
      (h->length_size == 2 && v < 126) || (h->length_size == 8 && v < 65536);
  if (non_minimal && dec->config.policy == WS_POLICY_OBSERVE)
    violate(dec, WS_E_NON_MINIMAL_LENGTH);
  return 0;
}

/* Runs the checks that became possible with the byte just stored at
 * header_buf[header_have - 1]. */
static int on_header_byte(ws_frame_decoder *dec) {
  const ws_frame_header *h = &dec->header;
  if (dec->header_have == 1)
    return check_byte1(dec, dec->header_buf[0]);
  if (dec->header_have == 2)
    return check_byte2(dec, dec->header_buf[1]);
  if (h->length_size != 0 && dec->header_have == 2 + h->length_size)
    return check_extended_length(dec, dec->header_buf + 2);
  return 0;
}

/* Moves header bytes from buf into header_buf until the header is complete
 * or the input runs out. Returns <0 on a STRICT error, else 0; *used tells
 * how many bytes were taken. */
static int take_header(ws_frame_decoder *dec, const uint8_t *buf, size_t len,
                       size_t *used) {
  size_t i = 0;
  int rc = 0;
  /* header_size is 2 until byte 2 arrives, then the full size. */
  while (i < len &&
         (dec->header_have < 2 || dec->header_have < dec->header.header_size)) {
    dec->header_buf[dec->header_have++] = buf[i++];
    if ((rc = on_header_byte(dec)) < 0)
      break;
  }
  *used = i;
  return rc;
}

/* The header is complete: fill in the mask key from header, the header's
 * bytes wherever they are, and pick the next state. */
static void finish_header(ws_frame_decoder *dec, const uint8_t *header) {
  ws_frame_header *h = &dec->header;
  if (h->masked)
    memcpy(h->mask_key, header + 2 + h->length_size, 4);
  dec->payload_done = 0;
  if (dec->pending_violations != 0)
    dec->state = ST_VIOLATIONS;
  else
    dec->state = h->length == 0 ? ST_END : ST_PAYLOAD;
}

static void event_init(ws_frame_decoder *dec, ws_frame_event *ev,
                       enum ws_frame_event_type type) {
  memset(ev, 0, sizeof *ev);
  ev->type = type;
  ev->header = &dec->header;
}

/* A new frame's header lies whole in buf: the same checks in the
 * same order as take_header would run them byte by byte, and on a STRICT
 * error the same bytes consumed (up to the offending one) and header_have,
 * but without copying the header through header_buf a byte at a time, which
 * costs a loop iteration and a dispatch per byte and a mispredicted exit per
 * header. */
static int decode_whole_header(ws_frame_decoder *dec, const uint8_t *buf,
                               size_t *consumed) {
  const ws_frame_header *h = &dec->header;
  int rc;
  dec->header_have = 1;
  *consumed = 1;
  if ((rc = check_byte1(dec, buf[0])) < 0)
    return rc;
  dec->header_have = 2;
  *consumed = 2;
  if ((rc = check_byte2(dec, buf[1])) < 0)
    return rc;
  if (h->length_size != 0) {
    dec->header_have = (uint8_t)(2 + h->length_size);
    *consumed = dec->header_have;
    if ((rc = check_extended_length(dec, buf + 2)) < 0)
      return rc;
  }
  dec->header_have = h->header_size;
  *consumed = h->header_size;
  finish_header(dec, buf);
  return 0;
}

/* Header bytes on the wire, known from the second byte: 2, the extended
 * length (2 or 8 bytes for a 7-bit field of 126 or 127) and the mask key. */
static size_t header_size_from_byte2(uint8_t b) {
  uint8_t len7 = b & 0x7f;
  return 2 + (len7 == 127 ? 8 : len7 == 126 ? 2 : 0) + (b & 0x80 ? 4 : 0);
}

static int decode_head(ws_frame_decoder *dec, uint8_t *buf, size_t len,
                       size_t *consumed, ws_frame_event *ev) {
  int rc;
  if (dec->header_have == 0) {
    /* A new frame: forget everything about the previous one. */
    memset(&dec->header, 0, sizeof dec->header);
    dec->pending_violations = 0;
    /* The usual case: the whole header is in this call's input. */
    if (len >= 2 && len >= header_size_from_byte2(buf[1])) {
      if ((rc = decode_whole_header(dec, buf, consumed)) < 0)
        return rc;
      event_init(dec, ev, WS_FRAME_HEADER);
      return 1;
    }
  }
  rc = take_header(dec, buf, len, consumed);
  if (rc < 0)
    return rc;
  if (dec->header_have < 2 || dec->header_have < dec->header.header_size)
    return 0; /* all input consumed, header still incomplete */
  finish_header(dec, dec->header_buf);
  event_init(dec, ev, WS_FRAME_HEADER);
  return 1;
}

/* Reports the first pending violation in the documented order. */
static int decode_violation(ws_frame_decoder *dec, ws_frame_event *ev) {
  for (size_t i = 0; i < sizeof violation_order; i++) {
    uint8_t code = violation_order[i];
    if ((dec->pending_violations & (1u << code)) == 0)
      continue;
    dec->pending_violations &= (uint16_t) ~(1u << code);
    event_init(dec, ev, WS_FRAME_VIOLATION);
    ev->violation = code;
    break;
  }
  if (dec->pending_violations == 0)
    dec->state = dec->header.length == 0 ? ST_END : ST_PAYLOAD;
  return 1;
}

static int decode_payload(ws_frame_decoder *dec, uint8_t *buf, size_t len,
                          size_t *consumed, ws_frame_event *ev) {
  const ws_frame_header *h = &dec->header;
  uint64_t left = h->length - dec->payload_done;
  size_t n = left < len ? (size_t)left : len;
  if (n == 0)
    return 0;
  if (h->masked)
    ws_mask(buf, n, h->mask_key, dec->payload_done);
  event_init(dec, ev, WS_FRAME_PAYLOAD);
  ev->data = buf;
  ev->len = n;
  ev->offset = dec->payload_done;
  dec->payload_done += n;
  *consumed = n;
  if (dec->payload_done == h->length)
    dec->state = ST_END;
  return 1;
}

int ws_frame_decode(ws_frame_decoder *dec, uint8_t *buf, size_t len,
                    size_t *consumed, ws_frame_event *ev) {
  *consumed = 0;
  switch (dec->state) {
  case ST_HEAD:
    return decode_head(dec, buf, len, consumed, ev);
  case ST_VIOLATIONS:
    return decode_violation(dec, ev);
  case ST_PAYLOAD:
    return decode_payload(dec, buf, len, consumed, ev);
  case ST_END:
    event_init(dec, ev, WS_FRAME_END);
    dec->state = ST_HEAD;
    dec->header_have = 0;
    return 1;
  default:
    return dec->error;
  }
}

/* ---- encoder ---- */

/* Extended length bytes for the spec's form, or -1 if the wire length does
 * not fit the forced form. */
static int length_size_for(const ws_frame_spec *spec, uint64_t wire_len) {
  switch (spec->length_form) {
  case WS_LEN_MINIMAL:
    return wire_len < 126 ? 0 : wire_len < 65536 ? 2 : 8;
  case WS_LEN_7BIT:
    return wire_len < 128 ? 0 : -1;
  case WS_LEN_16BIT:
    return wire_len < 65536 ? 2 : -1;
  case WS_LEN_64BIT:
    return 8;
  default:
    return -1;
  }
}

static uint64_t wire_length(const ws_frame_spec *spec, uint64_t payload_len) {
  return spec->lie_length ? spec->declared_length : payload_len;
}

size_t ws_frame_header_size(const ws_frame_spec *spec, uint64_t payload_len) {
  if (!spec || spec->rsv > 7 || spec->opcode > 15)
    return 0;
  int ext = length_size_for(spec, wire_length(spec, payload_len));
  if (ext < 0)
    return 0;
  return 2 + (size_t)ext + (spec->masked ? 4 : 0);
}

ssize_t ws_frame_encode_header(const ws_frame_spec *spec, uint64_t payload_len,
                               uint8_t out[WS_FRAME_MAX_HEADER]) {
  size_t size = ws_frame_header_size(spec, payload_len);
  if (size == 0 || !out)
    return -WS_E_INVALID_ARGUMENT;
  uint64_t v = wire_length(spec, payload_len);
  int ext = length_size_for(spec, v);
  out[0] = (uint8_t)((spec->fin ? 0x80 : 0) | (spec->rsv << 4) | spec->opcode);
  uint8_t len7 = ext == 8 ? 127 : ext == 2 ? 126 : (uint8_t)v;
  out[1] = (uint8_t)((spec->masked ? 0x80 : 0) | len7);
  /* Network byte order (RFC 6455 5.2). */
  for (int i = 0; i < ext; i++)
    out[2 + i] = (uint8_t)(v >> (8 * (ext - 1 - i)));
  if (spec->masked)
    memcpy(out + 2 + ext, spec->mask_key, 4);
  return (ssize_t)size;
}

ssize_t ws_frame_encode(const ws_frame_spec *spec, const uint8_t *payload,
                        size_t len, uint8_t *out, size_t cap) {
  size_t hs = ws_frame_header_size(spec, len);
  if (hs == 0 || (len > 0 && !payload))
    return -WS_E_INVALID_ARGUMENT;
  if (len > SIZE_MAX - hs || (size_t)SSIZE_MAX < hs + len)
    return -WS_E_INVALID_ARGUMENT;
  if (!out || cap < hs + len)
    return -WS_E_BUFFER_TOO_SMALL;
  uint8_t header[WS_FRAME_MAX_HEADER];
  ws_frame_encode_header(spec, len, header);
  memcpy(out, header, hs);
  if (len == 0)
    return (ssize_t)hs;
  if (spec->masked)
    ws_mask_copy(out + hs, payload, len, spec->mask_key, 0);
  else
    memcpy(out + hs, payload, len);
  return (ssize_t)(hs + len);
}
