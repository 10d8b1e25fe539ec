/* Tests for harness/netfuzz/signature.c: finding signatures from real
 * sanitizer reports (produced for these tests by small buggy programs built
 * with gcc 12 and clang 14, -fsanitize=address,undefined / memory /
 * thread, and trimmed of their shadow-byte maps), exit statuses, signals,
 * stderr lines, hangs. One bug must give one signature however its
 * addresses, pids and numbers differ; two bugs must give two. */
#include "netfuzz/signature.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* ---- samples ---- */

/* gcc: one bug (a write past an 8-byte block in parse_frame), run twice. */
static const char asan_hbo_run1[] =
    "=================================================================\n"
    "==14200==ERROR: AddressSanitizer: heap-buffer-overflow on address "
    "0x602000000018 at pc 0x560d171df2cb bp 0x7ffc8c4a9010 sp "
    "0x7ffc8c4a9008\n"
    "WRITE of size 1 at 0x602000000018 thread T0\n"
    "    #0 0x560d171df2ca in parse_frame /tmp/sani/bugs.c:5\n"
    "    #1 0x560d171df2ec in read_loop /tmp/sani/bugs.c:6\n"
    "    #2 0x560d171df4b5 in main /tmp/sani/bugs.c:16\n"
    "    #3 0x7f8add645249 in __libc_start_call_main "
    "../sysdeps/nptl/libc_start_call_main.h:58\n"
    "    #4 0x7f8add645304 in __libc_start_main_impl ../csu/libc-start.c:360\n"
    "    #5 0x560d171df170 in _start (/tmp/sani/bugs_gcc+0x2170)\n"
    "\n"
    "0x602000000018 is located 0 bytes to the right of 8-byte region "
    "[0x602000000010,0x602000000018)\n"
    "allocated by thread T0 here:\n"
    "    #0 0x7f8ade0b89cf in __interceptor_malloc "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69\n"
    "    #1 0x560d171df2de in read_loop /tmp/sani/bugs.c:6\n"
    "    #2 0x560d171df4b5 in main /tmp/sani/bugs.c:16\n"
    "\n"
    "SUMMARY: AddressSanitizer: heap-buffer-overflow /tmp/sani/bugs.c:5 in "
    "parse_frame\n"
    "Shadow bytes around the buggy address:\n"
    "=>0x0c047fff8000: fa fa 00[fa]fa fa fa fa fa fa fa fa fa fa fa fa\n"
    "==14200==ABORTING\n";

static const char asan_hbo_run2[] =
    "=================================================================\n"
    "==17485==ERROR: AddressSanitizer: heap-buffer-overflow on address "
    "0x602000000038 at pc 0x556136a9e2cb bp 0x7ffd6cc947c0 sp "
    "0x7ffd6cc947b8\n"
    "WRITE of size 1 at 0x602000000038 thread T3\n"
    "    #0 0x556136a9e2ca in parse_frame /tmp/sani/bugs.c:5\n"
    "    #1 0x556136a9e2ec in read_loop /tmp/sani/bugs.c:6\n"
    "    #2 0x556136a9e4b5 in main /tmp/sani/bugs.c:16\n"
    "    #3 0x7fb285e45249 in __libc_start_call_main "
    "../sysdeps/nptl/libc_start_call_main.h:58\n"
    "    #4 0x7fb285e45304 in __libc_start_main_impl ../csu/libc-start.c:360\n"
    "    #5 0x556136a9e170 in _start (/tmp/sani/bugs_gcc+0x2170)\n"
    "\n"
    "0x602000000038 is located 0 bytes to the right of 8-byte region "
    "[0x602000000030,0x602000000038)\n"
    "allocated by thread T3 here:\n"
    "    #0 0x7fb2868b89cf in __interceptor_malloc "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69\n"
    "    #1 0x556136a9e2de in read_loop /tmp/sani/bugs.c:6\n"
    "\n"
    "SUMMARY: AddressSanitizer: heap-buffer-overflow /tmp/sani/bugs.c:5 in "
    "parse_frame\n"
    "==17485==ABORTING\n";

/* The same bug built by clang: columns, BuildIds, other libc paths. */
static const char asan_hbo_clang[] =
    "==17488==ERROR: AddressSanitizer: heap-buffer-overflow on address "
    "0x602000000018 at pc 0x56492da4c21d bp 0x7fff9966cc40 sp "
    "0x7fff9966cc38\n"
    "WRITE of size 1 at 0x602000000018 thread T0\n"
    "    #0 0x56492da4c21c in parse_frame /tmp/sani/bugs.c:5:87\n"
    "    #1 0x56492da4c0ea in read_loop /tmp/sani/bugs.c:6:88\n"
    "    #2 0x56492da4bfd3 in main /tmp/sani/bugs.c:16:11\n"
    "    #3 0x7f57134b7249 in __libc_start_call_main "
    "csu/../sysdeps/nptl/libc_start_call_main.h:58:16\n"
    "    #4 0x7f57134b7304 in __libc_start_main csu/../csu/libc-start.c:360:3\n"
    "    #5 0x56492d98e300 in _start (/tmp/sani/bugs_clang+0x21300) "
    "(BuildId: 2875bd7902a31afcd3127d2ee684acf15489930e)\n"
    "\n"
    "0x602000000018 is located 0 bytes to the right of 8-byte region "
    "[0x602000000010,0x602000000018)\n"
    "allocated by thread T0 here:\n"
    "    #0 0x56492da1114e in __interceptor_malloc "
    "(/tmp/sani/bugs_clang+0xa414e) (BuildId: "
    "2875bd7902a31afcd3127d2ee684acf15489930e)\n"
    "    #1 0x56492da4c0df in read_loop /tmp/sani/bugs.c:6:77\n"
    "\n"
    "SUMMARY: AddressSanitizer: heap-buffer-overflow /tmp/sani/bugs.c:5:87 "
    "in parse_frame\n"
    "==17488==ABORTING\n";

/* Another bug of the same program. */
static const char asan_uaf[] =
    "==14228==ERROR: AddressSanitizer: heap-use-after-free on address "
    "0x602000000010 at pc 0x55e3995f839b bp 0x7ffc7e28dab0 sp "
    "0x7ffc7e28daa8\n"
    "READ of size 4 at 0x602000000010 thread T0\n"
    "    #0 0x55e3995f839a in use_after /tmp/sani/bugs.c:7\n"
    "    #1 0x55e3995f8514 in main /tmp/sani/bugs.c:17\n"
    "    #2 0x7f7569c45249 in __libc_start_call_main "
    "../sysdeps/nptl/libc_start_call_main.h:58\n"
    "    #3 0x7f7569c45304 in __libc_start_main_impl ../csu/libc-start.c:360\n"
    "    #4 0x55e3995f8170 in _start (/tmp/sani/bugs_gcc+0x2170)\n"
    "\n"
    "0x602000000010 is located 0 bytes inside of 4-byte region "
    "[0x602000000010,0x602000000014)\n"
    "freed by thread T0 here:\n"
    "    #0 0x7f756a6b76a8 in __interceptor_free "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52\n"
    "    #1 0x55e3995f835d in use_after /tmp/sani/bugs.c:7\n"
    "\n"
    "SUMMARY: AddressSanitizer: heap-use-after-free /tmp/sani/bugs.c:7 in "
    "use_after\n"
    "==14228==ABORTING\n";

/* A server-like thread: the runtime's frame on top, thread start below. */
static const char asan_double_free[] =
    "==14821==ERROR: AddressSanitizer: attempting double-free on "
    "0x602000000010 in thread T1:\n"
    "    #0 0x7f2bc4cb76a8 in __interceptor_free "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52\n"
    "    #1 0x560213a45287 in dfree /tmp/sani/thr.c:7\n"
    "    #2 0x560213a45349 in serve /tmp/sani/thr.c:10\n"
    "    #3 0x7f2bc4aa71f4 in start_thread nptl/pthread_create.c:442\n"
    "    #4 0x7f2bc4b278eb in clone3 "
    "../sysdeps/unix/sysv/linux/x86_64/clone3.S:81\n"
    "\n"
    "0x602000000010 is located 0 bytes inside of 5-byte region "
    "[0x602000000010,0x602000000015)\n"
    "freed by thread T1 here:\n"
    "    #0 0x7f2bc4cb76a8 in __interceptor_free "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52\n"
    "    #1 0x560213a4527b in dfree /tmp/sani/thr.c:7\n"
    "\n"
    "SUMMARY: AddressSanitizer: double-free "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52 in "
    "__interceptor_free\n"
    "==14821==ABORTING\n";

static const char asan_segv[] =
    "AddressSanitizer:DEADLYSIGNAL\n"
    "=================================================================\n"
    "==14785==ERROR: AddressSanitizer: SEGV on unknown address "
    "0x000000000000 (pc 0x55664eac5260 bp 0x7f8bb77fee00 sp 0x7f8bb77fedf0 "
    "T1)\n"
    "==14785==The signal is caused by a READ memory access.\n"
    "==14785==Hint: address points to the zero page.\n"
    "    #0 0x55664eac5260 in deref /tmp/sani/thr.c:6\n"
    "    #1 0x55664eac5321 in serve /tmp/sani/thr.c:9\n"
    "    #2 0x7f8bb96a71f4 in start_thread nptl/pthread_create.c:442\n"
    "    #3 0x7f8bb97278eb in clone3 "
    "../sysdeps/unix/sysv/linux/x86_64/clone3.S:81\n"
    "\n"
    "AddressSanitizer can not provide additional info.\n"
    "SUMMARY: AddressSanitizer: SEGV /tmp/sani/thr.c:6 in deref\n"
    "Thread T1 created by T0 here:\n"
    "    #0 0x7f8bb9849726 in __interceptor_pthread_create "
    "../../../../src/libsanitizer/asan/asan_interceptors.cpp:207\n"
    "    #1 0x55664eac54f4 in main /tmp/sani/thr.c:14\n"
    "\n"
    "==14785==ABORTING\n";

static const char lsan_leak[] =
    "\n"
    "=================================================================\n"
    "==14250==ERROR: LeakSanitizer: detected memory leaks\n"
    "\n"
    "Direct leak of 24 byte(s) in 1 object(s) allocated from:\n"
    "    #0 0x7fce904b89cf in __interceptor_malloc "
    "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69\n"
    "    #1 0x55585f7ce263 in leak /tmp/sani/bugs.c:10\n"
    "    #2 0x55585f7ce54f in main /tmp/sani/bugs.c:20\n"
    "    #3 0x7fce8fa45249 in __libc_start_call_main "
    "../sysdeps/nptl/libc_start_call_main.h:58\n"
    "\n"
    "SUMMARY: AddressSanitizer: 24 byte(s) leaked in 1 allocation(s).\n";

/* UBSan, clang, UBSAN_OPTIONS=print_stacktrace=1. */
static const char ubsan_overflow_stack[] =
    "bugs.c:8:67: runtime error: signed integer overflow: 2147483647 + 2 "
    "cannot be represented in type 'int'\n"
    "    #0 0x5602079e818e in add /tmp/sani/bugs.c:8:67\n"
    "    #1 0x5602079e7fed in main /tmp/sani/bugs.c:18:18\n"
    "    #2 0x7f0926c8c249 in __libc_start_call_main "
    "csu/../sysdeps/nptl/libc_start_call_main.h:58:16\n"
    "    #3 0x7f0926c8c304 in __libc_start_main csu/../csu/libc-start.c:360:3\n"
    "    #4 0x56020792a300 in _start (/tmp/sani/bugs_clang+0x21300) "
    "(BuildId: 2875bd7902a31afcd3127d2ee684acf15489930e)\n"
    "\n"
    "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior bugs.c:8:67 in \n";

/* UBSan, gcc, no stack trace: the location is all there is. Other
 * operands: the same bug. */
static const char ubsan_overflow_plain[] =
    "bugs.c:8:67: runtime error: signed integer overflow: 2147483647 + 1 "
    "cannot be represented in type 'int'\n";

static const char ubsan_null[] =
    "bugs.c:9:61: runtime error: load of null pointer of type 'int'\n"
    "    #0 0x5582f82c333a in deref /tmp/sani/bugs.c:9\n"
    "    #1 0x5582f82c3534 in main /tmp/sani/bugs.c:19\n"
    "    #2 0x7f4924645249 in __libc_start_call_main "
    "../sysdeps/nptl/libc_start_call_main.h:58\n"
    "\n";

static const char msan_uninit[] =
    "==14855==WARNING: MemorySanitizer: use-of-uninitialized-value\n"
    "    #0 0x5623cf7694a4 in serve /tmp/sani/thr.c:12:28\n"
    "    #1 0x7f84d51d01f4 in start_thread "
    "nptl/./nptl/pthread_create.c:442:8\n"
    "    #2 0x7f84d52508eb in clone3 "
    "misc/../sysdeps/unix/sysv/linux/x86_64/clone3.S:81\n"
    "\n"
    "SUMMARY: MemorySanitizer: use-of-uninitialized-value "
    "/tmp/sani/thr.c:12:28 in serve\n"
    "Exiting\n";

static const char tsan_race[] =
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=17511)\n"
    "  Write of size 4 at 0x55ac53a30258 by thread T2:\n"
    "    #0 bump /tmp/sani/race.c:4:59 (race+0xd01af) (BuildId: "
    "3167cc13eb9d8a907ec4d19faa91a2c822073bd0)\n"
    "    #1 worker /tmp/sani/race.c:5:41 (race+0xd017f) (BuildId: "
    "3167cc13eb9d8a907ec4d19faa91a2c822073bd0)\n"
    "\n"
    "  Previous write of size 4 at 0x55ac53a30258 by thread T1:\n"
    "    #0 bump /tmp/sani/race.c:4:59 (race+0xd01af)\n"
    "\n"
    "SUMMARY: ThreadSanitizer: data race /tmp/sani/race.c:4:59 in bump\n"
    "==================\n";

/* ---- helpers ---- */

static char sig[256];

static const char *crash(const char *output, int status) {
  ws_fuzz_evidence e = {.kind = WS_FUZZ_CRASH,
                        .exited = true,
                        .status = status,
                        .output = output};
  ws_fuzz_signature(&e, sig, sizeof sig);
  return sig;
}

static const char *killed(const char *output, int signal) {
  ws_fuzz_evidence e = {.kind = WS_FUZZ_CRASH,
                        .exited = true,
                        .signaled = true,
                        .signal = signal,
                        .output = output};
  ws_fuzz_signature(&e, sig, sizeof sig);
  return sig;
}

/* ---- sanitizer reports ---- */

Test(signature, asan_kind_and_top_frames) {
  cr_assert_str_eq(crash(asan_hbo_run1, 1),
                   "heap-buffer-overflow in parse_frame <- read_loop <- main");
}

Test(signature, one_bug_one_signature_across_runs_and_compilers) {
  char first[256];
  snprintf(first, sizeof first, "%s", crash(asan_hbo_run1, 1));
  cr_assert_str_eq(crash(asan_hbo_run2, 1), first);
  cr_assert_str_eq(crash(asan_hbo_clang, 1), first);
  /* How the process ended does not matter once a report names the bug. */
  cr_assert_str_eq(killed(asan_hbo_run2, SIGABRT), first);
}

Test(signature, different_bugs_different_signatures) {
  const char *reports[] = {asan_hbo_run1, asan_uaf,    asan_double_free,
                           asan_segv,     lsan_leak,   ubsan_overflow_stack,
                           ubsan_null,    msan_uninit, tsan_race};
  size_t n = sizeof reports / sizeof *reports;
  char seen[sizeof reports / sizeof *reports][256];
  for (size_t i = 0; i < n; i++) {
    snprintf(seen[i], sizeof seen[i], "%s", crash(reports[i], 1));
    for (size_t j = 0; j < i; j++)
      cr_assert_str_neq(seen[i], seen[j], "reports %zu and %zu", j, i);
  }
}

Test(signature, runtime_and_libc_frames_are_skipped) {
  cr_assert_str_eq(crash(asan_uaf, 1),
                   "heap-use-after-free in use_after <- main");
  /* __interceptor_free on top, start_thread and clone3 below. */
  cr_assert_str_eq(crash(asan_double_free, 1), "double-free in dfree <- serve");
  cr_assert_str_eq(crash(asan_segv, 1), "SEGV in deref <- serve");
  cr_assert_str_eq(crash(lsan_leak, 1), "memory-leak in leak <- main");
  cr_assert_str_eq(crash(msan_uninit, 1),
                   "use-of-uninitialized-value in serve");
  cr_assert_str_eq(crash(tsan_race, 66), "data-race in bump <- worker");
}

Test(signature, ubsan_with_and_without_a_stack) {
  cr_assert_str_eq(crash(ubsan_overflow_stack, 1),
                   "UBSan: signed integer overflow in add <- main");
  /* gcc without print_stacktrace: only the location. */
  cr_assert_str_eq(crash(ubsan_overflow_plain, 1),
                   "UBSan: signed integer overflow at bugs.c:8:67");
  cr_assert_str_eq(crash(ubsan_null, 1),
                   "UBSan: load of null pointer of type 'int' in deref <- "
                   "main");
}

Test(signature, server_log_around_a_report) {
  char text[4096];
  snprintf(text, sizeof text,
           "listening on port 40123\n"
           "connection 17: protocol error, closing with 1002\n%s",
           asan_hbo_run2);
  cr_assert_str_eq(crash(text, 1),
                   "heap-buffer-overflow in parse_frame <- read_loop <- main");
}

Test(signature, reports_already_counted_are_skipped) {
  char text[4096];
  snprintf(text, sizeof text, "%s%s", ubsan_overflow_plain, ubsan_null);
  ws_fuzz_evidence e = {
      .kind = WS_FUZZ_CRASH, .output = text, .reports_before = 1};
  ws_fuzz_signature(&e, sig, sizeof sig);
  cr_assert_str_eq(sig, "UBSan: load of null pointer of type 'int' in deref "
                        "<- main");
}

Test(signature, unsymbolized_frames_name_module_and_offset) {
  const char *report =
      "==9==ERROR: AddressSanitizer: stack-overflow on address 0x7ffd0 (pc "
      "0x55d4 bp 0x7ffd sp 0x7ffd T0)\n"
      "    #0 0x55d4000012a0 (/srv/bin/wsd+0x12a0)\n"
      "    #1 0x55d4000012a0 (/srv/bin/wsd+0x12a0)\n"
      "    #2 0x55d400001400 (/srv/bin/wsd+0x1400)\n"
      "SUMMARY: AddressSanitizer: stack-overflow (/srv/bin/wsd+0x12a0)\n";
  /* Recursion counts once. */
  cr_assert_str_eq(crash(report, 1),
                   "stack-overflow in wsd+0x12a0 <- wsd+0x1400");
}

Test(signature, cpp_names_keep_their_scope_not_their_parameters) {
  const char *report =
      "==9==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6 at "
      "pc 0x5 bp 0x7 sp 0x7\n"
      "    #0 0x7f in operator new(unsigned long) "
      "../../../../src/libsanitizer/asan/asan_new_delete.cpp:95\n"
      "    #1 0x55 in ws::Parser<char, std::allocator<char> >::frame(int, "
      "char const*) /src/parser.cc:40\n"
      "    #2 0x55 in handle.isra.0 /src/server.cc:12\n"
      "SUMMARY: AddressSanitizer: heap-buffer-overflow\n";
  cr_assert_str_eq(
      crash(report, 1),
      "heap-buffer-overflow in ws::Parser<char, std::allocator<char> "
      ">::frame <- handle");
}

/* ---- report completeness ---- */

Test(signature, reports_are_counted_and_known_complete) {
  cr_assert_eq(ws_sanitizer_reports(asan_hbo_run1), 1);
  cr_assert_eq(ws_sanitizer_reports(asan_segv), 1); /* not DEADLYSIGNAL */
  cr_assert_eq(ws_sanitizer_reports(lsan_leak), 1);
  cr_assert_eq(ws_sanitizer_reports("no report here\n"), 0);
  char two[2048];
  snprintf(two, sizeof two, "%s%s", ubsan_overflow_plain, ubsan_null);
  cr_assert_eq(ws_sanitizer_reports(two), 2);

  cr_assert(ws_sanitizer_report_done(asan_hbo_run1, 0));
  cr_assert(ws_sanitizer_report_done(msan_uninit, 0));
  cr_assert(ws_sanitizer_report_done(two, 0)); /* the next report began */
  cr_assert(ws_sanitizer_report_done(ubsan_null, 0)); /* a blank line */
  cr_assert_not(ws_sanitizer_report_done(ubsan_overflow_plain, 0));
  cr_assert_not(ws_sanitizer_report_done(asan_hbo_run1, 1));
  /* Cut while its stack is being symbolized: not yet, and a signature
   * taken now would lack frames. */
  const char *cut = strstr(asan_hbo_run1, "    #1 ");
  char partial[2048];
  snprintf(partial, sizeof partial, "%.*s", (int)(cut - asan_hbo_run1),
           asan_hbo_run1);
  cr_assert_not(ws_sanitizer_report_done(partial, 0));
  cr_assert_str_eq(crash(partial, 1), "heap-buffer-overflow in parse_frame");
}

/* ---- crashes without a report ---- */

Test(signature, exit_signals_and_statuses) {
  cr_assert_str_eq(killed("", SIGSEGV), "SIGSEGV");
  cr_assert_str_eq(killed(NULL, SIGBUS), "SIGBUS");
  cr_assert_str_eq(killed("", 63), "signal 63");
  /* Behind /bin/sh: status 128 + N reads as signal N. */
  cr_assert_str_eq(crash("", 134), "SIGABRT");
  cr_assert_str_eq(crash("", 3), "exit 3");
  cr_assert_str_eq(crash("", 0), "exit 0");
  char segv[32];
  snprintf(segv, sizeof segv, "%s", killed("", SIGSEGV));
  cr_assert_str_neq(segv, killed("", SIGABRT));
  cr_assert_str_eq(ws_signal_name(SIGSEGV), "SIGSEGV");
  cr_assert_null(ws_signal_name(0));
}

Test(signature, error_line_with_varying_numbers_normalised) {
  char a[256];
  snprintf(a, sizeof a, "%s",
           killed("crashy_server: fatal: ping of 17 bytes inside a fragmented "
                  "message (connection 4031, buffer 0x7f3a2c001230)\n",
                  SIGABRT));
  cr_assert_str_eq(a, "SIGABRT: crashy_server: fatal: ping of N bytes inside "
                      "a fragmented message (connection N, buffer N)");
  cr_assert_str_eq(
      killed("crashy_server: fatal: ping of 1 bytes inside a fragmented "
             "message (connection 2, buffer 0x60b000000040)\n",
             SIGABRT),
      a);
  /* pids, timestamps and hashes vary too; identifiers keep their digits. */
  cr_assert_str_eq(
      crash("[2024-05-01T12:00:03Z] ==4711== utf8_decode failed in session "
            "7f3a9c2e41d0, code 1007\n",
            1),
      "exit 1: [N-N-N:N:N] ==N== utf8_decode failed in session N, code N");
}

Test(signature, assertions_and_allocator_checks) {
  cr_assert_str_eq(
      killed("thr_plain: thr.c:11: serve: Assertion `w == 3 && \"frame "
             "length\"' failed.\n",
             SIGABRT),
      "SIGABRT: thr_plain: thr.c:N: serve: Assertion `w == N && \"frame "
      "length\"' failed.");
  cr_assert_str_eq(
      killed("free(): double free detected in tcache 2\n", SIGABRT),
      "SIGABRT: free(): double free detected in tcache N");
}

/* A chatty server logs an error per bad input; the crash's own message is
 * what names it, not the first log line. */
Test(signature, crash_message_beats_earlier_log_lines) {
  const char *log = "srv: connection 3: protocol error, closing with 1002\n"
                    "srv: connection 7: invalid frame header\n"
                    "srv: panic: index 9 out of range in read_frame\n";
  cr_assert_str_eq(killed(log, SIGABRT),
                   "SIGABRT: srv: panic: index N out of range in read_frame");
  /* Without a crash-like line: the input's own output first. */
  const char *plain = "srv: connection 3: protocol error, closing with 1002\n"
                      "srv: connection 9: bad length field\n"
                      "srv: connection 9: error reading header\n";
  ws_fuzz_evidence e = {
      .kind = WS_FUZZ_CRASH,
      .exited = true,
      .status = 2,
      .output = plain,
      .recent = (size_t)(strstr(plain, "srv: connection 9") - plain)};
  ws_fuzz_signature(&e, sig, sizeof sig);
  cr_assert_str_eq(sig, "exit 2: srv: connection N: error reading header");
  /* Lines before the input began that merely say "error" are not its. */
  e.recent = strlen(plain);
  ws_fuzz_signature(&e, sig, sizeof sig);
  cr_assert_str_eq(sig, "exit 2");
}

Test(signature, hangs_and_stuck_peers_are_their_own_kinds) {
  ws_fuzz_evidence e = {.kind = WS_FUZZ_HANG, .output = asan_hbo_run1};
  ws_fuzz_signature(&e, sig, sizeof sig);
  cr_assert_str_eq(sig, "hang");
  e.kind = WS_FUZZ_STUCK;
  ws_fuzz_signature(&e, sig, sizeof sig);
  cr_assert_str_eq(sig, "stuck after close");
}

Test(signature, small_buffers_stay_terminated) {
  char tiny[8];
  ws_fuzz_evidence e = {
      .kind = WS_FUZZ_CRASH, .exited = true, .output = asan_hbo_run1};
  ws_fuzz_signature(&e, tiny, sizeof tiny);
  cr_assert_str_eq(tiny, "heap-bu");
}
