/* The TLS questions a run asks its target outside the cases, each on a
 * connection of its own: what a wss:// target agrees to (said once in the
 * run's header, so every case's wire log need not be read for it), and
 * whether a ws:// target that gave no HTTP answer speaks TLS instead. */
#ifndef WS_HARNESS_TLS_PROBE_H
#define WS_HARNESS_TLS_PROBE_H

#include "engine/observation.h"
#include "run/runner.h"

#include <stdbool.h>
#include <stddef.h>

/* For a wss:// target (o->tls set): one TLS handshake with the run's
 * context, described as "TLSv1.3, cipher ..., ALPN http/1.1; certificate
 * verified for NAME (...)" or "...; certificate NOT verified (--insecure)".
 * 0, or -1 with the handshake's one-line failure in out. */
int ws_run_tls_session(const ws_run_options *o, char *out, size_t cap);

/* For a ws:// target whose preflight (obs) got no HTTP answer: true, with a
 * one-line reason in err, when it speaks TLS: its answer starts with a TLS
 * record, or it closed without a byte and a TLS handshake (certificate
 * unchecked) completes on that port within 2 s times scale. */
bool ws_run_speaks_tls(const ws_run_options *o, const ws_observation *obs,
                       double scale, char *err, size_t cap);

#endif
