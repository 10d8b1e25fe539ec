/* Names of the case model's enums, as written in case files, for listings,
 * `wsprobe show` and reports. */
#include "case/case.h"

#include <string.h>

const char *ws_case_level_name(enum ws_case_level level) {
  switch (level) {
  case WS_LEVEL_MUST:
    return "MUST";
  case WS_LEVEL_SHOULD:
    return "SHOULD";
  case WS_LEVEL_MAY:
    return "MAY";
  }
  return "unknown";
}

const char *ws_case_roles_name(unsigned roles) {
  switch (roles) {
  case WS_ROLES_SERVER:
    return "server";
  case WS_ROLES_BOTH:
    return "both";
  default:
    return "client";
  }
}

const char *ws_step_kind_name(enum ws_step_kind kind) {
  static const char *const names[] = {
      [WS_STEP_FRAME] = "frame",       [WS_STEP_FRAGMENTED] = "fragmented",
      [WS_STEP_RAW] = "raw",           [WS_STEP_CHOP] = "chop",
      [WS_STEP_COALESCE] = "coalesce", [WS_STEP_FLUSH] = "flush",
      [WS_STEP_WAIT] = "wait",         [WS_STEP_HANDSHAKE] = "handshake",
      [WS_STEP_REQUEST] = "request",   [WS_STEP_STREAM] = "stream",
      [WS_STEP_AWAIT] = "await",       [WS_STEP_RESPONSE] = "response",
  };
  return (unsigned)kind < sizeof names / sizeof *names ? names[kind]
                                                       : "unknown";
}

const char *ws_pred_kind_name(enum ws_pred_kind kind) {
  static const char *const names[] = {
      [WS_PRED_OTHERWISE] = "otherwise",
      [WS_PRED_ECHO] = "echo",
      [WS_PRED_PARTIAL_ECHO] = "partial-echo",
      [WS_PRED_MESSAGES] = "messages",
      [WS_PRED_PONGS] = "pongs",
      [WS_PRED_CLOSE] = "close",
      [WS_PRED_NO_CLOSE] = "no-close",
      [WS_PRED_DROP] = "drop",
      [WS_PRED_BEFORE] = "before",
      [WS_PRED_STATUS] = "status",
      [WS_PRED_NO_RESPONSE] = "no-response",
      [WS_PRED_UPGRADED] = "upgraded",
      [WS_PRED_HEADER] = "header",
      [WS_PRED_NO_HEADER] = "no-header",
      [WS_PRED_ALIVE] = "alive",
      [WS_PRED_LAST_PONG] = "last-pong",
      [WS_PRED_STREAM_ECHO] = "stream-echo",
      [WS_PRED_DEFLATE] = "deflate",
      [WS_PRED_NO_DEFLATE] = "no-deflate",
      [WS_PRED_OFFERED] = "offered",
      [WS_PRED_NOT_OFFERED] = "not-offered",
  };
  return (unsigned)kind < sizeof names / sizeof *names ? names[kind]
                                                       : "unknown";
}

const char *ws_profile_name(enum ws_profile profile) {
  return profile == WS_PROFILE_FULL ? "full" : "default";
}

int ws_profile_parse(const char *name) {
  if (strcmp(name, "default") == 0)
    return WS_PROFILE_DEFAULT;
  if (strcmp(name, "full") == 0)
    return WS_PROFILE_FULL;
  return -1;
}
