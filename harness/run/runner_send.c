/* The runner's output side: step bytes through the transport modifiers
 * (coalesce, chop), non-blocking writes that keep reading while the socket
 * is full, and the harness's own replies (pongs, the answering close), which
 * may only leave between two frames of our output. */
#include "run/runner_internal.h"

#include "codec/errors.h"
#include "util/clock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Bytes of zeros we are willing to write to finish a frame of ours that the
 * peer interrupted with its close, so that our answering close is a frame of
 * its own (beyond this the close stays unanswered, with a note). */
#define PAD_MAX ((uint64_t)1 << 20)
/* Notes joined for one coalesced write are cut at this length. */
#define NOTE_JOIN_MAX 1024

int run_buf_append(run_buf *b, const void *data, size_t len) {
  if (len == 0)
    return 0;
  if (len > SIZE_MAX - b->len)
    return -1;
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + len)
      cap = cap > SIZE_MAX / 2 ? b->len + len : cap * 2;
    uint8_t *p = realloc(b->ptr, cap);
    if (!p)
      return -1;
    b->ptr = p;
    b->cap = cap;
  }
  memcpy(b->ptr + b->len, data, len);
  b->len += len;
  return 0;
}

void run_buf_free(run_buf *b) {
  free(b->ptr);
  memset(b, 0, sizeof *b);
}

/* Appends "; note" to a joined note, bounded. */
static void join_note(run_ctx *x, run_buf *joined, const char *note) {
  if (!note || joined->len >= NOTE_JOIN_MAX)
    return;
  const char *sep = joined->len ? "; " : "";
  if (run_buf_append(joined, sep, strlen(sep)) ||
      run_buf_append(joined, note, strlen(note)))
    runner_oom(x);
}

/* A joined note as a C string (NUL appended, not counted in len). */
static const char *note_text(run_ctx *x, run_buf *joined) {
  if (run_buf_append(joined, "", 1)) {
    runner_oom(x);
    return NULL;
  }
  joined->len--;
  return (const char *)joined->ptr;
}

void runner_check_closing_handshake(run_ctx *x) {
  ws_observation *obs = x->obs;
  if (obs->close_sent && x->close_received && !obs->closing_handshake) {
    obs->closing_handshake = true;
    x->handshake_done_t = runner_t(x);
  }
}

/* Follows our own output with a frame decoder (on a copy: it unmasks in
 * place) to know where frames end: a pong or close of ours must never land
 * inside a frame a step is sending (raw bytes, chops and lying lengths
 * included), and a close frame leaving, by whatever step, is close_sent. */
static void tx_decode(run_ctx *x, uint8_t *buf, size_t len) {
  size_t pos = 0;
  for (;;) {
    size_t used = 0;
    ws_frame_event ev;
    int rc = ws_frame_decode(&x->tx, buf + pos, len - pos, &used, &ev);
    if (used > 0)
      x->tx_boundary = false;
    pos += used;
    if (rc != 1)
      break;
    if (ev.type == WS_FRAME_HEADER) {
      x->tx_opcode = ev.header->opcode;
      x->tx_remaining = ev.header->length;
    } else if (ev.type == WS_FRAME_PAYLOAD) {
      x->tx_remaining -= ev.len;
    } else if (ev.type == WS_FRAME_END) {
      x->tx_boundary = true;
      x->tx_remaining = 0;
      if (x->tx_opcode == WS_OP_CLOSE) {
        x->obs->close_sent = true;
        ws_message_reader_close_sent(&x->reader);
        runner_check_closing_handshake(x);
      }
    }
  }
}

static void tx_track(run_ctx *x, const uint8_t *bytes, size_t len) {
  size_t skip = len < x->tx_http_left ? len : x->tx_http_left;
  x->tx_http_left -= skip;
  bytes += skip;
  len -= skip;
  uint8_t scratch[4096];
  while (len > 0) {
    size_t n = len < sizeof scratch ? len : sizeof scratch;
    memcpy(scratch, bytes, n);
    tx_decode(x, scratch, n);
    bytes += n;
    len -= n;
  }
}

/* Waits until the socket is writable, reading whatever arrives meanwhile so
 * a peer that echoes while we send never blocks us both. 0 writable (or an
 * error to be reported by send), -1 `until` passed. */
static int wait_writable(run_ctx *x, int64_t until) {
  for (;;) {
    if (x->fatal)
      return -1;
    short events = POLLOUT | (x->eof ? 0 : POLLIN);
    struct pollfd pfd = {.fd = x->fd, .events = events};
    int n = poll(&pfd, 1, ws_ms_until(until));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n == 0 ? -1 : 0;
    if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && !x->eof)
      runner_read_available(x);
    if (pfd.revents & (POLLOUT | POLLERR | POLLHUP))
      return 0;
  }
}

int runner_write(run_ctx *x, const uint8_t *bytes, size_t len, int64_t until) {
  size_t off = 0;
  while (off < len && !x->fatal) {
    ssize_t n =
        send(x->fd, bytes + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      tx_track(x, bytes + off, (size_t)n);
      off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      int err = errno;
      char why[128];
      if (x->obs->send_error == 0)
        x->obs->send_error = err;
      runner_note(x, "write failed after %zu of %zu bytes: %s", off, len,
                  runner_strerror(err, why, sizeof why));
      x->stop_steps = true;
      return -1;
    }
    if (wait_writable(x, until) < 0) {
      if (x->fatal)
        return -1;
      runner_note(x, "write timed out after %zu of %zu bytes", off, len);
      if (until >= x->deadline)
        x->obs->deadline_hit = true;
      x->stop_steps = true;
      return -1;
    }
  }
  return x->fatal ? -1 : 0;
}

/* One logical write of step bytes: logged as one TX entry, then sent whole
 * or, under `chop N`, in N-byte writes of their own (TCP_NODELAY makes each
 * its own segment), reading between them. */
static int write_step(run_ctx *x, const uint8_t *bytes, size_t len,
                      const char *note) {
  char with_chop[NOTE_JOIN_MAX + 64];
  if (x->chop > 0) {
    snprintf(with_chop, sizeof with_chop, "%s (in %zu-byte writes)",
             note ? note : "bytes", x->chop);
    note = with_chop;
  }
  if (ws_obs_add_wire(x->obs, runner_t(x), WS_WIRE_TX, bytes, len, note)) {
    runner_oom(x);
    return -1;
  }
  if (x->chop == 0)
    return runner_write(x, bytes, len, x->deadline);
  for (size_t off = 0; off < len; off += x->chop) {
    size_t n = len - off < x->chop ? len - off : x->chop;
    if (runner_write(x, bytes + off, n, x->deadline))
      return -1;
    runner_read_available(x);
  }
  return 0;
}

int runner_send(run_ctx *x, const uint8_t *bytes, size_t len,
                const char *note) {
  if (!x->coalescing)
    return write_step(x, bytes, len, note);
  if (run_buf_append(&x->coalesced, bytes, len)) {
    runner_oom(x);
    return -1;
  }
  join_note(x, &x->coalesced_note, note);
  return x->fatal ? -1 : 0;
}

int runner_flush(run_ctx *x) {
  x->coalescing = false;
  if (x->coalesced.len == 0 && x->coalesced_note.len == 0)
    return 0;
  run_buf bytes = x->coalesced, note = x->coalesced_note;
  memset(&x->coalesced, 0, sizeof x->coalesced);
  memset(&x->coalesced_note, 0, sizeof x->coalesced_note);
  const char *text = note_text(x, &note);
  char joined[NOTE_JOIN_MAX + 32];
  snprintf(joined, sizeof joined, "one write: %s", text ? text : "");
  int rc = x->fatal ? -1 : write_step(x, bytes.ptr, bytes.len, joined);
  run_buf_free(&bytes);
  run_buf_free(&note);
  return rc;
}

int runner_encode_frame(run_ctx *x, const ws_frame_spec *spec,
                        const uint8_t *payload, size_t len, run_buf *out) {
  size_t need = WS_FRAME_MAX_HEADER + len;
  if (out->cap - out->len < need) {
    size_t cap = out->len + need;
    if (cap < out->cap * 2)
      cap = out->cap * 2;
    uint8_t *p = realloc(out->ptr, cap);
    if (!p) {
      runner_oom(x);
      return -1;
    }
    out->ptr = p;
    out->cap = cap;
  }
  ssize_t n = ws_frame_encode(spec, payload, len, out->ptr + out->len,
                              out->cap - out->len);
  if (n < 0)
    return -1;
  out->len += (size_t)n;
  return 0;
}

/* Completes a frame of ours that the peer's close interrupted, with zero
 * bytes, so the answering close can follow as a frame (RFC 6455 5.5.1: the
 * close must be answered; a frame cannot be abandoned half-way). */
static bool pad_to_boundary(run_ctx *x, int64_t until) {
  if (x->tx_remaining == 0 || x->tx_remaining > PAD_MAX) {
    /* remaining 0 while not at a boundary: inside a frame header. */
    runner_note(x,
                "the peer's close is not answered: a frame of ours is "
                "unfinished (%s%llu payload bytes to go)",
                x->tx_remaining ? "" : "in its header; ",
                (unsigned long long)x->tx_remaining);
    x->reply_close = false;
    run_buf_free(&x->replies);
    run_buf_free(&x->replies_note);
    return false;
  }
  size_t n = (size_t)x->tx_remaining;
  uint8_t *zeros = calloc(1, n);
  if (!zeros) {
    runner_oom(x);
    return false;
  }
  char note[128];
  snprintf(note, sizeof note,
           "padding: %zu zero bytes finish our interrupted frame", n);
  bool ok =
      ws_obs_add_wire(x->obs, runner_t(x), WS_WIRE_TX, zeros, n, note) == 0 &&
      runner_write(x, zeros, n, until) == 0;
  free(zeros);
  return ok && x->tx_boundary;
}

void runner_send_replies(run_ctx *x, int64_t until) {
  while (x->replies.len > 0 && !x->fatal && x->obs->send_error == 0) {
    if (!x->tx_boundary) {
      /* Pongs wait for the step to finish its frame; a close reply after the
       * steps are over cannot wait for anything. */
      if (!(x->steps_over && x->reply_close) || !pad_to_boundary(x, until))
        return;
    }
    /* Taken out first: reading during the write may queue more replies. */
    run_buf bytes = x->replies, note = x->replies_note;
    memset(&x->replies, 0, sizeof x->replies);
    memset(&x->replies_note, 0, sizeof x->replies_note);
    const char *text = note_text(x, &note);
    if (!x->fatal && ws_obs_add_wire(x->obs, runner_t(x), WS_WIRE_TX, bytes.ptr,
                                     bytes.len, text))
      runner_oom(x);
    if (!x->fatal)
      (void)runner_write(x, bytes.ptr, bytes.len, until);
    run_buf_free(&bytes);
    run_buf_free(&note);
  }
}

/* Queues a control frame of ours (pong, answering close). */
int runner_queue_reply(run_ctx *x, uint8_t opcode, const uint8_t *payload,
                       size_t len, const char *note) {
  ws_frame_spec spec = {.fin = true, .opcode = opcode, .masked = true};
  /* RFC 6455 5.3: client frames are masked; the key comes from the replies'
   * own generator, so the same seed sends the same bytes. */
  ws_prng_fill(&x->reply_prng, spec.mask_key, sizeof spec.mask_key);
  if (runner_encode_frame(x, &spec, payload, len, &x->replies))
    return -1;
  join_note(x, &x->replies_note, note);
  return x->fatal ? -1 : 0;
}
