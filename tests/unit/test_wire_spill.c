/* Tests for reports/wire_spill.c: a finished case's wire log goes to disk
 * and comes back whole; the report budget cuts a log with a note and counts
 * what it dropped; writers see the same document either way. */
#include "reports/report.h"
#include "reports/results.h"
#include "reports/wire_spill.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void add_entry(ws_case_result *c, const char *dir, const char *bytes,
                      const char *note) {
  c->wire = realloc(c->wire, (c->wire_count + 1) * sizeof *c->wire);
  ws_result_wire *w = &c->wire[c->wire_count++];
  *w = (ws_result_wire){.t_ms = (double)c->wire_count * 1.5, .dir = dir};
  if (bytes) {
    w->len = strlen(bytes);
    w->bytes = (uint8_t *)strdup(bytes);
  }
  w->note = note ? strdup(note) : NULL;
}

static ws_case_result sample(const char *id) {
  ws_case_result c = {
      .id = strdup(id), .verdict = WS_VERDICT_FAIL, .close_by = "none"};
  add_entry(&c, "tx", "GET / HTTP/1.1\r\n\r\n", "handshake request");
  add_entry(&c, "rx", "HTTP/1.1 101 Switching\r\n\r\n\x81\x02hi", NULL);
  add_entry(&c, "note", NULL, "peer closed TCP");
  add_entry(&c, "rx", "", NULL);
  return c;
}

static char *json_of(const ws_run_results *r) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  cr_assert_eq(ws_results_write_json_stream(r, f), 0);
  fclose(f);
  return text;
}

Test(wire_spill, a_spilled_log_reads_back_whole) {
  ws_run_results a, b;
  ws_results_init(&a);
  ws_results_init(&b);
  for (int i = 0; i < 3; i++) {
    char id[16];
    snprintf(id, sizeof id, "c.%d", i);
    ws_case_result ca = sample(id), cb = sample(id);
    cr_assert_eq(ws_wire_spill(&a, &ca), 0);
    cr_assert(ca.wire_spilled);
    cr_assert_null(ca.wire, "no longer in memory");
    cr_assert_eq(ca.wire_count, 4);
    cr_assert_eq(ws_results_add(&a, &ca), 0);
    cr_assert_eq(ws_results_add(&b, &cb), 0);
  }
  cr_assert_not_null(a.wire_spill);
  ws_wire_view v;
  cr_assert_eq(ws_wire_view_open(&a, &a.cases[1], &v), 0);
  cr_assert_eq(v.count, 4);
  cr_assert_str_eq(v.wire[0].dir, "tx");
  cr_assert_str_eq(v.wire[0].note, "handshake request");
  cr_assert_eq(v.wire[1].len,
               strlen("HTTP/1.1 101 Switching\r\n\r\n\x81\x02hi"));
  cr_assert_eq(memcmp(v.wire[1].bytes, "HTTP/1.1 101", 12), 0);
  cr_assert_null(v.wire[1].note);
  cr_assert_str_eq(v.wire[2].dir, "note");
  cr_assert_eq(v.wire[3].len, 0);
  cr_assert_eq(v.wire[1].t_ms, 3.0);
  ws_wire_view_close(&v);
  /* results.json is the same document whether the logs were spilled. */
  char *ja = json_of(&a), *jb = json_of(&b);
  cr_assert_str_eq(ja, jb);
  free(ja);
  free(jb);
  ws_results_free(&a);
  ws_results_free(&b);
}

Test(wire_spill, a_log_in_memory_is_viewed_in_place) {
  ws_run_results r;
  ws_results_init(&r);
  ws_case_result c = sample("m");
  ws_wire_view v;
  cr_assert_eq(ws_wire_view_open(&r, &c, &v), 0);
  cr_assert_eq(v.wire, c.wire);
  cr_assert_null(v.owned);
  ws_case_result shallow = ws_wire_view_case(&c, &v);
  cr_assert_eq(shallow.wire_count, 4);
  ws_wire_view_close(&v);
  ws_case_result_free(&c);
  ws_results_free(&r);
}

Test(wire_spill, the_budget_cuts_a_log_with_a_note_and_counts_the_bytes) {
  ws_case_result c = sample("cut");
  size_t whole = ws_wire_cost(&c);
  cr_assert_eq(ws_wire_cut(&c, whole, "why"), whole, "fits: untouched");
  cr_assert_eq(c.wire_count, 4);
  /* Room for the first entry and the note only. */
  size_t first = c.wire[0].len + strlen(c.wire[0].note) + WS_WIRE_ENTRY_COST;
  size_t kept = ws_wire_cut(&c, first + 3 + WS_WIRE_ENTRY_COST, "why");
  cr_assert_leq(kept, first + 3 + WS_WIRE_ENTRY_COST);
  cr_assert_eq(c.wire_count, 2);
  cr_assert_str_eq(c.wire[1].dir, "note");
  cr_assert_str_eq(c.wire[1].note, "why");
  cr_assert(c.wire_truncated);
  cr_assert_eq(c.wire_dropped,
               strlen("HTTP/1.1 101 Switching\r\n\r\n\x81\x02hi"));
  ws_case_result_free(&c);
}

Test(wire_spill, dropped_bytes_are_said_in_every_report) {
  ws_run_results r;
  ws_results_init(&r);
  r.target = strdup("ws://x/");
  ws_case_result c = sample("d.1");
  c.wire_dropped = 12345;
  cr_assert_eq(ws_results_add(&r, &c), 0);
  size_t cases;
  uint64_t bytes;
  ws_results_wire_dropped(&r, &cases, &bytes);
  cr_assert_eq(cases, 1);
  cr_assert_eq(bytes, 12345);
  char dir[] = "/tmp/wsprobe-spill-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char err[256];
  cr_assert_eq(ws_report_write_all(&r, dir, err, sizeof err), 0, "%s", err);
  static const struct {
    const char *file, *needle;
  } expect[] = {{"results.json", "\"wire_dropped\": 12345"},
                {"index.html", "12345 bytes of this exchange"},
                {"junit.xml", "wire log: 12345 bytes not recorded"},
                {"summary.md", "12345 bytes are not in the logs"}};
  for (size_t i = 0; i < 4; i++) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, expect[i].file);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    cr_assert_not_null(strstr(text, expect[i].needle), "%s lacks '%s'",
                       expect[i].file, expect[i].needle);
    unlink(path);
  }
  rmdir(dir);
  ws_results_free(&r);
}
