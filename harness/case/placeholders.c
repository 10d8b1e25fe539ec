/* See placeholders.h. */
#include "case/placeholders.h"

#include <string.h>

const char *const ws_request_placeholders[] = {"{host}", "{path}", "{key}",
                                               NULL};
const char *const ws_response_placeholders[] = {"{accept}", "{key}",
                                                "{protocol}", NULL};

int ws_placeholder_at(const uint8_t *p, size_t n, const char *const *names) {
  if (n == 0 || p[0] != '{')
    return -1;
  for (int i = 0; names[i]; i++) {
    size_t len = strlen(names[i]);
    if (n >= len && memcmp(p, names[i], len) == 0)
      return i;
  }
  return -1;
}
