/* The reference server's connection state machine (conn.h): HTTP upgrade,
 * then strict decoding with the codec, echoing and closing as RFC 6455 asks,
 * with permessage-deflate (RFC 7692) when the client offers it.
 *
 * Memory: the struct embeds either the HTTP parser (HANDSHAKE) or the message
 * reader (OPEN/CLOSING), never both, in a union; the output queue is freed
 * whenever it drains. An idle upgraded connection is therefore one small heap
 * block and nothing else, plus, with permessage-deflate, the inflater and
 * deflater (small structs, and zlib's state for a side with context
 * takeover). */
#include "server/conn.h"

#include "codec/bytebuf.h"
#include "codec/close.h"
#include "codec/deflate.h"
#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/handshake.h"
#include "codec/hooks.h"
#include "codec/http.h"
#include "codec/inflate.h"
#include "codec/message.h"
#include "codec/pmd.h"
#include "codec/utf8.h"

#include <string.h>

/* Large enough for the 101 response (no subprotocol, at most the
 * permessage-deflate element) and for any refusal: short fixed texts plus a
 * 28-character accept value. */
#define RESPONSE_BUF 1024

/* Smallest output allocation; a pong or a close fits with room to spare, so
 * a burst of small replies does not realloc for each one. */
#define OUTBUF_MIN 256

enum live_codec { LIVE_NONE, LIVE_PARSER, LIVE_READER };

/* A byte queue with a read offset: appends go at len, the reactor writes
 * from off. The buffer is released when off catches up with len. */
struct outbuf {
  uint8_t *data;
  size_t off, len, cap;
};

/* The message limits and the deflate settings are only needed until the
 * reader, inflater and deflater exist (which keep their own copies), so they
 * share the handshake's half of the union instead of costing every upgraded
 * connection. */
struct handshake {
  ws_http_parser parser;
  size_t max_message;
  uint32_t max_fragments;
  bool no_deflate;
  int deflate_level;
  ws_pmd_server_config deflate;
};

struct ws_conn {
  size_t max_backlog;
  struct outbuf out;
  /* permessage-deflate, when negotiated (both NULL otherwise). */
  ws_inflater *inflater;
  ws_deflater *deflater;
  uint8_t phase; /* enum ws_conn_phase */
  uint8_t live;  /* enum live_codec: which union member is initialised */
  union {
    struct handshake hs;
    ws_message_reader reader;
  } codec;
};

/* ---- configuration ---- */

void ws_server_config_defaults(ws_server_config *config) {
  memset(config, 0, sizeof(*config)); /* deflate on, nothing asked */
  config->max_message = WS_DEFAULT_MAX_MESSAGE;
  config->max_fragments = WS_DEFAULT_MAX_FRAGMENTS;
  config->max_header_bytes = WS_HTTP_DEFAULT_MAX_BYTES;
  config->max_headers = WS_HTTP_DEFAULT_MAX_FIELDS;
  config->max_backlog = 2 * WS_DEFAULT_MAX_MESSAGE + 64 * 1024;
}

/* Zero fields mean "the default", so a zero-initialised config works. */
static void resolve_config(ws_server_config *c) {
  if (c->max_message == 0)
    c->max_message = WS_DEFAULT_MAX_MESSAGE;
  if (c->max_fragments == 0)
    c->max_fragments = WS_DEFAULT_MAX_FRAGMENTS;
  if (c->max_header_bytes == 0)
    c->max_header_bytes = WS_HTTP_DEFAULT_MAX_BYTES;
  if (c->max_headers == 0)
    c->max_headers = WS_HTTP_DEFAULT_MAX_FIELDS;
  if (c->max_backlog == 0)
    c->max_backlog = 2 * c->max_message + 64 * 1024;
  if (c->deflate_level < 0 || c->deflate_level > 9)
    c->deflate_level = 0;
}

/* ---- output queue ---- */

static size_t outbuf_pending(const struct outbuf *q) { return q->len - q->off; }

static void outbuf_release(struct outbuf *q) {
  ws_free(q->data);
  memset(q, 0, sizeof(*q));
}

/* Makes room for n more bytes and returns where to write them; the caller
 * then adds n to q->len. Already-written bytes are compacted away before
 * growing, so the queue never holds more than its pending bytes plus slack. */
static uint8_t *outbuf_reserve(struct outbuf *q, size_t n) {
  size_t pending = outbuf_pending(q);
  if (pending > SIZE_MAX - n)
    return NULL;
  size_t need = pending + n;
  if (q->off > 0 && q->len + n > q->cap) {
    memmove(q->data, q->data + q->off, pending);
    q->off = 0;
    q->len = pending;
  }
  if (need > q->cap) {
    size_t cap = q->cap ? q->cap : OUTBUF_MIN;
    while (cap < need)
      cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *grown = ws_realloc(q->data, cap);
    if (!grown)
      return NULL;
    q->data = grown;
    q->cap = cap;
  }
  return q->data + q->len;
}

static int outbuf_append(struct outbuf *q, const void *a, size_t a_len,
                         const void *b, size_t b_len) {
  if (a_len > SIZE_MAX - b_len)
    return -WS_E_NOMEM;
  uint8_t *dst = outbuf_reserve(q, a_len + b_len);
  if (!dst)
    return -WS_E_NOMEM;
  if (a_len)
    memcpy(dst, a, a_len);
  if (b_len)
    memcpy(dst + a_len, b, b_len);
  q->len += a_len + b_len;
  return 0;
}

/* ---- lifecycle ---- */

static void release_codec(ws_conn *conn) {
  if (conn->live == LIVE_PARSER)
    ws_http_parser_free(&conn->codec.hs.parser);
  else if (conn->live == LIVE_READER)
    ws_message_reader_free(&conn->codec.reader);
  conn->live = LIVE_NONE;
  ws_inflater_free(conn->inflater);
  ws_deflater_free(conn->deflater);
  conn->inflater = NULL;
  conn->deflater = NULL;
}

/* Nothing more is read once DONE, so the codec state goes right away; only
 * the output still to flush stays. */
static void enter_done(ws_conn *conn) {
  release_codec(conn);
  conn->phase = WS_CONN_DONE;
}

ws_conn *ws_conn_new(const ws_server_config *config) {
  ws_conn *conn = ws_malloc(sizeof(*conn));
  if (!conn)
    return NULL;
  memset(conn, 0, sizeof(*conn));
  ws_server_config c = {0};
  if (config)
    c = *config;
  resolve_config(&c);
  conn->max_backlog = c.max_backlog;
  conn->phase = WS_CONN_HANDSHAKE;
  ws_http_parser_init(&conn->codec.hs.parser, WS_HTTP_REQUEST,
                      c.max_header_bytes, c.max_headers);
  conn->codec.hs.max_message = c.max_message;
  conn->codec.hs.max_fragments = c.max_fragments;
  conn->codec.hs.no_deflate = c.no_deflate;
  conn->codec.hs.deflate_level = c.deflate_level;
  conn->codec.hs.deflate = c.deflate;
  conn->live = LIVE_PARSER;
  return conn;
}

void ws_conn_free(ws_conn *conn) {
  if (!conn)
    return;
  release_codec(conn);
  outbuf_release(&conn->out);
  ws_free(conn);
}

/* ---- frames we send ---- */

/* One unmasked, final frame: RFC 6455 5.1 says a server MUST NOT mask. */
static int queue_frame(ws_conn *conn, uint8_t opcode, const uint8_t *payload,
                       size_t len) {
  ws_frame_spec spec = {.fin = true, .opcode = opcode};
  uint8_t header[WS_FRAME_MAX_HEADER];
  ssize_t header_len = ws_frame_encode_header(&spec, len, header);
  if (header_len < 0)
    return (int)header_len;
  return outbuf_append(&conn->out, header, (size_t)header_len, payload, len);
}

/* The longest header of an unmasked frame: 2 bytes and a 64-bit length. */
#define UNMASKED_HEADER_MAX 10

/* One compressed message in one frame, RSV1 set (RFC 7692 6: the first
 * frame of a compressed message has it; 6.1: no other frame may). The
 * payload is deflated straight into the output queue behind room for the
 * longest header, then moved up to meet the header once its length is
 * known, so the compressed echo exists once in memory, not twice. */
static int queue_compressed_frame(ws_conn *conn, uint8_t opcode,
                                  const uint8_t *payload, size_t len) {
  struct outbuf *q = &conn->out;
  if (!outbuf_reserve(q, UNMASKED_HEADER_MAX))
    return -WS_E_NOMEM;
  size_t at = q->len;
  ws_bytebuf b = {q->data, at + UNMASKED_HEADER_MAX, q->cap};
  int rc = ws_deflater_feed(conn->deflater, payload, len, true, &b);
  q->data = b.data; /* the buffer may have grown */
  q->cap = b.cap;
  if (rc < 0)
    return rc; /* q->len is unchanged: nothing partial is queued */
  size_t payload_len = b.len - at - UNMASKED_HEADER_MAX;
  ws_frame_spec spec = {.fin = true, .rsv = WS_RSV1, .opcode = opcode};
  uint8_t header[WS_FRAME_MAX_HEADER];
  ssize_t header_len = ws_frame_encode_header(&spec, payload_len, header);
  if (header_len < 0)
    return (int)header_len;
  memmove(q->data + at + header_len, q->data + at + UNMASKED_HEADER_MAX,
          payload_len);
  memcpy(q->data + at, header, (size_t)header_len);
  q->len = at + (size_t)header_len + payload_len;
  return 0;
}

static int queue_close(ws_conn *conn, uint16_t code, const char *reason) {
  uint8_t payload[WS_CONTROL_MAX_PAYLOAD];
  size_t len =
      ws_close_build(code, reason, reason ? strlen(reason) : 0, payload);
  int rc = queue_frame(conn, WS_OP_CLOSE, payload, len);
  if (conn->live == LIVE_READER)
    ws_message_reader_close_sent(&conn->codec.reader);
  return rc;
}

/* RFC 6455 7.1.7: to fail the connection, send a close with the code for
 * the error (SHOULD, 7.1.7 and 11.7) and then close TCP. */
static int fail_connection(ws_conn *conn, int err) {
  uint16_t code = ws_error_close_code(err);
  if (code == 0)
    code = 1011; /* not a wire error: an internal condition */
  int rc = queue_close(conn, code, ws_error_message(err));
  enter_done(conn);
  if (err == -WS_E_NOMEM || rc < 0)
    return -WS_E_NOMEM;
  return 0;
}

/* ---- handshake ---- */

/* A refused handshake: the status from the error table and nothing more
 * (RFC 6455 4.2.2: the server MUST NOT go on with the handshake). */
static int refuse(ws_conn *conn, int err) {
  char response[RESPONSE_BUF];
  ssize_t len = ws_hs_build_refusal(response, sizeof(response), err);
  int rc = 0;
  if (len > 0)
    rc = outbuf_append(&conn->out, response, (size_t)len, NULL, 0);
  enter_done(conn);
  return err == -WS_E_NOMEM || rc < 0 ? -WS_E_NOMEM : 0;
}

/* Replaces the handshake state with the message reader; they share memory,
 * so the limits are read out before the parser goes. */
static void start_reader(ws_conn *conn) {
  ws_message_config mc = {
      .sender = WS_SENDER_CLIENT, /* RFC 6455 5.1: client frames are masked */
      .policy = WS_POLICY_STRICT,
      .allowed_rsv = 0, /* RSV1 only with permessage-deflate, below */
      .max_message = conn->codec.hs.max_message,
      .max_fragments = conn->codec.hs.max_fragments,
      .permessage_deflate = conn->deflater != NULL,
  };
  ws_inflater *inflater = conn->inflater;
  ws_deflater *deflater = conn->deflater;
  conn->inflater = NULL; /* release_codec frees them: keep them */
  conn->deflater = NULL;
  release_codec(conn);
  conn->inflater = inflater;
  conn->deflater = deflater;
  ws_message_reader_init(&conn->codec.reader, &mc);
  conn->live = LIVE_READER;
}

/* The compressors for an agreement: the server compresses within what it
 * answered for itself and inflates within what the client may use (RFC
 * 7692 7.1). The inflater is STRICT and bounded by max_message, which with
 * permessage-deflate bounds a message twice: as received and inflated. */
static int start_deflate(ws_conn *conn, const ws_pmd_agreement *agreement) {
  ws_pmd_direction ours = ws_pmd_direction_of(agreement, WS_SENDER_SERVER);
  ws_pmd_direction theirs = ws_pmd_direction_of(agreement, WS_SENDER_CLIENT);
  ws_deflater_config dc = {.window_bits = ours.window_bits,
                           .no_context_takeover = ours.no_context_takeover,
                           .level = conn->codec.hs.deflate_level};
  ws_inflater_config ic = {.window_bits = theirs.window_bits,
                           .no_context_takeover = theirs.no_context_takeover,
                           .max_message = conn->codec.hs.max_message,
                           .policy = WS_POLICY_STRICT};
  int rc = ws_deflater_new(&dc, &conn->deflater);
  if (rc == 0)
    rc = ws_inflater_new(&ic, &conn->inflater);
  return rc;
}

/* The value of the 101's Sec-WebSocket-Extensions into ext (NULL: none) and
 * the compressors when permessage-deflate is accepted. RFC 6455 4.2.2 lets
 * the server accept any of the offered extensions or none; this server
 * knows permessage-deflate only, and declines it when configured to. */
static int negotiate_extensions(ws_conn *conn, const ws_hs_request_info *info,
                                char ext[WS_PMD_ELEMENT_MAX],
                                const char **value) {
  *value = NULL;
  if (conn->codec.hs.no_deflate)
    return 0;
  ws_pmd_agreement agreement;
  int rc = ws_pmd_server_accept(&info->extensions, &conn->codec.hs.deflate,
                                &agreement, ext, WS_PMD_ELEMENT_MAX, NULL);
  if (rc <= 0)
    return rc;
  *value = ext;
  return start_deflate(conn, &agreement);
}

/* Answers a complete, syntactically valid request. The reference server
 * implements no subprotocol, so the 101 names none even when the client
 * offered some (RFC 6455 4.2.2 lets the server pick none). */
static int accept_request(ws_conn *conn) {
  const ws_http_message *request =
      ws_http_parser_message(&conn->codec.hs.parser);
  ws_hs_request_info info;
  int rc = ws_hs_validate_request(request, &info);
  if (rc < 0)
    return refuse(conn, rc);
  char accept[WS_ACCEPT_LEN + 1];
  rc = ws_hs_accept_value(info.key.ptr, info.key.len, accept);
  if (rc < 0)
    return refuse(conn, rc);
  char ext[WS_PMD_ELEMENT_MAX];
  const char *extensions;
  rc = negotiate_extensions(conn, &info, ext, &extensions);
  if (rc < 0)
    return refuse(conn, rc);
  char response[RESPONSE_BUF];
  ssize_t len = ws_hs_build_response(response, sizeof(response), accept, NULL,
                                     extensions);
  if (len < 0)
    return refuse(conn, (int)len);
  if (outbuf_append(&conn->out, response, (size_t)len, NULL, 0) < 0) {
    enter_done(conn);
    return -WS_E_NOMEM;
  }
  start_reader(conn); /* the request's spans die here: we are done with them */
  conn->phase = WS_CONN_OPEN;
  return 0;
}

static int receive_open(ws_conn *conn, uint8_t *buf, size_t len);

static int receive_handshake(ws_conn *conn, uint8_t *buf, size_t len) {
  size_t consumed = 0;
  int rc = ws_http_parse(&conn->codec.hs.parser, buf, len, &consumed);
  if (rc < 0)
    return refuse(conn, rc);
  if (rc == 0)
    return 0;
  rc = accept_request(conn);
  if (rc < 0 || conn->phase != WS_CONN_OPEN)
    return rc;
  /* Frames pipelined in the same read as the request belong to the new
   * WebSocket stream; the parser left them unconsumed. */
  return receive_open(conn, buf + consumed, len - consumed);
}

/* ---- upgraded connection ---- */

static int on_close_received(ws_conn *conn, const ws_message_event *ev) {
  int rc = 0;
  if (conn->phase == WS_CONN_OPEN) {
    /* RFC 6455 5.5.1: answer a close with a close, echoing the status code;
     * a close without a code gets 1000 (7.1.5: 1005 is never sent). */
    uint16_t code =
        ev->close_code == WS_CLOSE_NO_STATUS ? 1000 : ev->close_code;
    rc = queue_close(conn, code, NULL);
  }
  /* Both closes exchanged: RFC 6455 7.1.1 wants the server to close TCP
   * first, which DONE tells the reactor to do. */
  enter_done(conn);
  return rc;
}

/* A violation found after the reader delivered the message (in its inflated
 * data). In CLOSING our close is already out: stop without a second one. */
static int message_violation(ws_conn *conn, int err) {
  if (conn->phase == WS_CONN_CLOSING && err != -WS_E_NOMEM) {
    enter_done(conn);
    return 0;
  }
  return err; /* receive_open fails the connection with its close code */
}

/* RFC 7692 7.2.2: a compressed message (RSV1 on its first frame) is
 * inflated, STRICT and bounded (inflate.h); RFC 6455 8.1: a text message's
 * inflated bytes must be UTF-8. Messages are still read in CLOSING (the
 * reader checks them all) but, RFC 6455 5.5.1, echoed only while OPEN. */
static int on_data_message(ws_conn *conn, const ws_message_event *ev) {
  uint8_t opcode = ev->type == WS_MSG_TEXT ? WS_OP_TEXT : WS_OP_BINARY;
  const uint8_t *data = ev->data;
  size_t len = ev->len;
  ws_bytebuf inflated = {0};
  if (ev->compressed) {
    int rc = ws_inflater_feed(conn->inflater, data, len, true, &inflated);
    if (rc == 0 && opcode == WS_OP_TEXT && inflated.len > 0 &&
        !ws_utf8_is_valid(inflated.data, inflated.len, NULL))
      rc = -WS_E_INVALID_UTF8;
    if (rc < 0) {
      ws_bytebuf_free(&inflated);
      return message_violation(conn, rc);
    }
    data = inflated.data;
    len = inflated.len;
  }
  int rc = 0;
  if (conn->phase == WS_CONN_OPEN)
    rc = conn->deflater ? queue_compressed_frame(conn, opcode, data, len)
                        : queue_frame(conn, opcode, data, len);
  ws_bytebuf_free(&inflated);
  return rc;
}

static int on_message(ws_conn *conn, const ws_message_event *ev) {
  if (ev->type == WS_MSG_CLOSE)
    return on_close_received(conn, ev);
  if (ev->type == WS_MSG_TEXT || ev->type == WS_MSG_BINARY)
    return on_data_message(conn, ev);
  /* RFC 6455 5.5.1: after sending a close there is no point answering
   * pings. */
  if (conn->phase != WS_CONN_OPEN)
    return 0;
  switch (ev->type) {
  case WS_MSG_PING:
    /* RFC 6455 5.5.2: a pong carries the ping's application data. */
    return queue_frame(conn, WS_OP_PONG, ev->data, ev->len);
  default:
    /* RFC 6455 5.5.3: an unsolicited pong needs no response. */
    return 0;
  }
}

static int receive_open(ws_conn *conn, uint8_t *buf, size_t len) {
  /* Keep calling while events come, even with no bytes left: a reader may
   * hold one more event (an empty frame's end) after consuming everything. */
  while (conn->live == LIVE_READER) {
    size_t consumed = 0;
    ws_message_event ev;
    int rc = ws_message_read(&conn->codec.reader, buf, len, &consumed, &ev);
    if (rc < 0) {
      /* In CLOSING our close is already out: stop without a second one. */
      if (conn->phase == WS_CONN_CLOSING) {
        enter_done(conn);
        return rc == -WS_E_NOMEM ? rc : 0;
      }
      return fail_connection(conn, rc);
    }
    buf += consumed;
    len -= consumed;
    if (rc == 0)
      break;
    rc = on_message(conn, &ev);
    if (rc < 0) /* a failed reply to a close already ended the connection */
      return conn->phase == WS_CONN_DONE ? rc : fail_connection(conn, rc);
  }
  return 0;
}

int ws_conn_receive(ws_conn *conn, uint8_t *buf, size_t len) {
  switch (conn->phase) {
  case WS_CONN_HANDSHAKE:
    return receive_handshake(conn, buf, len);
  case WS_CONN_OPEN:
  case WS_CONN_CLOSING:
    return receive_open(conn, buf, len);
  default:
    return 0; /* DONE: input is discarded */
  }
}

int ws_conn_start_close(ws_conn *conn, uint16_t code) {
  if (conn->phase != WS_CONN_OPEN)
    return -WS_E_STATE;
  int rc = queue_close(conn, code, NULL);
  if (rc < 0) {
    enter_done(conn);
    return rc;
  }
  conn->phase = WS_CONN_CLOSING;
  return 0;
}

void ws_conn_peer_closed(ws_conn *conn) {
  if (conn->phase != WS_CONN_DONE)
    enter_done(conn);
}

void ws_conn_deadline_passed(ws_conn *conn) {
  if (conn->phase == WS_CONN_HANDSHAKE)
    (void)refuse(conn, -WS_E_HS_TIMEOUT); /* 408 */
  else if (conn->phase == WS_CONN_CLOSING)
    enter_done(conn); /* RFC 6455 7.1.1: no answer in time, drop TCP */
}

/* ---- reactor queries ---- */

size_t ws_conn_pending_output(const ws_conn *conn, const uint8_t **data) {
  size_t pending = outbuf_pending(&conn->out);
  if (data)
    *data = pending ? conn->out.data + conn->out.off : NULL;
  return pending;
}

void ws_conn_output_written(ws_conn *conn, size_t n) {
  size_t pending = outbuf_pending(&conn->out);
  conn->out.off += n < pending ? n : pending;
  if (conn->out.off == conn->out.len)
    outbuf_release(&conn->out); /* idle connections hold no buffer */
}

enum ws_conn_phase ws_conn_phase(const ws_conn *conn) {
  return (enum ws_conn_phase)conn->phase;
}

bool ws_conn_wants_input(const ws_conn *conn) {
  return conn->phase != WS_CONN_DONE &&
         outbuf_pending(&conn->out) <= conn->max_backlog;
}

bool ws_conn_should_close(const ws_conn *conn) {
  return conn->phase == WS_CONN_DONE && outbuf_pending(&conn->out) == 0;
}

size_t ws_conn_heap_bytes(const ws_conn *conn) {
  size_t bytes = sizeof(*conn) + conn->out.cap;
  if (conn->inflater)
    bytes += ws_inflater_heap_bytes(conn->inflater);
  if (conn->deflater)
    bytes += ws_deflater_heap_bytes(conn->deflater);
  if (conn->live == LIVE_READER)
    bytes += ws_message_reader_heap_bytes(&conn->codec.reader);
  else if (conn->live == LIVE_PARSER)
    /* The parser's field array only exists once the block is complete, and
     * the connection leaves HANDSHAKE in that same call: the raw buffer is
     * all it holds between calls. */
    bytes += conn->codec.hs.parser.raw_cap;
  return bytes;
}
