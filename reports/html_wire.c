/* The wire log of one case, decoded for the HTML report at write time and
 * embedded as JSON, which report.js renders when the case is opened.
 *
 * Each direction is a stream: HTTP lines up to the end of the header block,
 * then WebSocket frames (or, after a response other than 101, a body). The
 * state carries across entries because a header, a line or a payload may be
 * cut across several writes (chops, TCP segments). Nothing here trusts a
 * length from the wire: a frame declaring 2^63 bytes simply consumes what
 * follows, and a header cut short is shown as a partial header. The frame
 * decoder is a small tolerant one of its own (reports depend on the results
 * model only), and reports what a strict one would refuse instead of
 * stopping. */
#include "reports/html_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 1024
#define PREVIEW_MAX 125 /* a whole control payload */
#define PREVIEW_DATA 64 /* shown of a data frame */
#define NONE ((size_t)-1)

enum row_kind { ROW_HTTP, ROW_FRAME, ROW_CONT, ROW_PART, ROW_BODY };
enum eol { EOL_CRLF, EOL_LF, EOL_NONE };
enum mode { MODE_HTTP, MODE_FRAMES, MODE_BODY };

/* Things a strict peer would refuse, found in the header alone. */
enum warn {
  W_RSV = 1 << 0,
  W_OPCODE = 1 << 1,
  W_CTRL_LONG = 1 << 2,
  W_CTRL_FRAG = 1 << 3,
  W_MASKED = 1 << 4,
  W_UNMASKED = 1 << 5,
  W_NONMINIMAL = 1 << 6,
  W_MSB = 1 << 7,
};

static const char *const warn_text[] = {
    "RSV bit set (only an extension may set it)",
    "reserved opcode",
    "control frame longer than 125 bytes",
    "fragmented control frame (FIN=0)",
    "masked frame from the server",
    "unmasked frame from the client",
    "length not in its minimal encoding",
    "64-bit length with its most significant bit set",
};

typedef struct frame_info {
  uint8_t opcode, rsv, key[4], len_bits, header_len;
  bool fin, masked;
  unsigned warn;
  uint64_t len, got;
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
  uint8_t hdr[14];
  size_t hdr_len, hdr_in_entry;
  long hdr_at;
  bool in_payload, masked; /* the frame whose payload is arriving */
  uint8_t key[4];
  uint64_t left, off;
  size_t frame, frame_entry; /* NONE when the row was not kept */
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

static bool is_control(uint8_t op) { return op >= 8; }
static bool is_reserved(uint8_t op) { return (op > 2 && op < 8) || op > 10; }

/* Header size once its first two bytes are known. */
static size_t header_size(const uint8_t *h) {
  size_t n = 2, len7 = h[1] & 0x7F;
  n += len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  return n + ((h[1] & 0x80) ? 4 : 0);
}

static void parse_header(const stream *s, frame_info *f) {
  const uint8_t *h = s->hdr;
  f->fin = (h[0] & 0x80) != 0;
  f->rsv = (h[0] >> 4) & 7;
  f->opcode = h[0] & 0x0F;
  f->masked = (h[1] & 0x80) != 0;
  uint64_t len7 = h[1] & 0x7F;
  size_t at = 2;
  f->len_bits = 7;
  f->len = len7;
  if (len7 >= 126) {
    size_t bytes = len7 == 126 ? 2 : 8;
    f->len = 0;
    for (size_t i = 0; i < bytes; i++)
      f->len = (f->len << 8) | h[at + i];
    at += bytes;
    f->len_bits = bytes == 2 ? 16 : 64;
  }
  if (f->masked)
    memcpy(f->key, h + at, 4);
  f->header_len = (uint8_t)s->hdr_len;
  f->warn = (f->rsv ? W_RSV : 0) | (is_reserved(f->opcode) ? W_OPCODE : 0) |
            (is_control(f->opcode) && f->len > 125 ? W_CTRL_LONG : 0) |
            (is_control(f->opcode) && !f->fin ? W_CTRL_FRAG : 0) |
            (s->rx && f->masked ? W_MASKED : 0) |
            (!s->rx && !f->masked ? W_UNMASKED : 0) |
            ((f->len_bits == 16 && f->len < 126) ||
                     (f->len_bits == 64 && f->len <= 0xFFFF)
                 ? W_NONMINIMAL
                 : 0) |
            (f->len_bits == 64 && (f->len >> 63) ? W_MSB : 0);
}

/* The header is complete: a frame row where it began. */
static void header_done(decoder *d, stream *s, size_t e) {
  frame_info tmp;
  memset(&tmp, 0, sizeof tmp);
  parse_header(s, &tmp);
  tmp.no = ++d->frames_seen;
  s->frame = NONE;
  row *r = add_row(d, ROW_FRAME, e, s->hdr_at);
  size_t fi = r ? add_frame(d) : NONE;
  if (r && fi != NONE) {
    d->frames[fi] = tmp;
    r->frame = fi;
    s->frame = fi;
  }
  s->frame_entry = e;
  s->in_payload = tmp.len > 0;
  s->left = tmp.len;
  s->off = 0;
  s->masked = tmp.masked;
  memcpy(s->key, tmp.key, 4);
  s->hdr_len = 0;
}

static size_t payload_feed(decoder *d, stream *s, size_t e, const uint8_t *p,
                           size_t len, size_t pos) {
  size_t avail = len - pos;
  size_t take = s->left < avail ? (size_t)s->left : avail;
  if (e != s->frame_entry) {
    row *r = add_row(d, ROW_CONT, e, (long)pos);
    if (r) {
      r->frame = s->frame;
      r->from = s->off;
      r->n = take;
    }
  }
  if (s->frame != NONE) {
    frame_info *f = &d->frames[s->frame];
    for (size_t i = 0; i < take && s->off + i < PREVIEW_MAX; i++) {
      uint64_t at = s->off + i;
      f->pv[at] = p[pos + i] ^ (s->masked ? s->key[at % 4] : 0);
    }
    f->got += take;
  }
  s->off += take;
  s->left -= take;
  s->in_payload = s->left > 0;
  return pos + take;
}

static size_t header_feed(decoder *d, stream *s, size_t e, const uint8_t *p,
                          size_t len, size_t pos) {
  if (s->hdr_len == 0)
    s->hdr_at = (long)pos;
  while (pos < len) {
    s->hdr[s->hdr_len++] = p[pos++];
    s->hdr_in_entry++;
    if (s->hdr_len >= 2 && s->hdr_len == header_size(s->hdr)) {
      header_done(d, s, e);
      s->hdr_in_entry = 0;
      return pos;
    }
  }
  return pos;
}

static void frames_feed(decoder *d, stream *s, size_t e, const uint8_t *p,
                        size_t len, size_t pos) {
  while (pos < len) {
    if (s->in_payload)
      pos = payload_feed(d, s, e, p, len, pos);
    else
      pos = header_feed(d, s, e, p, len, pos);
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

static const char *opcode_name(uint8_t op) {
  static const char *const names[16] = {
      "continuation", "text",       "binary",     "reserved-3",
      "reserved-4",   "reserved-5", "reserved-6", "reserved-7",
      "close",        "ping",       "pong",       "reserved-B",
      "reserved-C",   "reserved-D", "reserved-E", "reserved-F"};
  return names[op & 0x0F];
}

static void json_u64(FILE *out, const char *key, uint64_t v) {
  /* As a string: a JavaScript number loses 64-bit lengths. */
  fprintf(out, ",\"%s\":\"%llu\"", key, (unsigned long long)v);
}

static void frame_json(FILE *out, const frame_info *f) {
  fprintf(out, ",\"no\":%zu,\"op\":\"%s\",\"fin\":%s", f->no,
          opcode_name(f->opcode), f->fin ? "true" : "false");
  fprintf(out, ",\"rsv\":\"%u%u%u\",\"lf\":%u,\"hl\":%u", (f->rsv >> 2) & 1,
          (f->rsv >> 1) & 1, f->rsv & 1, f->len_bits, f->header_len);
  if (f->masked)
    fprintf(out, ",\"key\":\"%02x%02x%02x%02x\"", f->key[0], f->key[1],
            f->key[2], f->key[3]);
  json_u64(out, "len", f->len);
  json_u64(out, "got", f->got);
  size_t have = f->got < PREVIEW_MAX ? (size_t)f->got : PREVIEW_MAX;
  size_t pv_off = 0;
  if (f->opcode == 8 && have >= 2) { /* close: code, then the reason */
    fprintf(out, ",\"code\":%u", (unsigned)(f->pv[0] << 8 | f->pv[1]));
    pv_off = 2;
  }
  size_t show = is_control(f->opcode) ? have
                : have < PREVIEW_DATA ? have
                                      : PREVIEW_DATA;
  if (show > pv_off) {
    fputs(",\"pv\":", out);
    ws_html_json_display(out, f->pv + pv_off, show - pv_off);
  }
  if (f->len > show)
    fputs(",\"pvMore\":true", out);
  bool first = true;
  for (size_t i = 0; i < sizeof warn_text / sizeof warn_text[0]; i++) {
    if (f->warn & (1u << i)) {
      fprintf(out, "%s\"%s\"", first ? ",\"warn\":[" : ",", warn_text[i]);
      first = false;
    }
  }
  if (f->opcode == 8 && f->len == 1) {
    fprintf(out, "%s\"close payload of 1 byte\"", first ? ",\"warn\":[" : ",");
    first = false;
  }
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
      fprintf(out, ",\"no\":%zu,\"op\":\"%s\"", f->no, opcode_name(f->opcode));
      json_u64(out, "of", f->len);
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
