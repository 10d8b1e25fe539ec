/* The case catalogue: case files parsed into ws_case values (case.h).
 * The parser never trusts its input: every error is "FILE:LINE: message",
 * every size is bounded (cases/FORMAT.md "Errors"), and it is a fuzz target. */
#ifndef WS_HARNESS_CATALOGUE_H
#define WS_HARNESS_CATALOGUE_H

#include "case/case.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_catalogue ws_catalogue;

/* Memory one case file may make the parser allocate (payloads, steps, table
 * rows), so a hostile file fails cleanly instead of exhausting memory. */
#define WS_CATALOGUE_FILE_MEMORY ((size_t)256 << 20)

/* seed feeds random(N) payloads (with the case id), so --seed reproduces
 * them: the bytes are ws_prng_fill from ws_prng_seed(seed, "random:" ID),
 * one stream per case consumed in file order. NULL on allocation failure. */
ws_catalogue *ws_catalogue_new(uint64_t seed);
void ws_catalogue_free(ws_catalogue *cat);
/* Replaces WS_CATALOGUE_FILE_MEMORY for later add_* calls (fuzz targets
 * lower it); 0 means no limit. */
void ws_catalogue_set_file_memory(ws_catalogue *cat, size_t bytes);
/* Which side the harness plays with this catalogue (default: the client,
 * `wsprobe test`): later add_* calls keep only the cases it can play from
 * there (ws_case_plays); the others are parsed and checked, then left out.
 * Ids are unique among the cases kept. */
void ws_catalogue_set_role(ws_catalogue *cat, enum ws_role role);

/* Parses one case file's text and appends its cases. Returns 0, or -1 with
 * "NAME:LINE: message" in err. On error nothing of that text is added.
 * A case id already in the catalogue is an error. */
int ws_catalogue_add_text(ws_catalogue *cat, const char *name, const char *text,
                          size_t len, char *err, size_t cap);
/* Reads a file (at most 1 MiB) and adds it. I/O errors are "PATH: message"
 * (no line). */
int ws_catalogue_add_file(ws_catalogue *cat, const char *path, char *err,
                          size_t cap);
/* Every *.case below dir, recursively (hidden entries skipped), sorted by
 * path; stops at the first file with an error (earlier files stay added). */
int ws_catalogue_add_dir(ws_catalogue *cat, const char *dir, char *err,
                         size_t cap);
/* The catalogue embedded in the binary at build time (cases/). */
int ws_catalogue_add_builtin(ws_catalogue *cat, char *err, size_t cap);

size_t ws_catalogue_count(const ws_catalogue *cat);
const ws_case *ws_catalogue_get(const ws_catalogue *cat, size_t index);
const ws_case *ws_catalogue_find(const ws_catalogue *cat, const char *id);

/* Orders cases by id, numerically per dot-separated part ("1.1.2" before
 * "1.1.10"; "hs.2" before "hs.10"). */
void ws_catalogue_sort(ws_catalogue *cat);

/* A pattern matches a case when it equals its area, or is a prefix of its id
 * ending at a dot boundary ("1.1" matches "1.1.3", not "1.10"), or is a glob
 * (* ? [..]) matching the whole id. */
bool ws_case_matches(const ws_case *c, const char *pattern);

/* The embedded files, generated at build time: NULL-terminated. */
typedef struct ws_builtin_case_file {
  const char *name;
  const char *text;
  size_t len;
} ws_builtin_case_file;
extern const ws_builtin_case_file ws_builtin_case_files[];

#endif
