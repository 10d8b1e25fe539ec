/* The accepting side of TLS, for a harness that plays the server (`wsprobe
 * serve` testing clients over wss://): a context from a certificate and its
 * key, and the handshake over an accepted socket. */
#include "io/tls_internal.h"

#include "util/clock.h"
#include "util/syserr.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int file_error(const char *what, const char *path, char *err,
                      size_t cap) {
  FILE *f = fopen(path, "r");
  char why[128];
  if (!f) {
    snprintf(err, cap, "%s %s: %s", what, path,
             ws_strerror(errno, why, sizeof why));
    return -1;
  }
  fclose(f);
  unsigned long e = ERR_peek_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  snprintf(err, cap, "%s %s: not usable as PEM (%s)", what, path,
           r ? r : "unreadable");
  return -1;
}

int ws_tls_server_context(const char *cert_file, const char *key_file,
                          ws_tls_context **out, char *err, size_t cap) {
  *out = NULL;
  ws_tls_context *x = calloc(1, sizeof *x);
  if (!x || !(x->ctx = SSL_CTX_new(TLS_server_method()))) {
    free(x);
    snprintf(err, cap, "cannot create a TLS context (out of memory)");
    return -1;
  }
  SSL_CTX_set_mode(x->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  ERR_clear_error();
  int rc = 0;
  if (SSL_CTX_use_certificate_chain_file(x->ctx, cert_file) != 1)
    rc = file_error("certificate", cert_file, err, cap);
  /* Loading the key already checks it against the certificate. */
  else if (SSL_CTX_use_PrivateKey_file(x->ctx, key_file, SSL_FILETYPE_PEM) !=
               1 &&
           ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
    rc = file_error("private key", key_file, err, cap);
  else if (ERR_peek_last_error() || SSL_CTX_check_private_key(x->ctx) != 1) {
    snprintf(err, cap, "private key %s does not match certificate %s", key_file,
             cert_file);
    rc = -1;
  }
  ERR_clear_error();
  if (rc != 0) {
    ws_tls_context_free(x);
    return -1;
  }
  *out = x;
  return 0;
}

int ws_tls_accept(ws_tls_context *ctx, int fd, int64_t deadline_ms,
                  ws_transport **out, char *err, size_t cap) {
  *out = NULL;
  ws_tls *t = ws_tls_new(ctx, fd, true);
  if (!t) {
    close(fd);
    snprintf(err, cap, "out of memory starting TLS");
    return -ENOMEM;
  }
  int budget = ws_ms_until(deadline_ms);
  char reason[160];
  int rc = ws_tls_handshake(t, deadline_ms, reason, sizeof reason);
  if (rc == 0) {
    *out = &t->base;
    return 0;
  }
  ws_tls_explain(t, rc, reason, "client", budget, err, cap);
  ws_tls_destroy(t);
  return rc;
}
