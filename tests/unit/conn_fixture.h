/* Driving a reference-server connection (server/conn.h) with bytes only,
 * shared by test_conn.c and test_conn_deflate.c: building masked client
 * frames with the codec's encoder, feeding and draining a connection, and a
 * small independent reader of the server's frames, so the tests do not
 * trust the decoder under test to check the server. */
#ifndef WS_TESTS_CONN_FIXTURE_H
#define WS_TESTS_CONN_FIXTURE_H

#include "codec/close.h"
#include "codec/frame.h"
#include "server/conn.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define SAMPLE_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static const char valid_request[] = "GET /chat HTTP/1.1\r\n"
                                    "Host: server.example.com\r\n"
                                    "Upgrade: websocket\r\n"
                                    "Connection: Upgrade\r\n"
                                    "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
                                    "Sec-WebSocket-Version: 13\r\n"
                                    "\r\n";

/* ---- a growable byte string for building input and collecting output ---- */

struct bytes {
  uint8_t *p;
  size_t len, cap;
};

static inline void bytes_add(struct bytes *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
      cap *= 2;
    b->p = realloc(b->p, cap);
    cr_assert_not_null(b->p);
    b->cap = cap;
  }
  if (n)
    memcpy(b->p + b->len, data, n);
  b->len += n;
}

static inline void bytes_free(struct bytes *b) {
  free(b->p);
  memset(b, 0, sizeof(*b));
}

/* Appends one masked client frame. */
static inline void add_frame(struct bytes *b, bool fin, uint8_t rsv,
                             uint8_t opcode, bool masked, const void *payload,
                             size_t len) {
  ws_frame_spec spec = {.fin = fin,
                        .rsv = rsv,
                        .opcode = opcode,
                        .masked = masked,
                        .mask_key = {0x37, 0xfa, 0x21, 0x3d}};
  size_t cap = len + WS_FRAME_MAX_HEADER;
  uint8_t *out = malloc(cap);
  cr_assert_not_null(out);
  ssize_t n = ws_frame_encode(&spec, payload, len, out, cap);
  cr_assert_gt(n, 0);
  bytes_add(b, out, (size_t)n);
  free(out);
}

static inline void add_msg(struct bytes *b, uint8_t opcode, const void *p,
                           size_t len) {
  add_frame(b, true, 0, opcode, true, p, len);
}

static inline void add_close(struct bytes *b, uint16_t code,
                             const char *reason) {
  uint8_t payload[125];
  size_t len =
      ws_close_build(code, reason, reason ? strlen(reason) : 0, payload);
  add_msg(b, WS_OP_CLOSE, payload, len);
}

/* ---- driving a connection ---- */

static inline ws_conn *new_conn(const ws_server_config *config) {
  ws_conn *c = ws_conn_new(config);
  cr_assert_not_null(c);
  return c;
}

/* ws_conn_receive unmasks in place, so hand it a copy. */
static inline int feed(ws_conn *c, const void *data, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  cr_assert_not_null(copy);
  if (len)
    memcpy(copy, data, len);
  int rc = ws_conn_receive(c, copy, len);
  free(copy);
  return rc;
}

static inline void drain(ws_conn *c, struct bytes *out) {
  const uint8_t *data;
  size_t n;
  while ((n = ws_conn_pending_output(c, &data)) > 0) {
    bytes_add(out, data, n);
    ws_conn_output_written(c, n);
  }
}

/* A connection past a valid handshake, with the 101 already drained. */
static inline ws_conn *open_conn(const ws_server_config *config) {
  ws_conn *c = new_conn(config);
  cr_assert_eq(feed(c, valid_request, strlen(valid_request)), 0);
  cr_assert_eq(ws_conn_phase(c), WS_CONN_OPEN);
  struct bytes out = {0};
  drain(c, &out);
  bytes_add(&out, "", 1);
  cr_assert(strncmp((char *)out.p, "HTTP/1.1 101", 12) == 0);
  bytes_free(&out);
  return c;
}

/* ---- reading the server's output ---- */

struct sframe {
  bool fin;
  uint8_t rsv, opcode;
  bool masked;
  const uint8_t *payload;
  size_t len;
};

/* Parses one server frame at *pos; false when the bytes end first. */
static inline bool next_frame(const struct bytes *b, size_t *pos,
                              struct sframe *f) {
  size_t i = *pos;
  if (b->len - i < 2)
    return false;
  f->fin = b->p[i] & 0x80;
  f->rsv = (b->p[i] >> 4) & 7;
  f->opcode = b->p[i] & 0x0f;
  f->masked = b->p[i + 1] & 0x80;
  uint64_t len = b->p[i + 1] & 0x7f;
  i += 2;
  size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
  if (b->len - i < ext)
    return false;
  if (ext) {
    len = 0;
    for (size_t k = 0; k < ext; k++)
      len = len << 8 | b->p[i + k];
    i += ext;
  }
  if (f->masked)
    i += 4;
  if (b->len < i || b->len - i < len)
    return false;
  f->payload = b->p + i;
  f->len = (size_t)len;
  *pos = i + (size_t)len;
  return true;
}

static inline uint16_t close_code_of(const struct sframe *f) {
  cr_assert_eq(f->opcode, WS_OP_CLOSE);
  cr_assert_geq(f->len, 2);
  return (uint16_t)(f->payload[0] << 8 | f->payload[1]);
}

/* Feeds input to an open connection and returns everything it wrote. */
static inline struct bytes exchange(ws_conn *c, const struct bytes *in) {
  struct bytes out = {0};
  cr_assert_eq(feed(c, in->p, in->len), 0);
  drain(c, &out);
  return out;
}

/* Expects exactly one frame, a close with `code`, and a finished conn. */
static inline void expect_close_only(ws_conn *c, const struct bytes *out,
                                     uint16_t code) {
  size_t pos = 0;
  struct sframe f;
  cr_assert(next_frame(out, &pos, &f), "no frame in the output");
  cr_assert_not(f.masked, "server frames must not be masked");
  cr_assert_eq(close_code_of(&f), code, "close code %u, expected %u",
               close_code_of(&f), code);
  cr_assert_eq(pos, out->len, "bytes after the close frame");
  cr_assert_eq(ws_conn_phase(c), WS_CONN_DONE);
  cr_assert(ws_conn_should_close(c));
  cr_assert_not(ws_conn_wants_input(c));
}

#endif
