/* What the runner saw while running one case against a target: the data the
 * verdict engine grades and the report records. Everything is owned by the
 * observation and bounded (a peer cannot make it grow without limit). */
#ifndef WS_HARNESS_OBSERVATION_H
#define WS_HARNESS_OBSERVATION_H

#include "case/case.h"
#include "codec/pmd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every bound below is per case. What a whole run may hold is the number
 * of cases in flight (-j) times these, because a finished case keeps only
 * its graded result (the run layer spills its wire log to disk).
 *
 * The wire log: bytes recorded plus WS_OBS_WIRE_ENTRY_COST per entry (the
 * bookkeeping a peer writing one byte at a time would otherwise grow), up
 * to wire_max (--wire-max); what does not fit is counted in wire_dropped. */
#define WS_OBS_DEFAULT_WIRE_MAX ((size_t)2 << 20)
#define WS_OBS_MIN_WIRE_MAX ((size_t)4096)
#define WS_OBS_WIRE_ENTRY_COST 64
/* Events kept; further ones are only counted (events_dropped, and the
 * per-kind totals stay exact). Pings are never matched, so fewer are kept. */
#define WS_OBS_MAX_EVENTS ((size_t)8192)
#define WS_OBS_MAX_PINGS_KEPT ((size_t)256)

enum ws_obs_event_kind {
  WS_OBS_MESSAGE, /* a complete text or binary message */
  WS_OBS_PONG,
  WS_OBS_PING, /* answered by the harness, not matched */
  WS_OBS_CLOSE,
  WS_OBS_VIOLATION, /* the peer broke a rule: violation = WS_E_x */
};
#define WS_OBS_KIND_COUNT 5

typedef struct ws_obs_event {
  enum ws_obs_event_kind kind;
  double t_ms;          /* since the case started */
  size_t steps_started; /* steps the runner had started when it arrived */
  uint8_t opcode;       /* MESSAGE: WS_OP_TEXT or WS_OP_BINARY */
  uint8_t *data;        /* MESSAGE/PONG/PING: payload (heap); CLOSE: reason */
  size_t len;
  uint64_t full_len;   /* MESSAGE: may exceed len when only a prefix was
                          kept; such a message cannot match an echo */
  uint16_t close_code; /* CLOSE: 1005 when the payload was empty */
  bool close_empty;    /* CLOSE */
  int violation;       /* VIOLATION: positive WS_E_x */
} ws_obs_event;

typedef struct ws_obs_header {
  char *name;
  char *value;
} ws_obs_header;

enum ws_wire_dir { WS_WIRE_TX, WS_WIRE_RX, WS_WIRE_NOTE };

typedef struct ws_wire_entry {
  double t_ms;
  enum ws_wire_dir dir;
  uint8_t *bytes; /* TX/RX */
  size_t len;
  char *note; /* NOTE, or a comment on TX/RX ("step 3: frame text"), or NULL */
} ws_wire_entry;

typedef struct ws_observation {
  /* The side the harness played (the session sets it): as the server, the
   * HTTP message read is the client's request (response_complete, status
   * 0 and headers are the request's) and the peer is the client. */
  enum ws_role role;
  /* Opening handshake. */
  bool response_complete; /* a full HTTP response header block arrived */
  int status;
  size_t header_count;
  ws_obs_header *headers;
  bool upgraded;     /* 101 and valid for the request sent */
  int upgrade_error; /* WS_E_HS_RESPONSE_x when not upgraded (positive) */
  /* permessage-deflate (RFC 7692), when the handshake agreed on it. */
  bool deflate;
  ws_pmd_agreement deflate_agreement;
  size_t deflate_offer; /* the permessage-deflate offer answered, 1-based */

  /* Frames and messages received after the upgrade, in order. */
  size_t event_count;
  ws_obs_event *events;
  size_t events_dropped;                /* received but not kept */
  size_t kind_total[WS_OBS_KIND_COUNT]; /* every event, kept or not */

  /* How the connection ended. */
  bool peer_closed_tcp; /* EOF or reset from the peer */
  bool peer_reset;      /* ... and it was a reset */
  double tcp_end_t_ms;
  size_t tcp_end_steps_started;
  bool close_sent;        /* the harness sent a close frame */
  bool closing_handshake; /* close frames went both ways */
  bool peer_closed_first; /* after the closing handshake the peer closed
                             TCP before the harness did (as the server, the
                             harness closes first: RFC 6455 7.1.1) */
  bool deadline_hit;      /* the case deadline passed with the connection
                             still open */
  size_t steps_started;   /* steps started in all */
  int send_error;         /* errno of the first failed write, or 0 */

  /* `stream` steps (case/stream.h): their echoes are checked as they
   * arrive and only counted, never kept as events. */
  uint64_t stream_expected;   /* messages the stream steps were to send */
  uint64_t stream_sent;       /* of those, sent */
  uint64_t stream_echoed;     /* echoes equal to what was sent, in order */
  uint64_t stream_mismatched; /* echoes that differ */
  char *stream_problem;       /* the first difference in words, or NULL */

  /* Liveness probe (only when the case asks for `alive`). */
  int alive; /* -1 not probed, 0 dead, 1 alive */

  /* Wire log. */
  size_t wire_count;
  ws_wire_entry *wire;
  size_t wire_bytes;     /* TX/RX bytes recorded */
  size_t wire_max;       /* the bound of this log (see above) */
  size_t wire_charge;    /* bytes plus entry costs, <= wire_max */
  uint64_t wire_dropped; /* TX/RX bytes not recorded */
  bool wire_truncated;   /* something was left out (wire_dropped > 0 or a
                            note that did not fit) */

  /* The harness itself could not run the case (connect failed, out of
   * memory...): the verdict is `error` with this text. NULL otherwise. */
  char *harness_error;
  /* The connection could not be made: the errno (ECONNREFUSED...), else 0.
   * harness_error says it in words; this is what programs test. */
  int connect_error;
  double duration_ms;
} ws_observation;

/* wire_max is WS_OBS_DEFAULT_WIRE_MAX; set it before the first entry. */
void ws_observation_init(ws_observation *obs);
void ws_observation_free(ws_observation *obs);

/* Builders (the runner uses them; tests of the verdict engine may too).
 * Each returns 0, or -1 when out of memory (obs unchanged). Limits are not
 * errors: past them the entry is dropped and counted or marked. */

/* Appends *ev (counted in kind_total whether kept or not); the observation
 * takes ownership of ev->data (heap, or NULL with len 0), also when the
 * event is dropped or on failure. */
int ws_obs_add_event(ws_observation *obs, const ws_obs_event *ev);

/* Appends a wire entry, copying bytes and note (either may be NULL). Bytes
 * past wire_max are cut, once, with a "wire log full" note; later TX/RX
 * bytes are only counted in wire_dropped, and notes are kept while they fit
 * (the last WS_OBS_MIN_WIRE_MAX / 4 of the bound is kept for notes, so the
 * end of a case is always told). */
int ws_obs_add_wire(ws_observation *obs, double t_ms, enum ws_wire_dir dir,
                    const uint8_t *bytes, size_t len, const char *note);

/* Appends a response header (copies, NUL-terminated). */
int ws_obs_add_header(ws_observation *obs, const char *name, size_t name_len,
                      const char *value, size_t value_len);

/* Sets harness_error to a copy of text if it is not set yet (the first
 * cause wins). */
int ws_obs_set_error(ws_observation *obs, const char *text);

#endif
