/* The CI gate (reports/ci_gate.c): each case's role under --fail-on and a
 * baseline, and the exit status with the sentence that explains it. Every
 * report and the exit status of `wsprobe test` come from these. */
#include "reports/baseline.h"
#include "reports/ci_gate.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define BIT(v) WS_VERDICT_BIT(WS_VERDICT_##v)

static void add(ws_run_results *r, const char *id, enum ws_verdict v) {
  ws_case_result c = {0};
  c.id = strdup(id);
  c.reason = strdup("why");
  c.verdict = v;
  c.close_by = "none";
  cr_assert_eq(ws_results_add(r, &c), 0);
}

static void run(ws_run_results *r) {
  ws_results_init(r);
  add(r, "p", WS_VERDICT_PASS);
  add(r, "f", WS_VERDICT_FAIL);
  add(r, "n", WS_VERDICT_NON_STRICT);
  add(r, "i", WS_VERDICT_INFORMATIONAL);
  add(r, "u", WS_VERDICT_UNIMPLEMENTED);
  add(r, "e", WS_VERDICT_ERROR);
}

static enum ws_gate_role role(const ws_gate *g, const ws_run_results *r,
                              const char *id) {
  for (size_t i = 0; i < r->case_count; i++)
    if (strcmp(r->cases[i].id, id) == 0)
      return ws_gate_role_of(g, &r->cases[i], NULL);
  cr_assert_fail("no case %s", id);
  return WS_GATE_OK;
}

Test(ci_gate, fail_on_decides_without_a_baseline) {
  ws_run_results r;
  run(&r);
  ws_gate g = ws_gate_default();
  cr_assert_eq(g.fail_on, BIT(FAIL));
  cr_assert_null(g.baseline);
  cr_assert_eq(role(&g, &r, "p"), WS_GATE_OK);
  cr_assert_eq(role(&g, &r, "f"), WS_GATE_FAILING);
  cr_assert_eq(role(&g, &r, "n"), WS_GATE_OK);
  cr_assert_eq(role(&g, &r, "u"), WS_GATE_OK);
  cr_assert_eq(role(&g, &r, "e"), WS_GATE_NOT_RUN);
  g.fail_on = BIT(FAIL) | BIT(NON_STRICT) | BIT(ERROR);
  cr_assert_eq(role(&g, &r, "n"), WS_GATE_FAILING);
  cr_assert_eq(role(&g, &r, "e"), WS_GATE_FAILING);
  cr_assert_eq(role(&g, &r, "i"), WS_GATE_OK);
  /* a verdict out of range (a hand-edited results.json) is an error */
  r.cases[0].verdict = (enum ws_verdict)99;
  cr_assert_eq(role(&g, &r, "p"), WS_GATE_FAILING);
  ws_results_free(&r);
}

Test(ci_gate, baseline_roles) {
  ws_run_results r;
  run(&r);
  ws_baseline b;
  char err[256];
  static const char text[] = "f fail\nn fail\ni non-strict\ne fail\n";
  cr_assert_eq(
      ws_baseline_parse_text(text, sizeof text - 1, "b", &b, err, sizeof err),
      0, "%s", err);
  ws_gate g = {.fail_on = BIT(FAIL), .baseline = &b};
  int was;
  cr_assert_eq(ws_gate_role_of(&g, &r.cases[1], &was), WS_GATE_EXPECTED);
  cr_assert_eq(was, WS_VERDICT_FAIL);
  cr_assert_eq(role(&g, &r, "n"), WS_GATE_UNEXPECTED_PASS);
  cr_assert_eq(role(&g, &r, "i"), WS_GATE_OK);      /* non-strict not counted */
  cr_assert_eq(role(&g, &r, "e"), WS_GATE_NOT_RUN); /* says nothing */
  cr_assert_eq(ws_gate_role_of(&g, &r.cases[0], &was), WS_GATE_OK);
  cr_assert_eq(was, -1);
  /* non-strict counted: n is listed as fail, so non-strict is a change */
  g.fail_on = BIT(FAIL) | BIT(NON_STRICT);
  cr_assert_eq(role(&g, &r, "n"), WS_GATE_FAILING);
  cr_assert_eq(role(&g, &r, "i"), WS_GATE_UNEXPECTED_PASS);
  ws_gate_tally t = ws_gate_count(&g, &r);
  cr_assert_eq(t.failing, 1);
  cr_assert_eq(t.unexpected, 1);
  cr_assert_eq(t.expected, 1);
  cr_assert_eq(t.not_run, 1);
  ws_baseline_free(&b);
  ws_results_free(&r);
}

Test(ci_gate, exit_status_and_why) {
  ws_run_results r;
  ws_results_init(&r);
  add(&r, "p", WS_VERDICT_PASS);
  add(&r, "n", WS_VERDICT_NON_STRICT);
  char why[256];
  ws_gate g = ws_gate_default();
  cr_assert_eq(ws_gate_explain(&g, &r, why, sizeof why), 0);
  cr_assert_str_eq(why, "no case has a --fail-on verdict (fail)");
  g.fail_on = BIT(FAIL) | BIT(NON_STRICT);
  cr_assert_eq(ws_gate_explain(&g, &r, why, sizeof why), 1);
  cr_assert_str_eq(why, "1 case has a --fail-on verdict (non-strict,fail)");
  add(&r, "e", WS_VERDICT_ERROR);
  g.fail_on = BIT(FAIL);
  cr_assert_eq(ws_gate_explain(&g, &r, why, sizeof why), 2);
  cr_assert_str_eq(why, "no case has a --fail-on verdict (fail); 1 case "
                        "could not be run (error is not in --fail-on)");
  g.fail_on |= BIT(ERROR);
  cr_assert_eq(ws_gate_explain(&g, &r, why, sizeof why), 1);

  ws_baseline b;
  char err[256];
  cr_assert_eq(ws_baseline_parse_text("e error\n", 8, "b", &b, err, sizeof err),
               0);
  g.baseline = &b;
  cr_assert_eq(ws_gate_explain(&g, &r, why, sizeof why), 0);
  cr_assert_str_eq(why, "no regression and no unexpected pass against the "
                        "baseline (1 expected)");
  g.fail_on = BIT(FAIL) | BIT(NON_STRICT) | BIT(ERROR);
  cr_assert_eq(ws_gate_explain(&g, &r, why, sizeof why), 1);
  cr_assert_str_eq(why, "1 regression and 0 unexpected passes against the "
                        "baseline");
  r.interrupted = true;
  r.selected = 10;
  cr_assert_eq(ws_gate_explain(&g, &r, why, sizeof why), 2);
  cr_assert_str_eq(why, "the run was interrupted: 3 of 10 selected cases "
                        "finished");
  /* a short buffer is cut, never overrun */
  r.interrupted = false;
  cr_assert_eq(ws_gate_explain(&g, &r, why, 8), 1);
  cr_assert_eq(strlen(why), 7);
  ws_baseline_free(&b);
  ws_results_free(&r);
}

Test(ci_gate, set_names) {
  char names[64];
  ws_gate_set_names(BIT(FAIL) | BIT(NON_STRICT) | BIT(ERROR), names,
                    sizeof names);
  cr_assert_str_eq(names, "non-strict,fail,error");
  ws_gate_set_names(0, names, sizeof names);
  cr_assert_str_eq(names, "");
  ws_gate_set_names(BIT(FAIL) | BIT(NON_STRICT), names, 12);
  cr_assert_str_eq(names, "non-strict"); /* whole names only */
}
