/* Messages, RFC 6455 5.4-5.6 and 7: fragments, control frames between them,
 * UTF-8 of text messages, close payloads and the closing state machine.
 *
 * The reader works on frame events. Each event may raise violations and may
 * complete a message; in OBSERVE mode several can come from one event, so
 * they are queued (violations first, then the message they concern) and
 * handed out one per call. STRICT mode fails on the first violation instead,
 * so its queue only ever holds the completed message. */
#include "codec/message.h"

#include "codec/close.h"
#include "codec/errors.h"
#include "codec/hooks.h"

#include <string.h>

/* First allocation for a data message: small, so a peer that announces a
 * large frame and sends little of it costs little. */
#define MIN_BUFFER 256

#define PENDING_MAX                                                            \
  (sizeof(((ws_message_reader *)0)->pending_violations) /                      \
   sizeof(((ws_message_reader *)0)->pending_violations[0]))

/* Non-NULL data for empty messages, so callers never see NULL. */
static const uint8_t empty_payload[1];

/* ---- the closing state machine, RFC 6455 7.1 ---- */

enum ws_state ws_state_after_send_close(enum ws_state s) {
  switch (s) {
  case WS_STATE_OPEN:
    return WS_STATE_CLOSE_SENT;
  case WS_STATE_CLOSE_RECEIVED:
    /* RFC 6455 5.5.1: "After both sending and receiving a Close message, an
     * endpoint considers the WebSocket connection closed". */
    return WS_STATE_CLOSED;
  default:
    return s;
  }
}

enum ws_state ws_state_after_receive_close(enum ws_state s) {
  switch (s) {
  case WS_STATE_OPEN:
    return WS_STATE_CLOSE_RECEIVED;
  case WS_STATE_CLOSE_SENT:
    return WS_STATE_CLOSED;
  default:
    return s;
  }
}

bool ws_state_may_send_data(enum ws_state s) {
  /* RFC 6455 5.5.1: "After sending a Close frame, the application MUST NOT
   * send any more data frames." Having received one, an endpoint may still
   * finish its current message: "an endpoint MAY send the remaining
   * fragments before sending a Close frame". */
  return s == WS_STATE_OPEN || s == WS_STATE_CLOSE_RECEIVED;
}

const char *ws_state_name(enum ws_state s) {
  switch (s) {
  case WS_STATE_OPEN:
    return "open";
  case WS_STATE_CLOSE_SENT:
    return "close-sent";
  case WS_STATE_CLOSE_RECEIVED:
    return "close-received";
  case WS_STATE_CLOSED:
    return "closed";
  }
  return "unknown";
}

/* ---- reader lifecycle ---- */

void ws_message_reader_init(ws_message_reader *r,
                            const ws_message_config *config) {
  memset(r, 0, sizeof *r);
  if (config)
    r->config = *config;
  if (r->config.max_message == 0)
    r->config.max_message = WS_DEFAULT_MAX_MESSAGE;
  if (r->config.max_fragments == 0)
    r->config.max_fragments = WS_DEFAULT_MAX_FRAGMENTS;
  if (r->config.permessage_deflate)
    r->config.allowed_rsv |= WS_RSV1;
  /* A frame can be no larger than the largest message. Control frames are
   * bounded by the 125-byte rule alone, so a tiny max_message does not make
   * the decoder refuse a legal ping. */
  uint64_t frame_limit = r->config.max_message;
  if (frame_limit < WS_CONTROL_MAX_PAYLOAD)
    frame_limit = WS_CONTROL_MAX_PAYLOAD;
  ws_frame_decoder_config fc = {
      .sender = r->config.sender,
      .policy = r->config.policy,
      .allowed_rsv = r->config.allowed_rsv,
      .max_frame_length = frame_limit,
  };
  ws_frame_decoder_init(&r->decoder, &fc);
  r->state = WS_STATE_OPEN;
  ws_utf8_init(&r->utf8);
}

static void release_buffer(ws_message_reader *r) {
  ws_free(r->buf);
  r->buf = NULL;
  r->buf_len = 0;
  r->buf_cap = 0;
}

void ws_message_reader_free(ws_message_reader *r) {
  release_buffer(r);
  r->release_buf = false;
  r->has_deferred = false;
}

void ws_message_reader_close_sent(ws_message_reader *r) {
  r->state = ws_state_after_send_close(r->state);
}

enum ws_state ws_message_reader_state(const ws_message_reader *r) {
  return r->state;
}

size_t ws_message_reader_heap_bytes(const ws_message_reader *r) {
  return r->buf ? r->buf_cap : 0;
}

/* ---- helpers ---- */

static bool observing(const ws_message_reader *r) {
  return r->config.policy == WS_POLICY_OBSERVE;
}

/* Forgets the message in progress but keeps its buffer for reuse. */
static void reset_message(ws_message_reader *r) {
  r->message_opcode = 0;
  r->fragments = 0;
  r->buf_len = 0;
  r->message_len = 0;
  ws_utf8_init(&r->utf8);
  r->utf8_reported = false;
  r->too_big_reported = false;
  r->fragments_reported = false;
  r->compressed = false;
}

/* The reader stops for good: nothing it holds can be delivered any more. */
static int fail(ws_message_reader *r, int err) {
  r->error = err;
  reset_message(r);
  release_buffer(r);
  r->has_deferred = false;
  r->pending_count = 0;
  return err;
}

/* A peer broke a rule: STRICT fails, OBSERVE queues a report and goes on. */
static int violation(ws_message_reader *r, int code) {
  if (code < 0)
    code = -code;
  if (!observing(r))
    return fail(r, -code);
  if (r->pending_count < PENDING_MAX)
    r->pending_violations[r->pending_count++] = (uint8_t)code;
  return 0;
}

static bool has_pending(const ws_message_reader *r) {
  return r->pending_count > 0 || r->has_deferred;
}

/* Hands out the oldest queued event: returns 1, or 0 when none is queued. */
static int emit(ws_message_reader *r, ws_message_event *ev) {
  if (r->pending_count > 0) {
    memset(ev, 0, sizeof *ev);
    ev->type = WS_MSG_VIOLATION;
    ev->violation = r->pending_violations[0];
    r->pending_count--;
    memmove(r->pending_violations, r->pending_violations + 1, r->pending_count);
    return 1;
  }
  if (!r->has_deferred)
    return 0;
  *ev = r->deferred;
  r->has_deferred = false;
  /* The caller may read a data message until its next call on the reader. */
  if (ev->type == WS_MSG_TEXT || ev->type == WS_MSG_BINARY)
    r->release_buf = true;
  return 1;
}

/* Start of every public call: the message handed out last time is done with,
 * so an idle reader holds no heap memory. */
static void begin_call(ws_message_reader *r) {
  if (r->release_buf) {
    release_buffer(r);
    r->release_buf = false;
  }
}

/* Makes room for `need` bytes, doubling as bytes arrive (never on a declared
 * length), never past max_message. need <= max_message. */
static int grow(ws_message_reader *r, size_t need) {
  if (need <= r->buf_cap)
    return 0;
  size_t max = r->config.max_message;
  size_t cap = r->buf_cap ? r->buf_cap : MIN_BUFFER;
  while (cap < need)
    cap = cap > max / 2 ? max : cap * 2;
  if (cap > max)
    cap = max;
  uint8_t *p = r->buf ? ws_realloc(r->buf, cap) : ws_malloc(cap);
  if (!p)
    return -WS_E_NOMEM;
  r->buf = p;
  r->buf_cap = cap;
  return 0;
}

/* Appends payload to the message. Bytes past max_message (OBSERVE only; STRICT
 * failed at the header) are counted in message_len but not stored. */
static int append(ws_message_reader *r, const uint8_t *data, size_t len) {
  size_t room = r->config.max_message - r->buf_len;
  size_t keep = len < room ? len : room;
  if (keep > 0) {
    if (grow(r, r->buf_len + keep) < 0)
      return fail(r, -WS_E_NOMEM);
    memcpy(r->buf + r->buf_len, data, keep);
    r->buf_len += keep;
  }
  r->message_len += len;
  return 0;
}

/* ---- frame headers ---- */

/* Limits a peer controls, checked when the header arrives so a STRICT reader
 * fails before the payload does (fail fast), each reported once per message
 * in OBSERVE mode. */
static int check_limits(ws_message_reader *r, uint64_t frame_length) {
  int rc = 0;
  if (r->fragments > r->config.max_fragments && !r->fragments_reported) {
    r->fragments_reported = true;
    rc = violation(r, WS_E_TOO_MANY_FRAGMENTS);
    if (rc < 0)
      return rc;
  }
  uint64_t max = r->config.max_message;
  bool too_big = r->message_len > max || frame_length > max - r->message_len;
  if (too_big && !r->too_big_reported) {
    r->too_big_reported = true;
    rc = violation(r, WS_E_MESSAGE_TOO_BIG);
  }
  return rc;
}

/* A TEXT or BINARY frame: the first frame of a message. */
static int on_first_header(ws_message_reader *r, const ws_frame_header *h) {
  if (r->message_opcode != 0) {
    /* RFC 6455 5.4: "The fragments of one message MUST NOT be interleaved
     * between the fragments of another message unless an extension has been
     * negotiated that can interpret the interleaving." OBSERVE recovery:
     * the unfinished message is dropped and the new one read. */
    int rc = violation(r, WS_E_EXPECTED_CONTINUATION);
    if (rc < 0)
      return rc;
    reset_message(r);
  }
  r->message_opcode = h->opcode;
  r->fragments = 1;
  /* RFC 7692 6: RSV1 on the first frame marks a compressed message; its
   * bytes are not text until inflated, so UTF-8 is checked after that. */
  r->compressed =
      (h->rsv & WS_RSV1) != 0 && (r->config.allowed_rsv & WS_RSV1) != 0;
  return check_limits(r, h->length);
}

static int on_continuation_header(ws_message_reader *r,
                                  const ws_frame_header *h) {
  if (r->message_opcode == 0) {
    /* RFC 6455 5.4: a fragmented message is "a single frame with the FIN bit
     * clear and an opcode other than 0, followed by zero or more frames with
     * the FIN bit clear and the opcode set to 0": a continuation must follow
     * such a first frame. OBSERVE recovery: the frame's payload is ignored. */
    int rc = violation(r, WS_E_UNEXPECTED_CONTINUATION);
    r->skip_frame = true;
    return rc;
  }
  if (r->fragments < UINT32_MAX)
    r->fragments++;
  return check_limits(r, h->length);
}

/* RFC 7692 6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit
 * of control frames and non-first fragments of a data message. An endpoint
 * receiving such a frame MUST _Fail the WebSocket Connection_." The frame
 * decoder let RSV1 through (the extension gives it a meaning); only here is
 * it known which frame of a message this is. */
static int check_rsv1_placement(ws_message_reader *r,
                                const ws_frame_header *h) {
  if (!r->config.permessage_deflate || !(h->rsv & WS_RSV1))
    return 0;
  if (ws_opcode_is_control(h->opcode))
    return violation(r, WS_E_RSV1_ON_CONTROL);
  if (h->opcode == WS_OP_CONTINUATION)
    return violation(r, WS_E_RSV1_ON_CONTINUATION);
  return 0;
}

static int on_header(ws_message_reader *r, const ws_frame_header *h) {
  r->frame_opcode = h->opcode;
  r->frame_is_data = false;
  r->skip_frame = false;
  if (r->close_received && !r->after_close_reported) {
    /* RFC 6455 5.5.1: "After sending a Close frame, the application MUST NOT
     * send any more data frames"; 1.4: "a peer does not send any further
     * data". Only OBSERVE gets here: STRICT discards such input. */
    r->after_close_reported = true;
    int rc = violation(r, WS_E_FRAME_AFTER_CLOSE);
    if (rc < 0)
      return rc;
  }
  /* RFC 6455 5.2: reserved opcodes have no meaning. The frame decoder has
   * reported them; their payload is not collected. */
  if (ws_opcode_is_reserved(h->opcode)) {
    r->skip_frame = true;
    return 0;
  }
  int rc = check_rsv1_placement(r, h);
  if (rc < 0)
    return rc;
  if (ws_opcode_is_control(h->opcode)) {
    r->control_len = 0;
    ws_utf8_init(&r->close_reason_utf8);
    r->close_code_reported = false;
    r->close_reason_reported = false;
    return 0;
  }
  r->frame_is_data = true;
  if (h->opcode == WS_OP_CONTINUATION)
    return on_continuation_header(r, h);
  return on_first_header(r, h);
}

/* ---- payload ---- */

static void collect_control(ws_message_reader *r, const uint8_t *data,
                            size_t len) {
  /* The decoder enforces 125 bytes in STRICT mode; an OBSERVE reader keeps
   * the first 125 of an oversized control frame (already reported). */
  size_t room = sizeof r->control - r->control_len;
  size_t n = len < room ? len : room;
  memcpy(r->control + r->control_len, data, n);
  r->control_len += n;
}

/* RFC 6455 7.4 and 8.1, checked as the close payload arrives rather than at
 * its end, for the same reason text is: a peer must not be able to hold a
 * connection open by trickling an invalid close. bytes_before is how much of
 * the payload had arrived before this chunk. */
static int check_close_so_far(ws_message_reader *r, size_t bytes_before) {
  if (bytes_before < 2 && r->control_len >= 2) {
    uint16_t code = (uint16_t)(r->control[0] << 8 | r->control[1]);
    if (!ws_close_code_is_valid(code)) {
      r->close_code_reported = true;
      int rc = violation(r, WS_E_CLOSE_CODE_INVALID);
      if (rc < 0)
        return rc;
    }
  }
  size_t from = bytes_before < 2 ? 2 : bytes_before;
  if (r->control_len > from && !r->close_reason_reported &&
      ws_utf8_feed(&r->close_reason_utf8, r->control + from,
                   r->control_len - from, NULL) == WS_UTF8_INVALID) {
    r->close_reason_reported = true;
    return violation(r, WS_E_CLOSE_REASON_UTF8);
  }
  return 0;
}

static int on_payload(ws_message_reader *r, const uint8_t *data, size_t len) {
  if (r->skip_frame || len == 0)
    return 0;
  if (!r->frame_is_data) {
    size_t before = r->control_len;
    collect_control(r, data, len);
    return r->frame_opcode == WS_OP_CLOSE ? check_close_so_far(r, before) : 0;
  }
  if (r->message_opcode == WS_OP_TEXT && !r->compressed && !r->utf8_reported) {
    /* RFC 6455 8.1: "When an endpoint is to interpret a byte stream as UTF-8
     * but finds that the byte stream is not, in fact, a valid UTF-8 stream,
     * that endpoint MUST _Fail the WebSocket Connection_." Checked on every
     * chunk, so the failure comes with the byte that causes it. */
    if (ws_utf8_feed(&r->utf8, data, len, NULL) == WS_UTF8_INVALID) {
      r->utf8_reported = true;
      int rc = violation(r, WS_E_INVALID_UTF8);
      if (rc < 0)
        return rc;
    }
  }
  return append(r, data, len);
}

/* ---- frame ends ---- */

static void defer(ws_message_reader *r, enum ws_message_event_type type,
                  const uint8_t *data, size_t len) {
  memset(&r->deferred, 0, sizeof r->deferred);
  r->deferred.type = type;
  r->deferred.data = data ? data : empty_payload;
  r->deferred.len = len;
  r->has_deferred = true;
}

static int finish_message(ws_message_reader *r) {
  if (r->message_opcode == WS_OP_TEXT && !r->compressed && !r->utf8_reported &&
      ws_utf8_state(&r->utf8) != WS_UTF8_VALID) {
    /* RFC 6455 5.6: "a particular text frame might include a partial UTF-8
     * sequence; however, the whole message MUST contain valid UTF-8", so a
     * message that ends inside a sequence is invalid. */
    r->utf8_reported = true;
    int rc = violation(r, WS_E_INVALID_UTF8);
    if (rc < 0)
      return rc;
  }
  defer(r, r->message_opcode == WS_OP_TEXT ? WS_MSG_TEXT : WS_MSG_BINARY,
        r->buf, r->buf_len);
  r->deferred.fragments = r->fragments;
  r->deferred.full_len = r->message_len;
  r->deferred.truncated = r->message_len > r->buf_len;
  r->deferred.compressed = r->compressed;
  /* The buffer stays allocated behind the event until the next call. */
  reset_message(r);
  return 0;
}

static int on_close(ws_message_reader *r) {
  uint16_t code = 0;
  const uint8_t *reason = NULL;
  size_t reason_len = 0;
  /* RFC 6455 5.5.1 and 7.4: the close body rules live in close.c. OBSERVE
   * recovery: report, then deliver what could be parsed. */
  int rc =
      ws_close_parse(r->control, r->control_len, &code, &reason, &reason_len);
  bool reported_already =
      (rc == -WS_E_CLOSE_CODE_INVALID && r->close_code_reported) ||
      (rc == -WS_E_CLOSE_REASON_UTF8 && r->close_reason_reported);
  if (rc < 0 && !reported_already) {
    rc = violation(r, rc);
    if (rc < 0)
      return rc;
  }
  r->close_received = true;
  r->state = ws_state_after_receive_close(r->state);
  defer(r, WS_MSG_CLOSE, r->control, r->control_len);
  r->deferred.close_code = code;
  r->deferred.close_reason = reason;
  r->deferred.close_reason_len = reason_len;
  if (!observing(r)) {
    /* A STRICT reader discards everything after a close (RFC 6455 1.4), so
     * an unfinished message can never complete: let its memory go now. */
    reset_message(r);
    release_buffer(r);
  }
  return 0;
}

static int on_end(ws_message_reader *r, const ws_frame_header *h) {
  if (r->skip_frame) {
    r->skip_frame = false;
    return 0;
  }
  if (r->frame_is_data) {
    /* RFC 6455 5.4: the message ends with the frame that has FIN set. */
    return h->fin ? finish_message(r) : 0;
  }
  /* RFC 6455 5.5: control frames "MUST NOT be fragmented", so each one is
   * complete at its end and is delivered at once; 5.4: "Control frames ...
   * MAY be injected in the middle of a fragmented message." */
  switch (r->frame_opcode) {
  case WS_OP_PING:
    defer(r, WS_MSG_PING, r->control, r->control_len);
    return 0;
  case WS_OP_PONG:
    defer(r, WS_MSG_PONG, r->control, r->control_len);
    return 0;
  case WS_OP_CLOSE:
    return on_close(r);
  default:
    return 0;
  }
}

/* One frame event in; returns 1 with an event, 0, or a negative error. */
static int handle_frame(ws_message_reader *r, const ws_frame_event *fev,
                        ws_message_event *ev) {
  int rc;
  switch (fev->type) {
  case WS_FRAME_VIOLATION:
    rc = violation(r, fev->violation);
    break;
  case WS_FRAME_HEADER:
    if (r->config.on_frame_header)
      r->config.on_frame_header(r->config.on_frame_header_ctx, fev->header);
    rc = on_header(r, fev->header);
    break;
  case WS_FRAME_PAYLOAD:
    rc = on_payload(r, fev->data, fev->len);
    break;
  case WS_FRAME_END:
    rc = on_end(r, fev->header);
    break;
  default:
    return -WS_E_INVALID_ARGUMENT;
  }
  if (rc < 0)
    return rc;
  return emit(r, ev);
}

/* ---- entry points ---- */

int ws_message_on_frame(ws_message_reader *r, const ws_frame_event *frame,
                        ws_message_event *ev) {
  begin_call(r);
  if (r->error)
    return r->error;
  if (!frame)
    return emit(r, ev);
  if (has_pending(r))
    return -WS_E_STATE;
  if (r->close_received && !observing(r))
    return 0;
  return handle_frame(r, frame, ev);
}

int ws_message_read(ws_message_reader *r, uint8_t *buf, size_t len,
                    size_t *consumed, ws_message_event *ev) {
  *consumed = 0;
  begin_call(r);
  if (r->error)
    return r->error;
  if (has_pending(r))
    return emit(r, ev);
  if (r->close_received && !observing(r)) {
    /* RFC 6455 1.4: "after receiving a control frame indicating the
     * connection should be closed, a peer discards any further data
     * received." */
    *consumed = len;
    return 0;
  }
  size_t used = 0;
  for (;;) {
    ws_frame_event fev;
    size_t n = 0;
    int rc = ws_frame_decode(&r->decoder, buf ? buf + used : NULL, len - used,
                             &n, &fev);
    used += n;
    if (rc < 0) {
      *consumed = used;
      return fail(r, rc);
    }
    if (rc == 0) {
      *consumed = used;
      return 0;
    }
    rc = handle_frame(r, &fev, ev);
    if (rc != 0) {
      *consumed = used;
      return rc;
    }
  }
}
