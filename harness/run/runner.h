/* Runs cases against a server: one fresh connection per case, played by a
 * client-role session (engine/session.h) over a transport, driven by
 * run/drive.c. Every wait is bounded by the case deadline times
 * --timeout-scale. */
#ifndef WS_HARNESS_RUNNER_H
#define WS_HARNESS_RUNNER_H

#include "case/case.h"
#include "engine/observation.h"
#include "io/tls.h"
#include "io/url.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_run_options {
  ws_url url;
  double timeout_scale; /* multiplies case and internal deadlines; >= 0.1 */
  uint64_t seed;        /* mask keys and handshake keys derive from it and
                           the case id: the same seed sends the same bytes */
  const char *origin;   /* Origin header or NULL */
  const char *extra_headers; /* "K: V\r\n" lines or NULL (--header) */
  bool record_all_wire;      /* keep the wire log for every case, not only for
                                failed/non-strict ones (decided after grading:
                                the runner always records, within the bound) */
  size_t wire_max; /* per-case wire log bound (--wire-max); 0: the default,
                      WS_OBS_DEFAULT_WIRE_MAX */
  enum ws_profile profile; /* --profile */
  /* wss:// URLs: every case connects TCP, then TLS with this client context
   * (io/tls.h; shared by the worker threads, owned by the caller). */
  ws_tls_context *tls;
  const char *tls_name; /* the TLS server name sent and checked (--sni);
                           NULL: the URL's host */
} ws_run_options;

/* Runs one case on a fresh connection and fills *obs (initialised by the
 * caller). Never aborts the process: connection failures, resets and
 * timeouts are recorded (harness_error when the case could not run at all,
 * with obs->connect_error when the target refused or never answered the TCP
 * connection). Thread-safe. */
void ws_run_case(const ws_case *c, const ws_run_options *options,
                 ws_observation *obs);

/* What a plain handshake and close, before any case, found. */
enum ws_preflight {
  WS_PREFLIGHT_OK,
  WS_PREFLIGHT_UNREACHABLE, /* no TCP connection, or no HTTP response */
  WS_PREFLIGHT_REFUSED,     /* an HTTP response other than 101 */
  WS_PREFLIGHT_INVALID_101, /* a 101 that breaks RFC 6455: the run goes on,
                               and the cases that need the handshake fail */
};

/* The preflight; err receives a one-line reason for anything but OK. */
enum ws_preflight ws_run_preflight(const ws_run_options *options, char *err,
                                   size_t cap);

/* Liveness probe: a new connection, handshake, one short echo, close.
 * 1 alive, 0 not. */
int ws_run_liveness(const ws_run_options *options);

#endif
