/* The network fuzzer's input generator: structure-aware mutation of the
 * catalogue's cases. Each input is a ws_case (steps plus `pass alive` /
 * `fail otherwise`) that the runner sends as it sends any case, so a finding
 * is already a replayable case file.
 *
 * Deterministic: the same seed and catalogue give the same sequence of
 * inputs (ws_prng only; no clock, no addresses). */
#ifndef WS_HARNESS_NETFUZZ_H
#define WS_HARNESS_NETFUZZ_H

#include "case/case.h"
#include "case/catalogue.h"
#include "engine/observation.h"
#include "run/runner.h"
#include "util/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_NETFUZZ_MAX_STEPS 256
/* Payload bytes over all the steps of one input. */
#define WS_NETFUZZ_MAX_PAYLOAD ((size_t)192 << 10)
/* Arena bytes one input may use (payload copies, steps, strings). */
#define WS_NETFUZZ_ARENA_LIMIT ((size_t)8 << 20)
/* Pauses stay short so throughput stays up. */
#define WS_NETFUZZ_MAX_WAIT_MS 3
#define WS_NETFUZZ_DEFAULT_TIMEOUT_MS 150

typedef struct ws_netfuzz ws_netfuzz;

/* seeds is borrowed: every input may point into its payloads, so it must
 * outlive the fuzzer and the inputs. timeout_ms is each input's case
 * deadline (0: WS_NETFUZZ_DEFAULT_TIMEOUT_MS). NULL when out of memory or
 * when seeds is empty. */
ws_netfuzz *ws_netfuzz_new(const ws_catalogue *seeds, uint64_t seed,
                           uint32_t timeout_ms);
void ws_netfuzz_free(ws_netfuzz *f);

/* The next input, built in arena (initialised by the caller, limit
 * WS_NETFUZZ_ARENA_LIMIT recommended; the input lives until the arena is
 * freed). id must be a valid case id. what receives a short description of
 * the input's origin and mutations ("2.5: rsv opcode chop"). 0, or -1 when
 * the arena is out of memory. */
int ws_netfuzz_next(ws_netfuzz *f, ws_arena *arena, const char *id,
                    ws_case *out, char *what, size_t cap);

/* Sets a fuzz case's expectations: `pass alive` / `fail otherwise`, or with
 * needs_close `pass close any & alive | drop & alive` / `fail otherwise`
 * (a peer that leaves a cleanly closed connection hanging). Also sets
 * uses_alive. 0 or -1 (arena out of memory). */
int ws_netfuzz_set_outcomes(ws_case *c, ws_arena *arena, bool needs_close);

/* True when every byte the case sends is framed as it declares (no raw
 * bytes, no length lie, no 7-bit field holding 126 or 127) and it sends a
 * close: a live peer then owes an answer (used to define a stuck peer). */
bool ws_netfuzz_cleanly_framed(const ws_case *c);

/* ---- the target and the oracle (netfuzz_target.c) ---- */

typedef struct ws_fuzz_target ws_fuzz_target;

typedef struct ws_fuzz_target_options {
  const char *url;  /* ws:// or wss:// target, or NULL */
  const char *exec; /* --exec-server command, or NULL; neither: the
                       reference server in this process */
  int startup_ms;   /* exec: bound on the server's start */
  double timeout_scale;
  uint64_t seed;
  ws_tls_context *tls;  /* wss://: the client TLS context (owned by the
                           caller, outlives the target) */
  const char *tls_name; /* --sni, or NULL: the URL's host */
} ws_fuzz_target_options;

/* Starts (exec, in-process) or checks (url: a preflight handshake) the
 * target. 0, or -1 with a reason in err: it cannot start or is unreachable. */
int ws_fuzz_target_open(const ws_fuzz_target_options *o, ws_fuzz_target **out,
                        char *err, size_t cap);
void ws_fuzz_target_close(ws_fuzz_target *t);
/* The run options for the current target; stays valid across restarts (the
 * port inside may change). */
const ws_run_options *ws_fuzz_target_run(const ws_fuzz_target *t);
/* "ws://127.0.0.1:9001/", or the command line. */
const char *ws_fuzz_target_name(const ws_fuzz_target *t);
/* A URL target is not ours to restart. */
bool ws_fuzz_target_can_restart(const ws_fuzz_target *t);
int ws_fuzz_target_restart(ws_fuzz_target *t, char *err, size_t cap);

enum ws_fuzz_kind {
  WS_FUZZ_NONE,
  WS_FUZZ_CRASH, /* the server process died (exec) */
  WS_FUZZ_HANG,  /* the liveness probe failed: no handshake and echo on a
                    new connection (refused or no answer within its bound) */
  WS_FUZZ_STUCK, /* see ws_fuzz_target_check */
};

typedef struct ws_fuzz_finding {
  enum ws_fuzz_kind kind;
  char signature[256]; /* groups findings of one bug (signature.h):
                          "heap-buffer-overflow in f <- g <- h",
                          "SIGSEGV: fatal: bad length N", "hang" */
  char *details;       /* heap: exit status and stderr tail, or why */
} ws_fuzz_finding;

const char *ws_fuzz_kind_name(enum ws_fuzz_kind kind);
void ws_fuzz_finding_free(ws_fuzz_finding *f);

/* Runs one input on a fresh connection (its `alive` is left to
 * ws_fuzz_target_check). timeout_ms overrides the case's when non-zero. */
void ws_fuzz_run_input(const ws_fuzz_target *t, const ws_case *c,
                       uint32_t timeout_ms, ws_observation *obs);

/* The first half of `stuck` below, from one input's observation alone. */
bool ws_fuzz_looks_stuck(const ws_case *c, const ws_observation *obs);

/* Remembers where the server's stderr stands before an input (or a batch)
 * runs, so a crash's signature can look first at what the server wrote
 * while that input ran rather than at its log of earlier inputs. */
void ws_fuzz_target_mark(ws_fuzz_target *t);

/* The oracle, after one input (or a batch: input and obs NULL):
 *  - crash: the exec'd server exited, or wrote a sanitizer report (also
 *    when it dies within a bound after a failed liveness probe: sanitizers
 *    take time to report); a report is read once it is complete (its
 *    SUMMARY, or the exit), within a bound;
 *  - hang: the liveness probe failed and the process (if ours) lives;
 *  - stuck: the input was cleanly framed and ended in a close
 *    (ws_netfuzz_cleanly_framed), the upgrade succeeded, the close left, and
 *    the peer neither answered it nor closed TCP before the input's
 *    deadline; confirmed by running the input again with ten times the
 *    deadline. A peer still waiting for the rest of a frame is never stuck.
 * Plain RFC violations are not findings.
 *
 * patient: the caller expects a finding (it is reproducing one): when the
 * peer neither answered the input's close nor closed its connection, wait
 * (bounded) for a crash to show before probing, since a crashing process
 * may still serve other connections while its report is on its way. The fuzzing
 * loop is not patient; it re-runs suspects patiently instead (cmd_fuzz). Every
 * bound here is multiplied by the target's timeout_scale. */
void ws_fuzz_target_check(ws_fuzz_target *t, const ws_case *input,
                          const ws_observation *obs, bool patient,
                          ws_fuzz_finding *f);

#endif
