/* The observation of one case: plain owned data, grown by the runner through
 * the builders below, each of which enforces the limits of observation.h so
 * that nothing a peer sends can make an observation grow without bound. */
#include "engine/observation.h"

#include <stdlib.h>
#include <string.h>

void ws_observation_init(ws_observation *obs) {
  memset(obs, 0, sizeof *obs);
  obs->alive = -1;
}

void ws_observation_free(ws_observation *obs) {
  if (!obs)
    return;
  for (size_t i = 0; i < obs->header_count; i++) {
    free(obs->headers[i].name);
    free(obs->headers[i].value);
  }
  free(obs->headers);
  for (size_t i = 0; i < obs->event_count; i++)
    free(obs->events[i].data);
  free(obs->events);
  for (size_t i = 0; i < obs->wire_count; i++) {
    free(obs->wire[i].bytes);
    free(obs->wire[i].note);
  }
  free(obs->wire);
  free(obs->harness_error);
  ws_observation_init(obs);
}

/* Makes room for one more element in a doubling array. Capacities are 16,
 * 32, 64...: the array is full exactly when its count is 0 or one of them,
 * so no capacity field is needed. */
static int reserve(void **array, size_t count, size_t elem) {
  bool full = count == 0 || (count >= 16 && (count & (count - 1)) == 0);
  if (!full)
    return 0;
  size_t cap = count == 0 ? 16 : count * 2;
  void *grown = realloc(*array, cap * elem);
  if (!grown)
    return -1;
  *array = grown;
  return 0;
}

int ws_obs_add_event(ws_observation *obs, const ws_obs_event *ev) {
  if (obs->event_count >= WS_OBS_MAX_EVENTS) {
    obs->events_dropped++;
    free(ev->data);
    return 0;
  }
  if (reserve((void **)&obs->events, obs->event_count, sizeof *obs->events)) {
    free(ev->data);
    return -1;
  }
  obs->events[obs->event_count++] = *ev;
  return 0;
}

static char *copy_text(const char *text, size_t len) {
  char *out = malloc(len + 1);
  if (out) {
    memcpy(out, text, len);
    out[len] = '\0';
  }
  return out;
}

static int append_entry(ws_observation *obs, double t_ms, enum ws_wire_dir dir,
                        const uint8_t *bytes, size_t len, const char *note) {
  if (obs->wire_count >= WS_OBS_MAX_WIRE_ENTRIES) {
    obs->wire_truncated = true;
    return 0;
  }
  if (reserve((void **)&obs->wire, obs->wire_count, sizeof *obs->wire))
    return -1;
  ws_wire_entry e = {.t_ms = t_ms, .dir = dir, .len = len};
  if (len > 0 && !(e.bytes = malloc(len)))
    return -1;
  if (len > 0)
    memcpy(e.bytes, bytes, len);
  if (note && !(e.note = copy_text(note, strlen(note)))) {
    free(e.bytes);
    return -1;
  }
  obs->wire[obs->wire_count++] = e;
  obs->wire_bytes += len;
  return 0;
}

int ws_obs_add_wire(ws_observation *obs, double t_ms, enum ws_wire_dir dir,
                    const uint8_t *bytes, size_t len, const char *note) {
  if (dir == WS_WIRE_NOTE)
    return append_entry(obs, t_ms, dir, NULL, 0, note);
  if (obs->wire_truncated)
    return 0;
  size_t room = WS_OBS_MAX_WIRE - obs->wire_bytes;
  if (len <= room)
    return append_entry(obs, t_ms, dir, bytes, len, note);
  /* Keep the prefix that fits, then say where the log stops. */
  if (room > 0 && append_entry(obs, t_ms, dir, bytes, room, note))
    return -1;
  obs->wire_truncated = true;
  return append_entry(obs, t_ms, WS_WIRE_NOTE, NULL, 0, "wire log truncated");
}

int ws_obs_add_header(ws_observation *obs, const char *name, size_t name_len,
                      const char *value, size_t value_len) {
  if (reserve((void **)&obs->headers, obs->header_count, sizeof *obs->headers))
    return -1;
  ws_obs_header h = {copy_text(name, name_len), copy_text(value, value_len)};
  if (!h.name || !h.value) {
    free(h.name);
    free(h.value);
    return -1;
  }
  obs->headers[obs->header_count++] = h;
  return 0;
}

int ws_obs_set_error(ws_observation *obs, const char *text) {
  if (obs->harness_error)
    return 0;
  obs->harness_error = copy_text(text, strlen(text));
  return obs->harness_error ? 0 : -1;
}
