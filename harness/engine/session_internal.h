/* Private to engine/session*.c: the state of one session, shared by
 *   session.c        the public entry points, the clock and the deadline;
 *   session_steps.c  what the case does next (open, steps, finish);
 *   session_out.c    our bytes: coalesce, chop, our replies, frame boundaries;
 *   session_in.c     the peer's bytes: frames into observation events;
 *   session_http.c   the opening handshake in either role.
 * Nothing here is global: sessions run in parallel threads without locks. */
#ifndef WS_HARNESS_SESSION_INTERNAL_H
#define WS_HARNESS_SESSION_INTERNAL_H

#include "case/expected.h"
#include "codec/deflate.h"
#include "codec/frame.h"
#include "codec/handshake.h"
#include "codec/http.h"
#include "codec/inflate.h"
#include "codec/message.h"
#include "codec/pmd.h"
#include "engine/session.h"
#include "util/buf.h"
#include "util/prng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Internal bounds, in ms before --timeout-scale. */
#define SESSION_CLOSE_GRACE_MS 1000   /* the peer closes TCP after the close */
#define SESSION_REFUSAL_DRAIN_MS 500  /* reading after a refused upgrade */
#define SESSION_REPLY_QUEUE_MAX 65536 /* pongs waiting for a frame boundary */
/* HTTP message limits: generous, the peer may add headers of its own. */
#define SESSION_HTTP_MAX_BYTES 65536
#define SESSION_HTTP_MAX_FIELDS 1024
/* Data messages: at least this much of each is kept for grading, and more
 * when the case expects a longer echo. */
#define SESSION_MIN_MESSAGE_KEPT ((size_t)64 << 10)
/* Message payload kept over a whole case, beyond twice what the case
 * expects back: a peer sending more than it was asked for is graded on
 * counts and prefixes, never on unbounded memory. */
#define SESSION_EXTRA_KEPT ((size_t)1 << 20)
/* A client's masking key equal to one of its last this many is a reuse. */
#define SESSION_RECENT_KEYS 8

enum session_phase {
  PHASE_OPEN,   /* the opening handshake is to be sent or awaited */
  PHASE_STEPS,  /* the case's steps run */
  PHASE_FINISH, /* the steps are over: the end of the connection */
  PHASE_GRACE,  /* waiting for the peer to close TCP, until grace_until */
  PHASE_DRAIN,  /* after a refusal: a short look at whether it closes */
  PHASE_DONE,
};

/* Where the current step is (PHASE_STEPS). */
enum step_stage {
  STAGE_START,   /* checks before the step: the response, the deadline */
  STAGE_REPLIES, /* a close of ours waits for the echoes due before it */
  STAGE_RUN,     /* the step runs */
  STAGE_FRAGS,   /* a fragmented step sends its next frame */
  STAGE_PAUSE,   /* a `wait` step pauses, until pause_until */
  STAGE_STREAM,  /* a `stream` step: one message out, its echo in, again */
  STAGE_AFTER,   /* the step is done */
};

typedef struct ws_session {
  const ws_case *c;
  ws_session_opts opts;
  ws_observation *obs;
  enum ws_role role;
  double scale;
  int64_t t0;         /* now_us at the start */
  int64_t deadline;   /* t0 + timeout * scale, us */
  int64_t now;        /* the latest now_us given */
  ws_prng keys;       /* handshake key, step mask keys: from --seed */
  ws_prng reply_keys; /* keys of our replies: a stream of their own, so what
                         the peer does never shifts the keys of later steps
                         (wsprobe show prints those) */
  char key[WS_KEY_LEN + 1];

  enum session_phase phase;
  enum step_stage stage;
  size_t step;         /* the step at `stage` */
  bool await_response; /* the response is due before the next step */
  int64_t pause_until; /* STAGE_PAUSE, once the flush is written */
  bool pause_started;
  ws_fragments frags; /* STAGE_FRAGS */
  ws_expected want;   /* STAGE_REPLIES: what must have come back */
  bool want_built;
  int64_t grace_until; /* PHASE_GRACE and PHASE_DRAIN */
  struct {
    bool on;                    /* permessage-deflate is agreed */
    ws_pmd_agreement agreement; /* what both sides compress with */
    ws_deflater *tx;            /* our messages */
    ws_inflater *rx;            /* the peer's */
    ws_bytebuf scratch;         /* the peer's message, inflated */
    ws_bytebuf packed;          /* our message, compressed (a fragmented
                                   step's lives until its last frame) */
    ws_step frag_step;          /* a fragmented step carrying `packed` */
    bool frag_compressed;       /* STAGE_FRAGS sends `packed` */
  } pmd;                        /* session_deflate.c */
  struct {
    uint32_t count;   /* messages this step sends under the profile */
    uint32_t next;    /* index of the next message to send */
    bool waiting;     /* message next - 1 is out, its echo not yet in */
    uint8_t *message; /* the message in flight (the step's size) */
  } stream;           /* STAGE_STREAM (session_stream.c) */

  /* Opening handshake. */
  char *check_key;       /* client: the key the response is checked against */
  char *check_protocols; /* client: offers to check against, or NULL */
  char *check_extensions;
  ws_http_parser http; /* the peer's response (client) or request */
  bool hs_done;        /* that message is complete, invalid, or never */
  bool upgraded;       /* copy of obs->upgraded */

  /* Receiving. */
  ws_message_reader reader;
  /* Server role: the client's latest masking keys, for RFC 6455 5.3's
   * fresh key per frame (session_in.c). */
  uint32_t recent_keys[SESSION_RECENT_KEYS];
  size_t recent_key_count; /* keys seen so far (the ring holds the last) */
  size_t kept_bytes;       /* message payload kept in obs so far */
  size_t kept_max;         /* its bound for this case */
  size_t message_max;      /* the longest message (inflated) kept whole */
  bool eof;                /* no more input: FIN, reset or a read error */
  bool close_received;     /* the peer's close frame arrived */
  bool reply_close;        /* a close answering the peer's is queued */
  ws_buf replies;          /* pongs and the close reply, encoded */
  ws_buf replies_note;     /* what `replies` holds, for the wire log */
  double handshake_done_t; /* ms: when close frames had gone both ways */

  /* Sending. `out` is the write in progress: step bytes (cut in `chop`
   * pieces) or our replies; nothing else is produced until it is out. */
  ws_buf out;
  size_t out_pos;    /* bytes of out written */
  size_t out_chop;   /* piece size of this write, 0: whole */
  size_t piece_pos;  /* bytes written of the current piece */
  int64_t out_until; /* the write must be done by then */
  bool out_is_step;  /* step bytes (a timeout stops the steps) */
  size_t chop;       /* `chop N`: 0 is off */
  bool coalescing;   /* steps append to `coalesced` until flush/wait/end */
  ws_buf coalesced;
  ws_buf coalesced_note;
  size_t tx_http_left; /* our HTTP bytes still to be written before frames */
  ws_frame_decoder tx; /* follows our own output to find frame boundaries */
  uint8_t tx_opcode;   /* opcode of the frame being written */
  uint64_t tx_remaining;
  bool tx_boundary; /* everything written so far ends on a frame end */
  bool shutdown_wanted, shutdown_done;
  bool replies_dead; /* a write of our replies timed out: no more replies */

  /* Control. */
  size_t steps_started;
  bool stop_steps; /* no further step starts: the peer closed, a write
                      failed, the deadline passed... */
  bool steps_over; /* no step will write again */
  bool fatal;      /* out of memory: the case ends at once */
} ws_session;

/* ---- session.c ---- */

/* Milliseconds since the case started, at the latest now. */
double session_t(const ws_session *s);
/* A NOTE in the wire log. */
void session_note(ws_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Out of memory: the verdict is `error` and the case ends. */
void session_oom(ws_session *s);
/* An internal bound (ms before scaling) in microseconds. */
int64_t session_scaled_us(const ws_session *s, int64_t ms);

/* ---- session_steps.c ---- */

/* Runs the case forward as far as it can go without new input, time or a
 * finished write. */
void session_advance(ws_session *s);
/* The next time session_advance must run even without input. */
int64_t session_step_deadline(const ws_session *s);

/* ---- session_out.c ---- */

/* Step bytes (a frame, raw bytes, a request) through `coalesce` and `chop`,
 * with their note for the wire log. 0, or -1 when the case must stop. */
int session_send(ws_session *s, const uint8_t *bytes, size_t len,
                 const char *note);
/* Ends `coalesce`: the buffered bytes become one write. */
int session_flush(ws_session *s);
/* Encodes a frame of ours per spec and appends it to out; -1 when the spec
 * cannot be encoded (or out of memory: fatal then). */
int session_encode_frame(ws_session *s, const ws_frame_spec *spec,
                         const uint8_t *payload, size_t len, ws_buf *out);
/* Queues a control frame of ours (a pong, the answering close), masked by
 * the role's rule. */
int session_queue_reply(ws_session *s, uint8_t opcode, const uint8_t *payload,
                        size_t len, const char *note);
/* Moves queued replies into `out` when our output is at a frame boundary
 * (padding an interrupted frame of ours when the steps are over and a close
 * must be answered). True when it did. */
bool session_start_replies(ws_session *s);
/* True while a write is in progress. */
bool session_writing(const ws_session *s);
/* Gives up the write in progress (its deadline passed). */
void session_abandon_write(ws_session *s, const char *why);
/* Close frames have gone both ways: records it once. */
void session_check_closing_handshake(ws_session *s);

/* ---- session_deflate.c ---- */

/* Both directions set up for the agreement: 0, or -1 (out of memory). */
int session_pmd_start(ws_session *s, const ws_pmd_agreement *agreement);
/* Whether step st's message goes compressed: agreed, and the step allows
 * it (text/binary short forms, fragmented, stream; never a `frame`). */
bool session_pmd_applies(const ws_session *s, const ws_step *st);
/* Compresses one whole message of ours into s->pmd.packed: 0 or -1. */
int session_pmd_compress(ws_session *s, const uint8_t *data, size_t len);
/* The peer's RSV1 message, inflated with the agreed parameters: 0 with
 * `*data`, `*len` (s->pmd.scratch, valid until the next call) and *full_len
 * (larger than *len when only a prefix was kept, or nothing at all when
 * the harness could not inflate it), or -1 when there is no message to
 * record (its violation is already recorded). */
int session_pmd_inflate(ws_session *s, const ws_message_event *m,
                        const uint8_t **data, size_t *len, uint64_t *full_len);
void session_pmd_free(ws_session *s);

/* ---- session_pmd_answer.c ---- */

/* Server role, a `role both` case: the permessage-deflate element the 101
 * answers the client's offers (offers_value: the request's
 * Sec-WebSocket-Extensions, or NULL) with, from the case's `handshake
 * extensions=` (params_value). True with it in out[0..cap); false when the
 * 101 names none (noted in the wire log). */
bool session_pmd_answer(ws_session *s, const char *offers_value,
                        const char *params_value, char *out, size_t cap);

/* ---- session_stream.c ---- */

/* Starts the `stream` step at s->step: 0, or -1 (out of memory: fatal). */
int session_stream_begin(ws_session *s);
/* STAGE_STREAM: sends the next message once the previous one's echo is in.
 * False while it waits for that echo. */
bool session_stream_run(ws_session *s);
/* A data message from the peer: true when it was the echo a stream step
 * waits for (checked and counted, not recorded as an event). */
bool session_stream_take(ws_session *s, uint8_t opcode, const uint8_t *data,
                         size_t len, uint64_t full_len);
void session_stream_free(ws_session *s);

/* ---- session_in.c ---- */

/* A fresh reader of the peer's frames: with permessage_deflate, RSV1 marks
 * a compressed message on its first frame (and is a violation elsewhere). */
void session_init_reader(ws_session *s, bool permessage_deflate);
/* Frames from the peer after the upgrade. */
void session_feed_frames(ws_session *s, uint8_t *buf, size_t len);

/* ---- session_http.c ---- */

/* Client: sends the opening request (step: the case's HANDSHAKE or REQUEST
 * step, NULL for the default). */
int session_send_request(ws_session *s, const ws_step *step);
/* Feeds the peer's bytes to its HTTP message while it is incomplete; returns
 * how many were used (the rest are frames when upgraded). Answers a request
 * in the server role. */
size_t session_feed_http(ws_session *s, uint8_t *buf, size_t len);
/* Server role: the case's leading `handshake` step (what the 101 answers),
 * or NULL. */
const ws_step *session_server_handshake(const ws_session *s);
/* The peer's message never completed (EOF or deadline). */
void session_http_missing(ws_session *s, const char *why);

#endif
