#include "client.h"

#include "errors.h"
#include "hooks.h"
#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int failf(char *err, size_t cap, const char *what, int rc) {
  snprintf(err, cap, "%s: %s", what,
           rc < 0 && rc > -4096 ? strerror(-rc) : "failed");
  return -1;
}

/* Reads until the response header block is complete; bytes after it stay in
 * rx for the frame reader (a server may send frames right behind the 101). */
static int read_response(int fd, ws_http_parser *http, uint8_t *rx,
                         size_t *rx_off, size_t *rx_len, int64_t deadline_ms,
                         char *err, size_t cap) {
  for (;;) {
    ssize_t n = ws_net_recv(fd, rx, WS_CLIENT_RX_BUFFER, deadline_ms);
    if (n == 0) {
      snprintf(err, cap, "connection closed before a complete HTTP response");
      return -1;
    }
    if (n < 0)
      return failf(err, cap, "reading the HTTP response", (int)n);
    size_t used = 0;
    int rc = ws_http_parse(http, rx, (size_t)n, &used);
    if (rc < 0) {
      snprintf(err, cap, "invalid HTTP response: %s", ws_error_message(rc));
      return -1;
    }
    if (rc == 1) {
      *rx_off = used;
      *rx_len = (size_t)n;
      return 0;
    }
  }
}

int ws_client_http_exchange(const ws_url *url, const char *request,
                            ws_http_parser *response, int64_t deadline_ms,
                            char *err, size_t cap) {
  ws_http_parser_init(response, WS_HTTP_RESPONSE, 0, 0);
  int fd = ws_net_connect(url->host, url->port, deadline_ms);
  if (fd < 0)
    return failf(err, cap, "connect", fd);
  uint8_t *rx = ws_malloc(WS_CLIENT_RX_BUFFER);
  int rc = -1;
  if (!rx) {
    snprintf(err, cap, "out of memory");
    goto close_fd;
  }
  rc = ws_net_send_all(fd, request, strlen(request), deadline_ms);
  if (rc < 0) {
    rc = failf(err, cap, "sending the request", rc);
    goto free_rx;
  }
  size_t off, len;
  rc = read_response(fd, response, rx, &off, &len, deadline_ms, err, cap);
free_rx:
  ws_free(rx);
close_fd:
  close(fd);
  return rc;
}

static int handshake(ws_client *c, const ws_url *url,
                     const ws_client_options *o, int64_t deadline_ms, char *err,
                     size_t cap) {
  char request[8192];
  ws_hs_generate_key(c->key);
  ws_hs_client_request req = {.host = url->authority,
                              .path = url->path,
                              .key = c->key,
                              .origin = o->origin,
                              .protocols = o->protocols,
                              .extensions = o->extensions,
                              .extra_headers = o->extra_headers};
  ssize_t n = ws_hs_build_request(request, sizeof request, &req);
  if (n < 0) {
    snprintf(err, cap, "request too large to build");
    return -1;
  }
  int rc = ws_net_send_all(c->fd, request, (size_t)n, deadline_ms);
  if (rc < 0)
    return failf(err, cap, "sending the handshake", rc);
  if (read_response(c->fd, &c->http, c->rx, &c->rx_off, &c->rx_len, deadline_ms,
                    err, cap) != 0)
    return -1;
  const ws_http_message *m = ws_http_parser_message(&c->http);
  ws_hs_response_info info;
  rc = ws_hs_validate_response(m, c->key, o->protocols, o->extensions, &info);
  if (rc < 0) {
    snprintf(err, cap, "handshake refused or invalid (HTTP %d): %s", m->status,
             ws_error_message(rc));
    return -1;
  }
  return 0;
}

int ws_client_open(ws_client *c, const ws_url *url,
                   const ws_client_options *options, int64_t deadline_ms,
                   char *err, size_t cap) {
  static const ws_client_options no_options;
  const ws_client_options *o = options ? options : &no_options;
  memset(c, 0, sizeof *c);
  c->fd = -1;
  ws_http_parser_init(&c->http, WS_HTTP_RESPONSE, 0, 0);
  ws_message_config mc = {.sender = WS_SENDER_SERVER,
                          .policy = WS_POLICY_OBSERVE,
                          .max_message = o->max_message};
  ws_message_reader_init(&c->reader, &mc);
  c->rx = ws_malloc(WS_CLIENT_RX_BUFFER);
  if (!c->rx) {
    snprintf(err, cap, "out of memory");
    ws_client_close(c);
    return -1;
  }
  c->fd = ws_net_connect(url->host, url->port, deadline_ms);
  if (c->fd < 0) {
    failf(err, cap, "connect", c->fd);
    ws_client_close(c);
    return -1;
  }
  if (handshake(c, url, o, deadline_ms, err, cap) != 0) {
    ws_client_close(c);
    return -1;
  }
  return 0;
}

int ws_client_send_raw(ws_client *c, const void *bytes, size_t len,
                       int64_t deadline_ms) {
  return ws_net_send_all(c->fd, bytes, len, deadline_ms);
}

int ws_client_send_frame(ws_client *c, const ws_frame_spec *spec,
                         const uint8_t *payload, size_t len,
                         int64_t deadline_ms) {
  size_t cap = WS_FRAME_MAX_HEADER + len;
  uint8_t *frame = ws_malloc(cap);
  if (!frame)
    return -ENOMEM;
  ssize_t n = ws_frame_encode(spec, payload, len, frame, cap);
  int rc =
      n < 0 ? -EINVAL : ws_net_send_all(c->fd, frame, (size_t)n, deadline_ms);
  ws_free(frame);
  return rc;
}

int ws_client_send(ws_client *c, uint8_t opcode, const void *payload,
                   size_t len, int64_t deadline_ms) {
  ws_frame_spec spec = {.fin = true, .opcode = opcode, .masked = true};
  ws_mask_key_new(spec.mask_key);
  return ws_client_send_frame(c, &spec, payload, len, deadline_ms);
}

int ws_client_next(ws_client *c, ws_message_event *ev, int64_t deadline_ms) {
  for (;;) {
    if (c->rx_off < c->rx_len) {
      size_t used = 0;
      int rc = ws_message_read(&c->reader, c->rx + c->rx_off,
                               c->rx_len - c->rx_off, &used, ev);
      c->rx_off += used;
      if (rc == 1)
        return 1;
      if (rc < 0)
        return rc == -WS_E_NOMEM ? -ENOMEM : -EPROTO;
      continue;
    }
    if (c->eof)
      return 0;
    ssize_t n = ws_net_recv(c->fd, c->rx, WS_CLIENT_RX_BUFFER, deadline_ms);
    if (n < 0)
      return (int)n;
    if (n == 0) {
      c->eof = true;
      return 0;
    }
    c->rx_off = 0;
    c->rx_len = (size_t)n;
  }
}

void ws_client_close(ws_client *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  ws_http_parser_free(&c->http);
  ws_message_reader_free(&c->reader);
  ws_free(c->rx);
  c->rx = NULL;
}
