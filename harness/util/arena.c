#include "util/arena.h"

#include "codec/hooks.h"

#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#define CHUNK_SIZE ((size_t)64 << 10)
/* Blocks bigger than this get a chunk of their own, so a large payload does
 * not waste the rest of the current chunk. */
#define BIG_BLOCK (CHUNK_SIZE / 4)
#define ALIGN alignof(max_align_t)

struct ws_arena_chunk {
  ws_arena_chunk *next;
  size_t used, cap;
  alignas(max_align_t) unsigned char data[];
};

void ws_arena_init(ws_arena *a, size_t limit) {
  a->head = NULL;
  a->reserved = 0;
  a->limit = limit;
  a->over_limit = false;
}

void ws_arena_free(ws_arena *a) {
  ws_arena_chunk *c = a->head;
  while (c) {
    ws_arena_chunk *next = c->next;
    ws_free(c);
    c = next;
  }
  a->head = NULL;
  a->reserved = 0;
}

static ws_arena_chunk *new_chunk(ws_arena *a, size_t cap) {
  if (cap > SIZE_MAX - sizeof(ws_arena_chunk))
    return NULL;
  size_t total = sizeof(ws_arena_chunk) + cap;
  if (a->limit && (total > a->limit || a->reserved > a->limit - total)) {
    a->over_limit = true;
    return NULL;
  }
  ws_arena_chunk *c = ws_malloc(total);
  if (!c)
    return NULL;
  c->used = 0;
  c->cap = cap;
  a->reserved += total;
  return c;
}

void *ws_arena_alloc(ws_arena *a, size_t size) {
  if (size > SIZE_MAX - ALIGN)
    return NULL;
  size_t need = (size + ALIGN - 1) & ~(ALIGN - 1);
  if (need == 0)
    need = ALIGN;
  ws_arena_chunk *h = a->head;
  if (h && h->cap - h->used >= need) {
    void *p = h->data + h->used;
    h->used += need;
    return p;
  }
  ws_arena_chunk *c = new_chunk(a, need > BIG_BLOCK ? need : CHUNK_SIZE);
  if (!c)
    return NULL;
  c->used = need;
  if (h && need > BIG_BLOCK) {
    /* Keep filling the current chunk: the big block goes behind it. */
    c->next = h->next;
    h->next = c;
  } else {
    c->next = h;
    a->head = c;
  }
  return c->data;
}

void *ws_arena_calloc(ws_arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    return NULL;
  void *p = ws_arena_alloc(a, n * size);
  if (p)
    memset(p, 0, n * size);
  return p;
}

char *ws_arena_strndup(ws_arena *a, const char *s, size_t n) {
  if (n == SIZE_MAX)
    return NULL;
  char *p = ws_arena_alloc(a, n + 1);
  if (!p)
    return NULL;
  if (n)
    memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void ws_arena_adopt(ws_arena *dst, ws_arena *src) {
  if (!src->head)
    return;
  /* src's chunks go behind dst's head: dst keeps filling its own chunk. */
  ws_arena_chunk *tail = src->head;
  while (tail->next)
    tail = tail->next;
  if (dst->head) {
    tail->next = dst->head->next;
    dst->head->next = src->head;
  } else {
    dst->head = src->head;
  }
  dst->reserved += src->reserved;
  src->head = NULL;
  src->reserved = 0;
}
