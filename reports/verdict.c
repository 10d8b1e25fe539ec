#include "reports/verdict.h"

#include <string.h>

static const struct {
  const char *name;
  const char *key;
} names[WS_VERDICT_COUNT] = {
    [WS_VERDICT_PASS] = {"pass", "pass"},
    [WS_VERDICT_INFORMATIONAL] = {"informational", "informational"},
    [WS_VERDICT_UNIMPLEMENTED] = {"unimplemented", "unimplemented"},
    [WS_VERDICT_NON_STRICT] = {"non-strict", "non_strict"},
    [WS_VERDICT_FAIL] = {"fail", "fail"},
    [WS_VERDICT_ERROR] = {"error", "error"},
};

const char *ws_verdict_name(enum ws_verdict v) {
  return (unsigned)v < WS_VERDICT_COUNT ? names[v].name : "unknown";
}

const char *ws_verdict_key(enum ws_verdict v) {
  return (unsigned)v < WS_VERDICT_COUNT ? names[v].key : "unknown";
}

int ws_verdict_parse(const char *name) {
  for (int v = 0; v < WS_VERDICT_COUNT; v++)
    if (strcmp(name, names[v].name) == 0 || strcmp(name, names[v].key) == 0)
      return v;
  return -1;
}
