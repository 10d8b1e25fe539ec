/* ws_report_write_all: every report of a run into one directory.
 *
 * Order: results.json first, because it is the source of truth and every
 * other file can be re-rendered from it (`wsprobe report`); then junit.xml
 * and summary.md, which CI reads; index.html last. Each file is written
 * atomically, so a run killed between two files leaves each file either
 * complete and new or complete and old, never half-written. */
#include "reports/atomic_file.h"
#include "reports/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef int (*writer_fn)(const ws_run_results *, const char *, char *, size_t);

static const struct {
  const char *file;
  writer_fn write;
} reports[] = {
    {"results.json", ws_results_write_json},
    {"junit.xml", ws_report_write_junit},
    {"summary.md", ws_report_write_markdown},
    {"index.html", ws_report_write_html},
};

int ws_report_write_all(const ws_run_results *r, const char *dir, char *err,
                        size_t cap) {
  if (ws_make_dirs(dir, err, cap) != 0)
    return -1;
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--; /* "out/" and "out" name the same files */
  for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++) {
    char path[4096];
    if (snprintf(path, sizeof path, "%.*s/%s", (int)n, dir, reports[i].file) >=
        (int)sizeof path) {
      snprintf(err, cap, "cannot write into %s: %s", dir,
               strerror(ENAMETOOLONG));
      return -1;
    }
    if (reports[i].write(r, path, err, cap) != 0)
      return -1;
  }
  return 0;
}
