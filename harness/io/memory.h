/* An in-memory transport pair: what one end writes, the other reads, with
 * the semantics of a TCP connection (a bounded window, EOF after the
 * writer's shutdown or close, -EPIPE for writes to a closed end). For
 * tests: two sessions, or a session and a hand-written peer, talk through
 * it without sockets, in one thread or two. */
#ifndef WS_HARNESS_MEMORY_TRANSPORT_H
#define WS_HARNESS_MEMORY_TRANSPORT_H

#include "io/transport.h"

#include <stddef.h>

/* Two connected ends; each direction buffers at most `window` bytes
 * (write() returns -EAGAIN beyond). 0, or -ENOMEM. Each end is closed on
 * its own; the shared state goes with the second close. */
int ws_memory_pair(size_t window, ws_transport **a, ws_transport **b);

/* Ends the connection as a peer's reset would: both ends' reads return
 * -ECONNRESET once their buffered bytes are read, writes -ECONNRESET. */
void ws_memory_reset(ws_transport *end);

#endif
