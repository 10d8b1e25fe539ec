/* `make bench`: runs every sub-benchmark in turn and prints one line per
 * figure (see bench.h). With arguments, runs only the named ones, e.g.
 * `build/bench/bench mask utf8`. */
#include "bench/bench.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* About this long per block of calls of one side: short blocks alternate
 * often, so both sides see the same machine conditions. */
#define REP_TARGET_NS 2000000.0

static uint64_t checksum;

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_keep(uint64_t v) { checksum = checksum * 31 + v; }

uint64_t bench_rand(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

void *bench_alloc(size_t n) {
  size_t rounded = (n + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (!p) {
    fprintf(stderr, "bench: out of memory (%zu bytes)\n", n);
    exit(1);
  }
  memset(p, 0, rounded); /* fault the pages in before any timing */
  return p;
}

/* The fastest single call of fn among `calls` calls. Each call is timed on
 * its own: a call is tens of microseconds or more, so the clock's cost
 * (tens of nanoseconds) is noise, and on a shared machine the minimum over
 * many short calls finds undisturbed ones where any longer window would
 * contain a preemption or a migration to a cold core. */
static double min_call_ns(bench_fn fn, void *ctx, long calls) {
  double best = -1;
  for (long i = 0; i < calls; i++) {
    uint64_t t0 = bench_now_ns();
    fn(ctx);
    double ns = (double)(bench_now_ns() - t0);
    if (best < 0 || ns < best)
      best = ns;
  }
  return best;
}

/* How many calls make one block of about REP_TARGET_NS. The first calls
 * also warm the caches and the branch predictors. */
static long calibrate(bench_fn fn, void *ctx) {
  long calls = 1;
  for (;;) {
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < calls; i++)
      fn(ctx);
    double ns = (double)(bench_now_ns() - t0);
    if (ns >= REP_TARGET_NS / 4 || calls >= (1L << 30)) {
      double per_call = ns / (double)calls;
      long n = (long)(REP_TARGET_NS / (per_call > 0 ? per_call : 1));
      return n > 0 ? n : 1;
    }
    calls *= 2;
  }
}

bench_pair bench_compare(bench_fn a, void *actx, bench_fn b, void *bctx,
                         int reps) {
  long calls_a = calibrate(a, actx);
  long calls_b = calibrate(b, bctx);
  bench_pair best = {0, 0, 0};
  for (int r = 0; r < reps; r++) {
    double ta = min_call_ns(a, actx, calls_a);
    double tb = min_call_ns(b, bctx, calls_b);
    if (r == 0 || ta < best.a_ns)
      best.a_ns = ta;
    if (r == 0 || tb < best.b_ns)
      best.b_ns = tb;
  }
  best.ratio = best.a_ns > 0 ? best.b_ns / best.a_ns : 0;
  return best;
}

static void print_value(const char *name, double value, const char *unit) {
  /* Large figures (bytes, frames/s) read better without decimals. */
  if (value >= 1000 || value <= -1000)
    printf("bench %s %.0f %s", name, value, unit);
  else
    printf("bench %s %.3g %s", name, value, unit);
}

void bench_print(const char *name, double value, const char *unit) {
  print_value(name, value, unit);
  printf("\n");
  fflush(stdout);
}

void bench_print_target(const char *name, double value, const char *unit,
                        double target) {
  print_value(name, value, unit);
  printf(" target >= %g: %s\n", target, value >= target ? "met" : "NOT met");
  fflush(stdout);
}

void bench_print_na(const char *name, const char *unit, const char *why) {
  printf("bench %s NA %s (%s)\n", name, unit, why);
  fflush(stdout);
}

/* on_demand: too long for every `make bench` (half an hour on 2 cores):
 * only run when named, `build/bench/bench compression_full`. */
static const struct {
  const char *name;
  void (*run)(void);
  bool on_demand;
} benches[] = {
    {"mask", bench_mask, false},
    {"utf8", bench_utf8, false},
    {"frame_decode", bench_frame_decode, false},
    {"idle_conns", bench_idle_conns, false},
    {"catalogue", bench_catalogue, false},
    {"compression_full", bench_compression_full, true},
    {"run_rss", bench_run_rss, false},
    {"wss", bench_wss, false},
    {"inflate_vs_zlib", bench_inflate_vs_zlib, false},
    {"deflate_vs_zlib", bench_deflate_vs_zlib, false},
};

static bool wanted(const char *name, bool on_demand, int argc, char **argv) {
  if (argc < 2)
    return !on_demand;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return true;
  return false;
}

int main(int argc, char **argv) {
  size_t n = sizeof benches / sizeof benches[0];
  for (int i = 1; i < argc; i++) {
    bool known = false;
    for (size_t j = 0; j < n; j++)
      known = known || strcmp(argv[i], benches[j].name) == 0;
    if (!known) {
      fprintf(stderr, "bench: unknown benchmark '%s'; known:", argv[i]);
      for (size_t j = 0; j < n; j++)
        fprintf(stderr, " %s", benches[j].name);
      fprintf(stderr, "\n");
      return 2;
    }
  }
  uint64_t t0 = bench_now_ns();
  for (size_t j = 0; j < n; j++)
    if (wanted(benches[j].name, benches[j].on_demand, argc, argv))
      benches[j].run();
  fprintf(stderr, "bench: done in %.1f s (checksum %016llx)\n",
          (double)(bench_now_ns() - t0) / 1e9, (unsigned long long)checksum);
  return 0;
}
