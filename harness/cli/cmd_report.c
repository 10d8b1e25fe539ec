/* wsprobe report A.json [B.json ...] [--out DIR]: re-renders reports from
 * results.json files, with no live run: DIR/matrix.html (an agreement grid,
 * a column per run) always, and for a single input its index.html,
 * junit.xml and summary.md too. A file that cannot be read is an error
 * (exit 2) before anything is written.
 *
 * Each matrix cell links to the case in its run's index.html: the one next
 * to the run's results.json when there is one (`wsprobe test` writes them
 * side by side), else one written here, DIR/index.html for a single run and
 * DIR/run-N/index.html (N counting the arguments from 1) for several, so
 * every link of a fresh matrix leads to a page that exists. */
#include "cli/commands.h"
#include "reports/atomic_file.h"
#include "reports/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_OUT "wsprobe-report"
/* More columns than this make a grid nobody can read; it also bounds the
 * memory a long argument list can ask for. */
#define MAX_RUNS 256

static void usage(FILE *out) {
  fprintf(out,
          "usage: wsprobe report RESULTS.json... [--out DIR]\n\n"
          "Re-renders reports from results.json files (no target needed):\n"
          "DIR/matrix.html compares the runs case by case; with one file,\n"
          "DIR/index.html, junit.xml and summary.md are written as well.\n"
          "Each matrix cell links to the case in its run's index.html: the\n"
          "one next to its results.json, or else one written into DIR\n"
          "(DIR/run-N/index.html for the Nth of several files).\n\n"
          "  --out DIR   where the reports go (default %s)\n\n"
          "Exit status: 0 written, 2 a file could not be read or written.\n",
          DEFAULT_OUT);
}

/* "dir/file" ("out/" and "out" name the same files). Heap, or NULL with a
 * message. */
static char *join(const char *dir, const char *file) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  char *path = NULL;
  if (asprintf(&path, "%.*s/%s", (int)n, dir, file) < 0) {
    fprintf(stderr, "wsprobe: report: out of memory\n");
    return NULL;
  }
  return path;
}

static int write_one(const char *dir, const char *file,
                     int (*write)(const ws_run_results *, const char *, char *,
                                  size_t),
                     const ws_run_results *r) {
  char err[512];
  char *path = join(dir, file);
  if (!path)
    return -1;
  int rc = write(r, path, err, sizeof err);
  if (rc != 0)
    fprintf(stderr, "wsprobe: report: %s\n", err);
  else
    printf("wrote %s\n", path);
  free(path);
  return rc;
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Run i's index.html for the matrix's links (see the top of this file);
 * writes DIR/run-N/index.html when a run of several has none. Heap, or
 * NULL after a message. */
static char *index_of(const char *dir, const char *results,
                      const ws_run_results *r, size_t i, size_t count) {
  const char *slash = strrchr(results, '/');
  char *next = NULL;
  if (asprintf(&next, "%.*s%s", slash ? (int)(slash - results + 1) : 0, results,
               "index.html") < 0) {
    fprintf(stderr, "wsprobe: report: out of memory\n");
    return NULL;
  }
  if (is_file(next))
    return next;
  free(next);
  if (count == 1) /* render() writes it */
    return join(dir, "index.html");
  char name[32], err[512];
  snprintf(name, sizeof name, "run-%zu", i + 1);
  char *sub = join(dir, name);
  if (!sub)
    return NULL;
  char *page = NULL;
  if (ws_make_dirs(sub, err, sizeof err) != 0)
    fprintf(stderr, "wsprobe: report: %s\n", err);
  else if (write_one(sub, "index.html", ws_report_write_html, r) == 0)
    page = join(sub, "index.html");
  free(sub);
  return page;
}

static int write_matrix(const char *dir, char **files,
                        const ws_run_results *runs, size_t count) {
  const ws_run_results **list = calloc(count, sizeof *list);
  char **pages = calloc(count, sizeof *pages);
  char err[512];
  char *path = join(dir, "matrix.html");
  int rc = -1;
  if (!list || !pages || !path) {
    fprintf(stderr, "wsprobe: report: out of memory\n");
    goto done;
  }
  for (size_t i = 0; i < count; i++) {
    list[i] = &runs[i];
    if (!(pages[i] = index_of(dir, files[i], &runs[i], i, count)))
      goto done;
  }
  rc = ws_report_write_matrix_html_linked(list, (const char *const *)pages,
                                          count, path, err, sizeof err);
  if (rc != 0)
    fprintf(stderr, "wsprobe: report: %s\n", err);
  else
    printf("wrote %s\n", path);
done:
  for (size_t i = 0; pages && i < count; i++)
    free(pages[i]);
  free(pages);
  free(list);
  free(path);
  return rc;
}

static int render(const char *dir, char **files, const ws_run_results *runs,
                  size_t count) {
  char err[512];
  if (ws_make_dirs(dir, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: report: %s\n", err);
    return -1;
  }
  if (write_matrix(dir, files, runs, count) != 0)
    return -1;
  if (count > 1)
    return 0;
  if (write_one(dir, "index.html", ws_report_write_html, &runs[0]) != 0 ||
      write_one(dir, "junit.xml", ws_report_write_junit, &runs[0]) != 0 ||
      write_one(dir, "summary.md", ws_report_write_markdown, &runs[0]) != 0)
    return -1;
  return 0;
}

/* Reads every file; stops at the first bad one. Returns how many were read
 * (all of them on success), -1 on error. */
static int read_all(char **files, int count, ws_run_results *runs) {
  for (int i = 0; i < count; i++) {
    char err[1024];
    if (ws_results_read_json(files[i], &runs[i], err, sizeof err) != 0) {
      fprintf(stderr, "wsprobe: report: %s\n", err);
      for (int j = 0; j < i; j++)
        ws_results_free(&runs[j]);
      return -1;
    }
  }
  return count;
}

int ws_cmd_report(int argc, char **argv) {
  static const struct option longopts[] = {
      {"out", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *out = DEFAULT_OUT;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
    if (opt == 'h') {
      usage(stdout);
      return WS_EXIT_OK;
    }
    if (opt != 'o') {
      usage(stderr);
      return WS_EXIT_USAGE;
    }
    out = optarg;
  }
  int count = argc - optind;
  if (count < 1 || count > MAX_RUNS) {
    fprintf(stderr, "wsprobe: report: give 1 to %d results.json files\n",
            MAX_RUNS);
    usage(stderr);
    return WS_EXIT_USAGE;
  }
  ws_run_results *runs = calloc((size_t)count, sizeof *runs);
  if (!runs) {
    fprintf(stderr, "wsprobe: report: out of memory\n");
    return WS_EXIT_USAGE;
  }
  int rc = WS_EXIT_USAGE;
  if (read_all(argv + optind, count, runs) == count) {
    rc = render(out, argv + optind, runs, (size_t)count) == 0 ? WS_EXIT_OK
                                                              : WS_EXIT_USAGE;
    for (int i = 0; i < count; i++)
      ws_results_free(&runs[i]);
  }
  free(runs);
  return rc;
}
