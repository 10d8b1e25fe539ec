/* A bump allocator: every string, payload and array of a catalogue lives in
 * one arena, so freeing a catalogue is one call and a half-parsed file is
 * dropped without walking its structures. Memory comes from ws_malloc
 * (codec/hooks.h), so tests can fail the Nth allocation. */
#ifndef WS_HARNESS_ARENA_H
#define WS_HARNESS_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ws_arena_chunk ws_arena_chunk;

typedef struct ws_arena {
  ws_arena_chunk *head; /* the chunk being filled first; big blocks after it */
  size_t reserved;      /* bytes obtained from the allocator */
  size_t limit;         /* 0: no limit; else reserved may not exceed it */
  bool over_limit;      /* the last failure was the limit, not the allocator */
} ws_arena;

/* limit bounds what a hostile case file can make us allocate (0: none). */
void ws_arena_init(ws_arena *a, size_t limit);
/* Releases every block; the arena is empty and reusable afterwards. */
void ws_arena_free(ws_arena *a);

/* size bytes aligned for any type, uninitialised; NULL when the allocator
 * fails or the limit would be exceeded (then over_limit is set). size 0
 * still returns a valid pointer. */
void *ws_arena_alloc(ws_arena *a, size_t size);
/* Same, zero-filled; n * size is checked for overflow. */
void *ws_arena_calloc(ws_arena *a, size_t n, size_t size);
/* A NUL-terminated copy of s[0..n). */
char *ws_arena_strndup(ws_arena *a, const char *s, size_t n);

/* Moves every block of src into dst (src is left empty): how a file parsed
 * into its own arena joins the catalogue once it parsed without error. */
void ws_arena_adopt(ws_arena *dst, ws_arena *src);

#endif
