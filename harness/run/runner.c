/* One case against a server: a client-role session over a TCP connection
 * (with TLS on it for wss://), driven to its end, then the liveness probe
 * when the case asks for it. */
#include "run/runner.h"

#include "engine/session.h"
#include "io/tcp.h"
#include "run/drive.h"
#include "util/clock.h"
#include "util/syserr.h"

#include <ctype.h>
#include <stdio.h>
#include <unistd.h>

/* TLS over the connected socket fd, by the same deadline as the TCP
 * connect (the case's). A failed handshake is a connection that could not
 * be made: the case never reached its subject. */
static ws_transport *start_tls(const ws_run_options *o, ws_session *s,
                               ws_observation *obs, int fd,
                               int64_t deadline_ms) {
  char why[400], text[640];
  if (!o->tls) {
    close(fd);
    (void)ws_obs_set_error(obs, "wss:// without a TLS context (harness bug)");
    return NULL;
  }
  const char *name = o->tls_name ? o->tls_name : o->url.host;
  ws_transport *t = NULL;
  int rc = ws_tls_connect(o->tls, fd, name, deadline_ms, &t, why, sizeof why);
  if (rc < 0) {
    obs->connect_error = -rc;
    (void)ws_obs_set_error(obs, why);
    ws_session_note(s, ws_now_us(), why);
    return NULL;
  }
  ws_tls_describe(t, why, sizeof why);
  /* The records are what a `chop` or a pause controls on a TLS wire. */
  snprintf(text, sizeof text,
           "TLS: handshake done (%s); the bytes below are plaintext, and "
           "each write is one TLS record (\"in N-byte writes\": N-byte "
           "records; a write over %d bytes leaves as several)",
           why, WS_TLS_RECORD_MAX);
  ws_session_note(s, ws_now_us(), text);
  return t;
}

/* The transport for the URL; on failure the observation says why. */
static ws_transport *connect_target(const ws_run_options *o, ws_session *s,
                                    ws_observation *obs) {
  const ws_url *u = &o->url;
  char text[320], why[128];
  ws_transport *t = NULL;
  int64_t deadline_ms = ws_session_deadline(s) / 1000;
  int fd = -1;
  int rc = ws_tcp_connect_fd(u->host, u->port, deadline_ms, &fd);
  if (rc < 0) {
    obs->connect_error = -rc;
    const char *reason = ws_strerror(-rc, why, sizeof why);
    /* "Connection refused" -> "connection refused", for a sentence. */
    snprintf(text, sizeof text, "cannot connect to %s:%u: %c%s", u->host,
             (unsigned)u->port, tolower((unsigned char)reason[0]),
             reason[0] ? reason + 1 : "");
    (void)ws_obs_set_error(obs, text);
    ws_session_note(s, ws_now_us(), text);
    return NULL;
  }
  snprintf(text, sizeof text, "connected to %s:%u", u->host, (unsigned)u->port);
  ws_session_note(s, ws_now_us(), text);
  if (u->secure)
    return start_tls(o, s, obs, fd, deadline_ms);
  if (ws_tcp_adopt(fd, &t) < 0) {
    (void)ws_obs_set_error(obs, "out of memory");
    return NULL;
  }
  return t;
}

void ws_run_case(const ws_case *c, const ws_run_options *o,
                 ws_observation *obs) {
  if (o->wire_max)
    obs->wire_max = o->wire_max;
  ws_session_opts so = {.role = WS_ROLE_CLIENT,
                        .timeout_scale = o->timeout_scale,
                        .seed = o->seed,
                        .profile = o->profile,
                        .target = {.authority = o->url.authority,
                                   .path = o->url.path,
                                   .origin = o->origin,
                                   .extra_headers = o->extra_headers}};
  int64_t t0 = ws_now_us();
  ws_session *s = ws_session_new(c, &so, obs, t0);
  if (!s)
    return;
  ws_transport *t = connect_target(o, s, obs);
  if (t) {
    ws_drive(s, t);
    const char *end = o->url.secure ? ws_tls_end_note(t) : NULL;
    if (end) {
      char text[96];
      snprintf(text, sizeof text, "TLS: %s", end);
      ws_session_note(s, ws_now_us(), text);
    }
    ws_session_end(s, ws_now_us());
    ws_transport_close(t);
  } else {
    obs->duration_ms = (double)(ws_now_us() - t0) / 1e3;
  }
  ws_session_free(s);
  if (c->uses_alive && !obs->harness_error)
    obs->alive = ws_run_liveness(o);
}
