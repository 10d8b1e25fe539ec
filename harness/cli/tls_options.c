#include "cli/tls_options.h"

#include <stdio.h>
#include <strings.h>

int ws_tls_options_take(int opt, const char *arg, ws_tls_options *o) {
  switch (opt) {
  case WS_OPT_TLS_CA:
    o->ca_file = arg;
    return 1;
  case WS_OPT_TLS_INSECURE:
    o->insecure = true;
    return 1;
  case WS_OPT_TLS_SNI:
    o->sni = arg;
    return 1;
  case WS_OPT_TLS_CERT:
    o->cert_file = arg;
    return 1;
  case WS_OPT_TLS_KEY:
    o->key_file = arg;
    return 1;
  default:
    return 0;
  }
}

bool ws_tls_options_given(const ws_tls_options *o) {
  return o->ca_file || o->insecure || o->sni || o->cert_file || o->key_file;
}

bool ws_tls_url_is_wss(const char *url) {
  return url && strncasecmp(url, "wss://", 6) == 0;
}

int ws_tls_options_check(const ws_tls_options *o, bool wss, const char *cmd) {
  if (!ws_tls_options_given(o))
    return 0;
  if (!wss) {
    fprintf(stderr,
            "wsprobe: %s: --ca, --insecure, --sni, --cert and --key go with "
            "a wss:// URL\n",
            cmd);
    return -1;
  }
  if (o->ca_file && o->insecure) {
    fprintf(stderr,
            "wsprobe: %s: --ca and --insecure contradict each other (give "
            "one)\n",
            cmd);
    return -1;
  }
  if (!o->cert_file != !o->key_file) {
    fprintf(stderr, "wsprobe: %s: --cert and --key go together\n", cmd);
    return -1;
  }
  if (o->sni && !*o->sni) {
    fprintf(stderr, "wsprobe: %s: --sni: the name is empty\n", cmd);
    return -1;
  }
  return 0;
}

ws_tls_context *ws_tls_options_context(const ws_tls_options *o,
                                       const char *cmd) {
  ws_tls_client_config c = {.ca_file = o->ca_file,
                            .insecure = o->insecure,
                            .cert_file = o->cert_file,
                            .key_file = o->key_file};
  ws_tls_context *ctx;
  char err[512];
  if (ws_tls_client_context(&c, &ctx, err, sizeof err) != 0) {
    fprintf(stderr, "wsprobe: %s: %s\n", cmd, err);
    return NULL;
  }
  return ctx;
}
