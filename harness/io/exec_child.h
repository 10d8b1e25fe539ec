/* What the owned processes of the harness share: a command started through
 * /bin/sh in its own process group (so a signal reaches everything it
 * spawns) with its stderr on a pipe, and the ring buffer that keeps the last
 * bytes of that stderr (a sanitizer report included). exec_server.h owns a
 * server under test this way, exec_client.h a client under test. */
#ifndef WS_HARNESS_EXEC_CHILD_H
#define WS_HARNESS_EXEC_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define WS_EXEC_STDERR_TAIL 16384 /* bytes of the child's stderr kept */

/* How a child ended. */
typedef struct ws_exec_exit {
  bool exited; /* it is gone (exit or signal) */
  int status;  /* exit status when !signaled */
  bool signaled;
  int signal;
  char *stderr_tail; /* heap, NUL-terminated, the last bytes it wrote to
                        stderr (a sanitizer report included), or NULL */
} ws_exec_exit;

/* The last WS_EXEC_STDERR_TAIL bytes written to it. */
typedef struct ws_exec_tail {
  char ring[WS_EXEC_STDERR_TAIL];
  size_t start, len;
} ws_exec_tail;

void ws_exec_tail_put(ws_exec_tail *t, const char *p, size_t n);
/* A NUL-terminated heap copy, or NULL when out of memory. */
char *ws_exec_tail_copy(const ws_exec_tail *t);

/* cmd with every occurrence of `name` ("{port}", "{url}") replaced by
 * value; heap, NULL when out of memory. */
char *ws_exec_substitute(const char *cmd, const char *name, const char *value);

/* Starts `/bin/sh -c cmd` in a new process group (its id is the child's
 * pid), stdin and stdout on /dev/null, stderr into a pipe whose read end
 * (close-on-exec) is *err_fd; the harness's other descriptors are closed in
 * the child. 0, or -1 with a reason in err. */
int ws_exec_spawn(const char *cmd, pid_t *pid, int *err_fd, char *err,
                  size_t cap);

/* Fills *ex from a waitpid status (stderr_tail left NULL). */
void ws_exec_exit_from_status(int wait_status, ws_exec_exit *ex);

/* Whether a stderr tail holds a sanitizer report (ASan, UBSan, MSan, TSan,
 * LSan): a process that printed one failed, whatever its exit status. */
bool ws_exec_tail_has_sanitizer_report(const char *tail);

#endif
