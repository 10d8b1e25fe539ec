/* The session's output: step bytes through the transport modifiers
 * (`coalesce`, `chop`), the write in progress, and our own replies (pongs,
 * the answering close), which may only leave between two frames of our
 * output. Our bytes are followed by a frame decoder so we always know
 * where a frame of ours ends, whatever a step sent (raw bytes, lying
 * lengths, chops). */
#include "engine/session_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of zeros we are willing to write to finish a frame of ours that the
 * peer interrupted with its close, so that our answering close is a frame of
 * its own (beyond this the close stays unanswered, with a note). */
#define PAD_MAX ((uint64_t)1 << 20)
/* Notes joined for one coalesced write are cut at this length. */
#define NOTE_JOIN_MAX 1024

bool session_writing(const ws_session *s) { return s->out_pos < s->out.len; }

static void drop_replies(ws_session *s);

/* Appends "; note" to a joined note, bounded. */
static void join_note(ws_session *s, ws_buf *joined, const char *note) {
  if (!note || joined->len >= NOTE_JOIN_MAX)
    return;
  if (joined->len)
    ws_buf_puts(joined, "; ");
  if (ws_buf_puts(joined, note) != 0)
    session_oom(s);
}

void session_check_closing_handshake(ws_session *s) {
  ws_observation *obs = s->obs;
  if (obs->close_sent && s->close_received && !obs->closing_handshake) {
    obs->closing_handshake = true;
    s->handshake_done_t = session_t(s);
  }
}

/* Follows our own output with a frame decoder (on a copy: it unmasks in
 * place) to know where frames end: a pong or close of ours must never land
 * inside a frame a step is sending, and a close frame leaving, by whatever
 * step, is close_sent. */
static void tx_decode(ws_session *s, uint8_t *buf, size_t len) {
  size_t pos = 0;
  for (;;) {
    size_t used = 0;
    ws_frame_event ev;
    int rc = ws_frame_decode(&s->tx, buf + pos, len - pos, &used, &ev);
    if (used > 0)
      s->tx_boundary = false;
    pos += used;
    if (rc != 1)
      break;
    if (ev.type == WS_FRAME_HEADER) {
      s->tx_opcode = ev.header->opcode;
      s->tx_remaining = ev.header->length;
    } else if (ev.type == WS_FRAME_PAYLOAD) {
      s->tx_remaining -= ev.len;
    } else if (ev.type == WS_FRAME_END) {
      s->tx_boundary = true;
      s->tx_remaining = 0;
      if (s->tx_opcode == WS_OP_CLOSE) {
        s->obs->close_sent = true;
        ws_message_reader_close_sent(&s->reader);
        session_check_closing_handshake(s);
      }
    }
  }
}

static void tx_track(ws_session *s, const uint8_t *bytes, size_t len) {
  size_t skip = len < s->tx_http_left ? len : s->tx_http_left;
  s->tx_http_left -= skip;
  bytes += skip;
  len -= skip;
  uint8_t scratch[4096];
  while (len > 0) {
    size_t n = len < sizeof scratch ? len : sizeof scratch;
    memcpy(scratch, bytes, n);
    tx_decode(s, scratch, n);
    bytes += n;
    len -= n;
  }
}

void ws_session_wrote(ws_session *s, int64_t now_us, size_t n) {
  if (now_us > s->now)
    s->now = now_us;
  size_t left = s->out.len - s->out_pos;
  if (n > left)
    n = left;
  tx_track(s, s->out.ptr + s->out_pos, n);
  s->out_pos += n;
  s->piece_pos += n;
  if (s->out_chop > 0 && s->piece_pos >= s->out_chop)
    s->piece_pos = 0;
  if (s->out_pos == s->out.len) {
    ws_buf_clear(&s->out);
    s->out_pos = s->piece_pos = 0;
  }
  session_advance(s);
}

/* Starts a write of bytes (copied); `out` must be idle. */
static int start_write(ws_session *s, const uint8_t *bytes, size_t len,
                       size_t chop, int64_t until, bool is_step) {
  ws_buf_clear(&s->out);
  s->out_pos = s->piece_pos = 0;
  if (len == 0)
    return 0;
  if (ws_buf_append(&s->out, bytes, len) != 0) {
    session_oom(s);
    return -1;
  }
  s->out_chop = chop;
  s->out_until = until;
  s->out_is_step = is_step;
  return 0;
}

void session_abandon_write(ws_session *s, const char *why) {
  session_note(s, "write %s after %zu of %zu bytes", why, s->out_pos,
               s->out.len);
  if (s->out_until >= s->deadline)
    s->obs->deadline_hit = true;
  s->stop_steps = true;
  if (!s->out_is_step) {
    /* The peer stopped taking our replies: nothing more of ours will go
     * (another try would only time out again). */
    s->replies_dead = true;
    drop_replies(s);
  }
  ws_buf_clear(&s->out);
  s->out_pos = s->piece_pos = 0;
}

/* One logical write of step bytes: logged as one TX entry, then sent whole
 * or, under `chop N`, in N-byte writes of their own. */
static int write_step(ws_session *s, const uint8_t *bytes, size_t len,
                      const char *note) {
  char with_chop[NOTE_JOIN_MAX + 64];
  if (s->chop > 0) {
    snprintf(with_chop, sizeof with_chop, "%s (in %zu-byte writes)",
             note ? note : "bytes", s->chop);
    note = with_chop;
  }
  if (ws_obs_add_wire(s->obs, session_t(s), WS_WIRE_TX, bytes, len, note)) {
    session_oom(s);
    return -1;
  }
  return start_write(s, bytes, len, s->chop, s->deadline, true);
}

int session_send(ws_session *s, const uint8_t *bytes, size_t len,
                 const char *note) {
  if (!s->coalescing)
    return write_step(s, bytes, len, note);
  if (ws_buf_append(&s->coalesced, bytes, len) != 0) {
    session_oom(s);
    return -1;
  }
  join_note(s, &s->coalesced_note, note);
  return s->fatal ? -1 : 0;
}

int session_flush(ws_session *s) {
  s->coalescing = false;
  if (s->coalesced.len == 0 && s->coalesced_note.len == 0)
    return 0;
  char joined[NOTE_JOIN_MAX + 32];
  snprintf(joined, sizeof joined, "one write: %s",
           ws_buf_str(&s->coalesced_note));
  int rc =
      s->fatal ? -1 : write_step(s, s->coalesced.ptr, s->coalesced.len, joined);
  ws_buf_free(&s->coalesced);
  ws_buf_free(&s->coalesced_note);
  return rc;
}

int session_encode_frame(ws_session *s, const ws_frame_spec *spec,
                         const uint8_t *payload, size_t len, ws_buf *out) {
  if (ws_buf_reserve(out, WS_FRAME_MAX_HEADER + len) != 0) {
    session_oom(s);
    return -1;
  }
  ssize_t n = ws_frame_encode(spec, payload, len, out->ptr + out->len,
                              out->cap - out->len);
  if (n < 0)
    return -1;
  out->len += (size_t)n;
  return 0;
}

int session_queue_reply(ws_session *s, uint8_t opcode, const uint8_t *payload,
                        size_t len, const char *note) {
  /* RFC 6455 5.1, 5.3: a client masks every frame, a server none; the key
   * comes from the replies' own generator, so the same seed sends the same
   * step bytes. */
  ws_frame_spec spec = {
      .fin = true, .opcode = opcode, .masked = s->role == WS_ROLE_CLIENT};
  if (spec.masked)
    ws_prng_fill(&s->reply_keys, spec.mask_key, sizeof spec.mask_key);
  if (session_encode_frame(s, &spec, payload, len, &s->replies))
    return -1;
  join_note(s, &s->replies_note, note);
  return s->fatal ? -1 : 0;
}

static int64_t reply_until(const ws_session *s) {
  return s->grace_until > s->deadline ? s->grace_until : s->deadline;
}

static void drop_replies(ws_session *s) {
  ws_buf_free(&s->replies);
  ws_buf_free(&s->replies_note);
}

/* Completes a frame of ours that the peer's close interrupted, with zero
 * bytes, so the answering close can follow as a frame (RFC 6455 5.5.1: the
 * close must be answered; a frame cannot be abandoned half-way). */
static bool pad_to_boundary(ws_session *s) {
  if (s->tx_remaining == 0 || s->tx_remaining > PAD_MAX) {
    /* remaining 0 while not at a boundary: inside a frame header. */
    session_note(s,
                 "the peer's close is not answered: a frame of ours is "
                 "unfinished (%s%llu payload bytes to go)",
                 s->tx_remaining ? "" : "in its header; ",
                 (unsigned long long)s->tx_remaining);
    s->reply_close = false;
    drop_replies(s);
    return false;
  }
  size_t n = (size_t)s->tx_remaining;
  uint8_t *zeros = calloc(1, n);
  if (!zeros) {
    session_oom(s);
    return false;
  }
  char note[128];
  snprintf(note, sizeof note,
           "padding: %zu zero bytes finish our interrupted frame", n);
  bool ok =
      ws_obs_add_wire(s->obs, session_t(s), WS_WIRE_TX, zeros, n, note) == 0 &&
      start_write(s, zeros, n, 0, reply_until(s), false) == 0;
  free(zeros);
  if (!ok)
    session_oom(s);
  return ok;
}

bool session_start_replies(ws_session *s) {
  if (s->replies.len == 0 || s->fatal || s->obs->send_error != 0 ||
      session_writing(s) || s->shutdown_done || s->replies_dead)
    return false;
  if (!s->tx_boundary) {
    /* Pongs wait for the step to finish its frame; a close reply after the
     * steps are over cannot wait for anything. */
    if (!(s->steps_over && s->reply_close))
      return false;
    return pad_to_boundary(s);
  }
  if (ws_obs_add_wire(s->obs, session_t(s), WS_WIRE_TX, s->replies.ptr,
                      s->replies.len, ws_buf_str(&s->replies_note)) ||
      start_write(s, s->replies.ptr, s->replies.len, 0, reply_until(s),
                  false)) {
    session_oom(s);
    return false;
  }
  drop_replies(s);
  return true;
}
