/* Reading results.json back into the results model (ws_results_read_json in
 * report.h), so reports, diffs and baselines need no live run.
 *
 * Every field json_writer.c writes is read back: wire hex becomes bytes, the
 * close object its fields, the seed string a uint64. "areas" is ignored (the
 * writer derives it from the cases), the per-verdict counts are recomputed
 * from the cases and must agree with "summary" when it is present: a file
 * whose summary disagrees with its cases has been edited or damaged, and
 * reporting either number would mislead. Unknown members are ignored (the
 * schema only ever grows); a schema other than wsprobe-results/1 is refused.
 *
 * Bounded: the file size, nesting, value count and string lengths are capped
 * by the parser (json_parse.h), so a hostile file costs at most about its
 * own size plus the tree, and ends in an error, never a crash. */
#include "reports/json_parse.h"
#include "reports/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA "wsprobe-results/1"
#define MAX_FILE ((size_t)1 << 30)

typedef struct reader {
  const ws_jdoc *d;
  char msg[384]; /* the first error, without the path */
  bool failed;
} reader;

static int bad(reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(reader *r, const char *fmt, ...) {
  if (!r->failed) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->failed = true;
  }
  return -1;
}

/* ---- the file ---- */

/* Reads the whole file into a heap buffer, refusing more than MAX_FILE
 * bytes even when the file grows while it is read. */
static char *slurp(const char *path, size_t *len, char *msg, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(msg, cap, "%s", strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    snprintf(msg, cap, "%s", strerror(errno));
    close(fd);
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) {
    snprintf(msg, cap, "is a directory");
    close(fd);
    return NULL;
  }
  size_t want = st.st_size > 0 ? (size_t)st.st_size : 4096, used = 0;
  if (want > MAX_FILE) {
    snprintf(msg, cap, "file too large (more than %zu bytes)", MAX_FILE);
    close(fd);
    return NULL;
  }
  char *buf = malloc(want + 1);
  while (buf) {
    if (used == want) {
      if (want >= MAX_FILE) {
        snprintf(msg, cap, "file too large (more than %zu bytes)", MAX_FILE);
        break;
      }
      size_t grown_size = want * 2 > MAX_FILE ? MAX_FILE : want * 2;
      char *grown = realloc(buf, grown_size + 1);
      if (!grown)
        break;
      buf = grown;
      want = grown_size;
    }
    ssize_t n = read(fd, buf + used, want - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(msg, cap, "%s", strerror(errno));
      break;
    }
    if (n == 0) {
      close(fd);
      buf[used] = '\0';
      *len = used;
      return buf;
    }
    used += (size_t)n;
  }
  if (!buf || !*msg)
    snprintf(msg, cap, "out of memory");
  free(buf);
  close(fd);
  return NULL;
}

/* ---- typed members ---- */

/* A string member: *out is a heap copy, or a heap "" (or NULL when
 * null_ok and the member is null or absent). */
static int get_string(reader *r, ws_jref obj, const char *key, char **out,
                      bool null_ok) {
  ws_jref n = ws_jdoc_get(r->d, obj, key);
  *out = NULL;
  if (n == WS_JNONE || ws_jdoc_type(r->d, n) == WS_JNULL) {
    if (null_ok)
      return 0;
    *out = strdup("");
  } else if (ws_jdoc_type(r->d, n) != WS_JSTRING) {
    return bad(r, "%s: a string expected", key);
  } else {
    *out = ws_jdoc_string_dup(r->d, n, NULL);
  }
  return *out ? 0 : bad(r, "out of memory");
}

/* A finite number; absent or null (the writer's NaN) reads as 0. */
static int get_number(reader *r, ws_jref obj, const char *key, double *out) {
  ws_jref n = ws_jdoc_get(r->d, obj, key);
  *out = 0;
  if (n == WS_JNONE || ws_jdoc_type(r->d, n) == WS_JNULL)
    return 0;
  if (ws_jdoc_number(r->d, n, out) != 0)
    return bad(r, "%s: a finite number expected", key);
  return 0;
}

static int get_uint(reader *r, ws_jref obj, const char *key, uint64_t max,
                    uint64_t *out) {
  ws_jref n = ws_jdoc_get(r->d, obj, key);
  *out = 0;
  if (n == WS_JNONE)
    return 0;
  if (ws_jdoc_uint(r->d, n, out) != 0 || *out > max)
    return bad(r, "%s: an integer in 0..%llu expected", key,
               (unsigned long long)max);
  return 0;
}

static int get_bool(reader *r, ws_jref obj, const char *key, bool *out) {
  ws_jref n = ws_jdoc_get(r->d, obj, key);
  *out = false;
  if (n == WS_JNONE)
    return 0;
  enum ws_jtype t = ws_jdoc_type(r->d, n);
  if (t != WS_JTRUE && t != WS_JFALSE)
    return bad(r, "%s: true or false expected", key);
  *out = t == WS_JTRUE;
  return 0;
}

/* The seed is a decimal string (64-bit values do not survive a double);
 * a plain integer is accepted too. */
static int get_seed(reader *r, ws_jref root, uint64_t *out) {
  ws_jref n = ws_jdoc_get(r->d, root, "seed");
  *out = 0;
  if (n == WS_JNONE || ws_jdoc_type(r->d, n) == WS_JNULL)
    return 0;
  if (ws_jdoc_type(r->d, n) == WS_JNUMBER)
    return ws_jdoc_uint(r->d, n, out) == 0 ? 0 : bad(r, "seed: not a uint64");
  char *s = ws_jdoc_string_dup(r->d, n, NULL);
  if (!s)
    return bad(r, "seed: a decimal string expected");
  uint64_t v = 0;
  bool ok = *s != '\0' && strlen(s) <= 20;
  for (const char *p = s; ok && *p; p++) {
    unsigned digit = (unsigned)(*p - '0');
    ok = *p >= '0' && *p <= '9' && v <= (UINT64_MAX - digit) / 10;
    v = v * 10 + digit;
  }
  free(s);
  if (!ok)
    return bad(r, "seed: a decimal string below 2^64 expected");
  *out = v;
  return 0;
}

/* ---- one case ---- */

/* One of a fixed set of names, as the static string of the model. */
static int get_enum(reader *r, ws_jref obj, const char *key,
                    const char *const *names, const char **out) {
  ws_jref n = ws_jdoc_get(r->d, obj, key);
  *out = names[0];
  if (n == WS_JNONE || ws_jdoc_type(r->d, n) == WS_JNULL)
    return 0;
  for (size_t i = 0; names[i]; i++)
    if (ws_jdoc_string_eq(r->d, n, names[i])) {
      *out = names[i];
      return 0;
    }
  return bad(r, "%s: not one of the known values", key);
}

static int read_close(reader *r, ws_jref c, ws_case_result *out) {
  static const char *const by_names[] = {"none", "peer", "harness", NULL};
  out->close_by = "none";
  if (c == WS_JNONE || ws_jdoc_type(r->d, c) == WS_JNULL)
    return 0;
  if (ws_jdoc_type(r->d, c) != WS_JOBJECT)
    return bad(r, "close: an object or null expected");
  uint64_t code = 0;
  ws_jref code_node = ws_jdoc_get(r->d, c, "code");
  bool code_null =
      code_node == WS_JNONE || ws_jdoc_type(r->d, code_node) == WS_JNULL;
  if (get_bool(r, c, "received", &out->has_close) ||
      get_bool(r, c, "clean", &out->close_clean) ||
      (!code_null && get_uint(r, c, "code", 65535, &code)) ||
      get_string(r, c, "reason", &out->close_reason, false) ||
      get_enum(r, c, "by", by_names, &out->close_by))
    return -1;
  /* "code": null with a received close is an empty close frame, which the
   * model records as 1005 (RFC 6455 7.1.5: no status code present). */
  out->close_empty = out->has_close && code_null;
  out->close_code = out->close_empty ? 1005 : (uint16_t)code;
  return 0;
}

static int read_hex(reader *r, ws_jref e, ws_result_wire *w) {
  ws_jref n = ws_jdoc_get(r->d, e, "hex");
  if (n == WS_JNONE || ws_jdoc_type(r->d, n) == WS_JNULL)
    return 0;
  size_t len;
  char *hex = ws_jdoc_string_dup(r->d, n, &len);
  if (!hex)
    return bad(r, "hex: a string expected");
  if (len % 2) {
    free(hex);
    return bad(r, "hex: odd number of digits");
  }
  w->bytes = malloc(len / 2 + 1); /* +1: never malloc(0) */
  for (size_t i = 0; w->bytes && i < len / 2; i++) {
    int hi = ws_json_hex_digit((unsigned char)hex[2 * i]),
        lo = ws_json_hex_digit((unsigned char)hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(hex);
      return bad(r, "hex: not a hex digit");
    }
    w->bytes[i] = (uint8_t)(hi << 4 | lo);
  }
  free(hex);
  if (!w->bytes)
    return bad(r, "out of memory");
  w->len = len / 2;
  return 0;
}

static int read_wire_entry(reader *r, ws_jref e, ws_result_wire *w) {
  static const char *const dirs[] = {"note", "tx", "rx", NULL};
  if (ws_jdoc_type(r->d, e) != WS_JOBJECT)
    return bad(r, "wire: objects expected");
  if (get_number(r, e, "t_ms", &w->t_ms) ||
      get_enum(r, e, "dir", dirs, &w->dir) || read_hex(r, e, w) ||
      get_string(r, e, "note", &w->note, true))
    return -1;
  return 0;
}

static int read_wire(reader *r, ws_jref c, ws_case_result *out) {
  ws_jref wire = ws_jdoc_get(r->d, c, "wire");
  if (wire == WS_JNONE || ws_jdoc_type(r->d, wire) == WS_JNULL)
    return 0;
  if (ws_jdoc_type(r->d, wire) != WS_JARRAY)
    return bad(r, "wire: an array expected");
  size_t n = ws_jdoc_count(r->d, wire);
  if (n == 0)
    return 0;
  out->wire = calloc(n, sizeof *out->wire);
  if (!out->wire)
    return bad(r, "out of memory");
  for (ws_jref e = ws_jdoc_first(r->d, wire); e != WS_JNONE;
       e = ws_jdoc_next(r->d, e)) {
    /* Counted before reading so a half-read entry is freed with the case. */
    ws_result_wire *w = &out->wire[out->wire_count++];
    if (read_wire_entry(r, e, w) != 0)
      return -1;
  }
  return 0;
}

static int read_verdict(reader *r, ws_jref c, ws_case_result *out) {
  ws_jref n = ws_jdoc_get(r->d, c, "verdict");
  if (n == WS_JNONE)
    return bad(r, "verdict: missing");
  char *name = ws_jdoc_string_dup(r->d, n, NULL);
  if (!name)
    return bad(r, "verdict: a string expected");
  int v = ws_verdict_parse(name);
  if (v < 0) {
    /* %.40s: the name comes from the file, the message must stay short. */
    bad(r, "verdict: unknown verdict '%.40s'", name);
    free(name);
    return -1;
  }
  free(name);
  out->verdict = (enum ws_verdict)v;
  return 0;
}

static int read_case_fields(reader *r, ws_jref c, ws_case_result *out) {
  struct {
    const char *key;
    char **slot;
  } strings[] = {
      {"title", &out->title},
      {"area", &out->area},
      {"rfc", &out->rfc},
      {"level", &out->level},
      {"reason_code", &out->reason_code},
      {"reason", &out->reason},
      {"expected", &out->expected},
      {"observed", &out->observed},
  };
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
    if (get_string(r, c, strings[i].key, strings[i].slot, false) != 0)
      return -1;
  if (get_string(r, c, "autobahn", &out->autobahn, true) ||
      get_string(r, c, "deflate", &out->deflate, true) ||
      read_verdict(r, c, out) ||
      get_number(r, c, "duration_ms", &out->duration_ms) ||
      read_close(r, ws_jdoc_get(r->d, c, "close"), out) ||
      read_wire(r, c, out) ||
      get_bool(r, c, "wire_truncated", &out->wire_truncated) ||
      get_uint(r, c, "wire_dropped", UINT64_MAX, &out->wire_dropped))
    return -1;
  return 0;
}

static int read_case(reader *r, ws_jref c, size_t index, ws_run_results *res) {
  ws_case_result one = {.close_by = "none"};
  if (ws_jdoc_type(r->d, c) != WS_JOBJECT)
    return bad(r, "cases[%zu]: an object expected", index);
  ws_jref id = ws_jdoc_get(r->d, c, "id");
  if (id == WS_JNONE || ws_jdoc_type(r->d, id) != WS_JSTRING)
    return bad(r, "cases[%zu]: id: a string expected", index);
  one.id = ws_jdoc_string_dup(r->d, id, NULL);
  if (!one.id)
    return bad(r, "out of memory");
  if (read_case_fields(r, c, &one) != 0) {
    /* Prefix the member error with where it happened. */
    char inner[sizeof r->msg];
    snprintf(inner, sizeof inner, "%s", r->msg);
    snprintf(r->msg, sizeof r->msg, "cases[%zu] (id %.40s): %.300s", index,
             one.id, inner);
    ws_case_result_free(&one);
    return -1;
  }
  if (ws_results_add(res, &one) != 0) {
    ws_case_result_free(&one);
    return bad(r, "out of memory");
  }
  return 0;
}

/* ---- the document ---- */

static int check_schema(reader *r, ws_jref root) {
  if (ws_jdoc_type(r->d, root) != WS_JOBJECT)
    return bad(r, "not a wsprobe results file (the document is no object)");
  ws_jref s = ws_jdoc_get(r->d, root, "schema");
  if (s == WS_JNONE)
    return bad(r, "not a wsprobe results file (no \"schema\")");
  if (ws_jdoc_string_eq(r->d, s, SCHEMA))
    return 0;
  char *name = ws_jdoc_string_dup(r->d, s, NULL);
  bad(r, "schema '%.60s' is not %s (a newer wsprobe may read it)",
      name ? name : "?", SCHEMA);
  free(name);
  return -1;
}

/* "profile": absent in files from before it existed (then "default"). */
static int get_profile(reader *r, ws_jref root, ws_run_results *res) {
  char *name;
  if (get_string(r, root, "profile", &name, true))
    return -1;
  if (name && strcmp(name, "default") != 0 && strcmp(name, "full") != 0) {
    free(name);
    return bad(r, "profile: \"default\" or \"full\" expected");
  }
  snprintf(res->profile, sizeof res->profile, "%s", name ? name : "default");
  free(name);
  return 0;
}

static int read_header(reader *r, ws_jref root, ws_run_results *res) {
  ws_jref tool = ws_jdoc_get(r->d, root, "tool");
  uint64_t selected;
  if (tool != WS_JNONE && ws_jdoc_type(r->d, tool) != WS_JOBJECT)
    return bad(r, "tool: an object expected");
  if ((tool != WS_JNONE &&
       get_string(r, tool, "version", &res->tool_version, false)) ||
      (tool == WS_JNONE && !(res->tool_version = strdup(""))) ||
      get_string(r, root, "target", &res->target, false) ||
      get_string(r, root, "agent", &res->agent, true) ||
      get_string(r, root, "tls", &res->tls, true) ||
      get_string(r, root, "started_at", &res->started_at, false) ||
      get_number(r, root, "duration_ms", &res->duration_ms) ||
      get_seed(r, root, &res->seed) ||
      get_number(r, root, "timeout_scale", &res->timeout_scale) ||
      get_bool(r, root, "interrupted", &res->interrupted) ||
      get_uint(r, root, "selected", SIZE_MAX, &selected) ||
      get_profile(r, root, res))
    return r->failed ? -1 : bad(r, "out of memory");
  res->selected = (size_t)selected;
  return 0;
}

/* "target_lost": null or {"since_ms", "cases"}. */
static int read_target_lost(reader *r, ws_jref root, ws_run_results *res) {
  ws_jref t = ws_jdoc_get(r->d, root, "target_lost");
  if (t == WS_JNONE || ws_jdoc_type(r->d, t) == WS_JNULL)
    return 0;
  if (ws_jdoc_type(r->d, t) != WS_JOBJECT)
    return bad(r, "target_lost: an object or null expected");
  uint64_t cases;
  if (get_number(r, t, "since_ms", &res->target_lost_ms) ||
      get_uint(r, t, "cases", SIZE_MAX, &cases))
    return -1;
  res->target_lost = true;
  res->target_lost_cases = (size_t)cases;
  return 0;
}

static int read_cases(reader *r, ws_jref root, ws_run_results *res) {
  ws_jref cases = ws_jdoc_get(r->d, root, "cases");
  if (cases == WS_JNONE || ws_jdoc_type(r->d, cases) != WS_JARRAY)
    return bad(r, "cases: an array expected");
  size_t i = 0;
  for (ws_jref c = ws_jdoc_first(r->d, cases); c != WS_JNONE;
       c = ws_jdoc_next(r->d, c), i++)
    if (read_case(r, c, i, res) != 0)
      return -1;
  if (res->selected < res->case_count)
    res->selected = res->case_count;
  return 0;
}

/* "summary" must agree with the counts recomputed from the cases. */
static int check_summary(reader *r, ws_jref root, const ws_run_results *res) {
  ws_jref s = ws_jdoc_get(r->d, root, "summary");
  if (s == WS_JNONE)
    return 0;
  if (ws_jdoc_type(r->d, s) != WS_JOBJECT)
    return bad(r, "summary: an object expected");
  uint64_t n;
  if (ws_jdoc_get(r->d, s, "total") != WS_JNONE) {
    if (get_uint(r, s, "total", UINT64_MAX, &n) != 0)
      return -1;
    if (n != res->case_count)
      return bad(r, "summary: total is %llu but the file holds %zu cases",
                 (unsigned long long)n, res->case_count);
  }
  for (int v = 0; v < WS_VERDICT_COUNT; v++) {
    const char *key = ws_verdict_key((enum ws_verdict)v);
    if (ws_jdoc_get(r->d, s, key) == WS_JNONE)
      continue;
    if (get_uint(r, s, key, UINT64_MAX, &n) != 0)
      return -1;
    if (n != res->counts[v])
      return bad(r, "summary: %s is %llu but %zu cases have that verdict", key,
                 (unsigned long long)n, res->counts[v]);
  }
  return 0;
}

static int read_document(reader *r, ws_run_results *out) {
  ws_jref root = 0;
  if (check_schema(r, root) || read_header(r, root, out) ||
      read_target_lost(r, root, out) || read_cases(r, root, out) ||
      check_summary(r, root, out))
    return -1;
  return 0;
}

int ws_results_read_json_text(const char *name, const char *text, size_t len,
                              ws_run_results *out, char *err, size_t cap) {
  ws_results_init(out);
  char msg[384] = "";
  ws_jdoc doc;
  if (ws_jdoc_parse(text, len, NULL, &doc, msg, sizeof msg) != 0) {
    snprintf(err, cap, "%s: not valid JSON: %s", name, msg);
    return -1;
  }
  reader r = {.d = &doc};
  int rc = read_document(&r, out);
  if (rc != 0) {
    snprintf(err, cap, "%s: %s", name, r.msg);
    ws_results_free(out);
  }
  ws_jdoc_free(&doc);
  return rc;
}

int ws_results_read_json(const char *path, ws_run_results *out, char *err,
                         size_t cap) {
  ws_results_init(out);
  char msg[384] = "";
  size_t len = 0;
  char *text = slurp(path, &len, msg, sizeof msg);
  if (!text) {
    snprintf(err, cap, "%s: %s", path, msg);
    return -1;
  }
  int rc = ws_results_read_json_text(path, text, len, out, err, cap);
  free(text);
  return rc;
}
