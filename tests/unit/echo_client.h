/* A WebSocket client in memory that behaves as Autobahn's client drivers do,
 * for tests of the harness playing the server (session_pump.h's peer): it
 * sends a valid opening request, then echoes every text and binary message
 * as received, answers pings, answers the close and waits for the server to
 * close TCP. It reads with the codec's STRICT reader, so it fails the
 * connection (a close with the error's code, then its TCP close) on the
 * first violation, as a conformant client must.
 *
 * With `extensions` it offers permessage-deflate (RFC 7692) and, when the
 * 101 accepts, inflates what the server compresses and echoes compressed,
 * with the agreed parameters (the codec's deflater and inflater).
 *
 * Its masking keys are fresh per frame unless a test asks for a fault:
 * `key_mode` ECHO_KEYS_ZERO masks every frame with 00 00 00 00,
 * ECHO_KEYS_REPEAT reuses one key, ECHO_KEYS_CYCLE cycles through
 * `key_cycle` keys. The faults live here, in the test, never in the
 * product. */
#ifndef WS_TESTS_ECHO_CLIENT_H
#define WS_TESTS_ECHO_CLIENT_H

#include "codec/bytebuf.h"
#include "codec/close.h"
#include "codec/deflate.h"
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/header_values.h"
#include "codec/inflate.h"
#include "codec/message.h"
#include "codec/pmd.h"
#include "codec/utf8.h"
#include "tests/unit/session_pump.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Far above any message of the catalogue's frame-level cases without
 * permessage-deflate; a bound so a test cannot grow without limit. */
#define ECHO_CLIENT_MAX_OUT ((size_t)80 << 20)
/* What one compressed message may inflate to (a bomb stops here: 1009). */
#define ECHO_CLIENT_MAX_MESSAGE ((size_t)16 << 20)

enum echo_keys {
  ECHO_KEYS_FRESH,
  ECHO_KEYS_ZERO,
  ECHO_KEYS_REPEAT,
  ECHO_KEYS_CYCLE
};

typedef struct echo_client {
  enum echo_keys key_mode;
  unsigned key_cycle;     /* ECHO_KEYS_CYCLE: how many keys */
  const char *extensions; /* offered in the request, or NULL */
  uint64_t key_state;
  unsigned frames_sent;
  uint8_t *out;
  size_t out_len, out_sent, out_cap;
  char http[8192]; /* the response, until its blank line */
  size_t http_len;
  bool upgraded;
  bool failed;     /* it failed the connection: closes TCP once out */
  bool close_sent; /* its close (an answer, or its failure) is out */
  bool got_eof;    /* the server closed TCP: it closes too */
  int error;       /* the violation it failed on, or 0 */
  ws_message_reader reader;
  bool deflate; /* permessage-deflate agreed */
  ws_pmd_agreement agreement;
  ws_deflater *tx;
  ws_inflater *rx;
  ws_bytebuf plain, packed;
} echo_client;

static inline void echo_put(echo_client *c, const void *bytes, size_t len) {
  if (c->out_len + len > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + len)
      cap *= 2;
    cr_assert_leq(cap, ECHO_CLIENT_MAX_OUT, "echo client output unbounded");
    c->out = realloc(c->out, cap);
    cr_assert_not_null(c->out);
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, bytes, len);
  c->out_len += len;
}

/* splitmix64: a fresh key per frame for the conformant mode. */
static inline uint32_t echo_next_key(echo_client *c) {
  uint64_t z = (c->key_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  uint32_t key = (uint32_t)(z ^ (z >> 31));
  return key ? key : 1;
}

static inline void echo_frame_rsv(echo_client *c, uint8_t opcode, uint8_t rsv,
                                  const uint8_t *payload, size_t len) {
  ws_frame_spec spec = {
      .fin = true, .opcode = opcode, .rsv = rsv, .masked = true};
  uint32_t key = 0;
  switch (c->key_mode) {
  case ECHO_KEYS_FRESH:
    key = echo_next_key(c);
    break;
  case ECHO_KEYS_ZERO:
    key = 0;
    break;
  case ECHO_KEYS_REPEAT:
    key = 0x5a5a1234;
    break;
  case ECHO_KEYS_CYCLE:
    key = 0x01020304u + c->frames_sent % (c->key_cycle ? c->key_cycle : 1);
    break;
  }
  memcpy(spec.mask_key, &key, 4);
  size_t cap = len + WS_FRAME_MAX_HEADER;
  uint8_t *frame = malloc(cap);
  cr_assert_not_null(frame);
  ssize_t n = ws_frame_encode(&spec, payload, len, frame, cap);
  cr_assert_gt(n, 0);
  echo_put(c, frame, (size_t)n);
  free(frame);
  c->frames_sent++;
}

static inline void echo_frame(echo_client *c, uint8_t opcode,
                              const uint8_t *payload, size_t len) {
  echo_frame_rsv(c, opcode, 0, payload, len);
}

static inline void echo_close(echo_client *c, uint16_t code) {
  uint8_t payload[WS_CONTROL_MAX_PAYLOAD];
  size_t len =
      code == WS_CLOSE_NO_STATUS ? 0 : ws_close_build(code, NULL, 0, payload);
  echo_frame(c, WS_OP_CLOSE, payload, len);
  c->close_sent = true;
}

static inline void echo_client_init(echo_client *c, enum echo_keys mode,
                                    const char *extensions) {
  memset(c, 0, sizeof *c);
  c->key_mode = mode;
  c->key_cycle = 8;
  c->extensions = extensions;
  c->key_state = 0x2545f4914f6cdd1dull;
  char req[1024];
  int n = snprintf(req, sizeof req,
                   "GET /runCase HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                   extensions ? "Sec-WebSocket-Extensions: " : "",
                   extensions ? extensions : "", extensions ? "\r\n" : "");
  echo_put(c, req, (size_t)n);
  ws_message_config mc = {.sender = WS_SENDER_SERVER,
                          .policy = WS_POLICY_STRICT};
  ws_message_reader_init(&c->reader, &mc);
}

/* A faulty client: it reads with the OBSERVE policy and ignores every
 * violation (a masked server frame, a reserved opcode ...), carrying on. */
static inline void echo_client_lenient(echo_client *c) {
  ws_message_config mc = {.sender = WS_SENDER_SERVER,
                          .policy = WS_POLICY_OBSERVE};
  ws_message_reader_free(&c->reader);
  ws_message_reader_init(&c->reader, &mc);
}

static inline void echo_client_free(echo_client *c) {
  ws_message_reader_free(&c->reader);
  ws_deflater_free(c->tx);
  ws_inflater_free(c->rx);
  ws_bytebuf_free(&c->plain);
  ws_bytebuf_free(&c->packed);
  free(c->out);
}

/* Fails the connection (RFC 6455 7.1.7) over error err (positive). */
static inline void echo_fail(echo_client *c, int err) {
  c->error = err;
  if (!c->close_sent) {
    uint16_t code = ws_error_close_code(err);
    echo_close(c, code ? code : 1002);
  }
  c->failed = true;
}

/* The 101's Sec-WebSocket-Extensions (c->http holds the response). */
static inline bool echo_response_extensions(echo_client *c, char *out,
                                            size_t cap) {
  static const char name[] = "\r\nSec-WebSocket-Extensions:";
  const char *at = strcasestr(c->http, name);
  if (!at)
    return false;
  at += sizeof name - 1;
  const char *end = strstr(at, "\r\n");
  size_t n = (size_t)(end - at);
  cr_assert_lt(n, cap);
  memcpy(out, at, n);
  out[n] = '\0';
  return true;
}

/* RFC 7692 7: the client checks the answer against its offer and fails the
 * connection on an invalid one. */
static inline void echo_settle_deflate(echo_client *c) {
  char value[1024];
  if (!c->extensions || !echo_response_extensions(c, value, sizeof value))
    return;
  ws_extension_list offers, response;
  ws_extension_list_init(&offers);
  ws_extension_list_init(&response);
  cr_assert_eq(
      ws_extensions_parse(c->extensions, strlen(c->extensions), &offers), 0);
  if (ws_extensions_parse(value, strlen(value), &response) != 0) {
    echo_fail(c, WS_E_HS_RESPONSE_EXTENSION);
    return;
  }
  size_t chosen = 0;
  int rc = ws_pmd_client_accept(&offers, &response, &c->agreement, &chosen);
  if (rc < 0) {
    echo_fail(c, -rc);
    return;
  }
  if (rc == 0)
    return;
  c->deflate = true;
  ws_pmd_direction mine = ws_pmd_direction_of(&c->agreement, WS_SENDER_CLIENT);
  ws_pmd_direction theirs =
      ws_pmd_direction_of(&c->agreement, WS_SENDER_SERVER);
  ws_deflater_config dc = {.window_bits = mine.window_bits,
                           .no_context_takeover = mine.no_context_takeover,
                           .level = 1};
  ws_inflater_config ic = {.window_bits = theirs.window_bits,
                           .no_context_takeover = theirs.no_context_takeover,
                           .max_message = ECHO_CLIENT_MAX_MESSAGE,
                           .policy = WS_POLICY_STRICT};
  cr_assert_eq(ws_deflater_new(&dc, &c->tx), 0);
  cr_assert_eq(ws_inflater_new(&ic, &c->rx), 0);
  ws_message_config mc = {.sender = WS_SENDER_SERVER,
                          .policy = WS_POLICY_STRICT,
                          .max_message = ECHO_CLIENT_MAX_MESSAGE,
                          .permessage_deflate = true};
  ws_message_reader_free(&c->reader);
  ws_message_reader_init(&c->reader, &mc);
}

/* A data message, inflated when compressed, echoed (compressed when
 * agreed). */
static inline void echo_message(echo_client *c, const ws_message_event *ev) {
  uint8_t opcode = ev->type == WS_MSG_TEXT ? WS_OP_TEXT : WS_OP_BINARY;
  const uint8_t *data = ev->data;
  size_t len = ev->len;
  if (ev->compressed) {
    c->plain.len = 0;
    int rc = ws_inflater_feed(c->rx, ev->data, ev->len, true, &c->plain);
    if (rc < 0) {
      echo_fail(c, -rc);
      return;
    }
    if (opcode == WS_OP_TEXT &&
        !ws_utf8_is_valid(c->plain.data, c->plain.len, NULL)) {
      echo_fail(c, WS_E_INVALID_UTF8);
      return;
    }
    data = c->plain.data;
    len = c->plain.len;
  }
  if (!c->deflate) {
    echo_frame(c, opcode, data, len);
    return;
  }
  c->packed.len = 0;
  cr_assert_eq(ws_deflater_feed(c->tx, data, len, true, &c->packed), 0);
  echo_frame_rsv(c, opcode, WS_RSV1, c->packed.data, c->packed.len);
}

static inline void echo_event(echo_client *c, const ws_message_event *ev) {
  switch (ev->type) {
  case WS_MSG_TEXT:
  case WS_MSG_BINARY:
    if (!c->close_sent)
      echo_message(c, ev);
    break;
  case WS_MSG_PING:
    if (!c->close_sent)
      echo_frame(c, WS_OP_PONG, ev->data, ev->len);
    break;
  case WS_MSG_CLOSE:
    if (!c->close_sent)
      echo_close(c, ev->close_code);
    break;
  default:
    break;
  }
}

static inline void echo_frames(echo_client *c, uint8_t *buf, size_t len) {
  size_t pos = 0;
  while (!c->failed) {
    size_t used = 0;
    ws_message_event ev;
    int rc = ws_message_read(&c->reader, buf + pos, len - pos, &used, &ev);
    pos += used;
    if (rc == 1) {
      echo_event(c, &ev);
      continue;
    }
    if (rc < 0) /* RFC 6455 7.1.7: fail the connection */
      echo_fail(c, -rc);
    break;
  }
}

static inline void echo_receive(peer *p, int64_t now, uint8_t *buf,
                                size_t len) {
  (void)now;
  echo_client *c = p->impl;
  if (!c->upgraded) {
    size_t room = sizeof c->http - 1 - c->http_len;
    size_t take = len < room ? len : room;
    memcpy(c->http + c->http_len, buf, take);
    c->http_len += take;
    c->http[c->http_len] = '\0';
    char *end = strstr(c->http, "\r\n\r\n");
    if (!end) {
      if (take == room)
        c->failed = true; /* a response it cannot hold: give up */
      return;
    }
    size_t head = (size_t)(end + 4 - c->http);
    if (strncmp(c->http, "HTTP/1.1 101", 12) != 0) {
      c->failed = true;
      return;
    }
    c->upgraded = true;
    echo_settle_deflate(c);
    if (c->failed)
      return;
    /* Frames behind the response in the same write. */
    size_t rest = c->http_len - head;
    size_t skip = take - rest;
    echo_frames(c, buf + skip, len - skip);
    return;
  }
  echo_frames(c, buf, len);
}

static inline size_t echo_output(peer *p, int64_t now, const uint8_t **out) {
  (void)now;
  echo_client *c = p->impl;
  *out = c->out + c->out_sent;
  return c->out_len - c->out_sent;
}

static inline void echo_written(peer *p, int64_t now, size_t n) {
  (void)now;
  ((echo_client *)p->impl)->out_sent += n;
}

/* RFC 6455 7.1.1: the client waits for the server's TCP close, unless it
 * failed the connection. */
static inline bool echo_closes(peer *p) {
  echo_client *c = p->impl;
  return c->failed || c->got_eof;
}

static inline void echo_eof(peer *p, int64_t now) {
  (void)now;
  ((echo_client *)p->impl)->got_eof = true;
}

static inline peer echo_peer(echo_client *c) {
  return (peer){
      echo_receive, echo_output, echo_written, echo_closes, echo_eof, never, c};
}

#endif
