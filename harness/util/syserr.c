#include "util/syserr.h"

#include <stdio.h>
#include <string.h>

const char *ws_strerror(int err, char *buf, size_t cap) {
#if defined(_GNU_SOURCE) && defined(__GLIBC__)
  return strerror_r(err, buf, cap);
#else
  if (strerror_r(err, buf, cap) != 0)
    snprintf(buf, cap, "error %d", err);
  return buf;
#endif
}
