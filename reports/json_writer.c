/* results.json, the source of truth of a run. PUBLIC CONTRACT: tools read
 * this file; names are never renamed or removed, only added.
 *
 * {
 *   "schema": "wsprobe-results/1",
 *   "tool": {"name": "wsprobe", "version": "0.1.0"},
 *   "target": "ws://127.0.0.1:9001/",
 *   "agent": "...",                     --agent, or the target
 *   "tls": null | "TLSv1.3, cipher ...; certificate verified for HOST",
 *                                       wss:// only: the session agreed,
 *                                       and "NOT verified (--insecure)"
 *                                       when nothing was checked
 *   "started_at": "2024-01-01T12:00:00Z", RFC 3339, UTC
 *   "duration_ms": 4211.5,
 *   "seed": "1234567",                  decimal string: 64-bit values do
 *                                       not survive a JSON double
 *   "timeout_scale": 1.0,
 *   "interrupted": false,               true: "cases" holds what finished
 *   "selected": 310,                    cases selected to run
 *   "summary": {"total": 0, "pass": 0, "non_strict": 0, "informational": 0,
 *               "unimplemented": 0, "fail": 0, "error": 0},
 *   "target_lost": null | {"since_ms": 1234.5, "cases": 476},
 *                                       the target stopped answering that
 *                                       long after the start; "cases" were
 *                                       left unrun (reason_code
 *                                       "target-unavailable")
 *   "areas": {"framing": {<same keys as summary>}, ...},
 *   "cases": [
 *     {"id": "2.5", "title": "...", "area": "pings", "rfc": "6455#5.5",
 *      "level": "MUST", "autobahn": "2.5" | null,
 *      "verdict": "pass|non-strict|informational|unimplemented|fail|error",
 *      "reason_code": "" | "close-code" | ...,  "" for pass
 *      "reason": "...", "expected": "...", "observed": "...",
 *      "duration_ms": 3.2,
 *      "deflate": null | "server_window_bits=15 client_window_bits=15
 *                 server_no_context_takeover=no client_no_context_takeover=no",
 *                                       the permessage-deflate agreed
 *      "close": null | {"code": 1002 | null (empty close frame),
 *                       "reason": "...", "by": "peer|harness|none",
 *                       "clean": true, "received": true},
 *      "wire": [{"t_ms": 0.0, "dir": "tx|rx|note", "hex": "8185...",
 *                "note": "..." | null}, ...],
 *      "wire_truncated": false,
 *      "wire_dropped": 0}              bytes sent or received that the
 *                                       wire log does not hold (--wire-max,
 *                                       the run's report budget)
 *   ]
 * }
 *
 * Strings hold any bytes the peer sent: invalid UTF-8 becomes U+FFFD (the
 * "hex" of the wire keeps the exact bytes). "wire" is complete apart from the
 * runner's own per-case bound (then "wire_truncated": true); it is empty for
 * a pass unless the run kept the wire of every case (--wire-all). */
#include "reports/atomic_file.h"
#include "reports/json.h"
#include "reports/results.h"
#include "reports/wire_spill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA "wsprobe-results/1"

/* Summary key order of the contract. */
static const enum ws_verdict summary_order[] = {
    WS_VERDICT_PASS,          WS_VERDICT_NON_STRICT, WS_VERDICT_INFORMATIONAL,
    WS_VERDICT_UNIMPLEMENTED, WS_VERDICT_FAIL,       WS_VERDICT_ERROR,
};
#define SUMMARY_KEYS (sizeof summary_order / sizeof summary_order[0])

static void write_counts(ws_json *w, const size_t counts[WS_VERDICT_COUNT]) {
  size_t total = 0;
  for (int v = 0; v < WS_VERDICT_COUNT; v++)
    total += counts[v];
  ws_json_object_begin_inline(w);
  ws_json_key(w, "total");
  ws_json_uint(w, total);
  for (size_t i = 0; i < SUMMARY_KEYS; i++) {
    ws_json_key(w, ws_verdict_key(summary_order[i]));
    ws_json_uint(w, counts[summary_order[i]]);
  }
  ws_json_object_end(w);
}

/* Counts per area, areas in order of first appearance. Quadratic in the
 * number of areas, which is about ten. */
static void write_areas(ws_json *w, const ws_run_results *r) {
  ws_json_object_begin(w);
  for (size_t i = 0; i < r->case_count; i++) {
    const char *area = r->cases[i].area ? r->cases[i].area : "";
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(r->cases[j].area ? r->cases[j].area : "", area) == 0;
    if (seen)
      continue;
    size_t counts[WS_VERDICT_COUNT] = {0};
    for (size_t j = i; j < r->case_count; j++)
      if (strcmp(r->cases[j].area ? r->cases[j].area : "", area) == 0)
        counts[r->cases[j].verdict < WS_VERDICT_COUNT ? r->cases[j].verdict
                                                      : WS_VERDICT_ERROR]++;
    ws_json_key(w, area);
    write_counts(w, counts);
  }
  ws_json_object_end(w);
}

/* null, or when the target stopped answering and the cases it left unrun
 * (those whose reason_code is "target-unavailable"). */
static void write_target_lost(ws_json *w, const ws_run_results *r) {
  if (!r->target_lost) {
    ws_json_null(w);
    return;
  }
  ws_json_object_begin_inline(w);
  ws_json_key(w, "since_ms");
  ws_json_double(w, r->target_lost_ms, 1);
  ws_json_key(w, "cases");
  ws_json_uint(w, r->target_lost_cases);
  ws_json_object_end(w);
}

static void write_close(ws_json *w, const ws_case_result *c) {
  const char *by = c->close_by ? c->close_by : "none";
  if (!c->has_close && strcmp(by, "none") == 0) {
    ws_json_null(w);
    return;
  }
  ws_json_object_begin_inline(w);
  ws_json_key(w, "code");
  if (c->has_close && !c->close_empty)
    ws_json_uint(w, c->close_code);
  else
    ws_json_null(w);
  ws_json_key(w, "reason");
  ws_json_string(w, c->close_reason ? c->close_reason : "");
  ws_json_key(w, "by");
  ws_json_string(w, by);
  ws_json_key(w, "clean");
  ws_json_bool(w, c->close_clean);
  ws_json_key(w, "received");
  ws_json_bool(w, c->has_close);
  ws_json_object_end(w);
}

static void write_wire(ws_json *w, const ws_case_result *c) {
  ws_json_array_begin(w);
  for (size_t i = 0; i < c->wire_count; i++) {
    const ws_result_wire *e = &c->wire[i];
    ws_json_object_begin_inline(w);
    ws_json_key(w, "t_ms");
    ws_json_double(w, e->t_ms, 3);
    ws_json_key(w, "dir");
    ws_json_string(w, e->dir ? e->dir : "note");
    ws_json_key(w, "hex");
    ws_json_hex(w, e->bytes, e->len);
    ws_json_key(w, "note");
    ws_json_string(w, e->note);
    ws_json_object_end(w);
  }
  ws_json_array_end(w);
}

static void write_str(ws_json *w, const char *key, const char *value) {
  ws_json_key(w, key);
  ws_json_string(w, value ? value : "");
}

static void write_case(ws_json *w, const ws_case_result *c) {
  ws_json_object_begin(w);
  write_str(w, "id", c->id);
  write_str(w, "title", c->title);
  write_str(w, "area", c->area);
  write_str(w, "rfc", c->rfc);
  write_str(w, "level", c->level);
  ws_json_key(w, "autobahn");
  ws_json_string(w, c->autobahn); /* null when absent */
  write_str(w, "verdict", ws_verdict_name(c->verdict));
  write_str(w, "reason_code", c->reason_code);
  write_str(w, "reason", c->reason);
  write_str(w, "expected", c->expected);
  write_str(w, "observed", c->observed);
  ws_json_key(w, "duration_ms");
  ws_json_double(w, c->duration_ms, 3);
  ws_json_key(w, "deflate");
  ws_json_string(w, c->deflate); /* null without permessage-deflate */
  ws_json_key(w, "close");
  write_close(w, c);
  ws_json_key(w, "wire");
  write_wire(w, c);
  ws_json_key(w, "wire_truncated");
  ws_json_bool(w, c->wire_truncated);
  ws_json_key(w, "wire_dropped");
  ws_json_uint(w, c->wire_dropped);
  ws_json_object_end(w);
}

static int write_document(FILE *out, const ws_run_results *r) {
  ws_json w;
  ws_json_init(&w, out);
  ws_json_object_begin(&w);
  write_str(&w, "schema", SCHEMA);
  ws_json_key(&w, "tool");
  ws_json_object_begin_inline(&w);
  write_str(&w, "name", "wsprobe");
  write_str(&w, "version", r->tool_version);
  ws_json_object_end(&w);
  write_str(&w, "target", r->target);
  write_str(&w, "agent", r->agent ? r->agent : r->target);
  ws_json_key(&w, "tls");
  if (r->tls)
    ws_json_string(&w, r->tls);
  else
    ws_json_null(&w);
  write_str(&w, "started_at", r->started_at);
  ws_json_key(&w, "duration_ms");
  ws_json_double(&w, r->duration_ms, 3);
  char seed[24];
  snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
  write_str(&w, "seed", seed);
  /* 0 (unknown) is written as the default. A scale that rounds to 0.0 at
   * the written precision is unknown too: written as 0.0 it would read back
   * as unknown and be written as 1.0 the next time. */
  double scale = ws_json_double_as_written(r->timeout_scale, 3);
  ws_json_key(&w, "timeout_scale");
  ws_json_double(&w, scale > 0 ? scale : 1.0, 3);
  write_str(&w, "profile", r->profile[0] ? r->profile : "default");
  ws_json_key(&w, "interrupted");
  ws_json_bool(&w, r->interrupted);
  ws_json_key(&w, "selected");
  ws_json_uint(&w, r->selected > r->case_count ? r->selected : r->case_count);
  ws_json_key(&w, "summary");
  write_counts(&w, r->counts);
  ws_json_key(&w, "target_lost");
  write_target_lost(&w, r);
  ws_json_key(&w, "areas");
  write_areas(&w, r);
  ws_json_key(&w, "cases");
  ws_json_array_begin(&w);
  for (size_t i = 0; i < r->case_count; i++) {
    /* One case's wire log in memory at a time (reports/wire_spill.h). */
    ws_wire_view view;
    int rc = ws_wire_view_open(r, &r->cases[i], &view);
    ws_case_result c = ws_wire_view_case(&r->cases[i], &view);
    if (rc != 0) /* the case is still written, its log said lost */
      c.wire_truncated = true;
    write_case(&w, &c);
    ws_wire_view_close(&view);
  }
  ws_json_array_end(&w);
  ws_json_object_end(&w);
  return ws_json_finish(&w);
}

int ws_results_write_json_stream(const ws_run_results *r, FILE *out) {
  return write_document(out, r);
}

static int write_document_fn(FILE *out, const void *ctx) {
  return write_document(out, ctx);
}

int ws_results_write_json(const ws_run_results *r, const char *path, char *err,
                          size_t cap) {
  return ws_write_atomically(path, write_document_fn, r, err, cap);
}
