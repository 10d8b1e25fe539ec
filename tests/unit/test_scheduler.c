/* Tests for harness/run/scheduler.c: cases built in C run against the reference
 * server in a thread (or a port with nothing listening), checking that every
 * case is reported once, that serial cases run alone after the parallel ones,
 * the stop flag, and the unreachable-target cut-off. */
#include "case/case.h"
#include "codec/frame.h"
#include "io/url.h"
#include "run/scheduler.h"
#include "server/echo_server.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the reference server ---- */

typedef struct echo {
  ws_echo_server *server;
  pthread_t thread;
  uint16_t port;
} echo;

static void *echo_thread(void *arg) {
  (void)ws_echo_server_run(((echo *)arg)->server);
  return NULL;
}

static void echo_start(echo *e) {
  ws_echo_server_options o;
  ws_echo_server_options_defaults(&o);
  o.handshake_timeout_ms = 3000;
  cr_assert_eq(ws_echo_server_open(&o, &e->server), 0);
  e->port = ws_echo_server_port(e->server);
  cr_assert_eq(pthread_create(&e->thread, NULL, echo_thread, e), 0);
}

static void echo_stop(echo *e) {
  ws_echo_server_stop(e->server);
  pthread_join(e->thread, NULL);
  ws_echo_server_close(e->server);
}

static void options_for(ws_run_options *o, uint16_t port) {
  memset(o, 0, sizeof *o);
  char url[64], err[128];
  snprintf(url, sizeof url, "ws://127.0.0.1:%u/", (unsigned)port);
  cr_assert_eq(ws_url_parse(url, &o->url, err, (int)sizeof err), 0, "%s", err);
  o->timeout_scale = 1.0;
  o->seed = 1;
}

static uint16_t dead_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- cases: text "hi" (echo), an optional wait, close 1000 ---- */

#define MAX_CASES 32

static const uint8_t close_1000[2] = {0x03, 0xe8};

typedef struct batch {
  size_t count;
  ws_case cases[MAX_CASES];
  ws_step steps[MAX_CASES][3];
  const ws_case *list[MAX_CASES];
} batch;

static void frame_step(ws_step *s, uint8_t opcode, const void *p, size_t len) {
  memset(s, 0, sizeof *s);
  s->kind = WS_STEP_FRAME;
  s->frame.fin = true;
  s->frame.opcode = opcode;
  s->frame.mask = WS_MASK_RANDOM;
  s->payload = (ws_bytes){p, len};
}

static void batch_add(batch *b, bool serial, uint64_t wait_ms) {
  cr_assert_lt(b->count, MAX_CASES);
  size_t i = b->count++;
  ws_case *c = &b->cases[i];
  memset(c, 0, sizeof *c);
  snprintf(c->id, sizeof c->id, "s.%zu", i);
  c->title = c->area = c->rfc = "test";
  c->timeout_ms = 3000;
  c->serial = serial;
  c->steps = b->steps[i];
  ws_step *s = b->steps[i];
  frame_step(&s[0], WS_OP_TEXT, "hi", 2);
  s[0].echo = true;
  size_t n = 1;
  if (wait_ms) {
    memset(&s[n], 0, sizeof s[n]);
    s[n].kind = WS_STEP_WAIT;
    s[n++].number = wait_ms;
  }
  frame_step(&s[n++], WS_OP_CLOSE, close_1000, 2);
  c->step_count = n;
  b->list[i] = c;
}

/* ---- what done() saw ---- */

typedef struct record {
  const batch *b;
  volatile sig_atomic_t *stop;
  size_t stop_after; /* set *stop after this many reports (0: never) */
  size_t reports;
  int seen[MAX_CASES];
  size_t order[MAX_CASES]; /* case index per report */
  double start[MAX_CASES], end[MAX_CASES];
  bool upgraded[MAX_CASES];
  char error[MAX_CASES][160];
  int in_done; /* done() must never run concurrently */
  bool overlap_in_done;
} record;

static void on_done(const ws_case *c, ws_observation *obs, void *ctx) {
  record *r = ctx;
  if (__atomic_fetch_add(&r->in_done, 1, __ATOMIC_SEQ_CST) != 0)
    r->overlap_in_done = true;
  size_t i = (size_t)(c - r->b->cases);
  cr_assert_lt(i, r->b->count);
  r->seen[i]++;
  r->order[r->reports++] = i;
  r->end[i] = now_ms();
  r->start[i] = r->end[i] - obs->duration_ms;
  r->upgraded[i] = obs->upgraded;
  snprintf(r->error[i], sizeof r->error[i], "%s",
           obs->harness_error ? obs->harness_error : "");
  ws_observation_free(obs);
  free(obs);
  if (r->stop && r->stop_after && r->reports >= r->stop_after)
    *r->stop = 1;
  __atomic_fetch_sub(&r->in_done, 1, __ATOMIC_SEQ_CST);
}

static size_t schedule(batch *b, record *r, const ws_run_options *run, int jobs,
                       volatile sig_atomic_t *stop, int unreachable_after) {
  memset(r, 0, sizeof *r);
  r->b = b;
  r->stop = stop;
  ws_schedule_options o = {.jobs = jobs,
                           .stop = stop,
                           .done = on_done,
                           .ctx = r,
                           .unreachable_after = unreachable_after};
  return ws_schedule_run(b->list, b->count, run, &o);
}

/* ---- tests ---- */

Test(scheduler, every_case_reported_once_with_4_jobs) {
  echo e;
  echo_start(&e);
  ws_run_options run;
  options_for(&run, e.port);
  static batch b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < 20; i++)
    batch_add(&b, false, 0);
  static record r;
  cr_assert_eq(schedule(&b, &r, &run, 4, NULL, 0), 20);
  cr_assert_eq(r.reports, 20);
  for (size_t i = 0; i < b.count; i++) {
    cr_assert_eq(r.seen[i], 1, "case %zu seen %d times", i, r.seen[i]);
    cr_assert(r.upgraded[i]);
    cr_assert_str_empty(r.error[i]);
  }
  cr_assert_not(r.overlap_in_done);
  echo_stop(&e);
}

Test(scheduler, parallel_cases_overlap_serial_ones_run_alone_after) {
  echo e;
  echo_start(&e);
  ws_run_options run;
  options_for(&run, e.port);
  static batch b;
  memset(&b, 0, sizeof b);
  /* Interleaved in the list on purpose: the scheduler reorders. */
  for (int i = 0; i < 12; i++)
    batch_add(&b, i % 4 == 1, 100);
  static record r;
  cr_assert_eq(schedule(&b, &r, &run, 4, NULL, 0), 12);
  size_t serial = 0;
  for (size_t k = 0; k < r.reports; k++) {
    bool is_serial = b.cases[r.order[k]].serial;
    /* Reported in phases: all 9 parallel first, then the 3 serial. */
    cr_assert_eq(is_serial, k >= 9, "report %zu", k);
    serial += is_serial;
  }
  cr_assert_eq(serial, 3);
  bool parallel_overlap = false;
  for (size_t i = 0; i < b.count; i++) {
    for (size_t j = 0; j < b.count; j++) {
      if (i == j)
        continue;
      bool overlap = r.start[i] < r.end[j] && r.start[j] < r.end[i];
      if (b.cases[i].serial)
        cr_assert_not(overlap, "serial case %zu overlaps case %zu", i, j);
      else if (!b.cases[j].serial && overlap)
        parallel_overlap = true;
    }
  }
  cr_assert(parallel_overlap, "4 jobs never ran two cases at once");
  echo_stop(&e);
}

Test(scheduler, only_serial_cases_with_many_jobs) {
  echo e;
  echo_start(&e);
  ws_run_options run;
  options_for(&run, e.port);
  static batch b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < 3; i++)
    batch_add(&b, true, 50);
  static record r;
  cr_assert_eq(schedule(&b, &r, &run, 8, NULL, 0), 3);
  for (size_t k = 0; k < 3; k++)
    cr_assert_eq(r.order[k], k); /* one at a time, in order */
  for (size_t i = 1; i < 3; i++)
    cr_assert_geq(r.start[i], r.end[i - 1] - 1.0);
  echo_stop(&e);
}

Test(scheduler, empty_set) {
  ws_run_options run;
  options_for(&run, dead_port());
  static batch b;
  memset(&b, 0, sizeof b);
  static record r;
  cr_assert_eq(schedule(&b, &r, &run, 4, NULL, 0), 0);
  cr_assert_eq(r.reports, 0);
}

Test(scheduler, stop_set_before_starts_nothing) {
  ws_run_options run;
  options_for(&run, dead_port());
  static batch b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < 5; i++)
    batch_add(&b, i == 4, 0);
  volatile sig_atomic_t stop = 1;
  static record r;
  cr_assert_eq(schedule(&b, &r, &run, 2, &stop, 0), 0);
  cr_assert_eq(r.reports, 0);
}

Test(scheduler, stop_set_during_run_starts_no_new_case) {
  echo e;
  echo_start(&e);
  ws_run_options run;
  options_for(&run, e.port);
  static batch b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < 6; i++)
    batch_add(&b, i >= 4, 0);
  volatile sig_atomic_t stop = 0;
  static record r;
  memset(&r, 0, sizeof r);
  r.b = &b;
  r.stop = &stop;
  r.stop_after = 2;
  ws_schedule_options o = {
      .jobs = 1, .stop = &stop, .done = on_done, .ctx = &r};
  cr_assert_eq(ws_schedule_run(b.list, b.count, &run, &o), 2);
  cr_assert_eq(r.reports, 2);
  echo_stop(&e);
}

Test(scheduler, unreachable_target_reported_not_tried) {
  ws_run_options run;
  options_for(&run, dead_port());
  static batch b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < 10; i++)
    batch_add(&b, i >= 8, 0);
  static record r;
  double t0 = now_ms();
  cr_assert_eq(schedule(&b, &r, &run, 1, NULL, 3), 10);
  cr_assert_lt(now_ms() - t0, 2000);
  for (size_t k = 0; k < 10; k++) {
    const char *err = r.error[r.order[k]];
    if (k < 3)
      cr_assert_eq(strncmp(err, "cannot connect to ", 18), 0, "%s", err);
    else
      cr_assert_eq(strncmp(err, "target unreachable: cannot connect to ", 38),
                   0, "%s", err);
  }
  for (size_t i = 0; i < b.count; i++)
    cr_assert_eq(r.seen[i], 1);
}

Test(scheduler, unreachable_default_with_parallel_jobs) {
  ws_run_options run;
  options_for(&run, dead_port());
  static batch b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < 16; i++)
    batch_add(&b, false, 0);
  static record r;
  cr_assert_eq(schedule(&b, &r, &run, 4, NULL, 0), 16);
  size_t tried = 0, skipped = 0;
  for (size_t i = 0; i < b.count; i++) {
    cr_assert_eq(r.seen[i], 1);
    if (strncmp(r.error[i], "cannot connect to ", 18) == 0)
      tried++;
    else if (strncmp(r.error[i], "target unreachable: ", 20) == 0)
      skipped++;
  }
  cr_assert_eq(tried + skipped, 16);
  /* Default 3, plus at most the 3 other workers' cases in flight. */
  cr_assert_geq(tried, 3);
  cr_assert_leq(tried, 6);
}
