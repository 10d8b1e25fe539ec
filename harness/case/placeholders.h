/* The placeholders a case's own opening bytes may hold, filled at run time
 * (cases/FORMAT.md): a `request` step's {host} {path} {key}, a `response`
 * step's {accept} {key} {protocol} (from the client's request). One list
 * for the parser, the table expander, the writer and the byte builder, so
 * a new placeholder cannot be known to some of them only. */
#ifndef WS_HARNESS_PLACEHOLDERS_H
#define WS_HARNESS_PLACEHOLDERS_H

#include <stddef.h>
#include <stdint.h>

/* NULL-terminated, in the order of the values a filler passes. */
extern const char *const ws_request_placeholders[];
extern const char *const ws_response_placeholders[];

/* The index in names of the placeholder that starts at p (n bytes from
 * there), or -1. */
int ws_placeholder_at(const uint8_t *p, size_t n, const char *const *names);

#endif
