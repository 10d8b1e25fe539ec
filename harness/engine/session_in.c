/* The session's input after the upgrade: the peer's frames decoded in
 * OBSERVE mode (every violation recorded, decoding goes on) into observation
 * events. Pings are answered and the peer's close is answered, as
 * FORMAT.md's global rules say. */
#include "engine/session_internal.h"

#include "codec/close.h"
#include "codec/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a compressed message may be whose inflation is kept whole. A
 * peer may compress badly (incompressible data in stored blocks grows by 5
 * bytes per block, and nothing forbids tiny blocks), so the bound is
 * generous; inflation itself is bounded by message_max. */
static size_t compressed_bound(size_t plain) {
  return plain > (SIZE_MAX - (64u << 10)) / 4 ? SIZE_MAX
                                              : plain * 4 + (64u << 10);
}

static void on_violation(ws_session *s, int violation);

/* Server role, RFC 6455 5.3: "The masking key is a 32-bit value chosen at
 * random by the client ... the client MUST pick a fresh masking key from
 * the set of allowed 32-bit values" for each frame, unpredictable. The
 * harness cannot test entropy; it records what no random source does in
 * practice: the all-zero key (the payload then goes as it is), and a key
 * equal to one of the client's last SESSION_RECENT_KEYS on this connection
 * (by chance about 2^-29 per frame). An unmasked frame is the decoder's
 * violation already. */
static void check_mask_key(void *ctx, const ws_frame_header *h) {
  ws_session *s = ctx;
  if (!h->masked)
    return;
  uint32_t key = (uint32_t)h->mask_key[0] << 24 |
                 (uint32_t)h->mask_key[1] << 16 |
                 (uint32_t)h->mask_key[2] << 8 | (uint32_t)h->mask_key[3];
  if (key == 0) {
    on_violation(s, WS_E_MASK_KEY_ZERO);
    return;
  }
  size_t held = s->recent_key_count < SESSION_RECENT_KEYS ? s->recent_key_count
                                                          : SESSION_RECENT_KEYS;
  for (size_t i = 0; i < held; i++)
    if (s->recent_keys[i] == key) {
      on_violation(s, WS_E_MASK_KEY_REUSED);
      break;
    }
  s->recent_keys[s->recent_key_count++ % SESSION_RECENT_KEYS] = key;
}

void session_init_reader(ws_session *s, bool permessage_deflate) {
  /* The peer's frames: a server's must not be masked, a client's must be
   * (RFC 6455 5.1); OBSERVE records its violations and goes on. */
  ws_message_config mc = {
      .sender = s->role == WS_ROLE_CLIENT ? WS_SENDER_SERVER : WS_SENDER_CLIENT,
      .policy = WS_POLICY_OBSERVE,
      .max_message = permessage_deflate ? compressed_bound(s->message_max)
                                        : s->message_max,
      .max_fragments = UINT32_MAX,
      .permessage_deflate = permessage_deflate};
  if (s->role == WS_ROLE_SERVER) {
    mc.on_frame_header = check_mask_key;
    mc.on_frame_header_ctx = s;
  }
  ws_message_reader_free(&s->reader);
  ws_message_reader_init(&s->reader, &mc);
}

static void record(ws_session *s, ws_obs_event *ev) {
  ev->t_ms = session_t(s);
  ev->steps_started = s->steps_started;
  if (ws_obs_add_event(s->obs, ev))
    session_oom(s);
}

/* A copy of len bytes of data on the heap, NULL for none. */
static uint8_t *copy_bytes(ws_session *s, const uint8_t *data, size_t len) {
  if (len == 0)
    return NULL;
  uint8_t *out = malloc(len);
  if (!out) {
    session_oom(s);
    return NULL;
  }
  memcpy(out, data, len);
  return out;
}

static void record_message(ws_session *s, const ws_message_event *m) {
  ws_obs_event ev = {.kind = WS_OBS_MESSAGE};
  ev.opcode = m->type == WS_MSG_TEXT ? WS_OP_TEXT : WS_OP_BINARY;
  const uint8_t *data = m->data;
  size_t len = m->len;
  ev.full_len = m->full_len > m->len ? m->full_len : m->len;
  /* The message is what the compressed bytes inflate to (RFC 7692 6). */
  if (m->compressed &&
      session_pmd_inflate(s, m, &data, &len, &ev.full_len) != 0)
    return;
  if (session_stream_take(s, ev.opcode, data, len, ev.full_len))
    return;
  /* Bounded over the whole case (session_internal.h). */
  size_t budget = s->kept_max - s->kept_bytes;
  ev.len = len < budget ? len : budget;
  ev.data = copy_bytes(s, data, ev.len);
  if (s->fatal)
    return;
  s->kept_bytes += ev.len;
  if (ev.len < ev.full_len)
    session_note(s, "message of %llu bytes: only the first %zu kept",
                 (unsigned long long)ev.full_len, ev.len);
  record(s, &ev);
}

/* RFC 6455 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong
 * frame in response, unless it already received a Close frame"; 5.5.3: with
 * the same application data. We stop once our own close is out too. */
static void answer_ping(ws_session *s, const ws_message_event *m) {
  if (s->close_received || s->obs->close_sent || s->reply_close) {
    session_note(s, "ping after a close: not answered");
    return;
  }
  if (s->replies.len + m->len > SESSION_REPLY_QUEUE_MAX) {
    session_note(s, "ping not answered: too many pongs already waiting");
    return;
  }
  (void)session_queue_reply(s, WS_OP_PONG, m->data, m->len,
                            "pong answering the peer's ping");
}

static void record_control(ws_session *s, enum ws_obs_event_kind kind,
                           const ws_message_event *m) {
  ws_obs_event ev = {.kind = kind, .len = m->len, .full_len = m->len};
  ev.data = copy_bytes(s, m->data, m->len);
  if (!s->fatal)
    record(s, &ev);
}

/* The answer to the peer's close: RFC 6455 5.5.1 "the endpoint typically
 * echos the status code it received"; a code that is invalid on the wire
 * (7.4.1) cannot be echoed, so 1002; an empty close gets an empty one. */
static void queue_close_reply(ws_session *s, const ws_message_event *m) {
  uint8_t payload[WS_CONTROL_MAX_PAYLOAD];
  size_t len = 0;
  uint16_t code = 0;
  if (m->len > 0) {
    code = ws_close_code_is_valid(m->close_code) ? m->close_code : 1002;
    len = ws_close_build(code, NULL, 0, payload);
  }
  char note[64];
  if (code)
    snprintf(note, sizeof note, "close %u answering the peer's close", code);
  else
    snprintf(note, sizeof note, "empty close answering the peer's close");
  if (session_queue_reply(s, WS_OP_CLOSE, payload, len, note) == 0)
    s->reply_close = true;
}

static void on_close(ws_session *s, const ws_message_event *m) {
  ws_obs_event ev = {.kind = WS_OBS_CLOSE, .close_code = m->close_code};
  ev.close_empty = m->len == 0;
  ev.data = copy_bytes(s, m->close_reason, m->close_reason_len);
  ev.len = m->close_reason_len;
  if (s->fatal)
    return;
  record(s, &ev);
  if (s->close_received)
    return; /* a second close: recorded (and a violation), not answered */
  s->close_received = true;
  session_check_closing_handshake(s);
  if (s->obs->close_sent)
    return; /* it answers ours: the steps may go on */
  /* The peer started the closing handshake (or failed the connection): the
   * case is over from its side; answer and send no further steps. */
  queue_close_reply(s, m);
  s->stop_steps = true;
}

/* Violations are the peer's; the reader's size limits are ours, kept out of
 * the verdict (a peer may legitimately send more than we keep). */
static void on_violation(ws_session *s, int violation) {
  if (violation == WS_E_MESSAGE_TOO_BIG || violation == WS_E_FRAME_TOO_BIG ||
      violation == WS_E_TOO_MANY_FRAGMENTS) {
    session_note(s, "harness limit: %s", ws_error_message(violation));
    return;
  }
  ws_obs_event ev = {.kind = WS_OBS_VIOLATION, .violation = violation};
  record(s, &ev);
  session_note(s, "peer violation: %s", ws_error_message(violation));
}

static void on_event(ws_session *s, const ws_message_event *m) {
  switch (m->type) {
  case WS_MSG_TEXT:
  case WS_MSG_BINARY:
    record_message(s, m);
    break;
  case WS_MSG_PING:
    record_control(s, WS_OBS_PING, m);
    answer_ping(s, m);
    break;
  case WS_MSG_PONG:
    record_control(s, WS_OBS_PONG, m);
    break;
  case WS_MSG_CLOSE:
    on_close(s, m);
    break;
  case WS_MSG_VIOLATION:
    on_violation(s, m->violation);
    break;
  }
}

void session_feed_frames(ws_session *s, uint8_t *buf, size_t len) {
  size_t pos = 0;
  /* Keep calling while events come, even with no bytes left: the reader may
   * hold queued events (a violation before the message it concerns). */
  while (!s->fatal) {
    size_t used = 0;
    ws_message_event ev;
    int rc = ws_message_read(&s->reader, buf + pos, len - pos, &used, &ev);
    pos += used;
    if (rc == 1) {
      on_event(s, &ev);
      continue;
    }
    if (rc < 0) /* only -WS_E_NOMEM in OBSERVE mode */
      session_oom(s);
    break;
  }
}
