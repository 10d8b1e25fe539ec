/* Private to the summary.md writers: markdown_writer.c (the document, its
 * counts and areas) and markdown_gate.c (what decides the exit status:
 * failed cases, the baseline's regressions, unexpected passes and expected
 * cases). Both escape cell text with ws_md_text (markdown_text.c). */
#ifndef WS_REPORTS_MARKDOWN_INTERNAL_H
#define WS_REPORTS_MARKDOWN_INTERNAL_H

#include "reports/ci_gate.h"
#include "reports/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Rows of a case table before "_... and N more (see results.json)_". */
#define WS_MARKDOWN_MAX_FAILED 50
/* A table cell longer than this is cut (at a character boundary): a PR
 * comment has a size limit and a reason is meant to be one line. */
#define WS_MARKDOWN_MAX_CELL 200

/* Writes at most max bytes of s (0: no limit) as Markdown text that can
 * neither break a table row nor inject markup: newlines become spaces,
 * Markdown punctuation gets a backslash, < > & become entities, and bytes
 * that are not printable UTF-8 become a visible \xNN; "..." marks a cut.
 * NULL writes nothing. */
void ws_md_text(FILE *out, const char *s, size_t max);

/* The status line ("**Exit status 1:** ...") and the warning about ids
 * the baseline lists that no case has. */
void ws_md_gate_header(FILE *out, const ws_run_results *r, const ws_gate *g);

/* The case tables that decide the exit status: without a baseline, "Failed
 * cases" (the --fail-on verdicts, and the cases not run); with one, a
 * "Baseline" section (regressions first, then unexpected passes, then the
 * expected cases, folded) and "Cases not run". */
void ws_md_gate_sections(FILE *out, const ws_run_results *r, const ws_gate *g);

#endif
