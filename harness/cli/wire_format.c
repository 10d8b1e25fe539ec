#include "cli/wire_format.h"
#include "codec/close.h"
#include "codec/errors.h"
#include "reports/utf8_text.h"

#include <stdlib.h>
#include <string.h>

#define DETAIL_INDENT 14 /* under the entry's direction column */

static void stream_init(ws_wire_stream *s, enum ws_sender sender,
                        bool deflate) {
  memset(s, 0, sizeof *s);
  s->mode = WS_WIRE_HTTP;
  /* OBSERVE: every violation is shown, and decoding goes on. With
   * permessage-deflate agreed RSV1 marks a compressed message (where it
   * may not stand, the engine's own notes say so). */
  ws_frame_decoder_config cfg = {.sender = sender,
                                 .policy = WS_POLICY_OBSERVE,
                                 .allowed_rsv = deflate ? WS_RSV1 : 0};
  ws_frame_decoder_init(&s->dec, &cfg);
}

static void formatter_init(ws_wire_formatter *f, bool deflate) {
  stream_init(&f->tx, WS_SENDER_CLIENT, deflate);
  stream_init(&f->rx, WS_SENDER_SERVER, deflate);
  f->max_dump = WS_WIRE_DUMP_DEFAULT;
}

void ws_wire_formatter_init(ws_wire_formatter *f) { formatter_init(f, false); }

void ws_wire_formatter_skip_http(ws_wire_formatter *f) {
  f->tx.mode = WS_WIRE_FRAMES;
  f->rx.mode = WS_WIRE_FRAMES;
}

static void pad(FILE *out, int n) { fprintf(out, "%*s", n, ""); }

size_t ws_wire_printable_utf8(const uint8_t *p, size_t n) {
  size_t len = ws_text_utf8_len(p, n);
  if (len < 2)
    return 0;
  uint32_t cp = p[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++)
    cp = cp << 6 | (p[i] & 0x3F);
  /* C1 controls act on a terminal like C0 ones; the line and paragraph
   * separators and the bidirectional controls move or reorder the rest of
   * the line, so a trace could show other bytes than it holds. */
  bool control = cp <= 0x9F || (cp >= 0x2028 && cp <= 0x202E) ||
                 (cp >= 0x2066 && cp <= 0x2069);
  return control ? 0 : len;
}

/* Bytes as a single-quoted string with C-style escapes; well-formed UTF-8
 * text is shown as text. A character cut by max is escaped bytewise. */
static void quoted(FILE *out, const uint8_t *p, size_t len, size_t max) {
  size_t end = len < max ? len : max;
  fputc('\'', out);
  for (size_t i = 0; i < end; i++) {
    size_t n = ws_wire_printable_utf8(p + i, end - i);
    if (n) {
      fwrite(p + i, 1, n, out);
      i += n - 1;
    } else if (p[i] == '\'' || p[i] == '\\')
      fprintf(out, "\\%c", p[i]);
    else if (p[i] >= 0x20 && p[i] < 0x7F)
      fputc(p[i], out);
    else
      fprintf(out, "\\x%02x", p[i]);
  }
  fputs(len > max ? "'..." : "'", out);
}

void ws_wire_hexdump(FILE *out, const uint8_t *bytes, size_t len, size_t max,
                     int indent) {
  size_t shown = max && len > max ? max : len;
  for (size_t off = 0; off < shown; off += 16) {
    pad(out, indent);
    fprintf(out, "%04zx ", off);
    for (size_t i = 0; i < 16; i++) {
      if (i == 8)
        fputc(' ', out);
      if (off + i < shown)
        fprintf(out, " %02x", bytes[off + i]);
      else
        fputs("   ", out);
    }
    fputs("  |", out);
    for (size_t i = 0; i < 16 && off + i < shown; i++) {
      uint8_t c = bytes[off + i];
      fputc(c >= 0x20 && c < 0x7F ? c : '.', out);
    }
    fputs("|\n", out);
  }
  if (shown < len) {
    pad(out, indent);
    fprintf(out, "... %zu more bytes not shown (results.json has them all)\n",
            len - shown);
  }
}

/* ---- HTTP ---- */

static void http_line_done(ws_wire_stream *s, FILE *out, bool is_rx) {
  size_t n = s->line_len;
  if (n && s->line[n - 1] == '\r')
    n--;
  pad(out, DETAIL_INDENT);
  fputs("| ", out);
  quoted(out, (const uint8_t *)s->line, n, n);
  fputc('\n', out);
  if (!s->first_line_done) {
    s->first_line_done = true;
    /* "HTTP/1.1 101 ..." */
    const char *sp = memchr(s->line, ' ', n);
    s->upgraded_status = is_rx && sp && (size_t)(sp - s->line) + 4 <= n &&
                         memcmp(sp + 1, "101", 3) == 0;
  }
  if (n == 0) {
    /* The end of the header block: a request is followed by frames; a
     * response only when it is a 101. */
    s->mode = !is_rx || s->upgraded_status ? WS_WIRE_FRAMES : WS_WIRE_BODY;
  }
  s->line_len = 0;
}

/* Consumes HTTP bytes up to the end of the header block; returns how many. */
static size_t http_feed(ws_wire_stream *s, FILE *out, const uint8_t *p,
                        size_t len, bool is_rx) {
  size_t i = 0;
  while (i < len && s->mode == WS_WIRE_HTTP) {
    uint8_t c = p[i++];
    if (c == '\n') {
      http_line_done(s, out, is_rx);
      continue;
    }
    if (s->line_len == sizeof s->line) {
      /* An overlong line is shown in pieces rather than kept whole. */
      http_line_done(s, out, is_rx);
    }
    s->line[s->line_len++] = (char)c;
  }
  return i;
}

/* ---- frames ---- */

static void frame_header_line(FILE *out, const ws_frame_header *h) {
  pad(out, DETAIL_INDENT);
  fprintf(out, "frame %s FIN=%d RSV=%d%d%d MASK=%d", ws_opcode_name(h->opcode),
          h->fin ? 1 : 0, (h->rsv >> 2) & 1, (h->rsv >> 1) & 1, h->rsv & 1,
          h->masked ? 1 : 0);
  if (h->masked)
    fprintf(out, " key=%02x%02x%02x%02x", h->mask_key[0], h->mask_key[1],
            h->mask_key[2], h->mask_key[3]);
  fprintf(out, " len=%llu", (unsigned long long)h->length);
  if (h->length_size)
    fprintf(out, " (%d-bit length field)", h->length_size == 2 ? 16 : 64);
  fputc('\n', out);
}

static void frame_end_line(ws_wire_stream *s, FILE *out) {
  const ws_frame_header *h = &s->dec.header;
  if (h->opcode == WS_OP_CLOSE) {
    pad(out, DETAIL_INDENT + 2);
    if (s->preview_len == 0) {
      fputs("close (no payload)\n", out);
      return;
    }
    uint16_t code = WS_CLOSE_NO_STATUS;
    const uint8_t *reason = NULL;
    size_t reason_len = 0;
    ws_close_parse(s->preview, s->preview_len, &code, &reason, &reason_len);
    fprintf(out, "close %u ", (unsigned)code);
    quoted(out, reason ? reason : s->preview, reason_len, 125);
    fputc('\n', out);
    return;
  }
  if (h->length == 0)
    return;
  pad(out, DETAIL_INDENT + 2);
  fputs("payload ", out);
  size_t show = ws_opcode_is_control(h->opcode) ? 125 : 48;
  quoted(out, s->preview, s->preview_len, show);
  if (h->length > s->preview_len)
    fputs("...", out);
  fputc('\n', out);
}

static void frames_feed(ws_wire_stream *s, FILE *out, uint8_t *p, size_t len) {
  /* Called until it asks for bytes: the END of an empty frame and pending
   * violations come without consuming any. */
  for (;;) {
    size_t used = 0;
    ws_frame_event ev;
    int rc = ws_frame_decode(&s->dec, p, len, &used, &ev);
    p += used;
    len -= used;
    if (rc <= 0)
      break; /* need more bytes (OBSERVE never fails) */
    switch (ev.type) {
    case WS_FRAME_HEADER:
      frame_header_line(out, ev.header);
      s->preview_len = 0;
      break;
    case WS_FRAME_PAYLOAD:
      if (ev.offset < sizeof s->preview) {
        size_t room = sizeof s->preview - (size_t)ev.offset;
        size_t n = ev.len < room ? ev.len : room;
        memcpy(s->preview + ev.offset, ev.data, n);
        if ((size_t)ev.offset + n > s->preview_len)
          s->preview_len = (size_t)ev.offset + n;
      }
      break;
    case WS_FRAME_END:
      frame_end_line(s, out);
      break;
    case WS_FRAME_VIOLATION:
      pad(out, DETAIL_INDENT + 2);
      fprintf(out, "! %s\n", ws_error_message(ev.violation));
      break;
    }
  }
}

static void stream_feed(ws_wire_stream *s, FILE *out, const uint8_t *bytes,
                        size_t len, bool is_rx) {
  size_t used = 0;
  if (s->mode == WS_WIRE_HTTP)
    used = http_feed(s, out, bytes, len, is_rx);
  if (used == len)
    return;
  if (s->mode == WS_WIRE_BODY) {
    pad(out, DETAIL_INDENT);
    fprintf(out, "%zu bytes after the HTTP response\n", len - used);
    return;
  }
  /* The decoder unmasks in place: work on a copy, the log stays as sent. */
  uint8_t *copy = malloc(len - used);
  if (!copy) {
    pad(out, DETAIL_INDENT);
    fputs("(out of memory: frames not decoded)\n", out);
    return;
  }
  memcpy(copy, bytes + used, len - used);
  frames_feed(s, out, copy, len - used);
  free(copy);
}

void ws_wire_format_entry(ws_wire_formatter *f, FILE *out, double t_ms,
                          const char *dir, const uint8_t *bytes, size_t len,
                          const char *note) {
  bool tx = dir && strcmp(dir, "tx") == 0;
  bool rx = dir && strcmp(dir, "rx") == 0;
  if (!tx && !rx) {
    fprintf(out, "%9.3f ms  --  %s\n", t_ms, note ? note : "");
    return;
  }
  fprintf(out, "%9.3f ms  %s  %zu byte%s", t_ms, tx ? "->" : "<-", len,
          len == 1 ? "" : "s");
  if (note)
    fprintf(out, "  (%s)", note);
  fputc('\n', out);
  ws_wire_format_bytes(f, out, rx, bytes, len);
}

void ws_wire_format_bytes(ws_wire_formatter *f, FILE *out, bool rx,
                          const uint8_t *bytes, size_t len) {
  stream_feed(rx ? &f->rx : &f->tx, out, bytes, len, rx);
  ws_wire_hexdump(out, bytes, len, f->max_dump, DETAIL_INDENT);
}

static const char *dir_name(enum ws_wire_dir d) {
  return d == WS_WIRE_TX ? "tx" : d == WS_WIRE_RX ? "rx" : "note";
}

void ws_wire_format_observation(FILE *out, const ws_observation *obs) {
  ws_wire_formatter f;
  formatter_init(&f, obs->deflate);
  for (size_t i = 0; i < obs->wire_count; i++) {
    const ws_wire_entry *e = &obs->wire[i];
    ws_wire_format_entry(&f, out, e->t_ms, dir_name(e->dir), e->bytes, e->len,
                         e->note);
  }
  if (obs->wire_truncated)
    fputs("          (wire log cut at its size bound)\n", out);
}

void ws_wire_format_result(FILE *out, const ws_case_result *r) {
  ws_wire_formatter f;
  formatter_init(&f, r->deflate != NULL);
  for (size_t i = 0; i < r->wire_count; i++) {
    const ws_result_wire *e = &r->wire[i];
    ws_wire_format_entry(&f, out, e->t_ms, e->dir, e->bytes, e->len, e->note);
  }
  if (r->wire_truncated)
    fputs("          (wire log cut at its size bound)\n", out);
}
