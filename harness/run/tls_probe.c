/* TLS probes (tls_probe.h): one handshake each, outside the cases, bounded
 * by a deadline like everything the runner does. */
#include "run/tls_probe.h"

#include "io/tcp.h"
#include "io/tls.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

/* The handshake that describes a wss:// target: as long as a case's. */
#define SESSION_PROBE_MS 5000
/* The handshake that tells a TLS server behind a ws:// URL. */
#define SPEAKS_TLS_PROBE_MS 2000

/* TCP, then TLS with ctx to the URL's host and port by deadline_ms. 0 with
 * *out set, or a negative errno value with a one-line reason in err. */
static int handshake(const ws_run_options *o, ws_tls_context *ctx,
                     const char *name, int64_t deadline_ms, ws_transport **out,
                     char *err, size_t cap) {
  int fd;
  int rc = ws_tcp_connect_fd(o->url.host, o->url.port, deadline_ms, &fd);
  if (rc < 0) {
    snprintf(err, cap, "cannot connect to %s:%u", o->url.host,
             (unsigned)o->url.port);
    return rc;
  }
  return ws_tls_connect(ctx, fd, name, deadline_ms, out, err, cap);
}

static double scale_of(const ws_run_options *o) {
  double s = o->timeout_scale > 0 ? o->timeout_scale : 1.0;
  return s < 0.1 ? 0.1 : s;
}

int ws_run_tls_session(const ws_run_options *o, char *out, size_t cap) {
  const char *name = o->tls_name ? o->tls_name : o->url.host;
  int64_t deadline_ms = ws_now_ms() + (int64_t)(SESSION_PROBE_MS * scale_of(o));
  ws_transport *t;
  if (!o->tls || handshake(o, o->tls, name, deadline_ms, &t, out, cap) < 0) {
    if (!o->tls)
      snprintf(out, cap, "no TLS context");
    return -1;
  }
  char session[200];
  ws_tls_describe(t, session, sizeof session);
  ws_transport_close(t);
  /* Whoever reads a report must see at once that nothing was checked. */
  if (ws_tls_context_insecure(o->tls))
    snprintf(out, cap,
             "%s; certificate and host name NOT verified (--insecure)",
             session);
  else
    snprintf(out, cap, "%s; certificate verified for %s", session, name);
  return 0;
}

bool ws_run_speaks_tls(const ws_run_options *o, const ws_observation *obs,
                       double scale, char *err, size_t cap) {
  if (o->url.secure || obs->response_complete || obs->harness_error)
    return false;
  const ws_wire_entry *rx = NULL;
  for (size_t i = 0; i < obs->wire_count && !rx; i++)
    if (obs->wire[i].dir == WS_WIRE_RX && obs->wire[i].len > 0)
      rx = &obs->wire[i];
  /* An alert (15 03) or a handshake record (16 03) where HTTP was due. */
  if (rx && rx->len >= 2 && (rx->bytes[0] == 0x15 || rx->bytes[0] == 0x16) &&
      rx->bytes[1] == 0x03) {
    snprintf(err, cap,
             "the server answered with a TLS record (%02x %02x ...) on a "
             "ws:// URL: it speaks TLS, use wss://",
             rx->bytes[0], rx->bytes[1]);
    return true;
  }
  /* OpenSSL servers close without a byte on a plain request: only a
   * handshake of our own tells them from a server that merely hung up. */
  if (rx || !obs->peer_closed_tcp)
    return false;
  ws_tls_client_config config = {.insecure = true};
  ws_tls_context *ctx;
  char why[256];
  if (ws_tls_client_context(&config, &ctx, why, sizeof why) != 0)
    return false;
  int64_t deadline_ms = ws_now_ms() + (int64_t)(SPEAKS_TLS_PROBE_MS * scale);
  ws_transport *t;
  bool works =
      handshake(o, ctx, o->url.host, deadline_ms, &t, why, sizeof why) == 0;
  if (works)
    ws_transport_close(t);
  ws_tls_context_free(ctx);
  if (works)
    snprintf(err, cap,
             "the server closed the connection without an HTTP answer, and "
             "it completes a TLS handshake on that port: it speaks TLS, use "
             "wss://");
  return works;
}
