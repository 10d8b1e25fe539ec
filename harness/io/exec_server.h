/* The server under test as a child process the harness owns
 * (--exec-server "CMD {port}"): started on a free loopback port, watched,
 * and restarted after a crash, so a run goes on and the crash is tied to the
 * input or case that caused it. */
#ifndef WS_HARNESS_EXEC_SERVER_H
#define WS_HARNESS_EXEC_SERVER_H

#include "io/exec_child.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_exec_server ws_exec_server;

/* Starts `command` through /bin/sh with every "{port}" replaced by a free
 * loopback port, and waits (up to startup_ms) until that port accepts TCP.
 * 0, or -1 with a reason in err (the command exited, never listened...). */
int ws_exec_server_start(const char *command, int startup_ms,
                         ws_exec_server **out, char *err, size_t cap);

uint16_t ws_exec_server_port(const ws_exec_server *s);

/* Non-blocking: true when the child has exited since it was (re)started;
 * then *exit is filled (caller frees exit->stderr_tail). */
bool ws_exec_server_exited(ws_exec_server *s, ws_exec_exit *exit);

/* Non-blocking: a copy of the stderr tail kept since the last (re)start
 * (heap, NUL-terminated, caller frees; NULL when out of memory). The fuzzer
 * looks in it for a sanitizer report that has begun while the process is
 * still alive (symbolizing), so a crash is tied to the input that caused
 * it rather than to the next one. */
char *ws_exec_server_stderr(ws_exec_server *s);

/* Starts the command again (same port when possible) after an exit. */
int ws_exec_server_restart(ws_exec_server *s, char *err, size_t cap);

/* SIGTERM, a bounded wait, then SIGKILL; frees everything. */
void ws_exec_server_stop(ws_exec_server *s);

#endif
