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

/* The same, handing back the connected socket itself (non-blocking,
 * TCP_NODELAY), for a transport layered on it (io/tls.h). 0 with *fd set,
 * or a negative errno value as above. */
int ws_tcp_connect_fd(const char *host, uint16_t port, int64_t deadline_ms,
                      int *fd);

/* Takes ownership of a connected socket. 0, or -ENOMEM (fd is closed). */
int ws_tcp_adopt(int fd, ws_transport **out);

#endif
