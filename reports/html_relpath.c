/* Relative paths between report files, for links from one page to another
 * (matrix.html to each run's index.html). Relative, so the pages keep
 * working when the directories holding them are moved or archived
 * together, and from file:// where no absolute URL is known.
 *
 * Both directories are resolved with realpath(3): "..", "." and symbolic
 * links are settled before the paths are compared, so the link follows the
 * files as they are on disk. */
#include "reports/html_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The directory part of path ("." when it has none), resolved. Heap. */
static char *resolved_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return realpath(".", NULL);
  if (slash == path)
    return realpath("/", NULL);
  char *dir = strndup(path, (size_t)(slash - path));
  if (!dir)
    return NULL;
  char *real = realpath(dir, NULL);
  free(dir);
  return real;
}

/* How many components of the resolved directories a and b agree, and where
 * the rest of each begins. */
static void common_prefix(const char *a, const char *b, const char **a_rest,
                          const char **b_rest) {
  size_t i = 0, last = 0; /* last: just after the last shared component */
  while (a[i] && a[i] == b[i]) {
    i++;
    if (a[i - 1] == '/')
      last = i;
  }
  if ((!a[i] || a[i] == '/') && (!b[i] || b[i] == '/'))
    last = i; /* one ends where the other has a component boundary */
  *a_rest = a + last;
  *b_rest = b + last;
  while (**a_rest == '/')
    (*a_rest)++;
  while (**b_rest == '/')
    (*b_rest)++;
}

char *ws_html_relative_path(const char *from_file, const char *to_file) {
  const char *base = strrchr(to_file, '/');
  base = base ? base + 1 : to_file;
  if (!*base) {
    errno = EISDIR;
    return NULL;
  }
  char *from = resolved_dir(from_file), *to = resolved_dir(to_file);
  char *out = NULL;
  if (!from || !to)
    goto done;
  const char *up, *down;
  common_prefix(from, to, &up, &down);
  size_t ups = *up ? 1 : 0;
  for (const char *p = up; *p; p++)
    ups += *p == '/';
  size_t len = 3 * ups + strlen(down) + 1 + strlen(base) + 1;
  out = malloc(len);
  if (!out)
    goto done;
  char *w = out;
  for (size_t i = 0; i < ups; i++, w += 3)
    memcpy(w, "../", 3);
  if (*down)
    w += sprintf(w, "%s/", down);
  strcpy(w, base);
done:
  free(from);
  free(to);
  return out;
}
