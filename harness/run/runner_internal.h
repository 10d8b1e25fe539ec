/* Private to runner*.c: the state of one case run, shared by the step driver
 * (runner.c), the transport (runner_send.c), the reader (runner_recv.c), the
 * opening handshake (runner_handshake.c); runner_probe.c (preflight and
 * liveness) only builds small cases for ws_run_case.
 *
 * One thread owns a run_ctx from start to end; nothing here is global, so
 * cases run in parallel threads without locks. */
#ifndef WS_HARNESS_RUNNER_INTERNAL_H
#define WS_HARNESS_RUNNER_INTERNAL_H

#include "codec/frame.h"
#include "codec/handshake.h"
#include "codec/http.h"
#include "codec/message.h"
#include "run/runner.h"
#include "util/prng.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNNER_RX_CHUNK 65536
/* Internal bounds, in ms before --timeout-scale. */
#define RUNNER_CLOSE_GRACE_MS 1000   /* peer closes TCP after the handshake */
#define RUNNER_REFUSAL_DRAIN_MS 500  /* reading after a refused upgrade */
#define RUNNER_REPLY_QUEUE_MAX 65536 /* pongs waiting for a frame boundary */
/* HTTP response limits: generous, the target may add headers of its own. */
#define RUNNER_HTTP_MAX_BYTES 65536
#define RUNNER_HTTP_MAX_FIELDS 1024

/* A growable byte buffer (heap). */
typedef struct run_buf {
  uint8_t *ptr;
  size_t len, cap;
} run_buf;

int run_buf_append(run_buf *b, const void *data, size_t len);
void run_buf_free(run_buf *b);

typedef struct run_ctx {
  const ws_case *c;
  const ws_run_options *opt;
  ws_observation *obs;
  int fd;
  int64_t t0;        /* ws_now_ms() when the case started */
  double t0_precise; /* the same instant, sub-millisecond, for t_ms */
  int64_t deadline;  /* t0 + timeout_ms * scale */
  double scale;
  ws_prng prng;       /* handshake key, step mask keys: from --seed */
  ws_prng reply_prng; /* keys of our replies (pongs, answering close): a
                         stream of their own, so what the target does never
                         shifts the keys of later steps (wsprobe show) */

  /* Opening handshake. */
  char key[WS_KEY_LEN + 1]; /* the key we generated (and {key}) */
  char *check_key;          /* the key the response is validated against */
  char *check_protocols;    /* offers to validate against, or NULL */
  char *check_extensions;
  ws_http_parser http;
  bool hs_done;  /* response complete, invalid, or never coming */
  bool upgraded; /* copy of obs->upgraded, for brevity */

  /* Receiving. */
  uint8_t *rx; /* RUNNER_RX_CHUNK bytes */
  ws_message_reader reader;
  bool eof;                /* no more input: FIN, reset or a read error */
  size_t kept_bytes;       /* message payload kept in obs so far */
  bool close_received;     /* the peer's close frame arrived */
  bool reply_close;        /* a close answering the peer's is queued */
  run_buf replies;         /* pongs and the close reply, encoded */
  run_buf replies_note;    /* what `replies` holds, for the wire log */
  double handshake_done_t; /* when close frames had gone both ways */

  /* Sending. */
  size_t chop;     /* 0: one write per step */
  bool coalescing; /* steps append to `coalesced` until flush/wait/end */
  run_buf coalesced;
  run_buf coalesced_note;
  size_t tx_http_left;   /* request bytes still to write before frames */
  ws_frame_decoder tx;   /* follows our own output to find frame boundaries */
  uint8_t tx_opcode;     /* opcode of the frame being written */
  uint64_t tx_remaining; /* payload bytes of that frame still to write */
  bool tx_boundary;      /* everything written so far ends on a frame end */

  /* Control. */
  size_t steps_started;
  bool stop_steps; /* write failed, peer gone, peer closed, deadline... */
  bool steps_over; /* no step will write again */
  bool fatal;      /* out of memory: end the case at once */
} run_ctx;

/* Milliseconds since the case started. */
double runner_t(const run_ctx *x);
/* A NOTE in the wire log. */
void runner_note(run_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Records out of memory: harness_error, and the case ends. */
void runner_oom(run_ctx *x);
/* strerror(), thread-safe. */
const char *runner_strerror(int err, char *buf, size_t cap);
/* Scales an internal bound. */
int64_t runner_scaled(const run_ctx *x, int64_t ms);

/* ---- runner_recv.c ---- */

/* Reads what is available without blocking (a bounded number of reads, so a
 * flooding peer cannot starve the writer) and processes it. */
void runner_read_available(run_ctx *x);
/* Waits for input until `until` (absolute ms) and processes it; also sends
 * queued replies. Returns false when `until` passed or input ended. */
bool runner_wait_input(run_ctx *x, int64_t until);
/* Reads and processes until `until` or the end of input, whatever comes. */
void runner_read_until(run_ctx *x, int64_t until);
/* Feeds received WebSocket bytes to the reader and records its events. */
void runner_feed_frames(run_ctx *x, uint8_t *buf, size_t len);

/* ---- runner_send.c ---- */

/* Sends step bytes through the transport modifiers (coalesce, chop), with a
 * note for the wire log. Returns 0, or -1 when the write failed. */
int runner_send(run_ctx *x, const uint8_t *bytes, size_t len, const char *note);
/* Writes the coalesced bytes as one write (chopped if chop is on). */
int runner_flush(run_ctx *x);
/* Writes bytes now, reading while the socket is not writable; `until` bounds
 * the whole write. 0 or -1 (send_error or the deadline recorded). */
int runner_write(run_ctx *x, const uint8_t *bytes, size_t len, int64_t until);
/* Sends queued pongs/close reply if the output is at a frame boundary. */
void runner_send_replies(run_ctx *x, int64_t until);
/* Queues a masked control frame of ours (pong, answering close). */
int runner_queue_reply(run_ctx *x, uint8_t opcode, const uint8_t *payload,
                       size_t len, const char *note);
/* Encodes a frame as spec says (the caller picks the mask key) and appends
 * it to out. -1 for an invalid spec or out of memory (x->fatal then). */
int runner_encode_frame(run_ctx *x, const ws_frame_spec *spec,
                        const uint8_t *payload, size_t len, run_buf *out);
/* True once close frames have gone both ways. */
void runner_check_closing_handshake(run_ctx *x);

/* ---- runner_handshake.c ---- */

/* Sends the default handshake (or the HANDSHAKE step's, when step != NULL). */
int runner_handshake(run_ctx *x, const ws_step *step);
/* Sends a REQUEST step. */
int runner_request(run_ctx *x, const ws_step *step);
/* Feeds received bytes to the HTTP parser while the response is incomplete;
 * returns how many it used (the rest are frames when upgraded). */
size_t runner_feed_response(run_ctx *x, const uint8_t *buf, size_t len);
/* Waits until the response is complete (or never will be). Returns
 * obs->upgraded. */
bool runner_await_response(run_ctx *x);

#endif
