/* The bytes a case sends, derived in one place for the engine (which sends
 * them) and `wsprobe show` (which prints them), so the two cannot disagree:
 * the case's key stream, the opening request (or a server-role case's own
 * response), and the frames of its frame steps in either role. */
#ifndef WS_HARNESS_CASE_BYTES_H
#define WS_HARNESS_CASE_BYTES_H

#include "case/case.h"
#include "codec/frame.h"
#include "codec/handshake.h"
#include "util/buf.h"
#include "util/prng.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seeds the case's key stream from (seed, case id) and draws the handshake
 * key (base64 of 16 bytes, NUL-terminated) first; mask keys follow, one per
 * randomly masked frame, in step order. */
void ws_case_keys_init(ws_prng *keys, uint64_t seed, const char *case_id,
                       char key[WS_KEY_LEN + 1]);

/* The frame of a FRAME step. `mask=yes` (the default) means the role's own
 * rule, RFC 6455 5.1: a client masks with a key drawn from keys, a server
 * does not mask; `mask=no` and a fixed key are sent as written. */
void ws_step_frame_spec(const ws_step *s, enum ws_role role, ws_prng *keys,
                        ws_frame_spec *spec);

/* The frames of a FRAGMENTED step (RFC 6455 5.4: the first carries the
 * opcode, the others are continuations, the last has FIN; an empty payload
 * is one empty frame), masked by the role's rule. */
typedef struct ws_fragments {
  const ws_step *step;
  enum ws_role role;
  size_t offset;
  bool done;
} ws_fragments;

void ws_fragments_begin(ws_fragments *it, const ws_step *s, enum ws_role role);
/* The next fragment's spec and payload slice; false once every fragment was
 * produced. */
bool ws_fragments_next(ws_fragments *it, ws_prng *keys, ws_frame_spec *spec,
                       const uint8_t **payload, size_t *len);

/* Where a client's opening request goes and what every request carries. */
typedef struct ws_request_target {
  const char *authority;     /* Host header value, "host[:port]" */
  const char *path;          /* resource name, "/" at least */
  const char *origin;        /* Origin header, or NULL */
  const char *extra_headers; /* "K: V\r\n" lines (--header), or NULL */
} ws_request_target;

/* Appends the opening request of a case to out: the default handshake when
 * step is NULL, a HANDSHAKE step's (its offers added), or a REQUEST step's
 * bytes with {host} {path} {key} replaced when it is a template. The run's
 * Origin and extra headers go into every request, raw ones included, except
 * a field a raw request already has or one the handshake is made of (Host,
 * Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version): the case
 * is about those. 0, or -1 when out failed (out of memory, or past
 * out->max) or the request cannot be built (a header value with a line
 * break). */
int ws_case_request(const ws_step *step, const ws_request_target *target,
                    const char *key, ws_buf *out);

/* What a RESPONSE step's placeholders stand for, taken from the client's
 * request: the Sec-WebSocket-Accept value for its key, the key, and the
 * first subprotocol it offered (NULL or "": none; a NULL is sent empty). */
typedef struct ws_response_fill {
  const char *accept;
  const char *key;
  const char *protocol;
} ws_response_fill;

/* Appends a RESPONSE step's bytes to out, {accept} {key} {protocol}
 * replaced when it is a template. 0, or -1 when out failed or a value holds
 * a line break. */
int ws_case_response(const ws_step *step, const ws_response_fill *fill,
                     ws_buf *out);

#endif
