/* One case of index.html. The facts are static HTML (readable and printable
 * even with JavaScript off, and searchable by the browser's find); only the
 * wire log, the bulk of a large run, waits as JSON until the case is opened,
 * so a 500-case run with every wire kept still opens quickly. */
#include "reports/html_internal.h"

#include <string.h>

/* What a person acts on first: a failure is the implementation's, an error
 * means the run did not test the case at all, a non-strict case is a
 * SHOULD; the rest needs no action. */
const enum ws_verdict ws_html_verdict_order[WS_VERDICT_COUNT] = {
    WS_VERDICT_FAIL,          WS_VERDICT_ERROR,         WS_VERDICT_NON_STRICT,
    WS_VERDICT_INFORMATIONAL, WS_VERDICT_UNIMPLEMENTED, WS_VERDICT_PASS,
};

size_t ws_html_verdict_rank(enum ws_verdict v) {
  for (size_t i = 0; i < WS_VERDICT_COUNT; i++)
    if (ws_html_verdict_order[i] == v)
      return i;
  return 0; /* unknown: as urgent as it gets (ws_html_verdict clamps) */
}

bool ws_html_needs_attention(enum ws_verdict v) {
  return v == WS_VERDICT_FAIL || v == WS_VERDICT_ERROR ||
         v == WS_VERDICT_NON_STRICT;
}

enum ws_verdict ws_html_verdict(const ws_case_result *c) {
  return (unsigned)c->verdict < WS_VERDICT_COUNT ? c->verdict
                                                 : WS_VERDICT_ERROR;
}

static void fact(FILE *out, const char *name, const char *value,
                 const char *cls) {
  fprintf(out, "<dt>%s</dt><dd class=\"%s\">", name, cls);
  if (value && *value)
    ws_html_text(out, value);
  else
    fputs("<span class=\"muted\">none</span>", out);
  fputs("</dd>\n", out);
}

static void summary(FILE *out, const ws_case_result *c, bool show_area,
                    const char *gate_tag) {
  const char *v = ws_verdict_name(ws_html_verdict(c));
  fprintf(out, "<summary><span class=\"badge v-%s\">%s</span>", v, v);
  /* Next to the verdict it qualifies ("fail", but expected by baseline). */
  if (gate_tag) {
    fputs("<span class=\"gtag\">", out);
    ws_html_text(out, gate_tag);
    fputs("</span>", out);
  }
  fputs("<span class=\"cid\">", out);
  ws_html_text(out, c->id);
  fputs("</span><span class=\"ctitle\">", out);
  ws_html_text(out, c->title);
  fputs("</span><span class=\"cmeta\">", out);
  if (show_area) {
    fputs("<span class=\"carea\">", out);
    ws_html_text(out, c->area && *c->area ? c->area : "(no area)");
    fputs("</span>", out);
  }
  fputs("<span class=\"lvl\">", out);
  ws_html_text(out, c->level);
  fputs("</span><span class=\"dur\">", out);
  ws_html_duration(out, c->duration_ms);
  fputs("</span></span></summary>\n", out);
}

static void reason(FILE *out, const ws_case_result *c) {
  if ((!c->reason || !*c->reason) && (!c->reason_code || !*c->reason_code))
    return;
  fputs("<p class=\"reason\">", out);
  if (c->reason_code && *c->reason_code) {
    fputs("<code class=\"rcode\">", out);
    ws_html_text(out, c->reason_code);
    fputs("</code> ", out);
  }
  ws_html_text(out, c->reason);
  fputs("</p>\n", out);
}

static void rfc_fact(FILE *out, const ws_case_result *c) {
  fputs("<dt>RFC</dt><dd><span class=\"rfcs\">", out);
  if (c->rfc && *c->rfc)
    ws_html_rfc_links(out, c->rfc);
  else
    fputs("<span class=\"muted\">none</span>", out);
  fputs("</span> <span class=\"lvl\">", out);
  ws_html_text(out, c->level);
  fputs("</span></dd>\n", out);
}

/* Who started the closing handshake, what the peer sent, how it ended. */
static void close_fact(FILE *out, const ws_case_result *c) {
  const char *by = c->close_by ? c->close_by : "none";
  fputs("<dt>Close</dt><dd class=\"close\">", out);
  if (!c->has_close) {
    fputs("no close frame from the peer", out);
  } else if (c->close_empty) {
    fputs("peer sent a close frame with no payload (no status code)", out);
  } else {
    fprintf(out, "peer sent close <b>%u</b>", (unsigned)c->close_code);
    if (c->close_reason && *c->close_reason) {
      fputs(" with reason <q>", out);
      ws_html_text(out, c->close_reason);
      fputs("</q>", out);
    }
  }
  if (strcmp(by, "none") != 0) {
    fputs("; closing started by the ", out);
    ws_html_text(out, by);
  }
  fprintf(out, "; %s</dd>\n",
          c->close_clean ? "clean (closing handshake done, TCP closed)"
                         : "not clean");
}

static int wire(FILE *out, const ws_case_result *c, size_t index) {
  if (c->wire_dropped)
    fprintf(out,
            "<p class=\"muted wire-dropped\">%llu bytes of this exchange are "
            "not in the wire log (<code>--wire-max</code>, or the run's "
            "report budget).</p>\n",
            (unsigned long long)c->wire_dropped);
  if (c->wire_count == 0) {
    fputs("<p class=\"muted\">No wire log: it is kept for cases that did not "
          "pass (run with <code>--wire-all</code> to keep every case's).</p>\n",
          out);
    return 0;
  }
  fprintf(out,
          "<div class=\"wire\" data-src=\"w%zu\"><p class=\"muted\">Wire log: "
          "%zu entr%s, shown when the case is opened (needs "
          "JavaScript).</p></div>\n<script type=\"application/json\" "
          "id=\"w%zu\">",
          index, c->wire_count, c->wire_count == 1 ? "y" : "ies", index);
  int rc = ws_html_wire_json(out, c);
  fputs("</script>\n", out);
  return rc;
}

int ws_html_case(FILE *out, const ws_case_result *c, size_t index,
                 bool show_area, const char *gate_tag) {
  const char *v = ws_verdict_name(ws_html_verdict(c));
  fprintf(out, "<details class=\"case v-%s\" data-v=\"%s\" id=\"case-", v, v);
  ws_html_text(out, c->id);
  fputs("\" data-area=\"", out);
  ws_html_text(out, c->area);
  fputs("\" data-level=\"", out);
  ws_html_text(out, c->level);
  fputs("\">\n", out);
  summary(out, c, show_area, gate_tag);
  fputs("<div class=\"cbody\">\n", out);
  reason(out, c);
  fputs("<dl class=\"facts\">\n", out);
  fact(out, "Title", c->title, "");
  rfc_fact(out, c);
  fact(out, "Autobahn", c->autobahn, "");
  fact(out, "Expected", c->expected, "pre");
  fact(out, "Observed", c->observed, "pre");
  if (c->deflate)
    fact(out, "permessage-deflate", c->deflate, "");
  close_fact(out, c);
  fputs("<dt>Duration</dt><dd>", out);
  ws_html_duration(out, c->duration_ms);
  fputs("</dd>\n</dl>\n<p class=\"links\"><a class=\"permalink\" href=\"", out);
  ws_html_href_fragment(out, c->id);
  fputs("\">Link to this case</a></p>\n", out);
  int rc = wire(out, c, index);
  fputs("</div>\n</details>\n", out);
  return rc;
}
