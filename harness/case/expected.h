/* The replies a case expects back (cases/FORMAT.md "echo"): data messages
 * marked echo, reassembled from their frames, and pongs for pings marked
 * echo. Shared by the grader (what must have arrived) and the runner (what
 * to wait for before a closing step). */
#ifndef WS_HARNESS_EXPECTED_H
#define WS_HARNESS_EXPECTED_H

#include "case/case.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ws_reply {
  uint8_t opcode; /* text/binary for messages, pong for pongs */
  const uint8_t *ptr;
  size_t len;
  uint8_t *owned; /* heap copy when assembled from several frames */
} ws_reply;

typedef struct ws_expected {
  ws_reply *msgs;
  size_t msg_count;
  ws_reply *pongs;
  size_t pong_count;
} ws_expected;

/* The replies expected from steps [0, upto) (c->step_count: the whole case);
 * a message whose last frame is at or after upto is not expected yet. 0, or
 * -1 on allocation failure. */
int ws_expected_build(const ws_case *c, size_t upto, ws_expected *out);
void ws_expected_free(ws_expected *e);

#endif
