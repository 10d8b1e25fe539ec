/* See serve_playing.h. */
#include "run/serve_playing.h"

#include "util/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void serve_playing_init(serve_playing *p) {
  memset(p, 0, sizeof *p);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->ended, &attr);
  pthread_condattr_destroy(&attr);
}

void serve_playing_destroy(serve_playing *p) {
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->ended);
}

int serve_playing_start(serve_playing *p, const char *agent) {
  int slot = -1;
  pthread_mutex_lock(&p->lock);
  for (int i = 0; i < SERVE_PLAYING_MAX && slot < 0; i++)
    if (!p->used[i]) {
      p->used[i] = true;
      snprintf(p->agent[i], sizeof p->agent[i], "%s", agent);
      slot = i;
    }
  pthread_mutex_unlock(&p->lock);
  return slot;
}

void serve_playing_end(serve_playing *p, int slot) {
  if (slot < 0 || slot >= SERVE_PLAYING_MAX)
    return;
  pthread_mutex_lock(&p->lock);
  p->used[slot] = false;
  pthread_cond_broadcast(&p->ended);
  pthread_mutex_unlock(&p->lock);
}

static bool in_play(const serve_playing *p, const char *agent) {
  for (int i = 0; i < SERVE_PLAYING_MAX; i++)
    if (p->used[i] && (!agent || strcmp(p->agent[i], agent) == 0))
      return true;
  return false;
}

bool serve_playing_wait(serve_playing *p, const char *agent,
                        int64_t deadline_ms) {
  pthread_mutex_lock(&p->lock);
  bool busy;
  while ((busy = in_play(p, agent))) {
    int64_t left = deadline_ms - ws_now_ms();
    if (left <= 0)
      break;
    struct timespec at = ws_timespec_after_ms(CLOCK_MONOTONIC, left);
    pthread_cond_timedwait(&p->ended, &p->lock, &at);
  }
  pthread_mutex_unlock(&p->lock);
  return !busy;
}
