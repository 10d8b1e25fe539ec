/* Writing a report file so that a reader never sees half of it: the document
 * goes to a temporary file next to the target, is flushed to disk, then
 * renamed over the target. A run killed mid-write leaves the previous file
 * (or none), never a truncated one. */
#ifndef WS_REPORTS_ATOMIC_FILE_H
#define WS_REPORTS_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Writes the whole document to out; 0, or -1 (errno set when known). */
typedef int (*ws_document_fn)(FILE *out, const void *ctx);

/* 0, or -1 with "cannot write PATH: reason" in err. The file is created
 * with mode 0644 so CI users can read the report. */
int ws_write_atomically(const char *path, ws_document_fn write, const void *ctx,
                        char *err, size_t cap);

/* mkdir -p: creates each missing component of dir; one that exists must be
 * a directory. 0, or -1 with "cannot create directory D: reason" in err. */
int ws_make_dirs(const char *dir, char *err, size_t cap);

#endif
