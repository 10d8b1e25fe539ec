/* The browser driver page of `wsprobe serve` (GET /): harness/cli/
 * serve_page.html, embedded at build time (scripts/embed_files.py) so the
 * binary serves it from anywhere. */
#ifndef WS_HARNESS_SERVE_PAGE_H
#define WS_HARNESS_SERVE_PAGE_H

#include <stddef.h>

typedef struct ws_serve_page_file {
  const char *name;
  const char *text;
  size_t len;
} ws_serve_page_file;

/* NULL-terminated; generated (build/gen/serve_page.c). */
extern const ws_serve_page_file ws_serve_page_files[];

/* The page's text and length. */
const char *ws_serve_page(size_t *len);

#endif
