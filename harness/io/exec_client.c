/* One run of the client under test (exec_client.h). One thread does it
 * all: it polls the stderr pipe in short slices (so the child never blocks
 * on a full pipe) and looks whether the child exited between slices. */
#include "io/exec_client.h"

#include "util/clock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SLICE_MS 20
/* After the exit, stderr bytes still in the pipe (a grandchild may keep it
 * open: bounded). */
#define EOF_WAIT_MS 300

/* Reads what the pipe holds within timeout_ms; false at EOF or an error. */
static bool drain(int fd, ws_exec_tail *tail, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int n = poll(&p, 1, timeout_ms);
  if (n <= 0)
    return n == 0 || errno == EINTR;
  char buf[4096];
  ssize_t got = read(fd, buf, sizeof buf);
  if (got > 0) {
    ws_exec_tail_put(tail, buf, (size_t)got);
    return true;
  }
  return got < 0 && errno == EINTR;
}

int ws_exec_client_run(const char *command, const char *url,
                       int64_t deadline_ms, ws_exec_client_result *out,
                       char *err, size_t cap) {
  memset(out, 0, sizeof *out);
  char *cmd = ws_exec_substitute(command, "{url}", url);
  ws_exec_tail *tail = calloc(1, sizeof *tail);
  pid_t pid;
  int fd, st = 0;
  if (!cmd || !tail) {
    free(cmd);
    free(tail);
    snprintf(err, cap, "out of memory");
    return -1;
  }
  int64_t t0 = ws_now_ms();
  if (ws_exec_spawn(cmd, &pid, &fd, err, cap) != 0) {
    free(cmd);
    free(tail);
    return -1;
  }
  free(cmd);
  bool open = true;
  for (;;) {
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid)
      break;
    if (ws_now_ms() >= deadline_ms) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
      out->killed = true;
      break;
    }
    if (open)
      open = drain(fd, tail, SLICE_MS);
    else
      usleep(SLICE_MS * 1000);
  }
  /* The shell may have left children behind in its group. */
  kill(-pid, SIGKILL);
  int64_t until = ws_now_ms() + EOF_WAIT_MS;
  while (open && ws_now_ms() < until)
    open = drain(fd, tail, SLICE_MS);
  close(fd);
  ws_exec_exit_from_status(st, &out->exit);
  out->exit.stderr_tail = ws_exec_tail_copy(tail);
  out->duration_ms = (double)(ws_now_ms() - t0);
  free(tail);
  return 0;
}
