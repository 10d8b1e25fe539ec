/* wsprobe show ID: one case as the harness sees it: its info, its steps
 * re-rendered, its expectations, and the bytes it sends.
 *
 * The bytes come from case/case_bytes.c, as the engine's do: the same
 * request builder and the same key stream (the handshake key, then a mask
 * key per random-masked frame). The engine masks its own replies (pongs,
 * the answering close) from a separate generator, so the bytes shown are
 * exact whatever the target does. */
#include "case/case_bytes.h"
#include "case/stream.h"
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "cli/test_options.h"
#include "cli/wire_format.h"
#include "codec/frame.h"
#include "codec/handshake.h"
#include "io/url.h"
#include "util/prng.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_URL "ws://127.0.0.1:9001/"

typedef struct show_options {
  const char *id;
  uint64_t seed;
  const char *url;
  const char *origin;
  char *extra_headers;
  ws_case_sources src;
  enum ws_role role; /* --role: which side's catalogue */
} show_options;

/* ---- steps as written ---- */

/* One payload term: a string when the bytes are mostly printable (UTF-8
 * text included, written as it is: a string holds its bytes), else hex.
 * Valid case syntax either way. */
static void payload_term(FILE *out, const uint8_t *p, size_t n) {
  size_t odd = 0;
  for (size_t i = 0; i < n; i++) {
    size_t text = ws_wire_printable_utf8(p + i, n - i);
    if (text)
      i += text - 1;
    else
      odd += (p[i] < 0x20 || p[i] >= 0x7F) && p[i] != '\n' && p[i] != '\t';
  }
  if (n && odd * 4 > n) {
    fputs("hex\"", out);
    for (size_t i = 0; i < n; i++)
      fprintf(out, "%s%02x", i ? " " : "", p[i]);
    fputc('"', out);
    return;
  }
  fputc('"', out);
  for (size_t i = 0; i < n; i++) {
    size_t text = ws_wire_printable_utf8(p + i, n - i);
    if (text) {
      fwrite(p + i, 1, text, out);
      i += text - 1;
    } else if (p[i] == '"' || p[i] == '\\')
      fprintf(out, "\\%c", p[i]);
    else if (p[i] == '\n')
      fputs("\\n", out);
    else if (p[i] == '\t')
      fputs("\\t", out);
    else if (p[i] < 0x20 || p[i] >= 0x7F)
      fprintf(out, "\\x%02x", p[i]);
    else
      fputc(p[i], out);
  }
  fputc('"', out);
}

static void payload_expr(FILE *out, const ws_bytes *b) {
  size_t same = 1;
  while (same < b->len && b->ptr[same] == b->ptr[0])
    same++;
  if (b->len >= 8 && same == b->len) {
    payload_term(out, b->ptr, 1);
    fprintf(out, " * %zu", b->len);
    return;
  }
  size_t shown = b->len > 64 ? 64 : b->len;
  payload_term(out, b->ptr, shown);
  if (shown < b->len)
    fprintf(out, " + ... (%zu bytes in all)", b->len);
}

static bool plain_frame(const ws_step_frame *f) {
  return f->fin && f->rsv == 0 && f->mask == WS_MASK_RANDOM &&
         f->length_form == WS_LEN_MINIMAL && !f->lie_length;
}

static void frame_fields(FILE *out, const ws_step *s) {
  const ws_step_frame *f = &s->frame;
  if (ws_opcode_is_reserved(f->opcode))
    fprintf(out, "frame op=%u", f->opcode);
  else
    fprintf(out, "frame op=%s", ws_opcode_name(f->opcode));
  fprintf(out, " fin=%d", f->fin ? 1 : 0);
  if (f->rsv)
    fprintf(out, " rsv=%u", f->rsv);
  if (f->mask == WS_MASK_NONE)
    fputs(" mask=no", out);
  else if (f->mask == WS_MASK_FIXED)
    fprintf(out, " mask=%02x%02x%02x%02x", f->mask_key[0], f->mask_key[1],
            f->mask_key[2], f->mask_key[3]);
  if (f->length_form != WS_LEN_MINIMAL)
    fprintf(out, " length-form=%d",
            f->length_form == WS_LEN_7BIT    ? 7
            : f->length_form == WS_LEN_16BIT ? 16
                                             : 64);
  if (f->lie_length)
    fprintf(out, " declared=%llu", (unsigned long long)f->declared_length);
  fputs(" payload=", out);
  payload_expr(out, &s->payload);
}

static void frame_step(FILE *out, const ws_step *s) {
  uint8_t op = s->frame.opcode;
  bool data = op == WS_OP_TEXT || op == WS_OP_BINARY;
  if (!plain_frame(&s->frame) || (data && !s->compress) ||
      !(data || op == WS_OP_PING || op == WS_OP_PONG || op == WS_OP_CLOSE)) {
    frame_fields(out, s);
  } else if (op == WS_OP_CLOSE && s->payload.len == 1) {
    fputs("close-raw ", out);
    payload_expr(out, &s->payload);
  } else if (op == WS_OP_CLOSE) {
    fputs("close", out);
    if (s->payload.len >= 2)
      fprintf(out, " %u",
              (unsigned)(s->payload.ptr[0] << 8 | s->payload.ptr[1]));
    if (s->payload.len > 2) {
      ws_bytes reason = {s->payload.ptr + 2, s->payload.len - 2};
      fputc(' ', out);
      payload_expr(out, &reason);
    }
  } else {
    fprintf(out, "%s ", ws_opcode_name(op));
    payload_expr(out, &s->payload);
  }
}

static void step_text(FILE *out, const ws_step *s) {
  switch (s->kind) {
  case WS_STEP_FRAME:
    frame_step(out, s);
    break;
  case WS_STEP_FRAGMENTED:
    fprintf(out, "fragmented %s ", ws_opcode_name(s->frame.opcode));
    payload_expr(out, &s->payload);
    fprintf(out, " in %zu", s->fragment_size);
    if (s->frame.rsv & WS_RSV1)
      fputs(" deflated", out);
    else if (!s->compress)
      fputs(" uncompressed", out);
    break;
  case WS_STEP_RAW:
    fputs("raw ", out);
    payload_expr(out, &s->payload);
    break;
  case WS_STEP_CHOP:
    if (s->number)
      fprintf(out, "chop %llu", (unsigned long long)s->number);
    else
      fputs("chop off", out);
    break;
  case WS_STEP_COALESCE:
    fputs("coalesce", out);
    break;
  case WS_STEP_FLUSH:
    fputs("flush", out);
    break;
  case WS_STEP_AWAIT:
    fputs("await", out);
    break;
  case WS_STEP_WAIT:
    fprintf(out, "wait %llu", (unsigned long long)s->number);
    break;
  case WS_STEP_HANDSHAKE:
    fputs("handshake", out);
    if (s->protocols)
      fprintf(out, " protocols=\"%s\"", s->protocols);
    if (s->extensions)
      fprintf(out, " extensions=\"%s\"", s->extensions);
    if (s->coalesce)
      fputs(" coalesce=yes", out);
    break;
  case WS_STEP_REQUEST:
    fprintf(out, "request (%zu bytes%s)", s->payload.len,
            s->request_is_template ? ", {host} {path} {key} substituted" : "");
    break;
  case WS_STEP_RESPONSE:
    fprintf(out, "response (%zu bytes%s)", s->payload.len,
            s->request_is_template
                ? ", {accept} {key} {protocol} from the client's request"
                : "");
    break;
  case WS_STEP_STREAM: {
    char text[160];
    ws_stream_step_text(s, text, sizeof text);
    fputs(text, out);
    return; /* every streamed message is echoed: no "echo" to add */
  }
  }
  if (s->echo)
    fputs(" echo", out);
}

/* ---- info, steps, expectations ---- */

static void print_info(const ws_case *c) {
  printf("case %s: %s\n", c->id, c->title ? c->title : "");
  printf("  area       %s\n  rfc        %s\n  level      %s\n",
         c->area ? c->area : "", c->rfc ? c->rfc : "",
         ws_case_level_name(c->level));
  if (c->autobahn)
    printf("  autobahn   %s\n", c->autobahn);
  printf("  timeout    %u ms (times --timeout-scale)\n",
         c->timeout_ms ? c->timeout_ms : WS_CASE_DEFAULT_TIMEOUT_MS);
  if (c->serial)
    printf("  serial     yes (runs alone, after the parallel cases)\n");
  if (c->roles != WS_ROLES_CLIENT)
    printf("  role       %s\n", ws_case_roles_name(c->roles));
  if (c->file)
    printf("  file       %s:%d\n", c->file, c->line);
  if (c->description)
    printf("\n  %s\n", c->description);
  printf("\nsteps:\n");
  if (c->step_count == 0)
    printf("  (none: the default handshake only)\n");
  for (size_t i = 0; i < c->step_count; i++) {
    const ws_step *s = &c->steps[i];
    printf("  %3zu  %s%s", i + 1, s->label ? s->label : "",
           s->label ? ": " : "");
    step_text(stdout, s);
    putchar('\n');
  }
  printf("\nexpect (the first line that holds gives the verdict):\n");
  for (size_t i = 0; i < c->outcome_count; i++)
    printf("  %-14s %s\n", ws_verdict_name(c->outcomes[i].grade),
           c->outcomes[i].text ? c->outcomes[i].text : "");
}

/* ---- bytes ---- */

typedef struct show_ctx {
  const show_options *o;
  ws_url url;
  ws_prng prng;
  char key[WS_KEY_LEN + 1];
  ws_wire_formatter fmt;
} show_ctx;

static void show_bytes(show_ctx *x, const char *what, const uint8_t *bytes,
                       size_t len) {
  printf("  %s: %zu byte%s\n", what, len, len == 1 ? "" : "s");
  ws_wire_format_bytes(&x->fmt, stdout, false, bytes, len);
}

/* The opening request exactly as the engine builds it (case/case_bytes.h):
 * the default handshake, a HANDSHAKE step's, or a REQUEST step's bytes with
 * {host} {path} {key} replaced. Never cut: what is printed is what is sent. */
static void show_request(show_ctx *x, const ws_step *step) {
  ws_request_target target = {.authority = x->url.authority,
                              .path = x->url.path,
                              .origin = x->o->origin,
                              .extra_headers = x->o->extra_headers};
  ws_buf req = {0};
  bool raw = step && step->kind == WS_STEP_REQUEST;
  if (ws_case_request(step, &target, x->key, &req) != 0)
    printf("  %s: cannot be built\n",
           raw ? "step 1: raw request" : "handshake request");
  else
    show_bytes(x, raw ? "step 1: raw request" : "handshake request", req.ptr,
               req.len);
  ws_buf_free(&req);
}

static void show_frame(show_ctx *x, size_t index, const ws_step *s,
                       ws_frame_spec *spec, const uint8_t *payload,
                       size_t len) {
  size_t cap = len + WS_FRAME_MAX_HEADER;
  uint8_t *buf = malloc(cap);
  ssize_t n = buf ? ws_frame_encode(spec, payload, len, buf, cap) : -1;
  char what[96];
  snprintf(what, sizeof what, "step %zu%s%s", index + 1, s->label ? ": " : "",
           s->label ? s->label : "");
  if (n < 0)
    printf("  %s: cannot be encoded (the runner skips it)\n", what);
  else
    show_bytes(x, what, buf, (size_t)n);
  free(buf);
}

static void show_step(show_ctx *x, size_t index, const ws_step *s) {
  if (s->kind == WS_STEP_FRAME) {
    ws_frame_spec spec;
    ws_step_frame_spec(s, WS_ROLE_CLIENT, &x->prng, &spec);
    show_frame(x, index, s, &spec, s->payload.ptr, s->payload.len);
  } else if (s->kind == WS_STEP_FRAGMENTED) {
    ws_fragments it;
    ws_frame_spec spec;
    const uint8_t *payload;
    size_t len;
    ws_fragments_begin(&it, s, WS_ROLE_CLIENT);
    while (ws_fragments_next(&it, &x->prng, &spec, &payload, &len))
      show_frame(x, index, s, &spec, payload, len);
  } else if (s->kind == WS_STEP_RAW) {
    char what[96];
    snprintf(what, sizeof what, "step %zu%s%s: raw bytes", index + 1,
             s->label ? ": " : "", s->label ? s->label : "");
    show_bytes(x, what, s->payload.ptr, s->payload.len);
  }
}

static void print_bytes(const ws_case *c, const show_options *o,
                        const ws_url *url) {
  show_ctx x = {.o = o, .url = *url};
  ws_wire_formatter_init(&x.fmt);
  /* The runner's order: the nonce first, then the mask keys. */
  ws_case_keys_init(&x.prng, o->seed, c->id, x.key);
  printf("\nbytes sent with --seed %llu to %s%s:\n",
         (unsigned long long)o->seed, o->url ? o->url : DEFAULT_URL,
         o->url ? "" : " (pass --url for another target)");
  /* As the runner: `chop` steps may precede the opening step. */
  size_t first = 0;
  while (first < c->step_count && c->steps[first].kind == WS_STEP_CHOP)
    first++;
  size_t i = first + 1;
  if (first < c->step_count && c->steps[first].kind == WS_STEP_RESPONSE) {
    /* The answer to a client's request: shown as the case writes it, its
     * placeholders filled in from each request at run time. */
    show_bytes(&x, "step 1: response (as written)", c->steps[first].payload.ptr,
               c->steps[first].payload.len);
  } else if (first < c->step_count &&
             (c->steps[first].kind == WS_STEP_REQUEST ||
              c->steps[first].kind == WS_STEP_HANDSHAKE)) {
    show_request(&x, &c->steps[first]);
  } else {
    show_request(&x, NULL);
    i = 0;
  }
  for (; i < c->step_count; i++)
    show_step(&x, i, &c->steps[i]);
  printf("\nThese are the exact bytes `wsprobe test --seed %llu` sends "
         "(pongs and the answering\nclose the harness may add are not "
         "shown); chop/coalesce/wait change how\nthe bytes are written, not "
         "the bytes.\n",
         (unsigned long long)o->seed);
}

/* ---- command ---- */

static void usage(FILE *out) {
  fprintf(
      out,
      "usage: wsprobe show ID [--seed S] [--url URL] [--origin O] "
      "[--header \"K: V\"]...\n"
      "                     [--case-file F]... [--cases-dir D]... "
      "[--role client|server]\n\n"
      "Prints a case: info, steps, expectations, and the exact bytes "
      "it sends with\nthat seed (default 0) to that URL (default " DEFAULT_URL
      ").\n"
      "--role server shows a case of `wsprobe serve` (the harness as the "
      "server);\nits bytes are not printed (they go unmasked, after the "
      "client's request).\n");
}

static int parse(int argc, char **argv, show_options *o) {
  static const struct option longopts[] = {
      {"seed", required_argument, NULL, 's'},
      {"url", required_argument, NULL, 'u'},
      {"origin", required_argument, NULL, 'O'},
      {"header", required_argument, NULL, 'H'},
      {"case-file", required_argument, NULL, 'f'},
      {"cases-dir", required_argument, NULL, 'd'},
      {"role", required_argument, NULL, 'r'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  char err[256];
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    int rc = 0;
    if (opt == 's')
      rc = ws_arg_uint("--seed", optarg, 0, UINT64_MAX, &o->seed);
    else if (opt == 'u')
      o->url = optarg;
    else if (opt == 'O')
      o->origin = optarg;
    else if (opt == 'H') {
      rc = ws_test_header_append(&o->extra_headers, optarg, err, sizeof err);
      if (rc != 0)
        fprintf(stderr, "wsprobe: --header: %s\n", err);
    } else if (opt == 'f')
      rc = ws_test_sources_add(&o->src.files, &o->src.file_count, optarg);
    else if (opt == 'd')
      rc = ws_test_sources_add(&o->src.dirs, &o->src.dir_count, optarg);
    else if (opt == 'r')
      rc = ws_test_parse_role(optarg, &o->role);
    else if (opt == 'h' || opt == '?') {
      usage(opt == 'h' ? stdout : stderr);
      return opt == 'h' ? 1 : -1;
    }
    if (rc != 0)
      return -1;
  }
  if (argc - optind != 1) {
    usage(stderr);
    return -1;
  }
  o->id = argv[optind];
  return 0;
}

static int show(const show_options *o) {
  char err[1024];
  ws_url url;
  if (ws_url_parse(o->url ? o->url : DEFAULT_URL, &url, err, sizeof err)) {
    fprintf(stderr, "wsprobe: show: %s\n", err);
    return WS_EXIT_USAGE;
  }
  ws_catalogue *cat =
      ws_test_load_catalogue(o->role, o->seed, &o->src, err, sizeof err);
  if (!cat) {
    fprintf(stderr, "wsprobe: %s\n", err);
    return WS_EXIT_USAGE;
  }
  const ws_case *c = ws_catalogue_find(cat, o->id);
  int rc = WS_EXIT_OK;
  if (!c) {
    fprintf(stderr, "wsprobe: show: no case '%s' (see 'wsprobe list')\n",
            o->id);
    rc = WS_EXIT_USAGE;
  } else {
    print_info(c);
    if (o->role == WS_ROLE_CLIENT)
      print_bytes(c, o, &url);
    else
      printf("\nAs the server, the harness answers the client's request "
             "with a 101 (from the\ncase's `handshake` step), then plays "
             "the steps with unmasked frames.\n");
  }
  ws_catalogue_free(cat);
  return rc;
}

int ws_cmd_show(int argc, char **argv) {
  show_options o = {0};
  int rc = parse(argc, argv, &o);
  if (rc == 0)
    rc = show(&o);
  else
    rc = rc > 0 ? WS_EXIT_OK : WS_EXIT_USAGE;
  free(o.extra_headers);
  ws_test_sources_free(&o.src);
  return rc;
}
