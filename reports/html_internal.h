/* Private to the HTML writers (html_*.c): escaping, the page frame with its
 * inline assets, and the wire log decoder.
 *
 * Every string that reaches the page goes through one of the escapers below,
 * whoever it comes from: the peer controls headers, close reasons and
 * payloads, the person running the test controls the agent name, the target
 * and case files. The escapers also make the output valid UTF-8 (invalid
 * bytes become U+FFFD) so the browser sees exactly what we meant. */
#ifndef WS_REPORTS_HTML_INTERNAL_H
#define WS_REPORTS_HTML_INTERNAL_H

#include "reports/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- html_escape.c ---- */

/* Text content or a double-quoted attribute value: & < > " ' become
 * references, C0 controls become their visible Control Pictures (U+2400..)
 * apart from tab and newline, invalid UTF-8 becomes U+FFFD. NULL writes
 * nothing. */
void ws_html_text(FILE *out, const char *s);
void ws_html_text_n(FILE *out, const uint8_t *s, size_t n);

/* A JSON string literal (with its quotes) safe inside a <script> element:
 * < > & are \u escaped, so neither "</script" nor "<!--" can appear, and
 * U+2028/2029 are escaped too. Invalid UTF-8 becomes U+FFFD. */
void ws_html_json_string(FILE *out, const uint8_t *s, size_t n);
void ws_html_json_cstr(FILE *out, const char *s); /* NULL: null */

/* Bytes as the text a person reads in a wire log, as a JSON string: printable
 * ASCII and valid UTF-8 as is, backslash doubled, anything else \xNN. */
void ws_html_json_display(FILE *out, const uint8_t *s, size_t n);

/* The fragment of a case anchor ("case-" + id), percent-encoded for an href:
 * opening index.html#case-6.4.1 must work for any id. */
void ws_html_href_fragment(FILE *out, const char *id);

/* A relative file path as an href: every byte but ALPHA DIGIT - . _ ~ and /
 * percent-encoded (":" too, so a first segment never reads as a scheme). */
void ws_html_href_path(FILE *out, const char *path);

/* Numeric-aware id order: "1.1.2" < "1.1.10" < "1.2", "hs.9" < "hs.10". */
int ws_html_id_compare(const char *a, const char *b);

/* "6455#5.5, 7692#7.2.1" as "RFC 6455 §5.5, RFC 7692 §7.2.1", each a link
 * to that section on www.rfc-editor.org (see html_rfc.c). */
void ws_html_rfc_links(FILE *out, const char *rfc);

/* A finite duration for display ("0.748 ms", "3.4 s"). */
void ws_html_duration(FILE *out, double ms);

/* ---- html_page.c ---- */

/* The top of a page: doctype, charset, viewport, a Content-Security-Policy
 * that allows no network at all and only our own inline script and style
 * (by hash: injected markup could not run even if escaping failed), the
 * inline CSS, then <body>. script is the asset file name ("report.js").
 * 0, or -1 when an asset is missing or a write fails. */
int ws_html_page_begin(FILE *out, const char *title, const char *script);

/* The inline script named at the start, then </body></html>. */
int ws_html_page_end(FILE *out, const char *script);

/* ---- html_writer.c ---- */

/* No agent other than the target URL: `wsprobe test` records the URL as the
 * agent when --agent is not given, and a page names it once, not twice. */
bool ws_html_agent_is_target(const ws_run_results *r);

/* ---- html_relpath.c ---- */

/* The path of to_file relative to the directory holding from_file, for a
 * link between two pages: "../run-a/index.html". Both directories must
 * exist and are resolved with realpath(3) (neither file need exist yet).
 * Heap, or NULL with errno. */
char *ws_html_relative_path(const char *from_file, const char *to_file);

/* ---- html_case.c ---- */

/* One case of index.html: a <details> element with id "case-" + c->id and
 * data-area, its facts as static HTML, and its wire log as embedded JSON (id
 * "w" + index) that report.js renders when the case is opened. show_area: the
 * case is listed outside its area, so its summary names the area; gate_tag
 * (NULL: none) is its role in the CI view (ws_html_gate_tag). 0, or -1
 * (ENOMEM). */
int ws_html_case(FILE *out, const ws_case_result *c, size_t index,
                 bool show_area, const char *gate_tag);

/* The verdict of c, clamped to a known one. */
enum ws_verdict ws_html_verdict(const ws_case_result *c);

/* The display order of verdicts, most urgent first: fail, error, non-strict,
 * informational, unimplemented, pass. Summaries, filters and the order of
 * cases in index.html all follow it. */
extern const enum ws_verdict ws_html_verdict_order[WS_VERDICT_COUNT];

/* v's place in ws_html_verdict_order (0: most urgent). */
size_t ws_html_verdict_rank(enum ws_verdict v);

/* Needs a person's attention: fail, error, non-strict. */
bool ws_html_needs_attention(enum ws_verdict v);

/* ---- html_gate.c ---- */
struct ws_gate;
/* The run as `wsprobe test` gated it (ci_gate.h): the exit status and why,
 * and with a baseline its regressions, unexpected passes, expected and
 * not-run cases, each a link to the case. g NULL writes nothing (`wsprobe
 * report` re-renders results.json, which records no gate). */
void ws_html_gate_section(FILE *out, const ws_run_results *r,
                          const struct ws_gate *g);
/* The tag a case's summary carries in that view ("regression", "expected
 * by baseline", "unexpected pass", "fails the job (--fail-on)"), or NULL. */
const char *ws_html_gate_tag(const struct ws_gate *g, const ws_case_result *c);
/* ---- html_sections.c ---- */

/* Is r->cases[i]'s string field (offsetof in ws_case_result) the first case
 * with that value? Areas and levels are listed in order of first appearance. */
bool ws_html_first_of(const ws_run_results *r, size_t i, size_t field);

/* The cases of index.html, in the order a person triages them (see
 * html_sections.c): "Needs attention" first, then the areas; g (NULL:
 * none) tags each case with its CI role. 0, or -1 (ENOMEM). */
int ws_html_sections(FILE *out, const ws_run_results *r,
                     const struct ws_gate *g);

/* ---- html_wire.c ---- */

/* Limits of what one case's wire log puts into the page. The decoder reads
 * every byte; what is cut is only the display (results.json holds it all). */
#define WS_HTML_HEX_ENTRY_MAX ((size_t)16 << 10)
#define WS_HTML_HEX_CASE_MAX ((size_t)64 << 10)
#define WS_HTML_ROWS_MAX 4000
#define WS_HTML_ENTRIES_MAX 4000

/* The wire log of c as one JSON object, decoded: per entry its time,
 * direction, size, note, hex (bounded) and rows (HTTP lines, frame headers
 * with payload previews, continuations). Arbitrary bytes are safe: lying or
 * huge lengths and partial frames are shown as such. 0, or -1 (ENOMEM). */
int ws_html_wire_json(FILE *out, const ws_case_result *c);

#endif
