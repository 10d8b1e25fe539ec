/* A WebSocket client built on the codec and net.h: what the self-check (and
 * later the case runner) uses to talk to a server. It reads the server's
 * bytes in OBSERVE mode, so a server's violations arrive as events to be
 * recorded rather than stopping the client. */
#ifndef WS_HARNESS_CLIENT_H
#define WS_HARNESS_CLIENT_H

#include "frame.h"
#include "handshake.h"
#include "http.h"
#include "message.h"
#include "url.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_CLIENT_RX_BUFFER 65536

typedef struct ws_client {
  int fd;
  char key[WS_KEY_LEN + 1];
  ws_http_parser http;
  ws_message_reader reader;
  uint8_t *rx; /* heap, WS_CLIENT_RX_BUFFER bytes */
  size_t rx_off, rx_len;
  bool eof;
} ws_client;

typedef struct ws_client_options {
  const char *protocols;     /* Sec-WebSocket-Protocol offer, or NULL */
  const char *extensions;    /* Sec-WebSocket-Extensions offer, or NULL */
  const char *origin;        /* or NULL */
  const char *extra_headers; /* CRLF-terminated lines, or NULL */
  size_t max_message;        /* 0: the codec default */
} ws_client_options;

/* Connects and completes the opening handshake. Returns 0, or -1 with a
 * one-line reason in err (refused, timed out, invalid response...). On
 * failure the client is already closed. */
int ws_client_open(ws_client *c, const ws_url *url,
                   const ws_client_options *options, int64_t deadline_ms,
                   char *err, size_t cap);

/* Sends a frame described by spec (payload masked when spec->masked; the
 * caller chooses the key). 0 or a negative errno value. */
int ws_client_send_frame(ws_client *c, const ws_frame_spec *spec,
                         const uint8_t *payload, size_t len,
                         int64_t deadline_ms);

/* A single-frame, masked message with a fresh key (the well-behaved path). */
int ws_client_send(ws_client *c, uint8_t opcode, const void *payload,
                   size_t len, int64_t deadline_ms);

/* Sends raw bytes as they are. */
int ws_client_send_raw(ws_client *c, const void *bytes, size_t len,
                       int64_t deadline_ms);

/* The next message-level event from the server. Returns 1 with *ev, 0 on
 * EOF, or a negative errno value (-ETIMEDOUT, -ECONNRESET, -ENOMEM). */
int ws_client_next(ws_client *c, ws_message_event *ev, int64_t deadline_ms);

void ws_client_close(ws_client *c);

/* Sends a complete raw HTTP request on a fresh connection and parses the
 * response header block into *response (caller frees it with
 * ws_http_parser_free). Returns 0, or -1 with a reason in err. */
int ws_client_http_exchange(const ws_url *url, const char *request,
                            ws_http_parser *response, int64_t deadline_ms,
                            char *err, size_t cap);

#endif
