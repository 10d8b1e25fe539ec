/* Frames, RFC 6455 5.2: a resumable decoder and an encoder that can lie.
 *
 * The decoder is sans-I/O: bytes in, events out. Any split of the input,
 * down to one byte per call, yields the same sequence of events (payload
 * events may be cut differently; their concatenation is the same). It never
 * allocates: payload is handed back as pointers into the caller's buffer,
 * unmasked in place, so a frame that claims 2^63 bytes costs nothing until the
 * bytes arrive.
 *
 * Two policies share the code:
 *  - STRICT (the reference server): the first violation stops decoding;
 *    ws_frame_decode returns -WS_E_x and keeps returning it. The close code
 *    to send is ws_error_close_code(err).
 *  - OBSERVE (the harness, reading a target's bytes): every violation is
 *    reported as a WS_FRAME_VIOLATION event and decoding goes on as if the
 *    frame were legal, so the harness records what the peer did. */
#ifndef WS_FRAME_H
#define WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WS_FRAME_MAX_HEADER 14
#define WS_CONTROL_MAX_PAYLOAD 125

enum ws_opcode {
  WS_OP_CONTINUATION = 0x0,
  WS_OP_TEXT = 0x1,
  WS_OP_BINARY = 0x2,
  WS_OP_CLOSE = 0x8,
  WS_OP_PING = 0x9,
  WS_OP_PONG = 0xA,
};

/* RSV bits as stored in ws_frame_header.rsv (bit 2 = RSV1). */
#define WS_RSV1 0x4
#define WS_RSV2 0x2
#define WS_RSV3 0x1

static inline bool ws_opcode_is_control(uint8_t opcode) {
  return (opcode & 0x8) != 0;
}
/* 3-7 and 0xB-0xF are reserved (RFC 6455 5.2); values over 15 too. */
bool ws_opcode_is_reserved(uint8_t opcode);
/* "text", "close", "reserved-3", ... never NULL. */
const char *ws_opcode_name(uint8_t opcode);

/* Who produced the bytes being decoded. Client frames MUST be masked, server
 * frames MUST NOT be (RFC 6455 5.1). */
enum ws_sender { WS_SENDER_CLIENT, WS_SENDER_SERVER };
enum ws_policy { WS_POLICY_STRICT, WS_POLICY_OBSERVE };

typedef struct ws_frame_header {
  bool fin;
  uint8_t rsv;    /* WS_RSV1 | WS_RSV2 | WS_RSV3 */
  uint8_t opcode; /* 0..15 */
  bool masked;
  uint8_t mask_key[4]; /* zero when !masked */
  uint64_t length;     /* declared payload length, as on the wire */
  uint8_t length_size; /* extended length bytes on the wire: 0, 2 or 8 */
  uint8_t header_size; /* 2..14 */
} ws_frame_header;

typedef struct ws_frame_decoder_config {
  enum ws_sender sender;
  enum ws_policy policy;
  uint8_t allowed_rsv;       /* RSV bits an extension negotiated, else 0 */
  uint64_t max_frame_length; /* 0: no limit; over it: WS_E_FRAME_TOO_BIG */
} ws_frame_decoder_config;

enum ws_frame_event_type {
  WS_FRAME_HEADER = 1, /* header complete; ev.header valid */
  WS_FRAME_PAYLOAD,    /* ev.data/len: unmasked payload bytes at ev.offset */
  WS_FRAME_END,        /* all payload delivered (follows HEADER directly
                          for an empty frame) */
  WS_FRAME_VIOLATION,  /* OBSERVE only: ev.violation is a WS_E_x (positive) */
};

typedef struct ws_frame_event {
  enum ws_frame_event_type type;
  const ws_frame_header *header; /* the current frame; valid for every event
                                    until the next ws_frame_decode call */
  uint8_t *data;                 /* PAYLOAD: points into the caller's buffer */
  size_t len;                    /* PAYLOAD */
  uint64_t offset; /* PAYLOAD: offset of data[0] in the frame payload */
  int violation;   /* VIOLATION */
} ws_frame_event;

/* Embeddable, no heap. Fields below `config` are private. */
typedef struct ws_frame_decoder {
  ws_frame_decoder_config config;
  ws_frame_header header;
  uint8_t header_buf[WS_FRAME_MAX_HEADER];
  uint8_t header_have;
  uint8_t state;
  uint16_t pending_violations; /* bit set of violations still to report */
  uint64_t payload_done;
  int error; /* sticky STRICT error, negative */
} ws_frame_decoder;

void ws_frame_decoder_init(ws_frame_decoder *dec,
                           const ws_frame_decoder_config *config);

/* Decodes from buf[0..len). Unmasks payload IN PLACE (buf is modified).
 * Returns:
 *   1   an event was produced in *ev; *consumed bytes were used (possibly 0:
 *       call again with the rest, buf + *consumed).
 *   0   need more bytes: all of the input was consumed (*consumed == len).
 *   <0  STRICT only: -WS_E_x; the decoder stays failed (same result again).
 *       ws_frame_decoder_header() tells the offending header when known.
 * Header violations are detected as early as the bytes allow (e.g. a reserved
 * opcode or an oversized control frame after the second byte). In STRICT
 * mode a non-minimal length encoding is accepted (RFC 6455 leaves the
 * receiver's behaviour open); OBSERVE reports it as WS_E_NON_MINIMAL_LENGTH
 * because the sender broke a MUST. */
int ws_frame_decode(ws_frame_decoder *dec, uint8_t *buf, size_t len,
                    size_t *consumed, ws_frame_event *ev);

const ws_frame_header *ws_frame_decoder_header(const ws_frame_decoder *dec);

/* ---- encoder ---- */

enum ws_length_form {
  WS_LEN_MINIMAL = 0, /* the RFC's form */
  WS_LEN_7BIT,        /* value written raw in the 7-bit field (must be < 128) */
  WS_LEN_16BIT,       /* 126 + 16-bit length (value must be < 65536) */
  WS_LEN_64BIT,       /* 127 + 64-bit length, any value (top bit included) */
};

/* Well-formed output is the default (zero-initialise, set opcode and fin);
 * every lie is an explicit field. */
typedef struct ws_frame_spec {
  bool fin;
  uint8_t rsv;    /* 0..7 */
  uint8_t opcode; /* 0..15, reserved values allowed */
  bool masked;
  uint8_t mask_key[4];
  enum ws_length_form length_form;
  bool lie_length;          /* write declared_length instead of the real one */
  uint64_t declared_length; /* the length written when lie_length */
} ws_frame_spec;

/* Header size for this spec and payload length, or 0 if the spec is invalid
 * (rsv > 7, opcode > 15, a length that does not fit the forced form). */
size_t ws_frame_header_size(const ws_frame_spec *spec, uint64_t payload_len);

/* Writes the header to out. Returns its size, or -WS_E_INVALID_ARGUMENT. */
ssize_t ws_frame_encode_header(const ws_frame_spec *spec, uint64_t payload_len,
                               uint8_t out[WS_FRAME_MAX_HEADER]);

/* Header plus payload (masked with spec->mask_key when spec->masked) into
 * out[0..cap). Returns bytes written, -WS_E_INVALID_ARGUMENT or
 * -WS_E_BUFFER_TOO_SMALL. payload may be NULL when len is 0. */
ssize_t ws_frame_encode(const ws_frame_spec *spec, const uint8_t *payload,
                        size_t len, uint8_t *out, size_t cap);

#endif
