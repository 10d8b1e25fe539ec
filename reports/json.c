#include "reports/json.h"
#include "reports/utf8_text.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void ws_json_init(ws_json *w, FILE *out) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->first[0] = true;
}

static void indent(ws_json *w, int depth) {
  fputc('\n', w->out);
  for (int i = 0; i < depth; i++)
    fputs("  ", w->out);
}

/* Separator and layout before any value or key at the current depth. A value
 * that follows its key is written right after it. */
static void before_item(ws_json *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth == 0)
    return;
  if (!w->first[w->depth])
    fputc(',', w->out);
  if (w->inline_[w->depth]) {
    if (!w->first[w->depth])
      fputc(' ', w->out);
  } else {
    indent(w, w->depth);
  }
  w->first[w->depth] = false;
}

static void open_container(ws_json *w, char c, bool one_line) {
  before_item(w);
  fputc(c, w->out);
  if (w->depth >= WS_JSON_MAX_DEPTH) {
    w->error = true;
    return;
  }
  bool parent_inline = w->depth > 0 && w->inline_[w->depth];
  w->depth++;
  w->first[w->depth] = true;
  w->inline_[w->depth] = one_line || parent_inline;
}

static void close_container(ws_json *w, char c) {
  if (w->depth == 0) {
    w->error = true;
    return;
  }
  bool empty = w->first[w->depth];
  bool one_line = w->inline_[w->depth];
  w->depth--;
  if (!empty && !one_line)
    indent(w, w->depth);
  fputc(c, w->out);
}

void ws_json_object_begin(ws_json *w) { open_container(w, '{', false); }
void ws_json_object_begin_inline(ws_json *w) { open_container(w, '{', true); }
void ws_json_object_end(ws_json *w) { close_container(w, '}'); }
void ws_json_array_begin(ws_json *w) { open_container(w, '[', false); }
void ws_json_array_begin_inline(ws_json *w) { open_container(w, '[', true); }
void ws_json_array_end(ws_json *w) { close_container(w, ']'); }

void ws_json_key(ws_json *w, const char *key) {
  before_item(w);
  fputc('"', w->out);
  ws_json_escape(w->out, key, strlen(key));
  fputs("\": ", w->out);
  w->after_key = true;
}

static void escape_ascii(FILE *out, uint8_t c) {
  switch (c) {
  case '"':
    fputs("\\\"", out);
    break;
  case '\\':
    fputs("\\\\", out);
    break;
  case '\n':
    fputs("\\n", out);
    break;
  case '\r':
    fputs("\\r", out);
    break;
  case '\t':
    fputs("\\t", out);
    break;
  case '\b':
    fputs("\\b", out);
    break;
  case '\f':
    fputs("\\f", out);
    break;
  default:
    if (c < 0x20 || c == 0x7F)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
}

void ws_json_escape(FILE *out, const void *bytes, size_t len) {
  const uint8_t *p = bytes;
  size_t i = 0;
  while (i < len) {
    size_t n = ws_text_utf8_len(p + i, len - i);
    if (n == 0) {
      fputs("\\ufffd", out);
      i++;
    } else if (n == 1) {
      escape_ascii(out, p[i]);
      i++;
    } else if (n == 3 && p[i] == 0xE2 && p[i + 1] == 0x80 &&
               (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
      /* U+2028/2029 are valid JSON but break JavaScript string literals:
       * escaping them costs nothing and keeps the file embeddable. */
      fprintf(out, "\\u%04x", p[i + 2] == 0xA8 ? 0x2028 : 0x2029);
      i += 3;
    } else {
      fwrite(p + i, 1, n, out);
      i += n;
    }
  }
}

void ws_json_string_n(ws_json *w, const void *bytes, size_t len) {
  before_item(w);
  fputc('"', w->out);
  ws_json_escape(w->out, bytes, len);
  fputc('"', w->out);
}

void ws_json_string(ws_json *w, const char *s) {
  if (!s)
    ws_json_null(w);
  else
    ws_json_string_n(w, s, strlen(s));
}

void ws_json_hex(ws_json *w, const void *bytes, size_t len) {
  static const char digits[] = "0123456789abcdef";
  const uint8_t *p = bytes;
  char chunk[512];
  size_t fill = 0;
  before_item(w);
  fputc('"', w->out);
  for (size_t i = 0; i < len; i++) {
    chunk[fill++] = digits[p[i] >> 4];
    chunk[fill++] = digits[p[i] & 15];
    if (fill == sizeof chunk) {
      fwrite(chunk, 1, fill, w->out);
      fill = 0;
    }
  }
  fwrite(chunk, 1, fill, w->out);
  fputc('"', w->out);
}

void ws_json_uint(ws_json *w, uint64_t v) {
  before_item(w);
  fprintf(w->out, "%" PRIu64, v);
}

void ws_json_int(ws_json *w, int64_t v) {
  before_item(w);
  fprintf(w->out, "%" PRId64, v);
}

/* The text ws_json_double writes for a finite v, into buf. The buffer holds
 * the longest such text: a shorter one cut the digits of a huge value
 * (1.9e61 lost its decimals and kept a bare "." that no JSON reader takes). */
static void format_double(char buf[WS_JSON_DOUBLE_MAX_CHARS + 1], double v,
                          int decimals) {
  if (decimals < 0)
    decimals = 0;
  if (decimals > WS_JSON_MAX_DECIMALS)
    decimals = WS_JSON_MAX_DECIMALS;
  int n = snprintf(buf, WS_JSON_DOUBLE_MAX_CHARS + 1, "%.*f", decimals, v);
  if (n < 0 || n > WS_JSON_DOUBLE_MAX_CHARS) {
    /* Cannot happen for a finite double; if it did, never half a number. */
    strcpy(buf, "0");
    return;
  }
  /* Trim trailing zeros but keep one digit after the point. */
  char *dot = strchr(buf, '.');
  if (dot) {
    char *end = buf + n - 1;
    while (end > dot + 1 && *end == '0')
      *end-- = '\0';
  }
  if (strcmp(buf, "-0") == 0 || strcmp(buf, "-0.0") == 0)
    memmove(buf, buf + 1, strlen(buf));
}

void ws_json_double(ws_json *w, double v, int decimals) {
  if (!isfinite(v)) {
    ws_json_null(w);
    return;
  }
  char buf[WS_JSON_DOUBLE_MAX_CHARS + 1];
  format_double(buf, v, decimals);
  before_item(w);
  fputs(buf, w->out);
}

double ws_json_double_as_written(double v, int decimals) {
  if (!isfinite(v))
    return NAN;
  char buf[WS_JSON_DOUBLE_MAX_CHARS + 1];
  format_double(buf, v, decimals);
  return strtod(buf, NULL);
}

void ws_json_bool(ws_json *w, bool v) {
  before_item(w);
  fputs(v ? "true" : "false", w->out);
}

void ws_json_null(ws_json *w) {
  before_item(w);
  fputs("null", w->out);
}

int ws_json_finish(ws_json *w) {
  fputc('\n', w->out);
  if (w->error || w->depth != 0 || w->after_key || ferror(w->out))
    return -1;
  return 0;
}
