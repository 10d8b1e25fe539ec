/* Runs one case (cases/FORMAT.md) on a fresh connection: the opening
 * handshake, the steps in order, then the end of the connection, recording
 * everything in the observation. Every wait is bounded by the case deadline
 * (timeout * --timeout-scale) or by a scaled internal bound; nothing blocks:
 * the socket is non-blocking and every wait is a poll that also reads. */
#include "case/expected.h"
#include "case/step_frames.h"
#include "run/runner_internal.h"

#include "codec/errors.h"
#include "io/net.h"
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_precise_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

double runner_t(const run_ctx *x) { return now_precise_ms() - x->t0_precise; }

void runner_note(run_ctx *x, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (ws_obs_add_wire(x->obs, runner_t(x), WS_WIRE_NOTE, NULL, 0, text))
    runner_oom(x);
}

void runner_oom(run_ctx *x) {
  x->fatal = true;
  x->stop_steps = true;
  (void)ws_obs_set_error(x->obs, "out of memory");
}

const char *runner_strerror(int err, char *buf, size_t cap) {
  /* strerror() may share a static buffer between threads; cases run in
   * parallel. */
#if defined(_GNU_SOURCE) && defined(__GLIBC__)
  return strerror_r(err, buf, cap);
#else
  if (strerror_r(err, buf, cap) != 0)
    snprintf(buf, cap, "error %d", err);
  return buf;
#endif
}

int64_t runner_scaled(const run_ctx *x, int64_t ms) {
  return (int64_t)((double)ms * x->scale);
}

/* ---- setup and teardown ---- */

static double effective_scale(double scale) {
  if (!(scale > 0))
    return 1.0; /* unset */
  return scale < 0.1 ? 0.1 : scale;
}

static int ctx_init(run_ctx *x, const ws_case *c, const ws_run_options *opt,
                    ws_observation *obs) {
  memset(x, 0, sizeof *x);
  x->c = c;
  x->opt = opt;
  x->obs = obs;
  x->fd = -1;
  x->scale = effective_scale(opt->timeout_scale);
  uint32_t timeout = c->timeout_ms ? c->timeout_ms : WS_CASE_DEFAULT_TIMEOUT_MS;
  x->t0 = ws_now_ms();
  x->t0_precise = now_precise_ms();
  x->deadline = x->t0 + runner_scaled(x, timeout);
  /* Every key derives from (seed, case id), whatever thread or order runs
   * the case: the same seed sends the same bytes. */
  ws_case_keys_init(&x->prng, opt->seed, c->id, x->key);
  char reply_salt[WS_CASE_ID_MAX + 8];
  snprintf(reply_salt, sizeof reply_salt, "reply:%s", c->id);
  ws_prng_seed(&x->reply_prng, opt->seed, reply_salt);
  ws_http_parser_init(&x->http, WS_HTTP_RESPONSE, RUNNER_HTTP_MAX_BYTES,
                      RUNNER_HTTP_MAX_FIELDS);
  /* The target is a server: its frames must not be masked (RFC 6455 5.1);
   * OBSERVE records its violations and goes on. */
  ws_message_config mc = {.sender = WS_SENDER_SERVER,
                          .policy = WS_POLICY_OBSERVE,
                          .max_message = WS_OBS_MAX_KEPT,
                          .max_fragments = UINT32_MAX};
  ws_message_reader_init(&x->reader, &mc);
  /* Our own output, followed for frame boundaries: any RSV is fine. */
  ws_frame_decoder_config tc = {.sender = WS_SENDER_CLIENT,
                                .policy = WS_POLICY_OBSERVE,
                                .allowed_rsv = WS_RSV1 | WS_RSV2 | WS_RSV3};
  ws_frame_decoder_init(&x->tx, &tc);
  x->tx_boundary = true;
  x->rx = malloc(RUNNER_RX_CHUNK);
  if (!x->rx) {
    runner_oom(x);
    return -1;
  }
  return 0;
}

static void ctx_free(run_ctx *x) {
  if (x->fd >= 0) {
    if (!x->eof)
      runner_note(x, "harness closed TCP");
    close(x->fd);
  }
  free(x->rx);
  ws_http_parser_free(&x->http);
  ws_message_reader_free(&x->reader);
  run_buf_free(&x->replies);
  run_buf_free(&x->replies_note);
  run_buf_free(&x->coalesced);
  run_buf_free(&x->coalesced_note);
  free(x->check_key);
  free(x->check_protocols);
  free(x->check_extensions);
}

static int connect_target(run_ctx *x) {
  const ws_url *u = &x->opt->url;
  if (u->secure) {
    (void)ws_obs_set_error(x->obs, "wss:// (TLS) is not supported");
    return -1;
  }
  int fd = ws_net_connect(u->host, u->port, x->deadline);
  if (fd < 0) {
    char text[256], why[128];
    /* "connect:" is what the scheduler looks for (unreachable target). */
    snprintf(text, sizeof text, "connect: %s",
             runner_strerror(-fd, why, sizeof why));
    if (ws_obs_set_error(x->obs, text))
      runner_oom(x);
    runner_note(x, "%s", text);
    return -1;
  }
  x->fd = fd;
  runner_note(x, "connected to %s:%u", u->host, (unsigned)u->port);
  return 0;
}

/* ---- steps ---- */

static const char *op_name(uint8_t opcode) { return ws_opcode_name(opcode); }

/* "step 3 (bad): frame text fin=1 len=5" plus whatever is unusual. */
static void describe_frame(char *out, size_t cap, size_t index,
                           const ws_step *s, const ws_frame_spec *spec,
                           size_t len) {
  int n = snprintf(out, cap, "step %zu%s%s%s: frame %s fin=%d", index + 1,
                   s->label ? " (" : "", s->label ? s->label : "",
                   s->label ? ")" : "", op_name(spec->opcode), spec->fin);
  if (n < 0 || (size_t)n >= cap)
    return;
  if (spec->rsv)
    n += snprintf(out + n, cap - (size_t)n, " rsv=%u", spec->rsv);
  if ((size_t)n < cap && !spec->masked)
    n += snprintf(out + n, cap - (size_t)n, " mask=no");
  if ((size_t)n < cap && spec->length_form != WS_LEN_MINIMAL)
    n += snprintf(out + n, cap - (size_t)n, " length-form=%d",
                  spec->length_form == WS_LEN_7BIT    ? 7
                  : spec->length_form == WS_LEN_16BIT ? 16
                                                      : 64);
  if ((size_t)n < cap)
    n += snprintf(out + n, cap - (size_t)n, " len=%zu", len);
  if ((size_t)n < cap && spec->lie_length)
    snprintf(out + n, cap - (size_t)n, " declared=%llu",
             (unsigned long long)spec->declared_length);
}

static int send_frame(run_ctx *x, size_t index, const ws_step *s,
                      const ws_frame_spec *spec, const uint8_t *payload,
                      size_t len) {
  run_buf frame = {0};
  char note[256];
  describe_frame(note, sizeof note, index, s, spec, len);
  if (runner_encode_frame(x, spec, payload, len, &frame)) {
    if (!x->fatal)
      runner_note(x, "%s: cannot be encoded, skipped", note);
    run_buf_free(&frame);
    return x->fatal ? -1 : 0;
  }
  int rc = runner_send(x, frame.ptr, frame.len, note);
  run_buf_free(&frame);
  return rc;
}

static int step_frame(run_ctx *x, size_t index, const ws_step *s) {
  ws_frame_spec spec;
  ws_step_frame_spec(s, &x->prng, &spec);
  return send_frame(x, index, s, &spec, s->payload.ptr, s->payload.len);
}

static int step_fragmented(run_ctx *x, size_t index, const ws_step *s) {
  ws_fragments it;
  ws_frame_spec spec;
  const uint8_t *payload;
  size_t len;
  ws_fragments_begin(&it, s);
  while (ws_fragments_next(&it, &x->prng, &spec, &payload, &len)) {
    if (send_frame(x, index, s, &spec, payload, len))
      return -1;
    if (x->stop_steps || ws_now_ms() >= x->deadline)
      return -1;
  }
  return 0;
}

static void step_wait(run_ctx *x, const ws_step *s) {
  if (runner_flush(x))
    return;
  /* Pauses are part of the stimulus: not scaled, but never past the case
   * deadline. */
  int64_t until = ws_now_ms() + (int64_t)s->number;
  if (until > x->deadline)
    until = x->deadline;
  while (!x->stop_steps && runner_wait_input(x, until))
    ;
}

static size_t events_of_kind(const ws_observation *obs,
                             enum ws_obs_event_kind kind) {
  size_t n = 0;
  for (size_t i = 0; i < obs->event_count; i++)
    n += obs->events[i].kind == kind;
  return n;
}

static bool has_pong(const ws_observation *obs, const ws_reply *want) {
  for (size_t i = 0; i < obs->event_count; i++) {
    const ws_obs_event *e = &obs->events[i];
    if (e->kind == WS_OBS_PONG && e->len == want->len &&
        (want->len == 0 || memcmp(e->data, want->ptr, want->len) == 0))
      return true;
  }
  return false;
}

/* Every message marked echo so far has come back, and so has the pong for
 * the latest ping marked echo: RFC 6455 5.5.3 lets a peer answer only the
 * most recent of several pings, so earlier pongs may never come. */
static bool replies_in(const run_ctx *x, const ws_expected *want) {
  if (events_of_kind(x->obs, WS_OBS_MESSAGE) < want->msg_count)
    return false;
  return want->pong_count == 0 ||
         has_pong(x->obs, &want->pongs[want->pong_count - 1]);
}

/* Before the case's own close frame, the replies marked echo on earlier steps
 * get their chance to arrive (until the deadline): a peer may stop sending
 * data once it has read a close (RFC 6455 1.4, 5.5.1), so a close sent right
 * behind a message would grade an echo server on a race. A case that wants
 * the close right behind the data says `coalesce`, which skips the wait. */
static void await_replies(run_ctx *x, size_t index) {
  const ws_step *s = &x->c->steps[index];
  if (s->kind != WS_STEP_FRAME || s->frame.opcode != WS_OP_CLOSE ||
      x->coalescing || x->eof || x->close_received)
    return;
  ws_expected want;
  if (ws_expected_build(x->c, index, &want) != 0) {
    runner_oom(x);
    return;
  }
  while (!replies_in(x, &want) && !x->eof && !x->close_received && !x->fatal &&
         runner_wait_input(x, x->deadline))
    ;
  ws_expected_free(&want);
}

static void run_step(run_ctx *x, size_t index) {
  const ws_step *s = &x->c->steps[index];
  char note[160];
  switch (s->kind) {
  case WS_STEP_FRAME:
    (void)step_frame(x, index, s);
    break;
  case WS_STEP_FRAGMENTED:
    (void)step_fragmented(x, index, s);
    break;
  case WS_STEP_RAW:
    snprintf(note, sizeof note, "step %zu%s%s%s: raw bytes", index + 1,
             s->label ? " (" : "", s->label ? s->label : "",
             s->label ? ")" : "");
    (void)runner_send(x, s->payload.ptr, s->payload.len, note);
    break;
  case WS_STEP_CHOP:
    x->chop = (size_t)s->number;
    break;
  case WS_STEP_COALESCE:
    x->coalescing = true;
    break;
  case WS_STEP_FLUSH:
    (void)runner_flush(x);
    break;
  case WS_STEP_WAIT:
    step_wait(x, s);
    break;
  case WS_STEP_HANDSHAKE:
  case WS_STEP_REQUEST:
    runner_note(x, "step %zu: handshake/request only valid first: ignored",
                index + 1);
    break;
  }
}

static bool sends_bytes(enum ws_step_kind kind) {
  return kind == WS_STEP_FRAME || kind == WS_STEP_FRAGMENTED ||
         kind == WS_STEP_RAW;
}

/* The reason the steps stopped early, for the wire log. */
static const char *stop_reason(const run_ctx *x) {
  if (x->fatal)
    return "harness error";
  if (x->obs->send_error)
    return "a write failed";
  if (x->eof)
    return "the peer closed the connection";
  if (x->close_received)
    return "the peer sent a close";
  if (!x->upgraded)
    return "not upgraded";
  return "the case deadline passed";
}

/* The opening handshake: the case's own opening step (after any `chop`
 * steps, which then cut the request too) or the default one. Returns the
 * index of the first step still to run. */
static size_t open_connection(run_ctx *x) {
  const ws_case *c = x->c;
  size_t first = 0;
  while (first < c->step_count && c->steps[first].kind == WS_STEP_CHOP)
    first++;
  bool own =
      first < c->step_count && (c->steps[first].kind == WS_STEP_HANDSHAKE ||
                                c->steps[first].kind == WS_STEP_REQUEST);
  if (!own) {
    (void)runner_handshake(x, NULL);
    return 0;
  }
  for (size_t i = 0; i < first; i++)
    run_step(x, i);
  x->steps_started = first + 1;
  if (c->steps[first].kind == WS_STEP_HANDSHAKE)
    (void)runner_handshake(x, &c->steps[first]);
  else
    (void)runner_request(x, &c->steps[first]);
  return first + 1;
}

static void run_steps(run_ctx *x) {
  const ws_case *c = x->c;
  size_t i = open_connection(x);
  /* RFC 6455 4.1: the client waits for the response before sending data,
   * unless the case pipelines frames behind the request on purpose. */
  if (!x->coalescing && !x->stop_steps && !runner_await_response(x))
    x->stop_steps = true;
  for (; i < c->step_count && !x->stop_steps; i++) {
    if (!x->coalescing && sends_bytes(c->steps[i].kind) &&
        !runner_await_response(x)) {
      x->stop_steps = true;
      break;
    }
    if (ws_now_ms() >= x->deadline) {
      x->obs->deadline_hit = !x->eof;
      x->stop_steps = true;
      break;
    }
    await_replies(x, i);
    x->steps_started = i + 1;
    run_step(x, i);
    runner_read_available(x);
    runner_send_replies(x, x->deadline);
    if (x->eof)
      x->stop_steps = true;
  }
  if (x->stop_steps && i < c->step_count)
    runner_note(x, "steps %zu to %zu not sent: %s", i + 1, c->step_count,
                stop_reason(x));
  if (!x->stop_steps && !x->fatal)
    (void)runner_flush(x); /* the end of the steps ends `coalesce` */
  else if (x->coalesced.len > 0)
    runner_note(x, "%zu coalesced bytes not sent", x->coalesced.len);
  x->steps_over = true;
}

/* ---- the end of the connection ---- */

/* After a refused upgrade: a short look at whether the peer closes. */
static void finish_refused(run_ctx *x) {
  if (x->eof || x->fatal || !x->obs->response_complete)
    return;
  int64_t until = ws_now_ms() + runner_scaled(x, RUNNER_REFUSAL_DRAIN_MS);
  if (until > x->deadline)
    until = x->deadline;
  runner_read_until(x, until);
  if (!x->eof && ws_now_ms() >= x->deadline)
    x->obs->deadline_hit = true;
}

/* RFC 6455 7.1.1: after the closing handshake the server should close TCP
 * first; it gets a scaled grace period (which may run past the case
 * deadline: a close near the deadline still gets its full grace). */
static void finish_grace(run_ctx *x, double from_t) {
  int64_t grace = runner_scaled(x, RUNNER_CLOSE_GRACE_MS);
  int64_t until = x->t0 + (int64_t)from_t + grace;
  runner_read_until(x, until);
  if (!x->eof && !x->fatal)
    runner_note(x, "the peer did not close TCP within %lld ms",
                (long long)grace);
}

static void finish_upgraded(run_ctx *x) {
  ws_observation *obs = x->obs;
  /* A close that came with the peer's FIN is still answered. */
  runner_send_replies(x, x->deadline);
  while (!x->eof && !x->fatal) {
    if (obs->closing_handshake) {
      finish_grace(x, x->handshake_done_t);
      return;
    }
    bool reply_stuck =
        x->close_received && (!x->reply_close || obs->send_error != 0);
    if (reply_stuck) {
      /* The peer's close cannot be answered: give it the same grace. */
      finish_grace(x, runner_t(x));
      return;
    }
    if (ws_now_ms() >= x->deadline) {
      /* Never a close or a drop: the peer simply stayed silent. */
      obs->deadline_hit = true;
      runner_note(x, "case deadline passed with the connection open");
      return;
    }
    (void)runner_wait_input(x, x->deadline);
  }
}

static void finish(run_ctx *x) {
  if (x->fatal)
    return;
  if (!x->hs_done)
    (void)runner_await_response(x);
  if (x->upgraded)
    finish_upgraded(x);
  else
    finish_refused(x);
}

void ws_run_case(const ws_case *c, const ws_run_options *options,
                 ws_observation *obs) {
  run_ctx x;
  if (ctx_init(&x, c, options, obs) == 0 && connect_target(&x) == 0) {
    run_steps(&x);
    finish(&x);
  }
  obs->steps_started = x.steps_started;
  ctx_free(&x);
  obs->duration_ms = runner_t(&x);
  if (c->uses_alive && !obs->harness_error)
    obs->alive = ws_run_liveness(options);
}
