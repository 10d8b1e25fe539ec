/* The two probes that are not catalogue cases: the preflight before a run
 * (is there a WebSocket server at all, and does it speak the URL's scheme?)
 * and the liveness check after a robustness case (does it still serve?).
 * Both are small cases built here and run by ws_run_case, so they share its
 * bounds and its recording. */
#include "run/runner.h"

#include "codec/errors.h"
#include "codec/frame.h"
#include "run/tls_probe.h"

#include <stdio.h>
#include <string.h>

#define LIVENESS_TIMEOUT_MS 2000
#define PREFLIGHT_TIMEOUT_MS 5000

static const uint8_t close_1000[] = {0x03, 0xe8};
static const uint8_t alive_payload[] = "wsprobe-alive-16";

static void frame_step(ws_step *s, uint8_t opcode, const uint8_t *payload,
                       size_t len) {
  memset(s, 0, sizeof *s);
  s->kind = WS_STEP_FRAME;
  s->frame.fin = true;
  s->frame.opcode = opcode;
  s->frame.mask = WS_MASK_RANDOM;
  s->payload.ptr = payload;
  s->payload.len = len;
}

static void probe_case(ws_case *c, const char *id, ws_step *steps, size_t count,
                       uint32_t timeout_ms) {
  memset(c, 0, sizeof *c);
  snprintf(c->id, sizeof c->id, "%s", id);
  c->title = id;
  c->timeout_ms = timeout_ms;
  c->step_count = count;
  c->steps = steps;
}

int ws_run_liveness(const ws_run_options *options) {
  ws_step steps[2];
  frame_step(&steps[0], WS_OP_TEXT, alive_payload, 16);
  steps[0].echo = true;
  frame_step(&steps[1], WS_OP_CLOSE, close_1000, sizeof close_1000);
  ws_case c;
  probe_case(&c, "liveness", steps, 2, LIVENESS_TIMEOUT_MS);
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(&c, options, &obs);
  int alive = 0;
  for (size_t i = 0; i < obs.event_count && obs.upgraded; i++) {
    const ws_obs_event *e = &obs.events[i];
    if (e->kind == WS_OBS_MESSAGE && e->opcode == WS_OP_TEXT && e->len == 16 &&
        memcmp(e->data, alive_payload, 16) == 0) {
      alive = 1;
      break;
    }
  }
  ws_observation_free(&obs);
  return alive;
}

static void explain(const ws_observation *obs, double timeout_ms, char *err,
                    size_t cap) {
  if (obs->harness_error) {
    snprintf(err, cap, "%s", obs->harness_error);
  } else if (!obs->response_complete && obs->deadline_hit) {
    snprintf(err, cap,
             "timed out after %.0f ms waiting for the handshake response",
             timeout_ms);
  } else if (!obs->response_complete && obs->upgrade_error) {
    snprintf(err, cap, "invalid HTTP response: %s",
             ws_error_message(obs->upgrade_error));
  } else if (!obs->response_complete) {
    snprintf(err, cap, "connection closed before a complete HTTP response");
  } else if (obs->status != 101) {
    snprintf(err, cap, "HTTP %d instead of 101", obs->status);
  } else {
    snprintf(err, cap, "invalid handshake response: %s",
             ws_error_message(obs->upgrade_error));
  }
}

enum ws_preflight ws_run_preflight(const ws_run_options *options, char *err,
                                   size_t cap) {
  ws_step step;
  frame_step(&step, WS_OP_CLOSE, close_1000, sizeof close_1000);
  ws_case c;
  probe_case(&c, "preflight", &step, 1, PREFLIGHT_TIMEOUT_MS);
  ws_observation obs;
  ws_observation_init(&obs);
  ws_run_case(&c, options, &obs);
  enum ws_preflight rc = WS_PREFLIGHT_OK;
  if (!obs.upgraded) {
    double scale = options->timeout_scale > 0 ? options->timeout_scale : 1.0;
    scale = scale < 0.1 ? 0.1 : scale;
    if (!ws_run_speaks_tls(options, &obs, scale, err, cap))
      explain(&obs, PREFLIGHT_TIMEOUT_MS * scale, err, cap);
    if (obs.harness_error || !obs.response_complete)
      rc = WS_PREFLIGHT_UNREACHABLE;
    else if (obs.status != 101)
      rc = WS_PREFLIGHT_REFUSED;
    else
      rc = WS_PREFLIGHT_INVALID_101;
  }
  ws_observation_free(&obs);
  return rc;
}
