/* The harness's client sockets. Every call takes an absolute deadline
 * (ws_now_ms() based), so nothing the peer does can make it wait forever;
 * SIGPIPE is never raised (MSG_NOSIGNAL), a reset is a return value. */
#ifndef WS_HARNESS_NET_H
#define WS_HARNESS_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Connects over TCP to a numeric or resolvable host. Returns a non-blocking
 * fd, or a negative errno value (-ETIMEDOUT past the deadline). */
int ws_net_connect(const char *host, uint16_t port, int64_t deadline_ms);

/* Sends all of buf. 0, or a negative errno value (-EPIPE, -ECONNRESET,
 * -ETIMEDOUT). */
int ws_net_send_all(int fd, const void *buf, size_t len, int64_t deadline_ms);

/* Receives what is available, waiting until the deadline for the first byte.
 * Returns the byte count, 0 on orderly EOF, or a negative errno value
 * (-ETIMEDOUT, -ECONNRESET). */
ssize_t ws_net_recv(int fd, void *buf, size_t cap, int64_t deadline_ms);

#endif
