/* The owned server process (exec_server.h).
 *
 * The child runs `/bin/sh -c COMMAND` in its own process group, so a
 * SIGTERM/SIGKILL reaches the whole tree the command may spawn. Its stderr
 * goes through a pipe that a reader thread drains into a ring buffer: the
 * child can never block on a full pipe, however rarely the caller looks,
 * and a sanitizer report written just before it died is kept. stdout goes
 * to /dev/null, stdin reads /dev/null.
 *
 * One mutex guards the state, so `wsprobe test` may poll from any thread. */
#include "io/exec_server.h"

#include "io/exec_child.h"

#include "util/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 5
#define STOP_GRACE_MS 2000
#define PORT_TRIES 4    /* a new free port when the old one was taken */
#define EOF_WAIT_MS 300 /* stderr bytes still in the pipe after an exit */

struct ws_exec_server {
  char *command; /* as given, with {port} */
  int startup_ms;
  uint16_t port;
  pid_t pid; /* 0: no child */
  bool reaped;
  int wait_status;
  int err_fd;
  pthread_t reader;
  bool reader_running;
  pthread_mutex_t lock;
  ws_exec_tail tail; /* the child's stderr (guarded by lock) */
  bool stderr_eof;
};

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* ---- stderr ---- */

static void *reader_main(void *arg) {
  ws_exec_server *s = arg;
  char buf[4096];
  for (;;) {
    ssize_t n = read(s->err_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    pthread_mutex_lock(&s->lock);
    if (n > 0)
      ws_exec_tail_put(&s->tail, buf, (size_t)n);
    else
      s->stderr_eof = true;
    pthread_mutex_unlock(&s->lock);
    if (n <= 0)
      return NULL;
  }
}

/* ---- ports ---- */

static int free_port(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int rc = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                   getsockname(fd, (struct sockaddr *)&a, &len) == 0
               ? 0
               : -1;
  close(fd);
  *port = ntohs(a.sin_port);
  return rc;
}

/* A blocking connect to loopback answers at once: accepted or refused. */
static bool port_accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

/* ---- the child ---- */

static int spawn(ws_exec_server *s, char *err, size_t cap) {
  char num[8];
  snprintf(num, sizeof num, "%u", (unsigned)s->port);
  char *cmd = ws_exec_substitute(s->command, "{port}", num);
  if (!cmd) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  pid_t pid;
  int err_fd;
  int rc = ws_exec_spawn(cmd, &pid, &err_fd, err, cap);
  free(cmd);
  if (rc != 0)
    return -1;
  s->pid = pid;
  s->reaped = false;
  s->err_fd = err_fd;
  s->tail.start = s->tail.len = 0;
  s->stderr_eof = false;
  s->reader_running = pthread_create(&s->reader, NULL, reader_main, s) == 0;
  return 0;
}

/* waitpid(WNOHANG) once; true when the child is gone (reaped). Lock held. */
static bool poll_child(ws_exec_server *s) {
  if (s->pid == 0 || s->reaped)
    return s->pid != 0;
  int st;
  pid_t r = waitpid(s->pid, &st, WNOHANG);
  if (r == s->pid || (r < 0 && errno == ECHILD)) {
    s->reaped = true;
    s->wait_status = r == s->pid ? st : 0;
    /* The shell may have left children behind in its group. */
    kill(-s->pid, SIGKILL);
  }
  return s->reaped;
}

/* After an exit: lets the reader reach EOF (bounded: a grandchild may keep
 * the pipe open), then joins it. Called without the lock. */
static void finish_reader(ws_exec_server *s) {
  if (!s->reader_running)
    return;
  int64_t until = ws_now_ms() + EOF_WAIT_MS;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    bool eof = s->stderr_eof;
    pthread_mutex_unlock(&s->lock);
    if (eof || ws_now_ms() >= until)
      break;
    sleep_ms(POLL_MS);
  }
  /* Closing our end would not wake a blocked read(); a group already
   * SIGKILLed closes the write ends, so the read ends quickly. */
  kill(-s->pid, SIGKILL);
  pthread_join(s->reader, NULL);
  s->reader_running = false;
  close(s->err_fd);
  s->err_fd = -1;
}

/* SIGTERM to the group, a bounded wait, SIGKILL, reap. */
static void terminate(ws_exec_server *s) {
  if (s->pid == 0)
    return;
  pthread_mutex_lock(&s->lock);
  bool gone = poll_child(s);
  pthread_mutex_unlock(&s->lock);
  if (!gone) {
    kill(-s->pid, SIGTERM);
    int64_t until = ws_now_ms() + STOP_GRACE_MS;
    for (;;) {
      pthread_mutex_lock(&s->lock);
      gone = poll_child(s);
      pthread_mutex_unlock(&s->lock);
      if (gone || ws_now_ms() >= until)
        break;
      sleep_ms(POLL_MS);
    }
  }
  if (!gone) {
    kill(-s->pid, SIGKILL);
    int st;
    while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
      ;
    s->reaped = true;
    s->wait_status = st;
  }
  finish_reader(s);
  s->pid = 0;
}

static void describe_exit(const ws_exec_server *s, char *out, size_t cap) {
  int st = s->wait_status;
  if (WIFSIGNALED(st))
    snprintf(out, cap, "killed by signal %d (%s)", WTERMSIG(st),
             strsignal(WTERMSIG(st)));
  else
    snprintf(out, cap, "exited with status %d", WEXITSTATUS(st));
}

/* The last line of the stderr tail, for a start error. */
static void last_line(const char *tail, char *out, size_t cap) {
  size_t n = strlen(tail);
  while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
    n--;
  size_t b = n;
  while (b && tail[b - 1] != '\n')
    b--;
  snprintf(out, cap, "%.*s", (int)(n - b), tail + b);
}

static bool says_in_use(const char *tail) {
  return strstr(tail, "in use") || strstr(tail, "EADDRINUSE");
}

enum { UP, DIED, SLOW };

/* Waits until the port accepts TCP, the child dies or startup_ms pass. */
static int await_listen(ws_exec_server *s) {
  int64_t until = ws_now_ms() + s->startup_ms;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    bool gone = poll_child(s);
    pthread_mutex_unlock(&s->lock);
    if (gone)
      return DIED;
    if (port_accepts(s->port))
      return UP;
    if (ws_now_ms() >= until)
      return SLOW;
    sleep_ms(POLL_MS);
  }
}

/* One attempt on s->port; *retry when the port was taken under us. */
static int start_once(ws_exec_server *s, bool *retry, char *err, size_t cap) {
  *retry = false;
  if (spawn(s, err, cap) != 0)
    return -1;
  int state = await_listen(s);
  if (state == UP)
    return 0;
  if (state == SLOW) {
    terminate(s);
    snprintf(err, cap, "the server did not accept TCP on port %u within %d ms",
             (unsigned)s->port, s->startup_ms);
    return -1;
  }
  finish_reader(s);
  char how[96], line[160];
  describe_exit(s, how, sizeof how);
  pthread_mutex_lock(&s->lock);
  char *tail = ws_exec_tail_copy(&s->tail);
  pthread_mutex_unlock(&s->lock);
  last_line(tail ? tail : "", line, sizeof line);
  *retry = tail && says_in_use(tail);
  free(tail);
  s->pid = 0;
  snprintf(err, cap, "the server %s before listening on port %u%s%s", how,
           (unsigned)s->port, *line ? ": " : "", line);
  return -1;
}

static int start_on(ws_exec_server *s, bool keep_port, char *err, size_t cap) {
  for (int attempt = 0; attempt < PORT_TRIES; attempt++) {
    if ((!keep_port || attempt > 0) && free_port(&s->port) != 0) {
      snprintf(err, cap, "no free loopback port: %s", strerror(errno));
      return -1;
    }
    bool retry;
    if (start_once(s, &retry, err, cap) == 0)
      return 0;
    if (!retry && !keep_port)
      return -1;
    keep_port = false;
  }
  return -1;
}

int ws_exec_server_start(const char *command, int startup_ms,
                         ws_exec_server **out, char *err, size_t cap) {
  ws_exec_server *s = calloc(1, sizeof *s);
  if (!s || !(s->command = strdup(command))) {
    free(s);
    snprintf(err, cap, "out of memory");
    return -1;
  }
  s->startup_ms = startup_ms > 0 ? startup_ms : 1;
  s->err_fd = -1;
  pthread_mutex_init(&s->lock, NULL);
  if (start_on(s, false, err, cap) != 0) {
    ws_exec_server_stop(s);
    return -1;
  }
  *out = s;
  return 0;
}

uint16_t ws_exec_server_port(const ws_exec_server *s) { return s->port; }

bool ws_exec_server_exited(ws_exec_server *s, ws_exec_exit *ex) {
  pthread_mutex_lock(&s->lock);
  bool gone = s->pid != 0 && poll_child(s);
  pthread_mutex_unlock(&s->lock);
  if (!gone)
    return false;
  finish_reader(s); /* no-op after the first time */
  ws_exec_exit_from_status(s->wait_status, ex);
  pthread_mutex_lock(&s->lock);
  ex->stderr_tail = ws_exec_tail_copy(&s->tail);
  pthread_mutex_unlock(&s->lock);
  return true;
}

char *ws_exec_server_stderr(ws_exec_server *s) {
  pthread_mutex_lock(&s->lock);
  char *tail = ws_exec_tail_copy(&s->tail);
  pthread_mutex_unlock(&s->lock);
  return tail;
}

int ws_exec_server_restart(ws_exec_server *s, char *err, size_t cap) {
  terminate(s);
  return start_on(s, true, err, cap);
}

void ws_exec_server_stop(ws_exec_server *s) {
  if (!s)
    return;
  terminate(s);
  pthread_mutex_destroy(&s->lock);
  free(s->command);
  free(s);
}
