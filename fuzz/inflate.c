/* Fuzz target: permessage-deflate decompression (codec/inflate.h), bounded.
 *
 * Input: [flags][limit][chunk 2][len 1]...[messages][sizes]
 *   flags: bits 0-2 window bits - 8; bit 3 no_context_takeover; bit 4
 *          exact_window; bit 5 OBSERVE; bits 6-7 messages - 1 (1 to 4)
 *   limit: max_message = (limit + 1) * 64 (64 B to 16 KiB)
 *   then one length byte per message but the last (which takes the rest),
 *   then the messages' compressed payloads, each fed in chunks.
 * Every message is inflated into a fresh ws_bytebuf. Invariants:
 *  - bounds: a message's output is at most max_message bytes and its buffer
 *    never larger; the inflater's own heap stays under zlib's fixed state;
 *  - results are the documented ones: TOO_BIG only with max_message bytes
 *    out; CONTEXT_LOST only in OBSERVE with takeover; STRICT errors stick;
 *    OBSERVE reports an error once per message;
 *  - bare zlib agrees: with no takeover, each message and its 00 00 ff ff
 *    inflated by a fresh raw zlib stream gives the same bytes as far as
 *    both got; a success of ours is a success of zlib's (zlib may stop
 *    earlier, at a final block); with 15 window bits or exact_window, an
 *    error of ours is one of zlib's too (or zlib stopped at a final block);
 *  - any split gives the same results when they cannot depend on it (15
 *    window bits, or exact_window; inflate.h): chunked == whole. */
#include "fuzz/fuzz_common.h"

#include "codec/bytebuf.h"
#include "codec/errors.h"
#include "codec/inflate.h"

#include <zlib.h>

#define MAX_MESSAGES 4

/* zlib's inflate state (~7 KiB) and the largest window, with slack. */
#define STATE_BOUND (48 * 1024)

typedef struct message {
  const uint8_t *p;
  size_t n;
} message;

typedef struct outcome {
  int rc; /* the first error of the message, or 0 */
  ws_bytebuf out;
} outcome;

/* Inflates every message, each in chunks; fills results[]. */
static void run(const ws_inflater_config *cfg, const message *msgs,
                size_t count, fz_chunker chunker, bool chunked,
                outcome *results) {
  ws_inflater *inf = NULL;
  FUZZ_CHECK(ws_inflater_new(cfg, &inf) == 0);
  int sticky = 0;
  for (size_t m = 0; m < count; m++) {
    outcome *o = &results[m];
    memset(o, 0, sizeof *o);
    fz_scratch scratch;
    fz_scratch_init(&scratch, msgs[m].n);
    size_t off = 0;
    do {
      size_t left = msgs[m].n - off;
      size_t n = chunked ? fz_chunk_next(&chunker, left) : left;
      uint8_t *chunk = fz_scratch_copy(&scratch, msgs[m].p + off, n);
      off += n;
      int rc = ws_inflater_feed(inf, chunk, n, off == msgs[m].n, &o->out);
      FUZZ_CHECK(o->out.len <= cfg->max_message);
      FUZZ_CHECK(o->out.cap <= cfg->max_message);
      FUZZ_CHECK(ws_inflater_heap_bytes(inf) <= STATE_BOUND);
      if (rc == 0)
        continue;
      FUZZ_CHECK(rc == -WS_E_DEFLATE_DATA || rc == -WS_E_DEFLATE_UNFINISHED ||
                 rc == -WS_E_DEFLATE_TOO_BIG ||
                 rc == -WS_E_DEFLATE_CONTEXT_LOST);
      /* Where an error is first met (STRICT repeats it afterwards). */
      if (sticky == 0) {
        FUZZ_CHECK(rc != -WS_E_DEFLATE_TOO_BIG ||
                   o->out.len == cfg->max_message);
        FUZZ_CHECK(rc != -WS_E_DEFLATE_UNFINISHED || off == msgs[m].n);
        FUZZ_CHECK(rc != -WS_E_DEFLATE_DATA ||
                   ws_inflater_error_detail(inf)[0] != '\0');
      }
      if (cfg->policy == WS_POLICY_STRICT) {
        FUZZ_CHECK(sticky == 0 || rc == sticky);
        sticky = rc;
      } else {
        /* OBSERVE: once per message, context lost only with takeover. */
        FUZZ_CHECK(o->rc == 0);
        FUZZ_CHECK(rc != -WS_E_DEFLATE_CONTEXT_LOST ||
                   !cfg->no_context_takeover);
      }
      if (o->rc == 0)
        o->rc = rc;
    } while (off < msgs[m].n);
    fz_scratch_free(&scratch);
  }
  ws_inflater_free(inf);
}

/* Bare zlib on one message, alone: a fresh raw stream, the RFC 7692 7.2.2
 * tail appended, output up to cap + 1 bytes, one byte per call when exact.
 * Returns Z_OK (input used up), Z_STREAM_END (a final block) or an
 * error. */
static int zlib_reference(const message *msg, int bits, bool exact, size_t cap,
                          ws_bytebuf *out) {
  z_stream z;
  memset(&z, 0, sizeof z);
  FUZZ_CHECK(inflateInit2(&z, -bits) == Z_OK);
  uint8_t *in = malloc(msg->n + 4);
  FUZZ_CHECK(in);
  if (msg->n)
    memcpy(in, msg->p, msg->n);
  memcpy(in + msg->n, "\x00\x00\xff\xff", 4);
  out->data = malloc(cap + 1);
  FUZZ_CHECK(out->data);
  out->cap = cap + 1;
  out->len = 0;
  z.next_in = in;
  z.avail_in = (uInt)(msg->n + 4);
  int rc;
  for (;;) {
    z.next_out = out->data + out->len;
    uInt room = (uInt)(out->cap - out->len);
    z.avail_out = exact && room > 1 ? 1 : room;
    uInt before = z.avail_out;
    rc = inflate(&z, Z_SYNC_FLUSH);
    out->len += before - z.avail_out;
    if (rc == Z_BUF_ERROR)
      rc = Z_OK;
    if (rc != Z_OK || out->len == out->cap ||
        (z.avail_in == 0 && z.avail_out > 0))
      break;
  }
  inflateEnd(&z);
  free(in);
  return rc;
}

static void compare_with_zlib(const ws_inflater_config *cfg, const message *msg,
                              const outcome *ours) {
  ws_bytebuf ref;
  int zrc = zlib_reference(msg, cfg->window_bits, cfg->exact_window,
                           cfg->max_message, &ref);
  size_t common = ref.len < ours->out.len ? ref.len : ours->out.len;
  FUZZ_CHECK(common == 0 || !memcmp(ref.data, ours->out.data, common));
  bool zlib_failed = zrc != Z_OK && zrc != Z_STREAM_END;
  if (ours->rc == 0) {
    FUZZ_CHECK(!zlib_failed);
    FUZZ_CHECK(zrc == Z_STREAM_END || ref.len == ours->out.len);
  } else if (ours->rc == -WS_E_DEFLATE_DATA &&
             (cfg->window_bits == 15 || cfg->exact_window)) {
    FUZZ_CHECK(zlib_failed || zrc == Z_STREAM_END);
  } else if (ours->rc == -WS_E_DEFLATE_TOO_BIG) {
    /* zlib may have stopped at a final block, or at an error that lies
     * past the limit; if it did neither, it overflowed too. */
    FUZZ_CHECK(zlib_failed || zrc == Z_STREAM_END ||
               ref.len > cfg->max_message);
  }
  free(ref.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint8_t flags = fz_u8(&in);
  uint8_t limit = fz_u8(&in);
  ws_inflater_config cfg = {
      .window_bits = 8 + (flags & 7),
      .no_context_takeover = (flags >> 3) & 1,
      .exact_window = (flags >> 4) & 1,
      .policy = (flags >> 5) & 1 ? WS_POLICY_OBSERVE : WS_POLICY_STRICT,
      .max_message = ((size_t)limit + 1) * 64,
  };
  fz_chunker chunker;
  fz_chunker_init(&chunker, &in);
  size_t count = (size_t)(flags >> 6) + 1;
  size_t lens[MAX_MESSAGES];
  for (size_t m = 0; m + 1 < count; m++)
    lens[m] = fz_u8(&in);
  message msgs[MAX_MESSAGES];
  for (size_t m = 0; m < count; m++) {
    fz_input part = fz_take(&in, m + 1 < count ? lens[m] : in.n);
    msgs[m] = (message){part.p, part.n};
  }

  outcome chunked[MAX_MESSAGES], whole[MAX_MESSAGES];
  run(&cfg, msgs, count, chunker, true, chunked);
  if (cfg.no_context_takeover)
    for (size_t m = 0; m < count; m++)
      if (cfg.policy == WS_POLICY_OBSERVE || m == 0)
        compare_with_zlib(&cfg, &msgs[m], &chunked[m]);
  if (cfg.window_bits == 15 || cfg.exact_window) {
    run(&cfg, msgs, count, chunker, false, whole);
    for (size_t m = 0; m < count; m++) {
      FUZZ_CHECK(whole[m].rc == chunked[m].rc);
      FUZZ_CHECK(whole[m].out.len == chunked[m].out.len);
      FUZZ_CHECK(
          whole[m].out.len == 0 ||
          !memcmp(whole[m].out.data, chunked[m].out.data, whole[m].out.len));
      ws_bytebuf_free(&whole[m].out);
    }
  }
  for (size_t m = 0; m < count; m++)
    ws_bytebuf_free(&chunked[m].out);
  return 0;
}
