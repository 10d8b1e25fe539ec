/* Messages, RFC 6455 5.4-5.6 and 7: reassembly of fragments, control frames
 * between fragments, UTF-8 of text messages, close payload rules, and the
 * open/closing/closed state machine.
 *
 * Two entry points: ws_message_read() decodes bytes (it owns a frame decoder)
 * for callers that want whole messages; ws_message_on_frame() takes frame
 * events from a decoder the caller drives itself (the harness, which also
 * records every frame). Same STRICT/OBSERVE policies as frame.h.
 *
 * Memory: control payloads live in a fixed 125-byte array; data messages in a
 * heap buffer (ws_malloc) that grows with the message, is capped at
 * max_message and is released after each message is delivered, so an idle
 * reader holds no heap memory. */
#ifndef WS_MESSAGE_H
#define WS_MESSAGE_H

#include "codec/frame.h"
#include "codec/utf8.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_DEFAULT_MAX_MESSAGE ((size_t)64 << 20)
#define WS_DEFAULT_MAX_FRAGMENTS (1u << 20)

/* The closing handshake as seen from one endpoint (RFC 6455 7.1). */
enum ws_state {
  WS_STATE_OPEN,
  WS_STATE_CLOSE_SENT,     /* we sent close, waiting for the peer's */
  WS_STATE_CLOSE_RECEIVED, /* peer sent close, we have not answered yet */
  WS_STATE_CLOSED,         /* both closes exchanged */
};
enum ws_state ws_state_after_send_close(enum ws_state s);
enum ws_state ws_state_after_receive_close(enum ws_state s);
/* RFC 6455 5.5.1: no data frames after sending a close. */
bool ws_state_may_send_data(enum ws_state s);
const char *ws_state_name(enum ws_state s);

typedef struct ws_message_config {
  enum ws_sender sender;
  enum ws_policy policy;
  uint8_t allowed_rsv;    /* RSV bits an extension negotiated */
  size_t max_message;     /* 0: WS_DEFAULT_MAX_MESSAGE; also caps a frame */
  uint32_t max_fragments; /* 0: WS_DEFAULT_MAX_FRAGMENTS */
  /* Added after the first contract (false keeps the old behaviour):
   * permessage-deflate was negotiated. RSV1 is then allowed (as if in
   * allowed_rsv) on the first frame of a data message, where it marks the
   * message compressed (RFC 7692 6), and is a violation on a continuation
   * or a control frame (RFC 7692 6.1: WS_E_RSV1_ON_CONTINUATION,
   * WS_E_RSV1_ON_CONTROL, 1002). */
  bool permessage_deflate;
  /* Also added later (NULL: nothing happens): called with every frame's
   * header as soon as it is decoded, before its payload, for a caller that
   * looks at what the message events do not carry (the harness playing the
   * server checks the client's masking keys). */
  void (*on_frame_header)(void *ctx, const ws_frame_header *header);
  void *on_frame_header_ctx;
} ws_message_config;

enum ws_message_event_type {
  WS_MSG_TEXT = 1, /* complete text message, valid UTF-8 in STRICT mode */
  WS_MSG_BINARY,
  WS_MSG_PING,
  WS_MSG_PONG,
  WS_MSG_CLOSE,     /* close_code, close_reason; state is updated */
  WS_MSG_VIOLATION, /* OBSERVE only: violation is a WS_E_x (positive) */
};

typedef struct ws_message_event {
  enum ws_message_event_type type;
  /* TEXT/BINARY: the whole message; PING/PONG/CLOSE: the raw payload. Owned
   * by the reader, valid until the next call on it. */
  const uint8_t *data;
  size_t len;
  uint32_t fragments;  /* TEXT/BINARY: frames the message came in */
  bool truncated;      /* OBSERVE: over max_message; data holds the first
                          max_message bytes (len of them), full_len the full
                          length */
  uint16_t close_code; /* CLOSE: WS_CLOSE_NO_STATUS for an empty payload */
  const uint8_t *close_reason;
  size_t close_reason_len;
  int violation; /* VIOLATION */
  /* Additions after the first contract (backwards compatible): */
  uint64_t full_len; /* TEXT/BINARY: the message's length on the wire; equals
                        len unless truncated */
  bool compressed;   /* TEXT/BINARY: the first frame had RSV1 and RSV1 is in
                        allowed_rsv (permessage-deflate): data is compressed
                        and was NOT checked as UTF-8; the inflater must */
} ws_message_event;

/* Embeddable; fields are private. */
typedef struct ws_message_reader {
  ws_message_config config;
  ws_frame_decoder decoder;
  enum ws_state state;
  uint8_t message_opcode; /* TEXT/BINARY while a message is in progress,
                             else 0 */
  uint8_t frame_opcode;   /* opcode of the frame being read */
  bool frame_is_data;
  bool skip_frame; /* OBSERVE: frame's payload is not collected */
  uint32_t fragments;
  ws_utf8_validator utf8;
  uint8_t *buf; /* data message being assembled (heap) */
  size_t buf_len, buf_cap;
  uint64_t message_len; /* may exceed buf_len when truncated */
  uint8_t control[WS_CONTROL_MAX_PAYLOAD];
  size_t control_len;
  int error; /* sticky error, negative */
  /* OBSERVE: one frame event can raise several things to report (a frame
   * after close, a fragmentation rule, two limits, then the message itself).
   * They are queued here, violations first, and handed out one per call. */
  uint8_t pending_violations[4]; /* WS_E_x, oldest first */
  uint8_t pending_count;
  bool has_deferred;         /* `deferred` is still to be returned */
  ws_message_event deferred; /* a completed message/control event */
  bool release_buf;          /* buf was delivered: free it on the next call */
  bool close_received;       /* a close frame arrived (either policy) */
  bool after_close_reported; /* OBSERVE: WS_E_FRAME_AFTER_CLOSE given */
  bool utf8_reported;        /* OBSERVE: this message's UTF-8 error given */
  bool too_big_reported;     /* OBSERVE: this message's size error given */
  bool fragments_reported;   /* OBSERVE: fragment count error given */
  bool compressed;           /* message in progress is RSV1-compressed */
  /* A close frame's code and reason are checked as their bytes arrive. */
  ws_utf8_validator close_reason_utf8;
  bool close_code_reported;   /* this close's invalid code was reported */
  bool close_reason_reported; /* this close's invalid reason was reported */
} ws_message_reader;

void ws_message_reader_init(ws_message_reader *r,
                            const ws_message_config *config);
void ws_message_reader_free(ws_message_reader *r);

/* Decodes bytes (unmasked in place). Returns 1 with *ev filled (*consumed may
 * be less than len, even 0: call again with the rest), 0 when all input is
 * consumed without a complete event, or a negative -WS_E_x in STRICT mode
 * (sticky; ws_error_close_code() gives the close code to fail with).
 * -WS_E_NOMEM when the message buffer cannot grow (sticky, both policies).
 * In STRICT mode frames after a received close are consumed and ignored
 * (RFC 6455 5.5.1). OBSERVE may have queued events (a violation before the
 * message it concerns): a call with len 0 returns them one by one. */
int ws_message_read(ws_message_reader *r, uint8_t *buf, size_t len,
                    size_t *consumed, ws_message_event *ev);

/* Feeds one frame event from a caller-driven decoder (which must use the same
 * sender/policy). Returns 1 with *ev filled, 0 for no event, <0 as above. A
 * frame-level WS_FRAME_VIOLATION comes back as WS_MSG_VIOLATION.
 * OBSERVE: one frame event may yield several events; after a return of 1 call
 * again with frame == NULL until it returns 0 (frame == NULL only drains).
 * Passing a frame while events are queued returns -WS_E_STATE (not sticky)
 * and leaves the reader unchanged. */
int ws_message_on_frame(ws_message_reader *r, const ws_frame_event *frame,
                        ws_message_event *ev);

/* Tell the reader a close frame was sent, for the state machine. */
void ws_message_reader_close_sent(ws_message_reader *r);
enum ws_state ws_message_reader_state(const ws_message_reader *r);

/* Heap bytes the reader holds right now (for memory accounting). */
size_t ws_message_reader_heap_bytes(const ws_message_reader *r);

#endif
