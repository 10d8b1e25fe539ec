/* A run's cases grouped by Autobahn id, one report file per id, and
 * index.json over every agent written so far (autobahn.h). */
#include "reports/atomic_file.h"
#include "reports/autobahn_internal.h"
#include "reports/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pair {
  char id[WS_AUTOBAHN_ID_MAX + 1];
  size_t index; /* of the case in the run */
};

static int pair_compare(const void *pa, const void *pb) {
  const struct pair *a = pa, *b = pb;
  int c = ws_autobahn_id_compare(a->id, b->id);
  if (c)
    return c;
  return a->index < b->index ? -1 : a->index > b->index;
}

/* Every (Autobahn id, case) of the run that want accepts, sorted by id and
 * then by the run's order. NULL (with *count 0) when out of memory. */
static struct pair *collect(const ws_run_results *r, ws_autobahn_want_fn want,
                            const void *ctx, size_t *count) {
  struct pair *v = NULL;
  size_t n = 0, cap = 0;
  char id[WS_AUTOBAHN_ID_MAX + 1];
  for (size_t i = 0; i < r->case_count; i++) {
    const char *cursor = r->cases[i].autobahn;
    while (ws_autobahn_next_id(&cursor, id)) {
      if (want && !want(id, ctx))
        continue;
      if (n == cap) {
        size_t grown_cap = cap ? 2 * cap : 64;
        struct pair *grown = realloc(v, grown_cap * sizeof *grown);
        if (!grown) {
          free(v);
          *count = 0;
          return NULL;
        }
        v = grown;
        cap = grown_cap;
      }
      memcpy(v[n].id, id, sizeof id);
      v[n++].index = i;
    }
  }
  if (n)
    qsort(v, n, sizeof *v, pair_compare);
  *count = n;
  return v ? v : malloc(1); /* no pair is not out of memory */
}

/* The verdict.h order is the order of severity; a value a file made up
 * counts as error, as results.json counts it. */
static int severity(const ws_case_result *c) {
  return (unsigned)c->verdict < WS_VERDICT_COUNT ? (int)c->verdict
                                                 : WS_VERDICT_ERROR;
}

static uint64_t whole_ms(double ms) {
  return ms > 0 && ms < 1e15 ? (uint64_t)(ms + 0.5) : 0;
}

static int join(char *out, size_t cap, const char *dir, const char *file) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  return snprintf(out, cap, "%.*s/%s", (int)n, dir, file) < (int)cap ? 0 : -1;
}

static void entry_free(ws_autobahn_entry *e) {
  free(e->agent);
  free(e->id);
  free(e->reportfile);
}

/* Writes one id's file and fills its row. */
static int write_group(const ws_run_results *r, const ws_autobahn_group *g,
                       const char *slug, const char *dir, ws_autobahn_entry *e,
                       char *err, size_t cap) {
  /* makeAgentCaseReportFilename: the id with its dots as '_'. */
  char id[WS_AUTOBAHN_ID_MAX + 1], file[512], path[4096];
  snprintf(id, sizeof id, "%s", g->id);
  for (char *p = id; *p; p++)
    if (*p == '.')
      *p = '_';
  int n = snprintf(file, sizeof file, "%s_case_%s.json", slug, id);
  if (n < 0 || (size_t)n >= sizeof file ||
      join(path, sizeof path, dir, file) != 0) {
    snprintf(err, cap, "cannot write into %s: %s", dir, strerror(ENAMETOOLONG));
    return -1;
  }
  if (ws_autobahn_write_case_file(r, g, path, err, cap) != 0)
    return -1;
  e->agent = strdup(g->agent);
  e->id = strdup(g->id);
  e->reportfile = strdup(file);
  e->behavior = ws_autobahn_behavior(g->worst->verdict);
  e->behavior_close = ws_autobahn_behavior_close(g->worst);
  e->duration_ms = g->duration_ms;
  e->has_close_code = g->worst->has_close && !g->worst->close_empty;
  e->close_code = g->worst->close_code;
  if (!e->agent || !e->id || !e->reportfile) {
    entry_free(e);
    snprintf(err, cap, "out of memory writing the Autobahn report");
    return -1;
  }
  return 0;
}

/* Drops the index's rows of agent, then appends rows[0..n) (moved). */
static int replace_agent(ws_autobahn_index *ix, const char *agent,
                         ws_autobahn_entry *rows, size_t n) {
  size_t kept = 0;
  for (size_t i = 0; i < ix->count; i++) {
    if (strcmp(ix->v[i].agent, agent) == 0)
      entry_free(&ix->v[i]);
    else
      ix->v[kept++] = ix->v[i];
  }
  ix->count = kept;
  if (ix->count + n > ix->cap) {
    size_t cap = ix->count + n + 16;
    ws_autobahn_entry *grown = realloc(ix->v, cap * sizeof *grown);
    if (!grown)
      return -1;
    ix->v = grown;
    ix->cap = cap;
  }
  memcpy(ix->v + ix->count, rows, n * sizeof *rows);
  ix->count += n;
  return 0;
}

static int write_groups(const ws_run_results *r, const char *agent,
                        const char *slug, const char *dir,
                        const struct pair *pairs, size_t n,
                        const ws_case_result **members, ws_autobahn_entry *rows,
                        size_t *row_count, char *err, size_t cap) {
  for (size_t i = 0; i < n;) {
    size_t end = i;
    ws_autobahn_group g = {.agent = agent, .id = pairs[i].id};
    double ms = 0;
    for (; end < n && strcmp(pairs[end].id, pairs[i].id) == 0; end++) {
      const ws_case_result *c = &r->cases[pairs[end].index];
      members[end - i] = c;
      if (!g.worst || severity(c) > severity(g.worst))
        g.worst = c;
      ms += c->duration_ms > 0 ? c->duration_ms : 0;
    }
    g.cases = members;
    g.count = end - i;
    g.duration_ms = whole_ms(ms);
    if (write_group(r, &g, slug, dir, &rows[*row_count], err, cap) != 0)
      return -1;
    (*row_count)++;
    i = end;
  }
  return 0;
}

int ws_autobahn_write_cases(const ws_run_results *r, const char *dir,
                            ws_autobahn_want_fn want, const void *ctx,
                            ws_autobahn_index *index, char *err, size_t cap) {
  const char *agent = r->agent ? r->agent : r->target ? r->target : "";
  size_t n = 0, rows_n = 0;
  struct pair *pairs = collect(r, want, ctx, &n);
  char *slug = malloc(strlen(agent) + 1);
  const ws_case_result **members = malloc((n ? n : 1) * sizeof *members);
  ws_autobahn_entry *rows = calloc(n ? n : 1, sizeof *rows);
  int rc = -1;
  if (!pairs || !slug || !members || !rows) {
    snprintf(err, cap, "out of memory writing the Autobahn report");
    goto done;
  }
  ws_autobahn_agent_slug(agent, slug, strlen(agent) + 1);
  if (ws_make_dirs(dir, err, cap) != 0 ||
      write_groups(r, agent, slug, dir, pairs, n, members, rows, &rows_n, err,
                   cap) != 0)
    goto done;
  if (replace_agent(index, agent, rows, rows_n) != 0) {
    snprintf(err, cap, "out of memory writing the Autobahn report");
    goto done;
  }
  rows_n = 0; /* moved into the index */
  rc = 0;
done:
  for (size_t i = 0; i < rows_n; i++)
    entry_free(&rows[i]);
  free(rows);
  free(members);
  free(slug);
  free(pairs);
  return rc;
}

/* Agents, then ids within an agent, in plain string order: Python's
 * sort_keys, which is how Autobahn writes index.json. */
static int row_compare(const void *pa, const void *pb) {
  const ws_autobahn_entry *a = *(const ws_autobahn_entry *const *)pa;
  const ws_autobahn_entry *b = *(const ws_autobahn_entry *const *)pb;
  int c = strcmp(a->agent, b->agent);
  return c ? c : strcmp(a->id, b->id);
}

struct index_doc {
  const ws_autobahn_entry *const *rows;
  size_t count;
};

static void write_row(ws_json *w, const ws_autobahn_entry *e) {
  ws_json_key(w, e->id);
  ws_json_object_begin(w);
  ws_json_key(w, "behavior");
  ws_json_string(w, e->behavior);
  ws_json_key(w, "behaviorClose");
  ws_json_string(w, e->behavior_close);
  ws_json_key(w, "duration");
  ws_json_uint(w, e->duration_ms);
  ws_json_key(w, "remoteCloseCode");
  if (e->has_close_code)
    ws_json_uint(w, e->close_code);
  else
    ws_json_null(w);
  ws_json_key(w, "reportfile");
  ws_json_string(w, e->reportfile);
  ws_json_object_end(w);
}

static int write_index_document(FILE *out, const void *ctx) {
  const struct index_doc *d = ctx;
  ws_json w;
  ws_json_init(&w, out);
  ws_json_object_begin(&w);
  for (size_t i = 0; i < d->count; i++) {
    if (i == 0 || strcmp(d->rows[i]->agent, d->rows[i - 1]->agent) != 0) {
      if (i > 0)
        ws_json_object_end(&w);
      ws_json_key(&w, d->rows[i]->agent);
      ws_json_object_begin(&w);
    }
    write_row(&w, d->rows[i]);
  }
  if (d->count)
    ws_json_object_end(&w);
  ws_json_object_end(&w);
  return ws_json_finish(&w);
}

int ws_autobahn_write_index(const ws_autobahn_index *index, const char *dir,
                            char *err, size_t cap) {
  char path[4096];
  if (join(path, sizeof path, dir, "index.json") != 0) {
    snprintf(err, cap, "cannot write into %s: %s", dir, strerror(ENAMETOOLONG));
    return -1;
  }
  const ws_autobahn_entry **rows =
      malloc((index->count ? index->count : 1) * sizeof *rows);
  if (!rows) {
    snprintf(err, cap, "out of memory writing the Autobahn report");
    return -1;
  }
  for (size_t i = 0; i < index->count; i++)
    rows[i] = &index->v[i];
  if (index->count)
    qsort(rows, index->count, sizeof *rows, row_compare);
  struct index_doc d = {rows, index->count};
  int rc = ws_make_dirs(dir, err, cap) == 0
               ? ws_write_atomically(path, write_index_document, &d, err, cap)
               : -1;
  free(rows);
  return rc;
}

void ws_autobahn_index_free(ws_autobahn_index *index) {
  for (size_t i = 0; i < index->count; i++)
    entry_free(&index->v[i]);
  free(index->v);
  memset(index, 0, sizeof *index);
}
