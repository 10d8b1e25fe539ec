/* The harness for tests of the case engine: a session driven by feeding
 * bytes, with no socket and no thread, on a virtual clock, against a peer in
 * memory: the reference server's own sans-I/O connection (server/conn.h)
 * for the client role, a session of the other role, or scripted bytes.
 * Shared by test_session*.c. */
#ifndef WS_TESTS_SESSION_PUMP_H
#define WS_TESTS_SESSION_PUMP_H

#include "codec/frame.h"
#include "engine/session.h"
#include "server/conn.h"
#include "tests/unit/case_fixture.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* ---- peers ---- */

/* What the pump asks of the other end. */
typedef struct peer {
  void (*receive)(struct peer *p, int64_t now, uint8_t *buf, size_t len);
  size_t (*output)(struct peer *p, int64_t now, const uint8_t **out);
  void (*written)(struct peer *p, int64_t now, size_t n);
  bool (*closes)(struct peer *p); /* it ends TCP once its output is out */
  void (*eof)(struct peer *p, int64_t now);
  int64_t (*deadline)(struct peer *p);
  void *impl;
} peer;

/* The reference server's connection. */
static inline void conn_receive(peer *p, int64_t now, uint8_t *buf,
                                size_t len) {
  (void)now;
  (void)ws_conn_receive(p->impl, buf, len);
}
static inline size_t conn_output(peer *p, int64_t now, const uint8_t **out) {
  (void)now;
  return ws_conn_pending_output(p->impl, out);
}
static inline void conn_written(peer *p, int64_t now, size_t n) {
  (void)now;
  ws_conn_output_written(p->impl, n);
}
static inline bool conn_closes(peer *p) {
  return ws_conn_should_close(p->impl);
}
static inline void conn_eof(peer *p, int64_t now) {
  (void)now;
  ws_conn_peer_closed(p->impl);
}
static inline int64_t never(peer *p) {
  (void)p;
  return INT64_MAX;
}

static inline peer conn_peer(ws_conn *c) {
  return (peer){
      conn_receive, conn_output, conn_written, conn_closes, conn_eof, never, c};
}

/* A session as the peer (the other role). */
static inline void sess_receive(peer *p, int64_t now, uint8_t *buf,
                                size_t len) {
  ws_session_feed(p->impl, now, buf, len);
}
static inline size_t sess_output(peer *p, int64_t now, const uint8_t **out) {
  return ws_session_next_write(p->impl, now, out);
}
static inline void sess_written(peer *p, int64_t now, size_t n) {
  ws_session_wrote(p->impl, now, n);
}
static inline bool sess_closes(peer *p) {
  return ws_session_done(p->impl) || ws_session_wants_shutdown(p->impl);
}
static inline void sess_eof(peer *p, int64_t now) {
  ws_session_peer_closed(p->impl, now, 0);
}
static inline int64_t sess_deadline(peer *p) {
  return ws_session_deadline(p->impl);
}

static inline peer session_peer(ws_session *s) {
  return (peer){sess_receive,
                sess_output,
                sess_written,
                sess_closes,
                sess_eof,
                sess_deadline,
                s};
}

/* Scripted bytes, sent once, then silence; closes TCP after them when
 * asked. */
typedef struct script {
  const uint8_t *bytes;
  size_t len, sent;
  size_t hold_at;    /* 0, or: send no more than this many bytes ... */
  size_t hold_until; /* ... until the session has sent this many */
  bool close_after;
  bool got_eof;
  uint8_t got[65536];
  size_t got_len;
} script;

static inline void script_receive(peer *p, int64_t now, uint8_t *buf,
                                  size_t len) {
  (void)now;
  script *sc = p->impl;
  size_t room = sizeof sc->got - sc->got_len;
  size_t n = len < room ? len : room;
  memcpy(sc->got + sc->got_len, buf, n);
  sc->got_len += n;
}
static inline size_t script_output(peer *p, int64_t now, const uint8_t **out) {
  (void)now;
  script *sc = p->impl;
  size_t end = sc->len;
  if (sc->hold_at && sc->got_len < sc->hold_until)
    end = sc->hold_at;
  *out = sc->bytes + sc->sent;
  return end > sc->sent ? end - sc->sent : 0;
}
static inline void script_written(peer *p, int64_t now, size_t n) {
  (void)now;
  ((script *)p->impl)->sent += n;
}
static inline bool script_closes(peer *p) {
  script *sc = p->impl;
  return sc->close_after && sc->sent == sc->len;
}
static inline void script_eof(peer *p, int64_t now) {
  (void)now;
  ((script *)p->impl)->got_eof = true;
}

static inline peer script_peer(script *sc) {
  return (peer){script_receive,
                script_output,
                script_written,
                script_closes,
                script_eof,
                never,
                sc};
}

/* A client that ignores the server's answer: it sends a fixed request,
 * then, once any header block has come back (whatever its status or
 * headers), echoes every data frame of the server's as a masked frame and
 * answers a close with a close, then closes TCP. What a client that never
 * validates the handshake does: the server-role session must grade it as
 * having proceeded. Frames of up to 125 bytes only (enough for a test). */
typedef struct proceeding {
  const char *request;
  size_t request_sent;
  uint8_t got[8192];
  size_t got_len, parsed; /* parsed: bytes of `got` consumed */
  bool in_frames;         /* the header block was read */
  uint8_t out[8192];      /* echoes waiting to be written */
  size_t out_len, out_sent;
  bool closing;   /* it answered a close: TCP goes once that is out */
  uint8_t frames; /* frames sent so far: each gets its own key */
} proceeding;

static inline void proceeding_queue(proceeding *c, uint8_t b0,
                                    const uint8_t *payload, size_t len) {
  /* A fresh key per frame (RFC 6455 5.3): what is wrong with this client
   * is its handshake, nothing else. */
  c->frames++;
  const uint8_t key[4] = {0x5a, (uint8_t)(0x17 + c->frames), 0xc3,
                          (uint8_t)(0x9e ^ c->frames)};
  cr_assert_leq(c->out_len + 6 + len, sizeof c->out);
  uint8_t *o = c->out + c->out_len;
  o[0] = b0;
  o[1] = (uint8_t)(0x80 | len);
  memcpy(o + 2, key, 4);
  for (size_t i = 0; i < len; i++)
    o[6 + i] = payload[i] ^ key[i % 4];
  c->out_len += 6 + len;
}

static inline void proceeding_receive(peer *p, int64_t now, uint8_t *buf,
                                      size_t len) {
  (void)now;
  proceeding *c = p->impl;
  size_t room = sizeof c->got - c->got_len;
  size_t n = len < room ? len : room;
  memcpy(c->got + c->got_len, buf, n);
  c->got_len += n;
  if (!c->in_frames) {
    const uint8_t *end = memmem(c->got, c->got_len, "\r\n\r\n", 4);
    if (!end)
      return;
    c->parsed = (size_t)(end + 4 - c->got);
    c->in_frames = true;
  }
  while (!c->closing && c->got_len - c->parsed >= 2) {
    const uint8_t *f = c->got + c->parsed;
    size_t plen = f[1] & 0x7f;
    cr_assert_lt(plen, 126, "the proceeding client reads short frames only");
    if (c->got_len - c->parsed < 2 + plen)
      return;
    uint8_t op = f[0] & 0x0f;
    if (op == WS_OP_TEXT || op == WS_OP_BINARY || op == WS_OP_CLOSE)
      proceeding_queue(c, f[0], f + 2, plen);
    c->closing = op == WS_OP_CLOSE;
    c->parsed += 2 + plen;
  }
}
static inline size_t proceeding_output(peer *p, int64_t now,
                                       const uint8_t **out) {
  (void)now;
  proceeding *c = p->impl;
  size_t rl = strlen(c->request);
  if (c->request_sent < rl) {
    *out = (const uint8_t *)c->request + c->request_sent;
    return rl - c->request_sent;
  }
  *out = c->out + c->out_sent;
  return c->out_len - c->out_sent;
}
static inline void proceeding_written(peer *p, int64_t now, size_t n) {
  (void)now;
  proceeding *c = p->impl;
  size_t rl = strlen(c->request);
  if (c->request_sent < rl)
    c->request_sent += n;
  else
    c->out_sent += n;
}
static inline bool proceeding_closes(peer *p) {
  proceeding *c = p->impl;
  return c->closing && c->out_sent == c->out_len;
}
static inline void proceeding_eof(peer *p, int64_t now) {
  (void)now;
  ((proceeding *)p->impl)->closing = true;
}

static inline peer proceeding_peer(proceeding *c) {
  return (peer){proceeding_receive,
                proceeding_output,
                proceeding_written,
                proceeding_closes,
                proceeding_eof,
                never,
                c};
}

/* ---- the pump ---- */

typedef struct pump_stats {
  size_t writes;      /* the session's writes */
  size_t max_write;   /* the largest */
  size_t first_write; /* the size of the first */
  int64_t end;        /* virtual time at the end */
} pump_stats;

#define T0 1000000 /* virtual us at the start */

/* Moves bytes both ways until the session is done, one byte at a time when
 * `bytewise`; when nothing moves, the clock jumps to the next deadline.
 * After `stall_after` bytes of the session's (0: never) the peer stops
 * reading: no write of the session's completes any more. */
static inline pump_stats pump_stalling(ws_session *s, peer *p, bool bytewise,
                                       size_t stall_after) {
  pump_stats st = {0};
  size_t taken = 0;
  int64_t now = T0;
  bool peer_gone = false, shut = false;
  uint8_t buf[65536];
  for (int guard = 0; guard < 4000000 && !ws_session_done(s); guard++) {
    bool moved = false;
    const uint8_t *out;
    size_t n = ws_session_next_write(s, now, &out);
    if (ws_session_done(s))
      break;
    if (stall_after && taken >= stall_after)
      n = 0;
    else if (stall_after && n > stall_after - taken)
      n = stall_after - taken;
    if (n > 0 && !shut) {
      /* A partial write, as a socket may take: at most buf's size. */
      size_t k = bytewise ? 1 : (n < sizeof buf ? n : sizeof buf);
      taken += k;
      memcpy(buf, out, k);
      ws_session_wrote(s, now, k);
      if (!peer_gone)
        p->receive(p, now, buf, k);
      if (st.writes++ == 0)
        st.first_write = n;
      st.max_write = n > st.max_write ? n : st.max_write;
      moved = true;
    } else if (ws_session_wants_shutdown(s)) {
      ws_session_shutdown_done(s, now);
      shut = true;
      p->eof(p, now);
      moved = true;
    }
    if (!peer_gone) {
      size_t m = p->output(p, now, &out);
      if (m > 0 && ws_session_wants_read(s)) {
        size_t k = bytewise ? 1 : (m < sizeof buf ? m : sizeof buf);
        memcpy(buf, out, k);
        p->written(p, now, k);
        ws_session_feed(s, now, buf, k);
        moved = true;
      } else if (m == 0 && p->closes(p)) {
        ws_session_peer_closed(s, now, 0);
        peer_gone = true;
        moved = true;
      }
    }
    if (!moved) {
      int64_t next = ws_session_deadline(s);
      int64_t theirs = peer_gone ? INT64_MAX : p->deadline(p);
      if (theirs < next)
        next = theirs;
      now = next > now ? next : now + 1000;
    }
  }
  cr_assert(ws_session_done(s), "the session never ended");
  ws_session_end(s, now);
  st.end = now;
  return st;
}

static inline pump_stats pump(ws_session *s, peer *p, bool bytewise) {
  return pump_stalling(s, p, bytewise, 0);
}

/* ---- fixtures ---- */

static inline ws_session_opts client_opts(void) {
  return (ws_session_opts){
      .role = WS_ROLE_CLIENT,
      .timeout_scale = 1.0,
      .seed = 7,
      .target = {.authority = "127.0.0.1:9001", .path = "/chat"}};
}

static inline ws_session_opts server_opts(void) {
  ws_session_opts o = client_opts();
  o.role = WS_ROLE_SERVER;
  return o;
}

/* A client case against the reference server's connection. */
static inline pump_stats against_reference(tcase *t, ws_observation *obs,
                                           bool bytewise) {
  ws_server_config cfg;
  ws_server_config_defaults(&cfg);
  ws_conn *conn = ws_conn_new(&cfg);
  cr_assert_not_null(conn);
  ws_observation_init(obs);
  ws_session_opts o = client_opts();
  ws_session *s = ws_session_new(&t->c, &o, obs, T0);
  cr_assert_not_null(s);
  peer p = conn_peer(conn);
  pump_stats st = pump(s, &p, bytewise);
  ws_session_free(s);
  ws_conn_free(conn);
  return st;
}

static const bool bytewise_modes[] = {false, true};

#endif
