#include "reports/wire_spill.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One record per entry: t_ms (double), a dir code (u8), the byte count and
 * bytes, the note length (SIZE_MAX: none) and note. Native byte order: the
 * file never outlives the process that wrote it. */
static const char *const dir_names[] = {"tx", "rx", "note"};

static uint8_t dir_code(const char *dir) {
  for (uint8_t i = 0; i < 3; i++)
    if (dir && strcmp(dir, dir_names[i]) == 0)
      return i;
  return 2;
}

static bool put(FILE *f, const void *p, size_t n) {
  return n == 0 || fwrite(p, 1, n, f) == n;
}

static bool get(FILE *f, void *p, size_t n) {
  return n == 0 || fread(p, 1, n, f) == n;
}

static void free_entries(ws_result_wire *w, size_t n) {
  for (size_t i = 0; w && i < n; i++) {
    free(w[i].bytes);
    free(w[i].note);
  }
  free(w);
}

int ws_wire_spill(ws_run_results *r, ws_case_result *c) {
  if (c->wire_spilled || c->wire_count == 0)
    return 0;
  if (!r->wire_spill && !(r->wire_spill = tmpfile()))
    return -1;
  FILE *f = r->wire_spill;
  if (fseeko(f, 0, SEEK_END) != 0)
    return -1;
  off_t at = ftello(f);
  bool ok = at >= 0;
  for (size_t i = 0; ok && i < c->wire_count; i++) {
    const ws_result_wire *e = &c->wire[i];
    uint8_t dir = dir_code(e->dir);
    uint64_t len = e->bytes ? e->len : 0;
    uint64_t note = e->note ? strlen(e->note) : UINT64_MAX;
    ok = put(f, &e->t_ms, sizeof e->t_ms) && put(f, &dir, 1) &&
         put(f, &len, sizeof len) && put(f, e->bytes, (size_t)len) &&
         put(f, &note, sizeof note) &&
         (note == UINT64_MAX || put(f, e->note, (size_t)note));
  }
  if (!ok || fflush(f) != 0)
    return -1;
  free_entries(c->wire, c->wire_count);
  c->wire = NULL;
  c->wire_spilled = true;
  c->wire_spill_at = (uint64_t)at;
  return 0;
}

static int read_entry(FILE *f, ws_result_wire *e) {
  uint8_t dir;
  uint64_t len, note;
  if (!get(f, &e->t_ms, sizeof e->t_ms) || !get(f, &dir, 1) ||
      !get(f, &len, sizeof len) || len > SIZE_MAX - 1)
    return -1;
  e->dir = dir_names[dir < 3 ? dir : 2];
  if (len && (!(e->bytes = malloc((size_t)len)) || !get(f, e->bytes, len)))
    return -1;
  e->len = (size_t)len;
  if (!get(f, &note, sizeof note))
    return -1;
  if (note == UINT64_MAX)
    return 0;
  if (note > SIZE_MAX - 1 || !(e->note = malloc((size_t)note + 1)) ||
      !get(f, e->note, (size_t)note))
    return -1;
  e->note[note] = '\0';
  return 0;
}

int ws_wire_view_open(const ws_run_results *r, const ws_case_result *c,
                      ws_wire_view *v) {
  *v = (ws_wire_view){.wire = c->wire, .count = c->wire_count};
  if (!c->wire_spilled || c->wire_count == 0)
    return 0;
  v->wire = NULL;
  v->count = 0;
  FILE *f = r->wire_spill;
  ws_result_wire *w = calloc(c->wire_count, sizeof *w);
  if (!f || !w || fseeko(f, (off_t)c->wire_spill_at, SEEK_SET) != 0) {
    free(w);
    return -1;
  }
  for (size_t i = 0; i < c->wire_count; i++) {
    if (read_entry(f, &w[i]) != 0) {
      free_entries(w, i + 1);
      return -1;
    }
  }
  v->wire = v->owned = w;
  v->count = c->wire_count;
  return 0;
}

void ws_wire_view_close(ws_wire_view *v) {
  free_entries(v->owned, v->owned ? v->count : 0);
  *v = (ws_wire_view){0};
}

ws_case_result ws_wire_view_case(const ws_case_result *c,
                                 const ws_wire_view *v) {
  ws_case_result copy = *c;
  copy.wire = (ws_result_wire *)v->wire;
  copy.wire_count = v->count;
  copy.wire_spilled = false;
  return copy;
}

static size_t entry_cost(const ws_result_wire *e) {
  return e->len + (e->note ? strlen(e->note) : 0) + WS_WIRE_ENTRY_COST;
}

size_t ws_wire_cost(const ws_case_result *c) {
  size_t cost = 0;
  for (size_t i = 0; !c->wire_spilled && i < c->wire_count; i++)
    cost += entry_cost(&c->wire[i]);
  return cost;
}

size_t ws_wire_cut(ws_case_result *c, size_t max_cost, const char *why) {
  if (c->wire_spilled)
    return 0;
  size_t note_cost = strlen(why) + WS_WIRE_ENTRY_COST;
  size_t cost = 0, keep = 0;
  while (keep < c->wire_count && cost + entry_cost(&c->wire[keep]) <= max_cost)
    cost += entry_cost(&c->wire[keep++]);
  if (keep == c->wire_count)
    return cost;
  /* Room for the note that says why the log stops. */
  while (keep > 0 && cost + note_cost > max_cost)
    cost -= entry_cost(&c->wire[--keep]);
  for (size_t i = keep; i < c->wire_count; i++) {
    if (strcmp(c->wire[i].dir ? c->wire[i].dir : "note", "note") != 0)
      c->wire_dropped += c->wire[i].len;
    free(c->wire[i].bytes);
    free(c->wire[i].note);
  }
  c->wire_count = keep;
  c->wire_truncated = true;
  char *note = strdup(why);
  if (note) {
    c->wire[keep] = (ws_result_wire){
        .t_ms = keep ? c->wire[keep - 1].t_ms : 0, .dir = "note", .note = note};
    c->wire_count++;
    cost += note_cost;
  }
  return cost;
}
