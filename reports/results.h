/* The results model: one run's verdicts, self-contained (plain strings, no
 * pointers into the catalogue), so results.json can be read back and
 * re-rendered without the cases. results.json is the source of truth; every
 * other format is rendered from this model. Public JSON contract in
 * reports/json_writer.c's header comment. */
#ifndef WS_REPORTS_RESULTS_H
#define WS_REPORTS_RESULTS_H

#include "reports/verdict.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ws_result_wire {
  double t_ms;
  const char *dir; /* "tx", "rx", "note" (static strings) */
  uint8_t *bytes;  /* heap */
  size_t len;
  char *note; /* heap or NULL */
} ws_result_wire;

typedef struct ws_case_result {
  /* From the case (heap copies). autobahn may be NULL. */
  char *id, *title, *area, *rfc, *level, *autobahn;
  enum ws_verdict verdict;
  char *reason_code; /* short machine code, "" for pass: e.g. "close-code",
                        "echo-missing", "violation", "no-close", "status",
                        "timeout", "not-alive", "harness" */
  char *reason;      /* one human line, "" for pass */
  char *expected;    /* the pass condition(s) as written in the case */
  char *observed;    /* what happened, one or a few lines */
  double duration_ms;
  /* The permessage-deflate parameters agreed, as
   * "server_window_bits=15 client_window_bits=15 ..."; NULL when the
   * connection ran without it. */
  char *deflate;
  bool has_close; /* a close frame was received from the peer */
  uint16_t close_code;
  char *close_reason;   /* UTF-8 as received (may be invalid: escape it) */
  const char *close_by; /* "peer", "harness", "none" (static) */
  bool close_clean;     /* closing handshake completed and TCP closed */
  bool close_empty;     /* the peer's close frame had no payload (close_code
                           is then 1005 and JSON writes "code": null) */
  size_t wire_count;
  ws_result_wire *wire; /* NULL while spilled (reports/wire_spill.h) */
  bool wire_truncated;
  uint64_t wire_dropped; /* bytes of the exchange the log does not hold
                            (--wire-max, the run's report budget) */
  /* Where the wire log went when a running `test` moved it to disk. */
  bool wire_spilled;
  uint64_t wire_spill_at; /* offset in the run's spill file */
} ws_case_result;

typedef struct ws_run_results {
  char *tool_version;
  char *target;
  char *agent;      /* --agent, or the target URL */
  char *tls;        /* wss://: what TLS agreed and whether the certificate was
                      verified (run/tls_probe.h), NULL for ws:// */
  char *started_at; /* RFC 3339 UTC */
  double duration_ms;
  uint64_t seed;
  bool interrupted;     /* SIGINT/SIGTERM: cases holds what finished */
  double timeout_scale; /* --timeout-scale, recorded for replay (0: unknown) */
  char profile[16];     /* --profile: "default" or "full" ("" reads as
                           "default") */
  size_t selected;      /* cases selected to run (>= case_count when
                           interrupted; 0: unknown) */
  size_t counts[WS_VERDICT_COUNT];
  /* The target stopped answering during the run: from when (ms after the
   * start) and how many cases it left unrun (their reason code is
   * "target-unavailable"). */
  bool target_lost;
  double target_lost_ms;
  size_t target_lost_cases;
  size_t case_count, case_cap;
  ws_case_result *cases;
  FILE *wire_spill; /* wire logs of finished cases (reports/wire_spill.h),
                       NULL when every log is in memory */
} ws_run_results;

void ws_results_init(ws_run_results *r);
/* The header fields every run fills alike: this tool's version and
 * started_at = now (UTC). */
void ws_results_stamp(ws_run_results *r);
/* How many cases' wire logs left bytes out, and how many bytes in all. */
void ws_results_wire_dropped(const ws_run_results *r, size_t *cases,
                             uint64_t *bytes);
/* Takes ownership of *c's heap fields (c is zeroed). 0 or -1 (ENOMEM). */
int ws_results_add(ws_run_results *r, ws_case_result *c);
void ws_case_result_free(ws_case_result *c);
void ws_results_free(ws_run_results *r);

/* Writes results.json atomically (temporary file in the same directory, then
 * rename), so a reader never sees half a file. 0 or -1 with err. */
/* The same document written to a stream (no atomicity: for memory streams
 * and tests). 0, or -1 on a write error. */
int ws_results_write_json_stream(const ws_run_results *r, FILE *out);

int ws_results_write_json(const ws_run_results *r, const char *path, char *err,
                          size_t cap);

#endif
