/* A binary min-heap of deadlines for the reactor (private to server/).
 *
 * Each connection embeds a ws_timer; arming, re-arming and cancelling cost
 * O(log n), finding the next deadline O(1), so the epoll_wait timeout is
 * cheap to compute however many connections are open. The heap never
 * allocates while arming: the reactor reserves one slot per connection when
 * it accepts, so a deadline can never be lost to an allocation failure. */
#ifndef WS_SERVER_TIMERS_H
#define WS_SERVER_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_TIMER_UNARMED UINT32_MAX

typedef struct ws_timer {
  int64_t deadline_ms; /* CLOCK_MONOTONIC milliseconds */
  uint32_t pos;        /* index in the heap, WS_TIMER_UNARMED when not in it */
} ws_timer;

typedef struct ws_timers {
  ws_timer **items;
  uint32_t len, cap;
} ws_timers;

void ws_timers_init(ws_timers *h);
void ws_timers_free(ws_timers *h);

/* Makes sure `count` timers can be armed at once without allocating.
 * Returns 0 or -WS_E_NOMEM. */
int ws_timers_reserve(ws_timers *h, size_t count);

static inline void ws_timer_init(ws_timer *t) {
  t->deadline_ms = 0;
  t->pos = WS_TIMER_UNARMED;
}
static inline bool ws_timer_armed(const ws_timer *t) {
  return t->pos != WS_TIMER_UNARMED;
}

/* Arms t (or moves its deadline). Capacity must have been reserved. */
void ws_timers_arm(ws_timers *h, ws_timer *t, int64_t deadline_ms);
/* Disarms t; a no-op when it is not armed. */
void ws_timers_cancel(ws_timers *h, ws_timer *t);
/* The earliest armed timer, or NULL. */
ws_timer *ws_timers_first(const ws_timers *h);

#endif
