#include "case/deflated.h"

#include "codec/deflate.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The bomb is compressed a chunk at a time, each chunk ended by a sync
 * flush. Once the window is all zeros, every full chunk compresses to the
 * same bytes (same input, same state, byte-aligned ends), so the second
 * chunk's output is repeated instead of compressing the rest: a 1 GiB bomb
 * costs two chunks of zlib work, not 1 GiB of it; and as those two are the
 * same for every bomb, they are made once per process (the catalogue holds
 * a dozen bombs, parsed at every start). test_deflated.c inflates the result
 * to prove it. */
#define BOMB_CHUNK ((size_t)1 << 20)

static const uint8_t sync_tail[4] = {0x00, 0x00, 0xff, 0xff};

int ws_deflated_message(const uint8_t *data, size_t len, ws_bytebuf *out) {
  ws_deflater *d;
  if (ws_deflater_new(NULL, &d) != 0)
    return -1;
  int rc = ws_deflater_feed(d, data, len, true, out);
  ws_deflater_free(d);
  return rc == 0 ? 0 : -1;
}

/* Compresses `len` zeros as one "message" of d (the 4-octet tail removed)
 * into a fresh buffer. */
static int chunk(ws_deflater *d, const uint8_t *zeros, size_t len,
                 ws_bytebuf *piece) {
  piece->len = 0;
  return ws_deflater_feed(d, zeros, len, true, piece) == 0 ? 0 : -1;
}

/* Appends piece (and, between pieces, the sync tail the deflater removed),
 * or reports that limit would be passed. */
static int put(ws_bytebuf *out, const ws_bytebuf *piece, bool tail,
               size_t limit) {
  size_t need = piece->len + (tail ? sizeof sync_tail : 0);
  if (out->len + need > limit)
    return 1;
  if (ws_bytebuf_append(out, piece->data, piece->len) != 0 ||
      (tail && ws_bytebuf_append(out, sync_tail, sizeof sync_tail) != 0))
    return -1;
  return 0;
}

/* The first and the steady chunk's bytes, shared by every bomb made of
 * whole chunks: made by the first caller; a caller that finds them being
 * made by another thread compresses its own instead of waiting (the case
 * layer takes no locks). */
enum { SHARED_NONE, SHARED_BUILDING, SHARED_READY, SHARED_FAILED };
static atomic_int shared_state = SHARED_NONE;
static ws_bytebuf shared_first, shared_steady;

static bool shared_chunks(void) {
  int expected = SHARED_NONE;
  if (atomic_compare_exchange_strong(&shared_state, &expected,
                                     SHARED_BUILDING)) {
    uint8_t *zeros = calloc(1, BOMB_CHUNK);
    ws_deflater *d = NULL;
    bool ok = zeros && ws_deflater_new(NULL, &d) == 0 &&
              chunk(d, zeros, BOMB_CHUNK, &shared_first) == 0 &&
              chunk(d, zeros, BOMB_CHUNK, &shared_steady) == 0;
    ws_deflater_free(d);
    free(zeros);
    atomic_store(&shared_state, ok ? SHARED_READY : SHARED_FAILED);
    return ok;
  }
  return atomic_load(&shared_state) == SHARED_READY;
}

/* n zeros in whole chunks, from the shared bytes: 0, 1 past limit, -1 out
 * of memory, or -2 when the shared chunks are not there (failed, or another
 * thread is making them; nothing was appended). */
static int whole_chunks(uint64_t full, size_t limit, ws_bytebuf *out) {
  if (!shared_chunks())
    return -2;
  int rc = put(out, &shared_first, full > 1, limit);
  for (uint64_t i = 1; rc == 0 && i < full; i++)
    rc = put(out, &shared_steady, i + 1 < full, limit);
  return rc;
}

int ws_deflated_bomb(uint64_t n, size_t limit, ws_bytebuf *out) {
  if (n > 0 && n % BOMB_CHUNK == 0) {
    int rc = whole_chunks(n / BOMB_CHUNK, limit, out);
    if (rc != -2)
      return rc;
  }
  uint8_t *zeros = calloc(1, BOMB_CHUNK);
  ws_deflater *d = NULL;
  ws_bytebuf first = {0}, steady = {0}, last = {0};
  int rc = -1;
  if (!zeros || ws_deflater_new(NULL, &d) != 0)
    goto done;
  uint64_t full = n / BOMB_CHUNK;
  size_t rest = (size_t)(n % BOMB_CHUNK);
  if (full == 0) {
    rc = chunk(d, zeros, rest, &last);
    if (rc == 0)
      rc = put(out, &last, false, limit);
    goto done;
  }
  if (chunk(d, zeros, BOMB_CHUNK, &first) != 0 ||
      (full > 1 && chunk(d, zeros, BOMB_CHUNK, &steady) != 0) ||
      (rest && chunk(d, zeros, rest, &last) != 0))
    goto done;
  rc = put(out, &first, full > 1 || rest, limit);
  for (uint64_t i = 1; rc == 0 && i < full; i++)
    rc = put(out, &steady, i + 1 < full || rest, limit);
  if (rc == 0 && rest)
    rc = put(out, &last, false, limit);
done:
  ws_bytebuf_free(&first);
  ws_bytebuf_free(&steady);
  ws_bytebuf_free(&last);
  ws_deflater_free(d);
  free(zeros);
  return rc;
}
