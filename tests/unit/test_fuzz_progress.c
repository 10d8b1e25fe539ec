/* Tests for the progress text of `wsprobe fuzz` (harness/cli/
 * fuzz_progress.c): what the line says for each kind of bound, that it fits
 * the terminal, and when the plain display prints. */
#include "cli/fuzz_progress.h"

#include <criterion/criterion.h>
#include <string.h>

static char line[512];

static const char *text(const fuzz_stats *s, int width) {
  fuzz_progress_text(s, line, sizeof line, width);
  return line;
}

Test(fuzz_progress, duration_bound) {
  fuzz_stats s = {.inputs = 1234,
                  .elapsed_ms = 12000,
                  .duration_ms = 60000,
                  .findings = 3,
                  .signatures = 2};
  cr_assert_str_eq(text(&s, 0), "fuzz: 1234 inputs (103/s), 3 findings (2 "
                                "signatures), 0:12 of 1:00");
}

Test(fuzz_progress, iteration_bound_and_singulars) {
  fuzz_stats s = {.inputs = 40,
                  .iterations = 5000,
                  .elapsed_ms = 3725000,
                  .findings = 1,
                  .signatures = 1};
  cr_assert_str_eq(text(&s, 0), "fuzz: 40 of 5000 inputs (0/s), 1 finding (1 "
                                "signature), 1:02:05");
  s.findings = 0;
  s.signatures = 0;
  s.elapsed_ms = 0; /* the first draw: no rate yet */
  cr_assert_str_eq(text(&s, 0), "fuzz: 40 of 5000 inputs (0/s), no findings, "
                                "0:00");
}

Test(fuzz_progress, activity_then_a_slow_input) {
  fuzz_stats s = {.inputs = 89,
                  .elapsed_ms = 30000,
                  .duration_ms = 60000,
                  .activity = "minimizing fuzz-1-89: attempt 17 of 120",
                  .running = 90,
                  .running_ms = 9000};
  cr_assert_str_eq(text(&s, 0), "fuzz: 89 inputs (3/s), no findings, 0:30 of "
                                "1:00 - minimizing fuzz-1-89: attempt 17 of "
                                "120");
  s.activity = "";
  cr_assert_str_eq(text(&s, 0), "fuzz: 89 inputs (3/s), no findings, 0:30 of "
                                "1:00 - input 90 running for 0:09");
  /* An input that runs as long as inputs do is not worth a word. */
  s.running_ms = FUZZ_PROGRESS_SLOW_MS - 1;
  cr_assert_str_eq(text(&s, 0),
                   "fuzz: 89 inputs (3/s), no findings, 0:30 of 1:00");
}

Test(fuzz_progress, cut_to_the_terminal_width) {
  fuzz_stats s = {.inputs = 1234, .elapsed_ms = 1000, .duration_ms = 60000};
  cr_assert_eq(strlen(text(&s, 20)), 20);
  cr_assert_str_eq(line, "fuzz: 1234 inputs (1");
  cr_assert_gt(strlen(text(&s, 500)), 20);
}

Test(fuzz_progress, plain_lines_every_10_s_then_every_minute) {
  cr_assert_eq(fuzz_progress_next_plain(0), 10000);
  cr_assert_eq(fuzz_progress_next_plain(9999), 10000);
  cr_assert_eq(fuzz_progress_next_plain(10000), 20000);
  cr_assert_eq(fuzz_progress_next_plain(50001), 60000);
  cr_assert_eq(fuzz_progress_next_plain(60000), 120000);
  cr_assert_eq(fuzz_progress_next_plain(61000), 120000);
  /* A late wake-up does not print twice for one step. */
  cr_assert_eq(fuzz_progress_next_plain(125000), 180000);
}
