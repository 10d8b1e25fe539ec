/* Mutations of the opening handshake: the input's raw request (or the
 * standard one, made raw) with a header dropped, duplicated, re-cased or
 * garbled, odd version values and key lengths, a changed method or
 * protocol version. The request is handled as lines split at CRLF. */
#include "netfuzz/netfuzz_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_LINES 64

static const char standard[] = "GET {path} HTTP/1.1\r\n"
                               "Host: {host}\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: {key}\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "\r\n";

typedef struct line {
  const uint8_t *p;
  size_t n;
} line;

typedef struct req {
  line l[MAX_LINES];
  size_t n;
  bool final_crlf; /* the bytes end with CRLF */
} req;

static void split(req *r, const uint8_t *p, size_t n) {
  r->n = 0;
  size_t b = 0;
  for (size_t i = 0; i + 1 < n && r->n < MAX_LINES - 1; i++)
    if (p[i] == '\r' && p[i + 1] == '\n') {
      r->l[r->n++] = (line){p + b, i - b};
      b = i + 2;
      i++;
    }
  r->final_crlf = b == n;
  if (b < n)
    r->l[r->n++] = (line){p + b, n - b};
}

static ws_bytes join(nf_gen *g, const req *r) {
  size_t total = 0;
  for (size_t i = 0; i < r->n; i++)
    total += r->l[i].n + 2;
  ws_bytes out = {NULL, 0};
  uint8_t *p = nf_alloc(g, total);
  if (!p)
    return out;
  size_t at = 0;
  for (size_t i = 0; i < r->n; i++) {
    memcpy(p + at, r->l[i].p, r->l[i].n);
    at += r->l[i].n;
    if (i + 1 < r->n || r->final_crlf) {
      memcpy(p + at, "\r\n", 2);
      at += 2;
    }
  }
  out.ptr = p;
  out.len = at;
  return out;
}

/* The header lines: between the request line and the empty line. */
static size_t header_count(const req *r) {
  size_t i = 1;
  while (i < r->n && r->l[i].n > 0)
    i++;
  return i - 1;
}

static long find_header(const req *r, const char *name) {
  size_t len = strlen(name);
  for (size_t i = 1; i <= header_count(r); i++)
    if (r->l[i].n > len && strncasecmp((const char *)r->l[i].p, name, len) == 0)
      return (long)i;
  return -1;
}

static line text_line(nf_gen *g, const char *s) {
  size_t n = strlen(s);
  uint8_t *p = nf_alloc(g, n);
  if (p)
    memcpy(p, s, n);
  return (line){p ? p : (const uint8_t *)"", p ? n : 0};
}

static void set_header(nf_gen *g, req *r, const char *name, const char *value) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s: %s", name, value);
  long i = find_header(r, name);
  if (i < 0 && r->n < MAX_LINES) { /* added before the empty line */
    size_t at = header_count(r) + 1;
    memmove(&r->l[at + 1], &r->l[at], (r->n - at) * sizeof r->l[0]);
    r->n++;
    i = (long)at;
  }
  if (i >= 0)
    r->l[i] = text_line(g, buf);
}

static void version(nf_gen *g, req *r) {
  static const char *const v[] = {"",    "0",   "7",          "8",     "12",
                                  "14",  "99",  "013",        "13, 8", "-13",
                                  "13 ", "1 3", "4294967309", "\x01"};
  set_header(g, r, "Sec-WebSocket-Version", v[nf_below(g, 14)]);
}

static void key(nf_gen *g, req *r) {
  static const char *const k[] = {
      "",
      "AQ==",
      "AQIDBAUGBwgJCgsMDQ4P",     /* 15 bytes */
      "AQIDBAUGBwgJCgsMDQ4PEBE=", /* 17 bytes */
      "dGhlIHNhbXBsZSBub25jZQ",   /* no padding */
      "!!!!!!!!!!!!!!!!!!!!!!==",
      "dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
  set_header(g, r, "Sec-WebSocket-Key", k[nf_below(g, 8)]);
}

static void request_line(nf_gen *g, req *r) {
  static const char *const l[] = {"POST {path} HTTP/1.1",
                                  "get {path} HTTP/1.1",
                                  "GET {path} HTTP/1.0",
                                  "GET {path} HTTP/2.0",
                                  "GET {path}",
                                  "GET  {path}  HTTP/1.1",
                                  "GET * HTTP/1.1",
                                  "GET http://{host}{path} HTTP/1.1",
                                  "GET {path} HTTP/1.1 x",
                                  "GET /\x01 HTTP/1.1"};
  r->l[0] = text_line(g, l[nf_below(g, 10)]);
}

/* A copy of one header line with its bytes changed in place. */
static void garble(nf_gen *g, req *r, size_t i, bool recase) {
  uint8_t *p = nf_alloc(g, r->l[i].n);
  if (!p)
    return;
  memcpy(p, r->l[i].p, r->l[i].n);
  if (recase) {
    bool up = nf_chance(g, 50);
    for (size_t k = 0; k < r->l[i].n; k++)
      p[k] = (uint8_t)(up ? toupper(p[k]) : tolower(p[k]));
  } else {
    unsigned hits = 1 + (unsigned)nf_below(g, 3);
    for (unsigned k = 0; k < hits && r->l[i].n; k++) {
      size_t at = (size_t)nf_below(g, r->l[i].n); /* draws in order */
      p[at] = (uint8_t)nf_below(g, 256);
    }
  }
  r->l[i].p = p;
}

static void header_op(nf_gen *g, req *r) {
  size_t h = header_count(r);
  if (h == 0) {
    request_line(g, r);
    return;
  }
  size_t i = 1 + (size_t)nf_below(g, h);
  switch (nf_below(g, 5)) {
  case 0: /* drop */
    memmove(&r->l[i], &r->l[i + 1], (r->n - i - 1) * sizeof r->l[0]);
    r->n--;
    break;
  case 1: /* duplicate */
    if (r->n < MAX_LINES) {
      memmove(&r->l[i + 1], &r->l[i], (r->n - i) * sizeof r->l[0]);
      r->n++;
    }
    break;
  case 2:
    garble(g, r, i, true);
    break;
  case 3:
    garble(g, r, i, false);
    break;
  default: /* an obsolete folded continuation line */
    if (r->n < MAX_LINES) {
      memmove(&r->l[i + 2], &r->l[i + 1], (r->n - i - 1) * sizeof r->l[0]);
      r->l[i + 1] = text_line(g, " folded");
      r->n++;
    }
    break;
  }
}

/* The opening step as a raw request, made from the standard one when the
 * input had none. */
static long request_step(nf_gen *g) {
  size_t first = 0;
  while (first < g->n && g->v[first].kind == WS_STEP_CHOP)
    first++;
  if (first < g->n && g->v[first].kind == WS_STEP_REQUEST)
    return (long)first;
  if (first < g->n && g->v[first].kind == WS_STEP_HANDSHAKE)
    nf_remove(g, first);
  ws_step s = nf_step(WS_STEP_REQUEST);
  s.payload.ptr = (const uint8_t *)standard;
  s.payload.len = sizeof standard - 1;
  s.request_is_template = true;
  return nf_insert(g, first, &s) ? (long)first : -1;
}

void nf_mutate_request(nf_gen *g) {
  long i = request_step(g);
  if (i < 0)
    return;
  ws_step *s = &g->v[i];
  req r;
  split(&r, s->payload.ptr, s->payload.len);
  if (r.n == 0)
    return;
  switch (nf_below(g, 4)) {
  case 0:
    version(g, &r);
    break;
  case 1:
    key(g, &r);
    break;
  case 2:
    request_line(g, &r);
    break;
  default:
    header_op(g, &r);
    break;
  }
  ws_bytes b = join(g, &r);
  if (b.ptr)
    s->payload = b;
  nf_note(g, "request");
}
