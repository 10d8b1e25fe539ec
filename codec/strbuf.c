#include "codec/strbuf.h"

#include "codec/errors.h"

#include <stdarg.h>
#include <stdio.h>

void ws_strbuf_init(ws_strbuf *b, char *out, size_t cap) {
  b->out = out;
  b->cap = cap;
  b->len = 0;
  b->overflow = cap == 0;
  if (cap > 0)
    out[0] = '\0';
}

void ws_strbuf_printf(ws_strbuf *b, const char *fmt, ...) {
  if (b->overflow)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->out + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= b->cap - b->len) {
    b->overflow = true;
    return;
  }
  b->len += (size_t)n;
}

ssize_t ws_strbuf_finish(ws_strbuf *b) {
  if (b->overflow) {
    if (b->cap > 0)
      b->out[0] = '\0';
    return -WS_E_BUFFER_TOO_SMALL;
  }
  return (ssize_t)b->len;
}
