/* A parsed case (cases/FORMAT.md): what the parser produces and what the
 * runner and the verdict engine consume. Plain data; one arena per catalogue
 * owns every string and payload, so freeing a catalogue is one call. */
#ifndef WS_HARNESS_CASE_H
#define WS_HARNESS_CASE_H

#include "reports/verdict.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WS_CASE_ID_MAX 32
#define WS_CASE_MAX_STEPS 4096
#define WS_CASE_MAX_PAYLOAD ((size_t)64 << 20)
#define WS_CASE_DEFAULT_TIMEOUT_MS 2000
#define WS_CASE_MAX_FILE ((size_t)1 << 20) /* bytes of one case file */
#define WS_CASE_MAX_ROWS 4096              /* rows of one <table> */

enum ws_case_level { WS_LEVEL_MUST, WS_LEVEL_SHOULD, WS_LEVEL_MAY };

/* The side of the connection the harness plays in a case: the client when
 * it tests a server (it masks, sends the request), the server when it tests
 * a client (it answers the request, sends unmasked frames). */
enum ws_role { WS_ROLE_CLIENT, WS_ROLE_SERVER };

/* The sides a case can be played from (`role` in <info>): the harness as
 * the client tests a server (`wsprobe test`), as the server it tests a
 * client (`wsprobe serve`). A frame-level case usually reads the same
 * either way (`both`); the handshake differs by side. */
enum ws_case_roles {
  WS_ROLES_CLIENT = 1 << WS_ROLE_CLIENT,
  WS_ROLES_SERVER = 1 << WS_ROLE_SERVER,
  WS_ROLES_BOTH = WS_ROLES_CLIENT | WS_ROLES_SERVER,
};
/* "client", "server", "both". */
const char *ws_case_roles_name(unsigned roles);

typedef struct ws_bytes {
  const uint8_t *ptr; /* owned by the catalogue arena */
  size_t len;
} ws_bytes;

enum ws_step_kind {
  WS_STEP_FRAME,      /* text/binary/ping/pong/close/close-raw/frame */
  WS_STEP_FRAGMENTED, /* fragmented text|binary PAYLOAD in N */
  WS_STEP_RAW,        /* raw PAYLOAD */
  WS_STEP_CHOP,       /* chop N (0 = off) */
  WS_STEP_COALESCE,   /* coalesce */
  WS_STEP_FLUSH,      /* flush */
  WS_STEP_WAIT,       /* wait MS */
  WS_STEP_AWAIT,      /* await: the replies marked echo so far are in */
  WS_STEP_HANDSHAKE,  /* handshake [options] */
  WS_STEP_REQUEST,    /* request ... end, or request-bytes */
  WS_STEP_STREAM,     /* stream text|binary KIND SIZE [count N] [full N]
                         [in FRAG]: messages cut from a corpus, each echo
                         awaited and checked before the next is sent */
  WS_STEP_RESPONSE,   /* response ... end: the raw answer to the client's
                         request (role server) */
};

/* How many messages `stream` steps send (cases/FORMAT.md): the default
 * profile sends a step's `count`, the full profile its `full` count (the
 * long Autobahn versions). The case deadline grows with the ratio. */
enum ws_profile { WS_PROFILE_DEFAULT, WS_PROFILE_FULL };
const char *ws_profile_name(enum ws_profile profile);
/* "default" or "full"; -1 for anything else. */
int ws_profile_parse(const char *name);

#define WS_STREAM_MAX_COUNT 100000 /* messages of one stream step */

typedef struct ws_step_stream {
  uint8_t corpus;      /* enum ws_corpus (case/corpus.h) */
  uint64_t size;       /* bytes of each message */
  uint32_t count;      /* messages in the default profile */
  uint32_t full_count; /* messages in the full profile */
  uint64_t fragment;   /* 0: one frame per message */
} ws_step_stream;

/* How a frame step's header is built; mirrors ws_frame_spec (codec/frame.h)
 * plus the harness's own choices (random mask key). */
typedef struct ws_step_frame {
  bool fin;
  uint8_t rsv;
  uint8_t opcode;
  enum { WS_MASK_RANDOM, WS_MASK_NONE, WS_MASK_FIXED } mask;
  uint8_t mask_key[4]; /* WS_MASK_FIXED */
  uint8_t length_form; /* enum ws_length_form */
  bool lie_length;
  uint64_t declared_length;
} ws_step_frame;

typedef struct ws_step {
  enum ws_step_kind kind;
  const char *label;    /* NULL when unlabelled */
  int line;             /* in the case file, for messages */
  bool echo;            /* FRAME/FRAGMENTED: a reply is expected */
  bool compress;        /* text/binary/fragmented/stream: the message is
                           sent compressed when permessage-deflate is agreed
                           (`uncompressed` turns it off; `frame` steps are
                           always sent as written) */
  ws_step_frame frame;  /* FRAME; FRAGMENTED uses opcode */
  ws_bytes payload;     /* FRAME, FRAGMENTED, RAW, REQUEST (template
                           already expanded except {host} {path} {key}),
                           RESPONSE (except {accept} {key} {protocol}) */
  size_t fragment_size; /* FRAGMENTED */
  uint64_t number;      /* CHOP size, WAIT ms */
  /* HANDSHAKE options (NULL: not sent) and REQUEST's raw template flag. */
  const char *protocols;
  const char *extensions;
  bool coalesce;            /* HANDSHAKE coalesce=yes */
  bool request_is_template; /* REQUEST: substitute {host} {path} {key};
                               RESPONSE: {accept} {key} {protocol} */
  ws_step_stream stream;    /* STREAM; frame.opcode is text or binary */
} ws_step;

/* ---- expectations ---- */

enum ws_pred_kind {
  WS_PRED_OTHERWISE,
  WS_PRED_ECHO,
  WS_PRED_PARTIAL_ECHO,
  WS_PRED_MESSAGES, /* count in [min, max] */
  WS_PRED_PONGS,    /* count in [min, max] */
  WS_PRED_CLOSE,    /* code set */
  WS_PRED_NO_CLOSE,
  WS_PRED_DROP,
  WS_PRED_BEFORE, /* label (step index resolved by the parser) */
  WS_PRED_STATUS, /* code set */
  WS_PRED_NO_RESPONSE,
  WS_PRED_UPGRADED,
  WS_PRED_HEADER,    /* name, optional value */
  WS_PRED_NO_HEADER, /* name */
  WS_PRED_ALIVE,
  WS_PRED_LAST_PONG,   /* the pong for the latest ping marked echo arrived */
  WS_PRED_STREAM_ECHO, /* every `stream` message came back, equal, in order */
  WS_PRED_DEFLATE,     /* permessage-deflate agreed; min = the offer
                          answered (1-based) when given, else 0 */
  WS_PRED_NO_DEFLATE,  /* upgraded without permessage-deflate */
  WS_PRED_OFFERED,     /* role server: the client's request offered the
                          extension `name` (with the parameter `value` in
                          one of its offers, when given) */
  WS_PRED_NOT_OFFERED, /* role server: it did not */
};

#define WS_CODE_SET_MAX 16

/* A set of close codes or HTTP statuses. */
typedef struct ws_code_set {
  bool any;         /* close any / status any */
  bool empty;       /* close: a close frame without payload */
  bool valid;       /* close: any code valid on the wire */
  uint16_t classes; /* status: bit n set = "nxx" (e.g. bit 4 for 4xx) */
  size_t count;
  uint16_t codes[WS_CODE_SET_MAX];
} ws_code_set;

typedef struct ws_predicate {
  enum ws_pred_kind kind;
  uint32_t min, max;   /* MESSAGES, PONGS */
  ws_code_set codes;   /* CLOSE, STATUS */
  size_t step_index;   /* BEFORE: index into steps */
  const char *name;    /* HEADER, NO_HEADER, BEFORE (the label), OFFERED and
                          NOT_OFFERED (the extension) */
  const char *value;   /* HEADER with =VALUE or ~TOKEN, OFFERED and
                          NOT_OFFERED with a parameter, else NULL */
  bool value_is_token; /* HEADER NAME~TOKEN: TOKEN is an element of the
                          header's comma list (case-insensitive) */
} ws_predicate;

typedef struct ws_alternative { /* predicates joined by & */
  size_t count;
  ws_predicate *preds;
} ws_alternative;

typedef struct ws_outcome { /* one <expect> line */
  enum ws_verdict grade;
  const char *text;    /* the condition as written, for "expected" in reports */
  const char *because; /* `because "..."`: the reason when this line decides
                          a verdict other than pass, or NULL */
  int line;
  size_t count; /* alternatives joined by | */
  ws_alternative *alts;
} ws_outcome;

typedef struct ws_case {
  char id[WS_CASE_ID_MAX + 1];
  const char *title;
  const char *area;
  const char *rfc;
  enum ws_case_level level;
  const char *autobahn;    /* NULL when none */
  const char *description; /* NULL when none */
  uint32_t timeout_ms;
  bool serial;
  unsigned roles;   /* enum ws_case_roles; the parser's default: client */
  const char *file; /* where it came from, for messages */
  int line;         /* of its <info> block */
  size_t step_count;
  ws_step *steps;
  size_t outcome_count;
  ws_outcome *outcomes;
  /* Derived by the parser for the runner: */
  bool uses_alive;    /* some predicate needs the liveness probe */
  bool raw_handshake; /* first step is REQUEST */
  /* The opening handshake is the case's subject (it opens with its own
   * `request` or `handshake`, or an expectation reads the HTTP response):
   * otherwise the handshake is only the way in, and a target that never
   * completes it never got the case (cases/FORMAT.md, global rules). */
  bool about_handshake;
} ws_case;

/* Sets the derived flags (uses_alive, raw_handshake, about_handshake) from
 * the steps and the outcome lines: call after either changes. */
void ws_case_derive(ws_case *c);
/* Messages the `stream` steps of c send under profile. */
uint64_t ws_case_stream_messages(const ws_case *c, enum ws_profile profile);

const char *ws_case_level_name(enum ws_case_level level);
/* Whether the harness can play c from `role`. */
static inline bool ws_case_plays(const ws_case *c, enum ws_role role) {
  return (c->roles & (1u << role)) != 0;
}
/* "frame", "fragmented", ... as in the enum comments; "unknown" otherwise. */
const char *ws_step_kind_name(enum ws_step_kind kind);
/* The predicate's keyword in case files ("partial-echo", "no-header", ...). */
const char *ws_pred_kind_name(enum ws_pred_kind kind);

#endif
