/* Figure 5: user-space memory per idle, upgraded connection of the reference
 * echo server.
 *
 * Starts `build/wsprobe echo-server --port 0` (run from the repo root), opens
 * a few warm-up connections (so one-time costs such as allocator arenas and
 * libcrypto state land in the baseline), reads RssAnon and VmRSS from
 * /proc/PID/status, opens IDLE_CONNS more connections with a real WebSocket
 * handshake each (non-blocking, epoll, a bounded number in flight), checks
 * every 101 and its Sec-WebSocket-Accept, waits until the server's RSS is
 * stable, reads it again and prints the delta per connection. Kernel socket
 * buffers are not in RSS; this is the server's own footprint.
 *
 * Everything is bounded: the server must print its port within 5 s, the
 * handshakes must finish within 30 s, settling gives up after 5 s, and the
 * server gets 5 s to exit on SIGTERM before SIGKILL. Traffic goes to
 * 127.0.0.1 only. */
#include "bench/bench.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SERVER_PATH /* overridable to try the bench against another server */
#define SERVER_PATH "build/wsprobe"
#endif
#define IDLE_CONNS 10000
#define WARMUP_CONNS 16
#define FD_MARGIN 64       /* our own stdio, epoll, pipe, ... */
#define IN_FLIGHT 256      /* handshakes under way at once */
#define HANDSHAKE_MS 30000 /* for all of them */
#define RESP_MAX 1024

/* The RFC 6455 1.3 example key and its accept value: the server does not
 * care that every connection sends the same key, and the expected answer is
 * then a constant. */
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

typedef struct server_proc {
  pid_t pid;
  int out_fd; /* its stdout; kept open so a later print cannot SIGPIPE it */
  uint16_t port;
} server_proc;

enum conn_phase { CONNECTING, READING, UPGRADED, FAILED };

typedef struct client_conn {
  int fd;
  enum conn_phase phase;
  uint16_t have;
  char resp[RESP_MAX];
} client_conn;

typedef struct rss_kb {
  long rss;
  long anon;
} rss_kb;

static int64_t ms_since(uint64_t t0) {
  return (int64_t)((bench_now_ns() - t0) / 1000000u);
}

/* ---- the server process ---- */

static int read_port_line(server_proc *s, int timeout_ms) {
  char line[256];
  size_t have = 0;
  uint64_t t0 = bench_now_ns();
  while (have < sizeof line - 1 && !memchr(line, '\n', have)) {
    int left = timeout_ms - (int)ms_since(t0);
    struct pollfd pfd = {.fd = s->out_fd, .events = POLLIN};
    if (left <= 0 || poll(&pfd, 1, left) <= 0)
      return -1;
    ssize_t n = read(s->out_fd, line + have, sizeof line - 1 - have);
    if (n <= 0)
      return -1;
    have += (size_t)n;
  }
  line[have] = '\0';
  /* "listening on ws://HOST:PORT/": the last colon also works for [::1]. */
  char *url = strstr(line, "ws://");
  char *colon = url ? strrchr(url, ':') : NULL;
  long port = colon ? strtol(colon + 1, NULL, 10) : 0;
  if (port <= 0 || port > 65535) {
    fprintf(stderr, "bench: idle_conns: unexpected server line: %s", line);
    return -1;
  }
  s->port = (uint16_t)port;
  return 0;
}

static int start_server(server_proc *s) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return -1;
  }
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO); /* dup2 clears CLOEXEC on the copy */
    char *argv[] = {SERVER_PATH, "echo-server", "--port", "0", NULL};
    execv(SERVER_PATH, argv);
    _exit(127);
  }
  close(pipefd[1]);
  s->pid = pid;
  s->out_fd = pipefd[0];
  return read_port_line(s, 5000);
}

/* SIGTERM, then up to 5 s for it to exit, then SIGKILL. */
static void stop_server(server_proc *s) {
  int status = 0;
  kill(s->pid, SIGTERM);
  uint64_t t0 = bench_now_ns();
  pid_t r;
  while ((r = waitpid(s->pid, &status, WNOHANG)) == 0 && ms_since(t0) < 5000)
    usleep(10000);
  if (r == 0) {
    fprintf(stderr, "bench: idle_conns: server ignored SIGTERM; killing\n");
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &status, 0);
  } else if (r > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    fprintf(stderr, "bench: idle_conns: server ended with status 0x%x\n",
            (unsigned)status);
  }
  close(s->out_fd);
}

static int read_rss(pid_t pid, rss_kb *out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  char line[256];
  out->rss = out->anon = -1;
  while (fgets(line, sizeof line, f)) {
    sscanf(line, "VmRSS: %ld", &out->rss);
    sscanf(line, "RssAnon: %ld", &out->anon);
  }
  fclose(f);
  return out->rss >= 0 && out->anon >= 0 ? 0 : -1;
}

/* Waits at least 500 ms, then until RssAnon has not moved for 500 ms (the
 * server may still be finishing handshakes or trimming), at most 5 s. */
static int settle(pid_t pid, rss_kb *out) {
  uint64_t t0 = bench_now_ns();
  uint64_t stable_since = t0;
  rss_kb prev = {-1, -1};
  for (;;) {
    usleep(100000);
    if (read_rss(pid, out) != 0)
      return -1;
    if (out->anon != prev.anon || out->rss != prev.rss)
      stable_since = bench_now_ns();
    prev = *out;
    if (ms_since(t0) >= 500 && ms_since(stable_since) >= 500)
      return 0;
    if (ms_since(t0) >= 5000) {
      fprintf(stderr, "bench: idle_conns: RSS still moving after 5 s\n");
      return 0;
    }
  }
}

/* ---- the clients ---- */

static int raise_nofile(size_t want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return -1;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    return -1;
  return rl.rlim_cur >= want ? (int)want : (int)rl.rlim_cur;
}

/* A non-blocking connect to 127.0.0.1:port, registered for writability
 * (the connect's completion). */
static int start_connect(int ep, client_conn *c, uint16_t port) {
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_port = htons(port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  c->have = 0;
  c->phase = FAILED;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return -1;
  if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
      errno != EINPROGRESS)
    return -1;
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
    return -1;
  c->phase = CONNECTING;
  return 0;
}

/* Connected: send the whole upgrade request (it fits any socket buffer) and
 * wait for the response. */
static int send_request(int ep, client_conn *c, uint16_t port) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
    return -1;
  char req[256];
  int n = snprintf(req, sizeof req,
                   "GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: " WS_KEY "\r\n"
                   "Sec-WebSocket-Version: 13\r\n\r\n",
                   (unsigned)port);
  if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
    return -1;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
    return -1;
  c->phase = READING;
  return 0;
}

/* Reads response bytes; 1 when a complete, correct 101 arrived, 0 for more
 * to come, -1 on anything else. */
static int read_response(client_conn *c) {
  ssize_t n = recv(c->fd, c->resp + c->have, RESP_MAX - 1 - c->have, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  if (n <= 0)
    return -1;
  c->have += (uint16_t)n;
  c->resp[c->have] = '\0';
  if (!strstr(c->resp, "\r\n\r\n"))
    return c->have < RESP_MAX - 1 ? 0 : -1;
  if (strncmp(c->resp, "HTTP/1.1 101", 12) != 0 || !strstr(c->resp, WS_ACCEPT))
    return -1;
  return 1;
}

/* One readiness event for c; returns true when c is finished (either way).
 * Only the first few failures are described: 10,000 identical lines would
 * bury the figures. */
static bool step(int ep, client_conn *c, uint16_t port) {
  static int reported;
  int r;
  if (c->phase == CONNECTING) {
    if (send_request(ep, c, port) == 0)
      return false;
    r = -1;
  } else {
    r = read_response(c);
    if (r == 0)
      return false;
  }
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); /* idle from now on */
  if (r > 0) {
    c->phase = UPGRADED;
  } else {
    c->phase = FAILED;
    if (reported++ < 5)
      fprintf(stderr, "bench: idle_conns: handshake failed%s%.60s\n",
              c->have ? ": " : "", c->resp);
  }
  return true;
}

/* Opens conns[0..n) with a handshake each; returns how many got their 101.
 * Failed ones keep fd -1 or an fd to close later. */
static size_t open_all(client_conn *conns, size_t n, uint16_t port) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0)
    return 0;
  size_t next = 0, in_flight = 0, upgraded = 0, failed = 0;
  uint64_t t0 = bench_now_ns();
  while ((next < n || in_flight > 0) && ms_since(t0) < HANDSHAKE_MS) {
    while (next < n && in_flight < IN_FLIGHT) {
      if (start_connect(ep, &conns[next], port) == 0) {
        in_flight++;
      } else if (failed++ == 0) {
        perror("bench: idle_conns: connect");
      }
      next++;
    }
    struct epoll_event evs[64];
    int k = epoll_wait(ep, evs, 64, 100);
    for (int i = 0; i < k; i++) {
      client_conn *c = evs[i].data.ptr;
      if (step(ep, c, port)) {
        in_flight--;
        upgraded += c->phase == UPGRADED;
      }
    }
  }
  if (in_flight > 0)
    fprintf(stderr, "bench: idle_conns: %zu handshakes timed out\n", in_flight);
  close(ep);
  return upgraded;
}

/* Upgraded connections the server has since closed or written to; an idle
 * connection should have neither. */
static size_t count_disturbed(const client_conn *conns, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    if (conns[i].phase != UPGRADED)
      continue;
    struct pollfd pfd = {.fd = conns[i].fd, .events = POLLIN | POLLRDHUP};
    bad += poll(&pfd, 1, 0) != 0;
  }
  return bad;
}

static void close_all(client_conn *conns, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (conns[i].fd >= 0)
      close(conns[i].fd);
}

static void measure(const server_proc *s, size_t want) {
  client_conn *conns = calloc(want + WARMUP_CONNS, sizeof *conns);
  if (!conns) {
    bench_print_na("idle_conn_bytes", "bytes", "out of memory");
    return;
  }
  for (size_t i = 0; i < want + WARMUP_CONNS; i++)
    conns[i].fd = -1;
  rss_kb before, after;
  size_t warm = open_all(conns, WARMUP_CONNS, s->port);
  if (warm != WARMUP_CONNS || settle(s->pid, &before) != 0) {
    bench_print_na("idle_conn_bytes", "bytes", "warm-up handshakes failed");
    goto close_conns;
  }
  uint64_t t0 = bench_now_ns();
  size_t ok = open_all(conns + WARMUP_CONNS, want, s->port);
  fprintf(stderr, "bench: idle_conns: %zu/%zu upgraded in %.2f s\n", ok, want,
          (double)(bench_now_ns() - t0) / 1e9);
  if (ok == 0 || settle(s->pid, &after) != 0) {
    bench_print_na("idle_conn_bytes", "bytes", "no connection upgraded");
    goto close_conns;
  }
  size_t disturbed = count_disturbed(conns + WARMUP_CONNS, want);
  if (disturbed)
    fprintf(stderr,
            "bench: idle_conns: %zu connections closed or written "
            "to by the server while idle\n",
            disturbed);
  bench_print("idle_conn_count", (double)ok, "connections");
  bench_print("idle_conn_bytes",
              (double)(after.anon - before.anon) * 1024 / (double)ok, "bytes");
  bench_print("idle_conn_rss_bytes",
              (double)(after.rss - before.rss) * 1024 / (double)ok, "bytes");
  fprintf(stderr,
          "bench: idle_conns: server RssAnon %ld -> %ld KiB, VmRSS %ld -> "
          "%ld KiB\n",
          before.anon, after.anon, before.rss, after.rss);
close_conns:
  close_all(conns, want + WARMUP_CONNS);
  free(conns);
}

void bench_idle_conns(void) {
  if (access(SERVER_PATH, X_OK) != 0) {
    bench_print_na("idle_conn_bytes", "bytes", SERVER_PATH " not built");
    return;
  }
  int limit = raise_nofile(IDLE_CONNS + WARMUP_CONNS + FD_MARGIN);
  if (limit < 0) {
    bench_print_na("idle_conn_bytes", "bytes", "getrlimit failed");
    return;
  }
  size_t want = IDLE_CONNS;
  if ((size_t)limit < IDLE_CONNS + WARMUP_CONNS + FD_MARGIN) {
    want = limit > WARMUP_CONNS + FD_MARGIN + 1
               ? (size_t)limit - WARMUP_CONNS - FD_MARGIN
               : 1;
    fprintf(stderr, "bench: idle_conns: RLIMIT_NOFILE allows %zu, not %d\n",
            want, IDLE_CONNS);
  }
  server_proc s = {0};
  if (start_server(&s) != 0) {
    bench_print_na("idle_conn_bytes", "bytes", "server did not start");
    if (s.pid > 0)
      stop_server(&s);
    return;
  }
  measure(&s, want);
  stop_server(&s);
}
