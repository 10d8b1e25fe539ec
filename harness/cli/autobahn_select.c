#include "cli/autobahn_select.h"
#include "cli/test_options.h"
#include "reports/autobahn.h"

#include <stdlib.h>
#include <string.h>

/* '*' matches any run; open_end: the end of the pattern matches any rest of
 * text (the regular expression is not anchored at its end). Backtracks to
 * the last '*' only, which is enough for a pattern made of literals and
 * stars, and stays linear in practice. */
static bool glob(const char *p, const char *t, bool open_end) {
  const char *star_p = NULL, *star_t = NULL;
  for (;;) {
    if (*p == '*') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (!*p && (open_end || !*t))
      return true;
    if (*p && *t && *p == *t) {
      p++, t++;
      continue;
    }
    if (star_p && *star_t) {
      p = star_p;
      t = ++star_t;
      continue;
    }
    return false;
  }
}

bool ws_ab_pattern_matches(const char *pattern, const char *text, bool whole) {
  return glob(pattern, text, !whole && strchr(pattern, '*') != NULL);
}

static int compare_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every distinct Autobahn id the catalogue carries, sorted. */
static int catalogue_ids(const ws_catalogue *cat, ws_ab_ids *out) {
  size_t cap = 0;
  char id[WS_AUTOBAHN_ID_MAX + 1];
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < ws_catalogue_count(cat); i++) {
    const char *cursor = ws_catalogue_get(cat, i)->autobahn;
    while (ws_autobahn_next_id(&cursor, id)) {
      if (out->count == cap) {
        cap = cap ? 2 * cap : 256;
        char **grown = realloc(out->v, cap * sizeof *grown);
        if (!grown)
          return -1;
        out->v = grown;
      }
      if (!(out->v[out->count] = strdup(id)))
        return -1;
      out->count++;
    }
  }
  if (out->count)
    qsort(out->v, out->count, sizeof *out->v, compare_str);
  size_t kept = 0;
  for (size_t i = 0; i < out->count; i++) {
    if (kept && strcmp(out->v[kept - 1], out->v[i]) == 0)
      free(out->v[i]);
    else
      out->v[kept++] = out->v[i];
  }
  out->count = kept;
  return 0;
}

static bool any_matches(char *const *patterns, size_t n, const char *id,
                        bool whole) {
  for (size_t i = 0; i < n; i++)
    if (ws_ab_pattern_matches(patterns[i], id, whole))
      return true;
  return false;
}

static bool agent_excludes(const ws_ab_config *cfg, const char *agent,
                           const char *id) {
  for (size_t i = 0; i < cfg->agent_exclude_count; i++) {
    const ws_ab_agent_excludes *x = &cfg->agent_excludes[i];
    if (ws_ab_pattern_matches(x->agent, agent, true) &&
        any_matches(x->cases, x->case_count, id, true))
      return true;
  }
  return false;
}

int ws_ab_select_ids(const ws_ab_config *cfg, const ws_catalogue *cat,
                     const char *agent, ws_ab_ids *out) {
  if (catalogue_ids(cat, out) != 0) {
    ws_ab_ids_free(out);
    return -1;
  }
  size_t kept = 0;
  for (size_t i = 0; i < out->count; i++) {
    const char *id = out->v[i];
    if (any_matches(cfg->cases, cfg->case_count, id, false) &&
        !any_matches(cfg->excludes, cfg->exclude_count, id, false) &&
        !agent_excludes(cfg, agent, id))
      out->v[kept++] = out->v[i];
    else
      free(out->v[i]);
  }
  out->count = kept;
  return 0;
}

bool ws_ab_ids_has(const ws_ab_ids *ids, const char *id) {
  return ids->count &&
         bsearch(&id, ids->v, ids->count, sizeof *ids->v, compare_str);
}

void ws_ab_ids_free(ws_ab_ids *ids) {
  for (size_t i = 0; ids->v && i < ids->count; i++)
    free(ids->v[i]);
  free(ids->v);
  memset(ids, 0, sizeof *ids);
}

void ws_ab_warn_unmatched(const ws_ab_config *cfg, const ws_catalogue *cat,
                          const char *name, FILE *warn) {
  ws_ab_ids all;
  if (catalogue_ids(cat, &all) != 0) {
    ws_ab_ids_free(&all);
    return;
  }
  for (size_t i = 0; i < cfg->case_count; i++) {
    bool hit = false;
    for (size_t j = 0; j < all.count && !hit; j++)
      hit = ws_ab_pattern_matches(cfg->cases[i], all.v[j], false);
    if (!hit)
      fprintf(warn,
              "wsprobe: %s: \"cases\" pattern \"%s\" matches no wsprobe "
              "case (Autobahn's sections 9, 12 and 13 have no equivalent "
              "here)\n",
              name, cfg->cases[i]);
  }
  ws_ab_ids_free(&all);
}

static bool carries_one_of(const ws_case *c, const ws_ab_ids *ids) {
  const char *cursor = c->autobahn;
  char id[WS_AUTOBAHN_ID_MAX + 1];
  while (ws_autobahn_next_id(&cursor, id))
    if (ws_ab_ids_has(ids, id))
      return true;
  return false;
}

enum { SELECTED = 1, NOT_EXCLUDED = 2 };

/* Adds flag to mark[i] for each catalogue case in list (both are in
 * catalogue order). */
static void mark_listed(const ws_catalogue *cat, const ws_case **list, size_t n,
                        char *mark, char flag) {
  size_t j = 0;
  for (size_t i = 0; i < ws_catalogue_count(cat) && j < n; i++)
    if (ws_catalogue_get(cat, i) == list[j]) {
      mark[i] |= flag;
      j++;
    }
}

int ws_ab_select_cases(const ws_catalogue *cat, const ws_ab_ids *ids,
                       const char *extra, const char *excludes,
                       const ws_case ***out, size_t *count, char *err,
                       size_t cap) {
  size_t n = ws_catalogue_count(cat), listed = 0;
  char *mark = calloc(n + 1, 1);
  const ws_case **list = NULL;
  *out = malloc((n + 1) * sizeof **out);
  *count = 0;
  if (!mark || !*out) {
    snprintf(err, cap, "out of memory");
    goto fail;
  }
  for (size_t i = 0; i < n; i++)
    mark[i] = carries_one_of(ws_catalogue_get(cat, i), ids) ? SELECTED : 0;
  if (extra && strspn(extra, " \t,") < strlen(extra)) {
    if (ws_test_select_cases(cat, extra, NULL, &list, &listed, err, cap) != 0)
      goto fail;
    mark_listed(cat, list, listed, mark, SELECTED);
    free(list);
    list = NULL;
  }
  if (excludes) {
    /* ws_test_select_cases lists the cases --exclude leaves. */
    if (ws_test_select_cases(cat, NULL, excludes, &list, &listed, err, cap) !=
        0)
      goto fail;
    mark_listed(cat, list, listed, mark, NOT_EXCLUDED);
    free(list);
    list = NULL;
  }
  for (size_t i = 0; i < n; i++)
    if ((mark[i] & SELECTED) && (!excludes || (mark[i] & NOT_EXCLUDED)))
      (*out)[(*count)++] = ws_catalogue_get(cat, i);
  free(mark);
  return 0;
fail:
  free(list);
  free(mark);
  free(*out);
  *out = NULL;
  *count = 0;
  return -1;
}
