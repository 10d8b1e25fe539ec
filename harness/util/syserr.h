/* strerror() for threads: cases run in parallel, and strerror() may share
 * one static buffer between them. */
#ifndef WS_HARNESS_SYSERR_H
#define WS_HARNESS_SYSERR_H

#include <stddef.h>

/* The message for errno value err, in buf or a static string. */
const char *ws_strerror(int err, char *buf, size_t cap);

#endif
