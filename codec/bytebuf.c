#include "codec/bytebuf.h"

#include "codec/errors.h"
#include "codec/hooks.h"

#include <string.h>

/* First allocation: small, so a short message costs little. */
#define MIN_CAP 256

int ws_bytebuf_reserve(ws_bytebuf *b, size_t want, size_t limit) {
  if (limit < b->len)
    limit = b->len;
  size_t need = want > limit - b->len ? limit : b->len + want;
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap > MIN_CAP ? b->cap : MIN_CAP;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (cap > limit)
    cap = limit > need ? limit : need;
  uint8_t *p = ws_realloc(b->data, cap);
  if (!p)
    return -WS_E_NOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int ws_bytebuf_append(ws_bytebuf *b, const void *data, size_t n) {
  if (n > SIZE_MAX - b->len)
    return -WS_E_NOMEM;
  int rc = ws_bytebuf_reserve(b, n, SIZE_MAX);
  if (rc < 0)
    return rc;
  if (n)
    memcpy(b->data + b->len, data, n);
  b->len += n;
  return 0;
}

void ws_bytebuf_free(ws_bytebuf *b) {
  ws_free(b->data);
  memset(b, 0, sizeof *b);
}
