/* Every report format, rendered from the same results model (results.h);
 * results.json stays the source of truth. Each writer writes atomically
 * (atomic_file.h) and escapes everything a peer controls (headers, close
 * reasons, payloads, agent names): a hostile target must not be able to
 * inject markup or break the XML. */
#ifndef WS_REPORTS_REPORT_H
#define WS_REPORTS_REPORT_H

#include "reports/results.h"

#include <stddef.h>

/* index.html: one self-contained file (inline CSS and JS, no external URL),
 * working from file:// and offline. */
int ws_report_write_html(const ws_run_results *r, const char *path, char *err,
                         size_t cap);

/* The agreement grid of several runs (a column per target), one HTML file. */
int ws_report_write_matrix_html(const ws_run_results *const *runs, size_t count,
                                const char *path, char *err, size_t cap);

/* The same, each cell a link to the case in its run's index.html:
 * index_html[i] is where run i's page is (or will be: only its directory
 * must exist), NULL for no links in that column. Links are relative to
 * path's directory. */
int ws_report_write_matrix_html_linked(const ws_run_results *const *runs,
                                       const char *const *index_html,
                                       size_t count, const char *path,
                                       char *err, size_t cap);

/* junit.xml: a testsuite per area, a testcase per case. */
int ws_report_write_junit(const ws_run_results *r, const char *path, char *err,
                          size_t cap);

/* summary.md: a short Markdown table for pull requests and CI summaries. */
int ws_report_write_markdown(const ws_run_results *r, const char *path,
                             char *err, size_t cap);

/* junit.xml and summary.md as `wsprobe test` writes them: every case in the
 * role its --fail-on set and baseline give it (ci_gate.h), so the JUnit
 * view and the job summary agree with the exit status; summary.md also
 * says that status and why. The plain writers above use ws_gate_default()
 * and say no status: results.json records verdicts, not the run's CI
 * options, so that is what `wsprobe report` can re-render. */
struct ws_gate;
int ws_report_write_junit_gated(const ws_run_results *r,
                                const struct ws_gate *g, const char *path,
                                char *err, size_t cap);
int ws_report_write_markdown_gated(const ws_run_results *r,
                                   const struct ws_gate *g, const char *path,
                                   char *err, size_t cap);
/* index.html with the same CI view on top (html_gate.c): the exit status
 * and why, the baseline's regressions, unexpected passes and expected
 * cases as links, and each case tagged with its role. */
int ws_report_write_html_gated(const ws_run_results *r, const struct ws_gate *g,
                               const char *path, char *err, size_t cap);

/* All four into dir (created if missing): results.json, index.html,
 * junit.xml, summary.md. Stops at the first error. */
int ws_report_write_all(const ws_run_results *r, const char *dir, char *err,
                        size_t cap);

/* Reads a results.json back into the model (any wsprobe-results/1 file:
 * unknown fields are ignored, missing optional ones defaulted). 0, or -1
 * with "PATH: message" in err. Bounded: a hostile or huge file gets an
 * error, not unbounded memory. */
int ws_results_read_json(const char *path, ws_run_results *out, char *err,
                         size_t cap);

/* The same from text already in memory; name (a path or a label) prefixes
 * the error messages. */
int ws_results_read_json_text(const char *name, const char *text, size_t len,
                              ws_run_results *out, char *err, size_t cap);

#endif
