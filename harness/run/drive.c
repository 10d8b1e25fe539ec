/* One iteration: write what the session has (one write per piece), read
 * what is there without waiting, then wait for input, writability or the
 * session's next deadline, whichever comes first. */
#include "run/drive.h"

#include "util/clock.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define RX_CHUNK 65536
/* Reads per turn: a peer that floods us must still leave the writer (and
 * the session's clock) a turn. */
#define READS_PER_TURN 16

static void read_turn(ws_session *s, ws_transport *t, uint8_t *rx) {
  for (int i = 0; i < READS_PER_TURN && ws_session_wants_read(s); i++) {
    ssize_t n = ws_transport_read(t, rx, RX_CHUNK);
    if (n > 0) {
      ws_session_feed(s, ws_now_us(), rx, (size_t)n);
      continue;
    }
    if (n == -EINTR)
      continue;
    if (n != -EAGAIN)
      ws_session_peer_closed(s, ws_now_us(), n == 0 ? 0 : (int)-n);
    return;
  }
}

/* Milliseconds to wait for `until`, rounded up so a wake-up never comes a
 * little early and spins. */
static int timeout_ms(int64_t until, int64_t now) {
  if (until <= now)
    return 0;
  int64_t ms = (until - now + 999) / 1000;
  return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Writes once; false when the transport cannot take bytes now. */
static bool write_once(ws_session *s, ws_transport *t, const uint8_t *p,
                       size_t n) {
  ssize_t w = ws_transport_write(t, p, n);
  if (w > 0) {
    ws_session_wrote(s, ws_now_us(), (size_t)w);
    return true;
  }
  if (w == -EAGAIN || w == -EINTR)
    return false;
  ws_session_write_failed(s, ws_now_us(), (int)-w);
  return true;
}

void ws_drive(ws_session *s, ws_transport *t) {
  static _Thread_local uint8_t rx[RX_CHUNK];
  while (!ws_session_done(s)) {
    const uint8_t *p = NULL;
    size_t n = ws_session_next_write(s, ws_now_us(), &p);
    if (ws_session_done(s))
      break;
    bool blocked = false;
    if (n > 0) {
      blocked = !write_once(s, t, p, n);
      if (!blocked) {
        /* Between two writes (chop pieces) the peer's answer is read. */
        if (ws_session_wants_read(s))
          read_turn(s, t, rx);
        continue;
      }
    } else if (ws_session_wants_shutdown(s)) {
      (void)ws_transport_shutdown(t);
      ws_session_shutdown_done(s, ws_now_us());
      continue;
    }
    bool reading = ws_session_wants_read(s);
    if (reading && ws_transport_pending(t) > 0) {
      read_turn(s, t, rx);
      continue;
    }
    int events = (reading ? WS_IO_READ : 0) | (blocked ? WS_IO_WRITE : 0);
    int64_t now = ws_now_us();
    int ready =
        ws_transport_wait(t, events, timeout_ms(ws_session_deadline(s), now));
    if (ready < 0) {
      ws_session_peer_closed(s, ws_now_us(), -ready);
      continue;
    }
    if (ready & WS_IO_READ)
      read_turn(s, t, rx);
  }
}
