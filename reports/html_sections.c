/* The cases of index.html, in the order a person triages them.
 *
 * A run of the whole catalogue holds about 450 cases and a failure can be
 * anywhere in it: in catalogue order, a handshake failure sat under hundreds
 * of passing rows. Three layouts were weighed:
 *  - sorting the cases within each area: an area of passes ahead of an area
 *    with a failure still puts passing rows first;
 *  - areas with failures first: once passes are shown, the failures of the
 *    second such area still sit below the passes of the first;
 *  - a "Needs attention" list first, then the areas with the rest (chosen):
 *    every fail, error and non-strict case of the run, worst first, whatever
 *    its area. Whatever the filters show, no case that needs action is below
 *    one that does not; the page opens on the list (report.js hides passes
 *    when there is anything else), and each case in it names its area.
 * A case is listed once, in the list or in its area, so its #case-ID anchor
 * stays unique; an area says how many of its cases are in the list.
 * Within the list and within each area the order is by verdict
 * (ws_html_verdict_order: fail, error, non-strict, informational,
 * unimplemented, pass), then catalogue order, which keeps related cases
 * side by side. */
#include "reports/ci_gate.h"
#include "reports/html_internal.h"
#include "reports/wire_spill.h"

#include <stdlib.h>
#include <string.h>

static const char *or_empty(const char *s) { return s ? s : ""; }

static const char *field_of(const ws_run_results *r, size_t i, size_t field) {
  return or_empty(*(char *const *)((const char *)&r->cases[i] + field));
}

/* Quadratic, but a run has about ten areas and four levels. */
bool ws_html_first_of(const ws_run_results *r, size_t i, size_t field) {
  const char *v = field_of(r, i, field);
  for (size_t j = 0; j < i; j++)
    if (strcmp(field_of(r, j, field), v) == 0)
      return false;
  return true;
}

typedef struct listed {
  size_t rank;  /* ws_html_verdict_rank */
  size_t index; /* in r->cases: catalogue order */
} listed;

static int by_rank_then_catalogue(const void *a, const void *b) {
  const listed *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* One case, with its wire log read back from the spill file for as long
 * as it is written (reports/wire_spill.h): one log in memory at a time. */
static int one_case(FILE *out, const ws_run_results *r, const ws_gate *g,
                    size_t i, bool show_area) {
  ws_wire_view view;
  int rc = ws_wire_view_open(r, &r->cases[i], &view);
  ws_case_result c = ws_wire_view_case(&r->cases[i], &view);
  if (rc != 0)
    c.wire_truncated = true;
  rc = ws_html_case(out, &c, i, show_area, ws_html_gate_tag(g, &r->cases[i]));
  ws_wire_view_close(&view);
  return rc;
}

static void group_counts(FILE *out, const ws_run_results *r, const listed *list,
                         size_t n) {
  size_t counts[WS_VERDICT_COUNT] = {0};
  for (size_t i = 0; i < n; i++)
    counts[ws_html_verdict(&r->cases[list[i].index])]++;
  fprintf(out, "<span class=\"atotal\">%zu</span><span class=\"acounts\">", n);
  for (size_t i = 0; i < WS_VERDICT_COUNT; i++) {
    enum ws_verdict v = ws_html_verdict_order[i];
    if (counts[v])
      fprintf(out, "<span class=\"mini v-%s\" title=\"%s\">%zu %s</span>",
              ws_verdict_name(v), ws_verdict_name(v), counts[v],
              ws_verdict_name(v));
  }
  fputs("</span>", out);
}

/* A group of cases: the attention list (area NULL) or one area, of which
 * `elsewhere` cases are in the attention list. */
static int group(FILE *out, const ws_run_results *r, const ws_gate *g,
                 const char *area, listed *list, size_t n, size_t elsewhere) {
  qsort(list, n, sizeof *list, by_rank_then_catalogue);
  if (area) {
    fputs("<section class=\"area\" data-area=\"", out);
    ws_html_text(out, area);
    fputs("\">\n<details class=\"group\" open>\n<summary><h2>", out);
    ws_html_text(out, *area ? area : "(no area)");
    fputs("</h2>", out);
  } else {
    fputs("<section class=\"area attention\" id=\"attention\">\n<details "
          "class=\"group\" open>\n<summary><h2>Needs attention</h2>",
          out);
  }
  group_counts(out, r, list, n);
  if (elsewhere)
    fprintf(out,
            "<a class=\"aelse\" href=\"#attention\">%zu more under Needs "
            "attention</a>",
            elsewhere);
  fputs("<span class=\"ashown\"></span></summary>\n<div class=\"cases\">\n",
        out);
  for (size_t i = 0; i < n; i++)
    if (one_case(out, r, g, list[i].index, !area) != 0)
      return -1;
  fputs("</div>\n</details>\n</section>\n", out);
  return 0;
}

/* The cases of one area that are not in the attention list, into list;
 * how many of its cases are, into *elsewhere. */
static size_t area_rest(const ws_run_results *r, const char *area, listed *list,
                        size_t *elsewhere) {
  size_t n = 0;
  *elsewhere = 0;
  for (size_t i = 0; i < r->case_count; i++) {
    if (strcmp(or_empty(r->cases[i].area), area) != 0)
      continue;
    enum ws_verdict v = ws_html_verdict(&r->cases[i]);
    if (ws_html_needs_attention(v))
      ++*elsewhere;
    else
      list[n++] = (listed){ws_html_verdict_rank(v), i};
  }
  return n;
}

int ws_html_sections(FILE *out, const ws_run_results *r, const ws_gate *g) {
  listed *list = malloc((r->case_count ? r->case_count : 1) * sizeof *list);
  if (!list)
    return -1;
  size_t n = 0;
  for (size_t i = 0; i < r->case_count; i++) {
    enum ws_verdict v = ws_html_verdict(&r->cases[i]);
    if (ws_html_needs_attention(v))
      list[n++] = (listed){ws_html_verdict_rank(v), i};
  }
  int rc = n ? group(out, r, g, NULL, list, n, 0) : 0;
  for (size_t i = 0; rc == 0 && i < r->case_count; i++) {
    if (!ws_html_first_of(r, i, offsetof(ws_case_result, area)))
      continue;
    const char *area = or_empty(r->cases[i].area);
    size_t elsewhere;
    n = area_rest(r, area, list, &elsewhere);
    if (n) /* an area whose every case needs attention is all in the list */
      rc = group(out, r, g, area, list, n, elsewhere);
  }
  free(list);
  return rc;
}
