#include "server/timers.h"

#include "codec/errors.h"
#include "codec/hooks.h"

void ws_timers_init(ws_timers *h) {
  h->items = NULL;
  h->len = 0;
  h->cap = 0;
}

void ws_timers_free(ws_timers *h) {
  for (uint32_t i = 0; i < h->len; i++)
    h->items[i]->pos = WS_TIMER_UNARMED;
  ws_free(h->items);
  ws_timers_init(h);
}

int ws_timers_reserve(ws_timers *h, size_t count) {
  if (count <= h->cap)
    return 0;
  if (count >= WS_TIMER_UNARMED)
    return -WS_E_NOMEM;
  size_t cap = h->cap ? h->cap : 64;
  while (cap < count)
    cap *= 2;
  if (cap >= WS_TIMER_UNARMED)
    cap = WS_TIMER_UNARMED - 1;
  ws_timer **grown = ws_realloc(h->items, cap * sizeof(*grown));
  if (!grown)
    return -WS_E_NOMEM;
  h->items = grown;
  h->cap = (uint32_t)cap;
  return 0;
}

static void place(ws_timers *h, uint32_t i, ws_timer *t) {
  h->items[i] = t;
  t->pos = i;
}

static void sift_up(ws_timers *h, uint32_t i) {
  ws_timer *t = h->items[i];
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (h->items[parent]->deadline_ms <= t->deadline_ms)
      break;
    place(h, i, h->items[parent]);
    i = parent;
  }
  place(h, i, t);
}

static void sift_down(ws_timers *h, uint32_t i) {
  ws_timer *t = h->items[i];
  for (;;) {
    uint32_t child = 2 * i + 1;
    if (child >= h->len)
      break;
    if (child + 1 < h->len &&
        h->items[child + 1]->deadline_ms < h->items[child]->deadline_ms)
      child++;
    if (t->deadline_ms <= h->items[child]->deadline_ms)
      break;
    place(h, i, h->items[child]);
    i = child;
  }
  place(h, i, t);
}

void ws_timers_arm(ws_timers *h, ws_timer *t, int64_t deadline_ms) {
  if (ws_timer_armed(t)) {
    int64_t old = t->deadline_ms;
    t->deadline_ms = deadline_ms;
    if (deadline_ms < old)
      sift_up(h, t->pos);
    else
      sift_down(h, t->pos);
    return;
  }
  t->deadline_ms = deadline_ms;
  place(h, h->len++, t);
  sift_up(h, t->pos);
}

void ws_timers_cancel(ws_timers *h, ws_timer *t) {
  if (!ws_timer_armed(t))
    return;
  uint32_t i = t->pos;
  ws_timer *last = h->items[--h->len];
  t->pos = WS_TIMER_UNARMED;
  if (last == t)
    return;
  place(h, i, last);
  /* The moved timer may belong above or below the hole it filled. */
  sift_up(h, i);
  sift_down(h, last->pos);
}

ws_timer *ws_timers_first(const ws_timers *h) {
  return h->len ? h->items[0] : NULL;
}
