/* Shared by the tests of the case engine (test_session.c) and the runner
 * (test_runner.c): cases built in C instead of parsed, and queries and
 * assertions on the observation they produce. */
#ifndef WS_TESTS_CASE_FIXTURE_H
#define WS_TESTS_CASE_FIXTURE_H

#include "case/case.h"
#include "codec/frame.h"
#include "engine/observation.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- cases built in C ---- */

#define TC_MAX_STEPS 32

typedef struct tcase {
  ws_case c;
  ws_step steps[TC_MAX_STEPS];
  uint8_t pool[8192]; /* small payloads */
  size_t pool_used;
} tcase;

static inline void tc_init(tcase *t, const char *id, uint32_t timeout_ms) {
  memset(t, 0, sizeof *t);
  snprintf(t->c.id, sizeof t->c.id, "%s", id);
  t->c.title = id;
  t->c.area = "framing";
  t->c.rfc = "6455#5.2";
  t->c.timeout_ms = timeout_ms;
  t->c.steps = t->steps;
}

static inline ws_step *tc_add(tcase *t, enum ws_step_kind kind) {
  cr_assert_lt(t->c.step_count, TC_MAX_STEPS);
  ws_step *s = &t->steps[t->c.step_count++];
  s->kind = kind;
  s->line = (int)t->c.step_count;
  if (kind == WS_STEP_HANDSHAKE || kind == WS_STEP_REQUEST)
    t->c.raw_handshake = kind == WS_STEP_REQUEST;
  return s;
}

static inline ws_bytes tc_bytes(tcase *t, const void *data, size_t len) {
  cr_assert_leq(t->pool_used + len, sizeof t->pool);
  uint8_t *p = t->pool + t->pool_used;
  if (len)
    memcpy(p, data, len);
  t->pool_used += len;
  return (ws_bytes){p, len};
}

/* A masked frame with FIN, payload in the pool (or `big`, not copied). */
static inline ws_step *tc_frame(tcase *t, uint8_t opcode, const void *payload,
                                size_t len) {
  ws_step *s = tc_add(t, WS_STEP_FRAME);
  s->frame.fin = true;
  s->frame.opcode = opcode;
  s->frame.mask = WS_MASK_RANDOM;
  if (len > 1024)
    s->payload = (ws_bytes){payload, len};
  else
    s->payload = tc_bytes(t, payload, len);
  return s;
}

static inline ws_step *tc_text(tcase *t, const char *text) {
  ws_step *s = tc_frame(t, WS_OP_TEXT, text, strlen(text));
  s->echo = true;
  return s;
}

static inline ws_step *tc_close(tcase *t, uint16_t code) {
  uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};
  return tc_frame(t, WS_OP_CLOSE, p, code ? 2 : 0);
}

static inline ws_step *tc_wait(tcase *t, uint64_t ms) {
  ws_step *s = tc_add(t, WS_STEP_WAIT);
  s->number = ms;
  return s;
}

/* ---- observation queries ---- */

static inline size_t count_events(const ws_observation *o,
                                  enum ws_obs_event_kind kind) {
  size_t n = 0;
  for (size_t i = 0; i < o->event_count; i++)
    n += o->events[i].kind == kind;
  return n;
}

static inline const ws_obs_event *
nth_event(const ws_observation *o, enum ws_obs_event_kind kind, size_t nth) {
  for (size_t i = 0; i < o->event_count; i++)
    if (o->events[i].kind == kind && nth-- == 0)
      return &o->events[i];
  return NULL;
}

static inline const char *header_value(const ws_observation *o,
                                       const char *name) {
  for (size_t i = 0; i < o->header_count; i++)
    if (strcasecmp(o->headers[i].name, name) == 0)
      return o->headers[i].value;
  return NULL;
}

/* Every byte of one direction of the wire log, concatenated (heap). */
static inline uint8_t *wire_bytes(const ws_observation *o, enum ws_wire_dir dir,
                                  size_t *len) {
  size_t total = 0;
  for (size_t i = 0; i < o->wire_count; i++)
    if (o->wire[i].dir == dir)
      total += o->wire[i].len;
  uint8_t *out = malloc(total + 1);
  size_t at = 0;
  for (size_t i = 0; i < o->wire_count; i++)
    if (o->wire[i].dir == dir && o->wire[i].len) {
      memcpy(out + at, o->wire[i].bytes, o->wire[i].len);
      at += o->wire[i].len;
    }
  out[at] = '\0';
  *len = at;
  return out;
}

static inline bool wire_has_note(const ws_observation *o, const char *part) {
  for (size_t i = 0; i < o->wire_count; i++)
    if (o->wire[i].note && strstr(o->wire[i].note, part))
      return true;
  return false;
}

/* The common shape of an echo case's result. */
static inline void assert_clean(const ws_observation *o) {
  cr_assert_null(o->harness_error, "%s", o->harness_error);
  cr_assert(o->upgraded);
  cr_assert_eq(o->status, 101);
  cr_assert_eq(count_events(o, WS_OBS_VIOLATION), 0);
}

static inline void assert_message(const ws_observation *o, size_t nth,
                                  uint8_t opcode, const void *data,
                                  size_t len) {
  const ws_obs_event *m = nth_event(o, WS_OBS_MESSAGE, nth);
  cr_assert_not_null(m, "message %zu missing", nth);
  cr_assert_eq(m->opcode, opcode);
  cr_assert_eq(m->len, len);
  cr_assert_eq(m->full_len, len);
  if (len)
    cr_assert_eq(memcmp(m->data, data, len), 0);
}

static inline void assert_closed_1000(const ws_observation *o) {
  const ws_obs_event *c = nth_event(o, WS_OBS_CLOSE, 0);
  cr_assert_not_null(c);
  cr_assert_eq(c->close_code, 1000);
  cr_assert(o->close_sent);
  cr_assert(o->closing_handshake);
  cr_assert(o->peer_closed_tcp);
  cr_assert(o->peer_closed_first);
  cr_assert_not(o->deadline_hit);
}

#endif
