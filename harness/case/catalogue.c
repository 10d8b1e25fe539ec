/* The catalogue: parsed cases, an id index for duplicates and lookups, the
 * loaders (text, file, directory, embedded) and ordering/matching. */
#include "case/catalogue.h"

#include "case/case_parse.h"
#include "codec/hooks.h"
#include "util/arena.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DIR_DEPTH 16
#define MAX_DIR_FILES 100000

struct ws_catalogue {
  uint64_t seed;
  size_t file_memory;
  enum ws_role role; /* cases not playable from it are left out */
  ws_arena arena;    /* every committed case */
  ws_case **cases;
  size_t count, cap;
  size_t committed; /* cases[0..committed) survived their file's parse */
  ws_case **slots;  /* open addressing by id; NULL is empty */
  size_t nslots;    /* power of two, or 0 */
};

ws_catalogue *ws_catalogue_new(uint64_t seed) {
  ws_catalogue *cat = ws_malloc(sizeof *cat);
  if (!cat)
    return NULL;
  memset(cat, 0, sizeof *cat);
  cat->seed = seed;
  cat->file_memory = WS_CATALOGUE_FILE_MEMORY;
  ws_arena_init(&cat->arena, 0);
  return cat;
}

void ws_catalogue_free(ws_catalogue *cat) {
  if (!cat)
    return;
  ws_arena_free(&cat->arena);
  ws_free(cat->cases);
  ws_free(cat->slots);
  ws_free(cat);
}

void ws_catalogue_set_file_memory(ws_catalogue *cat, size_t bytes) {
  cat->file_memory = bytes;
}

void ws_catalogue_set_role(ws_catalogue *cat, enum ws_role role) {
  cat->role = role;
}

/* ---- id index ---- */

static size_t hash_id(const char *id) {
  uint64_t h = 0xcbf29ce484222325u;
  for (; *id; id++)
    h = (h ^ (uint8_t)*id) * 0x100000001b3u;
  return (size_t)h;
}

static ws_case **slot_for(ws_case **slots, size_t nslots, const char *id) {
  size_t i = hash_id(id) & (nslots - 1);
  while (slots[i] && strcmp(slots[i]->id, id) != 0)
    i = (i + 1) & (nslots - 1);
  return &slots[i];
}

/* Rebuilds the index for cases[0..count) in a table of at least want
 * slots: used to grow and to forget a failed file's cases. */
static int reindex(ws_catalogue *cat, size_t want) {
  size_t n = cat->nslots ? cat->nslots : 64;
  while (n < want)
    n *= 2;
  ws_case **slots = ws_malloc(n * sizeof *slots);
  if (!slots)
    return -1;
  memset(slots, 0, n * sizeof *slots);
  for (size_t i = 0; i < cat->count; i++)
    *slot_for(slots, n, cat->cases[i]->id) = cat->cases[i];
  ws_free(cat->slots);
  cat->slots = slots;
  cat->nslots = n;
  return 0;
}

/* Same table, only the committed cases: cannot fail. */
static void reindex_in_place(ws_catalogue *cat) {
  if (!cat->nslots)
    return;
  memset(cat->slots, 0, cat->nslots * sizeof *cat->slots);
  for (size_t i = 0; i < cat->count; i++)
    *slot_for(cat->slots, cat->nslots, cat->cases[i]->id) = cat->cases[i];
}

const ws_case *ws_catalogue_find(const ws_catalogue *cat, const char *id) {
  if (!cat->nslots || !id)
    return NULL;
  return *slot_for(cat->slots, cat->nslots, id);
}

/* The parser's accept callback: a case joins the (uncommitted) list. */
static int accept_case(void *user, ws_case *c, char *msg, size_t cap) {
  ws_catalogue *cat = user;
  if (!ws_case_plays(c, cat->role))
    return 0;
  const ws_case *old = ws_catalogue_find(cat, c->id);
  if (old) {
    snprintf(msg, cap, "duplicate case id %s (also at %s:%d)", c->id, old->file,
             old->line);
    return -1;
  }
  if (cat->count == cat->cap) {
    size_t cap2 = cat->cap ? cat->cap * 2 : 64;
    ws_case **v = ws_realloc(cat->cases, cap2 * sizeof *v);
    if (!v)
      goto oom;
    cat->cases = v;
    cat->cap = cap2;
  }
  if ((cat->count + 1) * 2 > cat->nslots &&
      reindex(cat, (cat->count + 1) * 2) < 0)
    goto oom;
  cat->cases[cat->count++] = c;
  *slot_for(cat->slots, cat->nslots, c->id) = c;
  return 0;
oom:
  snprintf(msg, cap, "out of memory");
  return -1;
}

/* ---- loaders ---- */

int ws_catalogue_add_text(ws_catalogue *cat, const char *name, const char *text,
                          size_t len, char *err, size_t cap) {
  char none[1];
  if (!err || !cap) {
    err = none;
    cap = sizeof none;
  }
  err[0] = '\0';
  name = name ? name : "<text>";
  ws_arena tmp;
  ws_arena_init(&tmp, cat->file_memory);
  ws_parser p;
  memset(&p, 0, sizeof p);
  p.arena = &tmp;
  p.seed = cat->seed;
  p.err = err;
  p.cap = cap;
  p.accept = accept_case;
  p.user = cat;
  p.name = ws_arena_strndup(&tmp, name, strlen(name));
  int rc;
  if (!p.name) {
    snprintf(err, cap, "%s: out of memory", name);
    rc = -1;
  } else {
    rc = ws_case_parse_text(&p, text ? text : "", text ? len : 0);
  }
  if (rc < 0) {
    /* Nothing of this text stays: forget its cases, then their memory. */
    cat->count = cat->committed;
    reindex_in_place(cat);
    ws_arena_free(&tmp);
    return -1;
  }
  ws_arena_adopt(&cat->arena, &tmp);
  cat->committed = cat->count;
  return 0;
}

int ws_catalogue_add_file(ws_catalogue *cat, const char *path, char *err,
                          size_t cap) {
  if (!err)
    cap = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, cap, "%s: cannot open: %s", path, strerror(errno));
    return -1;
  }
  /* One byte over the limit is enough to report it. */
  size_t want = WS_CASE_MAX_FILE + 1, got = 0;
  char *buf = ws_malloc(want);
  if (!buf) {
    fclose(f);
    snprintf(err, cap, "%s: out of memory", path);
    return -1;
  }
  while (got < want) {
    size_t n = fread(buf + got, 1, want - got, f);
    if (n == 0)
      break;
    got += n;
  }
  int failed = ferror(f);
  fclose(f);
  int rc;
  if (failed) {
    snprintf(err, cap, "%s: read error", path);
    rc = -1;
  } else {
    rc = ws_catalogue_add_text(cat, path, buf, got, err, cap);
  }
  ws_free(buf);
  return rc;
}

typedef struct path_list {
  char **v;
  size_t n, cap;
} path_list;

static void paths_free(path_list *l) {
  for (size_t i = 0; i < l->n; i++)
    ws_free(l->v[i]);
  ws_free(l->v);
}

static int paths_push(path_list *l, char *path) {
  if (l->n == MAX_DIR_FILES)
    return -1;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 32;
    char **v = ws_realloc(l->v, cap * sizeof *v);
    if (!v)
      return -1;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = path;
  return 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n > m && strcmp(s + n - m, suffix) == 0;
}

static char *join(const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  char *p = ws_malloc(a + b + 2);
  if (p) {
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
  }
  return p;
}

static int walk(const char *dir, int depth, path_list *out, char *err,
                size_t cap) {
  if (depth > MAX_DIR_DEPTH) {
    snprintf(err, cap, "%s: directories nested too deep", dir);
    return -1;
  }
  DIR *d = opendir(dir);
  if (!d) {
    snprintf(err, cap, "%s: cannot open directory: %s", dir, strerror(errno));
    return -1;
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue; /* ".", "..", editors' and VCS's hidden files */
    char *path = join(dir, e->d_name);
    struct stat st;
    if (!path) {
      snprintf(err, cap, "%s: out of memory", dir);
      rc = -1;
    } else if (stat(path, &st) != 0) {
      ws_free(path); /* a dangling link is not a case file */
    } else if (S_ISDIR(st.st_mode)) {
      rc = walk(path, depth + 1, out, err, cap);
      ws_free(path);
    } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".case")) {
      if (paths_push(out, path) < 0) {
        ws_free(path);
        snprintf(err, cap, "%s: too many case files or out of memory", dir);
        rc = -1;
      }
    } else {
      ws_free(path);
    }
  }
  closedir(d);
  return rc;
}

static int cmp_path(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int ws_catalogue_add_dir(ws_catalogue *cat, const char *dir, char *err,
                         size_t cap) {
  if (!err)
    cap = 0;
  path_list l = {NULL, 0, 0};
  int rc = walk(dir, 0, &l, err, cap);
  if (rc == 0 && l.n)
    qsort(l.v, l.n, sizeof *l.v, cmp_path);
  for (size_t i = 0; rc == 0 && i < l.n; i++)
    rc = ws_catalogue_add_file(cat, l.v[i], err, cap);
  paths_free(&l);
  return rc;
}

int ws_catalogue_add_builtin(ws_catalogue *cat, char *err, size_t cap) {
  for (const ws_builtin_case_file *f = ws_builtin_case_files; f->name; f++)
    if (ws_catalogue_add_text(cat, f->name, f->text, f->len, err, cap) < 0)
      return -1;
  return 0;
}

/* ---- access, order, matching ---- */

size_t ws_catalogue_count(const ws_catalogue *cat) { return cat->count; }

const ws_case *ws_catalogue_get(const ws_catalogue *cat, size_t index) {
  return index < cat->count ? cat->cases[index] : NULL;
}

static bool all_digits(const char *s, size_t n) {
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/* Numbers compare by value (without converting: any length works), and sort
 * before words; words compare bytewise. */
static int cmp_part(const char *a, size_t an, const char *b, size_t bn) {
  bool ad = all_digits(a, an), bd = all_digits(b, bn);
  if (ad != bd)
    return ad ? -1 : 1;
  if (ad) {
    while (an > 1 && *a == '0')
      a++, an--;
    while (bn > 1 && *b == '0')
      b++, bn--;
    if (an != bn)
      return an < bn ? -1 : 1;
  }
  int c = memcmp(a, b, an < bn ? an : bn);
  if (c)
    return c;
  return an < bn ? -1 : an > bn;
}

static int cmp_id(const char *a, const char *b) {
  for (;;) {
    size_t an = strcspn(a, "."), bn = strcspn(b, ".");
    int c = cmp_part(a, an, b, bn);
    if (c)
      return c;
    a += an;
    b += bn;
    if (!*a || !*b)
      return *a ? 1 : *b ? -1 : 0; /* a prefix sorts first */
    a++;
    b++;
  }
}

static int cmp_case(const void *x, const void *y) {
  const ws_case *a = *(ws_case *const *)x, *b = *(ws_case *const *)y;
  int c = cmp_id(a->id, b->id);
  return c ? c : strcmp(a->id, b->id); /* "1.01" vs "1.1": still total */
}

void ws_catalogue_sort(ws_catalogue *cat) {
  if (cat->count > 1)
    qsort(cat->cases, cat->count, sizeof *cat->cases, cmp_case);
}

bool ws_case_matches(const ws_case *c, const char *pattern) {
  if (!pattern || !*pattern)
    return false;
  if (c->area && strcmp(c->area, pattern) == 0)
    return true;
  size_t n = strlen(pattern);
  if (strncmp(c->id, pattern, n) == 0 &&
      (c->id[n] == '\0' || c->id[n] == '.' || pattern[n - 1] == '.'))
    return true;
  if (strpbrk(pattern, "*?["))
    return fnmatch(pattern, c->id, 0) == 0;
  return false;
}
