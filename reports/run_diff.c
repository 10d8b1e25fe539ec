#include "reports/run_diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- matching by id ---- */

static int slot_cmp(const void *a, const void *b) {
  const ws_id_slot *x = a, *y = b;
  int c = strcmp(x->id, y->id);
  if (c)
    return c;
  return x->at < y->at ? -1 : x->at > y->at;
}

int ws_id_index_build(ws_id_index *ix, size_t n,
                      const char *(*id_at)(const void *ctx, size_t i),
                      const void *ctx) {
  ix->count = 0;
  ix->slots = malloc((n ? n : 1) * sizeof *ix->slots);
  if (!ix->slots)
    return -1;
  for (size_t i = 0; i < n; i++) {
    const char *id = id_at(ctx, i);
    ix->slots[i] = (ws_id_slot){id ? id : "", i};
  }
  ix->count = n;
  /* Position breaks ties, so the first of repeated ids sorts first. */
  qsort(ix->slots, n, sizeof *ix->slots, slot_cmp);
  return 0;
}

size_t ws_id_index_find(const ws_id_index *ix, const char *id) {
  size_t lo = 0, hi = ix->count;
  if (!id)
    id = "";
  while (lo < hi) { /* lower bound: the first slot >= id */
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(ix->slots[mid].id, id) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < ix->count && strcmp(ix->slots[lo].id, id) == 0)
    return ix->slots[lo].at;
  return SIZE_MAX;
}

void ws_id_index_free(ws_id_index *ix) {
  free(ix->slots);
  ix->slots = NULL;
  ix->count = 0;
}

static const char *case_id(const void *ctx, size_t i) {
  return ((const ws_run_results *)ctx)->cases[i].id;
}

int ws_id_index_of_results(ws_id_index *ix, const ws_run_results *r) {
  return ws_id_index_build(ix, r->case_count, case_id, r);
}

/* ---- classification ---- */

int ws_run_diff_rank(enum ws_verdict v) {
  switch (v) {
  case WS_VERDICT_NON_STRICT:
    return 1;
  case WS_VERDICT_FAIL:
    return 2;
  case WS_VERDICT_ERROR:
    return -1;
  default:
    return 0;
  }
}

enum ws_diff_kind ws_run_diff_classify(enum ws_verdict old_v,
                                       enum ws_verdict new_v) {
  int a = ws_run_diff_rank(old_v), b = ws_run_diff_rank(new_v);
  if (a < 0 || b < 0 || a == b)
    return WS_DIFF_OTHER;
  return b > a ? WS_DIFF_REGRESSION : WS_DIFF_IMPROVEMENT;
}

/* ---- the diff ---- */

static int add_entry(ws_run_diff *d, size_t *cap, enum ws_diff_kind kind,
                     const ws_case_result *o, const ws_case_result *n) {
  if (d->count == *cap) {
    size_t grown_cap = *cap ? *cap * 2 : 32;
    ws_diff_entry *grown = realloc(d->entries, grown_cap * sizeof *grown);
    if (!grown)
      return -1;
    d->entries = grown;
    *cap = grown_cap;
  }
  d->entries[d->count++] = (ws_diff_entry){kind, o, n};
  d->counts[kind]++;
  return 0;
}

int ws_run_diff_compute(const ws_run_results *old_run,
                        const ws_run_results *new_run, ws_run_diff *d) {
  memset(d, 0, sizeof *d);
  ws_id_index old_ix, new_ix;
  size_t cap = 0;
  int rc = -1;
  if (ws_id_index_of_results(&old_ix, old_run) != 0)
    return -1;
  if (ws_id_index_of_results(&new_ix, new_run) != 0)
    goto free_old;
  for (size_t i = 0; i < new_run->case_count; i++) {
    const ws_case_result *n = &new_run->cases[i];
    if (ws_id_index_find(&new_ix, n->id) != i)
      continue; /* a repeated id: only its first occurrence counts */
    size_t at = ws_id_index_find(&old_ix, n->id);
    const ws_case_result *o = at == SIZE_MAX ? NULL : &old_run->cases[at];
    if (o && o->verdict == n->verdict) {
      d->unchanged++;
      continue;
    }
    enum ws_diff_kind kind =
        o ? ws_run_diff_classify(o->verdict, n->verdict) : WS_DIFF_ADDED;
    if (add_entry(d, &cap, kind, o, n) != 0)
      goto free_new;
  }
  for (size_t i = 0; i < old_run->case_count; i++) {
    const ws_case_result *o = &old_run->cases[i];
    if (ws_id_index_find(&old_ix, o->id) == i &&
        ws_id_index_find(&new_ix, o->id) == SIZE_MAX &&
        add_entry(d, &cap, WS_DIFF_REMOVED, o, NULL) != 0)
      goto free_new;
  }
  rc = 0;
free_new:
  ws_id_index_free(&new_ix);
free_old:
  ws_id_index_free(&old_ix);
  if (rc != 0)
    ws_run_diff_free(d);
  return rc;
}

void ws_run_diff_free(ws_run_diff *d) {
  free(d->entries);
  memset(d, 0, sizeof *d);
}

/* ---- output ---- */

static const char *const group_titles[WS_DIFF_KIND_COUNT] = {
    [WS_DIFF_REGRESSION] = "Regressions",
    [WS_DIFF_IMPROVEMENT] = "Improvements",
    [WS_DIFF_OTHER] = "Other changes",
    [WS_DIFF_ADDED] = "Added cases",
    [WS_DIFF_REMOVED] = "Removed cases",
};

static const char *verdict_or_dash(const ws_case_result *c) {
  return c ? ws_verdict_name(c->verdict) : "-";
}

/* Text from a results file may hold control characters (a peer's close
 * reason): print them as spaces so a hostile file cannot drive the
 * terminal. */
static void print_clean(FILE *out, const char *s, size_t max) {
  size_t n = 0;
  for (; s && *s && n < max; s++, n++)
    fputc((unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, out);
  if (s && *s)
    fputs("...", out);
}

static void print_text_entry(FILE *out, const ws_diff_entry *e) {
  const ws_case_result *c = e->new_case ? e->new_case : e->old_case;
  fputs("  ", out);
  print_clean(out, c->id, 40);
  fputs("  ", out);
  print_clean(out, verdict_or_dash(e->old_case), 20);
  fputs(" -> ", out);
  print_clean(out, verdict_or_dash(e->new_case), 20);
  fputs("  ", out);
  print_clean(out, c->title, 70);
  fputc('\n', out);
  if (e->new_case && e->new_case->reason && *e->new_case->reason) {
    fputs("      ", out);
    print_clean(out, e->new_case->reason, 160);
    fputc('\n', out);
  }
}

static void print_counts_line(FILE *out, const ws_run_diff *d) {
  fprintf(out,
          "%zu regression%s, %zu improvement%s, %zu other change%s, "
          "%zu added, %zu removed, %zu unchanged\n",
          d->counts[WS_DIFF_REGRESSION],
          d->counts[WS_DIFF_REGRESSION] == 1 ? "" : "s",
          d->counts[WS_DIFF_IMPROVEMENT],
          d->counts[WS_DIFF_IMPROVEMENT] == 1 ? "" : "s",
          d->counts[WS_DIFF_OTHER], d->counts[WS_DIFF_OTHER] == 1 ? "" : "s",
          d->counts[WS_DIFF_ADDED], d->counts[WS_DIFF_REMOVED], d->unchanged);
}

void ws_run_diff_print_text(FILE *out, const ws_run_diff *d,
                            const char *old_name, const char *new_name) {
  fputs("wsprobe diff ", out);
  print_clean(out, old_name, 200);
  fputs(" -> ", out);
  print_clean(out, new_name, 200);
  fputc('\n', out);
  for (int k = 0; k < WS_DIFF_KIND_COUNT; k++) {
    if (!d->counts[k])
      continue;
    fprintf(out, "\n%s (%zu):\n", group_titles[k], d->counts[k]);
    for (size_t i = 0; i < d->count; i++)
      if (d->entries[i].kind == (enum ws_diff_kind)k)
        print_text_entry(out, &d->entries[i]);
  }
  fputc('\n', out);
  print_counts_line(out, d);
}

void ws_md_cell(FILE *out, const char *s, size_t max) {
  size_t n = 0;
  for (; s && *s && n < max; s++, n++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c == 0x7F)
      fputc(' ', out);
    else if (strchr("|\\`*_[]<>#~", c))
      fprintf(out, "\\%c", c);
    else
      fputc(c, out);
  }
  if (s && *s)
    fputs("...", out);
}

static void print_md_group(FILE *out, const ws_run_diff *d, int k) {
  fprintf(out, "\n### %s (%zu)\n\n", group_titles[k], d->counts[k]);
  fputs("| case | title | old | new | reason |\n|---|---|---|---|---|\n", out);
  for (size_t i = 0; i < d->count; i++) {
    const ws_diff_entry *e = &d->entries[i];
    if (e->kind != (enum ws_diff_kind)k)
      continue;
    const ws_case_result *c = e->new_case ? e->new_case : e->old_case;
    fputs("| ", out);
    ws_md_cell(out, c->id, 40);
    fputs(" | ", out);
    ws_md_cell(out, c->title, 80);
    fprintf(out, " | %s | %s | ", verdict_or_dash(e->old_case),
            verdict_or_dash(e->new_case));
    ws_md_cell(out, e->new_case ? e->new_case->reason : "", 200);
    fputs(" |\n", out);
  }
}

void ws_run_diff_print_markdown(FILE *out, const ws_run_diff *d,
                                const char *old_name, const char *new_name) {
  fputs("## wsprobe diff: ", out);
  ws_md_cell(out, old_name, 200);
  fputs(" → ", out);
  ws_md_cell(out, new_name, 200);
  fputs("\n\n", out);
  print_counts_line(out, d);
  for (int k = 0; k < WS_DIFF_KIND_COUNT; k++)
    if (d->counts[k])
      print_md_group(out, d, k);
}
