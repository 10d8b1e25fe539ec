#include "util/buf.h"

#include "codec/hooks.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ws_buf_reserve(ws_buf *b, size_t more) {
  if (b->failed)
    return -1;
  if (more > SIZE_MAX - b->len - 1 || (b->max && b->len + more > b->max)) {
    b->failed = true;
    return -1;
  }
  size_t need = b->len + more + 1;
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *grown = ws_realloc(b->ptr, cap);
  if (!grown) {
    b->failed = true;
    return -1;
  }
  b->ptr = grown;
  b->cap = cap;
  return 0;
}

int ws_buf_append(ws_buf *b, const void *data, size_t len) {
  if (ws_buf_reserve(b, len) != 0)
    return -1;
  if (len)
    memcpy(b->ptr + b->len, data, len);
  b->len += len;
  b->ptr[b->len] = '\0';
  return 0;
}

int ws_buf_putc(ws_buf *b, uint8_t byte) { return ws_buf_append(b, &byte, 1); }

int ws_buf_puts(ws_buf *b, const char *text) {
  return ws_buf_append(b, text, strlen(text));
}

int ws_buf_printf(ws_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = true;
    return -1;
  }
  if (ws_buf_reserve(b, (size_t)n) != 0)
    return -1;
  va_start(ap, fmt);
  vsnprintf((char *)b->ptr + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

const char *ws_buf_str(const ws_buf *b) {
  return b->ptr ? (const char *)b->ptr : "";
}

void ws_buf_consume(ws_buf *b, size_t n) {
  if (n >= b->len) {
    ws_buf_clear(b);
    return;
  }
  memmove(b->ptr, b->ptr + n, b->len - n);
  b->len -= n;
  b->ptr[b->len] = '\0';
}

void ws_buf_clear(ws_buf *b) {
  b->len = 0;
  b->failed = false;
  if (b->ptr)
    b->ptr[0] = '\0';
}

char *ws_buf_take_str(ws_buf *b) {
  if (b->failed) {
    ws_buf_free(b);
    return NULL;
  }
  char *s = (char *)b->ptr;
  if (!s) {
    s = ws_malloc(1);
    if (s)
      s[0] = '\0';
  }
  size_t max = b->max;
  *b = (ws_buf){.max = max};
  return s;
}

void ws_buf_free(ws_buf *b) {
  ws_free(b->ptr);
  size_t max = b->max;
  *b = (ws_buf){.max = max};
}
