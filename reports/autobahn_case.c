/* One Autobahn per-case report: the JSON object Autobahn's fuzzingclient
 * writes for an agent and a case (FuzzingProtocol.connectionLost builds it,
 * createAgentCaseReportJSON writes it with sorted keys), filled from the
 * results model. Every key Autobahn writes is present, in its sorted order,
 * with Autobahn's type where we know the value and null where the model does
 * not hold it:
 *
 *   agent, id, behavior, behaviorClose, duration   as in index.json
 *   case            Autobahn's sequence number of the id (null outside the
 *                   sections autobahn_ids.c numbers)
 *   description     our case's title; expectation: our pass condition(s)
 *   result          our verdict, reason and observation; resultClose: what
 *                   the peer's close was
 *   closedByMe      the harness sent the first close frame
 *   wasClean        the closing handshake completed and the peer closed TCP;
 *                   wasNotCleanReason says why not
 *   droppedByMe     true when the server did not close TCP first
 *                   (tcp-close-order), false after a clean close, else null
 *   remoteCloseCode, remoteCloseReason   the peer's close frame (null: none,
 *                   or an empty one)
 *   started         when the run started (the model keeps no per-case time)
 *   httpRequest, httpResponse   the HTTP heads from the wire log (null when
 *                   the log was not kept: passes need --wire-all)
 *   wirelog         the wire log as Autobahn's octet rows: ["TO", [LEN, HEX],
 *                   false] sent, ["RO", [LEN, HEX]] received, HEX of at most
 *                   64 bytes followed by " ..." past 60, as Autobahn's
 *                   binLogData writes; our notes have no row type and are left
 *                   out (results.json has them)
 *   createWirelog   whether wirelog holds the exchange
 *   isServer false; reportTime and reportCompressionRatio false (Autobahn
 *   sets them for its performance and compression sections only);
 *   createStats false with empty rx/txOctetStats and rx/txFrameStats: we
 *   count neither; expected, expectedClose, received (Autobahn's event
 *   lists), failedByMe, localCloseCode, localCloseReason and the three
 *   was*Timeout flags: null, the model does not hold them; trafficStats null
 *   (Autobahn's is for compression).
 *
 * One key is ours: "wsprobe" lists the cases of ours behind the id with their
 * verdicts and reasons, so a report can be traced back to results.json.
 * Readers of Autobahn's files look keys up by name and ignore it. */
#include "reports/atomic_file.h"
#include "reports/autobahn_internal.h"
#include "reports/json.h"
#include "reports/wire_spill.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of an HTTP head we look for in the wire log. */
#define HEAD_MAX (16u << 10)
/* Autobahn's binLogData: at most 64 bytes shown, " ..." past 60. */
#define LOG_BYTES 64
#define LOG_ELLIPSIS_AFTER 60

struct case_doc {
  const ws_run_results *r;
  const ws_autobahn_group *g;
  const ws_wire_view *wire;
};

/* A formatted heap string, NULL when out of memory. */
static char *format(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s) {
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return s;
}

static const char *str(const char *s) { return s ? s : ""; }

static void key_string(ws_json *w, const char *key, const char *value) {
  ws_json_key(w, key);
  ws_json_string(w, value); /* NULL writes null */
}

static void key_owned(ws_json *w, const char *key, char *value) {
  key_string(w, key, value);
  free(value);
}

static void key_null(ws_json *w, const char *key) {
  ws_json_key(w, key);
  ws_json_null(w);
}

static void key_bool(ws_json *w, const char *key, bool v) {
  ws_json_key(w, key);
  ws_json_bool(w, v);
}

static void key_empty_object(ws_json *w, const char *key) {
  ws_json_key(w, key);
  ws_json_object_begin_inline(w);
  ws_json_object_end(w);
}

static bool is_error(const ws_case_result *c) {
  return (unsigned)c->verdict >= WS_VERDICT_ERROR;
}

static char *result_text(const ws_autobahn_group *g) {
  const ws_case_result *c = g->worst;
  char *worst_of = g->count > 1 ? format("Worst of %zu wsprobe cases (see "
                                         "\"wsprobe\"), %s: ",
                                         g->count, str(c->id))
                                : format("wsprobe case %s: ", str(c->id));
  char *text;
  if (is_error(c))
    text = format("%scould not be run: %s", str(worst_of), str(c->reason));
  else
    text = format("%s%s%s%s. Observed: %s", str(worst_of),
                  ws_verdict_name(c->verdict), *str(c->reason) ? ", " : "",
                  str(c->reason), str(c->observed));
  free(worst_of);
  return text;
}

static char *result_close_text(const ws_case_result *c) {
  if (is_error(c))
    return format("wsprobe could not run the case");
  const char *how = c->close_clean
                        ? "the closing handshake completed and the peer "
                          "closed TCP"
                        : "the connection did not end with a closing "
                          "handshake and the peer closing TCP";
  if (!c->has_close)
    return format("The peer sent no close frame; %s", how);
  if (c->close_empty)
    return format("The peer sent an empty close frame; %s", how);
  return format("The peer sent close code %u; %s", (unsigned)c->close_code,
                how);
}

static void write_dropped_by_me(ws_json *w, const ws_case_result *c) {
  ws_json_key(w, "droppedByMe");
  if (c->reason_code && strcmp(c->reason_code, "tcp-close-order") == 0)
    ws_json_bool(w, true);
  else if (c->close_clean)
    ws_json_bool(w, false);
  else
    ws_json_null(w);
}

/* The HTTP head at the start of one direction of the wire log, up to and
 * including its blank line; NULL when the log does not hold a whole one. */
static char *http_head(const ws_wire_view *v, const char *dir, size_t *len) {
  char *buf = malloc(HEAD_MAX);
  size_t n = 0;
  for (size_t i = 0; buf && i < v->count && n < HEAD_MAX; i++) {
    const ws_result_wire *e = &v->wire[i];
    if (!e->dir || strcmp(e->dir, dir) != 0)
      continue;
    size_t from = n > 3 ? n - 3 : 0;
    size_t take = e->len < HEAD_MAX - n ? e->len : HEAD_MAX - n;
    if (take)
      memcpy(buf + n, e->bytes, take);
    n += take;
    for (size_t j = from; j + 4 <= n; j++)
      if (memcmp(buf + j, "\r\n\r\n", 4) == 0) {
        *len = j + 4;
        return buf;
      }
  }
  free(buf);
  return NULL;
}

static void write_http_head(ws_json *w, const char *key, const ws_wire_view *v,
                            const char *dir) {
  size_t len = 0;
  char *head = http_head(v, dir, &len);
  ws_json_key(w, key);
  if (head)
    ws_json_string_n(w, head, len);
  else
    ws_json_null(w);
  free(head);
}

static void write_octets(ws_json *w, const ws_result_wire *e) {
  static const char digits[] = "0123456789abcdef";
  char hex[2 * LOG_BYTES + sizeof " ..."];
  size_t shown = e->len > LOG_BYTES ? LOG_BYTES : e->len, n = 0;
  for (size_t i = 0; i < shown; i++) {
    hex[n++] = digits[e->bytes[i] >> 4];
    hex[n++] = digits[e->bytes[i] & 15];
  }
  if (e->len > LOG_ELLIPSIS_AFTER) {
    memcpy(hex + n, " ...", 4);
    n += 4;
  }
  ws_json_array_begin_inline(w);
  ws_json_uint(w, e->len);
  ws_json_string_n(w, hex, n);
  ws_json_array_end(w);
}

static void write_wirelog(ws_json *w, const ws_wire_view *v) {
  ws_json_key(w, "wirelog");
  ws_json_array_begin(w);
  for (size_t i = 0; i < v->count; i++) {
    const ws_result_wire *e = &v->wire[i];
    bool tx = e->dir && strcmp(e->dir, "tx") == 0;
    if (!tx && !(e->dir && strcmp(e->dir, "rx") == 0))
      continue;
    ws_json_array_begin_inline(w);
    ws_json_string(w, tx ? "TO" : "RO");
    write_octets(w, e);
    if (tx)
      ws_json_bool(w, false); /* Autobahn's "sync": we have no such flag */
    ws_json_array_end(w);
  }
  ws_json_array_end(w);
}

static void write_ours(ws_json *w, const ws_autobahn_group *g) {
  ws_json_key(w, "wsprobe");
  ws_json_object_begin(w);
  ws_json_key(w, "cases");
  ws_json_array_begin(w);
  for (size_t i = 0; i < g->count; i++) {
    const ws_case_result *c = g->cases[i];
    ws_json_object_begin_inline(w);
    key_string(w, "id", str(c->id));
    key_string(w, "verdict", ws_verdict_name(c->verdict));
    key_string(w, "reason_code", str(c->reason_code));
    key_string(w, "reason", str(c->reason));
    ws_json_object_end(w);
  }
  ws_json_array_end(w);
  ws_json_object_end(w);
}

/* Keys in the order Python's sort_keys gives them. */
static int write_document(FILE *out, const void *ctx) {
  const struct case_doc *d = ctx;
  const ws_autobahn_group *g = d->g;
  const ws_case_result *c = g->worst;
  unsigned number = ws_autobahn_case_number(g->id);
  ws_json w;
  ws_json_init(&w, out);
  ws_json_object_begin(&w);
  key_string(&w, "agent", g->agent);
  key_string(&w, "behavior", ws_autobahn_behavior(c->verdict));
  key_string(&w, "behaviorClose", ws_autobahn_behavior_close(c));
  ws_json_key(&w, "case");
  if (number)
    ws_json_uint(&w, number);
  else
    ws_json_null(&w);
  key_bool(&w, "closedByMe",
           c->close_by && strcmp(c->close_by, "harness") == 0);
  key_bool(&w, "createStats", false);
  key_bool(&w, "createWirelog", d->wire->count > 0);
  key_string(&w, "description", str(c->title));
  write_dropped_by_me(&w, c);
  ws_json_key(&w, "duration");
  ws_json_uint(&w, g->duration_ms);
  key_string(&w, "expectation", str(c->expected));
  key_null(&w, "expected");
  key_null(&w, "expectedClose");
  key_null(&w, "failedByMe");
  write_http_head(&w, "httpRequest", d->wire, "tx");
  write_http_head(&w, "httpResponse", d->wire, "rx");
  key_string(&w, "id", g->id);
  key_bool(&w, "isServer", false);
  key_null(&w, "localCloseCode");
  key_null(&w, "localCloseReason");
  key_null(&w, "received");
  ws_json_key(&w, "remoteCloseCode");
  if (c->has_close && !c->close_empty)
    ws_json_uint(&w, c->close_code);
  else
    ws_json_null(&w);
  key_string(&w, "remoteCloseReason",
             c->has_close && c->close_reason && *c->close_reason
                 ? c->close_reason
                 : NULL);
  key_bool(&w, "reportCompressionRatio", false);
  key_bool(&w, "reportTime", false);
  key_owned(&w, "result", result_text(g));
  key_owned(&w, "resultClose", result_close_text(c));
  key_empty_object(&w, "rxFrameStats");
  key_empty_object(&w, "rxOctetStats");
  key_string(&w, "started", d->r->started_at);
  key_null(&w, "trafficStats");
  key_empty_object(&w, "txFrameStats");
  key_empty_object(&w, "txOctetStats");
  key_bool(&w, "wasClean", c->close_clean);
  key_null(&w, "wasCloseHandshakeTimeout");
  key_string(&w, "wasNotCleanReason",
             c->close_clean ? NULL
             : is_error(c)  ? "wsprobe could not run the case"
             : c->has_close ? "the closing handshake did not end with the "
                              "peer closing TCP"
                            : "the peer sent no close frame");
  key_null(&w, "wasOpenHandshakeTimeout");
  key_null(&w, "wasServerConnectionDropTimeout");
  write_wirelog(&w, d->wire);
  write_ours(&w, g);
  ws_json_object_end(&w);
  return ws_json_finish(&w);
}

int ws_autobahn_write_case_file(const ws_run_results *r,
                                const ws_autobahn_group *g, const char *path,
                                char *err, size_t cap) {
  /* One case's wire log in memory at a time (wire_spill.h). A log that
   * cannot be read back leaves the view empty: the file is still written,
   * with createWirelog false. */
  ws_wire_view view;
  (void)ws_wire_view_open(r, g->worst, &view);
  struct case_doc d = {r, g, &view};
  int rc = ws_write_atomically(path, write_document, &d, err, cap);
  ws_wire_view_close(&view);
  return rc;
}
