/* The progress display of `wsprobe fuzz`, on stderr.
 *
 * On a terminal: one line redrawn in place four times a second by a thread
 * of its own (so it moves on while an input, a reproduction or a
 * minimisation takes long), lines of their own (findings) printed above it,
 * and cleared at the end. Anywhere else (a CI log, a pipe, TERM=dumb): no
 * escape codes and no carriage returns; a plain line every 10 s during the
 * first minute, then every minute. */
#ifndef WS_HARNESS_FUZZ_PROGRESS_H
#define WS_HARNESS_FUZZ_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FUZZ_PROGRESS_TICK_MS 250
#define FUZZ_PROGRESS_SLOW_MS 2000

typedef struct fuzz_stats {
  uint64_t inputs;
  uint64_t iterations; /* the bound, 0: none */
  int64_t elapsed_ms;
  int64_t duration_ms;  /* the bound, 0: none */
  uint64_t findings;    /* inputs that showed a finding */
  unsigned signatures;  /* distinct among them */
  const char *activity; /* "minimizing ...", or NULL/"" while fuzzing */
  uint64_t running;     /* the first input of the batch running, 0: none */
  int64_t running_ms;   /* for how long */
} fuzz_stats;

/* The progress text, without escapes: "fuzz: 1234 inputs (412/s), 3
 * findings (2 signatures), 0:12 of 1:00", then the activity, or which
 * input has been running for long (FUZZ_PROGRESS_SLOW_MS or more: a target
 * or an input that is stuck shows as such). Cut to width columns when
 * width > 0 (a wrapped line cannot be redrawn in place). */
void fuzz_progress_text(const fuzz_stats *s, char *out, size_t cap, int width);

/* The elapsed time at which the plain display prints its next line, after
 * one at elapsed_ms (or at the start: 0). */
int64_t fuzz_progress_next_plain(int64_t elapsed_ms);

typedef struct fuzz_progress fuzz_progress;

/* Starts the display on out (fd its descriptor, to tell a terminal);
 * t0 is the run's start on ws_now_ms's clock. NULL when out of memory or
 * no thread could be started: then callers print nothing of it (every
 * function below accepts NULL and falls back to plain lines). */
fuzz_progress *fuzz_progress_start(FILE *out, int fd, int64_t t0,
                                   int64_t duration_ms, uint64_t iterations);
bool fuzz_progress_is_tty(const fuzz_progress *p);
void fuzz_progress_update(fuzz_progress *p, uint64_t inputs, uint64_t findings,
                          unsigned signatures);
/* A batch starting with input first is running (0: none is). */
void fuzz_progress_running(fuzz_progress *p, uint64_t first);
/* What the run is doing besides fuzzing ("" or NULL: fuzzing). */
void fuzz_progress_activity(fuzz_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A line of its own, above the progress line. */
void fuzz_progress_say(fuzz_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Stops the thread, clears the line; frees p. */
void fuzz_progress_stop(fuzz_progress *p);

#endif
