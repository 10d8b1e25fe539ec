/* Private API between the case-file parser's files (case_parse*.c) and the
 * catalogue. The parser reads text line by line, builds ws_case values in an
 * arena and hands each finished case to an accept callback (the catalogue,
 * which checks ids); every error is "NAME:LINE[ (row R)]: message". */
#ifndef WS_HARNESS_CASE_PARSE_H
#define WS_HARNESS_CASE_PARSE_H

#include "case/case.h"
#include "case/payload.h"
#include "util/arena.h"
#include "util/prng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of cases/FORMAT.md "Errors" not already in case.h. */
#define WS_CASE_MAX_TABLE_COLUMNS 64
#define WS_CASE_MAX_WAIT_MS 600000u
#define WS_CASE_MAX_TIMEOUT_MS 600000u

/* A text read line by line; line numbers count from first_no. */
typedef struct ws_src {
  const char *text;
  size_t len, pos;
  int next_no;
} ws_src;

typedef struct ws_line {
  const char *p; /* without the '\n' and a final '\r' */
  size_t len;
  int no;
} ws_line;

/* A position inside one line. */
typedef struct ws_cursor {
  const char *p, *end;
} ws_cursor;

typedef struct ws_label_ref {
  const char *label;
  size_t index; /* into the case's steps */
  int line;
} ws_label_ref;

/* The catalogue's say on a finished case: 0, or -1 with a message (a
 * duplicate id, out of memory). */
typedef int (*ws_case_accept_fn)(void *user, ws_case *c, char *msg, size_t cap);

typedef struct ws_parser {
  ws_arena *arena; /* owns everything the parse produces */
  uint64_t seed;
  const char *name; /* the file name, as given (arena copy) */
  char row[48];     /* "(row ID)" context while instantiating a table */
  char *err;
  size_t cap;
  ws_case_accept_fn accept;
  void *user;
  size_t case_count; /* cases accepted so far from this text */
  ws_prng rng;       /* random(N) stream of the case being parsed */
  /* The current case's labelled steps sorted by label (ws_malloc'd by
   * ws_parse_send, freed by the case's end): duplicate labels and `before`
   * cost log(steps), not steps, per lookup. */
  struct ws_label_ref *labels;
  size_t nlabels;
  ws_payload_env env;
} ws_parser;

/* Parses a whole file's text. 0, or -1 with p->err filled. */
int ws_case_parse_text(ws_parser *p, const char *text, size_t len);

/* ---- shared by the parser's files ---- */

int ws_parse_fail(ws_parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "out of memory", or the arena's limit when that is what failed. */
int ws_parse_oom(ws_parser *p, int line);
/* A token made printable and short, for messages (one static-free buffer in
 * the caller). */
const char *ws_parse_show(char *buf, size_t cap, const char *s, size_t n);

bool ws_src_next(ws_src *s, ws_line *out);
bool ws_line_skippable(const ws_line *l); /* blank or '#' comment */
ws_cursor ws_line_trimmed(const ws_line *l);
bool ws_cur_is(const ws_cursor *c, const char *lit); /* whole cursor */
void ws_cur_skip(ws_cursor *c);                      /* blanks */
bool ws_cur_end(ws_cursor *c);                       /* after blanks */
/* The next run of non-blank characters; its length (0 at the end). */
size_t ws_cur_word(ws_cursor *c, const char **w);
bool ws_word_is(const char *w, size_t n, const char *lit);
/* Decimal without sign, at most max: 0, -1 not a number, -2 too large. */
int ws_parse_u64(const char *w, size_t n, uint64_t max, uint64_t *out);
char *ws_parse_strdup(ws_parser *p, int line, const char *s, size_t n);

/* Blocks: each starts after its opening tag and consumes its closing tag. */
int ws_parse_cases(ws_parser *p, ws_src *src, bool in_template);
int ws_parse_table(ws_parser *p, ws_src *src, int open_line);
int ws_parse_send(ws_parser *p, ws_src *src, ws_case *c, int open_line);
int ws_parse_expect(ws_parser *p, ws_src *src, ws_case *c, int open_line);
/* The arguments of a `stream` step (case_parse_stream.c). */
int ws_parse_stream_step(ws_parser *p, ws_cursor *cur, int line, ws_step *s);
/* The step labelled label[0..n), or NULL. */
const ws_label_ref *ws_parse_find_label(const ws_parser *p, const char *label,
                                        size_t n);

#endif
