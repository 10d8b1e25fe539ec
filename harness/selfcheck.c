/* wsprobe selfcheck: a dozen fixed exchanges that show a server echoes,
 * answers pings, closes, fails bad input with the right close code and
 * refuses bad handshakes. Without a URL it checks the built-in reference
 * server, started in-process on a free loopback port: that is `make demo`
 * until the full case catalogue (`wsprobe test`) exists. */
#include "cli_args.h"
#include "client.h"
#include "clock.h"
#include "close.h"
#include "commands.h"
#include "echo_server.h"
#include "errors.h"
#include "hooks.h"

#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_context {
  const ws_url *url;
  int timeout_ms;
  char why[512];
};

typedef int (*check_fn)(struct check_context *ctx);

static int64_t deadline(const struct check_context *ctx) {
  return ws_now_ms() + ctx->timeout_ms;
}

__attribute__((format(printf, 2, 3))) static int
failed(struct check_context *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->why, sizeof ctx->why, fmt, ap);
  va_end(ap);
  return -1;
}

static int open_client(struct check_context *ctx, ws_client *c) {
  return ws_client_open(c, ctx->url, NULL, deadline(ctx), ctx->why,
                        sizeof ctx->why);
}

/* The next event that is not a ping from the server (a conformant server may
 * ping at any time, PROTOCOL.md 7a; those are answered and skipped). */
static int next_event(struct check_context *ctx, ws_client *c,
                      ws_message_event *ev) {
  for (;;) {
    int rc = ws_client_next(c, ev, deadline(ctx));
    if (rc <= 0)
      return failed(ctx, "%s",
                    rc == 0 ? "connection closed"
                            : "no event before the deadline");
    if (ev->type == WS_MSG_VIOLATION)
      return failed(ctx, "server violated the protocol: %s",
                    ws_error_message(ev->violation));
    if (ev->type != WS_MSG_PING)
      return 0;
    ws_client_send(c, WS_OP_PONG, ev->data, ev->len, deadline(ctx));
  }
}

static int expect_message(struct check_context *ctx, ws_client *c, int type,
                          const void *data, size_t len) {
  ws_message_event ev;
  if (next_event(ctx, c, &ev) != 0)
    return -1;
  if ((int)ev.type != type)
    return failed(ctx, "expected event type %d, got %d", type, (int)ev.type);
  if (ev.len != len || (len && memcmp(ev.data, data, len) != 0))
    return failed(ctx, "payload differs: sent %zu bytes, got %zu", len, ev.len);
  return 0;
}

/* A close frame with `code`, then the server closing TCP. */
static int expect_close(struct check_context *ctx, ws_client *c,
                        uint16_t code) {
  ws_message_event ev;
  if (next_event(ctx, c, &ev) != 0)
    return -1;
  if (ev.type != WS_MSG_CLOSE)
    return failed(ctx, "expected a close frame, got event type %d",
                  (int)ev.type);
  if (ev.close_code != code)
    return failed(ctx, "expected close code %u, got %u", code, ev.close_code);
  int rc = ws_client_next(c, &ev, deadline(ctx));
  if (rc != 0)
    return failed(ctx, "server did not close TCP after the close (%s)",
                  rc > 0 ? "more data" : strerror(-rc));
  return 0;
}

static int with_client(struct check_context *ctx,
                       int (*body)(struct check_context *, ws_client *)) {
  ws_client c;
  if (open_client(ctx, &c) != 0)
    return -1;
  int rc = body(ctx, &c);
  ws_client_close(&c);
  return rc;
}

static int echo_text_body(struct check_context *ctx, ws_client *c) {
  static const char msg[] = "Hello, wsprobe";
  ws_client_send(c, WS_OP_TEXT, msg, sizeof msg - 1, deadline(ctx));
  return expect_message(ctx, c, WS_MSG_TEXT, msg, sizeof msg - 1);
}
static int check_echo_text(struct check_context *ctx) {
  return with_client(ctx, echo_text_body);
}

static int echo_binary_body(struct check_context *ctx, ws_client *c) {
  uint8_t msg[256];
  for (int i = 0; i < 256; i++)
    msg[i] = (uint8_t)i;
  ws_client_send(c, WS_OP_BINARY, msg, sizeof msg, deadline(ctx));
  return expect_message(ctx, c, WS_MSG_BINARY, msg, sizeof msg);
}
static int check_echo_binary(struct check_context *ctx) {
  return with_client(ctx, echo_binary_body);
}

static int echo_empty_body(struct check_context *ctx, ws_client *c) {
  ws_client_send(c, WS_OP_TEXT, "", 0, deadline(ctx));
  return expect_message(ctx, c, WS_MSG_TEXT, "", 0);
}
static int check_echo_empty(struct check_context *ctx) {
  return with_client(ctx, echo_empty_body);
}

static int echo_large_body(struct check_context *ctx, ws_client *c) {
  size_t len = (size_t)1 << 20;
  uint8_t *msg = malloc(len);
  if (!msg)
    return failed(ctx, "out of memory");
  for (size_t i = 0; i < len; i++)
    msg[i] = (uint8_t)(i * 7 + 3);
  ws_client_send(c, WS_OP_BINARY, msg, len, deadline(ctx));
  int rc = expect_message(ctx, c, WS_MSG_BINARY, msg, len);
  free(msg);
  return rc;
}
static int check_echo_1mib(struct check_context *ctx) {
  return with_client(ctx, echo_large_body);
}

static int send_fragment(struct check_context *ctx, ws_client *c,
                         uint8_t opcode, bool fin, const char *p, size_t n) {
  ws_frame_spec spec = {.fin = fin, .opcode = opcode, .masked = true};
  ws_mask_key_new(spec.mask_key);
  return ws_client_send_frame(c, &spec, (const uint8_t *)p, n, deadline(ctx));
}

/* "κόσμε" cut inside its code points, with a ping between fragments: the
 * server must answer the ping at once and still reassemble the text. */
static int fragmented_body(struct check_context *ctx, ws_client *c) {
  static const char text[] = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
  send_fragment(ctx, c, WS_OP_TEXT, false, text, 3);
  send_fragment(ctx, c, WS_OP_PING, true, "mid", 3);
  send_fragment(ctx, c, WS_OP_CONTINUATION, false, text + 3, 4);
  send_fragment(ctx, c, WS_OP_CONTINUATION, true, text + 7,
                sizeof text - 1 - 7);
  if (expect_message(ctx, c, WS_MSG_PONG, "mid", 3) != 0)
    return -1;
  return expect_message(ctx, c, WS_MSG_TEXT, text, sizeof text - 1);
}
static int check_fragmented(struct check_context *ctx) {
  return with_client(ctx, fragmented_body);
}

static int ping_body(struct check_context *ctx, ws_client *c) {
  ws_client_send(c, WS_OP_PING, "probe", 5, deadline(ctx));
  return expect_message(ctx, c, WS_MSG_PONG, "probe", 5);
}
static int check_ping(struct check_context *ctx) {
  return with_client(ctx, ping_body);
}

static int close_body(struct check_context *ctx, ws_client *c) {
  uint8_t payload[125];
  size_t n = ws_close_build(1000, "bye", 3, payload);
  ws_client_send(c, WS_OP_CLOSE, payload, n, deadline(ctx));
  return expect_close(ctx, c, 1000);
}
static int check_close(struct check_context *ctx) {
  return with_client(ctx, close_body);
}

static int invalid_utf8_body(struct check_context *ctx, ws_client *c) {
  ws_client_send(c, WS_OP_TEXT, "ok\xff", 3, deadline(ctx));
  return expect_close(ctx, c, 1007);
}
static int check_invalid_utf8(struct check_context *ctx) {
  return with_client(ctx, invalid_utf8_body);
}

static int unmasked_body(struct check_context *ctx, ws_client *c) {
  ws_frame_spec spec = {.fin = true, .opcode = WS_OP_TEXT, .masked = false};
  ws_client_send_frame(c, &spec, (const uint8_t *)"bare", 4, deadline(ctx));
  return expect_close(ctx, c, 1002);
}
static int check_unmasked(struct check_context *ctx) {
  return with_client(ctx, unmasked_body);
}

static int reserved_opcode_body(struct check_context *ctx, ws_client *c) {
  ws_frame_spec spec = {.fin = true, .opcode = 3, .masked = true};
  ws_mask_key_new(spec.mask_key);
  ws_client_send_frame(c, &spec, NULL, 0, deadline(ctx));
  return expect_close(ctx, c, 1002);
}
static int check_reserved_opcode(struct check_context *ctx) {
  return with_client(ctx, reserved_opcode_body);
}

/* A raw request with one header changed; expects the given status. */
static int expect_refusal(struct check_context *ctx, const char *headers,
                          int status, bool wants_version_header) {
  char request[WS_URL_PATH_MAX + 1024];
  snprintf(request, sizeof request,
           "GET %s HTTP/1.1\r\n%s"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
           ctx->url->path, headers);
  ws_http_parser response;
  int rc = ws_client_http_exchange(ctx->url, request, &response, deadline(ctx),
                                   ctx->why, sizeof ctx->why);
  if (rc == 0) {
    const ws_http_message *m = ws_http_parser_message(&response);
    const ws_span *version = ws_http_field_get(m, "Sec-WebSocket-Version", 0);
    if (m->status != status)
      rc = failed(ctx, "expected HTTP %d, got %d", status, m->status);
    else if (wants_version_header && !(version && version->len == 2 &&
                                       memcmp(version->ptr, "13", 2) == 0))
      rc = failed(ctx, "refusal lacks Sec-WebSocket-Version: 13");
  }
  ws_http_parser_free(&response);
  return rc;
}

static int check_version_refusal(struct check_context *ctx) {
  char headers[512];
  snprintf(headers, sizeof headers, "Host: %s\r\nSec-WebSocket-Version: 8\r\n",
           ctx->url->authority);
  return expect_refusal(ctx, headers, 426, true);
}

static int check_missing_host(struct check_context *ctx) {
  return expect_refusal(ctx, "Sec-WebSocket-Version: 13\r\n", 400, false);
}

static const struct {
  const char *name;
  check_fn run;
} checks[] = {
    {"echo text", check_echo_text},
    {"echo binary (256 bytes)", check_echo_binary},
    {"echo empty text", check_echo_empty},
    {"echo 1 MiB binary", check_echo_1mib},
    {"fragmented UTF-8 text with a ping between fragments", check_fragmented},
    {"ping answered with the same payload", check_ping},
    {"close 1000 answered, server closes TCP", check_close},
    {"invalid UTF-8 fails with 1007", check_invalid_utf8},
    {"unmasked client frame fails with 1002", check_unmasked},
    {"reserved opcode fails with 1002", check_reserved_opcode},
    {"Sec-WebSocket-Version: 8 refused with 426 + version",
     check_version_refusal},
    {"request without Host refused with 400", check_missing_host},
};

static int run_checks(const ws_url *url, int timeout_ms) {
  int passed = 0, failures = 0;
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
    struct check_context ctx = {.url = url, .timeout_ms = timeout_ms};
    if (checks[i].run(&ctx) == 0) {
      printf("  pass  %s\n", checks[i].name);
      passed++;
    } else {
      printf("  FAIL  %s: %s\n", checks[i].name, ctx.why);
      failures++;
    }
  }
  printf("selfcheck: %d passed, %d failed\n", passed, failures);
  return failures ? WS_EXIT_FAILURES : WS_EXIT_OK;
}

static void *serve(void *server) {
  ws_echo_server_run(server);
  return NULL;
}

static int run_against_builtin(int timeout_ms) {
  ws_echo_server_options options;
  ws_echo_server_options_defaults(&options);
  ws_echo_server *server;
  int rc = ws_echo_server_open(&options, &server);
  if (rc < 0) {
    fprintf(stderr,
            "wsprobe: selfcheck: cannot start the reference server: %s\n",
            strerror(-rc));
    return WS_EXIT_USAGE;
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, serve, server) != 0) {
    ws_echo_server_close(server);
    fprintf(stderr, "wsprobe: selfcheck: cannot start a thread\n");
    return WS_EXIT_USAGE;
  }
  char text[64], err[128];
  snprintf(text, sizeof text, "ws://127.0.0.1:%u/",
           (unsigned)ws_echo_server_port(server));
  ws_url url;
  ws_url_parse(text, &url, err, sizeof err);
  printf("selfcheck of the built-in reference server at %s\n", text);
  rc = run_checks(&url, timeout_ms);
  ws_echo_server_stop(server);
  pthread_join(thread, NULL);
  ws_echo_server_close(server);
  return rc;
}

int ws_cmd_selfcheck(int argc, char **argv) {
  static const struct option longopts[] = {
      {"timeout-ms", required_argument, NULL, 't'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  uint64_t timeout_ms = 5000;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (opt == 't') {
      if (ws_arg_uint("--timeout-ms", optarg, 1, 600000, &timeout_ms) != 0)
        return WS_EXIT_USAGE;
    } else {
      FILE *out = opt == 'h' ? stdout : stderr;
      fprintf(out, "usage: wsprobe selfcheck [ws://host:port/path] "
                   "[--timeout-ms MS]\n\n"
                   "Without a URL, checks the built-in reference server.\n");
      return opt == 'h' ? WS_EXIT_OK : WS_EXIT_USAGE;
    }
  }
  if (argc - optind > 1) {
    fprintf(stderr, "wsprobe: selfcheck: one URL at most\n");
    return WS_EXIT_USAGE;
  }
  if (optind == argc)
    return run_against_builtin((int)timeout_ms);
  ws_url url;
  char err[256];
  if (ws_url_parse(argv[optind], &url, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: selfcheck: %s\n", err);
    return WS_EXIT_USAGE;
  }
  if (url.secure) {
    fprintf(stderr, "wsprobe: selfcheck: wss:// is not supported yet\n");
    return WS_EXIT_USAGE;
  }
  return run_checks(&url, (int)timeout_ms);
}
