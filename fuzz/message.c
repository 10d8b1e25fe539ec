/* Fuzz target: message reassembly (codec/message.h, ws_message_read).
 *
 * Input: [config 3 bytes][chunk scheme 2 bytes][frame bytes...][chunk sizes]
 * The same bytes go through a STRICT and an OBSERVE reader with small limits,
 * fed in chunks (exact-size heap copies). Invariants:
 *  - STRICT never delivers a text message, close reason or control payload
 *    that breaks a rule: text is valid UTF-8 (checked with the independent
 *    bench/utf8_dfa.c), close codes are valid on the wire, no violation
 *    events, and an error is sticky;
 *  - a data event never holds more than max_message bytes (OBSERVE marks a
 *    cut message truncated, with its full length), control payloads at most
 *    125, fragments counted from 1;
 *  - heap: never over max_message, back to 0 at the first call after a data
 *    message was delivered, and nothing leaks (ASan) after the reader is
 *    freed;
 *  - a return of 0 consumed everything; the reader always progresses;
 *  - OBSERVE: driving the reader with ws_message_on_frame from our own frame
 *    decoder gives the same events as ws_message_read. */
#include "fuzz/fuzz_common.h"

#include "bench/utf8_dfa.h"
#include "codec/close.h"
#include "codec/errors.h"
#include "codec/message.h"

static void check_event(const ws_message_reader *r, const ws_message_event *ev,
                        const ws_message_config *cfg) {
  bool strict = cfg->policy == WS_POLICY_STRICT;
  switch (ev->type) {
  case WS_MSG_TEXT:
  case WS_MSG_BINARY:
    FUZZ_CHECK(ev->len <= cfg->max_message);
    FUZZ_CHECK(ev->len == 0 || ev->data != NULL);
    FUZZ_CHECK(ev->fragments >= 1);
    FUZZ_CHECK(ev->full_len >= ev->len);
    FUZZ_CHECK(ev->truncated == (ev->full_len != ev->len));
    FUZZ_CHECK(!ev->truncated || ev->len == cfg->max_message);
    if (strict) {
      FUZZ_CHECK(!ev->truncated);
      FUZZ_CHECK(ev->fragments <= cfg->max_fragments);
    }
    /* STRICT text is valid UTF-8 unless compressed (then the inflater
     * checks it, and RSV1 must have been negotiated). */
    if (strict && ev->type == WS_MSG_TEXT && !ev->compressed)
      FUZZ_CHECK(utf8_dfa_validate(ev->data, ev->len, NULL));
    FUZZ_CHECK(!ev->compressed || (cfg->allowed_rsv & WS_RSV1) ||
               cfg->permessage_deflate);
    FUZZ_CHECK(ws_message_reader_heap_bytes(r) >= ev->len);
    break;
  case WS_MSG_PING:
  case WS_MSG_PONG:
    FUZZ_CHECK(ev->len <= WS_CONTROL_MAX_PAYLOAD);
    break;
  case WS_MSG_CLOSE:
    FUZZ_CHECK(ev->len <= WS_CONTROL_MAX_PAYLOAD);
    FUZZ_CHECK(ev->close_reason_len <= ev->len);
    if (strict) {
      FUZZ_CHECK(ev->len != 1);
      FUZZ_CHECK(ev->len == 0 ? ev->close_code == WS_CLOSE_NO_STATUS
                              : ws_close_code_is_valid(ev->close_code));
      FUZZ_CHECK(
          utf8_dfa_validate(ev->close_reason, ev->close_reason_len, NULL));
    }
    FUZZ_CHECK(ws_message_reader_state(r) == WS_STATE_CLOSE_RECEIVED ||
               ws_message_reader_state(r) == WS_STATE_CLOSED);
    break;
  case WS_MSG_VIOLATION:
    FUZZ_CHECK(!strict);
    FUZZ_CHECK(ev->violation > 0 && ev->violation < WS_E__COUNT);
    break;
  default:
    FUZZ_CHECK(!"unknown event type");
  }
}

static void log_event(fz_log *log, const ws_message_event *ev) {
  fz_log_byte(log, (uint8_t)ev->type);
  fz_log_u64(log, ev->len);
  if (ev->len)
    fz_log_put(log, ev->data, ev->len);
  fz_log_u64(log, ev->full_len);
  fz_log_byte(log, (uint8_t)(ev->truncated | ev->compressed << 1));
  fz_log_u64(log, ev->fragments);
  fz_log_u64(log, ev->close_code);
  fz_log_u64(log, ev->close_reason_len);
  fz_log_u64(log, (uint64_t)ev->violation);
}

/* Feeds one chunk; returns false once the reader has failed for good. */
static bool feed(ws_message_reader *r, const ws_message_config *cfg,
                 uint8_t *buf, size_t len, fz_log *log) {
  size_t used = 0;
  for (size_t guard = 0;; guard++) {
    FUZZ_CHECK(guard < 16 * (len + 4));
    size_t consumed = SIZE_MAX;
    ws_message_event ev;
    int rc = ws_message_read(r, buf + used, len - used, &consumed, &ev);
    FUZZ_CHECK(consumed <= len - used);
    used += consumed;
    FUZZ_CHECK(ws_message_reader_heap_bytes(r) <= cfg->max_message);
    if (rc < 0) {
      FUZZ_CHECK(rc == -WS_E_NOMEM || cfg->policy == WS_POLICY_STRICT);
      FUZZ_CHECK(-rc < WS_E__COUNT);
      FUZZ_CHECK(ws_message_reader_heap_bytes(r) == 0);
      uint8_t more = 0x81;
      FUZZ_CHECK(ws_message_read(r, &more, 1, &consumed, &ev) == rc);
      return false;
    }
    if (rc == 0) {
      FUZZ_CHECK(used == len);
      return true;
    }
    FUZZ_CHECK(rc == 1);
    check_event(r, &ev, cfg);
    log_event(log, &ev);
    if (ev.type == WS_MSG_TEXT || ev.type == WS_MSG_BINARY) {
      /* A call without bytes must release the delivered message at once
       * (an idle reader holds no heap), whatever it returns. */
      ws_message_event next;
      size_t none;
      rc = ws_message_read(r, NULL, 0, &none, &next);
      FUZZ_CHECK(ws_message_reader_heap_bytes(r) == 0);
      if (rc < 0)
        return false;
      if (rc == 1) {
        check_event(r, &next, cfg);
        log_event(log, &next);
      }
    }
  }
}

/* OBSERVE through ws_message_on_frame: our own decoder, every frame event
 * handed over, then the queue drained with frame == NULL. */
static void feed_frames(ws_message_reader *r, ws_frame_decoder *dec,
                        const ws_message_config *cfg, uint8_t *buf, size_t len,
                        fz_log *log) {
  size_t used = 0;
  for (size_t guard = 0;; guard++) {
    FUZZ_CHECK(guard < 16 * (len + 4));
    ws_frame_event fev;
    size_t consumed = 0;
    int rc = ws_frame_decode(dec, buf + used, len - used, &consumed, &fev);
    FUZZ_CHECK(rc >= 0);
    used += consumed;
    if (rc == 0)
      return;
    ws_message_event ev;
    const ws_frame_event *arg = &fev;
    while ((rc = ws_message_on_frame(r, arg, &ev)) == 1) {
      check_event(r, &ev, cfg);
      log_event(log, &ev);
      arg = NULL;
    }
    FUZZ_CHECK(rc == 0 || rc == -WS_E_NOMEM);
    if (rc < 0)
      return;
  }
}

static void run(const ws_message_config *cfg, const fz_input *data,
                fz_chunker chunker, bool close_sent, bool on_frame,
                fz_log *log) {
  ws_message_reader r;
  ws_message_reader_init(&r, cfg);
  FUZZ_CHECK(ws_message_reader_heap_bytes(&r) == 0);
  if (close_sent)
    ws_message_reader_close_sent(&r);
  /* Same decoder configuration as the reader builds for itself. */
  ws_frame_decoder dec;
  ws_frame_decoder_config fc = {
      .sender = cfg->sender,
      .policy = cfg->policy,
      .allowed_rsv = cfg->allowed_rsv | (cfg->permessage_deflate ? WS_RSV1 : 0),
      .max_frame_length = cfg->max_message < WS_CONTROL_MAX_PAYLOAD
                              ? WS_CONTROL_MAX_PAYLOAD
                              : cfg->max_message,
  };
  ws_frame_decoder_init(&dec, &fc);
  bool alive = true;
  fz_scratch scratch;
  fz_scratch_init(&scratch, data->n);
  for (size_t off = 0; alive && off < data->n;) {
    size_t n = fz_chunk_next(&chunker, data->n - off);
    uint8_t *chunk = fz_scratch_copy(&scratch, data->p + off, n);
    if (on_frame)
      feed_frames(&r, &dec, cfg, chunk, n, log);
    else
      alive = feed(&r, cfg, chunk, n, log);
    off += n;
  }
  fz_scratch_free(&scratch);
  ws_message_reader_free(&r);
  FUZZ_CHECK(ws_message_reader_heap_bytes(&r) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint8_t flags = fz_u8(&in);
  uint8_t max_message = fz_u8(&in);
  uint8_t max_fragments = fz_u8(&in);
  ws_message_config cfg = {
      .sender = flags & 1 ? WS_SENDER_SERVER : WS_SENDER_CLIENT,
      .allowed_rsv = (flags >> 1) & 7,
      .permessage_deflate = (flags >> 5) & 1,
      /* Small limits, so the fuzzer reaches them with short inputs. */
      .max_message = (size_t)max_message * 8 + 1,
      .max_fragments = (uint32_t)(max_fragments & 31) + 1,
  };
  fz_chunker chunker;
  fz_chunker_init(&chunker, &in);
  bool close_sent = (flags >> 4) & 1;
  fz_log read_log = {0}, frame_log = {0};
  cfg.policy = WS_POLICY_STRICT;
  run(&cfg, &in, chunker, close_sent, false, &read_log);
  fz_log_free(&read_log);
  cfg.policy = WS_POLICY_OBSERVE;
  run(&cfg, &in, chunker, close_sent, false, &read_log);
  run(&cfg, &in, chunker, close_sent, true, &frame_log);
  FUZZ_CHECK(fz_log_equal(&read_log, &frame_log));
  fz_log_free(&read_log);
  fz_log_free(&frame_log);
  return 0;
}
