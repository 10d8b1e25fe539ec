/* Fuzz target: the HTTP header-block parser on responses (codec/http.h) and
 * the client's handshake validation (ws_hs_validate_response).
 *
 * Input: [flags][chunk scheme 2 bytes]protocols NUL extensions NUL
 *        response...[chunk sizes]
 * The offers (what the client "sent") come from the input, so the fuzzer
 * explores the subprotocol and permessage-deflate negotiation rules; flags
 * may drop either (NULL: not offered). The key is fixed (RFC 6455 1.3's
 * sample), so a response can carry the right accept value. Invariants:
 *  - chunked and whole parses agree, and the message has the shape every
 *    parsed block must have;
 *  - validation gives the same answer on both parses; an accepted response
 *    has status 101, selects a subprotocol the client offered (or none) and
 *    extensions whose names the client offered. */
#include "fuzz/fuzz_common.h"

#include "codec/errors.h"
#include "codec/handshake.h"
#include "codec/http.h"

#include <strings.h>

#define SAMPLE_KEY "dGhlIHNhbXBsZSBub25jZQ=="

/* A NUL-terminated heap copy of the input up to the next NUL (or all of it),
 * which it consumes. */
static char *take_string(fz_input *in) {
  const uint8_t *nul = in->n ? memchr(in->p, 0, in->n) : NULL;
  size_t len = nul ? (size_t)(nul - in->p) : in->n;
  char *s = malloc(len + 1);
  FUZZ_CHECK(s);
  if (len)
    memcpy(s, in->p, len);
  s[len] = '\0';
  in->p += len + (nul ? 1 : 0);
  in->n -= len + (nul ? 1 : 0);
  return s;
}

static int parse(ws_http_parser *p, const uint8_t *data, size_t n,
                 fz_chunker chunker, size_t *consumed_total) {
  ws_http_parser_init(p, WS_HTTP_RESPONSE, 2048, 32);
  int rc = 0;
  *consumed_total = 0;
  fz_scratch scratch;
  fz_scratch_init(&scratch, n);
  for (size_t off = 0; off < n;) {
    size_t len = fz_chunk_next(&chunker, n - off);
    uint8_t *chunk = fz_scratch_copy(&scratch, data + off, len);
    size_t consumed = SIZE_MAX;
    rc = ws_http_parse(p, chunk, len, &consumed);
    if (rc != 0) {
      /* Only a complete block says where it ended. */
      if (rc == 1) {
        FUZZ_CHECK(consumed <= len);
        *consumed_total = off + consumed;
      }
      break;
    }
    FUZZ_CHECK(consumed == len);
    off += len;
  }
  fz_scratch_free(&scratch);
  return rc;
}

/* Does the comma list `offer` hold an extension named name? Offers are
 * "a; p=1, b": the name is each element up to ';'. */
static bool offer_has_extension(const char *offer, ws_span name) {
  const char *cursor = offer, *end = offer + strlen(offer);
  ws_span element;
  while (ws_list_next(&cursor, end, &element)) {
    size_t n = 0;
    while (n < element.len && element.ptr[n] != ';' && element.ptr[n] != ' ' &&
           element.ptr[n] != '\t')
      n++;
    if (n == name.len && !strncasecmp(element.ptr, name.ptr, n))
      return true;
  }
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint8_t flags = fz_u8(&in);
  fz_chunker chunker;
  fz_chunker_init(&chunker, &in);
  fz_chunker whole = {.mode = FZ_CHUNK_WHOLE};
  char *protocols = take_string(&in);
  char *extensions = take_string(&in);
  const char *offered_protocols = flags & 1 ? NULL : protocols;
  const char *offered_extensions = flags & 2 ? NULL : extensions;

  ws_http_parser a, b;
  size_t ca, cb;
  int ra = parse(&a, in.p, in.n, chunker, &ca);
  int rb = parse(&b, in.p, in.n, whole, &cb);
  FUZZ_CHECK(ra == rb && ca == cb);
  if (ra == 1) {
    const ws_http_message *ma = ws_http_parser_message(&a);
    const ws_http_message *mb = ws_http_parser_message(&b);
    FUZZ_CHECK(ma->kind == WS_HTTP_RESPONSE);
    FUZZ_CHECK(ma->status >= 0 && ma->status <= 999);
    fz_check_http_message(ma, 32);
    FUZZ_CHECK(ma->status == mb->status && ma->field_count == mb->field_count);

    ws_hs_response_info ia, ib;
    int va = ws_hs_validate_response(ma, SAMPLE_KEY, offered_protocols,
                                     offered_extensions, &ia);
    int vb = ws_hs_validate_response(mb, SAMPLE_KEY, offered_protocols,
                                     offered_extensions, &ib);
    FUZZ_CHECK(va == vb);
    FUZZ_CHECK(va <= 0 && -va < WS_E__COUNT);
    if (va == 0) {
      FUZZ_CHECK(ma->status == 101);
      if (ia.protocol.len > 0) {
        FUZZ_CHECK(offered_protocols != NULL);
        FUZZ_CHECK(ws_is_token(ia.protocol.ptr, ia.protocol.len));
        /* The selected protocol is one of the offered tokens. */
        char *token = (char *)fz_dup((const uint8_t *)ia.protocol.ptr,
                                     ia.protocol.len + 1);
        token[ia.protocol.len] = '\0';
        FUZZ_CHECK(ws_list_has_token(offered_protocols,
                                     strlen(offered_protocols), token));
        free(token);
      }
      FUZZ_CHECK(ia.extensions.count <= WS_EXT_MAX);
      for (size_t i = 0; i < ia.extensions.count; i++) {
        FUZZ_CHECK(offered_extensions != NULL);
        FUZZ_CHECK(offer_has_extension(offered_extensions,
                                       ia.extensions.items[i].name));
      }
    }
  }
  ws_http_parser_free(&a);
  ws_http_parser_free(&b);
  free(protocols);
  free(extensions);
  return 0;
}
