/* Finding signatures (signature.h): sanitizer reports read line by line,
 * exit statuses named, stderr lines normalised. */
#include "netfuzz/signature.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_CHARS 64  /* one frame's name */
#define KIND_MAX_CHARS 80  /* a sanitizer report's kind */
#define LINE_MAX_CHARS 120 /* an error line, normalised */

/* ---- lines ---- */

static const char *line_end(const char *p) {
  const char *e = strchr(p, '\n');
  return e ? e : p + strlen(p);
}

static const char *next_line(const char *p) {
  const char *e = line_end(p);
  return *e ? e + 1 : NULL;
}

/* memmem for the span [p, e): the first s inside it, or NULL. */
static const char *find_in(const char *p, const char *e, const char *s) {
  size_t n = strlen(s);
  for (; p + n <= e; p++)
    if (memcmp(p, s, n) == 0)
      return p;
  return NULL;
}

static bool contains_ci(const char *p, const char *e, const char *s) {
  size_t n = strlen(s);
  for (; p + n <= e; p++)
    if (strncasecmp(p, s, n) == 0)
      return true;
  return false;
}

static bool starts(const char *p, const char *e, const char *s) {
  size_t n = strlen(s);
  return (size_t)(e - p) >= n && memcmp(p, s, n) == 0;
}

static const char *skip_spaces(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

static const char *trim_end(const char *p, const char *e) {
  while (e > p && isspace((unsigned char)e[-1]))
    e--;
  return e;
}

/* ---- normalisation ---- */

static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* A word of 8 or more hex digits with a digit among them: a hash or an
 * address printed without 0x. */
static bool hexish(const char *p, const char *e) {
  bool digit = false;
  const char *q = p;
  for (; q < e && word_char(*q); q++) {
    if (!isxdigit((unsigned char)*q))
      return false;
    digit |= isdigit((unsigned char)*q) != 0;
  }
  return digit && q - p >= 8;
}

/* Copies [p, e) into out with whitespace collapsed and every number (a word
 * that starts with a digit: 42, 0x7ffd1234, 2024-01-01T12, 32-bit) or
 * hex-looking word replaced by "N". Words that start with a letter keep
 * their digits (utf8, sha256, T1). */
static void normalise(const char *p, const char *e, char *out, size_t cap) {
  size_t n = 0;
  bool space = false;
  p = skip_spaces(p, e);
  e = trim_end(p, e);
  const char *start = p;
  while (p < e && n + 1 < cap) {
    bool at_word = p == start || !word_char(p[-1]);
    if (isspace((unsigned char)*p)) {
      space = true;
      p++;
      continue;
    }
    if (space && n + 2 < cap)
      out[n++] = ' ';
    space = false;
    if (at_word && word_char(*p) &&
        (isdigit((unsigned char)*p) || hexish(p, e))) {
      while (p < e && word_char(*p))
        p++;
      out[n++] = 'N';
    } else {
      out[n++] = *p++;
    }
  }
  out[n] = '\0';
}

/* ---- sanitizer report heads ---- */

enum tool { T_NONE, T_ASAN, T_LSAN, T_UBSAN, T_UBSAN_RUNTIME, T_MSAN, T_TSAN };

typedef struct head {
  enum tool tool;
  const char *line, *end;     /* the head line */
  const char *phrase, *p_end; /* "heap-buffer-overflow on address ..." */
  const char *loc, *loc_end;  /* UBSan: "bugs.c:8:67" */
} head;

static enum tool tool_named(const char *w, const char *e) {
  static const struct {
    const char *name;
    enum tool tool;
  } tools[] = {
      {"AddressSanitizer", T_ASAN}, {"HWAddressSanitizer", T_ASAN},
      {"LeakSanitizer", T_LSAN},    {"UndefinedBehaviorSanitizer", T_UBSAN},
      {"MemorySanitizer", T_MSAN},  {"ThreadSanitizer", T_TSAN}};
  for (size_t i = 0; i < sizeof tools / sizeof *tools; i++)
    if ((size_t)(e - w) == strlen(tools[i].name) &&
        memcmp(w, tools[i].name, (size_t)(e - w)) == 0)
      return tools[i].tool;
  return T_NONE;
}

/* "==12==ERROR: AddressSanitizer: KIND ..." and "==12==WARNING:
 * MemorySanitizer: KIND", or UBSan's "file.c:8:67: runtime error: ...".
 * DEADLYSIGNAL and SUMMARY lines are not heads. */
static bool head_at(const char *line, head *h) {
  const char *end = line_end(line);
  memset(h, 0, sizeof *h);
  h->line = line;
  h->end = end;
  const char *s = find_in(line, end, "Sanitizer: ");
  if (s) {
    const char *w = s;
    while (w > line && isalpha((unsigned char)w[-1]))
      w--;
    bool error = w - line >= 7 && memcmp(w - 7, "ERROR: ", 7) == 0;
    bool warning = w - line >= 9 && memcmp(w - 9, "WARNING: ", 9) == 0;
    h->tool = tool_named(w, s + 9);
    if ((error || warning) && h->tool != T_NONE) {
      h->phrase = s + 11;
      h->p_end = trim_end(h->phrase, end);
      return true;
    }
  }
  const char *r = find_in(line, end, ": runtime error: ");
  if (!r)
    return false;
  h->tool = T_UBSAN_RUNTIME;
  h->phrase = r + 17;
  h->p_end = trim_end(h->phrase, end);
  h->loc = skip_spaces(line, r);
  h->loc_end = r;
  return true;
}

/* The head of report index in text, or NULL. */
static const char *find_report(const char *text, unsigned index, head *h) {
  for (const char *p = text; p; p = next_line(p))
    if (head_at(p, h) && index-- == 0)
      return p;
  return NULL;
}

unsigned ws_sanitizer_reports(const char *text) {
  unsigned n = 0;
  head h;
  for (const char *p = text; p && *p; p = next_line(p))
    n += head_at(p, &h);
  return n;
}

static bool is_summary(const char *p, const char *e) {
  return find_in(p, e, "SUMMARY: ") != NULL;
}

/* After a report's frames come lines that end it. */
static bool is_report_end(const char *p, const char *e) {
  return is_summary(p, e) || find_in(p, e, "==ABORTING") ||
         starts(skip_spaces(p, e), e, "Exiting");
}

static bool is_frame(const char *p, const char *e) {
  p = skip_spaces(p, e);
  if (p == e || *p != '#')
    return false;
  p++;
  const char *d = p;
  while (p < e && isdigit((unsigned char)*p))
    p++;
  return p > d && p < e && *p == ' ';
}

bool ws_sanitizer_report_done(const char *text, unsigned index) {
  head h;
  const char *at = text ? find_report(text, index, &h) : NULL;
  if (!at)
    return false;
  /* UBSan's own runtime errors have no SUMMARY from every compiler: the
   * report is done at the first whole line after it that is no frame. */
  bool ubsan = h.tool == T_UBSAN_RUNTIME;
  for (const char *p = next_line(at); p && *p; p = next_line(p)) {
    const char *e = line_end(p);
    if (!*e) /* a line still being written */
      return false;
    head other;
    if (is_report_end(p, e) || head_at(p, &other) || (ubsan && !is_frame(p, e)))
      return true;
  }
  return false;
}

/* ---- the kind of a report ---- */

/* ASan's kinds as its SUMMARY line names them. */
static void asan_kind(const char *p, const char *e, char *out, size_t cap) {
  static const struct {
    const char *prefix, *kind;
  } phrases[] = {{"attempting double-free", "double-free"},
                 {"attempting free", "bad-free"},
                 {"requested allocation size", "allocation-size-too-big"},
                 {"allocator is out of memory", "out-of-memory"},
                 {"out of memory", "out-of-memory"},
                 {"calloc parameters overflow", "calloc-overflow"}};
  for (size_t i = 0; i < sizeof phrases / sizeof *phrases; i++)
    if (starts(p, e, phrases[i].prefix)) {
      snprintf(out, cap, "%s", phrases[i].kind);
      return;
    }
  const char *w = p;
  while (w < e && !isspace((unsigned char)*w))
    w++;
  if (w > p && w[-1] == ':')
    w--;
  normalise(p, w, out, cap);
}

/* A phrase up to its first ':' , ',' or " (", normalised. */
static void phrase_kind(const char *p, const char *e, const char *prefix,
                        bool hyphens, char *out, size_t cap) {
  const char *stop = p;
  while (stop < e && *stop != ':' && *stop != ',' &&
         !(*stop == ' ' && stop + 1 < e && stop[1] == '('))
    stop++;
  char text[KIND_MAX_CHARS];
  normalise(p, stop, text, sizeof text);
  for (char *c = text; hyphens && *c; c++)
    if (*c == ' ')
      *c = '-';
  snprintf(out, cap, "%s%s", prefix, text);
}

static void report_kind(const head *h, char *out, size_t cap) {
  switch (h->tool) {
  case T_LSAN:
    snprintf(out, cap, "memory-leak");
    break;
  case T_UBSAN_RUNTIME:
    phrase_kind(h->phrase, h->p_end, "UBSan: ", false, out, cap);
    break;
  case T_TSAN:
    phrase_kind(h->phrase, h->p_end, "", true, out, cap);
    break;
  default: /* ASan, MSan, UBSan's SEGV: one word */
    asan_kind(h->phrase, h->p_end, out, cap);
  }
}

/* ---- frames ---- */

static const char *base_name(const char *p, const char *e) {
  for (const char *q = e; q > p; q--)
    if (q[-1] == '/')
      return q;
  return p;
}

/* The function of a symbolized name: C++ parameters and templates' inner
 * commas and spaces stay inside, compiler clone suffixes (.isra.0,
 * .constprop.0, .part.0, .cold) and +0x offsets go. Returns the end of the
 * name in the line. */
static const char *function_name(const char *p, const char *e, char *out,
                                 size_t cap) {
  int depth = 0;
  const char *q = p;
  bool op = starts(p, e, "operator ");
  if (op)
    q += 9;
  for (; q < e; q++) {
    if (*q == '<')
      depth++;
    else if (*q == '>' && depth > 0)
      depth--;
    else if (depth == 0 && (*q == '(' || *q == ' '))
      break;
  }
  const char *name_end = q;
  static const char *const suffixes[] = {".constprop", ".isra",     ".part",
                                         ".cold",      ".lto_priv", "+0x"};
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    const char *s = find_in(p, name_end, suffixes[i]);
    if (s)
      name_end = s;
  }
  snprintf(out, cap, "%.*s", (int)(name_end - p), p);
  /* The rest of C++ parameters, to reach the location after them. */
  depth = 0;
  for (; q < e; q++) {
    if (*q == '(')
      depth++;
    else if (*q == ')' && depth > 0)
      depth--;
    else if (depth == 0 && *q == ' ')
      break;
  }
  return q;
}

typedef struct frame {
  char name[NAME_MAX_CHARS];
  const char *loc, *loc_end; /* "file.c:5:87", "(/lib/libc.so.6+0x...)" */
} frame;

/* "#3 0x55d4 in parse_frame /src/f.c:5:87", "#5 0x55d4 (/bin/srv+0x21)"
 * (unsymbolized: "srv+0x21"), TSan's "#0 parse_frame /src/f.c:5 (srv+0x2)".
 * False for a line that is no frame. */
static bool parse_frame(const char *p, const char *e, frame *f) {
  if (!is_frame(p, e))
    return false;
  p = skip_spaces(p, e) + 1;
  while (p < e && isdigit((unsigned char)*p))
    p++;
  p = skip_spaces(p, e);
  if (starts(p, e, "0x")) {
    while (p < e && !isspace((unsigned char)*p))
      p++;
    p = skip_spaces(p, e);
    if (starts(p, e, "in "))
      p += 3;
    else if (p < e && *p == '(') { /* no symbol: the module and offset */
      const char *close = memchr(p, ')', (size_t)(e - p));
      const char *mod_end = close ? close : e;
      const char *b = base_name(p + 1, mod_end);
      snprintf(f->name, sizeof f->name, "%.*s", (int)(mod_end - b), b);
      f->loc = p;
      f->loc_end = e;
      return true;
    }
  }
  const char *after = function_name(p, e, f->name, sizeof f->name);
  f->loc = skip_spaces(after, e);
  f->loc_end = trim_end(f->loc, e);
  return f->name[0] != '\0';
}

static bool has_prefix(const char *s, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strncmp(s, list[i], strlen(list[i])) == 0)
      return true;
  return false;
}

static bool loc_has(const frame *f, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (find_in(f->loc, f->loc_end, list[i]))
      return true;
  return false;
}

/* A frame of the sanitizer runtime (interceptors, the allocator, the
 * report machinery). */
static bool sanitizer_frame(const frame *f) {
  static const char *const names[] = {
      "__asan",         "__lsan",         "__ubsan",     "__msan",
      "__tsan",         "__hwasan",       "__sanitizer", "__interceptor",
      "___interceptor", "__interception", "__sancov"};
  static const char *const places[] = {
      "libsanitizer", "compiler-rt", "sanitizer_common", "/asan/",
      "/ubsan/",      "/lsan/",      "/msan/",           "/tsan/",
      "libasan.so",   "libubsan.so", "liblsan.so",       "libtsan.so",
      "libmsan",      "libclang_rt."};
  return has_prefix(f->name, names, sizeof names / sizeof *names) ||
         loc_has(f, places, sizeof places / sizeof *places);
}

/* A frame of libc, the C++ runtime or the loader: the allocator and string
 * functions the bug called, abort/raise on the way down, thread start. */
static bool libc_frame(const frame *f) {
  static const char *const exact[] = {
      "abort",        "raise",           "gsignal",        "_start",
      "start_thread", "clone",           "clone3",         "malloc",
      "calloc",       "realloc",         "reallocarray",   "free",
      "memalign",     "aligned_alloc",   "posix_memalign", "valloc",
      "strdup",       "strndup",         "memcpy",         "memmove",
      "memset",       "memcmp",          "memchr",         "bcmp",
      "strlen",       "strnlen",         "strcpy",         "strncpy",
      "strcat",       "strncat",         "strcmp",         "strncmp",
      "strchr",       "strrchr",         "strstr",         "malloc_printerr",
      "operator new", "operator delete", "operator new[]", "operator delete[]"};
  static const char *const prefixes[] = {
      "__GI_",        "__libc_",    "__pthread_",   "__assert",  "__cxa_",
      "__gxx_",       "_int_",      "__mem",        "__str",     "__clone",
      "__restore_rt", "__cxxabiv1", "std::__throw", "__fortify", "__chk_fail"};
  static const char *const places[] = {
      "libc.so",  "libc-2.", "libm.so",  "libpthread", "ld-linux", "libstdc++",
      "libgcc_s", "libc++",  "sysdeps/", "nptl/",      "csu/",     "/glibc"};
  for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
    if (strcmp(f->name, exact[i]) == 0)
      return true;
  return has_prefix(f->name, prefixes, sizeof prefixes / sizeof *prefixes) ||
         loc_has(f, places, sizeof places / sizeof *places);
}

/* Appends the names of the first WS_SIGNATURE_FRAMES frames of the
 * report's first stack that skip() does not reject, consecutive repeats
 * (recursion) once. The number of names written. */
static unsigned stack_names(const head *h, bool (*skip)(const frame *),
                            char *out, size_t cap) {
  unsigned n = 0;
  bool in_stack = false;
  char last[NAME_MAX_CHARS] = "";
  for (const char *p = next_line(h->line); p && *p; p = next_line(p)) {
    const char *e = line_end(p);
    frame f;
    head other;
    if (!parse_frame(p, e, &f)) {
      /* The first stack only; UBSan's follows its line at once. */
      if (in_stack || h->tool == T_UBSAN_RUNTIME || is_summary(p, e) ||
          head_at(p, &other))
        break;
      continue;
    }
    in_stack = true;
    if (skip(&f) || strcmp(f.name, last) == 0)
      continue;
    snprintf(last, sizeof last, "%s", f.name);
    size_t have = strlen(out);
    snprintf(out + have, cap - have, "%s%s", n ? " <- " : " in ", f.name);
    if (++n == WS_SIGNATURE_FRAMES)
      break;
  }
  return n;
}

static bool runtime_or_libc(const frame *f) {
  return sanitizer_frame(f) || libc_frame(f);
}

static void sanitizer_signature(const head *h, char *out, size_t cap) {
  report_kind(h, out, cap);
  size_t kind_len = strlen(out);
  if (stack_names(h, runtime_or_libc, out, cap))
    return;
  /* Every frame was libc's (a crash inside memcpy called from code
   * without symbols): name them rather than nothing. */
  out[kind_len] = '\0';
  if (stack_names(h, sanitizer_frame, out, cap))
    return;
  if (h->tool == T_UBSAN_RUNTIME && h->loc) {
    const char *b = base_name(h->loc, h->loc_end);
    size_t have = strlen(out);
    snprintf(out + have, cap - have, " at %.*s", (int)(h->loc_end - b), b);
  }
}

/* ---- crashes without a report ---- */

const char *ws_signal_name(int sig) {
  static const struct {
    int sig;
    const char *name;
  } names[] = {
      {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},
      {SIGILL, "SIGILL"},   {SIGFPE, "SIGFPE"},   {SIGTRAP, "SIGTRAP"},
      {SIGSYS, "SIGSYS"},   {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"},
      {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGPIPE, "SIGPIPE"},
      {SIGHUP, "SIGHUP"},   {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
      {SIGALRM, "SIGALRM"}, {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (names[i].sig == sig)
      return names[i].name;
  return NULL;
}

/* /bin/sh runs the command and may stay its parent: a server killed by
 * signal N then shows as the shell's status 128 + N. Both read the same. */
static void exit_text(const ws_fuzz_evidence *e, char *out, size_t cap) {
  const char *name = NULL;
  if (!e->exited)
    snprintf(out, cap, "crash");
  else if (e->signaled && (name = ws_signal_name(e->signal)))
    snprintf(out, cap, "%s", name);
  else if (e->signaled)
    snprintf(out, cap, "signal %d", e->signal);
  else if (e->status > 128 && (name = ws_signal_name(e->status - 128)))
    snprintf(out, cap, "%s", name);
  else
    snprintf(out, cap, "exit %d", e->status);
}

/* Words of a crash's last message (assertions, panics, aborts, allocator
 * checks) and words any error log line has. */
static bool strong_line(const char *p, const char *e) {
  static const char *const words[] = {"fatal",       "panic",
                                      "abort",       "assert",
                                      "terminate",   "corrupt",
                                      "double free", "stack smashing",
                                      "unreachable", "segmentation fault",
                                      "uncaught",    "unhandled",
                                      "exception"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (contains_ci(p, e, words[i]))
      return true;
  return false;
}

static bool weak_line(const char *p, const char *e) {
  static const char *const words[] = {"error",    "fail",     "invalid",
                                      "illegal",  "overflow", "fault",
                                      "detected", "killed"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (contains_ci(p, e, words[i]))
      return true;
  return false;
}

/* The first (or last) line of [from, ...) that want() accepts. */
static const char *pick_line(const char *from, bool last,
                             bool (*want)(const char *, const char *)) {
  const char *found = NULL;
  for (const char *p = from; p && *p; p = next_line(p))
    if (want(p, line_end(p))) {
      found = p;
      if (!last)
        break;
    }
  return found;
}

/* The line that best says what the crash was: the first line of the
 * input's own output that reads like a crash message, else the last such
 * line of all the output (written just before the end, maybe before the
 * input began: a crash seen late), else the first plain error line of the
 * input's own output. Logs of earlier inputs that merely say "error" are
 * never taken, so a chatty server's log does not name every crash. */
static const char *error_line(const ws_fuzz_evidence *e) {
  if (!e->output)
    return NULL;
  size_t len = strlen(e->output);
  const char *recent = e->output + (e->recent <= len ? e->recent : len);
  const char *l = pick_line(recent, false, strong_line);
  if (!l)
    l = pick_line(e->output, true, strong_line);
  if (!l)
    l = pick_line(recent, false, weak_line);
  return l;
}

void ws_fuzz_signature(const ws_fuzz_evidence *e, char *out, size_t cap) {
  out[0] = '\0';
  if (e->kind == WS_FUZZ_HANG) {
    snprintf(out, cap, "hang");
    return;
  }
  if (e->kind == WS_FUZZ_STUCK) {
    snprintf(out, cap, "stuck after close");
    return;
  }
  head h;
  if (e->output && find_report(e->output, e->reports_before, &h)) {
    sanitizer_signature(&h, out, cap);
    return;
  }
  exit_text(e, out, cap);
  const char *l = error_line(e);
  if (l) {
    char text[LINE_MAX_CHARS];
    normalise(l, line_end(l), text, sizeof text);
    size_t have = strlen(out);
    snprintf(out + have, cap - have, ": %s", text);
  }
}
