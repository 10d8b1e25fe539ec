/* TCP transports: outgoing connections for testing servers, and wrapping an
 * accepted socket (testing clients). Sockets are non-blocking, TCP_NODELAY
 * (a 1-byte chop leaves as its own segment), and never raise SIGPIPE. */
#ifndef WS_HARNESS_TCP_H
#define WS_HARNESS_TCP_H

#include "io/transport.h"

#include <stdint.h>

/* Connects to a numeric or resolvable host by deadline_ms (util/clock.h).
 * 0 with *out set, or a negative errno value: -ECONNREFUSED, -ETIMEDOUT,
 * -EHOSTUNREACH (the name does not resolve)... */
int ws_tcp_connect(const char *host, uint16_t port, int64_t deadline_ms,
                   ws_transport **out);

/* Takes ownership of a connected socket. 0, or -ENOMEM (fd is closed). */
int ws_tcp_adopt(int fd, ws_transport **out);

#endif
