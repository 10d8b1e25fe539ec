/* The per-case bookkeeping `test` and `serve` share (case_record.h). */
#include "cli/case_record.h"

#include "cli/test_options.h"
#include "engine/grade.h"
#include "reports/report.h"
#include "reports/wire_spill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ws_wire_budget_init(ws_wire_budget *b) {
  b->left = WS_TEST_REPORT_WIRE_BUDGET;
  b->cut_cases = 0;
}

/* When grading itself runs out of memory the case still gets a row. */
static void minimal_error(const ws_case *c, ws_case_result *r) {
  memset(r, 0, sizeof *r);
  r->id = strdup(c->id);
  r->verdict = WS_VERDICT_ERROR;
  r->reason_code = strdup("harness");
  r->reason = strdup("out of memory while grading the case");
  r->close_by = "none";
}

void ws_record_grade(const ws_case *c, const ws_observation *obs,
                     bool keep_wire_for_pass, ws_case_result *r) {
  memset(r, 0, sizeof *r);
  if (ws_grade_case(c, obs, keep_wire_for_pass, r) != 0)
    minimal_error(c, r);
}

/* The run's memory and reports stay bounded whatever the peer sent
 * (test_options.h): the wire log is cut to what is left of the report
 * budget, then moved to the spill file. */
void ws_record_bound_wire(ws_wire_budget *b, ws_run_results *res,
                          ws_case_result *r) {
  size_t cost = ws_wire_cost(r);
  if (cost > b->left) {
    size_t room =
        b->left > WS_TEST_CASE_WIRE_FLOOR ? b->left : WS_TEST_CASE_WIRE_FLOOR;
    char why[160];
    snprintf(why, sizeof why,
             "wire log cut: the run's report budget (%zu bytes of wire "
             "logs) is spent",
             (size_t)WS_TEST_REPORT_WIRE_BUDGET);
    cost = ws_wire_cut(r, room, why);
    b->cut_cases++;
  }
  b->left -= cost < b->left ? cost : b->left;
  (void)ws_wire_spill(res, r); /* on failure it stays in memory */
}

int ws_record_sub_path(char *out, size_t cap, const char *dir,
                       const char *file) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  return snprintf(out, cap, "%.*s/%s", (int)n, dir, file) >= (int)cap ? -1 : 0;
}

int ws_record_write_reports(const ws_run_results *r, const ws_gate *g,
                            const char *json_path, const char *out_dir,
                            char *err, size_t cap) {
  static const char *const files[] = {"junit.xml", "summary.md", "index.html"};
  if (ws_results_write_json(r, json_path, err, cap) != 0)
    return -1;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[4096];
    if (ws_record_sub_path(path, sizeof path, out_dir, files[i]) != 0) {
      snprintf(err, cap, "%s: path too long", out_dir);
      return -1;
    }
    int rc = i == 0   ? ws_report_write_junit_gated(r, g, path, err, cap)
             : i == 1 ? ws_report_write_markdown_gated(r, g, path, err, cap)
                      : ws_report_write_html_gated(r, g, path, err, cap);
    if (rc != 0)
      return -1;
  }
  return 0;
}
