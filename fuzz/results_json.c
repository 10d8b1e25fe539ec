/* Fuzz target: reading results.json back (reports/json_parse.h and
 * ws_results_read_json_text in reports/report.h).
 *
 * Input: [selector][JSON text...]; the selector's top bit picks the path:
 *  - clear: ws_jdoc_parse on an exact-size heap copy with small limits from
 *    the selector's low bits: the tree is consistent (every container's
 *    count is its number of children, every node is reached once, strings
 *    decode) and within the limits;
 *  - set: ws_results_read_json_text; a document it accepts is written back
 *    (ws_results_write_json_stream, into memory), read again and written
 *    again: the two writes must be identical (read and write are inverses
 *    on what the writer produces). */
#include "fuzz/fuzz_common.h"

#include "reports/json_parse.h"
#include "reports/report.h"
#include "reports/results.h"

#include <stdio.h>

/* The document a results model writes, in memory (open_memstream), so the
 * round trip below needs no file system. */
static char *write_text(const ws_run_results *r, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  FUZZ_CHECK(f);
  FUZZ_CHECK(ws_results_write_json_stream(r, f) == 0);
  FUZZ_CHECK(fclose(f) == 0);
  return text;
}

/* Walks the tree from node n; returns the nodes seen. */
static size_t walk(const ws_jdoc *d, ws_jref n, int depth, uint8_t *seen) {
  FUZZ_CHECK(n < d->count && !seen[n]);
  seen[n] = 1;
  FUZZ_CHECK(depth <= 64);
  size_t total = 1;
  enum ws_jtype t = ws_jdoc_type(d, n);
  FUZZ_CHECK(t <= WS_JOBJECT);
  if (t == WS_JSTRING) {
    size_t len = 0;
    char *s = ws_jdoc_string_dup(d, n, &len);
    FUZZ_CHECK(s && strlen(s) == len);
    /* Decoding never grows a string past 3 bytes per raw byte (\u0000 is
     * U+FFFD). */
    FUZZ_CHECK(len <= 3 * (size_t)d->nodes[n].len);
    free(s);
  } else if (t == WS_JNUMBER) {
    double v;
    (void)ws_jdoc_number(d, n, &v);
    uint64_t u;
    (void)ws_jdoc_uint(d, n, &u);
  }
  size_t children = 0;
  for (ws_jref c = ws_jdoc_first(d, n); c != WS_JNONE; c = ws_jdoc_next(d, c)) {
    FUZZ_CHECK(t >= WS_JARRAY);
    children++;
    total += walk(d, c, depth + 1, seen);
  }
  FUZZ_CHECK(children == ws_jdoc_count(d, n));
  return total;
}

/* ws_jdoc_parse on an exact-size heap copy under small limits: the tree is
 * consistent (every container's count is its number of children, every node
 * is reached once, strings decode) and within the limits. */
static void check_tree(const fz_input *in, const ws_jdoc_limits *limits) {
  char *text = (char *)fz_dup(in->p, in->n);
  ws_jdoc doc;
  char err[256];
  if (ws_jdoc_parse(text, in->n, limits, &doc, err, sizeof err) == 0) {
    FUZZ_CHECK(doc.count >= 1 && doc.count <= limits->max_nodes);
    uint8_t *seen = calloc(doc.count, 1);
    FUZZ_CHECK(seen);
    FUZZ_CHECK(walk(&doc, 0, 0, seen) == doc.count);
    free(seen);
    ws_jdoc_free(&doc);
  } else {
    FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
  }
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint8_t sel = fz_u8(&in);
  ws_jdoc_limits limits = {
      .max_input = 1 << 20,
      .max_depth = (sel & 15) + 1,
      .max_nodes = (size_t)((sel >> 4) + 1) * 64,
      .max_string = 4096,
  };
  /* Parsing, with libFuzzer tracing every comparison, is nearly all of the
   * cost, so each input takes one of the two paths rather than both: the
   * top bit of the first byte chooses (the seeds set it: they are real
   * results.json files, made for the reader). */
  if (!(sel & 0x80)) {
    check_tree(&in, &limits);
    return 0;
  }
  char err[256];
  /* The reader accepts what the writer writes, and a second round trip is
   * byte-identical (the first may normalise, e.g. invalid UTF-8). */
  ws_run_results res;
  if (ws_results_read_json_text("in", (const char *)in.p, in.n, &res, err,
                                sizeof err) != 0) {
    FUZZ_CHECK(!strncmp(err, "in: ", 4));
    return 0;
  }
  size_t na, nb;
  char *a = write_text(&res, &na);
  ws_results_free(&res);
  ws_run_results again;
  FUZZ_CHECK(ws_results_read_json_text("a", a, na, &again, err, sizeof err) ==
             0);
  char *b = write_text(&again, &nb);
  ws_results_free(&again);
  FUZZ_CHECK(na == nb && !memcmp(a, b, na));
  free(a);
  free(b);
  return 0;
}
