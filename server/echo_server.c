/* The reference echo server's reactor (echo_server.h): one thread, one epoll
 * set, level-triggered, non-blocking sockets. Protocol decisions live in
 * conn.c; this file only moves bytes, keeps deadlines and closes sockets
 * carefully. With TLS (wss://) the bytes go through a tls.h stream: the
 * handshake first, under the handshake deadline, then plaintext between the
 * stream and conn.c, and close_notify before the FIN.
 *
 * Memory per connection is a small `struct client` plus its ws_conn (and its
 * SSL, whose record buffers are released while idle); reads go through one
 * 64 KiB buffer shared by every connection, so an idle connection holds no
 * read buffer. */
#include "server/echo_server.h"

#include "codec/errors.h"
#include "codec/hooks.h"
#include "server/timers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF_SIZE (64 * 1024)
#define MAX_EVENTS 128
/* Reads per readiness event: enough to move a burst, few enough that one
 * busy peer cannot starve the others (epoll is level-triggered, so whatever
 * is left is reported again on the next round). */
#define READS_PER_EVENT 4
/* TLS reads return one record each, from 16 KiB down to one byte (a peer
 * under `chop 1`): they are bounded by count and, as plain reads are, by
 * READS_PER_EVENT buffers' worth of bytes. */
#define TLS_READS_PER_EVENT 1024
#define ACCEPTS_PER_EVENT 256
/* How long a closed-for-writing socket waits for the peer's FIN. */
#define LINGER_MS 2000
/* Pause after EMFILE/ENFILE/ENOBUFS so a full fd table does not spin. */
#define ACCEPT_BACKOFF_MS 100

struct client {
  ws_timer timer; /* first member: the heap hands back ws_timer pointers */
  struct client *prev, *next;
  ws_conn *conn;      /* NULL once lingering */
  ws_tls_stream *tls; /* wss://; NULL for plain TCP and once lingering */
  int fd;
  uint32_t events; /* current epoll interest */
  /* TLS: the epoll event the last read / write needs to go on (a read may
   * need the socket writable, a write readable); EPOLLIN / EPOLLOUT. */
  uint32_t read_want, write_want;
  uint8_t phase_seen; /* phase whose deadline is armed */
  bool lingering;
  bool handshaking; /* TLS: the TLS handshake is not done */
  bool notifying;   /* TLS: close_notify is on its way out */
  bool leftover;    /* TLS: records read ahead wait in OpenSSL's buffer */
};

struct ws_echo_server {
  ws_echo_server_options options;
  int listen_fd, epoll_fd, stop_fd;
  uint16_t port;
  uint8_t *read_buf;
  struct client *clients;
  _Atomic size_t count;
  ws_timers timers;
  bool accept_paused;
  int64_t accept_resume_ms;
  /* Addresses used as epoll tags for the two non-client descriptors. */
  char listen_tag, stop_tag;
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ws_echo_server_options_defaults(ws_echo_server_options *options) {
  memset(options, 0, sizeof(*options));
  options->host = "127.0.0.1";
  options->port = 0;
  ws_server_config_defaults(&options->conn);
  options->handshake_timeout_ms = 10000;
  options->closing_timeout_ms = 5000;
  options->max_connections = 100000;
}

/* ---- connections ---- */

static void destroy_client(ws_echo_server *s, struct client *c) {
  ws_timers_cancel(&s->timers, &c->timer);
  /* close() also drops the epoll registration: the fd is not shared. */
  close(c->fd);
  if (c->prev)
    c->prev->next = c->next;
  else
    s->clients = c->next;
  if (c->next)
    c->next->prev = c->prev;
  ws_conn_free(c->conn);
  ws_tls_stream_free(c->tls);
  ws_free(c);
  atomic_fetch_sub_explicit(&s->count, 1, memory_order_relaxed);
}

static int set_interest(ws_echo_server *s, struct client *c, uint32_t events) {
  if (events == c->events)
    return 0;
  struct epoll_event ev = {.events = events, .data.ptr = c};
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
    return -errno;
  c->events = events;
  return 0;
}

static int add_client(ws_echo_server *s, int fd, int64_t now) {
  size_t count = atomic_load_explicit(&s->count, memory_order_relaxed);
  if (ws_timers_reserve(&s->timers, count + 1) < 0)
    return -ENOMEM;
  struct client *c = ws_malloc(sizeof(*c));
  if (!c)
    return -ENOMEM;
  memset(c, 0, sizeof(*c));
  ws_timer_init(&c->timer);
  c->fd = fd;
  c->conn = ws_conn_new(&s->options.conn);
  c->read_want = EPOLLIN;
  c->write_want = EPOLLOUT;
  if (s->options.tls) {
    c->tls = ws_tls_stream_new(s->options.tls, fd);
    c->handshaking = true; /* it starts with the ClientHello: EPOLLIN */
  }
  if (!c->conn || (s->options.tls && !c->tls)) {
    ws_conn_free(c->conn);
    ws_tls_stream_free(c->tls);
    ws_free(c);
    return -ENOMEM;
  }
  c->events = EPOLLIN;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = -errno;
    ws_conn_free(c->conn);
    ws_tls_stream_free(c->tls);
    ws_free(c);
    return err;
  }
  /* Replies are whole frames written at once: do not let Nagle hold back a
   * pong or a close waiting for an ACK. */
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  c->phase_seen = WS_CONN_HANDSHAKE;
  ws_timers_arm(&s->timers, &c->timer, now + s->options.handshake_timeout_ms);
  c->next = s->clients;
  if (s->clients)
    s->clients->prev = c;
  s->clients = c;
  atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
  return 0;
}

/* Plaintext out: send(2), or one TLS record. Bytes, or -errno (-EAGAIN). */
static ssize_t client_send(struct client *c, const uint8_t *data, size_t len) {
  if (c->tls) {
    c->write_want = EPOLLOUT;
    return ws_tls_stream_write(c->tls, data, len, &c->write_want);
  }
  /* MSG_NOSIGNAL: a peer that reset must cost us an EPIPE, not SIGPIPE. */
  ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
  return n >= 0 ? n : errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* Plaintext in: recv(2), or a TLS read. Bytes, 0 at the end, or -errno. */
static ssize_t client_recv(ws_echo_server *s, struct client *c) {
  if (c->tls) {
    c->read_want = EPOLLIN;
    return ws_tls_stream_read(c->tls, s->read_buf, READ_BUF_SIZE,
                              &c->read_want);
  }
  ssize_t n = recv(c->fd, s->read_buf, READ_BUF_SIZE, 0);
  return n >= 0 ? n : errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* Writes as much pending output as the socket takes. <0: the connection is
 * broken (EPIPE, ECONNRESET, ...). */
static int flush_output(struct client *c) {
  for (;;) {
    const uint8_t *data;
    size_t pending = ws_conn_pending_output(c->conn, &data);
    if (pending == 0)
      return 0;
    ssize_t n = client_send(c, data, pending);
    if (n > 0) {
      ws_conn_output_written(c->conn, (size_t)n);
      continue;
    }
    if (n == -EINTR)
      continue;
    if (n == -EAGAIN)
      return 0;
    return -1;
  }
}

/* Reads into the shared buffer and feeds the connection. <0: broken. A TLS
 * read takes one record, which always fits the buffer; when the loop stops
 * before -EAGAIN (the per-event bound, or backpressure), records read ahead
 * may be left in OpenSSL's buffer, where epoll cannot see them: `leftover`
 * has settle() ask for EPOLLOUT, which fires at once, so the next round
 * takes them (a round, not a loop here: other connections get their turn).
 * A read ending in -EAGAIN leaves at most part of a record, whose rest
 * comes through the socket. */
static int read_input(ws_echo_server *s, struct client *c) {
  int reads = c->tls ? TLS_READS_PER_EVENT : READS_PER_EVENT;
  size_t budget = (size_t)READS_PER_EVENT * READ_BUF_SIZE;
  c->leftover = false;
  for (int i = 0; i < reads && budget > 0 && ws_conn_wants_input(c->conn);
       i++) {
    ssize_t n = client_recv(s, c);
    if (n > 0) {
      budget -= (size_t)n < budget ? (size_t)n : budget;
      /* -WS_E_NOMEM leaves the connection DONE; what it queued still goes
       * out, so there is nothing else to do here. */
      (void)ws_conn_receive(c->conn, s->read_buf, (size_t)n);
      if (n < READ_BUF_SIZE && !c->tls)
        return 0;
      continue;
    }
    if (n == 0) {
      ws_conn_peer_closed(c->conn);
      return 0;
    }
    if (n == -EINTR)
      continue;
    if (n == -EAGAIN)
      return 0;
    return -1;
  }
  c->leftover = c->tls && ws_tls_stream_buffered(c->tls);
  return 0;
}

/* RFC 6455 7.1.1: the server should close TCP first. A bare close() with
 * unread input would send an RST that can destroy our close frame in flight,
 * so send a FIN with shutdown(SHUT_WR) and keep reading until the peer's FIN
 * (or LINGER_MS), and only then close(). */
static void start_linger(ws_echo_server *s, struct client *c, int64_t now) {
  ws_conn_free(c->conn);
  c->conn = NULL;
  /* TLS is over too (close_notify went out): what the peer still sends is
   * read raw and dropped. */
  ws_tls_stream_free(c->tls);
  c->tls = NULL;
  c->lingering = true;
  if (shutdown(c->fd, SHUT_WR) < 0 || set_interest(s, c, EPOLLIN) < 0) {
    destroy_client(s, c);
    return;
  }
  ws_timers_arm(&s->timers, &c->timer, now + LINGER_MS);
}

static void linger_read(ws_echo_server *s, struct client *c) {
  for (int i = 0; i < 4 * READS_PER_EVENT; i++) {
    ssize_t n = recv(c->fd, s->read_buf, READ_BUF_SIZE, 0);
    if (n > 0)
      continue; /* discarded: the connection is over */
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    destroy_client(s, c); /* EOF or error: nothing left to protect */
    return;
  }
}

/* TLS ends with close_notify before the FIN; a peer that does not take it
 * gets the closing deadline, then is dropped. */
static void send_close_notify(ws_echo_server *s, struct client *c,
                              int64_t now) {
  uint32_t want = EPOLLOUT;
  if (ws_tls_stream_close_notify(c->tls, &want) == -EAGAIN) {
    if (set_interest(s, c, want) < 0)
      destroy_client(s, c);
    return;
  }
  c->notifying = false;
  start_linger(s, c, now); /* sent, or the peer is gone: either way */
}

/* After any I/O: close, or adjust the epoll interest and the deadline to the
 * connection's new state. */
static void settle(ws_echo_server *s, struct client *c, int64_t now) {
  if (ws_conn_should_close(c->conn)) {
    if (!c->tls) {
      start_linger(s, c, now);
      return;
    }
    c->notifying = true;
    ws_timers_arm(&s->timers, &c->timer, now + s->options.closing_timeout_ms);
    send_close_notify(s, c, now);
    return;
  }
  const uint8_t *data;
  uint32_t events = 0;
  if (ws_conn_wants_input(c->conn))
    events |= c->read_want | (c->leftover ? EPOLLOUT : 0);
  if (ws_conn_pending_output(c->conn, &data) > 0)
    events |= c->write_want;
  if (set_interest(s, c, events) < 0) {
    destroy_client(s, c);
    return;
  }
  enum ws_conn_phase phase = ws_conn_phase(c->conn);
  if (phase == c->phase_seen)
    return;
  c->phase_seen = (uint8_t)phase;
  if (phase == WS_CONN_OPEN)
    ws_timers_cancel(&s->timers, &c->timer); /* idle is allowed */
  else
    /* CLOSING waits for the peer's close; DONE waits for the peer to take
     * our last bytes. Neither may last forever. */
    ws_timers_arm(&s->timers, &c->timer, now + s->options.closing_timeout_ms);
}

/* The TLS handshake, one step per event: false when the client is gone or
 * still shaking hands. */
static bool tls_handshake(ws_echo_server *s, struct client *c) {
  uint32_t want = EPOLLIN;
  int rc = ws_tls_stream_handshake(c->tls, &want);
  if (rc == -EAGAIN) {
    if (set_interest(s, c, want) < 0)
      destroy_client(s, c);
    return false;
  }
  if (rc < 0) { /* not TLS, a bad ClientHello, an alert, a reset */
    destroy_client(s, c);
    return false;
  }
  c->handshaking = false;
  return true;
}

/* Whether the events let a read make progress: TLS may need the socket
 * writable to read (c->read_want), or have records read ahead. */
static bool can_read(const struct client *c, uint32_t events) {
  if (c->leftover)
    return true;
  if (c->read_want == EPOLLOUT)
    return events & (EPOLLOUT | EPOLLHUP);
  return events & (EPOLLIN | EPOLLHUP);
}

static void handle_client(ws_echo_server *s, struct client *c, uint32_t events,
                          int64_t now) {
  if (c->lingering) {
    linger_read(s, c);
    return;
  }
  if (events & EPOLLERR) {
    destroy_client(s, c);
    return;
  }
  if (c->notifying) {
    send_close_notify(s, c, now);
    return;
  }
  if (c->handshaking) {
    if (!tls_handshake(s, c))
      return;
    events |= EPOLLIN; /* the request may have come with the last flight */
  }
  if (can_read(c, events) && ws_conn_wants_input(c->conn) &&
      read_input(s, c) < 0) {
    destroy_client(s, c);
    return;
  }
  if (flush_output(c) < 0) {
    destroy_client(s, c);
    return;
  }
  settle(s, c, now);
}

static void on_deadline(ws_echo_server *s, struct client *c, int64_t now) {
  if (c->lingering || c->notifying || c->handshaking ||
      ws_conn_phase(c->conn) == WS_CONN_DONE) {
    /* The peer would not take our bytes, our close_notify or our FIN, or
     * never finished the TLS handshake (no 408 can reach it). */
    destroy_client(s, c);
    return;
  }
  /* HANDSHAKE: queues a 408; CLOSING: gives up on the peer's close. */
  ws_conn_deadline_passed(c->conn);
  if (flush_output(c) < 0) {
    destroy_client(s, c);
    return;
  }
  settle(s, c, now);
}

static void fire_deadlines(ws_echo_server *s, int64_t now) {
  ws_timer *t;
  while ((t = ws_timers_first(&s->timers)) && t->deadline_ms <= now) {
    ws_timers_cancel(&s->timers, t);
    on_deadline(s, (struct client *)t, now);
  }
}

/* ---- accepting ---- */

static void pause_accept(ws_echo_server *s, int64_t now) {
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->listen_fd, NULL) == 0)
    s->accept_paused = true;
  s->accept_resume_ms = now + ACCEPT_BACKOFF_MS;
}

static void resume_accept(ws_echo_server *s, int64_t now) {
  if (!s->accept_paused || now < s->accept_resume_ms)
    return;
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->listen_tag};
  if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev) == 0)
    s->accept_paused = false;
  else
    s->accept_resume_ms = now + ACCEPT_BACKOFF_MS;
}

static void accept_clients(ws_echo_server *s, int64_t now) {
  for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
        continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM)
        pause_accept(s, now);
      return; /* EAGAIN, or an error the next round may not have */
    }
    size_t count = atomic_load_explicit(&s->count, memory_order_relaxed);
    /* Over the limit, or out of memory: accept and close at once, so the
     * peer learns immediately instead of waiting in the backlog. */
    if (count >= s->options.max_connections || add_client(s, fd, now) < 0)
      close(fd);
  }
}

/* ---- lifecycle ---- */

static int parse_host(const char *host, uint16_t port,
                      struct sockaddr_storage *addr, socklen_t *len) {
  memset(addr, 0, sizeof(*addr));
  struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof(*v4);
    return 0;
  }
  /* IPv6, bare ("::1") or bracketed as in a URL ("[::1]"). */
  char bare[INET6_ADDRSTRLEN + 2];
  size_t n = strlen(host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    if (n - 2 >= sizeof(bare))
      return -EINVAL;
    memcpy(bare, host + 1, n - 2);
    bare[n - 2] = '\0';
    host = bare;
  }
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
    return -EINVAL;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  *len = sizeof(*v6);
  return 0;
}

static int open_listener(const char *host, uint16_t want_port, int *fd_out,
                         uint16_t *port_out) {
  struct sockaddr_storage addr;
  socklen_t len;
  int rc = parse_host(host, want_port, &addr, &len);
  if (rc < 0)
    return rc;
  int fd =
      socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
      bind(fd, (struct sockaddr *)&addr, len) < 0 ||
      listen(fd, SOMAXCONN) < 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  *port_out = addr.ss_family == AF_INET
                  ? ntohs(((struct sockaddr_in *)&addr)->sin_port)
                  : ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
  *fd_out = fd;
  return 0;
}

static void resolve_options(ws_echo_server_options *o) {
  if (!o->host)
    o->host = "127.0.0.1";
  if (o->handshake_timeout_ms <= 0)
    o->handshake_timeout_ms = 10000;
  if (o->closing_timeout_ms <= 0)
    o->closing_timeout_ms = 5000;
  if (o->max_connections == 0)
    o->max_connections = 100000;
}

static int register_fd(int epoll_fd, int fd, void *tag) {
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int ws_echo_server_open(const ws_echo_server_options *options,
                        ws_echo_server **out) {
  *out = NULL;
  ws_echo_server *s = ws_malloc(sizeof(*s));
  if (!s)
    return -ENOMEM;
  memset(s, 0, sizeof(*s));
  s->listen_fd = s->epoll_fd = s->stop_fd = -1;
  ws_timers_init(&s->timers);
  if (options)
    s->options = *options;
  else
    ws_echo_server_options_defaults(&s->options);
  resolve_options(&s->options);
  int rc =
      open_listener(s->options.host, s->options.port, &s->listen_fd, &s->port);
  s->options.host = NULL; /* the caller's string is not kept */
  if (rc < 0)
    goto fail;
  s->read_buf = ws_malloc(READ_BUF_SIZE);
  if (!s->read_buf) {
    rc = -ENOMEM;
    goto fail;
  }
  s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->epoll_fd < 0 || s->stop_fd < 0) {
    rc = -errno;
    goto fail;
  }
  rc = register_fd(s->epoll_fd, s->listen_fd, &s->listen_tag);
  if (rc == 0)
    rc = register_fd(s->epoll_fd, s->stop_fd, &s->stop_tag);
  if (rc < 0)
    goto fail;
  *out = s;
  return 0;
fail:
  ws_echo_server_close(s);
  return rc;
}

uint16_t ws_echo_server_port(const ws_echo_server *server) {
  return server->port;
}

size_t ws_echo_server_connection_count(const ws_echo_server *server) {
  return atomic_load_explicit(&server->count, memory_order_relaxed);
}

void ws_echo_server_stop(ws_echo_server *server) {
  /* write(2) on an eventfd is async-signal-safe; errno is preserved for the
   * interrupted code. */
  int saved = errno;
  uint64_t one = 1;
  ssize_t n = write(server->stop_fd, &one, sizeof(one));
  (void)n; /* EAGAIN means the counter is already non-zero: stop is pending */
  errno = saved;
}

/* Milliseconds epoll_wait may sleep: until the next deadline or the end of
 * an accept back-off, or forever when neither exists. */
static int wait_timeout(const ws_echo_server *s, int64_t now) {
  int64_t next = INT64_MAX;
  ws_timer *t = ws_timers_first(&s->timers);
  if (t)
    next = t->deadline_ms;
  if (s->accept_paused && s->accept_resume_ms < next)
    next = s->accept_resume_ms;
  if (next == INT64_MAX)
    return -1;
  if (next <= now)
    return 0;
  return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

int ws_echo_server_run(ws_echo_server *server) {
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(server->epoll_fd, events, MAX_EVENTS,
                       wait_timeout(server, now_ms()));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    int64_t now = now_ms();
    bool stop = false;
    for (int i = 0; i < n; i++) {
      void *tag = events[i].data.ptr;
      if (tag == &server->stop_tag)
        stop = true;
      else if (tag == &server->listen_tag)
        accept_clients(server, now);
      else
        handle_client(server, tag, events[i].events, now);
    }
    fire_deadlines(server, now);
    resume_accept(server, now);
    if (stop) {
      uint64_t value;
      ssize_t got = read(server->stop_fd, &value, sizeof(value));
      (void)got; /* reset, so the server may be run again */
      return 0;
    }
  }
}

void ws_echo_server_close(ws_echo_server *server) {
  if (!server)
    return;
  while (server->clients)
    destroy_client(server, server->clients);
  ws_timers_free(&server->timers);
  if (server->listen_fd >= 0)
    close(server->listen_fd);
  if (server->epoll_fd >= 0)
    close(server->epoll_fd);
  if (server->stop_fd >= 0)
    close(server->stop_fd);
  ws_free(server->read_buf);
  ws_free(server);
}
