/* The replies a case expects (cases/FORMAT.md "echo"), derived from its
 * steps. The grader compares them with what arrived; the runner waits for
 * them before a closing step. */
#include "case/expected.h"

#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/hooks.h"
#include "codec/inflate.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

static int push_reply(ws_reply **arr, size_t *count, ws_reply r) {
  ws_reply *grown = realloc(*arr, (*count + 1) * sizeof *grown);
  if (!grown)
    return -1;
  grown[(*count)++] = r;
  *arr = grown;
  return 0;
}

/* A data message being assembled from `frame` steps. */
typedef struct assembly {
  bool active;
  bool echo;
  uint8_t opcode;
  const uint8_t *first; /* the first frame's payload, used as is when the
                           message has one frame */
  size_t first_len;
  ws_buf joined; /* the concatenation, once a continuation arrives */
  bool continued;
  bool compressed; /* RSV1 on the first frame: DEFLATE data (RFC 7692) */
} assembly;

static void assembly_append(assembly *a, const ws_bytes *b) {
  if (!a->continued) {
    a->continued = true;
    ws_buf_append(&a->joined, a->first, a->first_len);
  }
  ws_buf_append(&a->joined, b->ptr, b->len);
}

/* A message the case wrote as raw compressed frames echoes as what it
 * inflates to (RFC 7692 7.2.2), each on its own window: a case writes such
 * a message to test one DEFLATE form, not a context shared with others.
 * 1 with *r set, 0 when it does not inflate (no echo can be expected of a
 * message the peer must refuse), -1 when out of memory. */
static int inflated_reply(const uint8_t *data, size_t len, ws_reply *r) {
  ws_inflater_config cfg = {.no_context_takeover = true,
                            .max_message = WS_CASE_MAX_PAYLOAD,
                            .policy = WS_POLICY_STRICT};
  ws_inflater *inf;
  if (ws_inflater_new(&cfg, &inf) != 0)
    return -1;
  ws_bytebuf plain = {0};
  int rc = ws_inflater_feed(inf, data, len, true, &plain);
  ws_inflater_free(inf);
  if (rc != 0) {
    ws_bytebuf_free(&plain);
    return rc == -WS_E_NOMEM ? -1 : 0;
  }
  /* Into the expected set's own allocator (the hooks), never empty. */
  r->owned = ws_malloc(plain.len ? plain.len : 1);
  if (!r->owned) {
    ws_bytebuf_free(&plain);
    return -1;
  }
  if (plain.len)
    memcpy(r->owned, plain.data, plain.len);
  r->ptr = r->owned;
  r->len = plain.len;
  ws_bytebuf_free(&plain);
  return 1;
}

/* The message is complete: keep it when some frame of it was marked echo. */
static int assembly_finish(assembly *a, ws_expected *out) {
  int rc = 0;
  if (a->joined.failed) {
    rc = -1;
  } else if (a->echo && a->compressed) {
    ws_reply r = {.opcode = a->opcode};
    const uint8_t *data = a->continued ? a->joined.ptr : a->first;
    size_t len = a->continued ? a->joined.len : a->first_len;
    rc = inflated_reply(data, len, &r);
    if (rc == 1) {
      rc = push_reply(&out->msgs, &out->msg_count, r);
      if (rc != 0)
        ws_free(r.owned);
    }
  } else if (a->echo) {
    ws_reply r = {.opcode = a->opcode};
    if (a->continued) {
      r.len = a->joined.len;
      r.ptr = r.owned = a->joined.ptr ? a->joined.ptr : ws_malloc(1);
      a->joined = (ws_buf){0};
      if (!r.ptr)
        return -1;
    } else {
      r.ptr = a->first;
      r.len = a->first_len;
    }
    rc = push_reply(&out->msgs, &out->msg_count, r);
    if (rc != 0)
      ws_free(r.owned);
  }
  ws_buf_free(&a->joined);
  memset(a, 0, sizeof *a);
  return rc;
}

static int expect_frame(const ws_step *s, assembly *a, ws_expected *out) {
  uint8_t op = s->frame.opcode;
  if (op == WS_OP_PING) {
    if (!s->echo)
      return 0;
    ws_reply r = {WS_OP_PONG, s->payload.ptr, s->payload.len, NULL};
    return push_reply(&out->pongs, &out->pong_count, r);
  }
  if (op == WS_OP_TEXT || op == WS_OP_BINARY) {
    /* A new message while one is open is the peer's cue to fail the
     * connection; the open one can never complete, so it is dropped. */
    ws_buf_free(&a->joined);
    *a = (assembly){.active = true,
                    .echo = s->echo,
                    .opcode = op,
                    .first = s->payload.ptr,
                    .first_len = s->payload.len,
                    .compressed = (s->frame.rsv & WS_RSV1) != 0};
  } else if (op == WS_OP_CONTINUATION && a->active) {
    a->echo = a->echo || s->echo;
    assembly_append(a, &s->payload);
  } else {
    return 0; /* close, pong, reserved opcodes, stray continuation */
  }
  return s->frame.fin ? assembly_finish(a, out) : 0;
}

int ws_expected_build(const ws_case *c, size_t upto, ws_expected *out) {
  memset(out, 0, sizeof *out);
  assembly a = {0};
  if (upto > c->step_count)
    upto = c->step_count;
  for (size_t i = 0; i < upto; i++) {
    const ws_step *s = &c->steps[i];
    int rc = 0;
    if (s->kind == WS_STEP_FRAME) {
      rc = expect_frame(s, &a, out);
    } else if (s->kind == WS_STEP_FRAGMENTED && s->echo) {
      ws_reply r = {s->frame.opcode, s->payload.ptr, s->payload.len, NULL};
      rc = push_reply(&out->msgs, &out->msg_count, r);
    }
    if (rc != 0) {
      ws_buf_free(&a.joined);
      ws_expected_free(out);
      return -1;
    }
  }
  ws_buf_free(&a.joined); /* a message never finished: nothing to expect */
  return 0;
}

void ws_expected_free(ws_expected *e) {
  for (size_t i = 0; i < e->msg_count; i++)
    ws_free(e->msgs[i].owned);
  free(e->msgs);
  free(e->pongs);
  memset(e, 0, sizeof *e);
}
