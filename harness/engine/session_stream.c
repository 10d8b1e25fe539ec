/* The `stream` step: Autobahn's 9.x/12.x/13.x pattern of many messages, each
 * sent only when the previous one's echo is back. A message is cut from the
 * step's corpus when it is sent and compared with its echo when that
 * arrives; nothing is kept as an event, so a 1000-message step costs one
 * message of memory and a few counters (observation.h, stream_*). */
#include "engine/session_internal.h"

#include "case/stream.h"
#include "codec/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int session_stream_begin(ws_session *s) {
  const ws_step *st = &s->c->steps[s->step];
  free(s->stream.message);
  s->stream.message = NULL;
  s->stream.count = ws_stream_count(st, s->opts.profile);
  s->stream.next = 0;
  s->stream.waiting = false;
  if (st->stream.size > 0) {
    s->stream.message = malloc((size_t)st->stream.size);
    if (!s->stream.message) {
      session_oom(s);
      return -1;
    }
  }
  s->stage = STAGE_STREAM;
  return 0;
}

void session_stream_free(ws_session *s) {
  free(s->stream.message);
  s->stream.message = NULL;
}

/* One message as its frames, every frame in the same write: the step is
 * about the data, not about how the frames reach the peer. */
static void send_message(ws_session *s, const ws_step *st, uint32_t index) {
  const uint8_t *msg = s->stream.message;
  size_t len = (size_t)st->stream.size;
  size_t plain = len;
  bool compressed = session_pmd_applies(s, st);
  if (compressed) {
    if (session_pmd_compress(s, msg, len) != 0)
      return;
    msg = s->pmd.packed.data;
    len = s->pmd.packed.len;
  }
  size_t frag = st->stream.fragment ? (size_t)st->stream.fragment : len;
  if (frag == 0)
    frag = 1;
  ws_buf frames = {0};
  size_t at = 0;
  do {
    size_t n = len - at < frag ? len - at : frag;
    ws_frame_spec spec = {.fin = at + n == len,
                          .rsv = compressed && at == 0 ? WS_RSV1 : 0,
                          .opcode =
                              at == 0 ? st->frame.opcode : WS_OP_CONTINUATION,
                          .masked = s->role == WS_ROLE_CLIENT};
    if (spec.masked)
      ws_prng_fill(&s->keys, spec.mask_key, 4);
    if (session_encode_frame(s, &spec, msg + at, n, &frames) != 0)
      break;
    at += n;
  } while (at < len);
  if (!s->fatal) {
    char note[160];
    snprintf(note, sizeof note,
             "step %zu: stream message %u of %u (%s, %zu bytes%s%s)",
             s->step + 1, index + 1, s->stream.count,
             ws_opcode_name(st->frame.opcode), plain,
             compressed ? ", compressed" : "",
             st->stream.fragment && len > frag ? ", fragmented" : "");
    (void)session_send(s, frames.ptr, frames.len, note);
  }
  ws_buf_free(&frames);
}

bool session_stream_run(ws_session *s) {
  const ws_step *st = &s->c->steps[s->step];
  bool over =
      s->stop_steps || s->eof || s->close_received || s->now >= s->deadline;
  if (!over && s->stream.waiting)
    return false;
  if (over || s->stream.next >= s->stream.count) {
    if (s->stream.next < s->stream.count || s->stream.waiting)
      session_note(s, "step %zu: stream stopped after %u of %u messages",
                   s->step + 1, s->stream.next, s->stream.count);
    if (s->now >= s->deadline && !s->eof)
      s->obs->deadline_hit = true;
    s->stream.waiting = false;
    session_stream_free(s);
    s->stage = STAGE_AFTER;
    return true;
  }
  uint32_t index = s->stream.next++;
  if (s->stream.message)
    ws_stream_message(st, index, s->stream.message);
  s->stream.waiting = true;
  s->obs->stream_sent++;
  send_message(s, st, index);
  return true;
}

/* The first difference between an echo and the message, in words. */
static void describe(char *out, size_t cap, const ws_step *st, uint8_t opcode,
                     const uint8_t *msg, const uint8_t *data, size_t len,
                     uint64_t full_len) {
  size_t size = (size_t)st->stream.size;
  if (opcode != st->frame.opcode) {
    snprintf(out, cap, "came back as a %s message", ws_opcode_name(opcode));
    return;
  }
  if (full_len != size) {
    snprintf(out, cap, "came back with %llu bytes",
             (unsigned long long)full_len);
    return;
  }
  size_t at = 0;
  while (at < len && data[at] == msg[at])
    at++;
  snprintf(out, cap, "differs from byte %zu on", at);
}

bool session_stream_take(ws_session *s, uint8_t opcode, const uint8_t *data,
                         size_t len, uint64_t full_len) {
  if (s->phase != PHASE_STEPS || s->stage != STAGE_STREAM || !s->stream.waiting)
    return false;
  const ws_step *st = &s->c->steps[s->step];
  size_t size = (size_t)st->stream.size;
  s->stream.waiting = false;
  bool equal = opcode == st->frame.opcode && full_len == size && len == size &&
               (size == 0 || memcmp(data, s->stream.message, size) == 0);
  if (equal) {
    s->obs->stream_echoed++;
    return true;
  }
  s->obs->stream_mismatched++;
  char why[96], text[256];
  describe(why, sizeof why, st, opcode, s->stream.message, data, len, full_len);
  snprintf(text, sizeof text, "step %zu, message %u of %u (%s, %zu bytes): %s",
           s->step + 1, s->stream.next, s->stream.count,
           ws_opcode_name(st->frame.opcode), size, why);
  session_note(s, "stream echo differs: %s", text);
  if (!s->obs->stream_problem) {
    s->obs->stream_problem = strdup(text);
    if (!s->obs->stream_problem)
      session_oom(s);
  }
  return true;
}
