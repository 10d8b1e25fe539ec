/* The harness's one growable buffer: bytes or text, heap-grown by doubling
 * through ws_realloc (codec/hooks.h, so tests can fail an allocation).
 *
 * Failure is sticky: once an append cannot grow the buffer (out of memory,
 * or past `max` when the owner set one), `failed` is set and every later
 * append is a no-op, so a chain of appends needs one check at the end. The
 * content is always followed by a NUL that len does not count, so text can
 * be read with ws_buf_str() at any time. */
#ifndef WS_HARNESS_BUF_H
#define WS_HARNESS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_buf {
  uint8_t *ptr; /* NULL until the first append */
  size_t len;
  size_t cap; /* bytes allocated (len + 1 fit) */
  size_t max; /* 0: no bound; else len never exceeds it */
  bool failed;
} ws_buf;

/* 0, or -1 when the bytes do not fit (out of memory or past max). */
int ws_buf_append(ws_buf *b, const void *data, size_t len);
int ws_buf_putc(ws_buf *b, uint8_t byte);
int ws_buf_puts(ws_buf *b, const char *text);
__attribute__((format(printf, 2, 3))) int ws_buf_printf(ws_buf *b,
                                                        const char *fmt, ...);
/* Room for `more` bytes after len, without changing len. */
int ws_buf_reserve(ws_buf *b, size_t more);

/* The content as a C string ("" when empty). Valid until the next append. */
const char *ws_buf_str(const ws_buf *b);
/* Drops the first n bytes (n <= len), keeping the allocation. */
void ws_buf_consume(ws_buf *b, size_t n);
/* Empties the buffer, keeping the allocation and max. */
void ws_buf_clear(ws_buf *b);
/* Hands the content over as a heap string (free() it; "" when empty) and
 * resets the buffer; NULL when the buffer failed (it is freed). */
char *ws_buf_take_str(ws_buf *b);
void ws_buf_free(ws_buf *b);

#endif
