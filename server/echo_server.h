/* The reference echo server's reactor: one thread, epoll, non-blocking
 * sockets, one ws_conn state machine per connection (conn.h), and with TLS
 * one non-blocking OpenSSL stream per connection (tls.h). This file, conn.c
 * and tls.c are the only socket code besides the harness's own.
 *
 * Usable from a CLI command (run until SIGINT/SIGTERM) or in-process from
 * another thread (the harness tests its built-in server that way):
 * open, then run in some thread, then stop from any thread or signal
 * handler, then close. */
#ifndef WS_ECHO_SERVER_H
#define WS_ECHO_SERVER_H

#include "server/conn.h"
#include "server/tls.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ws_echo_server_options {
  const char *host;         /* numeric IPv4/IPv6 address ("::1" or "[::1]");
                               "127.0.0.1" when NULL */
  uint16_t port;            /* 0: an ephemeral port */
  ws_server_config conn;    /* per-connection limits */
  int handshake_timeout_ms; /* 0: 10000. Slow or stalled handshakes end */
  int closing_timeout_ms;   /* 0: 5000. Peer never answers our close */
  size_t max_connections;   /* 0: 100000; over it new connections are
                               accepted and closed at once */
  ws_server_tls *tls;       /* NULL: ws://. Else every connection is
                               wss:// (server/tls.h): the TLS handshake
                               counts in the handshake deadline. Owned by
                               the caller; it outlives the server */
} ws_echo_server_options;

void ws_echo_server_options_defaults(ws_echo_server_options *options);

typedef struct ws_echo_server ws_echo_server;

/* Binds and listens. Returns 0, or a negative errno value (e.g. -EADDRINUSE,
 * -EINVAL for an unparsable host). */
int ws_echo_server_open(const ws_echo_server_options *options,
                        ws_echo_server **out);

/* The port actually bound (useful with port 0). */
uint16_t ws_echo_server_port(const ws_echo_server *server);

/* Serves until ws_echo_server_stop(). Returns 0, or a negative errno value
 * on a fatal reactor error. Per-connection errors never end the loop. */
int ws_echo_server_run(ws_echo_server *server);

/* Async-signal-safe and thread-safe: asks run() to return soon. */
void ws_echo_server_stop(ws_echo_server *server);

/* Closes every connection and the listening socket, frees everything. */
void ws_echo_server_close(ws_echo_server *server);

/* Open connections right now (any phase). */
size_t ws_echo_server_connection_count(const ws_echo_server *server);

#endif
