/* The runner's input side: non-blocking reads, the wire log's RX entries,
 * the HTTP response, then the target's frames decoded in OBSERVE mode (every
 * violation recorded, decoding goes on) into observation events. Pings are
 * answered and the peer's close is answered, as FORMAT.md's global rules
 * say. */
#include "run/runner_internal.h"

#include "codec/close.h"
#include "codec/errors.h"
#include "util/clock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Reads per runner_read_available call: a peer that floods us must still
 * leave the writer (and the clock checks) a turn. */
#define READS_PER_TURN 16

static void record(run_ctx *x, ws_obs_event *ev) {
  ev->t_ms = runner_t(x);
  ev->steps_started = x->steps_started;
  if (ws_obs_add_event(x->obs, ev))
    runner_oom(x);
}

/* A copy of len bytes of data on the heap, NULL for none. */
static uint8_t *copy_bytes(run_ctx *x, const uint8_t *data, size_t len) {
  if (len == 0)
    return NULL;
  uint8_t *out = malloc(len);
  if (!out) {
    runner_oom(x);
    return NULL;
  }
  memcpy(out, data, len);
  return out;
}

static void record_message(run_ctx *x, const ws_message_event *m) {
  ws_obs_event ev = {.kind = WS_OBS_MESSAGE};
  ev.opcode = m->type == WS_MSG_TEXT ? WS_OP_TEXT : WS_OP_BINARY;
  ev.full_len = m->full_len > m->len ? m->full_len : m->len;
  /* Bounded over the whole case: observation.h WS_OBS_MAX_KEPT_TOTAL. */
  size_t budget = WS_OBS_MAX_KEPT_TOTAL - x->kept_bytes;
  ev.len = m->len < budget ? m->len : budget;
  ev.data = copy_bytes(x, m->data, ev.len);
  if (x->fatal)
    return;
  x->kept_bytes += ev.len;
  if (ev.len < ev.full_len)
    runner_note(x, "message of %llu bytes: only the first %zu kept",
                (unsigned long long)ev.full_len, ev.len);
  if (m->compressed)
    runner_note(x, "message is compressed (RSV1): bytes kept as received");
  record(x, &ev);
}

/* RFC 6455 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong
 * frame in response, unless it already received a Close frame"; 5.5.3: with
 * the same application data. We stop once our own close is out too. */
static void answer_ping(run_ctx *x, const ws_message_event *m) {
  if (x->close_received || x->obs->close_sent || x->reply_close) {
    runner_note(x, "ping after a close: not answered");
    return;
  }
  if (x->replies.len + m->len > RUNNER_REPLY_QUEUE_MAX) {
    runner_note(x, "ping not answered: too many pongs already waiting");
    return;
  }
  (void)runner_queue_reply(x, WS_OP_PONG, m->data, m->len,
                           "pong answering the peer's ping");
}

static void record_control(run_ctx *x, enum ws_obs_event_kind kind,
                           const ws_message_event *m) {
  ws_obs_event ev = {.kind = kind, .len = m->len, .full_len = m->len};
  ev.data = copy_bytes(x, m->data, m->len);
  if (!x->fatal)
    record(x, &ev);
}

/* The answer to the peer's close: RFC 6455 5.5.1 "the endpoint typically
 * echos the status code it received"; a code that is invalid on the wire
 * (7.4.1) cannot be echoed, so 1002; an empty close gets an empty one. */
static void queue_close_reply(run_ctx *x, const ws_message_event *m) {
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
  if (runner_queue_reply(x, WS_OP_CLOSE, payload, len, note) == 0)
    x->reply_close = true;
}

static void on_close(run_ctx *x, const ws_message_event *m) {
  ws_obs_event ev = {.kind = WS_OBS_CLOSE, .close_code = m->close_code};
  ev.close_empty = m->len == 0;
  ev.data = copy_bytes(x, m->close_reason, m->close_reason_len);
  ev.len = m->close_reason_len;
  if (x->fatal)
    return;
  record(x, &ev);
  if (x->close_received)
    return; /* a second close: recorded (and a violation), not answered */
  x->close_received = true;
  runner_check_closing_handshake(x);
  if (x->obs->close_sent)
    return; /* it answers ours: the steps may go on */
  /* The peer started the closing handshake (or failed the connection): the
   * case is over from its side; answer and send no further steps. */
  queue_close_reply(x, m);
  x->stop_steps = true;
}

/* Violations are the peer's; the reader's size limits are ours, kept out of
 * the verdict (a peer may legitimately send more than we keep). */
static void on_violation(run_ctx *x, int violation) {
  if (violation == WS_E_MESSAGE_TOO_BIG || violation == WS_E_FRAME_TOO_BIG ||
      violation == WS_E_TOO_MANY_FRAGMENTS) {
    runner_note(x, "harness limit: %s", ws_error_message(violation));
    return;
  }
  ws_obs_event ev = {.kind = WS_OBS_VIOLATION, .violation = violation};
  record(x, &ev);
  runner_note(x, "peer violation: %s", ws_error_message(violation));
}

static void on_event(run_ctx *x, const ws_message_event *m) {
  switch (m->type) {
  case WS_MSG_TEXT:
  case WS_MSG_BINARY:
    record_message(x, m);
    break;
  case WS_MSG_PING:
    record_control(x, WS_OBS_PING, m);
    answer_ping(x, m);
    break;
  case WS_MSG_PONG:
    record_control(x, WS_OBS_PONG, m);
    break;
  case WS_MSG_CLOSE:
    on_close(x, m);
    break;
  case WS_MSG_VIOLATION:
    on_violation(x, m->violation);
    break;
  }
}

void runner_feed_frames(run_ctx *x, uint8_t *buf, size_t len) {
  size_t pos = 0;
  /* Keep calling while events come, even with no bytes left: the reader may
   * hold queued events (a violation before the message it concerns). */
  while (!x->fatal) {
    size_t used = 0;
    ws_message_event ev;
    int rc = ws_message_read(&x->reader, buf + pos, len - pos, &used, &ev);
    pos += used;
    if (rc == 1) {
      on_event(x, &ev);
      continue;
    }
    if (rc < 0) /* only -WS_E_NOMEM in OBSERVE mode */
      runner_oom(x);
    break;
  }
}

static void on_bytes(run_ctx *x, uint8_t *buf, size_t len) {
  if (ws_obs_add_wire(x->obs, runner_t(x), WS_WIRE_RX, buf, len, NULL)) {
    runner_oom(x);
    return;
  }
  if (!x->hs_done) {
    size_t used = runner_feed_response(x, buf, len);
    buf += used;
    len -= used;
    if (!x->hs_done)
      return;
  }
  /* Frames may follow the 101 in the same read; after a refusal the bytes
   * are only logged. */
  if (x->upgraded && len > 0)
    runner_feed_frames(x, buf, len);
}

static void on_end(run_ctx *x, int err) {
  ws_observation *obs = x->obs;
  x->eof = true;
  obs->peer_closed_tcp = true;
  obs->peer_reset = err != 0;
  obs->tcp_end_t_ms = runner_t(x);
  obs->tcp_end_steps_started = x->steps_started;
  /* The peer's close frame came before its TCP close: it closed first
   * (RFC 6455 7.1.1: the server should). */
  obs->peer_closed_first = x->close_received;
  if (err == 0)
    runner_note(x, "peer closed TCP");
  else {
    char why[128];
    runner_note(x, "connection ended: %s",
                runner_strerror(err, why, sizeof why));
  }
  if (!x->hs_done) {
    x->hs_done = true;
    runner_note(x, "no complete HTTP response before the end of input");
  }
}

void runner_read_available(run_ctx *x) {
  for (int i = 0; i < READS_PER_TURN && !x->eof && !x->fatal; i++) {
    ssize_t n = recv(x->fd, x->rx, RUNNER_RX_CHUNK, MSG_DONTWAIT);
    if (n > 0) {
      on_bytes(x, x->rx, (size_t)n);
      continue;
    }
    if (n == 0) {
      on_end(x, 0);
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      on_end(x, errno);
    return;
  }
}

bool runner_wait_input(run_ctx *x, int64_t until) {
  int64_t write_until = until > x->deadline ? until : x->deadline;
  runner_send_replies(x, write_until);
  if (x->eof || x->fatal)
    return false;
  struct pollfd pfd = {.fd = x->fd, .events = POLLIN};
  int n = poll(&pfd, 1, ws_ms_until(until));
  if (n < 0 && errno != EINTR)
    return false;
  if (n > 0)
    runner_read_available(x);
  runner_send_replies(x, write_until);
  return !x->eof && !x->fatal && ws_now_ms() < until;
}

void runner_read_until(run_ctx *x, int64_t until) {
  while (runner_wait_input(x, until))
    ;
}
