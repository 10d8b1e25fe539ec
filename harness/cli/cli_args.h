/* Strict parsing of command-line values: a typo is a clear error (exit 2),
 * never a silent 0. */
#ifndef WS_HARNESS_CLI_ARGS_H
#define WS_HARNESS_CLI_ARGS_H

#include <stdint.h>

/* Decimal integer in [min, max]. On error prints
 * "wsprobe: OPTION: 'TEXT' is not ..." to stderr and returns -1. */
int ws_arg_uint(const char *option, const char *text, uint64_t min,
                uint64_t max, uint64_t *out);

/* Byte count with an optional binary suffix: 512, 64K, 16M, 1G (also KiB,
 * MiB, GiB). Same error contract. */
int ws_arg_bytes(const char *option, const char *text, uint64_t min,
                 uint64_t max, uint64_t *out);

#endif
