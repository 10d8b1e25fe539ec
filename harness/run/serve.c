/* The serve loop (serve.h): a listening socket, one thread per connection
 * (bounded), and the routing of the URL protocol. A runCase connection is
 * played by a server-role session (engine/session.h) driven by run/drive.c,
 * fed first with the request bytes already read here. */
#include "run/serve.h"

#include "engine/session.h"
#include "io/tcp.h"
#include "io/tls.h"
#include "run/drive.h"
#include "run/serve_internal.h"
#include "run/serve_playing.h"
#include "util/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How long a client gets to send its request head, and to take a protocol
 * endpoint's message and close (times --timeout-scale). */
#define REQUEST_MS 10000
#define ANSWER_MS 5000
/* How long getCaseStatus and updateReports wait for the agent's cases in
 * play to end (the one its driver just closed ends within its grace). */
#define SETTLE_MS 10000
#define ACCEPT_POLL_MS 100

struct ws_serve {
  const ws_serve_options *o;
  int fd;
  uint16_t port;
  int max_connections;
  pthread_mutex_t lock; /* active */
  pthread_cond_t idle;
  int active;   /* connection threads */
  int refusing; /* threads answering 503 */
  serve_playing playing;
};

typedef struct conn {
  ws_serve *s;
  int fd;
} conn;

/* ---- listening ---- */

int ws_serve_open(const ws_serve_options *o, ws_serve **out, char *err,
                  size_t cap) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC,
                           .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE};
  struct addrinfo *ai = NULL;
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)o->port);
  int rc = getaddrinfo(o->host, port, &hints, &ai);
  if (rc != 0) {
    snprintf(err, cap, "%s: %s", o->host, gai_strerror(rc));
    return -1;
  }
  int fd = -1, saved = 0;
  for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 128) != 0) {
      saved = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(ai);
  if (fd < 0) {
    snprintf(err, cap, "cannot listen on %s:%u: %s", o->host, (unsigned)o->port,
             strerror(saved));
    return -1;
  }
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  ws_serve *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    snprintf(err, cap, "out of memory");
    return -1;
  }
  s->o = o;
  s->fd = fd;
  s->port =
      ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                     : ((struct sockaddr_in *)&sa)->sin_port);
  s->max_connections = o->max_connections > 0 ? o->max_connections
                                              : WS_SERVE_DEFAULT_CONNECTIONS;
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->idle, NULL);
  serve_playing_init(&s->playing);
  *out = s;
  return 0;
}

uint16_t ws_serve_port(const ws_serve *s) { return s->port; }

void ws_serve_close(ws_serve *s) {
  if (!s)
    return;
  close(s->fd);
  /* Connection threads still running keep using the lock: it is left
   * alive with the struct when any are (ws_serve_run's count). */
  pthread_mutex_lock(&s->lock);
  bool busy = s->active + s->refusing > 0;
  pthread_mutex_unlock(&s->lock);
  if (busy)
    return;
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->idle);
  serve_playing_destroy(&s->playing);
  free(s);
}

/* ---- one connection ---- */

static int64_t scaled(const ws_serve *s, int ms) {
  double scale = s->o->timeout_scale > 0 ? s->o->timeout_scale : 1.0;
  return ws_now_ms() + (int64_t)(ms * scale);
}

static void refuse(ws_serve *s, ws_transport *t, int status, const char *why) {
  char body[512];
  int n = snprintf(body, sizeof body, "wsprobe serve: %s\n", why);
  serve_http_answer(t, status, "text/plain; charset=utf-8", body,
                    (size_t)n < sizeof body ? (size_t)n : sizeof body - 1,
                    scaled(s, ANSWER_MS));
}

/* The case a query names: case=N (1-based) or casetuple=ID. 0 with *index,
 * or -1 after a 400 saying why. */
static int find_case(ws_serve *s, ws_transport *t, const serve_request *r,
                     size_t *index) {
  char v[64], why[160];
  int rc = serve_query_get(r->query, "case", v, sizeof v);
  if (rc == 1) {
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (!errno && end != v && !*end && v[0] != '-' && n >= 1 &&
        n <= s->o->case_count) {
      *index = (size_t)n - 1;
      return 0;
    }
    snprintf(why, sizeof why, "invalid case index '%.32s' (must be 1..%zu)", v,
             s->o->case_count);
    refuse(s, t, 400, why);
    return -1;
  }
  if (rc == 0 && serve_query_get(r->query, "casetuple", v, sizeof v) == 1) {
    for (size_t i = 0; i < s->o->case_count; i++)
      if (strcmp(s->o->cases[i]->id, v) == 0) {
        *index = i;
        return 0;
      }
    snprintf(why, sizeof why, "no case with id '%.32s'", v);
    refuse(s, t, 400, why);
    return -1;
  }
  refuse(s, t, 400, "the query needs case=N (1-based) or casetuple=ID");
  return -1;
}

/* The agent=A of the query into out. 0, or -1 after a 400. */
static int find_agent(ws_serve *s, ws_transport *t, const serve_request *r,
                      char *out, size_t cap) {
  if (serve_query_get(r->query, "agent", out, cap) == 1 && out[0])
    return 0;
  char why[128];
  snprintf(why, sizeof why,
           "the query needs agent=NAME (1 to %d bytes, URL-encoded)",
           WS_SERVE_AGENT_MAX);
  refuse(s, t, 400, why);
  return -1;
}

static void run_case(ws_serve *s, ws_transport *t, serve_request *r,
                     size_t index, const char *agent) {
  const ws_serve_options *o = s->o;
  ws_observation *obs = malloc(sizeof *obs);
  if (!obs) {
    refuse(s, t, 503, "out of memory");
    return;
  }
  int slot = serve_playing_start(&s->playing, agent);
  ws_observation_init(obs);
  if (o->wire_max)
    obs->wire_max = o->wire_max;
  ws_session_opts so = {.role = WS_ROLE_SERVER,
                        .timeout_scale = o->timeout_scale,
                        .seed = o->seed,
                        .profile = o->profile};
  int64_t t0 = ws_now_us();
  ws_session *session = ws_session_new(o->cases[index], &so, obs, t0);
  if (session) {
    if (o->tls) {
      char text[320], how[256];
      ws_tls_describe(t, how, sizeof how);
      snprintf(text, sizeof text,
               "TLS: handshake done (%s); the bytes below "
               "are plaintext",
               how);
      ws_session_note(session, t0, text);
    }
    ws_session_feed(session, ws_now_us(), r->raw, r->len);
    ws_drive(session, t);
    const char *end = o->tls ? ws_tls_end_note(t) : NULL;
    if (end) {
      char text[96];
      snprintf(text, sizeof text, "TLS: %s", end);
      ws_session_note(session, ws_now_us(), text);
    }
    ws_session_end(session, ws_now_us());
    ws_session_free(session);
  }
  o->hooks.case_done(o->hooks.ctx, agent, index, obs);
  serve_playing_end(&s->playing, slot);
}

/* getCaseInfo: {"id": ..., "description": ...} as Autobahn sends it. */
static void case_info(ws_transport *t, const ws_case *c, int64_t deadline) {
  char text[2048];
  size_t n = 0;
  n += (size_t)snprintf(text, sizeof text, "{\"id\": \"");
  const char *parts[] = {c->id, "\", \"description\": \"",
                         c->title ? c->title : "", c->description ? " " : "",
                         c->description ? c->description : ""};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    for (const char *p = parts[i]; *p && n < sizeof text - 16; p++) {
      unsigned char ch = (unsigned char)*p;
      if (i == 1) {
        text[n++] = *p;
      } else if (ch == '"' || ch == '\\') {
        text[n++] = '\\';
        text[n++] = (char)ch;
      } else if (ch < 0x20) {
        n += (size_t)snprintf(text + n, sizeof text - n, "\\u%04x", ch);
      } else {
        text[n++] = (char)ch;
      }
    }
  }
  snprintf(text + n, sizeof text - n, "\"}");
  serve_ws_say_and_close(t, text, deadline);
}

static void route(ws_serve *s, ws_transport *t, serve_request *r) {
  const ws_serve_options *o = s->o;
  const char *path = r->path;
  bool known = strcmp(path, "/getCaseCount") == 0 ||
               strcmp(path, "/runCase") == 0 ||
               strcmp(path, "/getCaseInfo") == 0 ||
               strcmp(path, "/getCaseStatus") == 0 ||
               strcmp(path, "/updateReports") == 0;
  if (!r->upgrade) {
    if (strcmp(path, "/") == 0 && o->page)
      serve_http_answer(t, 200, "text/html; charset=utf-8", o->page,
                        o->page_len, scaled(s, ANSWER_MS));
    else if (known)
      refuse(s, t, 400, "this URL is a WebSocket endpoint: send an upgrade");
    else
      refuse(s, t, 404,
             "unknown path (the URL protocol: /getCaseCount, /runCase, "
             "/getCaseInfo, /getCaseStatus, /updateReports; GET / is the "
             "browser driver page)");
    return;
  }
  if (!known) {
    refuse(s, t, 404, "unknown path");
    return;
  }
  size_t index = 0;
  char agent[WS_SERVE_AGENT_MAX + 1];
  char text[256];
  bool needs_case =
      strcmp(path, "/getCaseCount") != 0 && strcmp(path, "/updateReports") != 0;
  /* updateReports without an agent updates every agent's, as Autobahn's
   * older servers did. */
  bool every_agent =
      strcmp(path, "/updateReports") == 0 &&
      serve_query_get(r->query, "agent", agent, sizeof agent) == 0;
  bool needs_agent = strcmp(path, "/getCaseCount") != 0 &&
                     strcmp(path, "/getCaseInfo") != 0 && !every_agent;
  if ((needs_case && find_case(s, t, r, &index) != 0) ||
      (needs_agent && find_agent(s, t, r, agent, sizeof agent) != 0))
    return;
  if (strcmp(path, "/runCase") == 0) {
    run_case(s, t, r, index, agent);
    return;
  }
  if (strcmp(path, "/getCaseStatus") == 0 ||
      strcmp(path, "/updateReports") == 0)
    (void)serve_playing_wait(&s->playing, every_agent ? NULL : agent,
                             scaled(s, SETTLE_MS));
  int64_t deadline = scaled(s, ANSWER_MS);
  if (serve_ws_upgrade(t, r, deadline) != 0)
    return;
  if (strcmp(path, "/getCaseCount") == 0) {
    snprintf(text, sizeof text, "%zu", o->case_count);
    serve_ws_say_and_close(t, text, deadline);
  } else if (strcmp(path, "/getCaseInfo") == 0) {
    case_info(t, o->cases[index], deadline);
  } else if (strcmp(path, "/getCaseStatus") == 0) {
    char word[32];
    if (o->hooks.case_status(o->hooks.ctx, agent, index, word, sizeof word))
      snprintf(word, sizeof word, "MISSING");
    snprintf(text, sizeof text, "{\"behavior\": \"%s\"}", word);
    serve_ws_say_and_close(t, text, deadline);
  } else {
    char err[512];
    if (o->hooks.update_reports(o->hooks.ctx, every_agent ? NULL : agent, err,
                                sizeof err) != 0)
      fprintf(stderr, "wsprobe: serve: updateReports: %s\n", err);
    serve_ws_say_and_close(t, NULL, scaled(s, ANSWER_MS));
  }
}

static void serve_connection(ws_serve *s, int fd) {
  ws_transport *t = NULL;
  char err[400];
  int64_t deadline = scaled(s, REQUEST_MS);
  if (s->o->tls) {
    if (ws_tls_accept(s->o->tls, fd, deadline, &t, err, sizeof err) < 0)
      return; /* a client that cannot speak TLS to us gets no case */
  } else if (ws_tcp_adopt(fd, &t) < 0) {
    return;
  }
  serve_request *r = calloc(1, sizeof *r);
  int status = 0;
  if (!r) {
    refuse(s, t, 503, "out of memory");
  } else if (serve_read_request(t, r, deadline, &status) == 0) {
    route(s, t, r);
  } else if (status) {
    refuse(s, t, status,
           status == 408   ? "no complete request in time"
           : status == 431 ? "request head too large"
                           : "malformed HTTP request");
  }
  if (r) {
    serve_request_free(r);
    free(r);
  }
  ws_transport_close(t);
}

static void *conn_main(void *arg) {
  conn *c = arg;
  ws_serve *s = c->s;
  serve_connection(s, c->fd);
  free(c);
  ws_tls_thread_done();
  pthread_mutex_lock(&s->lock);
  s->active--;
  pthread_cond_broadcast(&s->idle);
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

/* Past the connection bound, a few more connections are read and answered
 * 503 by threads of their own (an answer written before the request was
 * read would be lost to the reset a close with unread bytes sends), over
 * TLS after a handshake of their own, all within one short deadline, so a
 * client is told why rather than seeing a bare reset; past those, the
 * socket is closed at once. */
#define REFUSING_MAX 8

static void *refuse_main(void *arg) {
  conn *c = arg;
  ws_serve *s = c->s;
  ws_transport *t = NULL;
  int64_t deadline = scaled(s, ANSWER_MS / 5);
  char err[400];
  int rc = s->o->tls
               ? ws_tls_accept(s->o->tls, c->fd, deadline, &t, err, sizeof err)
               : ws_tcp_adopt(c->fd, &t);
  if (rc == 0) {
    serve_request *r = calloc(1, sizeof *r);
    int status;
    if (r) {
      (void)serve_read_request(t, r, deadline, &status);
      serve_request_free(r);
      free(r);
    }
    refuse(s, t, 503, "too many connections at once; try again");
    ws_transport_close(t);
  }
  free(c);
  ws_tls_thread_done();
  pthread_mutex_lock(&s->lock);
  s->refusing--;
  pthread_cond_broadcast(&s->idle);
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

/* A detached thread running fn(c); false when none could start. */
static bool spawn(void *(*fn)(void *), conn *c) {
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  bool started = pthread_create(&thread, &attr, fn, c) == 0;
  pthread_attr_destroy(&attr);
  return started;
}

static void start_connection(ws_serve *s, int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  pthread_mutex_lock(&s->lock);
  bool room = s->active < s->max_connections;
  bool refusal = !room && s->refusing < REFUSING_MAX;
  if (room)
    s->active++;
  else if (refusal)
    s->refusing++;
  pthread_mutex_unlock(&s->lock);
  conn *c = room || refusal ? malloc(sizeof *c) : NULL;
  if (c) {
    *c = (conn){s, fd};
    if (spawn(room ? conn_main : refuse_main, c))
      return;
    free(c);
  }
  pthread_mutex_lock(&s->lock);
  if (room)
    s->active--;
  else if (refusal)
    s->refusing--;
  pthread_mutex_unlock(&s->lock);
  close(fd);
}

size_t ws_serve_run(ws_serve *s, int drain_ms) {
  volatile sig_atomic_t *stop = s->o->stop;
  while (!stop || !*stop) {
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, ACCEPT_POLL_MS) <= 0)
      continue;
    int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0)
      start_connection(s, fd);
    else if (errno == EMFILE || errno == ENFILE)
      usleep(ACCEPT_POLL_MS * 1000); /* let connections end first */
  }
  int64_t until = ws_now_ms() + drain_ms;
  pthread_mutex_lock(&s->lock);
  while (s->active + s->refusing > 0) {
    int64_t left = until - ws_now_ms();
    if (left <= 0)
      break;
    struct timespec ts = ws_timespec_after_ms(CLOCK_REALTIME, left);
    pthread_cond_timedwait(&s->idle, &s->lock, &ts);
  }
  size_t left = (size_t)(s->active + s->refusing);
  pthread_mutex_unlock(&s->lock);
  return left;
}
