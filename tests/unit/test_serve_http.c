/* Tests for the request side of `wsprobe serve` (harness/run/serve_http.c):
 * the query of a protocol URL, the request head read with a deadline and a
 * size bound (over an in-memory transport, one byte at a time included),
 * and the agent names made into directory names (cli/serve_book.c); and
 * one --exec client run (io/exec_client.c). */
#include "cli/serve_book.h"
#include "io/exec_client.h"
#include "io/memory.h"
#include "run/serve_internal.h"
#include "util/clock.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

Test(serve_query, finds_and_decodes_values) {
  char v[64];
  cr_assert_eq(
      serve_query_get("case=12&agent=my%20agent+x", "case", v, sizeof v), 1);
  cr_assert_str_eq(v, "12");
  cr_assert_eq(
      serve_query_get("case=12&agent=my%20agent+x", "agent", v, sizeof v), 1);
  cr_assert_str_eq(v, "my agent x");
  cr_assert_eq(serve_query_get("xcase=1&cases=2", "case", v, sizeof v), 0);
  cr_assert_eq(serve_query_get("", "case", v, sizeof v), 0);
  cr_assert_eq(serve_query_get("agent=", "agent", v, sizeof v), 1);
  cr_assert_str_eq(v, "");
}

Test(serve_query, refuses_malformed_and_oversized_values) {
  char v[8];
  cr_assert_eq(serve_query_get("agent=%4", "agent", v, sizeof v), -1);
  cr_assert_eq(serve_query_get("agent=%zz", "agent", v, sizeof v), -1);
  cr_assert_eq(serve_query_get("agent=a%00b", "agent", v, sizeof v), -1);
  cr_assert_eq(serve_query_get("agent=12345678", "agent", v, sizeof v), -1);
  cr_assert_eq(serve_query_get("agent=1234567", "agent", v, sizeof v), 1);
}

Test(serve_agent_dir, keeps_names_safe_as_one_directory) {
  char d[32];
  serve_agent_dir("python-websockets_10.4", d, sizeof d);
  cr_assert_str_eq(d, "python-websockets_10.4");
  serve_agent_dir("../../etc", d, sizeof d);
  cr_assert_str_eq(d, "_._.._etc");
  serve_agent_dir(".hidden", d, sizeof d);
  cr_assert_str_eq(d, "_hidden");
  serve_agent_dir("a/b c\xc3\xa9", d, sizeof d);
  cr_assert_str_eq(d, "a_b_c__");
  serve_agent_dir("", d, sizeof d);
  cr_assert_str_eq(d, "_");
  serve_agent_dir("0123456789012345678901234567890123456789", d, 8);
  cr_assert_str_eq(d, "0123456");
}

static int read_from(const char *bytes, size_t chunk, serve_request *r,
                     int *status) {
  ws_transport *a, *b;
  cr_assert_eq(ws_memory_pair((size_t)1 << 20, &a, &b), 0);
  size_t n = strlen(bytes);
  for (size_t i = 0; i < n; i += chunk)
    ws_transport_write(a, (const uint8_t *)bytes + i,
                       n - i < chunk ? n - i : chunk);
  ws_transport_shutdown(a);
  int rc = serve_read_request(b, r, ws_now_ms() + 1000, status);
  ws_transport_close(a);
  ws_transport_close(b);
  return rc;
}

Test(serve_request, reads_the_head_and_splits_the_target) {
  static const char req[] =
      "GET /runCase?case=3&agent=x HTTP/1.1\r\nHost: h\r\n"
      "Upgrade: websocket\r\n\r\n\x81\x80";
  for (size_t chunk = 1; chunk <= sizeof req; chunk *= 7) {
    serve_request *r = calloc(1, sizeof *r);
    int status;
    cr_assert_eq(read_from(req, chunk, r, &status), 0);
    cr_assert_str_eq(r->path, "/runCase");
    cr_assert_str_eq(r->query, "case=3&agent=x");
    cr_assert(r->upgrade);
    /* The bytes after the head stay with it, for the session. */
    cr_assert_eq(r->len, sizeof req - 1);
    serve_request_free(r);
    free(r);
  }
}

Test(serve_request, refuses_malformed_and_unfinished_heads) {
  serve_request *r = calloc(1, sizeof *r);
  int status;
  cr_assert_eq(read_from("NOT HTTP\r\n\r\n", 64, r, &status), -1);
  cr_assert_eq(status, 400);
  serve_request_free(r);
  memset(r, 0, sizeof *r);
  /* The peer ends before the blank line: nothing to answer. */
  cr_assert_eq(read_from("GET / HTTP/1.1\r\nHost: h\r\n", 64, r, &status), -1);
  cr_assert_eq(status, 0);
  serve_request_free(r);
  free(r);
}

Test(serve_request, bounds_the_head) {
  size_t n = WS_SERVE_REQUEST_MAX + 100;
  char *big = malloc(n + 1);
  memset(big, 'a', n);
  memcpy(big, "GET / HTTP/1.1\r\nX-Pad: ", 23);
  big[n] = '\0';
  serve_request *r = calloc(1, sizeof *r);
  int status;
  cr_assert_eq(read_from(big, 4096, r, &status), -1);
  cr_assert_eq(status, 431);
  serve_request_free(r);
  free(r);
  free(big);
}

Test(exec_client, records_status_signal_stderr_and_deadline) {
  ws_exec_client_result x;
  char err[256];
  cr_assert_eq(ws_exec_client_run("echo \"got {url}\" >&2; exit 3", "ws://u/",
                                  ws_now_ms() + 5000, &x, err, sizeof err),
               0);
  cr_assert(!x.killed && !x.exit.signaled);
  cr_assert_eq(x.exit.status, 3);
  cr_assert_str_eq(x.exit.stderr_tail, "got ws://u/\n");
  free(x.exit.stderr_tail);
  cr_assert_eq(ws_exec_client_run("kill -ABRT $$", "u", ws_now_ms() + 5000, &x,
                                  err, sizeof err),
               0);
  cr_assert(x.exit.signaled);
  cr_assert_eq(x.exit.signal, SIGABRT);
  free(x.exit.stderr_tail);
  int64_t t0 = ws_now_ms();
  cr_assert_eq(ws_exec_client_run("sleep 30", "u", ws_now_ms() + 200, &x, err,
                                  sizeof err),
               0);
  cr_assert(x.killed);
  cr_assert_lt(ws_now_ms() - t0, 5000);
  free(x.exit.stderr_tail);
}

Test(exec_client, spots_sanitizer_reports) {
  cr_assert(ws_exec_tail_has_sanitizer_report(
      "==1==ERROR: AddressSanitizer: heap-use-after-free"));
  cr_assert(ws_exec_tail_has_sanitizer_report("x.c:3:5: runtime error: shift"));
  cr_assert(!ws_exec_tail_has_sanitizer_report("all fine\n"));
  cr_assert(!ws_exec_tail_has_sanitizer_report(NULL));
}
