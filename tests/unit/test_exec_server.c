/* Tests for harness/io/exec_server.c with small shell commands: a python
 * listener that exits when a client sends "die", a command that never
 * listens, a child that writes to stderr and dies by a signal. Every test
 * ends with no child of ours left (no zombie, nothing in the group). */
#include "io/exec_server.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Listens on {port}; a client sending "die" makes it print to stderr and
 * exit 7; "hang" makes it ignore SIGTERM (stop must still end it). */
#define LISTENER                                                               \
  "exec /usr/bin/python3 -c '\n"                                               \
  "import socket, sys, signal\n"                                               \
  "s = socket.socket(); "                                                      \
  "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"                  \
  "s.bind((\"127.0.0.1\", int(sys.argv[1]))); s.listen(8)\n"                   \
  "while True:\n"                                                              \
  "    c, _ = s.accept(); d = c.recv(16); c.close()\n"                         \
  "    if d == b\"die\":\n"                                                    \
  "        sys.stderr.write(\"dying on purpose\\n\"); sys.exit(7)\n"           \
  "    if d == b\"hang\":\n"                                                   \
  "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"                    \
  "' {port}"

static void send_word(uint16_t port, const char *word) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(write(fd, word, strlen(word)), (ssize_t)strlen(word));
  char b;
  (void)read(fd, &b, 1); /* until the listener closed it */
  close(fd);
}

static void sleep_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

/* Polls exited() for up to 5 s. */
static bool wait_exit(ws_exec_server *s, ws_exec_exit *ex) {
  for (int i = 0; i < 500; i++) {
    if (ws_exec_server_exited(s, ex))
      return true;
    sleep_ms(10);
  }
  return false;
}

/* No child of this process is left, zombie or alive. */
static void assert_no_children(void) {
  int st;
  pid_t r = waitpid(-1, &st, WNOHANG);
  cr_assert(r < 0 && errno == ECHILD, "a child is left (waitpid %d)", r);
}

Test(exec_server, start_exit_restart_stop) {
  char err[256];
  ws_exec_server *s;
  cr_assert_eq(ws_exec_server_start(LISTENER, 10000, &s, err, sizeof err), 0,
               "%s", err);
  uint16_t port = ws_exec_server_port(s);
  cr_assert_gt(port, 0);
  ws_exec_exit ex;
  cr_assert_not(ws_exec_server_exited(s, &ex));
  send_word(port, "die");
  cr_assert(wait_exit(s, &ex));
  cr_assert(ex.exited);
  cr_assert_not(ex.signaled);
  cr_assert_eq(ex.status, 7);
  cr_assert(ex.stderr_tail && strstr(ex.stderr_tail, "dying on purpose"), "%s",
            ex.stderr_tail ? ex.stderr_tail : "(null)");
  free(ex.stderr_tail);
  char *tail = ws_exec_server_stderr(s);
  cr_assert(tail && strstr(tail, "dying on purpose"));
  free(tail);

  cr_assert_eq(ws_exec_server_restart(s, err, sizeof err), 0, "%s", err);
  cr_assert_not(ws_exec_server_exited(s, &ex));
  tail = ws_exec_server_stderr(s); /* a new process, a new tail */
  cr_assert_str_eq(tail, "");
  free(tail);
  send_word(ws_exec_server_port(s), "ping"); /* it serves again */
  cr_assert_not(ws_exec_server_exited(s, &ex));
  ws_exec_server_stop(s);
  assert_no_children();
}

Test(exec_server, never_listening_is_a_start_error) {
  char err[256];
  ws_exec_server *s = NULL;
  cr_assert_eq(
      ws_exec_server_start("echo nope >&2; exit 3", 5000, &s, err, sizeof err),
      -1);
  cr_assert_null(s);
  cr_assert(strstr(err, "exited with status 3"), "%s", err);
  cr_assert(strstr(err, "nope"), "%s", err);
  assert_no_children();
}

Test(exec_server, slow_start_is_bounded) {
  char err[256];
  ws_exec_server *s = NULL;
  cr_assert_eq(ws_exec_server_start("sleep 30", 200, &s, err, sizeof err), -1);
  cr_assert(strstr(err, "did not accept TCP"), "%s", err);
  assert_no_children();
}

Test(exec_server, signal_and_stderr_tail) {
  /* Listens (so start succeeds), writes a report-like tail, then SIGSEGVs
   * itself. The python keeps writing past the ring buffer's size, so only
   * the tail is kept. */
  const char *cmd =
      "exec /usr/bin/python3 -c '\n"
      "import socket, sys, os, signal, time\n"
      "s = socket.socket(); s.bind((\"127.0.0.1\", int(sys.argv[1])))\n"
      "s.listen(1); c, _ = s.accept(); c.close()\n"
      "time.sleep(0.2)\n"
      "sys.stderr.write(\"x\" * 40000 + \"\\n==1==ERROR: AddressSanitizer: "
      "fake\\n    #0 0x1 in crash_here a.c:1\\n\"); sys.stderr.flush()\n"
      "os.kill(os.getpid(), signal.SIGSEGV)\n"
      "' {port}";
  char err[256];
  ws_exec_server *s;
  cr_assert_eq(ws_exec_server_start(cmd, 10000, &s, err, sizeof err), 0, "%s",
               err);
  ws_exec_exit ex;
  cr_assert(wait_exit(s, &ex));
  cr_assert(ex.signaled);
  cr_assert_eq(ex.signal, SIGSEGV);
  cr_assert_not_null(ex.stderr_tail);
  cr_assert_leq(strlen(ex.stderr_tail), WS_EXEC_STDERR_TAIL);
  cr_assert(strstr(ex.stderr_tail, "#0 0x1 in crash_here"));
  free(ex.stderr_tail);
  ws_exec_server_stop(s);
  assert_no_children();
}

Test(exec_server, stop_kills_a_group_that_ignores_sigterm) {
  /* The shell keeps a background child in the group; the listener then
   * ignores SIGTERM: stop must still leave nothing behind. */
  char err[256], cmd[2048];
  snprintf(cmd, sizeof cmd, "sleep 60 & %s", LISTENER);
  ws_exec_server *s;
  cr_assert_eq(ws_exec_server_start(cmd, 10000, &s, err, sizeof err), 0, "%s",
               err);
  send_word(ws_exec_server_port(s), "hang");
  sleep_ms(200); /* until it ignores SIGTERM */
  ws_exec_server_stop(s);
  assert_no_children();
}
