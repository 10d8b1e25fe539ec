/* Tests for harness/run/serve_playing.c: getCaseStatus and updateReports
 * wait for the agent's cases in play, and only for that agent's. */
#include "run/serve_playing.h"
#include "util/clock.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct ender {
  serve_playing *p;
  int slot;
  atomic_bool ending; /* set just before the case ends */
} ender;

static void *end_later(void *arg) {
  ender *e = arg;
  usleep(100 * 1000);
  atomic_store(&e->ending, true);
  serve_playing_end(e->p, e->slot);
  return NULL;
}

Test(serve_playing, a_wait_returns_once_the_agents_case_ends) {
  serve_playing p;
  serve_playing_init(&p);
  ender e = {&p, serve_playing_start(&p, "python"), false};
  cr_assert_geq(e.slot, 0);
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, end_later, &e), 0);
  int64_t t0 = ws_now_ms();
  cr_assert(serve_playing_wait(&p, "python", t0 + 5000));
  /* Ordered, not timed: the wait returned because the case ended. */
  cr_assert(atomic_load(&e.ending), "it waited for the case to end");
  cr_assert_lt(ws_now_ms() - t0, 5000, "and not for the deadline");
  pthread_join(thread, NULL);
  serve_playing_destroy(&p);
}

Test(serve_playing,
     other_agents_do_not_hold_a_wait_and_the_deadline_bounds_it) {
  serve_playing p;
  serve_playing_init(&p);
  int slot = serve_playing_start(&p, "chromium");
  cr_assert(serve_playing_wait(&p, "python", ws_now_ms() + 5000),
            "no case of python is in play");
  int64_t t0 = ws_now_ms();
  cr_assert_not(serve_playing_wait(&p, "chromium", t0 + 50));
  cr_assert_not(serve_playing_wait(&p, NULL, t0 + 50), "NULL: any agent");
  cr_assert_geq(ws_now_ms() - t0, 50);
  serve_playing_end(&p, slot);
  cr_assert(serve_playing_wait(&p, NULL, ws_now_ms()));
  serve_playing_end(&p, -1); /* an untracked case: nothing to do */
  serve_playing_destroy(&p);
}

Test(serve_playing, past_its_slots_a_case_is_untracked) {
  serve_playing p;
  serve_playing_init(&p);
  for (int i = 0; i < SERVE_PLAYING_MAX; i++)
    cr_assert_eq(serve_playing_start(&p, "a"), i);
  cr_assert_eq(serve_playing_start(&p, "b"), -1);
  cr_assert(serve_playing_wait(&p, "b", ws_now_ms()));
  serve_playing_destroy(&p);
}
