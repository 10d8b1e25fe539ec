#include "reports/assets.h"

#include <string.h>

const ws_asset *ws_report_asset(const char *file) {
  size_t n = strlen(file);
  for (const ws_asset *a = ws_report_assets; a->name; a++) {
    size_t len = strlen(a->name);
    if (len >= n && strcmp(a->name + len - n, file) == 0 &&
        (len == n || a->name[len - n - 1] == '/'))
      return a;
  }
  return NULL;
}
