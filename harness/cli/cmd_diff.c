/* wsprobe diff OLD.json NEW.json [--markdown]: what changed between two
 * runs (run_diff.h), grouped into regressions, improvements, other changes,
 * added and removed cases. Exit 0 when nothing regressed, 1 when something
 * did, 2 when a file cannot be read. */
#include "cli/commands.h"
#include "reports/report.h"
#include "reports/run_diff.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out) {
  fprintf(out,
          "usage: wsprobe diff OLD.json NEW.json [--markdown]\n\n"
          "Compares two results.json files case by case: regressions (a\n"
          "verdict got worse: pass -> non-strict -> fail), improvements,\n"
          "other changes (pass <-> informational, to or from error), added\n"
          "and removed cases.\n\n"
          "  --markdown   Markdown tables instead of terminal text\n\n"
          "Exit status: 0 nothing regressed, 1 something did, 2 a file could\n"
          "not be read.\n");
}

int ws_cmd_diff(int argc, char **argv) {
  static const struct option longopts[] = {{"markdown", no_argument, NULL, 'm'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  bool markdown = false;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (opt == 'h') {
      usage(stdout);
      return WS_EXIT_OK;
    }
    if (opt != 'm') {
      usage(stderr);
      return WS_EXIT_USAGE;
    }
    markdown = true;
  }
  if (argc - optind != 2) {
    fprintf(stderr, "wsprobe: diff: give two results.json files\n");
    usage(stderr);
    return WS_EXIT_USAGE;
  }
  const char *old_path = argv[optind], *new_path = argv[optind + 1];
  ws_run_results old_run, new_run;
  char err[1024];
  if (ws_results_read_json(old_path, &old_run, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: diff: %s\n", err);
    return WS_EXIT_USAGE;
  }
  if (ws_results_read_json(new_path, &new_run, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: diff: %s\n", err);
    ws_results_free(&old_run);
    return WS_EXIT_USAGE;
  }
  ws_run_diff d;
  int rc = WS_EXIT_USAGE;
  if (ws_run_diff_compute(&old_run, &new_run, &d) != 0) {
    fprintf(stderr, "wsprobe: diff: out of memory\n");
  } else {
    if (markdown)
      ws_run_diff_print_markdown(stdout, &d, old_path, new_path);
    else
      ws_run_diff_print_text(stdout, &d, old_path, new_path);
    rc = d.counts[WS_DIFF_REGRESSION] ? WS_EXIT_FAILURES : WS_EXIT_OK;
    ws_run_diff_free(&d);
  }
  ws_results_free(&old_run);
  ws_results_free(&new_run);
  return rc;
}
