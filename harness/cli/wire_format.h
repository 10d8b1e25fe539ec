/* A human-readable wire trace, for `wsprobe test -v` and `wsprobe show`:
 * per entry its time, direction and size, the HTTP bytes as text lines, the
 * WebSocket bytes as decoded frame headers (opcode, FIN, RSV, mask, length,
 * a payload preview, and any RFC 6455 violation), then a hex dump.
 *
 * The formatter keeps state per direction across entries, because a frame
 * or an HTTP line may be cut across several writes (chop, TCP segments). */
#ifndef WS_HARNESS_WIRE_FORMAT_H
#define WS_HARNESS_WIRE_FORMAT_H

#include "codec/frame.h"
#include "engine/observation.h"
#include "reports/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Hex dump bytes shown per entry by default; the rest is counted. The full
 * bytes are always in results.json. */
#define WS_WIRE_DUMP_DEFAULT ((size_t)64 << 10)

#define WS_WIRE_LINE_MAX 1024

typedef struct ws_wire_stream {
  enum { WS_WIRE_HTTP, WS_WIRE_FRAMES, WS_WIRE_BODY } mode;
  bool first_line_done;
  bool upgraded_status; /* rx: the status line said 101 */
  char line[WS_WIRE_LINE_MAX];
  size_t line_len;
  ws_frame_decoder dec;
  uint8_t preview[125]; /* the current frame's first payload bytes */
  size_t preview_len;
} ws_wire_stream;

typedef struct ws_wire_formatter {
  ws_wire_stream tx, rx;
  size_t max_dump; /* 0: no hex dump limit */
} ws_wire_formatter;

void ws_wire_formatter_init(ws_wire_formatter *f);

/* Starts the streams in frame mode: for byte sequences that have no HTTP
 * part (the frames `wsprobe show` prints step by step). */
void ws_wire_formatter_skip_http(ws_wire_formatter *f);

/* One entry. dir is "tx", "rx" or "note" (anything else is shown as a
 * note); note may be NULL. */
void ws_wire_format_entry(ws_wire_formatter *f, FILE *out, double t_ms,
                          const char *dir, const uint8_t *bytes, size_t len,
                          const char *note);

/* The decoded lines and hex dump of bytes sent (rx false) or received,
 * without the entry's time line. */
void ws_wire_format_bytes(ws_wire_formatter *f, FILE *out, bool rx,
                          const uint8_t *bytes, size_t len);

/* Whole logs. */
void ws_wire_format_observation(FILE *out, const ws_observation *obs);
void ws_wire_format_result(FILE *out, const ws_case_result *r);

/* The length of the multi-byte UTF-8 character at p (n bytes available)
 * when a terminal can show it as it is, else 0: ASCII, invalid or cut
 * sequences, and characters that control the terminal (C1 controls, line
 * and paragraph separators, bidirectional controls) are escaped instead. */
size_t ws_wire_printable_utf8(const uint8_t *p, size_t n);

/* A classic 16-bytes-per-line hex dump with an ASCII column, each line
 * prefixed with `indent` spaces. At most max bytes (0: all). */
void ws_wire_hexdump(FILE *out, const uint8_t *bytes, size_t len, size_t max,
                     int indent);

#endif
