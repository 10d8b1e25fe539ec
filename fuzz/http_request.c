/* Fuzz target: the HTTP header-block parser on requests (codec/http.h) and
 * the server's handshake validation (codec/handshake.h).
 *
 * Input: [max_bytes][max_fields][chunk scheme 2 bytes][request...][sizes]
 * The request is parsed with small limits, in chunks (exact-size heap
 * copies) and whole. Invariants:
 *  - both feeds agree: result, bytes consumed, every parsed span;
 *  - a parsed block ends with its blank line, within max_bytes, with at most
 *    max_fields fields whose names are tokens and whose values are trimmed;
 *    spans are NUL-terminated in place;
 *  - ws_hs_validate_request gives the same answer on both parses; a valid
 *    request yields a key whose 101 response (built, then parsed back as a
 *    response) passes ws_hs_validate_response; a refused one yields a
 *    refusal whose status is the error's. */
#include "fuzz/fuzz_common.h"

#include "codec/errors.h"
#include "codec/handshake.h"
#include "codec/http.h"

typedef struct parsed {
  ws_http_parser parser;
  int rc;
  size_t consumed; /* bytes of the input up to the blank line */
} parsed;

static void parse(parsed *out, enum ws_http_kind kind, size_t max_bytes,
                  size_t max_fields, const uint8_t *p, size_t n,
                  fz_chunker chunker) {
  ws_http_parser_init(&out->parser, kind, max_bytes, max_fields);
  out->rc = 0;
  out->consumed = 0;
  fz_scratch scratch;
  fz_scratch_init(&scratch, n);
  for (size_t off = 0; off < n;) {
    size_t len = fz_chunk_next(&chunker, n - off);
    uint8_t *chunk = fz_scratch_copy(&scratch, p + off, len);
    size_t consumed = SIZE_MAX;
    out->rc = ws_http_parse(&out->parser, chunk, len, &consumed);
    FUZZ_CHECK(out->rc <= 1);
    if (out->rc != 0) {
      if (out->rc == 1) {
        FUZZ_CHECK(consumed <= len);
        out->consumed = off + consumed;
        /* Done is sticky: nothing more is consumed. */
        uint8_t more = 'x';
        FUZZ_CHECK(ws_http_parse(&out->parser, &more, 1, &consumed) == 1);
        FUZZ_CHECK(consumed == 0);
      } else {
        FUZZ_CHECK(-out->rc < WS_E__COUNT);
        uint8_t more = '\n';
        FUZZ_CHECK(ws_http_parse(&out->parser, &more, 1, &consumed) == out->rc);
      }
      break;
    }
    FUZZ_CHECK(consumed == len);
    off += len;
  }
  fz_scratch_free(&scratch);
}

static bool span_eq(ws_span a, ws_span b) {
  return a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len));
}

static void compare(const ws_http_message *a, const ws_http_message *b) {
  FUZZ_CHECK(span_eq(a->method, b->method) && span_eq(a->target, b->target));
  FUZZ_CHECK(a->status == b->status && span_eq(a->reason, b->reason));
  FUZZ_CHECK(a->version_major == b->version_major &&
             a->version_minor == b->version_minor);
  FUZZ_CHECK(a->field_count == b->field_count);
  for (size_t i = 0; i < a->field_count; i++)
    FUZZ_CHECK(span_eq(a->fields[i].name, b->fields[i].name) &&
               span_eq(a->fields[i].value, b->fields[i].value));
}

/* Parses a response the server side built, whole. */
static const ws_http_message *parse_built(ws_http_parser *p, const char *text,
                                          size_t len) {
  ws_http_parser_init(p, WS_HTTP_RESPONSE, 0, 0);
  size_t consumed = 0;
  int rc = ws_http_parse(p, (const uint8_t *)text, len, &consumed);
  FUZZ_CHECK(rc == 1);
  return ws_http_parser_message(p);
}

static void check_validation(const ws_http_message *m, int rc) {
  char out[2048];
  if (rc < 0) {
    FUZZ_CHECK(-rc < WS_E__COUNT);
    int status = ws_error_http_status(rc);
    FUZZ_CHECK(status >= 400 && status < 600);
    ssize_t len = ws_hs_build_refusal(out, sizeof out, rc);
    FUZZ_CHECK(len > 0 && (size_t)len < sizeof out);
    ws_http_parser p;
    FUZZ_CHECK(parse_built(&p, out, (size_t)len)->status == status);
    ws_http_parser_free(&p);
    return;
  }
  ws_hs_request_info info;
  FUZZ_CHECK(ws_hs_validate_request(m, &info) == 0);
  FUZZ_CHECK(info.key.len == WS_KEY_LEN && info.key.ptr[WS_KEY_LEN] == '\0');
  FUZZ_CHECK(info.host.len > 0);
  FUZZ_CHECK(info.subprotocols.count <= WS_MAX_SUBPROTOCOLS);
  for (size_t i = 0; i < info.subprotocols.count; i++)
    FUZZ_CHECK(ws_is_token(info.subprotocols.items[i].ptr,
                           info.subprotocols.items[i].len));
  FUZZ_CHECK(info.extensions.count <= WS_EXT_MAX);
  char accept[WS_ACCEPT_LEN + 1];
  FUZZ_CHECK(ws_hs_accept_value(info.key.ptr, info.key.len, accept) == 0);
  FUZZ_CHECK(strlen(accept) == WS_ACCEPT_LEN);
  ssize_t len = ws_hs_build_response(out, sizeof out, accept, NULL, NULL);
  FUZZ_CHECK(len > 0 && (size_t)len < sizeof out);
  ws_http_parser p;
  const ws_http_message *resp = parse_built(&p, out, (size_t)len);
  ws_hs_response_info rinfo;
  FUZZ_CHECK(ws_hs_validate_response(resp, info.key.ptr, NULL, NULL, &rinfo) ==
             0);
  FUZZ_CHECK(rinfo.protocol.len == 0 && rinfo.extensions.count == 0);
  ws_http_parser_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint8_t bytes_sel = fz_u8(&in);
  uint8_t fields_sel = fz_u8(&in);
  /* 0 picks the defaults; otherwise small limits the fuzzer can reach. */
  size_t max_bytes = bytes_sel ? (size_t)bytes_sel * 8 : 0;
  size_t max_fields = fields_sel & 31;
  fz_chunker chunker;
  fz_chunker_init(&chunker, &in);
  fz_chunker whole = {.mode = FZ_CHUNK_WHOLE};

  parsed a, b;
  parse(&a, WS_HTTP_REQUEST, max_bytes, max_fields, in.p, in.n, chunker);
  parse(&b, WS_HTTP_REQUEST, max_bytes, max_fields, in.p, in.n, whole);
  FUZZ_CHECK(a.rc == b.rc && a.consumed == b.consumed);
  if (a.rc == 1) {
    const ws_http_message *ma = ws_http_parser_message(&a.parser);
    const ws_http_message *mb = ws_http_parser_message(&b.parser);
    FUZZ_CHECK(ma->kind == WS_HTTP_REQUEST);
    fz_check_http_message(ma,
                          max_fields ? max_fields : WS_HTTP_DEFAULT_MAX_FIELDS);
    compare(ma, mb);
    size_t limit = max_bytes ? max_bytes : WS_HTTP_DEFAULT_MAX_BYTES;
    FUZZ_CHECK(a.consumed >= 2 && a.consumed <= limit);
    const uint8_t *end = in.p + a.consumed;
    FUZZ_CHECK(end[-1] == '\n' &&
               (end[-2] == '\n' ||
                (a.consumed >= 3 && end[-2] == '\r' && end[-3] == '\n')));
    ws_hs_request_info info_a, info_b;
    int va = ws_hs_validate_request(ma, &info_a);
    int vb = ws_hs_validate_request(mb, &info_b);
    FUZZ_CHECK(va == vb);
    check_validation(ma, va);
  }
  ws_http_parser_free(&a.parser);
  ws_http_parser_free(&b.parser);
  return 0;
}
