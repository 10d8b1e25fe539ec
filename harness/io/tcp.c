#include "io/tcp.h"

#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct tcp {
  ws_transport base;
  int fd;
} tcp;

static ssize_t tcp_read(ws_transport *t, uint8_t *buf, size_t cap) {
  for (;;) {
    ssize_t n = recv(((tcp *)t)->fd, buf, cap, MSG_DONTWAIT);
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  }
}

static ssize_t tcp_write(ws_transport *t, const uint8_t *buf, size_t len) {
  for (;;) {
    ssize_t n = send(((tcp *)t)->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0)
      return n == 0 ? -EAGAIN : n;
    if (errno == EINTR)
      continue;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  }
}

static size_t tcp_pending(ws_transport *t) {
  (void)t;
  return 0;
}

static int tcp_wait(ws_transport *t, int events, int timeout_ms) {
  struct pollfd pfd = {.fd = ((tcp *)t)->fd};
  if (events & WS_IO_READ)
    pfd.events |= POLLIN;
  if (events & WS_IO_WRITE)
    pfd.events |= POLLOUT;
  int n = poll(&pfd, 1, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : -errno;
  if (n == 0)
    return 0;
  int ready = 0;
  /* An error or hang-up is reported through read() (and write()). */
  if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
    ready |= events & WS_IO_READ;
  if (pfd.revents & (POLLOUT | POLLHUP | POLLERR))
    ready |= events & WS_IO_WRITE;
  return ready;
}

static int tcp_shutdown(ws_transport *t) {
  return shutdown(((tcp *)t)->fd, SHUT_WR) == 0 ? 0 : -errno;
}

static void tcp_close(ws_transport *t) {
  close(((tcp *)t)->fd);
  free(t);
}

static const ws_transport_ops tcp_ops = {tcp_read, tcp_write,    tcp_pending,
                                         tcp_wait, tcp_shutdown, tcp_close};

int ws_tcp_adopt(int fd, ws_transport **out) {
  tcp *t = calloc(1, sizeof *t);
  if (!t) {
    close(fd);
    return -ENOMEM;
  }
  t->base.ops = &tcp_ops;
  t->fd = fd;
  *out = &t->base;
  return 0;
}

static int wait_writable(int fd, int64_t deadline_ms) {
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int n = poll(&pfd, 1, ws_ms_until(deadline_ms));
    if (n > 0)
      return 0;
    if (n == 0)
      return -ETIMEDOUT;
    if (errno != EINTR)
      return -errno;
  }
}

static int connect_one(const struct addrinfo *ai, int64_t deadline_ms) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  ai->ai_protocol);
  if (fd < 0)
    return -errno;
  /* Small writes (1-byte chops) must leave as separate segments. */
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
    return fd;
  int rc = -errno;
  if (rc == -EINPROGRESS) {
    rc = wait_writable(fd, deadline_ms);
    if (rc == 0) {
      int soerr = 0;
      socklen_t len = sizeof soerr;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      if (soerr == 0)
        return fd;
      rc = -soerr;
    }
  }
  close(fd);
  return rc;
}

int ws_tcp_connect_fd(const char *host, uint16_t port, int64_t deadline_ms,
                      int *fd) {
  char service[8];
  snprintf(service, sizeof service, "%u", (unsigned)port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *list = NULL;
  if (getaddrinfo(host, service, &hints, &list) != 0 || !list)
    return -EHOSTUNREACH;
  int rc = -ECONNREFUSED;
  for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
    rc = connect_one(ai, deadline_ms);
    if (rc >= 0 || rc == -ETIMEDOUT)
      break;
  }
  freeaddrinfo(list);
  if (rc < 0)
    return rc;
  *fd = rc;
  return 0;
}

int ws_tcp_connect(const char *host, uint16_t port, int64_t deadline_ms,
                   ws_transport **out) {
  int fd;
  int rc = ws_tcp_connect_fd(host, port, deadline_ms, &fd);
  return rc < 0 ? rc : ws_tcp_adopt(fd, out);
}
