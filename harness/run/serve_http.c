/* The HTTP side of `wsprobe serve` (serve_internal.h): reading a request
 * head with a deadline and a size bound, the query of a protocol URL, and
 * the short answers of the protocol endpoints. */
#include "run/serve_internal.h"

#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/handshake.h"
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- reading ---- */

static void split_target(serve_request *r) {
  const ws_span *t = &r->m->target;
  const char *q = memchr(t->ptr, '?', t->len);
  size_t plen = q ? (size_t)(q - t->ptr) : t->len;
  /* An absolute-form target (RFC 7230 5.3.2) names the path after the
   * authority. */
  const char *p = t->ptr;
  if (plen > 7 && strncasecmp(p, "http://", 7) == 0) {
    const char *slash = memchr(p + 7, '/', plen - 7);
    size_t skip = slash ? (size_t)(slash - p) : plen;
    p += skip;
    plen -= skip;
  }
  if (plen < sizeof r->path) {
    memcpy(r->path, p, plen);
    r->path[plen] = '\0';
  }
  size_t qlen = q ? t->len - plen - 1 : 0;
  if (q && qlen < sizeof r->query) {
    memcpy(r->query, q + 1, qlen);
    r->query[qlen] = '\0';
  }
}

int serve_read_request(ws_transport *t, serve_request *r, int64_t deadline_ms,
                       int *status) {
  ws_http_parser_init(&r->http, WS_HTTP_REQUEST, WS_SERVE_REQUEST_MAX, 0);
  *status = 0;
  for (;;) {
    if (r->len == sizeof r->raw) {
      *status = 431; /* Request Header Fields Too Large */
      return -1;
    }
    ssize_t n = ws_transport_read(t, r->raw + r->len, sizeof r->raw - r->len);
    if (n == -EAGAIN || n == -EINTR) {
      int left = ws_ms_until(deadline_ms);
      if (left <= 0) {
        *status = 408; /* Request Timeout */
        return -1;
      }
      if (ws_transport_pending(t) == 0)
        (void)ws_transport_wait(t, WS_IO_READ, left);
      continue;
    }
    if (n <= 0)
      return -1;
    size_t used = 0;
    int rc = ws_http_parse(&r->http, r->raw + r->len, (size_t)n, &used);
    r->len += (size_t)n;
    if (rc < 0) {
      *status =
          rc == -WS_E_HTTP_HEADER_TOO_LARGE || rc == -WS_E_HTTP_TOO_MANY_HEADERS
              ? 431
              : 400;
      return -1;
    }
    if (rc == 1)
      break;
  }
  r->m = ws_http_parser_message(&r->http);
  r->upgrade = ws_http_field_get(r->m, "Upgrade", 0) != NULL;
  split_target(r);
  return 0;
}

void serve_request_free(serve_request *r) { ws_http_parser_free(&r->http); }

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes query[0..n) ('+' is a space, %XX a byte) into out. */
static int decode(const char *p, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)p[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (i + 2 >= n || hex_digit(p[i + 1]) < 0 || hex_digit(p[i + 2]) < 0)
        return -1;
      c = hex_digit(p[i + 1]) * 16 + hex_digit(p[i + 2]);
      i += 2;
    }
    if (c == 0 || o + 1 >= cap)
      return -1;
    out[o++] = (char)c;
  }
  out[o] = '\0';
  return 1;
}

int serve_query_get(const char *query, const char *name, char *out,
                    size_t cap) {
  size_t nl = strlen(name);
  for (const char *p = query; *p;) {
    const char *end = strchr(p, '&');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
      return decode(p + nl + 1, len - nl - 1, out, cap);
    if (len == nl && strncmp(p, name, nl) == 0)
      return decode(p, 0, out, cap);
    p += len + (end ? 1 : 0);
  }
  return 0;
}

/* ---- writing ---- */

int serve_write_all(ws_transport *t, const void *p, size_t n,
                    int64_t deadline_ms) {
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t w = ws_transport_write(t, b, n);
    if (w > 0) {
      b += w;
      n -= (size_t)w;
      continue;
    }
    if (w != -EAGAIN && w != -EINTR)
      return -1;
    int left = ws_ms_until(deadline_ms);
    if (left <= 0)
      return -1;
    (void)ws_transport_wait(t, WS_IO_WRITE, left);
  }
  return 0;
}

static const char *status_text(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 404:
    return "Not Found";
  case 408:
    return "Request Timeout";
  case 431:
    return "Request Header Fields Too Large";
  case 503:
    return "Service Unavailable";
  default:
    return "Error";
  }
}

void serve_http_answer(ws_transport *t, int status, const char *content_type,
                       const char *body, size_t body_len, int64_t deadline_ms) {
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\nCache-Control: no-store\r\n"
                   "Connection: close\r\n\r\n",
                   status, status_text(status), content_type, body_len);
  if (serve_write_all(t, head, (size_t)n, deadline_ms) == 0 && body_len)
    (void)serve_write_all(t, body, body_len, deadline_ms);
  (void)ws_transport_shutdown(t);
}

/* ---- the protocol endpoints ---- */

int serve_ws_upgrade(ws_transport *t, const serve_request *r,
                     int64_t deadline_ms) {
  char text[1024];
  ws_hs_request_info info;
  int rc = ws_hs_validate_request(r->m, &info);
  ssize_t n;
  if (rc < 0) {
    n = ws_hs_build_refusal(text, sizeof text, -rc);
  } else {
    const ws_span *key = ws_http_field_get(r->m, "Sec-WebSocket-Key", 0);
    char accept[WS_ACCEPT_LEN + 1];
    n = key && ws_hs_accept_value(key->ptr, key->len, accept) == 0
            ? ws_hs_build_response(text, sizeof text, accept, NULL, NULL)
            : -1;
  }
  if (n > 0)
    (void)serve_write_all(t, text, (size_t)n, deadline_ms);
  return rc < 0 || n <= 0 ? -1 : 0;
}

/* Appends one unmasked frame to out; the new length, or 0 if it does not
 * fit. */
static size_t put_frame(uint8_t *out, size_t at, size_t cap, uint8_t opcode,
                        const uint8_t *payload, size_t len) {
  ws_frame_spec spec = {.fin = true, .opcode = opcode};
  ssize_t n = ws_frame_encode(&spec, payload, len, out + at, cap - at);
  return n > 0 ? at + (size_t)n : 0;
}

/* Reads until the client's close frame (an unfragmented control frame whose
 * first byte says close) or its end of the connection, by deadline_ms. */
static void await_close(ws_transport *t, int64_t deadline_ms) {
  uint8_t buf[512];
  bool frame_start = true;
  for (;;) {
    ssize_t n = ws_transport_read(t, buf, sizeof buf);
    if (n > 0) {
      /* A client answers our close at once; anything it sends before is
       * not ours to read: the first byte of what arrives decides. */
      if (frame_start && (buf[0] & 0x0F) == WS_OP_CLOSE)
        return;
      frame_start = false;
      continue;
    }
    if (n == 0 || (n != -EAGAIN && n != -EINTR))
      return;
    int left = ws_ms_until(deadline_ms);
    if (left <= 0)
      return;
    if (ws_transport_pending(t) == 0)
      (void)ws_transport_wait(t, WS_IO_READ, left);
  }
}

void serve_ws_say_and_close(ws_transport *t, const char *text,
                            int64_t deadline_ms) {
  static const uint8_t normal[2] = {1000 >> 8, 1000 & 0xFF};
  size_t tlen = text ? strlen(text) : 0;
  uint8_t out[4096];
  size_t n = 0;
  if (text && tlen < sizeof out - 32)
    n = put_frame(out, 0, sizeof out, WS_OP_TEXT, (const uint8_t *)text, tlen);
  size_t m = put_frame(out, n, sizeof out, WS_OP_CLOSE, normal, 2);
  if (m == 0 || serve_write_all(t, out, m, deadline_ms) != 0)
    return;
  await_close(t, deadline_ms);
  (void)ws_transport_shutdown(t);
}
