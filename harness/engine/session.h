/* One case on one connection, without I/O: bytes and the time go in, bytes to
 * write and the next deadline come out. The session decides everything a
 * case's steps say (the opening handshake, frames, `chop`, `coalesce`,
 * `wait`, the wait for echoes before a close, pongs and the answering close,
 * the grace for the peer's TCP close) and records what the peer does in an
 * observation; the drive loop (run/drive.h) only moves bytes.
 *
 * Roles (case/case.h): as the client, the session sends the request,
 * validates the response (RFC 6455 4.1), masks its frames and expects
 * unmasked ones; as the server, it validates the request (4.2.1), answers
 * it, sends unmasked frames and requires masked ones. Either way the codec's
 * OBSERVE decoder reads the peer and every rule it breaks is recorded.
 *
 * Time is the caller's: every entry point takes `now_us`, a monotonic clock
 * in microseconds, and the session never reads a clock itself, so tests can
 * drive it through any timeline.
 *
 * The loop a driver runs (run/drive.c is the one in the product):
 *
 *   while (!ws_session_done(s)) {
 *     n = ws_session_next_write(s, now, &p);   write p[0..n) as ONE write
 *       -> ws_session_wrote(s, now, written) or ws_session_write_failed()
 *     if ws_session_wants_shutdown(s): shut the write side, then
 *       ws_session_shutdown_done(s, now)
 *     wait for input (if ws_session_wants_read) or writability until
 *       ws_session_deadline(s)
 *       -> ws_session_feed(s, now, bytes) / ws_session_peer_closed(s, now, e)
 *   }
 *   ws_session_end(s, now)
 *
 * One write per ws_session_next_write() matters: under `chop N` each piece
 * must reach the peer on its own (a TCP segment, a TLS record). */
#ifndef WS_HARNESS_SESSION_H
#define WS_HARNESS_SESSION_H

#include "case/case.h"
#include "case/case_bytes.h"
#include "engine/observation.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_session ws_session;

typedef struct ws_session_opts {
  enum ws_role role;
  double timeout_scale;     /* multiplies the case deadline and internal
                               bounds; <= 0: 1.0; below 0.1: 0.1 */
  uint64_t seed;            /* keys derive from it and the case id */
  ws_request_target target; /* client role: the request's Host, path,
                               Origin and extra headers */
  enum ws_profile profile;  /* how many messages `stream` steps send; the
                               case deadline grows with their ratio */
} ws_session_opts;

/* A session for case c, recording into obs (initialised by the caller,
 * whose wire_max bounds the wire log). now_us starts the case's clock.
 * NULL when out of memory (obs then says so in harness_error). The case,
 * the options' strings and obs must outlive the session. */
ws_session *ws_session_new(const ws_case *c, const ws_session_opts *opts,
                           ws_observation *obs, int64_t now_us);
void ws_session_free(ws_session *s);

/* ---- input ---- */

/* Bytes from the peer. The buffer is modified (frames are unmasked in
 * place) and not kept. */
void ws_session_feed(ws_session *s, int64_t now_us, uint8_t *buf, size_t len);
/* The peer's side of the connection ended: err 0 for an orderly close
 * (FIN), else the error (a reset: ECONNRESET, or any read error). */
void ws_session_peer_closed(ws_session *s, int64_t now_us, int err);
/* Whether reading is still useful (false once the peer closed). */
bool ws_session_wants_read(const ws_session *s);

/* ---- output ---- */

/* The next write: *out points at the bytes (valid until the next call on
 * the session), the return value is their count, 0 when nothing is to be
 * written now. Also advances the session to now_us. */
size_t ws_session_next_write(ws_session *s, int64_t now_us,
                             const uint8_t **out);
/* n (<= the count returned) of those bytes were written. */
void ws_session_wrote(ws_session *s, int64_t now_us, size_t n);
/* The write failed with errno err: the case stops sending. */
void ws_session_write_failed(ws_session *s, int64_t now_us, int err);
/* The server role closes TCP first after the closing handshake (RFC 6455
 * 7.1.1): true when the driver should now shut down the write side. */
bool ws_session_wants_shutdown(const ws_session *s);
void ws_session_shutdown_done(ws_session *s, int64_t now_us);

/* ---- control ---- */

/* When the session must be called again even if nothing happens (a pause
 * ends, a deadline passes): a now_us value, never more than the case
 * deadline plus the closing grace away. */
int64_t ws_session_deadline(const ws_session *s);
/* The case is over: the driver stops and closes the connection. */
bool ws_session_done(const ws_session *s);
/* A note of the driver's in the wire log ("connected to ..."). */
void ws_session_note(ws_session *s, int64_t now_us, const char *text);
/* Call once after the loop: records how the connection ended from our side
 * and the duration. */
void ws_session_end(ws_session *s, int64_t now_us);

#endif
