/* The benchmark harness shared by every bench/bench_*.c file.
 *
 * Each sub-benchmark is one function, void bench_<name>(void), listed in the
 * table in bench.c. It prints its figures with bench_print(), one line each:
 *   bench NAME VALUE UNIT [target >= X: met|NOT met]
 * and never fails the run over a missed target: the numbers are reported,
 * judging them is the reader's job. Diagnostics go to stderr so stdout stays
 * machine-readable.
 *
 * Ratios come from bench_compare(), which times two functions side by side in
 * one process (short interleaved repetitions), so frequency scaling and a
 * noisy neighbour hit both sides alike. */
#ifndef WS_BENCH_H
#define WS_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* The binary the benchmarks run (make bench runs them from the top). */
#ifndef WSPROBE_PATH
#define WSPROBE_PATH "build/wsprobe"
#endif

/* Runs build/wsprobe with argv (argv[0] is ignored; NULL-terminated),
 * stdout and stderr to /dev/null. Its exit status, or -1 when it could not
 * run or died of a signal; *maxrss_kib (may be NULL) gets its peak RSS. */
int bench_run_wsprobe(char *const argv[], long *maxrss_kib);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* One unit of work to time; ctx is the caller's. */
typedef void (*bench_fn)(void *ctx);

typedef struct bench_pair {
  double a_ns;  /* fastest observed call of a, in nanoseconds */
  double b_ns;  /* same for b */
  double ratio; /* b_ns / a_ns: how many times faster a is than b */
} bench_pair;

/* Times a and b: calibrates a call count per side so one block of calls
 * lasts about 2 ms, then runs `reps` blocks of each, alternating a and b, and
 * keeps the fastest single call of each. Calls are timed one by one, so the
 * minimum is an undisturbed, warm-cache call even on a busy machine. */
bench_pair bench_compare(bench_fn a, void *actx, bench_fn b, void *bctx,
                         int reps);

/* Bytes per nanosecond is GB/s (10^9 bytes per second). */
static inline double bench_gbps(size_t bytes, double ns) {
  return ns > 0 ? (double)bytes / ns : 0;
}

/* Prints "bench NAME VALUE UNIT". */
void bench_print(const char *name, double value, const char *unit);

/* Same, with a trailing "target >= X: met" or "NOT met". */
void bench_print_target(const char *name, double value, const char *unit,
                        double target);

/* For a figure that could not be measured: "bench NAME NA UNIT (why)". */
void bench_print_na(const char *name, const char *unit, const char *why);

/* Folds v into a checksum printed to stderr at exit, so the compiler must
 * compute every result a benchmark keeps. */
void bench_keep(uint64_t v);

/* Tells the compiler the memory behind p is read and written here, so work
 * that fills or reads it cannot be deleted or hoisted out of a loop. */
static inline void bench_clobber(const void *p) {
  __asm__ volatile("" : : "r"(p) : "memory");
}

/* Allocates n bytes aligned to 64, or exits: a benchmark without its buffers
 * has nothing to say. */
void *bench_alloc(size_t n);

/* A small deterministic PRNG (xorshift64*), so every run times the same
 * input. */
uint64_t bench_rand(uint64_t *state);

/* The sub-benchmarks. */
void bench_mask(void);
void bench_utf8(void);
void bench_frame_decode(void);
void bench_idle_conns(void);
void bench_catalogue(void);
void bench_compression_full(void);
void bench_run_rss(void);
void bench_wss(void);
void bench_inflate_vs_zlib(void);
void bench_deflate_vs_zlib(void);

#endif
