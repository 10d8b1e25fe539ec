/* Baselines (baseline.h): loading, comparing a run (by the rules of
 * ci_gate.h), and recording the outcome in results.json. summary.md and
 * junit.xml render the outcome themselves (markdown_gate.c, junit_writer.c).
 */
#include "reports/baseline.h"
#include "reports/atomic_file.h"
#include "reports/ci_gate.h"
#include "reports/json.h"
#include "reports/report.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- files ---- */

/* The whole file, NUL-terminated, at most max bytes. NULL with err set. */
static char *read_file(const char *path, size_t max, size_t *len, char *err,
                       size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, cap, "%s: %s", path, strerror(errno));
    return NULL;
  }
  size_t used = 0, size = 4096;
  char *buf = malloc(size + 1);
  while (buf) {
    used += fread(buf + used, 1, size - used, f);
    if (used < size)
      break;
    if (size >= max) {
      snprintf(err, cap, "%s: larger than %zu bytes", path, max);
      free(buf);
      fclose(f);
      return NULL;
    }
    size = size * 2 > max ? max : size * 2;
    char *grown = realloc(buf, size + 1);
    if (!grown) {
      free(buf);
      buf = NULL;
    } else {
      buf = grown;
    }
  }
  bool failed = !buf || ferror(f);
  fclose(f);
  if (failed) {
    snprintf(err, cap, "%s: %s", path, buf ? "read error" : "out of memory");
    free(buf);
    return NULL;
  }
  buf[used] = '\0';
  *len = used;
  return buf;
}

/* ---- building ---- */

static int add_entry(ws_baseline *b, const char *id, size_t id_len,
                     enum ws_verdict v, const char *reason, size_t reason_len) {
  if (b->count == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    ws_baseline_entry *grown = realloc(b->entries, cap * sizeof *grown);
    if (!grown)
      return -1;
    b->entries = grown;
    b->cap = cap;
  }
  ws_baseline_entry *e = &b->entries[b->count];
  e->id = strndup(id, id_len);
  e->reason = strndup(reason ? reason : "", reason ? reason_len : 0);
  e->verdict = v;
  e->unknown = false; /* until ws_baseline_mark_unknown says otherwise */
  if (!e->id || !e->reason) {
    free(e->id);
    free(e->reason);
    return -1;
  }
  b->count++;
  return 0;
}

static const char *entry_id(const void *ctx, size_t i) {
  return ((const ws_baseline *)ctx)->entries[i].id;
}

static int build_index(ws_baseline *b) {
  ws_id_index_free(&b->index);
  return ws_id_index_build(&b->index, b->count, entry_id, b);
}

const ws_baseline_entry *ws_baseline_find(const ws_baseline *b,
                                          const char *id) {
  size_t at = ws_id_index_find(&b->index, id);
  return at == SIZE_MAX ? NULL : &b->entries[at];
}

void ws_baseline_free(ws_baseline *b) {
  for (size_t i = 0; i < b->count; i++) {
    free(b->entries[i].id);
    free(b->entries[i].reason);
  }
  free(b->entries);
  free(b->path);
  ws_id_index_free(&b->index);
  memset(b, 0, sizeof *b);
}

void ws_baseline_mark_unknown(ws_baseline *b,
                              bool (*known)(const char *id, void *ctx),
                              void *ctx) {
  b->unknown_count = 0;
  for (size_t i = 0; i < b->count; i++) {
    b->entries[i].unknown = !known(b->entries[i].id, ctx);
    b->unknown_count += b->entries[i].unknown;
  }
}

void ws_baseline_unknown_list(const ws_baseline *b, char *out, size_t cap) {
  size_t used = 0;
  if (cap)
    out[0] = '\0';
  for (size_t i = 0; i < b->count && cap > 4; i++) {
    if (!b->entries[i].unknown)
      continue;
    size_t room = cap - 4 - used; /* keeps room for "..." */
    int n =
        snprintf(out + used, room, "%s%s", used ? ", " : "", b->entries[i].id);
    if (n < 0 || (size_t)n >= room) {
      snprintf(out + used, cap - used, "...");
      return;
    }
    used += (size_t)n;
  }
}

int ws_baseline_from_results(const ws_run_results *r, const char *name,
                             ws_baseline *b) {
  memset(b, 0, sizeof *b);
  ws_id_index seen;
  if (ws_id_index_of_results(&seen, r) != 0)
    return -1;
  b->path = strdup(name ? name : "");
  int rc = b->path ? 0 : -1;
  for (size_t i = 0; rc == 0 && i < r->case_count; i++) {
    const ws_case_result *c = &r->cases[i];
    const char *id = c->id ? c->id : "", *reason = c->reason;
    /* A repeated id keeps its first verdict, as diff does. */
    if (ws_id_index_find(&seen, id) == i)
      rc = add_entry(b, id, strlen(id), c->verdict, reason,
                     reason ? strlen(reason) : 0);
  }
  ws_id_index_free(&seen);
  if (rc == 0)
    rc = build_index(b);
  if (rc != 0)
    ws_baseline_free(b);
  return rc;
}

/* ---- the text format ---- */

static bool blank(char c) { return c == ' ' || c == '\t'; }

static size_t token(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && !blank(s[i]))
    i++;
  return i;
}

static size_t skip_blanks(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && blank(s[i]))
    i++;
  return i;
}

/* One line without its newline. 0 (an entry added or nothing to add), or -1
 * with a message (no prefix) in err. */
static int parse_line(ws_baseline *b, const char *s, size_t n, char *err,
                      size_t cap) {
  if (n && s[n - 1] == '\r')
    n--;
  size_t i = skip_blanks(s, n);
  if (i == n || s[i] == '#')
    return 0;
  size_t id_len = token(s + i, n - i);
  const char *id = s + i;
  i += id_len;
  i += skip_blanks(s + i, n - i);
  size_t v_len = token(s + i, n - i);
  if (v_len == 0 || v_len > 20) {
    snprintf(err, cap, "'%.*s' needs a verdict: ID VERDICT [REASON]",
             (int)(id_len > 40 ? 40 : id_len), id);
    return -1;
  }
  char name[24];
  snprintf(name, sizeof name, "%.*s", (int)v_len, s + i);
  int v = ws_verdict_parse(name);
  if (v < 0) {
    snprintf(err, cap,
             "unknown verdict '%s' (pass, non-strict, "
             "informational, unimplemented, fail, error)",
             name);
    return -1;
  }
  i += v_len;
  i += skip_blanks(s + i, n - i);
  size_t end = n;
  while (end > i && blank(s[end - 1]))
    end--;
  return add_entry(b, id, id_len, (enum ws_verdict)v, s + i, end - i) == 0
             ? 0
             : (snprintf(err, cap, "out of memory"), -1);
}

/* Repeated ids make the file ambiguous: report the line of the second. */
static int check_duplicates(ws_baseline *b, const size_t *lines,
                            const char *name, char *err, size_t cap) {
  for (size_t i = 0; i < b->count; i++) {
    size_t first = ws_id_index_find(&b->index, b->entries[i].id);
    if (first != i) {
      snprintf(err, cap,
               "%s:%zu: case '%.40s' is listed twice (first on "
               "line %zu)",
               name, lines[i], b->entries[i].id, lines[first]);
      return -1;
    }
  }
  return 0;
}

static int parse_lines(const char *text, size_t len, const char *name,
                       ws_baseline *b, size_t **lines, char *err, size_t cap) {
  size_t line = 0, lines_cap = 0;
  char msg[256];
  for (size_t pos = 0; pos < len; line++) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
    if (n > WS_BASELINE_MAX_LINE) {
      snprintf(err, cap, "%s:%zu: line longer than %d bytes", name, line + 1,
               WS_BASELINE_MAX_LINE);
      return -1;
    }
    size_t before = b->count;
    if (parse_line(b, text + pos, n, msg, sizeof msg) != 0) {
      snprintf(err, cap, "%s:%zu: %s", name, line + 1, msg);
      return -1;
    }
    if (b->count != before) {
      if (b->count > lines_cap) {
        lines_cap = b->cap;
        size_t *grown = realloc(*lines, lines_cap * sizeof *grown);
        if (!grown) {
          snprintf(err, cap, "%s: out of memory", name);
          return -1;
        }
        *lines = grown;
      }
      (*lines)[b->count - 1] = line + 1;
    }
    pos += n + 1;
  }
  return 0;
}

int ws_baseline_parse_text(const char *text, size_t len, const char *name,
                           ws_baseline *b, char *err, size_t cap) {
  memset(b, 0, sizeof *b);
  size_t *lines = NULL;
  if (memchr(text, '\0', len)) {
    snprintf(err, cap, "%s: holds NUL bytes: not a baseline file", name);
    return -1;
  }
  b->path = strdup(name);
  int rc = -1;
  if (!b->path)
    snprintf(err, cap, "%s: out of memory", name);
  else if (parse_lines(text, len, name, b, &lines, err, cap) == 0) {
    if (build_index(b) != 0)
      snprintf(err, cap, "%s: out of memory", name);
    else
      rc = check_duplicates(b, lines, name, err, cap);
  }
  free(lines);
  if (rc != 0)
    ws_baseline_free(b);
  return rc;
}

int ws_baseline_load(const char *path, ws_baseline *b, char *err, size_t cap) {
  size_t len;
  memset(b, 0, sizeof *b);
  char *text = read_file(path, WS_BASELINE_MAX_FILE, &len, err, cap);
  bool json = false;
  if (!text) {
    /* A results.json may be larger than any expectations file. */
    if (!strstr(err, "larger than"))
      return -1;
    json = true;
  } else {
    size_t i = 0;
    while (i < len && strchr(" \t\r\n", text[i]))
      i++;
    json = i < len && text[i] == '{';
  }
  if (!json) {
    int rc = ws_baseline_parse_text(text, len, path, b, err, cap);
    free(text);
    return rc;
  }
  free(text);
  ws_run_results r;
  if (ws_results_read_json(path, &r, err, cap) != 0)
    return -1;
  int rc = ws_baseline_from_results(&r, path, b);
  ws_results_free(&r);
  if (rc != 0)
    snprintf(err, cap, "%s: out of memory", path);
  return rc;
}

/* ---- comparing ---- */

static int push_hit(ws_baseline_hit **list, size_t *count, size_t at, int v) {
  ws_baseline_hit *grown = realloc(*list, (*count + 1) * sizeof *grown);
  if (!grown)
    return -1;
  grown[(*count)++] = (ws_baseline_hit){at, v};
  *list = grown;
  return 0;
}

int ws_baseline_compare(const ws_baseline *b, const ws_run_results *r,
                        ws_verdict_set fail_on, ws_baseline_outcome *out) {
  memset(out, 0, sizeof *out);
  ws_gate g = {.fail_on = fail_on, .baseline = b};
  for (size_t i = 0; i < r->case_count; i++) {
    int was, rc = 0;
    switch (ws_gate_role_of(&g, &r->cases[i], &was)) {
    case WS_GATE_FAILING:
      rc = push_hit(&out->regressions, &out->regression_count, i, was);
      break;
    case WS_GATE_UNEXPECTED_PASS:
      rc = push_hit(&out->unexpected_passes, &out->unexpected_count, i, was);
      break;
    case WS_GATE_EXPECTED:
      rc = push_hit(&out->expected, &out->expected_count, i, was);
      break;
    case WS_GATE_NOT_RUN:
    case WS_GATE_OK:
      break;
    }
    if (rc != 0) {
      ws_baseline_outcome_free(out);
      return -1;
    }
  }
  return 0;
}

void ws_baseline_outcome_free(ws_baseline_outcome *o) {
  free(o->regressions);
  free(o->unexpected_passes);
  free(o->expected);
  memset(o, 0, sizeof *o);
}

/* ---- writing ---- */

/* Reasons go on one line: control characters become spaces. */
static void put_one_line(FILE *out, const char *s) {
  for (; s && *s; s++)
    fputc((unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, out);
}

static int write_text_doc(FILE *out, const void *ctx) {
  const ws_run_results *r = ctx;
  fprintf(out,
          "# wsprobe baseline: the cases of %s that do not pass\n"
          "# (written by wsprobe %s; format: ID VERDICT [REASON])\n",
          r->agent    ? r->agent
          : r->target ? r->target
                      : "?",
          r->tool_version ? r->tool_version : "");
  for (size_t i = 0; i < r->case_count; i++) {
    const ws_case_result *c = &r->cases[i];
    /* Ids with blanks cannot be written in this format; the catalogue has
     * none, and a --case-file id with one is left out rather than split. */
    if (c->verdict == WS_VERDICT_PASS || c->verdict == WS_VERDICT_ERROR ||
        !c->id || !*c->id || strpbrk(c->id, " \t\r\n#"))
      continue;
    fprintf(out, "%s %s", c->id, ws_verdict_name(c->verdict));
    if (c->reason && *c->reason) {
      fputc(' ', out);
      put_one_line(out, c->reason);
    }
    fputc('\n', out);
  }
  return ferror(out) ? -1 : 0;
}

int ws_baseline_prepare_path(const char *path, char *err, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (!slash || slash == path)
    return 0; /* the current directory, or / */
  char dir[4096];
  if ((size_t)(slash - path) >= sizeof dir) {
    snprintf(err, cap, "%s: path too long", path);
    return -1;
  }
  memcpy(dir, path, (size_t)(slash - path));
  dir[slash - path] = '\0';
  return ws_make_dirs(dir, err, cap);
}

int ws_baseline_write_text(const ws_run_results *r, const char *path, char *err,
                           size_t cap) {
  if (ws_baseline_prepare_path(path, err, cap) != 0)
    return -1;
  return ws_write_atomically(path, write_text_doc, r, err, cap);
}

static void json_hits(ws_json *w, const ws_run_results *r,
                      const ws_baseline_hit *hits, size_t n) {
  ws_json_array_begin(w);
  for (size_t i = 0; i < n; i++) {
    const ws_case_result *c = &r->cases[hits[i].case_index];
    ws_json_object_begin_inline(w);
    ws_json_key(w, "id");
    ws_json_string(w, c->id ? c->id : "");
    ws_json_key(w, "title");
    ws_json_string(w, c->title ? c->title : "");
    ws_json_key(w, "verdict");
    ws_json_string(w, ws_verdict_name(c->verdict));
    ws_json_key(w, "baseline");
    ws_json_string(
        w, hits[i].baseline_verdict < 0
               ? NULL
               : ws_verdict_name((enum ws_verdict)hits[i].baseline_verdict));
    ws_json_key(w, "reason");
    ws_json_string(w, c->reason ? c->reason : "");
    ws_json_object_end(w);
  }
  ws_json_array_end(w);
}

struct append_ctx {
  const char *head; /* the document up to (excluding) its closing brace */
  size_t head_len;
  bool comma;
  const ws_baseline *b;
  ws_verdict_set fail_on;
  const ws_run_results *r;
  const ws_baseline_outcome *o;
};

static void json_fail_on(ws_json *w, ws_verdict_set set) {
  ws_json_array_begin_inline(w);
  for (int v = 0; v < WS_VERDICT_COUNT; v++)
    if (set & WS_VERDICT_BIT(v))
      ws_json_string(w, ws_verdict_name((enum ws_verdict)v));
  ws_json_array_end(w);
}

static void json_unknown_ids(ws_json *w, const ws_baseline *b) {
  ws_json_array_begin_inline(w);
  for (size_t i = 0; i < b->count; i++)
    if (b->entries[i].unknown)
      ws_json_string(w, b->entries[i].id);
  ws_json_array_end(w);
}

/* The baseline object, one level deep: written at depth 0 into a buffer,
 * then every line break gets the two spaces of the enclosing object. */
static int write_json_member(FILE *out, const struct append_ctx *a) {
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  if (!mem)
    return -1;
  ws_json w;
  ws_json_init(&w, mem);
  ws_json_object_begin(&w);
  ws_json_key(&w, "file");
  ws_json_string(&w, a->b->path);
  ws_json_key(&w, "fail_on");
  json_fail_on(&w, a->fail_on);
  ws_json_key(&w, "regressions");
  json_hits(&w, a->r, a->o->regressions, a->o->regression_count);
  ws_json_key(&w, "unexpected_passes");
  json_hits(&w, a->r, a->o->unexpected_passes, a->o->unexpected_count);
  ws_json_key(&w, "expected");
  json_hits(&w, a->r, a->o->expected, a->o->expected_count);
  ws_json_key(&w, "unknown_ids");
  json_unknown_ids(&w, a->b);
  ws_json_object_end(&w);
  int rc = ws_json_finish(&w);
  if (fclose(mem) != 0)
    rc = -1;
  if (rc == 0) {
    fprintf(out, "%s\n  \"baseline\": ", a->comma ? "," : "");
    for (size_t i = 0; i < len; i++) {
      if (buf[i] == '\n' && i + 1 < len)
        fputs("\n  ", out);
      else if (buf[i] != '\n')
        fputc(buf[i], out);
    }
    fputs("\n}\n", out);
  }
  free(buf);
  return rc;
}

static int write_appended(FILE *out, const void *ctx) {
  const struct append_ctx *a = ctx;
  fwrite(a->head, 1, a->head_len, out);
  if (write_json_member(out, a) != 0)
    return -1;
  return ferror(out) ? -1 : 0;
}

int ws_baseline_append_json(const char *json_path, const ws_baseline *b,
                            ws_verdict_set fail_on, const ws_run_results *r,
                            const ws_baseline_outcome *o, char *err,
                            size_t cap) {
  size_t len;
  char *text = read_file(json_path, (size_t)1 << 30, &len, err, cap);
  if (!text)
    return -1;
  /* The writer ends the document with "}\n": the member goes before it. */
  size_t end = len;
  while (end > 0 && strchr(" \t\r\n", text[end - 1]))
    end--;
  if (end == 0 || text[end - 1] != '}') {
    snprintf(err, cap, "%s: does not end with an object", json_path);
    free(text);
    return -1;
  }
  size_t head = end - 1;
  while (head > 0 && strchr(" \t\r\n", text[head - 1]))
    head--;
  struct append_ctx a = {.head = text,
                         .head_len = head,
                         .comma = head > 0 && text[head - 1] != '{',
                         .b = b,
                         .fail_on = fail_on,
                         .r = r,
                         .o = o};
  int rc = ws_write_atomically(json_path, write_appended, &a, err, cap);
  free(text);
  return rc;
}
