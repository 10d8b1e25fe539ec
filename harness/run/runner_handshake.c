/* The opening handshake of a case: the default request, a HANDSHAKE step's
 * offers, or a REQUEST step's raw bytes; then the response, recorded whole
 * (status, every header) and checked as a client must (RFC 6455 4.1). */
#include "run/runner_internal.h"

#include "codec/errors.h"

#include <stdlib.h>
#include <string.h>

/* Own requests bigger than this are not re-parsed to find what they offered
 * (a header bomb is not expected to upgrade anyway). */
#define REPARSE_MAX ((size_t)1 << 20)

static char *dup_text(run_ctx *x, const char *s, size_t len) {
  char *out = malloc(len + 1);
  if (!out) {
    runner_oom(x);
    return NULL;
  }
  memcpy(out, s, len);
  out[len] = '\0';
  return out;
}

static size_t opt_len(const char *s) { return s ? strlen(s) : 0; }

int runner_handshake(run_ctx *x, const ws_step *step) {
  const ws_run_options *o = x->opt;
  const char *protocols = step ? step->protocols : NULL;
  const char *extensions = step ? step->extensions : NULL;
  ws_hs_client_request req = {.host = o->url.authority,
                              .path = o->url.path,
                              .key = x->key,
                              .origin = o->origin,
                              .protocols = protocols,
                              .extensions = extensions,
                              .extra_headers = o->extra_headers};
  size_t cap = 512 + strlen(req.host) + strlen(req.path) + opt_len(o->origin) +
               opt_len(protocols) + opt_len(extensions) +
               opt_len(o->extra_headers);
  char *text = malloc(cap);
  if (!text) {
    runner_oom(x);
    return -1;
  }
  ssize_t n = ws_hs_build_request(text, cap, &req);
  int rc = -1;
  if (n < 0) {
    runner_note(x, "handshake request cannot be built: %s",
                ws_error_message((int)n));
    x->stop_steps = true;
    goto free_text;
  }
  x->check_key = dup_text(x, x->key, strlen(x->key));
  if (protocols)
    x->check_protocols = dup_text(x, protocols, strlen(protocols));
  if (extensions)
    x->check_extensions = dup_text(x, extensions, strlen(extensions));
  if (x->fatal)
    goto free_text;
  x->tx_http_left = (size_t)n;
  /* coalesce=yes: the request and the following steps up to the next
   * flush/wait leave in one write (frames pipelined behind the request). */
  if (step && step->coalesce)
    x->coalescing = true;
  rc = runner_send(x, (const uint8_t *)text, (size_t)n, "handshake request");
free_text:
  free(text);
  return rc;
}

/* Replaces {host} {path} {key} in a request template. */
static int substitute(run_ctx *x, const ws_bytes *in, run_buf *out) {
  static const char *const names[] = {"{host}", "{path}", "{key}"};
  const char *values[] = {x->opt->url.authority, x->opt->url.path, x->key};
  size_t i = 0;
  while (i < in->len) {
    size_t k = 0;
    for (; k < 3; k++) {
      size_t nl = strlen(names[k]);
      if (in->len - i >= nl && memcmp(in->ptr + i, names[k], nl) == 0)
        break;
    }
    int rc;
    if (k < 3) {
      rc = run_buf_append(out, values[k], strlen(values[k]));
      i += strlen(names[k]);
    } else {
      rc = run_buf_append(out, in->ptr + i, 1);
      i++;
    }
    if (rc) {
      runner_oom(x);
      return -1;
    }
  }
  return 0;
}

/* Every value of header `name`, joined with ", " (a list may span repeated
 * headers), or NULL when absent. */
static char *joined_values(run_ctx *x, const ws_http_message *m,
                           const char *name) {
  size_t count = ws_http_field_count(m, name);
  if (count == 0)
    return NULL;
  run_buf b = {0};
  for (size_t i = 0; i < count; i++) {
    const ws_span *v = ws_http_field_get(m, name, i);
    if ((i > 0 && run_buf_append(&b, ", ", 2)) ||
        run_buf_append(&b, v->ptr, v->len)) {
      run_buf_free(&b);
      runner_oom(x);
      return NULL;
    }
  }
  char *out = dup_text(x, (const char *)b.ptr, b.len);
  run_buf_free(&b);
  return out;
}

/* "upgraded" means valid for the request actually sent, so a raw request's
 * key and offers are read back from its own bytes; when they cannot be (a
 * malformed request), the generated key is used and nothing was offered. */
static void learn_offers(run_ctx *x, const uint8_t *req, size_t len) {
  ws_http_parser p;
  ws_http_parser_init(&p, WS_HTTP_REQUEST, len + 1, len / 2 + 2);
  size_t used = 0;
  if (len <= REPARSE_MAX && ws_http_parse(&p, req, len, &used) == 1) {
    const ws_http_message *m = ws_http_parser_message(&p);
    const ws_span *key = ws_http_field_get(m, "Sec-WebSocket-Key", 0);
    if (key)
      x->check_key = dup_text(x, key->ptr, key->len);
    x->check_protocols = joined_values(x, m, "Sec-WebSocket-Protocol");
    x->check_extensions = joined_values(x, m, "Sec-WebSocket-Extensions");
  }
  ws_http_parser_free(&p);
  if (!x->check_key && !x->fatal)
    x->check_key = dup_text(x, x->key, strlen(x->key));
}

int runner_request(run_ctx *x, const ws_step *step) {
  run_buf req = {0};
  const uint8_t *bytes = step->payload.ptr;
  size_t len = step->payload.len;
  if (step->request_is_template) {
    if (substitute(x, &step->payload, &req))
      return -1;
    bytes = req.ptr;
    len = req.len;
  }
  learn_offers(x, bytes, len);
  int rc = -1;
  if (!x->fatal) {
    x->tx_http_left = len;
    rc = runner_send(x, bytes, len, "step 1: raw request");
  }
  run_buf_free(&req);
  return rc;
}

static bool offers_deflate(const ws_hs_response_info *info) {
  for (size_t i = 0; i < info->extensions.count; i++)
    if (ws_span_ieq(info->extensions.items[i].name, WS_PMD_NAME))
      return true;
  return false;
}

static void on_response(run_ctx *x) {
  ws_observation *obs = x->obs;
  const ws_http_message *m = ws_http_parser_message(&x->http);
  obs->response_complete = true;
  obs->status = m->status;
  for (size_t i = 0; i < m->field_count; i++) {
    const ws_http_field *f = &m->fields[i];
    if (ws_obs_add_header(obs, f->name.ptr, f->name.len, f->value.ptr,
                          f->value.len)) {
      runner_oom(x);
      return;
    }
  }
  ws_hs_response_info info;
  int rc = ws_hs_validate_response(m, x->check_key, x->check_protocols,
                                   x->check_extensions, &info);
  if (rc < 0) {
    obs->upgrade_error = -rc;
    runner_note(x, "HTTP %d: not upgraded: %s", m->status,
                ws_error_message(rc));
    return;
  }
  obs->upgraded = x->upgraded = true;
  if (offers_deflate(&info)) {
    /* RFC 7692 6: RSV1 now marks compressed messages, which are no
     * violation; the reader keeps them as they came (not inflated). */
    ws_message_config mc = x->reader.config;
    mc.allowed_rsv = WS_RSV1;
    ws_message_reader_free(&x->reader);
    ws_message_reader_init(&x->reader, &mc);
    runner_note(x, "permessage-deflate negotiated: RSV1 allowed");
  }
}

size_t runner_feed_response(run_ctx *x, const uint8_t *buf, size_t len) {
  size_t used = 0;
  int rc = ws_http_parse(&x->http, buf, len, &used);
  if (rc == 0)
    return len;
  x->hs_done = true;
  if (rc < 0) {
    x->obs->upgrade_error = -rc;
    runner_note(x, "invalid HTTP response: %s", ws_error_message(rc));
    return len;
  }
  on_response(x);
  return used;
}

bool runner_await_response(run_ctx *x) {
  while (!x->hs_done && runner_wait_input(x, x->deadline))
    ;
  if (!x->hs_done && !x->fatal) {
    x->hs_done = true;
    x->obs->deadline_hit = !x->eof;
    runner_note(x, "no complete HTTP response before the deadline");
  }
  return x->upgraded;
}
