/* Fuzz target: one reference-server connection (server/conn.h), driven
 * like the reactor drives it, with no socket.
 *
 * Input: [limits 4 bytes][flags][op count][ops...][client bytes...]
 * Ops, cycled until the client bytes run out, say what the reactor does
 * next: read a chunk of the client's bytes (only while ws_conn_wants_input,
 * as the reactor does), write some or all of the output, or hit an event
 * (handshake/closing deadline, peer half-close, our own close). A flag
 * prefixes the client bytes with a valid upgrade request, so the fuzzer
 * spends its time on frames; the request and the first frames may share a
 * read (pipelining); another flag makes that request offer permessage-deflate
 * (RFC 7692). Invariants:
 *  - the connection's heap stays under a bound set by its limits (messages,
 *    header block, backlog), the size of one read and zlib's fixed state,
 *    never by what a peer declares or what its compressed data inflates to;
 *  - the output is always a valid server byte stream: one HTTP response;
 *    after a 101 (which passes the client's checks when the request was
 *    ours) only frames a client accepts without a single violation (decoded
 *    by an OBSERVE client-side reader: unmasked, valid UTF-8 echoes, valid
 *    close codes, nothing after the close) and ending on a frame boundary;
 *    with permessage-deflate in the 101, every echo compressed, RSV1 on its
 *    first frame only, inflating (STRICT, within max_message) to valid
 *    data; after a refusal exactly Content-Length body bytes;
 *  - once the input is over the connection ends up DONE and should_close,
 *    and freeing it releases everything (ASan). */
#include "fuzz/fuzz_common.h"

#include "codec/errors.h"
#include "codec/frame.h"
#include "codec/handshake.h"
#include "codec/http.h"
#include "codec/inflate.h"
#include "codec/message.h"
#include "codec/pmd.h"
#include "codec/utf8.h"
#include "server/conn.h"

#define SAMPLE_KEY "dGhlIHNhbXBsZSBub25jZQ=="
static const char canned_request[] = "GET /chat HTTP/1.1\r\n"
                                     "Host: server.example.com\r\n"
                                     "Upgrade: websocket\r\n"
                                     "Connection: Upgrade\r\n"
                                     "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
                                     "Sec-WebSocket-Version: 13\r\n"
                                     "\r\n";
#define DEFLATE_OFFER "permessage-deflate; client_max_window_bits"
static const char canned_deflate_request[] =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Extensions: " DEFLATE_OFFER "\r\n"
    "\r\n";

/* What a client would make of the server's output. */
typedef struct observer {
  bool canned;          /* the request was a canned one */
  bool offered_deflate; /* ... offering permessage-deflate */
  size_t max_message;
  ws_http_parser http;
  int http_rc;
  bool upgraded;
  uint64_t body_left; /* refusal: Content-Length bytes still to come */
  bool has_length;
  ws_frame_decoder frames;
  ws_message_reader reader;
  bool in_frame;
  bool close_seen;
  ws_inflater *inflater; /* permessage-deflate in the 101 */
} observer;

static void init_reader(observer *o, bool deflate) {
  ws_message_config mc = {
      .sender = WS_SENDER_SERVER,
      .policy = WS_POLICY_OBSERVE,
      /* A compressed echo may be a little longer than the message. */
      .max_message = o->max_message + o->max_message / 64 + 64,
      .permessage_deflate = deflate,
  };
  ws_message_reader_free(&o->reader);
  ws_message_reader_init(&o->reader, &mc);
}

static void observer_init(observer *o, size_t max_message, bool canned,
                          bool offered_deflate) {
  memset(o, 0, sizeof *o);
  o->canned = canned;
  o->offered_deflate = offered_deflate;
  o->max_message = max_message;
  ws_http_parser_init(&o->http, WS_HTTP_RESPONSE, 4096, 32);
  init_reader(o, false);
  ws_frame_decoder_config fc = {.sender = WS_SENDER_SERVER,
                                .policy = WS_POLICY_OBSERVE};
  ws_frame_decoder_init(&o->frames, &fc);
}

static void observer_free(observer *o) {
  ws_http_parser_free(&o->http);
  ws_message_reader_free(&o->reader);
  ws_inflater_free(o->inflater);
}

/* permessage-deflate in the 101: the client's reader allows RSV1 on first
 * frames and inflates with what the server answered for its own side. */
static void start_deflate(observer *o, const ws_extension_list *exts) {
  const ws_extension *pmd = NULL;
  for (size_t i = 0; i < exts->count; i++)
    if (ws_span_ieq(exts->items[i].name, WS_PMD_NAME))
      pmd = &exts->items[i];
  if (!pmd)
    return;
  ws_pmd_params offer = {0}, answer;
  FUZZ_CHECK(ws_pmd_params_check(pmd, true, &answer) == 0);
  ws_pmd_agreement a;
  ws_pmd_agree(&offer, &answer, &a);
  ws_pmd_direction server = ws_pmd_direction_of(&a, WS_SENDER_SERVER);
  ws_inflater_config ic = {.window_bits = server.window_bits,
                           .no_context_takeover = server.no_context_takeover,
                           .max_message = o->max_message,
                           .policy = WS_POLICY_STRICT};
  FUZZ_CHECK(ws_inflater_new(&ic, &o->inflater) == 0);
  init_reader(o, true);
  /* No frame has been read yet: the 101 was just parsed. */
  ws_frame_decoder_config fc = {.sender = WS_SENDER_SERVER,
                                .policy = WS_POLICY_OBSERVE,
                                .allowed_rsv = WS_RSV1};
  ws_frame_decoder_init(&o->frames, &fc);
}

/* The response is complete: decide what the rest of the stream is. */
static void on_response(observer *o) {
  const ws_http_message *m = ws_http_parser_message(&o->http);
  if (m->status == 101) {
    o->upgraded = true;
    ws_extension_list exts;
    ws_extension_list_init(&exts);
    const ws_span *v;
    for (size_t i = 0;
         (v = ws_http_field_get(m, "Sec-WebSocket-Extensions", i)); i++)
      FUZZ_CHECK(ws_extensions_parse(v->ptr, v->len, &exts) == 0);
    if (o->canned) {
      ws_hs_response_info info;
      FUZZ_CHECK(ws_hs_validate_response(
                     m, SAMPLE_KEY, NULL,
                     o->offered_deflate ? DEFLATE_OFFER : NULL, &info) == 0);
      FUZZ_CHECK(exts.count == (o->offered_deflate ? 1u : 0u));
    }
    start_deflate(o, &exts);
    return;
  }
  /* A refusal: an error status, a body of Content-Length bytes. */
  FUZZ_CHECK(m->status >= 400 && m->status < 600);
  const ws_span *len = ws_http_field_get(m, "Content-Length", 0);
  FUZZ_CHECK(len != NULL);
  o->has_length = true;
  o->body_left = strtoull(len->ptr, NULL, 10);
}

/* With permessage-deflate every echo is compressed and inflates, within
 * the server's limit, to a message the server may echo. */
static void check_echo(observer *o, const ws_message_event *ev) {
  if (!o->inflater) {
    FUZZ_CHECK(!ev->compressed);
    return;
  }
  FUZZ_CHECK(ev->compressed);
  ws_bytebuf out = {0};
  FUZZ_CHECK(ws_inflater_feed(o->inflater, ev->data, ev->len, true, &out) == 0);
  FUZZ_CHECK(out.len <= o->max_message);
  if (ev->type == WS_MSG_TEXT && out.len > 0)
    FUZZ_CHECK(ws_utf8_is_valid(out.data, out.len, NULL));
  ws_bytebuf_free(&out);
}

static void observe_frames(observer *o, uint8_t *buf, size_t len) {
  size_t used = 0;
  for (size_t guard = 0;; guard++) {
    FUZZ_CHECK(guard < 16 * (len + 4));
    ws_frame_event fev;
    size_t consumed = 0;
    int rc =
        ws_frame_decode(&o->frames, buf + used, len - used, &consumed, &fev);
    FUZZ_CHECK(rc >= 0);
    used += consumed;
    if (rc == 0)
      return;
    /* Nothing, not even another close, may follow the server's close. */
    FUZZ_CHECK(!o->close_seen);
    FUZZ_CHECK(fev.type != WS_FRAME_VIOLATION);
    if (fev.type == WS_FRAME_HEADER)
      o->in_frame = true;
    else if (fev.type == WS_FRAME_END)
      o->in_frame = false;
    ws_message_event ev;
    const ws_frame_event *arg = &fev;
    while ((rc = ws_message_on_frame(&o->reader, arg, &ev)) == 1) {
      FUZZ_CHECK(ev.type != WS_MSG_VIOLATION);
      if (ev.type == WS_MSG_CLOSE)
        o->close_seen = true;
      if (ev.type == WS_MSG_TEXT || ev.type == WS_MSG_BINARY)
        check_echo(o, &ev);
      arg = NULL;
    }
    FUZZ_CHECK(rc == 0);
  }
}

/* Output the reactor wrote: bytes a client receives. */
static void observe(observer *o, const uint8_t *data, size_t n) {
  uint8_t *copy = fz_dup(data, n);
  size_t used = 0;
  if (o->http_rc == 0) {
    size_t consumed = 0;
    o->http_rc = ws_http_parse(&o->http, copy, n, &consumed);
    FUZZ_CHECK(o->http_rc >= 0); /* the server's response always parses */
    if (o->http_rc == 1) {
      used = consumed;
      on_response(o);
    } else {
      used = n;
    }
  }
  if (used < n) {
    if (o->upgraded) {
      observe_frames(o, copy + used, n - used);
    } else {
      FUZZ_CHECK(o->has_length && n - used <= o->body_left);
      o->body_left -= n - used;
    }
  }
  free(copy);
}

/* Writes up to `want` bytes of output (0: all of it). */
static void drain(ws_conn *conn, observer *o, size_t want) {
  const uint8_t *data = NULL;
  size_t pending = ws_conn_pending_output(conn, &data);
  FUZZ_CHECK(pending == 0 || data != NULL);
  size_t n = want == 0 || want > pending ? pending : want;
  if (n == 0)
    return;
  observe(o, data, n);
  ws_conn_output_written(conn, n);
  FUZZ_CHECK(ws_conn_pending_output(conn, NULL) == pending - n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint8_t msg_sel = fz_u8(&in), frag_sel = fz_u8(&in);
  uint8_t hdr_sel = fz_u8(&in), backlog_sel = fz_u8(&in);
  uint8_t flags = fz_u8(&in);
  fz_input ops = fz_take(&in, fz_u8(&in) & 63);

  /* Small limits (0 picks the default for the header block and backlog). */
  ws_server_config cfg;
  ws_server_config_defaults(&cfg);
  cfg.max_message = (size_t)msg_sel * 16 + 1;
  cfg.max_fragments = (uint32_t)(frag_sel & 15) + 1;
  cfg.max_header_bytes = hdr_sel ? (size_t)hdr_sel * 16 : 0;
  cfg.max_headers = hdr_sel & 31;
  cfg.max_backlog = (size_t)backlog_sel * 64;
  size_t max_backlog =
      cfg.max_backlog ? cfg.max_backlog : 2 * cfg.max_message + 64 * 1024;
  size_t max_header =
      cfg.max_header_bytes ? cfg.max_header_bytes : WS_HTTP_DEFAULT_MAX_BYTES;

  bool canned = flags & 1;
  bool deflate = (flags >> 2) & 1;
  const char *request = deflate ? canned_deflate_request : canned_request;
  size_t prefix = canned ? strlen(request) : 0;
  size_t stream_len = prefix + in.n;
  uint8_t *stream = malloc(stream_len ? stream_len : 1);
  FUZZ_CHECK(stream);
  memcpy(stream, request, prefix);
  if (in.n)
    memcpy(stream + prefix, in.p, in.n);

  ws_conn *conn = ws_conn_new(&cfg);
  FUZZ_CHECK(conn);
  size_t base = ws_conn_heap_bytes(conn);
  observer obs;
  observer_init(&obs, cfg.max_message, canned && !(flags & 2), deflate);

  /* Largest single read, for the heap bound. With permessage-deflate (the
   * raw bytes may offer it too): zlib's state, about 270 KiB to deflate and
   * 40 KiB to inflate, and the inflated message next to the received one
   * (1.5 times max_message at its last doubling). */
  const size_t max_read = 16 * 64;
  const size_t zlib_state = 384 * 1024;
  size_t heap_bound = base + max_header + 1 + cfg.max_message +
                      2 * (max_backlog + max_read + cfg.max_message + 1024) +
                      2 * cfg.max_message + zlib_state;

  fz_scratch scratch;
  fz_scratch_init(&scratch, stream_len);
  size_t off = 0;
  size_t steps = 0, step_limit = 4 * stream_len + 64;
  while (off < stream_len && steps++ < step_limit) {
    uint8_t op = ops.n ? ops.p[steps % ops.n] : 1 | 0xfc;
    size_t arg = op >> 2;
    switch (op & 3) {
    case 0: /* a small read */
    case 1: /* a larger read */
      if (ws_conn_wants_input(conn)) {
        size_t n = (op & 3) ? (arg + 1) * 16 : arg + 1;
        if (n > stream_len - off)
          n = stream_len - off;
        uint8_t *chunk = fz_scratch_copy(&scratch, stream + off, n);
        int rc = ws_conn_receive(conn, chunk, n);
        FUZZ_CHECK(rc == 0 || rc == -WS_E_NOMEM);
        off += n;
      } else {
        drain(conn, &obs, 0);
        /* A DONE connection is not read any more. */
        if (ws_conn_phase(conn) == WS_CONN_DONE)
          off = stream_len;
      }
      break;
    case 2: /* a partial write */
      drain(conn, &obs, arg * 7 + 1);
      break;
    default:
      switch (arg & 3) {
      case 0:
        ws_conn_deadline_passed(conn);
        break;
      case 1:
        /* Only at the end of the op list, so most runs keep reading. */
        if ((arg & 4) && ws_conn_phase(conn) != WS_CONN_DONE) {
          ws_conn_peer_closed(conn);
          off = stream_len;
        }
        break;
      case 2: {
        static const uint16_t codes[] = {1000, 1001, 1011, 4000};
        enum ws_conn_phase before = ws_conn_phase(conn);
        int rc = ws_conn_start_close(conn, codes[(arg >> 2) & 3]);
        FUZZ_CHECK(before == WS_CONN_OPEN ? rc == 0 || rc == -WS_E_NOMEM
                                          : rc == -WS_E_STATE);
        break;
      }
      default:
        drain(conn, &obs, 0);
        break;
      }
    }
    FUZZ_CHECK(ws_conn_heap_bytes(conn) <= heap_bound);
    FUZZ_CHECK(ws_conn_should_close(conn) ==
               (ws_conn_phase(conn) == WS_CONN_DONE &&
                ws_conn_pending_output(conn, NULL) == 0));
  }

  /* The input is over: the peer closes, the reactor writes what is left. */
  drain(conn, &obs, 0);
  ws_conn_peer_closed(conn);
  FUZZ_CHECK(ws_conn_phase(conn) == WS_CONN_DONE);
  FUZZ_CHECK(!ws_conn_wants_input(conn));
  drain(conn, &obs, 0);
  FUZZ_CHECK(ws_conn_should_close(conn));
  FUZZ_CHECK(!obs.upgraded || !obs.in_frame);
  FUZZ_CHECK(!obs.has_length || obs.body_left == 0);
  fz_scratch_free(&scratch);
  ws_conn_free(conn);
  observer_free(&obs);
  free(stream);
  return 0;
}
