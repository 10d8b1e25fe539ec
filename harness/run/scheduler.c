/* Runs a set of cases: the parallel ones on `jobs` threads pulling the next
 * case from a shared index, then the serial ones (cases that time the peer)
 * one at a time with nothing else running, so load cannot disturb them.
 *
 * Every case is reported exactly once through done(), except those never
 * started because *stop was set. When the target stops accepting
 * connections, the rest are reported as errors without being tried:
 * never silently skipped (Autobahn's "Missing"). */
#include "run/scheduler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_UNREACHABLE_AFTER 3

typedef struct sched {
  const ws_case *const *cases;
  const ws_run_options *run;
  const ws_schedule_options *opt;
  ws_observation **obs; /* preallocated, one per case; NULL once handed out */
  size_t *order;        /* case indexes, parallel ones first */
  size_t begin, end;    /* the current phase's slice of order */
  pthread_mutex_t lock; /* guards everything below and done() */
  size_t next;
  size_t reported;
  int unreachable_after;
  int connect_failures; /* consecutive, in completion order */
  char last_connect_error[320];
  int last_errno;
} sched;

static bool stopped(const sched *s) {
  return s->opt->stop && *s->opt->stop != 0;
}

static bool unreachable(const sched *s) {
  return s->connect_failures >= s->unreachable_after;
}

/* Under the lock. Counts consecutive connect failures. */
static void note_outcome(sched *s, const ws_observation *obs) {
  if (obs->connect_error != 0) {
    s->connect_failures++;
    s->last_errno = obs->connect_error;
    snprintf(s->last_connect_error, sizeof s->last_connect_error, "%s",
             obs->harness_error ? obs->harness_error : "cannot connect");
  } else if (!unreachable(s)) {
    s->connect_failures = 0;
  }
}

/* Under the lock: hands the observation over to done(). */
static void report(sched *s, size_t index) {
  ws_observation *obs = s->obs[index];
  s->obs[index] = NULL;
  s->reported++;
  s->opt->done(s->cases[index], obs, s->opt->ctx);
}

/* Under the lock: a case reported without being tried. */
static void report_unreachable(sched *s, size_t index) {
  char text[400];
  snprintf(text, sizeof text, "target unreachable: %s", s->last_connect_error);
  s->obs[index]->connect_error = s->last_errno;
  if (ws_obs_set_error(s->obs[index], text) != 0)
    (void)ws_obs_set_error(s->obs[index], "target unreachable");
  report(s, index);
}

/* Takes the next case of the phase; false when there is none or the run
 * was stopped. Under the lock. */
static bool take(sched *s, size_t *index) {
  for (;;) {
    if (s->next >= s->end || stopped(s))
      return false;
    *index = s->order[s->next++];
    if (!unreachable(s))
      return true;
    report_unreachable(s, *index);
  }
}

static void *worker(void *arg) {
  sched *s = arg;
  size_t index;
  pthread_mutex_lock(&s->lock);
  while (take(s, &index)) {
    pthread_mutex_unlock(&s->lock);
    ws_run_case(s->cases[index], s->run, s->obs[index]);
    pthread_mutex_lock(&s->lock);
    note_outcome(s, s->obs[index]);
    report(s, index);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

/* Runs order[begin, end) on `jobs` threads (the calling thread included,
 * so a failure to create threads degrades to fewer workers, never to
 * cases left unreported). */
static void run_phase(sched *s, size_t begin, size_t end, int jobs) {
  s->begin = s->next = begin;
  s->end = end;
  size_t want = end - begin;
  size_t extra = jobs > 1 ? (size_t)jobs - 1 : 0;
  if (extra > want)
    extra = want > 0 ? want - 1 : 0;
  pthread_t *threads = extra ? calloc(extra, sizeof *threads) : NULL;
  size_t started = 0;
  for (size_t i = 0; threads && i < extra; i++, started++)
    if (pthread_create(&threads[i], NULL, worker, s) != 0)
      break;
  worker(s);
  for (size_t i = 0; i < started; i++)
    pthread_join(threads[i], NULL);
  free(threads);
}

static int prepare(sched *s, size_t count, size_t *parallel) {
  s->obs = calloc(count ? count : 1, sizeof *s->obs);
  s->order = calloc(count ? count : 1, sizeof *s->order);
  if (!s->obs || !s->order)
    return -1;
  for (size_t i = 0; i < count; i++) {
    if (!(s->obs[i] = malloc(sizeof *s->obs[i])))
      return -1;
    ws_observation_init(s->obs[i]);
  }
  size_t n = 0;
  for (size_t i = 0; i < count; i++)
    if (!s->cases[i]->serial)
      s->order[n++] = i;
  *parallel = n;
  for (size_t i = 0; i < count; i++)
    if (s->cases[i]->serial)
      s->order[n++] = i;
  return 0;
}

static void release(sched *s, size_t count) {
  for (size_t i = 0; s->obs && i < count; i++) {
    if (s->obs[i]) {
      ws_observation_free(s->obs[i]);
      free(s->obs[i]);
    }
  }
  free(s->obs);
  free(s->order);
}

size_t ws_schedule_run(const ws_case *const *cases, size_t count,
                       const ws_run_options *run,
                       const ws_schedule_options *options) {
  sched s;
  memset(&s, 0, sizeof s);
  s.cases = cases;
  s.run = run;
  s.opt = options;
  s.unreachable_after = options->unreachable_after > 0
                            ? options->unreachable_after
                            : DEFAULT_UNREACHABLE_AFTER;
  size_t parallel = 0;
  /* Observations are allocated up front: once cases start, every one of
   * them can be reported. */
  if (prepare(&s, count, &parallel) != 0) {
    release(&s, count);
    return 0;
  }
  pthread_mutex_init(&s.lock, NULL);
  int jobs = options->jobs > 0 ? options->jobs : 1;
  run_phase(&s, 0, parallel, jobs);
  /* Serial cases: nothing else running, one at a time. */
  run_phase(&s, parallel, count, 1);
  pthread_mutex_destroy(&s.lock);
  release(&s, count);
  return s.reported;
}
