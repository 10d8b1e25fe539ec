/* wsprobe list [PATTERNS...]: the catalogue, one case per line. */
#include "cli/commands.h"
#include "cli/test_options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(
      out,
      "usage: wsprobe list [PATTERNS...] [--case-file F]... "
      "[--cases-dir D]...\n"
      "                    [--role client|server]\n\n"
      "Lists the cases (id, area, level, title). PATTERNS select as\n"
      "'wsprobe test --cases' does: areas, id prefixes, globs; "
      "comma-separated or\nseveral arguments. --role server lists the cases "
      "`wsprobe serve` plays\nagainst clients (default client: "
      "those `wsprobe test` plays against servers).\n");
}

/* Positional patterns joined with commas; NULL when none. */
static char *join_patterns(int argc, char **argv) {
  size_t n = 0;
  for (int i = 0; i < argc; i++)
    n += strlen(argv[i]) + 1;
  if (n == 0)
    return NULL;
  char *s = calloc(n, 1);
  if (!s)
    return NULL;
  for (int i = 0; i < argc; i++) {
    if (i)
      strcat(s, ",");
    strcat(s, argv[i]);
  }
  return s;
}

static void print_cases(const ws_case **cases, size_t count) {
  int wid = 2, warea = 4;
  for (size_t i = 0; i < count; i++) {
    int n = (int)strlen(cases[i]->id);
    int a = (int)strlen(cases[i]->area ? cases[i]->area : "");
    wid = n > wid ? n : wid;
    warea = a > warea ? a : warea;
  }
  for (size_t i = 0; i < count; i++) {
    const ws_case *c = cases[i];
    printf("%-*s  %-*s  %-6s  %s%s\n", wid, c->id, warea,
           c->area ? c->area : "", ws_case_level_name(c->level),
           c->title ? c->title : "", c->serial ? "  [serial]" : "");
  }
}

int ws_cmd_list(int argc, char **argv) {
  static const struct option longopts[] = {
      {"case-file", required_argument, NULL, 'f'},
      {"cases-dir", required_argument, NULL, 'd'},
      {"role", required_argument, NULL, 'r'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  ws_case_sources src = {0};
  enum ws_role role = WS_ROLE_CLIENT;
  int opt, rc = WS_EXIT_USAGE;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (opt == 'r') {
      if (ws_test_parse_role(optarg, &role) != 0)
        goto done;
    } else if (opt == 'f' || opt == 'd') {
      if ((opt == 'f'
               ? ws_test_sources_add(&src.files, &src.file_count, optarg)
               : ws_test_sources_add(&src.dirs, &src.dir_count, optarg)) != 0)
        goto done;
    } else {
      usage(opt == 'h' ? stdout : stderr);
      rc = opt == 'h' ? WS_EXIT_OK : WS_EXIT_USAGE;
      goto done;
    }
  }
  char err[1024];
  char *patterns = join_patterns(argc - optind, argv + optind);
  /* The seed only shapes random() payloads, which a listing never shows. */
  ws_catalogue *cat = ws_test_load_catalogue(role, 0, &src, err, sizeof err);
  const ws_case **cases = NULL;
  size_t count = 0;
  if (!cat) {
    fprintf(stderr, "wsprobe: %s\n", err);
  } else if (ws_test_select_listed(cat, patterns, &cases, &count, err,
                                   sizeof err) != 0) {
    fprintf(stderr, "wsprobe: list: %s\n", err);
  } else {
    print_cases(cases, count);
    rc = WS_EXIT_OK;
  }
  free(cases);
  free(patterns);
  if (cat)
    ws_catalogue_free(cat);
done:
  ws_test_sources_free(&src);
  return rc;
}
