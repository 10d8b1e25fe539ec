/* Spawning an owned command and keeping its stderr tail (exec_child.h). */
#include "io/exec_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void ws_exec_tail_put(ws_exec_tail *t, const char *p, size_t n) {
  if (n >= WS_EXEC_STDERR_TAIL) { /* only the tail of it fits */
    p += n - WS_EXEC_STDERR_TAIL;
    n = WS_EXEC_STDERR_TAIL;
  }
  for (size_t i = 0; i < n; i++) {
    size_t at = (t->start + t->len) % WS_EXEC_STDERR_TAIL;
    t->ring[at] = p[i];
    if (t->len < WS_EXEC_STDERR_TAIL)
      t->len++;
    else
      t->start = (t->start + 1) % WS_EXEC_STDERR_TAIL;
  }
}

char *ws_exec_tail_copy(const ws_exec_tail *t) {
  char *out = malloc(t->len + 1);
  if (!out)
    return NULL;
  for (size_t i = 0; i < t->len; i++)
    out[i] = t->ring[(t->start + i) % WS_EXEC_STDERR_TAIL];
  out[t->len] = '\0';
  return out;
}

char *ws_exec_substitute(const char *cmd, const char *name, const char *value) {
  size_t nl = strlen(name), vl = strlen(value), n = 0;
  for (const char *p = cmd; *p;) {
    bool hit = strncmp(p, name, nl) == 0;
    n += hit ? vl : 1;
    p += hit ? nl : 1;
  }
  char *out = malloc(n + 1), *o = out;
  if (!out)
    return NULL;
  for (const char *p = cmd; *p;) {
    if (strncmp(p, name, nl) == 0) {
      memcpy(o, value, vl);
      o += vl;
      p += nl;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return out;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const char *cmd, int err_w) {
  setpgid(0, 0);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
  }
  dup2(err_w, STDERR_FILENO);
  /* The harness's sockets and pipes are not the child's business. */
  for (int fd = 3; fd < 1024; fd++)
    close(fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
  _exit(127);
}

int ws_exec_spawn(const char *cmd, pid_t *pid_out, int *err_fd, char *err,
                  size_t cap) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    snprintf(err, cap, "cannot start the command: %s", strerror(errno));
    return -1;
  }
  pid_t pid = fork();
  if (pid == 0)
    child_exec(cmd, fds[1]);
  int saved = errno;
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    snprintf(err, cap, "fork: %s", strerror(saved));
    return -1;
  }
  setpgid(pid, pid); /* also here: no race with our first kill() */
  *pid_out = pid;
  *err_fd = fds[0];
  return 0;
}

void ws_exec_exit_from_status(int st, ws_exec_exit *ex) {
  memset(ex, 0, sizeof *ex);
  ex->exited = true;
  ex->signaled = WIFSIGNALED(st);
  ex->signal = ex->signaled ? WTERMSIG(st) : 0;
  ex->status = ex->signaled ? 0 : WEXITSTATUS(st);
}

bool ws_exec_tail_has_sanitizer_report(const char *tail) {
  static const char *const marks[] = {
      "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
      "ERROR: MemorySanitizer",  "WARNING: ThreadSanitizer",
      "runtime error: ",         "SUMMARY: UndefinedBehaviorSanitizer"};
  for (size_t i = 0; tail && i < sizeof marks / sizeof marks[0]; i++)
    if (strstr(tail, marks[i]))
      return true;
  return false;
}
