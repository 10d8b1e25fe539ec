/* The session's public entry points: each records the time, hands the event
 * to the part that owns it, then lets the step machine run forward. */
#include "engine/session_internal.h"

#include "case/expected.h"
#include "codec/errors.h"
#include "util/syserr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double session_t(const ws_session *s) { return (double)(s->now - s->t0) / 1e3; }

void session_note(ws_session *s, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (ws_obs_add_wire(s->obs, session_t(s), WS_WIRE_NOTE, NULL, 0, text))
    session_oom(s);
}

void session_oom(ws_session *s) {
  s->fatal = true;
  s->stop_steps = true;
  (void)ws_obs_set_error(s->obs, "out of memory");
}

int64_t session_scaled_us(const ws_session *s, int64_t ms) {
  return (int64_t)((double)ms * s->scale * 1000.0);
}

static double effective_scale(double scale) {
  if (!(scale > 0))
    return 1.0; /* unset */
  return scale < 0.1 ? 0.1 : scale;
}

/* The message payload a case may keep: enough for every echo it expects
 * (twice over) and a fixed margin for what it did not ask for. */
static int size_budget(ws_session *s, size_t *largest) {
  ws_expected want;
  if (ws_expected_build(s->c, s->c->step_count, &want) != 0)
    return -1;
  size_t total = 0;
  *largest = 0;
  for (size_t i = 0; i < want.msg_count; i++) {
    total += want.msgs[i].len;
    if (want.msgs[i].len > *largest)
      *largest = want.msgs[i].len;
  }
  ws_expected_free(&want);
  s->kept_max = 2 * total + SESSION_EXTRA_KEPT;
  /* A streamed echo is compared whole, never kept: the reader must hold
   * one, the case's budget need not. */
  for (size_t i = 0; i < s->c->step_count; i++) {
    const ws_step *st = &s->c->steps[i];
    if (st->kind == WS_STEP_STREAM && st->stream.size > *largest)
      *largest = (size_t)st->stream.size;
  }
  return 0;
}

/* The case's own pauses: the time they take is the harness's, not the
 * peer's, so it is added to the deadline (unscaled, as the pauses are). */
static int64_t pauses_us(const ws_case *c) {
  int64_t total = 0;
  for (size_t i = 0; i < c->step_count; i++)
    if (c->steps[i].kind == WS_STEP_WAIT)
      total += (int64_t)c->steps[i].number * 1000;
  return total;
}

/* The case deadline: its timeout (scaled), longer by the ratio of streamed
 * messages when the full profile sends more of them than the default, plus
 * the case's pauses. */
static int64_t case_deadline_us(const ws_session *s) {
  const ws_case *c = s->c;
  uint32_t timeout = c->timeout_ms ? c->timeout_ms : WS_CASE_DEFAULT_TIMEOUT_MS;
  double us = (double)session_scaled_us(s, timeout);
  uint64_t base = ws_case_stream_messages(c, WS_PROFILE_DEFAULT);
  uint64_t now = ws_case_stream_messages(c, s->opts.profile);
  if (base > 0 && now > base)
    us *= (double)now / (double)base;
  return (int64_t)us + pauses_us(c);
}

ws_session *ws_session_new(const ws_case *c, const ws_session_opts *opts,
                           ws_observation *obs, int64_t now_us) {
  ws_session *s = calloc(1, sizeof *s);
  if (!s) {
    (void)ws_obs_set_error(obs, "out of memory");
    return NULL;
  }
  s->c = c;
  s->opts = *opts;
  s->obs = obs;
  s->role = opts->role;
  obs->role = opts->role;
  s->scale = effective_scale(opts->timeout_scale);
  s->t0 = s->now = now_us;
  s->deadline = s->t0 + case_deadline_us(s);
  s->obs->stream_expected = ws_case_stream_messages(c, opts->profile);
  /* Every key derives from (seed, case id), whatever thread or order runs
   * the case: the same seed sends the same bytes. */
  ws_case_keys_init(&s->keys, opts->seed, c->id, s->key);
  char reply_salt[WS_CASE_ID_MAX + 8];
  snprintf(reply_salt, sizeof reply_salt, "reply:%s", c->id);
  ws_prng_seed(&s->reply_keys, opts->seed, reply_salt);
  bool client = s->role == WS_ROLE_CLIENT;
  ws_http_parser_init(&s->http, client ? WS_HTTP_RESPONSE : WS_HTTP_REQUEST,
                      SESSION_HTTP_MAX_BYTES, SESSION_HTTP_MAX_FIELDS);
  size_t largest = 0;
  if (size_budget(s, &largest) != 0) {
    ws_session_free(s);
    (void)ws_obs_set_error(obs, "out of memory");
    return NULL;
  }
  /* Only what a case can grade is kept of a message: a longer one keeps
   * its prefix and its length. */
  s->message_max =
      largest > SESSION_MIN_MESSAGE_KEPT ? largest : SESSION_MIN_MESSAGE_KEPT;
  session_init_reader(s, false);
  /* Our own output, followed for frame boundaries: any RSV is fine. */
  ws_frame_decoder_config tc = {.sender = client ? WS_SENDER_CLIENT
                                                 : WS_SENDER_SERVER,
                                .policy = WS_POLICY_OBSERVE,
                                .allowed_rsv = WS_RSV1 | WS_RSV2 | WS_RSV3};
  ws_frame_decoder_init(&s->tx, &tc);
  s->tx_boundary = true;
  return s;
}

void ws_session_free(ws_session *s) {
  if (!s)
    return;
  ws_http_parser_free(&s->http);
  ws_message_reader_free(&s->reader);
  ws_buf_free(&s->replies);
  ws_buf_free(&s->replies_note);
  ws_buf_free(&s->out);
  ws_buf_free(&s->coalesced);
  ws_buf_free(&s->coalesced_note);
  session_stream_free(s);
  session_pmd_free(s);
  free(s->check_key);
  free(s->check_protocols);
  free(s->check_extensions);
  free(s);
}

static void set_now(ws_session *s, int64_t now_us) {
  if (now_us > s->now)
    s->now = now_us;
}

/* ---- input ---- */

void ws_session_feed(ws_session *s, int64_t now_us, uint8_t *buf, size_t len) {
  set_now(s, now_us);
  if (s->eof || s->phase == PHASE_DONE || len == 0)
    return;
  if (ws_obs_add_wire(s->obs, session_t(s), WS_WIRE_RX, buf, len, NULL)) {
    session_oom(s);
    return;
  }
  if (!s->hs_done) {
    size_t used = session_feed_http(s, buf, len);
    buf += used;
    len -= used;
  }
  /* Frames may follow the HTTP message in the same read; after a refusal
   * the bytes are only logged. */
  if (s->hs_done && s->upgraded && len > 0)
    session_feed_frames(s, buf, len);
  session_advance(s);
}

void ws_session_peer_closed(ws_session *s, int64_t now_us, int err) {
  set_now(s, now_us);
  if (s->eof)
    return;
  ws_observation *obs = s->obs;
  s->eof = true;
  obs->peer_closed_tcp = true;
  obs->peer_reset = err != 0;
  obs->tcp_end_t_ms = session_t(s);
  obs->tcp_end_steps_started = s->steps_started;
  /* The peer's close frame came before its TCP close, and ours had not
   * ended TCP yet: it closed first (RFC 6455 7.1.1: the server should). */
  obs->peer_closed_first = s->close_received && !s->shutdown_done;
  if (err == 0) {
    session_note(s, "peer closed TCP");
  } else {
    char why[128];
    session_note(s, "connection ended: %s", ws_strerror(err, why, sizeof why));
  }
  if (!s->hs_done)
    session_http_missing(s, "before the end of input");
  session_advance(s);
}

bool ws_session_wants_read(const ws_session *s) {
  return !s->eof && s->phase != PHASE_DONE;
}

/* ---- output ---- */

size_t ws_session_next_write(ws_session *s, int64_t now_us,
                             const uint8_t **out) {
  set_now(s, now_us);
  session_advance(s);
  if (!session_writing(s) || s->phase == PHASE_DONE)
    return 0;
  size_t left = s->out.len - s->out_pos;
  if (s->out_chop > 0 && left > s->out_chop - s->piece_pos)
    left = s->out_chop - s->piece_pos;
  *out = s->out.ptr + s->out_pos;
  return left;
}

void ws_session_write_failed(ws_session *s, int64_t now_us, int err) {
  set_now(s, now_us);
  if (!session_writing(s))
    return;
  char why[128];
  if (s->obs->send_error == 0)
    s->obs->send_error = err;
  session_note(s, "write failed after %zu of %zu bytes: %s", s->out_pos,
               s->out.len, ws_strerror(err, why, sizeof why));
  s->stop_steps = true;
  ws_buf_clear(&s->out);
  s->out_pos = 0;
  session_advance(s);
}

bool ws_session_wants_shutdown(const ws_session *s) {
  return s->shutdown_wanted && !s->shutdown_done && !session_writing(s);
}

void ws_session_shutdown_done(ws_session *s, int64_t now_us) {
  set_now(s, now_us);
  s->shutdown_done = true;
  session_note(s, "harness closed TCP (write side)");
  session_advance(s);
}

/* ---- control ---- */

int64_t ws_session_deadline(const ws_session *s) {
  /* Nothing but the write moves while one is in progress. */
  if (session_writing(s) && s->phase != PHASE_DONE)
    return s->out_until;
  return session_step_deadline(s);
}

bool ws_session_done(const ws_session *s) { return s->phase == PHASE_DONE; }

void ws_session_note(ws_session *s, int64_t now_us, const char *text) {
  set_now(s, now_us);
  session_note(s, "%s", text);
}

void ws_session_end(ws_session *s, int64_t now_us) {
  set_now(s, now_us);
  if (!s->eof)
    session_note(s, "harness closed TCP");
  s->obs->steps_started = s->steps_started;
  s->obs->duration_ms = session_t(s);
}
