/* The wire log of one case, decoded for the HTML report at write time and
 * embedded as JSON, which report.js renders when the case is opened.
 *
 * Each direction is a stream: HTTP lines up to the end of the header block,
 * then WebSocket frames (or, after a response other than 101, a body). The
 * state carries across entries because a header, a line or a payload may be
 * cut across several writes (chops, TCP segments). Frames go through the
 * codec's own decoder (codec/frame.h), one per direction kept across entries,
 * in OBSERVE mode: every violation is listed on its frame and decoding goes
 * on, so the page judges the bytes by the same rules as the harness. Nothing
 * here trusts a length from the wire: a frame declaring 2^63 bytes simply
 * consumes what follows, and a header cut short is shown as a partial
 * header. */
#include "reports/html_internal.h"

#include "codec/errors.h"
#include "codec/frame.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 1024
#define PREVIEW_MAX WS_CONTROL_MAX_PAYLOAD /* a whole control payload */
#define PREVIEW_DATA 64                    /* shown of a data frame */
#define WARN_MAX 9   /* the codec's frame violations, each once at most */
#define SCRATCH 4096 /* bytes copied for the decoder at a time */
#define NONE ((size_t)-1)

enum row_kind { ROW_HTTP, ROW_FRAME, ROW_CONT, ROW_PART, ROW_BODY };
enum eol { EOL_CRLF, EOL_LF, EOL_NONE };
enum mode { MODE_HTTP, MODE_FRAMES, MODE_BODY };

typedef struct frame_info {
  ws_frame_header h;
  uint8_t warn[WARN_MAX]; /* WS_E_x, in the order the codec reports them */
  uint8_t nwarn;
  uint64_t got;
  uint8_t pv[PREVIEW_MAX];
  size_t no; /* 1-based, over the case */
} frame_info;

typedef struct row {
  uint8_t kind, eol;
  size_t entry, seq;
  long at;    /* offset in the entry, -1: began in an earlier entry */
  uint64_t n; /* bytes of this row in the entry */
  uint8_t *text;
  size_t text_len;
  size_t frame; /* index in frames (ROW_FRAME, ROW_CONT) */
  uint64_t from;
} row;

typedef struct stream {
  bool rx;
  enum mode mode;
  bool first_line_done, upgraded, line_open;
  uint8_t line[LINE_MAX_BYTES];
  size_t line_len;
  long line_at;
  ws_frame_decoder dec;
  bool in_frame;       /* between the HEADER and END events of a frame */
  bool hdr_open;       /* some bytes of the next header are in */
  size_t hdr_in_entry; /* ... and this many of them in the current entry */
  long hdr_at;
  uint64_t off; /* payload bytes of the current frame so far */
  size_t frame; /* NONE when the row was not kept */
  size_t last_entry;
} stream;

typedef struct decoder {
  row *rows;
  size_t nrows, rcap, omitted;
  frame_info *frames;
  size_t nframes, fcap, frames_seen;
  bool oom;
  stream tx, rx;
} decoder;

/* A new row for entry e, or NULL when the page's row bound is reached (the
 * decoding goes on; the page says how many rows it left out). */
static row *add_row(decoder *d, enum row_kind kind, size_t e, long at) {
  if (d->nrows >= WS_HTML_ROWS_MAX) {
    d->omitted++;
    return NULL;
  }
  if (d->nrows == d->rcap) {
    size_t cap = d->rcap ? d->rcap * 2 : 64;
    row *r = realloc(d->rows, cap * sizeof *r);
    if (!r) {
      d->oom = true;
      return NULL;
    }
    d->rows = r;
    d->rcap = cap;
  }
  row *r = &d->rows[d->nrows];
  memset(r, 0, sizeof *r);
  r->kind = (uint8_t)kind;
  r->entry = e;
  r->seq = d->nrows++;
  r->at = at;
  r->frame = NONE;
  return r;
}

static size_t add_frame(decoder *d) {
  if (d->nframes == d->fcap) {
    size_t cap = d->fcap ? d->fcap * 2 : 32;
    frame_info *f = realloc(d->frames, cap * sizeof *f);
    if (!f) {
      d->oom = true;
      return NONE;
    }
    d->frames = f;
    d->fcap = cap;
  }
  memset(&d->frames[d->nframes], 0, sizeof d->frames[0]);
  return d->nframes++;
}

/* ---- HTTP ---- */

static void line_done(decoder *d, stream *s, size_t e, enum eol eol) {
  size_t n = s->line_len;
  if (eol == EOL_LF && n && s->line[n - 1] == '\r') {
    n--;
    eol = EOL_CRLF;
  }
  if (!s->first_line_done) {
    s->first_line_done = true;
    /* "HTTP/1.1 101 Switching Protocols" */
    const uint8_t *sp = memchr(s->line, ' ', n);
    size_t rest = sp ? n - (size_t)(sp + 1 - s->line) : 0;
    s->upgraded = s->rx && sp && rest >= 3 && memcmp(sp + 1, "101", 3) == 0 &&
                  (rest == 3 || sp[4] == ' ');
  }
  row *r = add_row(d, ROW_HTTP, e, s->line_at);
  if (r) {
    r->eol = (uint8_t)eol;
    r->text = malloc(n ? n : 1);
    if (!r->text)
      d->oom = true;
    else
      memcpy(r->text, s->line, n);
    r->text_len = r->text ? n : 0;
  }
  /* An empty line ends the header block: a request is followed by frames, a
   * response only when it is a 101. */
  if (n == 0 && eol != EOL_NONE)
    s->mode = !s->rx || s->upgraded ? MODE_FRAMES : MODE_BODY;
  s->line_len = 0;
  s->line_open = false;
}

static size_t http_feed(decoder *d, stream *s, size_t e, const uint8_t *p,
                        size_t len, size_t pos) {
  while (pos < len && s->mode == MODE_HTTP) {
    if (!s->line_open) {
      s->line_open = true;
      s->line_at = (long)pos;
    }
    uint8_t c = p[pos++];
    if (c == '\n') {
      line_done(d, s, e, EOL_LF);
      continue;
    }
    if (s->line_len == sizeof s->line) { /* shown in pieces, not kept whole */
      line_done(d, s, e, EOL_NONE);
      s->line_open = true;
      s->line_at = (long)pos - 1;
    }
    s->line[s->line_len++] = c;
  }
  return pos;
}

/* ---- frames ---- */

/* The header is complete: a frame row where it began. */
static void on_header(decoder *d, stream *s, size_t e,
                      const ws_frame_header *h) {
  size_t no = ++d->frames_seen;
  row *r = add_row(d, ROW_FRAME, e, s->hdr_at);
  s->frame = r ? add_frame(d) : NONE;
  if (s->frame != NONE) {
    d->frames[s->frame].h = *h;
    d->frames[s->frame].no = no;
    r->frame = s->frame;
  }
  s->in_frame = true;
  s->hdr_open = false;
  s->hdr_in_entry = 0;
  s->off = 0;
}

static void on_event(decoder *d, stream *s, size_t e,
                     const ws_frame_event *ev) {
  frame_info *f = s->frame != NONE ? &d->frames[s->frame] : NULL;
  switch (ev->type) {
  case WS_FRAME_HEADER:
    on_header(d, s, e, ev->header);
    break;
  case WS_FRAME_VIOLATION:
    if (f && f->nwarn < WARN_MAX)
      f->warn[f->nwarn++] = (uint8_t)ev->violation;
    break;
  case WS_FRAME_PAYLOAD:
    if (f && ev->offset < PREVIEW_MAX) {
      size_t room = PREVIEW_MAX - (size_t)ev->offset;
      memcpy(f->pv + ev->offset, ev->data, ev->len < room ? ev->len : room);
    }
    if (f)
      f->got += ev->len;
    s->off += ev->len;
    break;
  case WS_FRAME_END:
    s->in_frame = false;
    break;
  }
}

/* Decodes buf, a copy of the entry's bytes from offset at, to the last event
 * it allows. Bytes taken outside a frame are header bytes: the first of them
 * tells where the frame row goes. */
static void decode_chunk(decoder *d, stream *s, size_t e, uint8_t *buf,
                         size_t len, size_t at) {
  size_t pos = 0;
  for (;;) {
    size_t used = 0;
    ws_frame_event ev;
    bool header_bytes = !s->in_frame;
    int rc = ws_frame_decode(&s->dec, buf + pos, len - pos, &used, &ev);
    if (header_bytes && used) {
      if (!s->hdr_open)
        s->hdr_at = (long)(at + pos);
      s->hdr_open = true;
      s->hdr_in_entry += used;
    }
    pos += used;
    if (rc != 1) /* 0: all taken, waiting for more (OBSERVE never fails) */
      return;
    on_event(d, s, e, &ev);
  }
}

static void frames_feed(decoder *d, stream *s, size_t e, const uint8_t *p,
                        size_t len, size_t pos) {
  if (s->in_frame) { /* a payload from an earlier entry goes on */
    uint64_t left = ws_frame_decoder_header(&s->dec)->length - s->off;
    row *r = add_row(d, ROW_CONT, e, (long)pos);
    if (r) {
      r->frame = s->frame;
      r->from = s->off;
      r->n = left < len - pos ? left : len - pos;
    }
  }
  /* The decoder unmasks in place: it works on a copy, never on the result's
   * bytes, which the hex dump and results.json show as they were sent. */
  uint8_t scratch[SCRATCH];
  while (pos < len) {
    size_t n = len - pos < sizeof scratch ? len - pos : sizeof scratch;
    memcpy(scratch, p + pos, n);
    decode_chunk(d, s, e, scratch, n, pos);
    pos += n;
  }
  if (s->hdr_in_entry) { /* a header still waiting for its other bytes */
    row *r = add_row(d, ROW_PART, e, s->hdr_at);
    if (r)
      r->n = s->hdr_in_entry;
  }
}

static void stream_feed(decoder *d, stream *s, size_t e, const uint8_t *p,
                        size_t len) {
  s->last_entry = e;
  s->line_at = -1; /* whatever is pending began in an earlier entry */
  s->hdr_at = -1;
  s->hdr_in_entry = 0;
  size_t pos = 0;
  if (s->mode == MODE_HTTP)
    pos = http_feed(d, s, e, p, len, pos);
  if (pos < len && s->mode == MODE_BODY) {
    row *r = add_row(d, ROW_BODY, e, (long)pos);
    if (r)
      r->n = len - pos;
  } else if (pos < len) {
    frames_feed(d, s, e, p, len, pos);
  }
}

/* ---- JSON ---- */

static void json_u64(FILE *out, const char *key, uint64_t v) {
  /* As a string: a JavaScript number loses 64-bit lengths. */
  fprintf(out, ",\"%s\":\"%llu\"", key, (unsigned long long)v);
}

/* A warning on a frame row: the codec's own sentence for the violation. */
static void warn_json(FILE *out, bool *first, int err) {
  fputs(*first ? ",\"warn\":[" : ",", out);
  ws_html_json_cstr(out, ws_error_message(err));
  *first = false;
}

static void frame_json(FILE *out, const frame_info *f) {
  const ws_frame_header *h = &f->h;
  fprintf(out, ",\"no\":%zu,\"op\":\"%s\",\"fin\":%s", f->no,
          ws_opcode_name(h->opcode), h->fin ? "true" : "false");
  fprintf(out, ",\"rsv\":\"%u%u%u\",\"lf\":%u,\"hl\":%u", (h->rsv >> 2) & 1,
          (h->rsv >> 1) & 1, h->rsv & 1,
          h->length_size ? h->length_size * 8u : 7u, h->header_size);
  if (h->masked)
    fprintf(out, ",\"key\":\"%02x%02x%02x%02x\"", h->mask_key[0],
            h->mask_key[1], h->mask_key[2], h->mask_key[3]);
  json_u64(out, "len", h->length);
  json_u64(out, "got", f->got);
  size_t have = f->got < PREVIEW_MAX ? (size_t)f->got : PREVIEW_MAX;
  size_t pv_off = 0;
  bool close = h->opcode == WS_OP_CLOSE;
  if (close && have >= 2) { /* close: code, then the reason */
    fprintf(out, ",\"code\":%u", (unsigned)(f->pv[0] << 8 | f->pv[1]));
    pv_off = 2;
  }
  size_t show = ws_opcode_is_control(h->opcode) ? have
                : have < PREVIEW_DATA           ? have
                                                : PREVIEW_DATA;
  if (show > pv_off) {
    fputs(",\"pv\":", out);
    ws_html_json_display(out, f->pv + pv_off, show - pv_off);
  }
  if (h->length > show)
    fputs(",\"pvMore\":true", out);
  bool first = true;
  for (size_t i = 0; i < f->nwarn; i++)
    warn_json(out, &first, f->warn[i]);
  if (close && h->length == 1) /* RFC 6455 5.5.1: a code is 2 bytes */
    warn_json(out, &first, WS_E_CLOSE_PAYLOAD_1_BYTE);
  if (!first)
    fputc(']', out);
}

static void row_json(FILE *out, const decoder *d, const row *r) {
  static const char *const kinds[] = {"http", "frame", "cont", "part", "body"};
  static const char *const eols[] = {"crlf", "lf", "none"};
  fprintf(out, "{\"k\":\"%s\",\"at\":%ld", kinds[r->kind], r->at);
  const frame_info *f = r->frame != NONE ? &d->frames[r->frame] : NULL;
  switch (r->kind) {
  case ROW_HTTP:
    fprintf(out, ",\"eol\":\"%s\",\"text\":", eols[r->eol]);
    ws_html_json_display(out, r->text, r->text_len);
    break;
  case ROW_FRAME:
    if (f)
      frame_json(out, f);
    break;
  case ROW_CONT:
    json_u64(out, "from", r->from);
    json_u64(out, "n", r->n);
    if (f) {
      fprintf(out, ",\"no\":%zu,\"op\":\"%s\"", f->no,
              ws_opcode_name(f->h.opcode));
      json_u64(out, "of", f->h.length);
    }
    break;
  default:
    json_u64(out, "n", r->n);
  }
  fputc('}', out);
}

static void hex_json(FILE *out, const uint8_t *p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  fputc('"', out);
  for (size_t i = 0; i < n; i++) {
    fputc(digits[p[i] >> 4], out);
    fputc(digits[p[i] & 15], out);
  }
  fputc('"', out);
}

/* One entry; *next_row walks the (sorted) rows. */
static void entry_json(FILE *out, const decoder *d, const ws_result_wire *w,
                       size_t e, size_t *next_row, size_t *hex_budget) {
  const char *dir =
      w->dir && (strcmp(w->dir, "tx") == 0 || strcmp(w->dir, "rx") == 0)
          ? w->dir
          : "note";
  double t = isfinite(w->t_ms) ? w->t_ms : 0;
  fprintf(out, "{\"t\":%.3f,\"d\":\"%s\",\"n\":%zu", t, dir, w->len);
  if (w->note) {
    fputs(",\"note\":", out);
    ws_html_json_cstr(out, w->note);
  }
  size_t len = w->bytes ? w->len : 0;
  size_t shown = len < WS_HTML_HEX_ENTRY_MAX ? len : WS_HTML_HEX_ENTRY_MAX;
  shown = shown < *hex_budget ? shown : *hex_budget;
  *hex_budget -= shown;
  if (len) {
    fputs(",\"hex\":", out);
    hex_json(out, w->bytes, shown);
    if (len > shown)
      fprintf(out, ",\"cut\":%zu", len - shown);
  }
  fputs(",\"rows\":[", out);
  for (size_t i = 0; *next_row < d->nrows && d->rows[*next_row].entry == e;
       i++) {
    if (i)
      fputc(',', out);
    row_json(out, d, &d->rows[(*next_row)++]);
  }
  fputs("]}", out);
}

static int by_entry(const void *a, const void *b) {
  const row *x = a, *y = b;
  if (x->entry != y->entry)
    return x->entry < y->entry ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void decode_all(decoder *d, const ws_case_result *c) {
  d->tx.rx = false;
  d->rx.rx = true;
  /* tx is the harness's client frames, rx the peer's. No RSV bit is allowed
   * on either side: a frame we send with RSV bits or a reserved opcode on
   * purpose is flagged like the peer's, as what a strict peer must refuse. */
  ws_frame_decoder_config config = {.sender = WS_SENDER_CLIENT,
                                    .policy = WS_POLICY_OBSERVE};
  /* With permessage-deflate agreed RSV1 marks a compressed message; where
   * it may not stand (a continuation, a control frame) the engine records
   * the violation itself. */
  if (c->deflate)
    config.allowed_rsv = WS_RSV1;
  ws_frame_decoder_init(&d->tx.dec, &config);
  config.sender = WS_SENDER_SERVER;
  ws_frame_decoder_init(&d->rx.dec, &config);
  for (size_t e = 0; e < c->wire_count && e < WS_HTML_ENTRIES_MAX; e++) {
    const ws_result_wire *w = &c->wire[e];
    bool tx = w->dir && strcmp(w->dir, "tx") == 0;
    bool rx = w->dir && strcmp(w->dir, "rx") == 0;
    if ((tx || rx) && w->bytes && w->len)
      stream_feed(d, tx ? &d->tx : &d->rx, e, w->bytes, w->len);
  }
  /* A last line without its end of line is still shown. */
  stream *streams[] = {&d->tx, &d->rx};
  for (size_t i = 0; i < 2; i++)
    if (streams[i]->mode == MODE_HTTP && streams[i]->line_len)
      line_done(d, streams[i], streams[i]->last_entry, EOL_NONE);
  if (d->nrows) /* rows is NULL when nothing was decoded */
    qsort(d->rows, d->nrows, sizeof *d->rows, by_entry);
}

static void decoder_free(decoder *d) {
  for (size_t i = 0; i < d->nrows; i++)
    free(d->rows[i].text);
  free(d->rows);
  free(d->frames);
}

int ws_html_wire_json(FILE *out, const ws_case_result *c) {
  decoder *d = calloc(1, sizeof *d);
  if (!d)
    return -1;
  decode_all(d, c);
  if (d->oom) {
    decoder_free(d);
    free(d);
    return -1;
  }
  size_t shown =
      c->wire_count < WS_HTML_ENTRIES_MAX ? c->wire_count : WS_HTML_ENTRIES_MAX;
  size_t next_row = 0, hex_budget = WS_HTML_HEX_CASE_MAX;
  fputs("{\"entries\":[", out);
  for (size_t e = 0; e < shown; e++) {
    if (e)
      fputc(',', out);
    entry_json(out, d, &c->wire[e], e, &next_row, &hex_budget);
  }
  fprintf(out, "],\"total\":%zu,\"rowsOmitted\":%zu,\"trunc\":%s}",
          c->wire_count, d->omitted, c->wire_truncated ? "true" : "false");
  decoder_free(d);
  free(d);
  return 0;
}
