/* The client TLS options that `wsprobe test` and `wsprobe fuzz` share for
 * wss:// targets: --ca FILE, --insecure, --sni NAME, --cert FILE, --key
 * FILE. They only go with a wss:// URL (anything else is a usage error,
 * rather than options silently ignored). */
#ifndef WS_HARNESS_TLS_OPTIONS_H
#define WS_HARNESS_TLS_OPTIONS_H

#include "io/tls.h"

#include <getopt.h>
#include <stdbool.h>

/* getopt_long values, past every char and the commands' own. */
enum {
  WS_OPT_TLS_CA = 0x200,
  WS_OPT_TLS_INSECURE,
  WS_OPT_TLS_SNI,
  WS_OPT_TLS_CERT,
  WS_OPT_TLS_KEY,
};

#define WS_TLS_LONGOPTS                                                        \
  {"ca", required_argument, NULL, WS_OPT_TLS_CA},                              \
      {"insecure", no_argument, NULL, WS_OPT_TLS_INSECURE},                    \
      {"sni", required_argument, NULL, WS_OPT_TLS_SNI},                        \
      {"cert", required_argument, NULL, WS_OPT_TLS_CERT}, {                    \
    "key", required_argument, NULL, WS_OPT_TLS_KEY                             \
  }

/* The lines of --help that describe them. */
#define WS_TLS_USAGE                                                           \
  "  --ca FILE             wss://: trust the CA certificates in FILE (PEM)\n"  \
  "                        instead of the system store\n"                      \
  "  --insecure            wss://: do not check the server's certificate\n"    \
  "                        or name\n"                                          \
  "  --sni NAME            wss://: the TLS server name sent and checked\n"     \
  "                        (default: the URL's host)\n"                        \
  "  --cert FILE           wss://: a client certificate (PEM), with --key\n"   \
  "  --key FILE            wss://: its private key (PEM)\n"

typedef struct ws_tls_options {
  const char *ca_file;
  bool insecure;
  const char *sni;
  const char *cert_file;
  const char *key_file;
} ws_tls_options;

/* Takes opt when it is one of ours: 1 taken, 0 not a TLS option. */
int ws_tls_options_take(int opt, const char *arg, ws_tls_options *o);

/* Whether any was given. */
bool ws_tls_options_given(const ws_tls_options *o);

/* Whether url (may be NULL) is a wss:// URL. */
bool ws_tls_url_is_wss(const char *url);

/* Checks them; wss says whether the command has a wss:// target (an
 * Autobahn spec may list some). 0, or -1 with "wsprobe: CMD: ..." on
 * stderr: TLS options without a wss:// target, --ca with --insecure,
 * --cert without --key or the reverse, an empty --sni. */
int ws_tls_options_check(const ws_tls_options *o, bool wss, const char *cmd);

/* The client context they describe. NULL with "wsprobe: CMD: ..." on
 * stderr (a file that cannot be read, a key that does not match). */
ws_tls_context *ws_tls_options_context(const ws_tls_options *o,
                                       const char *cmd);

#endif
