/* The catalogue: ids, ordering, matching, loaders, atomic adds and clean
 * failure when allocation fails. */
#include "case/catalogue.h"
#include "codec/hooks.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[512];

static void case_text(char *out, size_t cap, const char *id, const char *area) {
  snprintf(out, cap,
           "<info>\nid %s\ntitle Case %s\narea %s\nrfc 6455#5\nlevel MUST\n"
           "</info>\n<send>\ntext \"x\" echo\n</send>\n<expect>\n"
           "pass echo\nfail otherwise\n</expect>\n",
           id, id, area);
}

static int add(ws_catalogue *cat, const char *name, const char *id,
               const char *area) {
  char text[512];
  case_text(text, sizeof text, id, area);
  return ws_catalogue_add_text(cat, name, text, strlen(text), err, sizeof err);
}

/* A catalogue keeps the cases it can play from its role: `test` never sees
 * a server-only case, `serve` never a client-only one. */
Test(catalogue, a_catalogue_keeps_the_cases_of_its_role) {
  static const char *const roles[] = {NULL, "client", "server", "both"};
  for (int role = WS_ROLE_CLIENT; role <= WS_ROLE_SERVER; role++) {
    ws_catalogue *cat = ws_catalogue_new(1);
    ws_catalogue_set_role(cat, (enum ws_role)role);
    for (size_t i = 0; i < 4; i++) {
      char text[512];
      snprintf(text, sizeof text,
               "<info>\nid r.%zu\ntitle T\narea framing\nrfc 6455#5\n"
               "level MUST\n%s%s%s</info>\n<send>\n</send>\n<expect>\n"
               "pass otherwise\n</expect>\n",
               i, roles[i] ? "role " : "", roles[i] ? roles[i] : "",
               roles[i] ? "\n" : "");
      cr_assert_eq(ws_catalogue_add_text(cat, "r.case", text, strlen(text), err,
                                         sizeof err),
                   0, "%s", err);
    }
    bool client = role == WS_ROLE_CLIENT;
    cr_assert_eq(ws_catalogue_count(cat), client ? 3u : 2u);
    cr_assert_eq(ws_catalogue_find(cat, "r.0") != NULL, client);
    cr_assert_eq(ws_catalogue_find(cat, "r.1") != NULL, client);
    cr_assert_eq(ws_catalogue_find(cat, "r.2") != NULL, !client);
    cr_assert_not_null(ws_catalogue_find(cat, "r.3"));
    ws_catalogue_free(cat);
  }
}

Test(catalogue, sort_is_numeric_per_part) {
  static const char *ids[] = {"hs.10", "1.1.10", "robust.3", "1.10", "hs.2",
                              "1.1.2", "10.1",   "1.1",      "2",    "1.9"};
  static const char *sorted[] = {"1.1", "1.1.2", "1.1.10", "1.9",   "1.10",
                                 "2",   "10.1",  "hs.2",   "hs.10", "robust.3"};
  ws_catalogue *cat = ws_catalogue_new(0);
  for (size_t i = 0; i < 10; i++)
    cr_assert_eq(add(cat, "s.case", ids[i], "framing"), 0, "%s", err);
  ws_catalogue_sort(cat);
  for (size_t i = 0; i < 10; i++)
    cr_assert_str_eq(ws_catalogue_get(cat, i)->id, sorted[i]);
  cr_assert_null(ws_catalogue_get(cat, 10));
  /* The id index survives the reordering. */
  cr_assert_str_eq(ws_catalogue_find(cat, "hs.2")->title, "Case hs.2");
  cr_assert_null(ws_catalogue_find(cat, "hs.3"));
  ws_catalogue_free(cat);
}

Test(catalogue, matching_rules) {
  ws_catalogue *cat = ws_catalogue_new(0);
  cr_assert_eq(add(cat, "m.case", "1.1.3", "framing"), 0);
  cr_assert_eq(add(cat, "m.case", "1.10", "framing"), 0);
  cr_assert_eq(add(cat, "m.case", "hs.12", "handshake"), 0);
  const ws_case *a = ws_catalogue_find(cat, "1.1.3");
  const ws_case *b = ws_catalogue_find(cat, "1.10");
  const ws_case *h = ws_catalogue_find(cat, "hs.12");
  cr_assert(ws_case_matches(a, "framing"), "area");
  cr_assert(ws_case_matches(h, "handshake"));
  cr_assert_not(ws_case_matches(h, "framing"));
  cr_assert(ws_case_matches(a, "1.1"), "prefix at a dot");
  cr_assert(ws_case_matches(a, "1"));
  cr_assert(ws_case_matches(a, "1.1.3"), "the whole id");
  cr_assert_not(ws_case_matches(b, "1.1"), "1.1 must not match 1.10");
  cr_assert_not(ws_case_matches(a, "1.1.30"));
  cr_assert_not(ws_case_matches(h, "hs.1"));
  cr_assert(ws_case_matches(b, "1.1*"), "glob");
  cr_assert(ws_case_matches(h, "hs.1?"));
  cr_assert(ws_case_matches(a, "1.[01].[0-9]"));
  cr_assert_not(ws_case_matches(a, "1.1.?0"));
  cr_assert_not(ws_case_matches(a, "frame"));
  cr_assert_not(ws_case_matches(a, ""));
  ws_catalogue_free(cat);
}

Test(catalogue, duplicate_ids_across_files) {
  ws_catalogue *cat = ws_catalogue_new(0);
  cr_assert_eq(add(cat, "a.case", "1.1", "framing"), 0);
  /* Two cases in one text, the second clashing: neither is added. */
  char one[512], two[512], both[1100];
  case_text(one, sizeof one, "1.2", "framing");
  case_text(two, sizeof two, "1.1", "framing");
  snprintf(both, sizeof both, "%s%s", one, two);
  int rc =
      ws_catalogue_add_text(cat, "b.case", both, strlen(both), err, sizeof err);
  cr_assert_eq(rc, -1);
  cr_assert_str_eq(err, "b.case:15: duplicate case id 1.1 (also at a.case:1)");
  cr_assert_eq(ws_catalogue_count(cat), 1);
  cr_assert_null(ws_catalogue_find(cat, "1.2"), "nothing of b.case stays");
  /* 1.2 is free again afterwards. */
  cr_assert_eq(add(cat, "c.case", "1.2", "framing"), 0, "%s", err);
  cr_assert_str_eq(ws_catalogue_find(cat, "1.2")->file, "c.case");
  ws_catalogue_free(cat);
}

Test(catalogue, duplicate_ids_in_one_file) {
  ws_catalogue *cat = ws_catalogue_new(0);
  char one[512], both[1100];
  case_text(one, sizeof one, "x.1", "close");
  snprintf(both, sizeof both, "%s\n%s", one, one);
  cr_assert_eq(
      ws_catalogue_add_text(cat, "d.case", both, strlen(both), err, sizeof err),
      -1);
  cr_assert_str_eq(err, "d.case:16: duplicate case id x.1 (also at d.case:1)");
  cr_assert_eq(ws_catalogue_count(cat), 0);
  ws_catalogue_free(cat);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "%s", path);
  fputs(text, f);
  fclose(f);
}

Test(catalogue, add_dir_is_recursive_and_sorted) {
  char dir[] = "/tmp/wsprobe-cat-XXXXXX", path[256], text[512];
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/b", dir);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/.hidden", dir);
  mkdir(path, 0700);
  const struct {
    const char *name, *id;
  } files[] = {{"b/z.case", "3.1"},
               {"a.case", "9.1"},
               {"b/a.case", "1.1"},
               {"c.txt", "4.1"},
               {".hidden/h.case", "5.1"}};
  for (size_t i = 0; i < 5; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
    case_text(text, sizeof text, files[i].id, "framing");
    write_file(path, text);
  }
  ws_catalogue *cat = ws_catalogue_new(0);
  cr_assert_eq(ws_catalogue_add_dir(cat, dir, err, sizeof err), 0, "%s", err);
  cr_assert_eq(ws_catalogue_count(cat), 3, "only visible *.case files");
  /* Path order: a.case, b/a.case, b/z.case. */
  cr_assert_str_eq(ws_catalogue_get(cat, 0)->id, "9.1");
  cr_assert_str_eq(ws_catalogue_get(cat, 1)->id, "1.1");
  cr_assert_str_eq(ws_catalogue_get(cat, 2)->id, "3.1");
  snprintf(path, sizeof path, "%s/b/a.case", dir);
  cr_assert_str_eq(ws_catalogue_get(cat, 1)->file, path);
  ws_catalogue_free(cat);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}

Test(catalogue, file_errors) {
  ws_catalogue *cat = ws_catalogue_new(0);
  cr_assert_eq(
      ws_catalogue_add_file(cat, "/nonexistent/x.case", err, sizeof err), -1);
  cr_assert_str_eq(err, "/nonexistent/x.case: cannot open: No such file or "
                        "directory");
  cr_assert_eq(ws_catalogue_add_dir(cat, "/nonexistent", err, sizeof err), -1);
  cr_assert_str_eq(err, "/nonexistent: cannot open directory: No such file "
                        "or directory");
  char path[] = "/tmp/wsprobe-case-XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  char *big = malloc(WS_CASE_MAX_FILE + 10);
  memset(big, '\n', WS_CASE_MAX_FILE + 10);
  cr_assert_eq(write(fd, big, WS_CASE_MAX_FILE + 10), WS_CASE_MAX_FILE + 10);
  close(fd);
  free(big);
  cr_assert_eq(ws_catalogue_add_file(cat, path, err, sizeof err), -1);
  char want[128];
  snprintf(want, sizeof want, "%s:1: case file larger than 1 MiB", path);
  cr_assert_str_eq(err, want);
  unlink(path);
  ws_catalogue_free(cat);
}

Test(catalogue, builtin_catalogue_parses) {
  ws_catalogue *cat = ws_catalogue_new(0);
  cr_assert_eq(ws_catalogue_add_builtin(cat, err, sizeof err), 0, "%s", err);
  size_t files = 0;
  for (const ws_builtin_case_file *f = ws_builtin_case_files; f->name; f++)
    files++;
  cr_assert_geq(ws_catalogue_count(cat), files, "every file holds a case");
  ws_catalogue_free(cat);
}

Test(catalogue, file_memory_limit) {
  ws_catalogue *cat = ws_catalogue_new(0);
  ws_catalogue_set_file_memory(cat, 4 << 20);
  const char *text = "<info>\nid m.1\ntitle T\narea framing\nrfc 1\nlevel "
                     "MUST\n</info>\n<send>\nbinary \"a\" * 5000000\n"
                     "</send>\n<expect>\npass otherwise\n</expect>\n";
  cr_assert_eq(
      ws_catalogue_add_text(cat, "m.case", text, strlen(text), err, sizeof err),
      -1);
  cr_assert_str_eq(err, "m.case:9: case file needs more memory than its "
                        "limit");
  ws_catalogue_set_file_memory(cat, 0);
  cr_assert_eq(
      ws_catalogue_add_text(cat, "m.case", text, strlen(text), err, sizeof err),
      0, "%s", err);
  ws_catalogue_free(cat);
}

/* ---- allocation failure ---- */

struct failing {
  long left; /* allocations before the first failure; -1: never fail */
  long live; /* blocks handed out and not freed */
};

static void *f_malloc(size_t n, void *ctx) {
  struct failing *f = ctx;
  if (f->left == 0)
    return NULL;
  if (f->left > 0)
    f->left--;
  void *p = malloc(n);
  f->live += p != NULL;
  return p;
}

static void *f_realloc(void *p, size_t n, void *ctx) {
  struct failing *f = ctx;
  if (f->left == 0)
    return NULL;
  if (f->left > 0)
    f->left--;
  void *q = realloc(p, n);
  f->live += q && !p;
  return q;
}

static void f_free(void *p, void *ctx) {
  ((struct failing *)ctx)->live--;
  free(p);
}

Test(catalogue, every_allocation_failure_is_clean) {
  const char *text =
      "<table>\nid | p\nt.1 | \"a\" * 70000\nt.2 | random(9)\n</table>\n"
      "<info>\nid {id}\ntitle T\narea framing\nrfc 1\nlevel MUST\n"
      "description d\ndescription e\n</info>\n<send>\nl: text {p} echo\n"
      "close 1000 \"r\"\nrequest-bytes \"x\"\n</send>\n<expect>\n"
      "pass echo & close 1000 | before l\nfail otherwise\n</expect>\n";
  /* The same file without the misplaced request-bytes is valid. Pass 0
   * fails allocation N for growing N until the valid text parses; pass 1
   * runs the invalid one, whose error path must be as clean. */
  const char *good =
      "<table>\nid | p\nt.1 | \"a\" * 70000\nt.2 | random(9)\n</table>\n"
      "<info>\nid {id}\ntitle T\narea framing\nrfc 1\nlevel MUST\n"
      "description d\ndescription e\n</info>\n<send>\nl: text {p} echo\n"
      "close 1000 \"r\"\n</send>\n<expect>\n"
      "pass echo & close 1000 | before l\nfail otherwise\n</expect>\n";
  int succeeded = 0;
  for (int pass = 0; pass < 2; pass++) {
    const char *t = pass ? text : good;
    for (long n = 0; n < 200; n++) {
      struct failing f = {n, 0};
      ws_allocator a = {f_malloc, f_realloc, f_free, &f};
      ws_set_allocator(&a);
      ws_catalogue *cat = ws_catalogue_new(1);
      int rc = -1;
      err[0] = '\0';
      if (cat) {
        rc =
            ws_catalogue_add_text(cat, "f.case", t, strlen(t), err, sizeof err);
        if (rc == 0)
          rc = add(cat, "g.case", "g.1", "close"); /* into a full catalogue */
        ws_catalogue_free(cat);
      }
      ws_set_allocator(NULL);
      cr_assert_eq(f.live, 0, "leak after failing allocation %ld", n);
      if (rc == 0) {
        cr_assert_eq(pass, 0, "the bad text was accepted");
        succeeded = 1;
        break;
      }
      if (cat && pass == 0)
        cr_assert(strstr(err, "out of memory"), "n=%ld: %s", n, err);
    }
  }
  cr_assert(succeeded, "never parsed with enough allocations");
}
