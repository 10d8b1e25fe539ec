/* Private to the files of `wsprobe fuzz`: cmd_fuzz.c (options, the loop of
 * batches), fuzz_findings.c (grouping by signature, reproducing,
 * minimising, writing case files), fuzz_summary.c (fuzz-summary.json and
 * the end summary) and fuzz_progress.c (the progress display). Nothing here
 * is part of the harness's API. */
#ifndef WS_HARNESS_FUZZ_RUN_H
#define WS_HARNESS_FUZZ_RUN_H

#include "case/case.h"
#include "cli/fuzz_progress.h"
#include "cli/tls_options.h"
#include "engine/observation.h"
#include "netfuzz/netfuzz.h"
#include "util/arena.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define FUZZ_MAX_JOBS 64
/* Distinct signatures kept before the run stops. */
#define FUZZ_MAX_FINDINGS 10

typedef struct fuzz_opts {
  const char *url, *exec, *out_dir;
  uint64_t seed;
  int64_t duration_ms; /* 0: bounded by iterations only */
  uint64_t iterations; /* 0: bounded by duration only */
  int jobs;
  double timeout_scale;
  bool verbose;
  ws_tls_options tls; /* wss:// */
} fuzz_opts;

/* One generated input, kept until the batch after next so a crash that
 * shows late can still be pinned on it. */
typedef struct fuzz_input {
  ws_arena arena;
  ws_case c;
  char what[160]; /* origin and mutations */
  ws_observation obs;
  uint64_t iteration;
  const ws_fuzz_target *target;
  pthread_t thread;
} fuzz_input;

/* One signature: the first input that showed it, minimised. */
typedef struct fuzz_kept {
  char id[WS_CASE_ID_MAX + 1];
  ws_fuzz_finding f;
  uint64_t iteration; /* the input the case file comes from */
  uint64_t seen_at;   /* the last input run when the oracle saw it */
  int64_t found_ms;   /* since the start of the run */
  uint64_t hits;      /* inputs that showed this signature */
  size_t steps_before, steps_after;
  int attempts;     /* minimisation's predicate calls */
  bool checked;     /* a fresh target could be tried (exec, in-process) */
  bool reproduced;  /* checked, and an input alone showed the signature */
  char tries[1024]; /* what each input tried alone showed */
  bool written;
} fuzz_kept;

typedef struct fuzz_run {
  const fuzz_opts *o;
  ws_fuzz_target *target;
  ws_netfuzz *gen;
  uint64_t inputs;
  int64_t t0;
  fuzz_kept found[FUZZ_MAX_FINDINGS];
  unsigned nfound;
  uint64_t hits; /* inputs that showed any finding */
  const char *stopped;
  fuzz_progress *progress;
} fuzz_run;

/* Set by SIGINT/SIGTERM (cmd_fuzz.c). */
extern volatile sig_atomic_t fuzz_interrupted;

/* fuzz_findings.c: a finding the oracle reported after a batch. suspects
 * are the inputs that may have caused it, most likely first (the batch,
 * then the one before it: a crash can show after its input was judged).
 * Counts it against its signature; a new signature is reproduced on a
 * fresh target, minimised and written. Takes f. Restarts the target (or
 * stops the run). */
void fuzz_found(fuzz_run *r, ws_fuzz_finding *f, fuzz_input *const *suspects,
                int n);

/* fuzz_summary.c */
double fuzz_elapsed_s(const fuzz_run *r);
double fuzz_rate(const fuzz_run *r);
void fuzz_write_summary(const fuzz_run *r);
void fuzz_print_summary(const fuzz_run *r);

#endif
