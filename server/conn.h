/* One reference-server connection as a sans-I/O state machine: bytes from the
 * socket in, bytes for the socket out, plus a few questions the reactor asks
 * (should I read? close? which deadline applies?). No sockets, no clock: the
 * reactor owns both, which is also what lets a fuzz target drive a whole
 * connection without a network.
 *
 * Behaviour (RFC 6455, strict): refuses bad handshakes with the status from
 * the error table (400/405/426 + Sec-WebSocket-Version: 13, 431) and closes;
 * accepts no subprotocol; accepts the first permessage-deflate offer it can
 * (RFC 7692, codec/pmd.h; unless config.no_deflate) and no other extension;
 * echoes text and binary messages with the same opcode (compressed, in one
 * frame with RSV1, when permessage-deflate is in use); answers pings with
 * pongs carrying the same payload; ignores pongs; answers a close with a
 * close echoing the code (1000 for an empty close) and then closes TCP
 * first; fails the connection with the error table's close code
 * (1002/1007/1009) on any violation, then closes.
 *
 * With permessage-deflate, received compressed messages are inflated
 * (codec/inflate.h, STRICT): max_message bounds the inflated size (1009),
 * invalid DEFLATE data fails with 1007, RSV1 on a continuation or control
 * frame with 1002. Memory per connection then adds zlib's state: about 40
 * KiB to inflate (32 KiB window) and 256 KiB to deflate at the default 15
 * window bits, allocated with the first message; each side's is freed after
 * every message when that side has no context takeover. Echoing a message
 * of n bytes holds at most the compressed message as received, the n
 * inflated bytes and the compressed echo in the output queue at once. */
#ifndef WS_SERVER_CONN_H
#define WS_SERVER_CONN_H

#include "codec/pmd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_server_config {
  size_t max_message;           /* default WS_DEFAULT_MAX_MESSAGE (64 MiB); with
                                   permessage-deflate, of the inflated message */
  uint32_t max_fragments;       /* default WS_DEFAULT_MAX_FRAGMENTS */
  size_t max_header_bytes;      /* default WS_HTTP_DEFAULT_MAX_BYTES */
  size_t max_headers;           /* default WS_HTTP_DEFAULT_MAX_FIELDS */
  size_t max_backlog;           /* output bytes queued before input is paused;
                                   default 2 * max_message + 64 KiB */
  bool no_deflate;              /* decline every permessage-deflate offer
                                   (wsprobe echo-server --no-deflate) */
  ws_pmd_server_config deflate; /* what to accept and ask for (zero: every
                                   valid offer, nothing asked) */
  int deflate_level; /* zlib level of the echoes, 1..9; 0: zlib's default */
} ws_server_config;

void ws_server_config_defaults(ws_server_config *config);

enum ws_conn_phase {
  WS_CONN_HANDSHAKE, /* reading the request: handshake deadline applies */
  WS_CONN_OPEN,      /* upgraded: no deadline (idle connections allowed) */
  WS_CONN_CLOSING,   /* close sent: closing deadline applies */
  WS_CONN_DONE,      /* flush the output, then close TCP */
};

typedef struct ws_conn ws_conn;

/* NULL on allocation failure. The config is copied. */
ws_conn *ws_conn_new(const ws_server_config *config);
void ws_conn_free(ws_conn *conn);

/* Processes bytes read from the socket; buf is modified (unmasked in place).
 * Everything is consumed: partial frames are kept in the codec's state.
 * Returns 0, or -WS_E_NOMEM (the connection is then DONE). */
int ws_conn_receive(ws_conn *conn, uint8_t *buf, size_t len);

/* Starts a closing handshake from our side (e.g. 1001 on shutdown): queues a
 * close with `code` and enters CLOSING, where the closing deadline applies
 * and the peer's close ends the connection. Returns 0, -WS_E_STATE when not
 * OPEN, or -WS_E_NOMEM (the connection is then DONE). */
int ws_conn_start_close(ws_conn *conn, uint16_t code);

/* The peer half-closed or reset: no more input will come. */
void ws_conn_peer_closed(ws_conn *conn);
/* The deadline of the current phase passed (handshake or closing). */
void ws_conn_deadline_passed(ws_conn *conn);

/* Output waiting to be written; valid until the next call on conn. */
size_t ws_conn_pending_output(const ws_conn *conn, const uint8_t **data);
void ws_conn_output_written(ws_conn *conn, size_t n);

enum ws_conn_phase ws_conn_phase(const ws_conn *conn);
/* False while the output backlog is over max_backlog (backpressure: a peer
 * that does not read its pongs stops being read) and once input is over. */
bool ws_conn_wants_input(const ws_conn *conn);
/* True when the reactor should close the socket: DONE and output flushed. */
bool ws_conn_should_close(const ws_conn *conn);

/* Heap bytes this connection holds now (struct included). */
size_t ws_conn_heap_bytes(const ws_conn *conn);

#endif
