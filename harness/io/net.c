#include "io/net.h"

#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int wait_for(int fd, short events, int64_t deadline_ms) {
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = events};
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
    rc = wait_for(fd, POLLOUT, deadline_ms);
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

int ws_net_connect(const char *host, uint16_t port, int64_t deadline_ms) {
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
  return rc;
}

int ws_net_send_all(int fd, const void *buf, size_t len, int64_t deadline_ms) {
  const uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
      return -errno;
    int rc = wait_for(fd, POLLOUT, deadline_ms);
    if (rc < 0)
      return rc;
  }
  return 0;
}

ssize_t ws_net_recv(int fd, void *buf, size_t cap, int64_t deadline_ms) {
  for (;;) {
    ssize_t n = recv(fd, buf, cap, 0);
    if (n >= 0)
      return n;
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return -errno;
    int rc = wait_for(fd, POLLIN, deadline_ms);
    if (rc < 0)
      return rc;
  }
}
