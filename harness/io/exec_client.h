/* The client under test as a child process the harness owns, one run per
 * case (`wsprobe serve --exec "CMD {url}"`): started with the case's URL,
 * given a deadline, and killed with its whole process group past it. */
#ifndef WS_HARNESS_EXEC_CLIENT_H
#define WS_HARNESS_EXEC_CLIENT_H

#include "io/exec_child.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_exec_client_run {
  ws_exec_exit exit; /* how it ended (the caller frees exit.stderr_tail) */
  bool killed;       /* it outlived deadline_ms: we sent SIGKILL */
  double duration_ms;
} ws_exec_client_result;

/* Runs `command` through /bin/sh with every "{url}" replaced by url, waits
 * until it exits or deadline_ms (util/clock.h) passes, then SIGKILLs its
 * process group, and keeps the last bytes of its stderr. 0 with *out
 * filled, or -1 with a reason in err (it could not be started). */
int ws_exec_client_run(const char *command, const char *url,
                       int64_t deadline_ms, ws_exec_client_result *out,
                       char *err, size_t cap);

#endif
