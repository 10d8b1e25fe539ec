/* The embedded driver page (serve_page.h). */
#include "cli/serve_page.h"

const char *ws_serve_page(size_t *len) {
  *len = ws_serve_page_files[0].len;
  return ws_serve_page_files[0].text;
}
