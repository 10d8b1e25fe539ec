/* Private to run/serve*.c: one connection's request and the small HTTP and
 * WebSocket answers of the URL protocol. */
#ifndef WS_HARNESS_SERVE_INTERNAL_H
#define WS_HARNESS_SERVE_INTERNAL_H

#include "codec/http.h"
#include "io/transport.h"
#include "run/serve.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A request head as read, with the bytes after it (kept for a runCase
 * session, which parses the request again as the case's server). */
typedef struct serve_request {
  uint8_t raw[WS_SERVE_REQUEST_MAX];
  size_t len;
  ws_http_parser http;
  const ws_http_message *m; /* when complete */
  char path[256];           /* the target's path, "" when too long */
  char query[1024];         /* after '?', "" when none or too long */
  bool upgrade;             /* an Upgrade header is present */
} serve_request;

/* Reads the request head by deadline_ms. 0 complete, -1 not (the peer
 * closed, the deadline passed, or it is too large or malformed: *status is
 * then the HTTP status to refuse with, 0 when nothing should be sent). */
int serve_read_request(ws_transport *t, serve_request *r, int64_t deadline_ms,
                       int *status);
void serve_request_free(serve_request *r);

/* The URL-decoded value of `name` in the query into out (at most cap - 1
 * bytes, no NUL inside). 1 found, 0 absent, -1 malformed or too long. */
int serve_query_get(const char *query, const char *name, char *out, size_t cap);

/* Writes all of p by deadline_ms. 0, or -1. */
int serve_write_all(ws_transport *t, const void *p, size_t n,
                    int64_t deadline_ms);

/* An HTTP response with a text body ("Connection: close"). */
void serve_http_answer(ws_transport *t, int status, const char *content_type,
                       const char *body, size_t body_len, int64_t deadline_ms);

/* The protocol endpoints: upgrades the request (or refuses it as RFC 6455
 * 4.2.1 says), sends `text` as one text message (none when NULL), then a
 * close 1000, and waits (by deadline_ms) for the client's close or its end
 * of the connection before the caller closes TCP (the server closes
 * first, 7.1.1). 0 when the upgrade was made, -1 otherwise. */
int serve_ws_upgrade(ws_transport *t, const serve_request *r,
                     int64_t deadline_ms);
void serve_ws_say_and_close(ws_transport *t, const char *text,
                            int64_t deadline_ms);

#endif
