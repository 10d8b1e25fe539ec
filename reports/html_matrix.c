/* matrix.html: several runs side by side. A row per case id (the union over
 * the runs, numeric-aware order), a column per run, each cell coloured by
 * verdict with the reason as its tooltip. Rows where the runs disagree are
 * marked, since that is where one implementation has a bug the other lacks;
 * matrix.js filters on it. A cell links to the case in its run's index.html
 * when the caller says where that page is (cmd_report.c), by a relative
 * path, so the pages can be moved or archived together. */
#include "reports/atomic_file.h"
#include "reports/html_internal.h"
#include "reports/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct cell_ref {
  const ws_case_result *c;
  size_t run;
} cell_ref;

typedef struct matrix {
  const ws_run_results *const *runs;
  char **index_href; /* per run: path to its index.html from here, or NULL */
  size_t count;
  cell_ref *refs; /* every case of every run, sorted by id then run */
  size_t nrefs;
} matrix;

static int by_id_then_run(const void *a, const void *b) {
  const cell_ref *x = a, *y = b;
  int c = ws_html_id_compare(x->c->id, y->c->id);
  if (c)
    return c;
  return x->run < y->run ? -1 : x->run > y->run;
}

static void matrix_free(matrix *m) {
  for (size_t i = 0; m->index_href && i < m->count; i++)
    free(m->index_href[i]);
  free(m->index_href);
  free(m->refs);
}

/* A run whose index.html cannot be resolved (its directory is gone) keeps
 * its cells without links: the grid is still worth having. */
static int matrix_links(matrix *m, const char *const *index_html,
                        const char *path) {
  m->index_href = calloc(m->count ? m->count : 1, sizeof *m->index_href);
  if (!m->index_href)
    return -1;
  for (size_t i = 0; index_html && i < m->count; i++) {
    if (!index_html[i])
      continue;
    m->index_href[i] = ws_html_relative_path(path, index_html[i]);
    if (!m->index_href[i] && errno == ENOMEM)
      return -1;
  }
  return 0;
}

static int matrix_init(matrix *m, const ws_run_results *const *runs,
                       const char *const *index_html, size_t count,
                       const char *path) {
  m->runs = runs;
  m->count = count;
  m->nrefs = 0;
  m->refs = NULL;
  if (matrix_links(m, index_html, path) != 0)
    return -1;
  size_t total = 0;
  for (size_t i = 0; i < count; i++)
    total += runs[i] ? runs[i]->case_count : 0;
  m->refs = malloc((total ? total : 1) * sizeof *m->refs);
  if (!m->refs)
    return -1;
  for (size_t i = 0; i < count; i++)
    for (size_t j = 0; runs[i] && j < runs[i]->case_count; j++)
      m->refs[m->nrefs++] = (cell_ref){&runs[i]->cases[j], i};
  qsort(m->refs, m->nrefs, sizeof *m->refs, by_id_then_run);
  return 0;
}

static void column_totals(FILE *out, const ws_run_results *r) {
  size_t counts[WS_VERDICT_COUNT] = {0};
  for (size_t i = 0; i < r->case_count; i++)
    counts[ws_html_verdict(&r->cases[i])]++;
  fputs("<th class=\"totals\">", out);
  for (size_t i = 0; i < WS_VERDICT_COUNT; i++) {
    enum ws_verdict v = ws_html_verdict_order[i];
    if (counts[v])
      fprintf(out, "<span class=\"mini v-%s\">%zu %s</span>",
              ws_verdict_name(v), counts[v], ws_verdict_name(v));
  }
  fputs("</th>", out);
}

static void table_head(FILE *out, const matrix *m) {
  fputs("<thead>\n<tr><th class=\"corner\">Case</th>", out);
  for (size_t i = 0; i < m->count; i++) {
    fputs("<th class=\"run\">", out);
    if (!ws_html_agent_is_target(m->runs[i])) { /* else the URL once */
      fputs("<span class=\"agent\">", out);
      ws_html_text(out, m->runs[i]->agent);
      fputs("</span>", out);
    }
    fputs("<span class=\"url\">", out);
    ws_html_text(out, m->runs[i]->target);
    fputs("</span><span class=\"when\">", out);
    ws_html_text(out, m->runs[i]->started_at);
    fputs("</span></th>", out);
  }
  fputs("</tr>\n<tr class=\"totals\"><th class=\"corner\">Totals</th>", out);
  for (size_t i = 0; i < m->count; i++)
    column_totals(out, m->runs[i]);
  fputs("</tr>\n</thead>\n", out);
}

/* href: the run's index.html from matrix.html, or NULL (no link). */
static void cell(FILE *out, const ws_case_result *c, const char *href) {
  if (!c) {
    fputs("<td class=\"v-none\" title=\"not run\">&#x2014;</td>", out);
    return;
  }
  const char *v = ws_verdict_name(ws_html_verdict(c));
  fprintf(out, "<td class=\"v-%s\" title=\"%s", v, v);
  if (c->reason_code && *c->reason_code) {
    fputs(" (", out);
    ws_html_text(out, c->reason_code);
    fputs(")", out);
  }
  if (c->reason && *c->reason) {
    fputs(": ", out);
    ws_html_text(out, c->reason);
  }
  fputs("\">", out);
  if (href) {
    fputs("<a href=\"", out);
    ws_html_href_path(out, href);
    ws_html_href_fragment(out, c->id);
    fputs("\">", out);
  }
  fputs(v, out);
  fputs(href ? "</a></td>" : "</td>", out);
}

/* The verdicts that refs [from, to) (one id) have, and how many differ. A
 * case missing from a run is not a disagreement: runs often select
 * different cases. */
static size_t verdicts_of(const matrix *m, size_t from, size_t to,
                          bool seen[WS_VERDICT_COUNT]) {
  size_t kinds = 0;
  memset(seen, 0, WS_VERDICT_COUNT * sizeof seen[0]);
  for (size_t i = from; i < to; i++) {
    enum ws_verdict v = ws_html_verdict(m->refs[i].c);
    kinds += !seen[v];
    seen[v] = true;
  }
  return kinds;
}

/* Rows [from, to) of refs share one id. */
static void row(FILE *out, const matrix *m, size_t from, size_t to) {
  const ws_case_result *first = m->refs[from].c;
  bool seen[WS_VERDICT_COUNT];
  size_t kinds = verdicts_of(m, from, to, seen);
  fprintf(out, "<tr data-disagree=\"%d\" data-vs=\"", kinds > 1);
  for (size_t v = 0; v < WS_VERDICT_COUNT; v++)
    if (seen[v])
      fprintf(out, " %s", ws_verdict_name((enum ws_verdict)v));
  fputs(" \" data-area=\"", out);
  ws_html_text(out, first->area);
  fputs("\"><th scope=\"row\"><span class=\"cid\">", out);
  ws_html_text(out, first->id);
  fputs("</span><span class=\"ctitle\">", out);
  ws_html_text(out, first->title);
  fputs("</span></th>", out);
  size_t i = from;
  for (size_t run = 0; run < m->count; run++) {
    const ws_case_result *c = NULL;
    if (i < to && m->refs[i].run == run)
      c = m->refs[i].c;
    while (i < to && m->refs[i].run == run) /* a repeated id: the first */
      i++;
    cell(out, c, m->index_href[run]);
  }
  fputs("</tr>\n", out);
}

static size_t next_id(const matrix *m, size_t from) {
  size_t to = from + 1;
  while (to < m->nrefs &&
         ws_html_id_compare(m->refs[to].c->id, m->refs[from].c->id) == 0)
    to++;
  return to;
}

static void filters(FILE *out, const matrix *m) {
  fputs("<nav class=\"filters\" aria-label=\"Filters\">\n<label "
        "class=\"disagree\"><input type=\"checkbox\" id=\"m-disagree\"> Only "
        "rows where the runs disagree</label>\n<fieldset "
        "class=\"verdicts\"><legend>Verdict</legend>",
        out);
  for (size_t i = 0; i < WS_VERDICT_COUNT; i++) {
    const char *v = ws_verdict_name(ws_html_verdict_order[i]);
    fprintf(out,
            "<label class=\"v-%s\"><input type=\"checkbox\" name=\"verdict\" "
            "value=\"%s\" checked> %s</label>",
            v, v, v);
  }
  fputs("</fieldset>\n<label class=\"sel\">Area <select id=\"m-area\">"
        "<option value=\"\">all</option>",
        out);
  /* Areas in id order of their first case. */
  for (size_t i = 0; i < m->nrefs; i++) {
    const char *a = m->refs[i].c->area ? m->refs[i].c->area : "";
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = strcmp(m->refs[j].c->area ? m->refs[j].c->area : "", a) == 0;
    if (seen)
      continue;
    fputs("<option value=\"", out);
    ws_html_text(out, a);
    fputs("\">", out);
    ws_html_text(out, *a ? a : "(none)");
    fputs("</option>", out);
  }
  fputs("</select></label>\n<label class=\"search\">Search <input "
        "type=\"search\" id=\"m-search\" placeholder=\"id or title\" "
        "autocomplete=\"off\"></label>\n<p id=\"shown\" class=\"shown\" "
        "aria-live=\"polite\"></p>\n</nav>\n",
        out);
}

static int write_document(FILE *out, const void *ctx) {
  const matrix *m = ctx;
  if (ws_html_page_begin(out, "wsprobe matrix", "matrix.js") != 0) {
    errno = ENOENT;
    return -1;
  }
  size_t ids = 0, disagree = 0;
  for (size_t i = 0, to; i < m->nrefs; i = to) {
    bool seen[WS_VERDICT_COUNT];
    to = next_id(m, i);
    ids++;
    disagree += verdicts_of(m, i, to, seen) > 1;
  }
  fprintf(out,
          "<header class=\"top\">\n<h1><span class=\"brand\">wsprobe</span> "
          "agreement matrix</h1>\n<p class=\"target\">%zu run%s, %zu "
          "case%s, %zu with different verdicts</p>\n</header>\n",
          m->count, m->count == 1 ? "" : "s", ids, ids == 1 ? "" : "s",
          disagree);
  filters(out, m);
  fputs("<main class=\"matrix-wrap\">\n<table class=\"matrix\">\n", out);
  table_head(out, m);
  fputs("<tbody>\n", out);
  for (size_t i = 0; i < m->nrefs;) {
    size_t to = next_id(m, i);
    row(out, m, i, to);
    i = to;
  }
  fprintf(out,
          "</tbody>\n</table>\n<p id=\"nomatch\" class=\"empty\" hidden>No "
          "row matches the filters.</p>\n</main>\n<footer "
          "id=\"disagree-count\" data-n=\"%zu\">%zu of %zu cases have "
          "different verdicts across the runs.</footer>\n",
          disagree, disagree, ids);
  return ws_html_page_end(out, "matrix.js");
}

int ws_report_write_matrix_html_linked(const ws_run_results *const *runs,
                                       const char *const *index_html,
                                       size_t count, const char *path,
                                       char *err, size_t cap) {
  for (size_t i = 0; i < count; i++) {
    if (!runs[i]) {
      snprintf(err, cap, "cannot write %s: run %zu is missing", path, i + 1);
      return -1;
    }
  }
  matrix m;
  if (matrix_init(&m, runs, index_html, count, path) != 0) {
    matrix_free(&m);
    snprintf(err, cap, "cannot write %s: out of memory", path);
    return -1;
  }
  int rc = ws_write_atomically(path, write_document, &m, err, cap);
  matrix_free(&m);
  return rc;
}

int ws_report_write_matrix_html(const ws_run_results *const *runs, size_t count,
                                const char *path, char *err, size_t cap) {
  return ws_report_write_matrix_html_linked(runs, NULL, count, path, err, cap);
}
