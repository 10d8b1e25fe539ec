/* permessage-deflate decompression over zlib, bounded (inflate.h). */
#include "codec/inflate.h"

#include "codec/errors.h"
#include "codec/hooks.h"
#include "codec/message.h"
#include "codec/zlib_heap.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* zlib counts in uInt: bigger pieces go in slices of at most this. */
#define SLICE ((size_t)1 << 30)

/* Room made for output before zlib runs: as much as the input it has (a
 * guess; the buffer doubles when it is short), at most GUESS_MAX, so a large
 * piece does not reserve far more than it may inflate to, and never past the
 * message's limit. */
#define GUESS_MAX ((size_t)256 * 1024)
#define MIN_ROOM 256

/* RFC 7692 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end
 * of the payload of the message." */
static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};

struct ws_inflater {
  ws_inflater_config config;
  z_stream z;
  bool z_live;          /* inflateInit2 done, inflateEnd not yet */
  size_t zlib_bytes;    /* what zlib holds (zlib_heap.h) */
  bool in_message;      /* a piece of the current message was fed */
  bool skip_message;    /* OBSERVE: this message failed; ignore its rest */
  bool stream_ended;    /* a final block ended zlib's stream and no byte
                           has come after it yet */
  bool at_boundary;     /* the last inflate() that moved ended between
                           blocks (see finish_message) */
  bool context_lost;    /* OBSERVE, takeover: an error lost the window */
  uint64_t message_len; /* bytes the current message inflated to so far */
  int error;            /* sticky, negative (STRICT, or out of memory) */
  char detail[64];      /* zlib's message for the last DEFLATE error */
};

static bool valid_bits(int bits) {
  return bits == 0 || (bits >= 8 && bits <= 15);
}

int ws_inflater_new(const ws_inflater_config *config, ws_inflater **out) {
  ws_inflater_config c = {0};
  if (config)
    c = *config;
  if (!valid_bits(c.window_bits) ||
      (c.policy != WS_POLICY_STRICT && c.policy != WS_POLICY_OBSERVE))
    return -WS_E_INVALID_ARGUMENT;
  if (c.max_message == 0)
    c.max_message = WS_DEFAULT_MAX_MESSAGE;
  ws_inflater *inf = ws_malloc(sizeof *inf);
  if (!inf)
    return -WS_E_NOMEM;
  memset(inf, 0, sizeof *inf);
  inf->config = c;
  *out = inf;
  return 0;
}

static void end_stream(ws_inflater *inf) {
  if (inf->z_live)
    inflateEnd(&inf->z);
  inf->z_live = false;
  inf->stream_ended = false;
}

void ws_inflater_free(ws_inflater *inf) {
  if (!inf)
    return;
  end_stream(inf);
  ws_free(inf);
}

const char *ws_inflater_error_detail(const ws_inflater *inf) {
  return inf->detail;
}

size_t ws_inflater_heap_bytes(const ws_inflater *inf) {
  return sizeof *inf + inf->zlib_bytes;
}

/* Raw inflate (negative windowBits): RFC 7692 7.2.2 data has no zlib header
 * or trailer. 8 is used as is (inflate.h). */
static int start_stream(ws_inflater *inf) {
  int bits = inf->config.window_bits ? inf->config.window_bits : 15;
  memset(&inf->z, 0, sizeof inf->z);
  ws_zlib_heap_attach(&inf->z, &inf->zlib_bytes);
  if (inflateInit2(&inf->z, -bits) != Z_OK) {
    inf->zlib_bytes = 0; /* only memory can fail: bits were checked */
    return -WS_E_NOMEM;
  }
  inf->z_live = true;
  inf->stream_ended = false;
  return 0;
}

/* Bytes after a final block (RFC 7692 7.2.3.4): a new DEFLATE stream that
 * continues the same sliding window, so the new stream starts with the old
 * one's window as its dictionary (zlib.h: for raw inflate,
 * inflateSetDictionary "can be called at any time"). */
static int restart_after_final(ws_inflater *inf) {
  uInt len = 0;
  uint8_t *dict = NULL;
  int rc = inflateGetDictionary(&inf->z, Z_NULL, &len);
  if (rc == Z_OK && len > 0) {
    dict = ws_malloc(len);
    if (!dict)
      return -WS_E_NOMEM;
    rc = inflateGetDictionary(&inf->z, dict, &len);
  }
  if (rc == Z_OK)
    rc = inflateReset(&inf->z);
  if (rc == Z_OK && len > 0)
    rc = inflateSetDictionary(&inf->z, dict, len);
  ws_free(dict);
  inf->stream_ended = false;
  if (rc == Z_MEM_ERROR)
    return -WS_E_NOMEM;
  return rc == Z_OK ? 0 : -WS_E_STATE;
}

static int data_error(ws_inflater *inf) {
  snprintf(inf->detail, sizeof inf->detail, "%s",
           inf->z.msg ? inf->z.msg : "invalid DEFLATE data");
  return -WS_E_DEFLATE_DATA;
}

/* Output goes to *out while the message is under its limit; at the limit to
 * a scratch byte that is never kept: if zlib writes it, the message is too
 * big, if not (the rest was block ends or the empty stored block), the
 * message was exactly max_message bytes. The buffer never grows past the
 * message's budget, whatever the peer declares or sends. */
static int inflate_piece(ws_inflater *inf, const uint8_t *in, size_t len,
                         ws_bytebuf *out) {
  z_stream *z = &inf->z;
  z->next_in = (Bytef *)(uintptr_t)in;
  z->avail_in = (uInt)len;
  for (;;) {
    if (inf->stream_ended) {
      if (z->avail_in == 0)
        return 0;
      int rc = restart_after_final(inf);
      if (rc < 0)
        return rc;
    }
    uint64_t budget = inf->config.max_message - inf->message_len;
    uint8_t scratch;
    uint8_t *dst = &scratch;
    size_t room = 1;
    if (budget > 0) {
      size_t limit =
          budget > SIZE_MAX - out->len ? SIZE_MAX : out->len + (size_t)budget;
      size_t want =
          (z->avail_in < GUESS_MAX ? z->avail_in : GUESS_MAX) + MIN_ROOM;
      if (ws_bytebuf_reserve(out, want, limit) < 0)
        return -WS_E_NOMEM;
      room = out->cap - out->len;
      if (room > budget)
        room = (size_t)budget;
      dst = out->data + out->len;
    }
    /* exact_window: with one byte of room, every match is copied from
     * zlib's window (none from this call's output), so every distance is
     * checked against the agreed window. */
    if (inf->config.exact_window)
      room = 1;
    else if (room > UINT_MAX)
      room = UINT_MAX;
    z->next_out = dst;
    z->avail_out = (uInt)room;
    uInt in_before = z->avail_in;
    int rc = inflate(z, Z_SYNC_FLUSH);
    size_t produced = room - z->avail_out;
    bool progress = produced > 0 || z->avail_in != in_before;
    if (progress)
      inf->at_boundary = (z->data_type & 128) != 0;
    if (dst == &scratch) {
      if (produced > 0)
        return -WS_E_DEFLATE_TOO_BIG;
    } else {
      out->len += produced;
      inf->message_len += produced;
    }
    switch (rc) {
    case Z_OK:
    case Z_BUF_ERROR: /* no progress possible: more input needed */
      break;
    case Z_STREAM_END:
      inf->stream_ended = true;
      continue;
    case Z_MEM_ERROR:
      return -WS_E_NOMEM;
    default: /* Z_DATA_ERROR, or Z_NEED_DICT (no raw stream asks) */
      return data_error(inf);
    }
    /* Done when zlib had room to spare with no input left: nothing of this
     * piece is still pending. */
    if (z->avail_in == 0 && z->avail_out > 0)
      return 0;
    if (!progress && z->avail_out > 0)
      return -WS_E_STATE; /* zlib made no progress with input and room */
  }
}

/* RFC 7692 7.2.2 step 1, then the check that the message ended where a
 * sender following 7.2.1 ends it: at a block boundary (zlib.h: data_type
 * "plus 128 if inflate() returned immediately after decoding an end-of-block
 * code", which includes the end of the empty stored block the 4 octets
 * complete). Only a call that moved says so: one that found nothing to do
 * leaves zlib between states and clears the bit, hence at_boundary. A
 * message whose final block ended the stream needs no octets appended. */
static int finish_message(ws_inflater *inf, ws_bytebuf *out) {
  if (inf->stream_ended)
    return 0;
  int rc = inflate_piece(inf, tail, sizeof tail, out);
  if (rc < 0)
    return rc;
  if (!inf->stream_ended && !inf->at_boundary)
    return -WS_E_DEFLATE_UNFINISHED;
  return 0;
}

static void end_message(ws_inflater *inf) {
  inf->in_message = false;
  /* RFC 7692 7.1.1.1 / 7.1.1.2: without context takeover the peer's next
   * message starts from an empty window; freeing the state (rather than
   * inflateReset) also makes an idle inflater cost nothing. */
  if (inf->config.no_context_takeover)
    end_stream(inf);
}

static int begin_message(ws_inflater *inf) {
  inf->in_message = true;
  inf->skip_message = false;
  inf->message_len = 0;
  if (inf->context_lost) {
    inf->skip_message = true;
    return -WS_E_DEFLATE_CONTEXT_LOST;
  }
  return inf->z_live ? 0 : start_stream(inf);
}

static int fail(ws_inflater *inf, int err, bool fin) {
  if (err == -WS_E_NOMEM || inf->config.policy == WS_POLICY_STRICT) {
    inf->error = err;
    end_stream(inf);
    return err;
  }
  /* OBSERVE: report once, skip the rest of this message. Its inflation
   * stopped midway, so a window shared with later messages is gone. */
  inf->skip_message = true;
  if (!inf->config.no_context_takeover)
    inf->context_lost = true;
  end_stream(inf);
  if (fin)
    end_message(inf);
  return err;
}

int ws_inflater_feed(ws_inflater *inf, const uint8_t *data, size_t len,
                     bool fin, ws_bytebuf *out) {
  if (inf->error)
    return inf->error;
  int rc;
  if (!inf->in_message && (rc = begin_message(inf)) < 0)
    return fail(inf, rc, fin);
  if (inf->skip_message) {
    if (fin)
      end_message(inf);
    return 0;
  }
  for (; len > SLICE; data += SLICE, len -= SLICE)
    if ((rc = inflate_piece(inf, data, SLICE, out)) < 0)
      return fail(inf, rc, fin);
  rc = inflate_piece(inf, data, len, out);
  if (rc == 0 && fin)
    rc = finish_message(inf, out);
  if (rc < 0)
    return fail(inf, rc, fin);
  if (fin)
    end_message(inf);
  return 0;
}
