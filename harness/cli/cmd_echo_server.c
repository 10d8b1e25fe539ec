/* wsprobe echo-server: the reference server as a process. */
#include "cli/cli_args.h"
#include "cli/commands.h"
#include "server/echo_server.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static ws_echo_server *running_server;

static void on_stop_signal(int sig) {
  (void)sig;
  if (running_server)
    ws_echo_server_stop(running_server);
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: wsprobe echo-server [options]\n\n"
          "The reference WebSocket echo server (RFC 6455, strict; RFC 7692\n"
          "permessage-deflate when the client offers it). Prints\n"
          "'listening on ws://HOST:PORT/' (wss:// with --tls-cert) once "
          "ready;\nSIGINT/SIGTERM stop it.\n\n"
          "  --port N               port to listen on; 0 picks a free one "
          "(default 9001)\n"
          "  --host ADDR            numeric address to bind (default "
          "127.0.0.1)\n"
          "  --max-message BYTES    largest message, then close 1009 "
          "(default 64M)\n"
          "  --handshake-timeout MS deadline for the opening handshake "
          "(default 10000)\n"
          "  --close-timeout MS     deadline for the peer's close reply "
          "(default 5000)\n"
          "  --max-connections N    connections served at once (default "
          "100000)\n"
          "  --no-deflate           decline permessage-deflate offers "
          "(RFC 7692)\n"
          "  --tls-cert FILE        serve wss://: the certificate chain "
          "(PEM)\n"
          "  --tls-key FILE         its private key (PEM), with "
          "--tls-cert\n");
}

/* 10,000 idle connections need more descriptors than the usual soft limit. */
static void raise_fd_limit(void) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

/* --tls-cert and --tls-key: the files (the context is built once parsing
 * is done, so a usage error is reported before a file error). */
struct tls_files {
  const char *cert, *key;
};

static int parse_options(int argc, char **argv, ws_echo_server_options *o,
                         struct tls_files *tls) {
  enum {
    OPT_PORT = 256,
    OPT_HOST,
    OPT_MAX_MESSAGE,
    OPT_HS_TIMEOUT,
    OPT_CLOSE_TIMEOUT,
    OPT_MAX_CONN,
    OPT_NO_DEFLATE,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_HELP
  };
  static const struct option longopts[] = {
      {"port", required_argument, NULL, OPT_PORT},
      {"host", required_argument, NULL, OPT_HOST},
      {"max-message", required_argument, NULL, OPT_MAX_MESSAGE},
      {"handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT},
      {"close-timeout", required_argument, NULL, OPT_CLOSE_TIMEOUT},
      {"max-connections", required_argument, NULL, OPT_MAX_CONN},
      {"no-deflate", no_argument, NULL, OPT_NO_DEFLATE},
      {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
      {"tls-key", required_argument, NULL, OPT_TLS_KEY},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0}};
  uint64_t v;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
    case OPT_PORT:
      if (ws_arg_uint("--port", optarg, 0, 65535, &v) != 0)
        return -1;
      o->port = (uint16_t)v;
      break;
    case OPT_HOST:
      o->host = optarg;
      break;
    case OPT_MAX_MESSAGE:
      if (ws_arg_bytes("--max-message", optarg, 1, (uint64_t)1 << 40, &v) != 0)
        return -1;
      o->conn.max_message = (size_t)v;
      o->conn.max_backlog = 2 * o->conn.max_message + 65536;
      break;
    case OPT_HS_TIMEOUT:
      if (ws_arg_uint("--handshake-timeout", optarg, 1, 3600000, &v) != 0)
        return -1;
      o->handshake_timeout_ms = (int)v;
      break;
    case OPT_CLOSE_TIMEOUT:
      if (ws_arg_uint("--close-timeout", optarg, 1, 3600000, &v) != 0)
        return -1;
      o->closing_timeout_ms = (int)v;
      break;
    case OPT_MAX_CONN:
      if (ws_arg_uint("--max-connections", optarg, 1, 10000000, &v) != 0)
        return -1;
      o->max_connections = (size_t)v;
      break;
    case OPT_NO_DEFLATE:
      o->conn.no_deflate = true;
      break;
    case OPT_TLS_CERT:
      tls->cert = optarg;
      break;
    case OPT_TLS_KEY:
      tls->key = optarg;
      break;
    case OPT_HELP:
    case 'h':
      usage(stdout);
      return 1;
    default:
      usage(stderr);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "wsprobe: echo-server: unexpected argument '%s'\n",
            argv[optind]);
    return -1;
  }
  if (!tls->cert != !tls->key) {
    fprintf(stderr, "wsprobe: echo-server: --tls-cert and --tls-key go "
                    "together\n");
    return -1;
  }
  return 0;
}

int ws_cmd_echo_server(int argc, char **argv) {
  ws_echo_server_options options;
  ws_echo_server_options_defaults(&options);
  options.port = 9001;
  struct tls_files files = {0};
  int rc = parse_options(argc, argv, &options, &files);
  if (rc != 0)
    return rc > 0 ? WS_EXIT_OK : WS_EXIT_USAGE;
  char err[512];
  if (files.cert && ws_server_tls_new(files.cert, files.key, &options.tls, err,
                                      sizeof err) != 0) {
    fprintf(stderr, "wsprobe: echo-server: %s\n", err);
    return WS_EXIT_USAGE;
  }

  raise_fd_limit();
  ws_echo_server *server;
  rc = ws_echo_server_open(&options, &server);
  if (rc < 0) {
    fprintf(stderr, "wsprobe: echo-server: cannot listen on %s:%u: %s\n",
            options.host ? options.host : "127.0.0.1", (unsigned)options.port,
            strerror(-rc));
    ws_server_tls_free(options.tls);
    return WS_EXIT_USAGE;
  }
  running_server = server;
  struct sigaction sa = {.sa_handler = on_stop_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  const char *host = options.host ? options.host : "127.0.0.1";
  bool v6 = strchr(host, ':') != NULL;
  printf("listening on %s://%s%s%s:%u/\n", options.tls ? "wss" : "ws",
         v6 ? "[" : "", host, v6 ? "]" : "",
         (unsigned)ws_echo_server_port(server));
  fflush(stdout);

  rc = ws_echo_server_run(server);
  running_server = NULL;
  ws_echo_server_close(server);
  ws_server_tls_free(options.tls);
  if (rc < 0) {
    fprintf(stderr, "wsprobe: echo-server: %s\n", strerror(-rc));
    return WS_EXIT_USAGE;
  }
  return WS_EXIT_OK;
}
