/* Our verdicts in Autobahn's vocabulary (case/case.py in
 * crossbario/autobahn-testsuite names them).
 *
 * behavior, one to one except error:
 *   pass -> OK, non-strict -> NON-STRICT, informational -> INFORMATIONAL,
 *   unimplemented -> UNIMPLEMENTED, fail -> FAILED, error -> FAILED.
 * error is "the harness could not run the case". Autobahn has no word for
 * that: a case it could not finish keeps its initial FAILED. Scripts read
 * anything other than OK, NON-STRICT and INFORMATIONAL (and sometimes
 * UNIMPLEMENTED) as a failure, and a case we could not run must not pass
 * silently, so error is FAILED too; the case file's "result" and "wsprobe"
 * keys say that it was an error.
 *
 * behaviorClose judges the close alone in Autobahn. We grade a case as a
 * whole, so it is read off the reason code of the verdict (engine/grade*.c):
 *   close-code                          -> WRONG CODE  (a close code outside
 *                                          the expected ones)
 *   tcp-close-order                     -> FAILED BY CLIENT  (the server did
 *                                          not close TCP first; Autobahn's
 *                                          "It is preferred that the server
 *                                          close the TCP connection")
 *   drop                                -> UNCLEAN  (TCP dropped where a
 *                                          closing handshake was due)
 *   no-close, close-unexpected,
 *   close-not-drop, no-drop             -> FAILED  (the wrong endpoint
 *                                          closed, or nobody did)
 * any other reason, and pass and unimplemented -> OK (the close was not what
 * the verdict faulted); informational with a close reason -> INFORMATIONAL;
 * error -> FAILED. */
#include "reports/autobahn.h"

#include <string.h>

const char *ws_autobahn_behavior(enum ws_verdict v) {
  switch (v) {
  case WS_VERDICT_PASS:
    return "OK";
  case WS_VERDICT_NON_STRICT:
    return "NON-STRICT";
  case WS_VERDICT_INFORMATIONAL:
    return "INFORMATIONAL";
  case WS_VERDICT_UNIMPLEMENTED:
    return "UNIMPLEMENTED";
  default: /* fail, error, and a value a file made up */
    return "FAILED";
  }
}

static const struct {
  const char *reason_code;
  const char *behavior_close;
} close_reasons[] = {
    {"close-code", "WRONG CODE"},
    {"tcp-close-order", "FAILED BY CLIENT"},
    {"drop", "UNCLEAN"},
    {"no-close", "FAILED"},
    {"close-unexpected", "FAILED"},
    {"close-not-drop", "FAILED"},
    {"no-drop", "FAILED"},
};

const char *ws_autobahn_behavior_close(const ws_case_result *c) {
  switch (c->verdict) {
  case WS_VERDICT_PASS:
  case WS_VERDICT_UNIMPLEMENTED:
    return "OK";
  case WS_VERDICT_INFORMATIONAL:
  case WS_VERDICT_NON_STRICT:
  case WS_VERDICT_FAIL:
    break;
  default:
    return "FAILED";
  }
  const char *code = c->reason_code ? c->reason_code : "";
  for (size_t i = 0; i < sizeof close_reasons / sizeof close_reasons[0]; i++)
    if (strcmp(code, close_reasons[i].reason_code) == 0)
      return c->verdict == WS_VERDICT_INFORMATIONAL
                 ? "INFORMATIONAL"
                 : close_reasons[i].behavior_close;
  return "OK";
}
