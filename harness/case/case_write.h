/* A ws_case back to case-file text (cases/FORMAT.md): what `wsprobe fuzz`
 * writes for its findings, so they replay with `wsprobe test --case-file`.
 * Parsing the text yields a case equal to the original under
 * ws_case_equal (line numbers and the `text` of outcomes aside). */
#ifndef WS_HARNESS_CASE_WRITE_H
#define WS_HARNESS_CASE_WRITE_H

#include "case/case.h"

#include <stdbool.h>
#include <stddef.h>

/* Writes c as one case (<info>, <send>, <expect>). *out is heap memory,
 * NUL-terminated, owned by the caller (free()); *len is its length.
 * Returns 0, or -1 with a reason in err: out of memory, or a value the
 * format cannot hold (a NUL byte in a title, a raw request that sends a
 * literal "{host}" without ending in an empty line, an opening step that is
 * not first). */
int ws_case_write(const ws_case *c, char **out, size_t *len, char *err,
                  size_t cap);

/* Field by field comparison of everything the runner and the grader read
 * (info, steps, expectations, derived flags); line numbers, the file name
 * and outcome texts are ignored. On a difference returns false and says
 * where in why (may be NULL). */
bool ws_case_equal(const ws_case *a, const ws_case *b, char *why, size_t cap);

#endif
