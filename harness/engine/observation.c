/* The observation of one case: plain owned data, grown by the runner through
 * the builders below, each of which enforces the limits of observation.h so
 * that nothing a peer sends can make an observation grow without bound. */
#include "engine/observation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_observation_init(ws_observation *obs) {
  memset(obs, 0, sizeof *obs);
  obs->alive = -1;
  obs->wire_max = WS_OBS_DEFAULT_WIRE_MAX;
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
  free(obs->stream_problem);
  size_t wire_max = obs->wire_max;
  ws_observation_init(obs);
  obs->wire_max = wire_max;
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
  if ((unsigned)ev->kind < WS_OBS_KIND_COUNT)
    obs->kind_total[ev->kind]++;
  bool keep = obs->event_count < WS_OBS_MAX_EVENTS &&
              !(ev->kind == WS_OBS_PING &&
                obs->kind_total[WS_OBS_PING] > WS_OBS_MAX_PINGS_KEPT);
  if (!keep) {
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
  obs->wire_charge += len + (note ? strlen(note) : 0) + WS_OBS_WIRE_ENTRY_COST;
  return 0;
}

/* The part of wire_max that bytes may use: the rest is kept for notes. */
static size_t bytes_limit(const ws_observation *obs) {
  size_t max =
      obs->wire_max < WS_OBS_MIN_WIRE_MAX ? WS_OBS_MIN_WIRE_MAX : obs->wire_max;
  return max - WS_OBS_MIN_WIRE_MAX / 4;
}

static int add_note(ws_observation *obs, double t_ms, const char *note) {
  size_t max =
      obs->wire_max < WS_OBS_MIN_WIRE_MAX ? WS_OBS_MIN_WIRE_MAX : obs->wire_max;
  size_t cost = strlen(note) + WS_OBS_WIRE_ENTRY_COST;
  if (obs->wire_charge + cost > max) {
    obs->wire_truncated = true;
    return 0;
  }
  return append_entry(obs, t_ms, WS_WIRE_NOTE, NULL, 0, note);
}

int ws_obs_add_wire(ws_observation *obs, double t_ms, enum ws_wire_dir dir,
                    const uint8_t *bytes, size_t len, const char *note) {
  if (dir == WS_WIRE_NOTE)
    return note ? add_note(obs, t_ms, note) : 0;
  if (obs->wire_dropped > 0) {
    obs->wire_dropped += len;
    return 0;
  }
  size_t limit = bytes_limit(obs);
  size_t cost = WS_OBS_WIRE_ENTRY_COST + (note ? strlen(note) : 0);
  size_t room =
      obs->wire_charge + cost < limit ? limit - obs->wire_charge - cost : 0;
  if (len <= room)
    return append_entry(obs, t_ms, dir, bytes, len, note);
  /* Keep the prefix that fits, then say where the log stops. */
  if (room > 0 && append_entry(obs, t_ms, dir, bytes, room, note))
    return -1;
  obs->wire_dropped += len - room;
  obs->wire_truncated = true;
  char text[160];
  snprintf(text, sizeof text,
           "wire log full (--wire-max %zu): later bytes are counted, not "
           "recorded",
           obs->wire_max);
  return add_note(obs, t_ms, text);
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
