/* The client side of TLS: the context a run shares (trust store, client
 * certificate, ALPN) and the handshake with a server, whose failures are
 * told in one line each: an untrusted certificate, a name it does not hold,
 * a server that speaks plain HTTP, a silent one, an alert. */
#include "io/tls_internal.h"

#include "util/clock.h"
#include "util/syserr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A plain HTTP server reads a ClientHello as the start of a request line
 * and waits for its end, which never comes: after this long without a byte
 * from the server, a second connection asks it a plain HTTP question. A TLS
 * server answers a ClientHello in milliseconds, so it is rarely asked. */
#define PLAIN_ASK_AFTER_MS 1000
#define PLAIN_ASK_MS 1000

/* RFC 6455 is HTTP/1.1: a server that negotiates ALPN (and would pick h2
 * when offered nothing else) must see that this client speaks only that. */
static const unsigned char alpn_http11[] = "\x08http/1.1";

static void openssl_reason(char *out, size_t cap) {
  unsigned long e = ERR_peek_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  snprintf(out, cap, "%s", r ? r : "unreadable");
}

/* A file OpenSSL is about to read: its own errors for a missing file are
 * vague ("system lib"), so the reason comes from fopen first. */
static int check_readable(const char *what, const char *path, char *err,
                          size_t cap) {
  FILE *f = fopen(path, "r");
  if (f) {
    fclose(f);
    return 0;
  }
  char why[128];
  snprintf(err, cap, "%s %s: %s", what, path,
           ws_strerror(errno, why, sizeof why));
  return -1;
}

static int load_failed(const char *what, const char *path, char *err,
                       size_t cap) {
  char why[128];
  openssl_reason(why, sizeof why);
  snprintf(err, cap, "%s %s: not usable as PEM (%s)", what, path, why);
  return -1;
}

static int load_trust(ws_tls_context *x, const ws_tls_client_config *c,
                      char *err, size_t cap) {
  if (c->insecure) {
    SSL_CTX_set_verify(x->ctx, SSL_VERIFY_NONE, NULL);
    return 0;
  }
  SSL_CTX_set_verify(x->ctx, SSL_VERIFY_PEER, NULL);
  if (!c->ca_file) {
    if (SSL_CTX_set_default_verify_paths(x->ctx) != 1) {
      snprintf(err, cap, "cannot load the system's CA certificates");
      return -1;
    }
    return 0;
  }
  x->ca_given = true;
  snprintf(x->ca_file, sizeof x->ca_file, "%s", c->ca_file);
  if (check_readable("CA file", c->ca_file, err, cap) != 0)
    return -1;
  if (SSL_CTX_load_verify_locations(x->ctx, c->ca_file, NULL) != 1)
    return load_failed("CA file", c->ca_file, err, cap);
  return 0;
}

static int load_identity(SSL_CTX *ctx, const char *cert, const char *key,
                         char *err, size_t cap) {
  if (check_readable("certificate", cert, err, cap) != 0 ||
      check_readable("private key", key, err, cap) != 0)
    return -1;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
    return load_failed("certificate", cert, err, cap);
  /* Loading the key already checks it against the certificate. */
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 &&
      ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
    return load_failed("private key", key, err, cap);
  if (ERR_peek_last_error() || SSL_CTX_check_private_key(ctx) != 1) {
    snprintf(err, cap, "private key %s does not match certificate %s", key,
             cert);
    return -1;
  }
  return 0;
}

int ws_tls_client_context(const ws_tls_client_config *c, ws_tls_context **out,
                          char *err, size_t cap) {
  *out = NULL;
  ws_tls_context *x = calloc(1, sizeof *x);
  if (!x || !(x->ctx = SSL_CTX_new(TLS_client_method()))) {
    free(x);
    snprintf(err, cap, "cannot create a TLS context (out of memory)");
    return -1;
  }
  x->insecure = c->insecure;
  /* The drive loop may hand a retried write from another address (its
   * buffer can move); the bytes are the same. */
  SSL_CTX_set_mode(x->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  ERR_clear_error();
  int rc = load_trust(x, c, err, cap);
  if (rc == 0 && (c->cert_file || c->key_file)) {
    if (!c->cert_file || !c->key_file) {
      snprintf(err, cap,
               "a client certificate needs both its certificate "
               "and its key");
      rc = -1;
    } else {
      rc = load_identity(x->ctx, c->cert_file, c->key_file, err, cap);
    }
  }
  /* SSL_CTX_set_alpn_protos returns 0 on success. */
  if (rc == 0 && SSL_CTX_set_alpn_protos(x->ctx, alpn_http11,
                                         sizeof alpn_http11 - 1) != 0) {
    snprintf(err, cap, "cannot set ALPN (out of memory)");
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

void ws_tls_context_free(ws_tls_context *x) {
  if (!x)
    return;
  SSL_CTX_free(x->ctx);
  free(x);
}

bool ws_tls_context_insecure(const ws_tls_context *x) { return x->insecure; }

static bool is_ip_literal(const char *name) {
  unsigned char addr[16];
  return inet_pton(AF_INET, name, addr) == 1 ||
         inet_pton(AF_INET6, name, addr) == 1;
}

/* SNI for a name; the check the certificate must pass, unless --insecure. */
static int set_peer_name(ws_tls *t, const ws_tls_context *ctx,
                         const char *name) {
  if (!name || !*name)
    return 0;
  bool ip = is_ip_literal(name);
  if (!ip && SSL_set_tlsext_host_name(t->ssl, name) != 1)
    return -1;
  if (ctx->insecure)
    return 0;
  X509_VERIFY_PARAM *p = SSL_get0_param(t->ssl);
  /* RFC 6125 6.4.3: "f*.example.com" patterns are not honoured. */
  X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(p, name)
              : X509_VERIFY_PARAM_set1_host(p, name, 0);
  return ok == 1 ? 0 : -1;
}

/* The certificate checks that failed, in words and with the way out. */
static bool explain_certificate(const ws_tls *t, const ws_tls_context *ctx,
                                const char *name, char *err, size_t cap) {
  long v = SSL_get_verify_result(t->ssl);
  if (v == X509_V_OK)
    return false;
  if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
    snprintf(err, cap,
             "the server's TLS certificate is not valid for %s (%s): --sni "
             "NAME checks another name, --insecure skips the check",
             name, X509_verify_cert_error_string(v));
  else if (ctx->ca_given)
    snprintf(err, cap,
             "the server's TLS certificate is not trusted: %s (no CA in %s "
             "signed it; --insecure skips the check)",
             X509_verify_cert_error_string(v), ctx->ca_file);
  else
    snprintf(err, cap,
             "the server's TLS certificate is not trusted: %s (--ca FILE "
             "trusts its CA, --insecure skips the check)",
             X509_verify_cert_error_string(v));
  return true;
}

/* Waits for events on fd until deadline_ms: true when one came. */
static bool wait_fd(int fd, short events, int64_t deadline_ms) {
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = events};
    int n = poll(&pfd, 1, ws_ms_until(deadline_ms));
    if (n > 0)
      return true;
    if (n == 0 || errno != EINTR)
      return false;
  }
}

/* Asks the peer of fd, on a new connection, "GET / HTTP/1.1": true, with
 * the first line of its answer in line, when it answers in HTTP. */
static bool answers_plain_http(int fd, const char *name, int64_t deadline_ms,
                               char *line, size_t cap) {
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  if (getpeername(fd, (struct sockaddr *)&addr, &len) != 0)
    return false;
  int s = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0)
    return false;
  char request[WS_TLS_NAME_MAX + 96], answer[128];
  bool v6 = strchr(name, ':') != NULL;
  int n = snprintf(request, sizeof request,
                   "GET / HTTP/1.1\r\nHost: %s%s%s\r\nConnection: "
                   "close\r\n\r\n",
                   v6 ? "[" : "", name, v6 ? "]" : "");
  ssize_t got = 0;
  if ((connect(s, (struct sockaddr *)&addr, len) == 0 ||
       errno == EINPROGRESS) &&
      wait_fd(s, POLLOUT, deadline_ms) && n > 0 && (size_t)n < sizeof request &&
      send(s, request, (size_t)n, MSG_NOSIGNAL) == n &&
      wait_fd(s, POLLIN, deadline_ms))
    got = recv(s, answer, sizeof answer - 1, MSG_DONTWAIT);
  close(s);
  if (got < 5 || memcmp(answer, "HTTP/", 5) != 0)
    return false;
  answer[got] = '\0';
  size_t end = strcspn(answer, "\r\n");
  if (end >= cap)
    end = cap - 1;
  memcpy(line, answer, end);
  line[end] = '\0';
  return true;
}

/* The handshake, with the plain HTTP question to a server that stays
 * silent past PLAIN_ASK_AFTER_MS. */
static int handshake(ws_tls *t, const char *name, int64_t deadline_ms,
                     char *reason, size_t reason_cap, char *err, size_t cap) {
  int64_t ask_at = ws_now_ms() + PLAIN_ASK_AFTER_MS;
  if (ask_at >= deadline_ms || !name || strlen(name) > WS_TLS_NAME_MAX)
    return ws_tls_handshake(t, deadline_ms, reason, reason_cap);
  int rc = ws_tls_handshake(t, ask_at, reason, reason_cap);
  if (rc != -ETIMEDOUT || t->sock.received > 0 || t->sock.eof)
    return rc;
  char line[96];
  int64_t until = ws_now_ms() + PLAIN_ASK_MS;
  if (answers_plain_http(t->sock.fd, name,
                         until < deadline_ms ? until : deadline_ms, line,
                         sizeof line)) {
    snprintf(err, cap,
             "the server answered plain HTTP, not TLS (\"%s\" to a plain "
             "request, after %d ms of silence to the TLS handshake): this "
             "port serves no TLS, use ws://",
             line, PLAIN_ASK_AFTER_MS);
    return -EPROTO;
  }
  return ws_tls_handshake(t, deadline_ms, reason, reason_cap);
}

int ws_tls_connect(ws_tls_context *ctx, int fd, const char *name,
                   int64_t deadline_ms, ws_transport **out, char *err,
                   size_t cap) {
  *out = NULL;
  ws_tls *t = ws_tls_new(ctx, fd, false);
  if (!t) {
    close(fd);
    snprintf(err, cap, "out of memory starting TLS");
    return -ENOMEM;
  }
  if (set_peer_name(t, ctx, name) != 0) {
    ws_tls_destroy(t);
    snprintf(err, cap, "cannot use '%s' as the TLS server name", name);
    return -EINVAL;
  }
  int budget = ws_ms_until(deadline_ms);
  char reason[160];
  err[0] = '\0';
  int rc = handshake(t, name, deadline_ms, reason, sizeof reason, err, cap);
  if (rc == 0) {
    *out = &t->base;
    return 0;
  }
  if (err[0]) {
    /* said already */
  } else if (rc != -EPROTO || !explain_certificate(t, ctx, name, err, cap)) {
    ws_tls_explain(t, rc, reason, "server", budget, err, cap);
    if (!ws_tls_peer_spoke_tls(t))
      snprintf(err + strlen(err), cap - strlen(err),
               ": this port serves no TLS, use ws://");
    /* TLS 1.3 names the alert; TLS 1.2 servers say "handshake failure". */
    else if (strstr(reason, "certificate required"))
      snprintf(err + strlen(err), cap - strlen(err),
               " (the server wants a client certificate: --cert FILE --key "
               "FILE)");
  }
  ws_tls_destroy(t);
  return rc;
}
