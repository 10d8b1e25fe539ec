/* The progress display of `wsprobe fuzz` (fuzz_progress.h). A thread of
 * its own draws, so the line keeps moving while the main thread is inside
 * one long step; one mutex orders its writes with the main thread's. */
#include "cli/fuzz_progress.h"

#include "util/clock.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define PLAIN_EARLY_MS 10000 /* plain lines: every 10 s... */
#define PLAIN_EARLY_UNTIL_MS 60000
#define PLAIN_LATE_MS 60000 /* ...then every minute */
#define DEFAULT_COLUMNS 80

struct fuzz_progress {
  FILE *out;
  int fd;
  bool tty;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool stop;
  bool shown; /* a progress line is on the terminal's last line */
  int64_t t0, duration_ms, next_plain;
  uint64_t iterations, inputs, findings;
  unsigned signatures;
  char activity[160];
  uint64_t running;
  int64_t running_since;
};

/* ---- the text ---- */

/* 12 -> "0:12", 3725 -> "1:02:05". */
static void clock_text(int64_t ms, char *out, size_t cap) {
  int64_t s = ms / 1000;
  if (s >= 3600)
    snprintf(out, cap, "%" PRId64 ":%02d:%02d", s / 3600, (int)(s / 60 % 60),
             (int)(s % 60));
  else
    snprintf(out, cap, "%d:%02d", (int)(s / 60), (int)(s % 60));
}

void fuzz_progress_text(const fuzz_stats *s, char *out, size_t cap, int width) {
  char inputs[64], findings[96], when[64], t1[24], t2[24];
  double secs = (double)s->elapsed_ms / 1000.0;
  double rate = secs > 0 ? (double)s->inputs / secs : 0;
  if (s->iterations)
    snprintf(inputs, sizeof inputs, "%" PRIu64 " of %" PRIu64 " inputs",
             s->inputs, s->iterations);
  else
    snprintf(inputs, sizeof inputs, "%" PRIu64 " inputs", s->inputs);
  if (s->findings)
    snprintf(findings, sizeof findings,
             "%" PRIu64 " finding%s (%u signature%s)", s->findings,
             s->findings == 1 ? "" : "s", s->signatures,
             s->signatures == 1 ? "" : "s");
  else
    snprintf(findings, sizeof findings, "no findings");
  clock_text(s->elapsed_ms, t1, sizeof t1);
  if (s->duration_ms) {
    clock_text(s->duration_ms, t2, sizeof t2);
    snprintf(when, sizeof when, "%s of %s", t1, t2);
  } else {
    snprintf(when, sizeof when, "%s", t1);
  }
  char busy[200] = "";
  if (s->activity && s->activity[0]) {
    snprintf(busy, sizeof busy, " - %s", s->activity);
  } else if (s->running && s->running_ms >= FUZZ_PROGRESS_SLOW_MS) {
    clock_text(s->running_ms, t1, sizeof t1);
    snprintf(busy, sizeof busy, " - input %" PRIu64 " running for %s",
             s->running, t1);
  }
  snprintf(out, cap, "fuzz: %s (%.0f/s), %s, %s%s", inputs, rate, findings,
           when, busy);
  if (width > 0 && strlen(out) > (size_t)width)
    out[width] = '\0';
}

int64_t fuzz_progress_next_plain(int64_t elapsed_ms) {
  int64_t step =
      elapsed_ms < PLAIN_EARLY_UNTIL_MS ? PLAIN_EARLY_MS : PLAIN_LATE_MS;
  return (elapsed_ms / step + 1) * step;
}

/* ---- drawing (lock held) ---- */

static int columns(int fd) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return DEFAULT_COLUMNS;
}

static void text_now(const fuzz_progress *p, char *out, size_t cap, int width) {
  int64_t now = ws_now_ms();
  fuzz_stats s = {.inputs = p->inputs,
                  .iterations = p->iterations,
                  .elapsed_ms = now - p->t0,
                  .duration_ms = p->duration_ms,
                  .findings = p->findings,
                  .signatures = p->signatures,
                  .activity = p->activity,
                  .running = p->running,
                  .running_ms = now - p->running_since};
  fuzz_progress_text(&s, out, cap, width);
}

/* Redraws in place: to the start of the line, the text, then clear what a
 * longer earlier text left. One column stays free: writing the last one
 * makes some terminals wrap. */
static void draw(fuzz_progress *p) {
  char text[512];
  text_now(p, text, sizeof text, columns(p->fd) - 1);
  fprintf(p->out, "\r%s\033[K", text);
  fflush(p->out);
  p->shown = true;
}

static void clear(fuzz_progress *p) {
  if (p->tty && p->shown) {
    fputs("\r\033[K", p->out);
    fflush(p->out);
  }
  p->shown = false;
}

static void plain(fuzz_progress *p) {
  char text[512];
  text_now(p, text, sizeof text, 0);
  fprintf(p->out, "%s\n", text);
  fflush(p->out);
}

/* ---- the thread ---- */

static void wait_until(fuzz_progress *p, int64_t wake_ms) {
  int64_t delay = wake_ms - ws_now_ms();
  if (delay <= 0)
    return;
  struct timespec ts = ws_timespec_after_ms(CLOCK_MONOTONIC, delay);
  pthread_cond_timedwait(&p->wake, &p->lock, &ts);
}

static void *progress_main(void *arg) {
  fuzz_progress *p = arg;
  pthread_mutex_lock(&p->lock);
  while (!p->stop) {
    int64_t now = ws_now_ms();
    if (p->tty) {
      draw(p);
      wait_until(p, now + FUZZ_PROGRESS_TICK_MS);
      continue;
    }
    int64_t elapsed = now - p->t0;
    if (elapsed >= p->next_plain) {
      plain(p);
      p->next_plain = fuzz_progress_next_plain(elapsed);
    }
    wait_until(p, p->t0 + p->next_plain);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

static bool is_terminal(int fd) {
  const char *term = getenv("TERM");
  /* A dumb terminal (an editor's shell buffer) shows escapes as text. */
  return isatty(fd) == 1 && !(term && strcmp(term, "dumb") == 0);
}

fuzz_progress *fuzz_progress_start(FILE *out, int fd, int64_t t0,
                                   int64_t duration_ms, uint64_t iterations) {
  fuzz_progress *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->out = out;
  p->fd = fd;
  p->tty = is_terminal(fd);
  p->t0 = t0;
  p->duration_ms = duration_ms;
  p->iterations = iterations;
  p->next_plain = fuzz_progress_next_plain(0);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  bool ok = pthread_mutex_init(&p->lock, NULL) == 0 &&
            pthread_cond_init(&p->wake, &ca) == 0;
  pthread_condattr_destroy(&ca);
  /* The first line is drawn here rather than by the thread, so that even a
   * run over before the thread is first scheduled showed it. */
  if (ok && p->tty)
    draw(p);
  if (!ok || pthread_create(&p->thread, NULL, progress_main, p) != 0) {
    free(p); /* an unused mutex and condvar need no destroy on Linux */
    return NULL;
  }
  return p;
}

bool fuzz_progress_is_tty(const fuzz_progress *p) { return p && p->tty; }

void fuzz_progress_update(fuzz_progress *p, uint64_t inputs, uint64_t findings,
                          unsigned signatures) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->inputs = inputs;
  p->findings = findings;
  p->signatures = signatures;
  pthread_mutex_unlock(&p->lock);
}

void fuzz_progress_running(fuzz_progress *p, uint64_t first) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->running = first;
  p->running_since = ws_now_ms();
  pthread_mutex_unlock(&p->lock);
}

void fuzz_progress_activity(fuzz_progress *p, const char *fmt, ...) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->activity[0] = '\0';
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->activity, sizeof p->activity, fmt, ap);
    va_end(ap);
  }
  pthread_mutex_unlock(&p->lock);
}

void fuzz_progress_say(fuzz_progress *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (!p) {
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return;
  }
  pthread_mutex_lock(&p->lock);
  clear(p);
  vfprintf(p->out, fmt, ap);
  fputc('\n', p->out);
  if (p->tty)
    draw(p);
  else
    fflush(p->out);
  pthread_mutex_unlock(&p->lock);
  va_end(ap);
}

void fuzz_progress_stop(fuzz_progress *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->stop = true;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  pthread_join(p->thread, NULL);
  clear(p);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  free(p);
}
