/* A bounded string builder over a caller's buffer: the first overflow sticks,
 * so a chain of appends needs one check at the end. Never allocates. */
#ifndef WS_STRBUF_H
#define WS_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct ws_strbuf {
  char *out;
  size_t cap;
  size_t len;
  bool overflow;
} ws_strbuf;

/* out[0..cap) receives the text, always NUL-terminated when cap > 0. */
void ws_strbuf_init(ws_strbuf *b, char *out, size_t cap);

__attribute__((format(printf, 2, 3))) void
ws_strbuf_printf(ws_strbuf *b, const char *fmt, ...);

/* The length written, or -WS_E_BUFFER_TOO_SMALL (out is then ""). */
ssize_t ws_strbuf_finish(ws_strbuf *b);

#endif
