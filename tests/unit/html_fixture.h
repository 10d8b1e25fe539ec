/* Builders and readers shared by the HTML report tests (test_html.c,
 * test_html_triage.c): runs made by hand, every verdict and a hostile case,
 * and the pages written into a temporary directory and read back. */
#ifndef WS_TESTS_HTML_FIXTURE_H
#define WS_TESTS_HTML_FIXTURE_H

#include "reports/html_internal.h"
#include "reports/report.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HOSTILE                                                                \
  "<script>alert(1)</script>\"><img src=x onerror=alert(1)></script><!--"      \
  "\xff\xfe\xc0\xaf\x01\x7f\xe2\x80\xa8"

/* ---- building results by hand ---- */

static inline char *sdup(const char *s) { return s ? strdup(s) : NULL; }

static inline void add_wire(ws_case_result *c, double t, const char *dir,
                            const void *bytes, size_t len, const char *note) {
  c->wire = realloc(c->wire, (c->wire_count + 1) * sizeof *c->wire);
  cr_assert(c->wire);
  ws_result_wire *w = &c->wire[c->wire_count++];
  w->t_ms = t;
  w->dir = dir;
  w->bytes = len ? malloc(len) : NULL;
  if (len)
    memcpy(w->bytes, bytes, len);
  w->len = len;
  w->note = sdup(note);
}

static inline void add_case(ws_run_results *r, const char *id,
                            const char *title, enum ws_verdict v,
                            const char *reason) {
  ws_case_result c = {0};
  c.id = sdup(id);
  c.title = sdup(title);
  c.area = sdup(v == WS_VERDICT_ERROR ? "close" : "framing");
  c.rfc = sdup("6455#5.5, 6455#7.4.1");
  c.level = sdup(v == WS_VERDICT_NON_STRICT ? "SHOULD" : "MUST");
  c.autobahn = v == WS_VERDICT_PASS ? NULL : sdup(id);
  c.verdict = v;
  c.reason_code = sdup(v == WS_VERDICT_PASS ? "" : "close-code");
  c.reason = sdup(reason);
  c.expected = sdup("close 1002 | tcp-close");
  c.observed = sdup(reason);
  c.duration_ms = 1.5;
  c.close_by = "harness";
  if (v != WS_VERDICT_PASS) {
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    static const char resp[] = "HTTP/1.1 101 OK\r\n\r\n";
    static const uint8_t frame[] = {
        0x81, 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1};
    add_wire(&c, 0.1, "note", NULL, 0, "connected");
    add_wire(&c, 0.2, "tx", req, sizeof req - 1, "handshake request");
    add_wire(&c, 0.3, "rx", resp, sizeof resp - 1, NULL);
    add_wire(&c, 0.4, "tx", frame, sizeof frame, "step 1");
  }
  cr_assert_eq(ws_results_add(r, &c), 0);
}

/* A case whose every peer-controlled field is hostile, wire included. */
static inline void add_hostile(ws_run_results *r) {
  add_case(r, "9.9.9", "title " HOSTILE, WS_VERDICT_FAIL,
           "reason " HOSTILE "\0after-nul <script>");
  ws_case_result *c = &r->cases[r->case_count - 1];
  free(c->expected);
  c->expected = sdup("expected " HOSTILE);
  c->has_close = true;
  c->close_code = 1002;
  c->close_reason = sdup("bye " HOSTILE);
  /* A close frame from the server whose reason is hostile, a NUL in it. */
  uint8_t close[2 + 2 + sizeof HOSTILE] = {0x88, 2 + sizeof HOSTILE, 0x03,
                                           0xEA};
  memcpy(close + 4, HOSTILE, sizeof HOSTILE); /* its NUL included */
  add_wire(c, 0.5, "rx", close, sizeof close, "note " HOSTILE);
  static const char hdr[] = "HTTP/1.1 101 OK\r\nX-Evil: " HOSTILE "\r\n";
  add_wire(c, 0.6, "rx", hdr, sizeof hdr - 1, NULL);
}

static inline void make_run(ws_run_results *r, const char *agent,
                            bool hostile) {
  ws_results_init(r);
  r->tool_version = sdup("0.1.0");
  r->target = sdup(hostile ? "ws://127.0.0.1:9/" HOSTILE : "ws://127.0.0.1:9/");
  r->agent = sdup(agent);
  r->started_at = sdup("2024-01-01T12:00:00Z");
  r->duration_ms = 4211.5;
  r->seed = 1234567;
  add_case(r, "1.1.2", "Two", WS_VERDICT_PASS, "");
  add_case(r, "1.1.10", "Ten", WS_VERDICT_FAIL, "close 1000, wanted 1002");
  add_case(r, "1.1.1", "One", WS_VERDICT_NON_STRICT, "TCP drop, no close");
  add_case(r, "2.1", "Info", WS_VERDICT_INFORMATIONAL, "close 1012");
  add_case(r, "hs.2", "Unimpl", WS_VERDICT_UNIMPLEMENTED, "no deflate");
  add_case(r, "close.1", "Err", WS_VERDICT_ERROR, "connection refused");
  if (hostile)
    add_hostile(r);
}

/* ---- reading the page back ---- */

static char tmpdir_[64];

static inline void setup_dir(void) {
  strcpy(tmpdir_, "/tmp/wsprobe-html-XXXXXX");
  cr_assert(mkdtemp(tmpdir_));
}

static inline int html_remove(const char *path, const struct stat *st, int type,
                              struct FTW *ftw) {
  (void)st;
  (void)type;
  (void)ftw;
  return remove(path);
}

/* The directory and everything in it (tests may make subdirectories). */
static inline void teardown_dir(void) {
  nftw(tmpdir_, html_remove, 16, FTW_DEPTH | FTW_PHYS);
}

static inline char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return s;
}

static inline size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p++)
    n++;
  return n;
}

static inline char *write_index(const ws_run_results *r) {
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/index.html", tmpdir_);
  cr_assert_eq(ws_report_write_html(r, path, err, sizeof err), 0, "%s", err);
  size_t len;
  char *doc = slurp(path, &len);
  cr_assert_eq(strlen(doc), len, "a NUL byte in the page");
  return doc;
}

static inline char *write_matrix(const ws_run_results *const *runs, size_t n) {
  char path[128], err[256];
  snprintf(path, sizeof path, "%s/matrix.html", tmpdir_);
  cr_assert_eq(ws_report_write_matrix_html(runs, n, path, err, sizeof err), 0,
               "%s", err);
  size_t len;
  char *doc = slurp(path, &len);
  cr_assert_eq(strlen(doc), len, "a NUL byte in the page");
  return doc;
}

#endif
