/* Fuzz target: the incremental UTF-8 validator (codec/utf8.h) against the
 * plain bytewise DFA of bench/utf8_dfa.c.
 *
 * Input: [chunk scheme 2 bytes][text...][chunk sizes]
 * For every implementation this CPU can run (scalar, SSSE3, AVX2, auto), the
 * text is fed in chunks (exact-size heap copies) and whole. Each must give
 * the DFA's verdict and the DFA's first invalid offset (the end of the text
 * when it stops inside a sequence), report it in the chunk holding that byte
 * (fail fast), count the accepted bytes in `total`, and stay failed after.
 * ws_utf8_is_valid must agree too. */
#include "fuzz/fuzz_common.h"

#include "bench/utf8_dfa.h"
#include "codec/utf8.h"
#include "codec/utf8_simd.h"

/* Feeds text in chunks; returns the offset of the first invalid byte, or n
 * (the DFA's convention) when the text ends inside a sequence, or SIZE_MAX
 * when it is valid. */
static size_t validate_chunked(const uint8_t *p, size_t n, fz_chunker chunker,
                               enum ws_utf8_impl impl) {
  ws_utf8_validator v;
  ws_utf8_init(&v);
  size_t bad = SIZE_MAX;
  fz_scratch scratch;
  fz_scratch_init(&scratch, n);
  for (size_t off = 0; off < n;) {
    size_t len = fz_chunk_next(&chunker, n - off);
    uint8_t *chunk = fz_scratch_copy(&scratch, p + off, len);
    size_t at = SIZE_MAX;
    enum ws_utf8_result r = ws_utf8_feed_impl(&v, chunk, len, &at, impl);
    if (bad != SIZE_MAX) {
      /* Sticky: every call after the failure fails at 0. */
      FUZZ_CHECK(r == WS_UTF8_INVALID && at == 0);
    } else if (r == WS_UTF8_INVALID) {
      FUZZ_CHECK(at < len);
      bad = off + at;
      FUZZ_CHECK(v.total == bad);
    } else {
      FUZZ_CHECK(r == WS_UTF8_VALID || r == WS_UTF8_PARTIAL);
      FUZZ_CHECK(v.total == off + len);
    }
    off += len;
  }
  fz_scratch_free(&scratch);
  enum ws_utf8_result end = ws_utf8_state(&v);
  if (bad != SIZE_MAX) {
    FUZZ_CHECK(end == WS_UTF8_INVALID);
    return bad;
  }
  if (end == WS_UTF8_PARTIAL)
    return n;
  FUZZ_CHECK(end == WS_UTF8_VALID);
  return SIZE_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  fz_chunker chunker;
  fz_chunker_init(&chunker, &in);
  fz_chunker whole = {.mode = FZ_CHUNK_WHOLE};

  size_t dfa_at = SIZE_MAX;
  bool dfa_ok = utf8_dfa_validate(in.p, in.n, &dfa_at);
  size_t want = dfa_ok ? SIZE_MAX : dfa_at;

  static const enum ws_utf8_impl impls[] = {
      WS_UTF8_IMPL_SCALAR,
      WS_UTF8_IMPL_SSSE3,
      WS_UTF8_IMPL_AVX2,
      WS_UTF8_IMPL_AUTO,
  };
  for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
    if (!ws_utf8_impl_available(impls[i]))
      continue;
    FUZZ_CHECK(validate_chunked(in.p, in.n, chunker, impls[i]) == want);
    FUZZ_CHECK(validate_chunked(in.p, in.n, whole, impls[i]) == want);
    /* A kernel only vouches for a valid prefix ending at a boundary. */
    ws_utf8_kernel_fn kernel = ws_utf8_kernel(impls[i]);
    if (kernel) {
      size_t valid = kernel(in.p, in.n);
      FUZZ_CHECK(valid <= in.n);
      FUZZ_CHECK(utf8_dfa_validate(in.p, valid, NULL));
      FUZZ_CHECK(dfa_ok || valid <= dfa_at);
    }
  }
  /* The default entry point, in one call. */
  ws_utf8_validator v;
  ws_utf8_init(&v);
  size_t at = SIZE_MAX;
  enum ws_utf8_result r = ws_utf8_feed(&v, in.p, in.n, &at);
  FUZZ_CHECK((r == WS_UTF8_INVALID) == (!dfa_ok && dfa_at < in.n));
  FUZZ_CHECK(r != WS_UTF8_INVALID || at == dfa_at);

  size_t one_at = SIZE_MAX;
  bool one_ok = ws_utf8_is_valid(in.p, in.n, &one_at);
  FUZZ_CHECK(one_ok == dfa_ok);
  FUZZ_CHECK(one_ok || one_at == dfa_at);
  return 0;
}
