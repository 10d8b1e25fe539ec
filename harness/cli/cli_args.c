#include "cli/cli_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_decimal(const char *text, uint64_t *out, const char **end) {
  if (text[0] < '0' || text[0] > '9')
    return -1;
  errno = 0;
  char *stop;
  unsigned long long v = strtoull(text, &stop, 10);
  if (errno == ERANGE)
    return -1;
  *out = v;
  *end = stop;
  return 0;
}

static int range_error(const char *option, const char *text, uint64_t min,
                       uint64_t max, const char *what) {
  fprintf(stderr, "wsprobe: %s: '%s' is not %s in %llu-%llu\n", option, text,
          what, (unsigned long long)min, (unsigned long long)max);
  return -1;
}

int ws_arg_uint(const char *option, const char *text, uint64_t min,
                uint64_t max, uint64_t *out) {
  const char *end;
  uint64_t v;
  if (parse_decimal(text, &v, &end) != 0 || *end != '\0' || v < min || v > max)
    return range_error(option, text, min, max, "a whole number");
  *out = v;
  return 0;
}

static int suffix_shift(const char *s) {
  static const struct {
    const char *name;
    int shift;
  } suffixes[] = {{"", 0},     {"k", 10}, {"kib", 10}, {"m", 20},
                  {"mib", 20}, {"g", 30}, {"gib", 30}};
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
    if (strcasecmp(s, suffixes[i].name) == 0)
      return suffixes[i].shift;
  return -1;
}

int ws_arg_bytes(const char *option, const char *text, uint64_t min,
                 uint64_t max, uint64_t *out) {
  const char *end;
  uint64_t v;
  int shift;
  if (parse_decimal(text, &v, &end) != 0 || (shift = suffix_shift(end)) < 0 ||
      (shift > 0 && v > (UINT64_MAX >> shift)))
    return range_error(option, text, min, max, "a byte count (e.g. 64M)");
  v <<= shift;
  if (v < min || v > max)
    return range_error(option, text, min, max, "a byte count");
  *out = v;
  return 0;
}
