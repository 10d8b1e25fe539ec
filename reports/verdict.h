/* Verdicts, shared by the harness (which grades) and the report writers. */
#ifndef WS_REPORTS_VERDICT_H
#define WS_REPORTS_VERDICT_H

/* In increasing order of severity (reports sort and colour by it). */
enum ws_verdict {
  WS_VERDICT_PASS,
  WS_VERDICT_INFORMATIONAL,
  WS_VERDICT_UNIMPLEMENTED,
  WS_VERDICT_NON_STRICT,
  WS_VERDICT_FAIL,
  WS_VERDICT_ERROR, /* the harness could not run the case */
  WS_VERDICT_COUNT
};

/* "pass", "informational", "unimplemented", "non-strict", "fail", "error" */
const char *ws_verdict_name(enum ws_verdict v);
/* The JSON summary key: "pass", "non_strict", ... */
const char *ws_verdict_key(enum ws_verdict v);
/* -1 when the name is unknown. Accepts "non-strict" and "non_strict". */
int ws_verdict_parse(const char *name);

#endif
