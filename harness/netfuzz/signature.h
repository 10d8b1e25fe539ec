/* The signature of a finding: a short text that is the same every time one
 * bug shows and differs between bugs, so the fuzzer can group the inputs
 * that hit a bug, minimise one of them, and check that a smaller input still
 * hits the same bug rather than any bug.
 *
 * Rules (fuzz/README.md has them for users):
 *  - hang: "hang"; stuck: "stuck after close";
 *  - a crash with a sanitizer report (ASan, LSan, UBSan, MSan, TSan) in the
 *    server's stderr: the report's kind and its top frames, skipping the
 *    sanitizer runtime and libc, "heap-buffer-overflow in parse_frame <-
 *    read_loop <- serve" (UBSan: "UBSan: signed integer overflow in f");
 *  - any other crash: how the process ended ("SIGSEGV", "exit 3") and the
 *    stderr line that best looks like the crash's message, with the numbers
 *    that vary from run to run (addresses, pids, counters) replaced by N.
 *
 * Pure functions of text: no I/O, no clock. */
#ifndef WS_HARNESS_SIGNATURE_H
#define WS_HARNESS_SIGNATURE_H

#include "netfuzz/netfuzz.h"

#include <stdbool.h>
#include <stddef.h>

/* Frames named in a sanitizer signature. Three, as crash triage tools
 * commonly use: enough to tell two bugs in one function apart by their
 * callers, few enough that one bug reached from a little further away still
 * groups. */
#define WS_SIGNATURE_FRAMES 3

/* What the oracle saw. */
typedef struct ws_fuzz_evidence {
  enum ws_fuzz_kind kind;
  bool exited; /* the process is gone: signaled/signal or status hold */
  bool signaled;
  int signal;
  int status;
  const char *output;      /* the server's stderr (the tail kept), or NULL */
  size_t recent;           /* offset in output where the output of the input
                              that found this begins (0: all of it is) */
  unsigned reports_before; /* sanitizer reports at the start of output that
                              belong to earlier findings: skipped */
} ws_fuzz_evidence;

/* Writes the signature into out (always NUL-terminated; cap >= 1). */
void ws_fuzz_signature(const ws_fuzz_evidence *e, char *out, size_t cap);

/* Sanitizer reports begun in text (one per report, however many lines). */
unsigned ws_sanitizer_reports(const char *text);

/* True when report index (0-based) of text is complete: its SUMMARY line
 * or an ending line ("==N==ABORTING", "Exiting") has arrived, or another
 * report began after it. A report is written while its stack is being
 * symbolized, so a signature taken before that may lack its frames. */
bool ws_sanitizer_report_done(const char *text, unsigned index);

/* "SIGSEGV" for 11 and the other signals a crash ends with; NULL for
 * signals without a short name here. */
const char *ws_signal_name(int sig);

#endif
