/* permessage-deflate (RFC 7692) in a session, both roles: the agreement read
 * off the opening handshake, our data messages compressed with our
 * direction's parameters, and the peer's compressed messages inflated with
 * exactly the parameters it agreed to (codec/inflate.h: the agreed window,
 * checked distance by distance when it is under 15 bits; a fresh window per
 * message when it agreed to no context takeover). What breaks RFC 7692 is
 * recorded as the peer's violation; what only exceeds the harness's own
 * bound is a note. */
#include "engine/session_internal.h"

#include "codec/errors.h"
#include "codec/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of an inflated message quoted in the wire log. */
#define PREVIEW_BYTES 48

void session_pmd_free(ws_session *s) {
  ws_deflater_free(s->pmd.tx);
  ws_inflater_free(s->pmd.rx);
  ws_bytebuf_free(&s->pmd.scratch);
  ws_bytebuf_free(&s->pmd.packed);
  memset(&s->pmd, 0, sizeof s->pmd);
}

static enum ws_sender our_sender(const ws_session *s) {
  return s->role == WS_ROLE_CLIENT ? WS_SENDER_CLIENT : WS_SENDER_SERVER;
}

static enum ws_sender peer_sender(const ws_session *s) {
  return s->role == WS_ROLE_CLIENT ? WS_SENDER_SERVER : WS_SENDER_CLIENT;
}

int session_pmd_start(ws_session *s, const ws_pmd_agreement *agreement) {
  session_pmd_free(s);
  ws_pmd_direction ours = ws_pmd_direction_of(agreement, our_sender(s));
  ws_pmd_direction theirs = ws_pmd_direction_of(agreement, peer_sender(s));
  ws_deflater_config dc = {.window_bits = ours.window_bits,
                           .no_context_takeover = ours.no_context_takeover};
  /* The peer is held to its window exactly: under 15 bits a reference
   * farther back than it agreed to is its violation (PROTOCOL.md 8), which
   * a lenient 32 KiB inflater would hide. */
  ws_inflater_config ic = {.window_bits = theirs.window_bits,
                           .no_context_takeover = theirs.no_context_takeover,
                           .max_message = s->reader.config.max_message,
                           .policy = WS_POLICY_OBSERVE,
                           .exact_window = theirs.window_bits < 15};
  if (ws_deflater_new(&dc, &s->pmd.tx) != 0 ||
      ws_inflater_new(&ic, &s->pmd.rx) != 0) {
    session_oom(s);
    return -1;
  }
  s->pmd.on = true;
  s->pmd.agreement = *agreement;
  s->obs->deflate = true;
  s->obs->deflate_agreement = *agreement;
  session_note(
      s,
      "permessage-deflate agreed: the server compresses with "
      "%d window bits%s, the client with %d%s",
      agreement->server_window_bits,
      agreement->server_no_context_takeover ? " and no context takeover" : "",
      agreement->client_window_bits,
      agreement->client_no_context_takeover ? " and no context takeover" : "");
  return 0;
}

bool session_pmd_applies(const ws_session *s, const ws_step *st) {
  if (!s->pmd.on || !st->compress)
    return false;
  if (st->kind == WS_STEP_FRAGMENTED || st->kind == WS_STEP_STREAM)
    return true;
  /* A text/binary short form: one whole message in one frame. */
  return st->kind == WS_STEP_FRAME &&
         (st->frame.opcode == WS_OP_TEXT || st->frame.opcode == WS_OP_BINARY) &&
         st->frame.fin && st->frame.rsv == 0;
}

int session_pmd_compress(ws_session *s, const uint8_t *data, size_t len) {
  ws_bytebuf *out = &s->pmd.packed;
  out->len = 0;
  if (ws_deflater_feed(s->pmd.tx, data, len, true, out) != 0) {
    session_oom(s);
    return -1;
  }
  return 0;
}

/* "'{\"id\": 12...' (1024 bytes)" for the wire log. */
static void preview(char *out, size_t cap, const uint8_t *data, size_t len) {
  size_t n = len < PREVIEW_BYTES ? len : PREVIEW_BYTES;
  size_t at = 0;
  for (size_t i = 0; i < n && at + 5 < cap; i++) {
    uint8_t c = data[i];
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
      out[at++] = (char)c;
    else
      at += (size_t)snprintf(out + at, cap - at, "\\x%02x", c);
  }
  out[at < cap ? at : cap - 1] = '\0';
}

static void record_violation(ws_session *s, int violation, const char *detail) {
  ws_obs_event ev = {.kind = WS_OBS_VIOLATION, .violation = violation};
  ev.t_ms = session_t(s);
  ev.steps_started = s->steps_started;
  if (ws_obs_add_event(s->obs, &ev)) {
    session_oom(s);
    return;
  }
  session_note(s, "peer violation: %s%s%s", ws_error_message(violation),
               detail && *detail ? ": " : "", detail ? detail : "");
}

int session_pmd_inflate(ws_session *s, const ws_message_event *m,
                        const uint8_t **data, size_t *len, uint64_t *full_len) {
  if (!s->pmd.on)
    return -1; /* the reader only marks RSV1 compressed once agreed */
  if (m->full_len > m->len) {
    /* Only a prefix was kept: inflating it would report a truncated
     * stream that the peer never sent. */
    session_note(s,
                 "compressed message of %llu bytes is larger than the "
                 "harness keeps: not inflated",
                 (unsigned long long)m->full_len);
    return -1;
  }
  ws_bytebuf *out = &s->pmd.scratch;
  out->len = 0;
  int rc = ws_inflater_feed(s->pmd.rx, m->data, m->len, true, out);
  char shown[PREVIEW_BYTES * 4 + 8];
  switch (-rc) {
  case 0:
    break;
  case WS_E_DEFLATE_TOO_BIG:
    session_note(s,
                 "harness limit: the message inflates past %zu bytes: "
                 "only the first %zu kept",
                 s->reader.config.max_message, out->len);
    *data = out->data;
    *len = out->len;
    *full_len = (uint64_t)out->len + 1; /* never matches an echo */
    return 0;
  case WS_E_DEFLATE_CONTEXT_LOST:
    session_note(s, "compressed message not inflated: an earlier invalid "
                    "one lost the shared window");
    return -1;
  case WS_E_NOMEM:
    session_oom(s);
    return -1;
  default:
    record_violation(s, -rc, ws_inflater_error_detail(s->pmd.rx));
    return -1;
  }
  preview(shown, sizeof shown, out->data, out->len);
  session_note(s, "inflated: %zu bytes from %zu compressed: '%s'%s", out->len,
               m->len, shown, out->len > PREVIEW_BYTES ? "..." : "");
  /* The reader could not check a compressed text message's UTF-8: the
   * inflated bytes are the message (RFC 7692 6, RFC 6455 8.1). */
  if (m->type == WS_MSG_TEXT && !ws_utf8_is_valid(out->data, out->len, NULL))
    record_violation(s, WS_E_INVALID_UTF8, "in the inflated text message");
  *data = out->data;
  *len = out->len;
  *full_len = out->len;
  return 0;
}
