/* wsprobe test's option helpers: --header validation, the seed, and case
 * selection with patterns. */
#include "cli/test_options.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(test_options, header_lines_are_validated) {
  char *h = NULL, err[128];
  cr_assert_eq(ws_test_header_append(&h, "X-One:  a b\t", err, sizeof err), 0);
  cr_assert_eq(ws_test_header_append(&h, "Cookie:x=1", err, sizeof err), 0);
  cr_assert_str_eq(h, "X-One: a b\t\r\nCookie: x=1\r\n");
  cr_assert_eq(ws_test_header_append(&h, "No colon", err, sizeof err), -1);
  cr_assert_eq(ws_test_header_append(&h, ": v", err, sizeof err), -1);
  cr_assert_eq(ws_test_header_append(&h, "Bad Name: v", err, sizeof err), -1);
  cr_assert_eq(ws_test_header_append(&h, "X: a\r\nY: b", err, sizeof err), -1);
  cr_assert(strstr(err, "control character"), "%s", err);
  cr_assert_str_eq(h, "X-One: a b\t\r\nCookie: x=1\r\n", "unchanged on error");
  free(h);
}

Test(test_options, random_seed_fits_json_numbers) {
  for (int i = 0; i < 100; i++)
    cr_assert_lt(ws_test_random_seed(), (uint64_t)1 << 53);
}

static const char cases_text[] = "<info>\n"
                                 "id 1.1.1\ntitle a\narea framing\n"
                                 "rfc 6455#5.2\nlevel MUST\n</info>\n"
                                 "<send>\ntext \"a\" echo\n</send>\n"
                                 "<expect>\npass echo\n</expect>\n"
                                 "<info>\n"
                                 "id 1.10\ntitle b\narea framing\n"
                                 "rfc 6455#5.2\nlevel MUST\n</info>\n"
                                 "<send>\ntext \"b\" echo\n</send>\n"
                                 "<expect>\npass echo\n</expect>\n"
                                 "<info>\n"
                                 "id 2.1\ntitle c\narea pings\n"
                                 "rfc 6455#5.5\nlevel MUST\n</info>\n"
                                 "<send>\nping \"c\" echo\n</send>\n"
                                 "<expect>\npass echo\n</expect>\n";

Test(test_options, selection_by_patterns) {
  char err[256];
  ws_catalogue *cat = ws_catalogue_new(1);
  cr_assert_eq(ws_catalogue_add_text(cat, "t.case", cases_text,
                                     sizeof cases_text - 1, err, sizeof err),
               0, "%s", err);
  const ws_case **sel;
  size_t n;
  cr_assert_eq(ws_test_select_cases(cat, NULL, NULL, &sel, &n, err, sizeof err),
               0);
  cr_assert_eq(n, 3);
  free(sel);
  cr_assert_eq(ws_test_select_cases(cat, " 1.1 , pings", NULL, &sel, &n, err,
                                    sizeof err),
               0, "%s", err);
  cr_assert_eq(n, 2); /* 1.1.1 and 2.1, not 1.10 */
  free(sel);
  cr_assert_eq(
      ws_test_select_cases(cat, "framing", "1.10", &sel, &n, err, sizeof err),
      0);
  cr_assert_eq(n, 1);
  cr_assert_str_eq(sel[0]->id, "1.1.1");
  free(sel);
  cr_assert_eq(ws_test_select_cases(cat, "framing,nope", NULL, &sel, &n, err,
                                    sizeof err),
               -1);
  cr_assert(strstr(err, "--cases: no case matches 'nope'"), "%s", err);
  cr_assert_null(sel);
  cr_assert_eq(
      ws_test_select_cases(cat, NULL, "zzz", &sel, &n, err, sizeof err), -1);
  cr_assert(strstr(err, "--exclude"), "%s", err);
  ws_catalogue_free(cat);
}

/* An empty --cases (an unset shell variable) must not quietly run every
 * case, nor an empty --exclude keep them all; `list` names no option. */
Test(test_options, blank_pattern_lists_are_errors) {
  char err[256];
  ws_catalogue *cat = ws_catalogue_new(1);
  cr_assert_eq(ws_catalogue_add_text(cat, "t.case", cases_text,
                                     sizeof cases_text - 1, err, sizeof err),
               0, "%s", err);
  const ws_case **sel;
  size_t n;
  static const char *const blank[] = {"", " ", " , ,\t"};
  for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) {
    cr_assert_eq(
        ws_test_select_cases(cat, blank[i], NULL, &sel, &n, err, sizeof err),
        -1, "'%s' selected %zu cases", blank[i], n);
    cr_assert(strstr(err, "--cases: '") && strstr(err, "holds no pattern"),
              "%s", err);
    cr_assert_null(sel);
    cr_assert_eq(
        ws_test_select_cases(cat, "pings", blank[i], &sel, &n, err, sizeof err),
        -1);
    cr_assert(strstr(err, "--exclude: '"), "%s", err);
    cr_assert_eq(
        ws_test_select_listed(cat, blank[i], &sel, &n, err, sizeof err), -1);
    cr_assert(!strstr(err, "--"), "%s", err);
  }
  cr_assert_eq(ws_test_select_listed(cat, "nosuch", &sel, &n, err, sizeof err),
               -1);
  cr_assert_str_eq(err, "no case matches 'nosuch'");
  cr_assert_eq(ws_test_select_listed(cat, NULL, &sel, &n, err, sizeof err), 0);
  cr_assert_eq(n, 3);
  free(sel);
  ws_catalogue_free(cat);
}
