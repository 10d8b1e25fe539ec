/* The drive loop: the only code that moves bytes between a transport and a
 * session, and the only place a case waits. It plays one session to its
 * end; the scheduler runs many, one per worker thread. */
#ifndef WS_HARNESS_DRIVE_H
#define WS_HARNESS_DRIVE_H

#include "engine/session.h"
#include "io/transport.h"

/* Runs s over t until the session is done (every session ends by its own
 * deadlines). Does not close t or end s. */
void ws_drive(ws_session *s, ws_transport *t);

#endif
