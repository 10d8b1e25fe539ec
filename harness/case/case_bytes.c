#include "case/case_bytes.h"
#include "case/placeholders.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

void ws_case_keys_init(ws_prng *keys, uint64_t seed, const char *case_id,
                       char key[WS_KEY_LEN + 1]) {
  ws_prng_seed(keys, seed, case_id);
  uint8_t nonce[16];
  ws_prng_fill(keys, nonce, sizeof nonce);
  EVP_EncodeBlock((unsigned char *)key, nonce, (int)sizeof nonce);
  key[WS_KEY_LEN] = '\0';
}

void ws_step_frame_spec(const ws_step *s, enum ws_role role, ws_prng *keys,
                        ws_frame_spec *spec) {
  const ws_step_frame *f = &s->frame;
  bool random_key = f->mask == WS_MASK_RANDOM && role == WS_ROLE_CLIENT;
  *spec = (ws_frame_spec){.fin = f->fin,
                          .rsv = f->rsv,
                          .opcode = f->opcode,
                          .masked = f->mask == WS_MASK_FIXED || random_key,
                          .length_form = (enum ws_length_form)f->length_form,
                          .lie_length = f->lie_length,
                          .declared_length = f->declared_length};
  if (f->mask == WS_MASK_FIXED)
    memcpy(spec->mask_key, f->mask_key, 4);
  else if (random_key)
    ws_prng_fill(keys, spec->mask_key, 4);
}

void ws_fragments_begin(ws_fragments *it, const ws_step *s, enum ws_role role) {
  *it = (ws_fragments){.step = s, .role = role};
}

bool ws_fragments_next(ws_fragments *it, ws_prng *keys, ws_frame_spec *spec,
                       const uint8_t **payload, size_t *len) {
  if (it->done)
    return false;
  const ws_step *s = it->step;
  size_t total = s->payload.len;
  size_t size = s->fragment_size ? s->fragment_size : (total ? total : 1);
  size_t n = total - it->offset < size ? total - it->offset : size;
  *spec = (ws_frame_spec){.fin = it->offset + n == total,
                          .opcode = it->offset == 0 ? s->frame.opcode
                                                    : WS_OP_CONTINUATION,
                          /* `deflated`: RSV1 on the first frame only */
                          .rsv = it->offset == 0 ? s->frame.rsv : 0,
                          .masked = it->role == WS_ROLE_CLIENT};
  if (spec->masked)
    ws_prng_fill(keys, spec->mask_key, 4);
  *payload = s->payload.ptr + it->offset;
  *len = n;
  it->offset += n;
  it->done = it->offset >= total;
  return true;
}

static size_t opt_len(const char *s) { return s ? strlen(s) : 0; }

/* A header value must stay one line: CR or LF would end it and start
 * another header (or the body). */
static bool one_line(const char *value) {
  return !value || !strpbrk(value, "\r\n");
}

static int handshake_request(const ws_step *step, const ws_request_target *t,
                             const char *key, ws_buf *out) {
  ws_hs_client_request req = {.host = t->authority,
                              .path = t->path,
                              .key = key,
                              .origin = t->origin,
                              .protocols = step ? step->protocols : NULL,
                              .extensions = step ? step->extensions : NULL,
                              .extra_headers = t->extra_headers};
  if (!one_line(req.host) || !one_line(req.path) || !one_line(req.origin) ||
      !one_line(req.protocols) || !one_line(req.extensions))
    return -1;
  /* Every header line is its value plus a bounded name and CRLF. */
  size_t cap = 512 + opt_len(req.host) + opt_len(req.path) +
               opt_len(req.origin) + opt_len(req.protocols) +
               opt_len(req.extensions) + opt_len(req.extra_headers);
  if (ws_buf_reserve(out, cap) != 0)
    return -1;
  ssize_t n = ws_hs_build_request((char *)out->ptr + out->len, cap + 1, &req);
  if (n < 0)
    return -1;
  out->len += (size_t)n;
  return 0;
}

/* A REQUEST or RESPONSE step's bytes with its placeholders (names, see
 * placeholders.h) replaced by values (same order), when the step is a
 * template. */
static int fill_template(const ws_step *step, const char *const *names,
                         const char *const *values, ws_buf *out) {
  const ws_bytes *in = &step->payload;
  size_t i = 0;
  while (i < in->len) {
    int k = step->request_is_template
                ? ws_placeholder_at(in->ptr + i, in->len - i, names)
                : -1;
    if (k >= 0) {
      ws_buf_puts(out, values[k] ? values[k] : "");
      i += strlen(names[k]);
      continue;
    }
    /* Up to the next brace in one append. */
    const uint8_t *brace = memchr(in->ptr + i + 1, '{', in->len - i - 1);
    size_t run = brace ? (size_t)(brace - (in->ptr + i)) : in->len - i;
    ws_buf_append(out, in->ptr + i, run);
    i += run;
  }
  return out->failed ? -1 : 0;
}

/* A REQUEST step's bytes, with the placeholders of FORMAT.md replaced. */
static int template_request(const ws_step *step, const ws_request_target *t,
                            const char *key, ws_buf *out) {
  const char *values[] = {t->authority, t->path, key};
  return fill_template(step, ws_request_placeholders, values, out);
}

int ws_case_response(const ws_step *step, const ws_response_fill *fill,
                     ws_buf *out) {
  const char *values[] = {fill->accept, fill->key, fill->protocol};
  /* A value with a line break would add a header line the case never
   * wrote (a client controls {key} and {protocol}). */
  for (size_t i = 0; i < sizeof values / sizeof *values; i++)
    if (!one_line(values[i]))
      return -1;
  return fill_template(step, ws_response_placeholders, values, out);
}

/* Fields the opening handshake is made of: a raw request that lacks one is
 * about its absence, so the run never adds them. */
static bool handshake_field(const char *name, size_t len) {
  static const char *const fields[] = {"Host", "Upgrade", "Connection",
                                       "Sec-WebSocket-Key",
                                       "Sec-WebSocket-Version"};
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (strlen(fields[i]) == len && strncasecmp(fields[i], name, len) == 0)
      return true;
  return false;
}

/* Whether the header block [p, end) has a field called name. */
static bool has_field(const uint8_t *p, const uint8_t *end, const char *name,
                      size_t len) {
  while (p < end) {
    const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
    const uint8_t *line_end = eol ? eol : end;
    const uint8_t *colon = memchr(p, ':', (size_t)(line_end - p));
    if (colon && (size_t)(colon - p) == len &&
        strncasecmp((const char *)p, name, len) == 0)
      return true;
    p = eol ? eol + 1 : end;
  }
  return false;
}

/* Appends a "Name: value" line (no line end) to out unless the block
 * already has the field or it is one of the handshake's own. */
static void add_field(ws_buf *out, const uint8_t *block, const uint8_t *end,
                      const char *line, size_t len, const char *eol) {
  const char *colon = memchr(line, ':', len);
  if (!colon)
    return;
  size_t name = (size_t)(colon - line);
  if (handshake_field(line, name) || has_field(block, end, line, name))
    return;
  ws_buf_append(out, line, len);
  ws_buf_puts(out, eol);
}

/* The run's own headers (--origin, --header) go into a raw request too, so
 * a server behind a token or a cookie gets them on every request: just
 * before the blank line that ends the header block, with the block's own
 * line ends. Not when the request has no end of its header block, and never
 * a field the request already has (the case chose it) or one the handshake
 * is made of (the case is about its absence). */
static int add_run_headers(const ws_request_target *t, size_t start,
                           ws_buf *out) {
  if (!t->origin && !t->extra_headers)
    return 0;
  const uint8_t *block = out->ptr + start;
  size_t len = out->len - start;
  const uint8_t *crlf = memmem(block, len, "\r\n\r\n", 4);
  const uint8_t *lf = memmem(block, len, "\n\n", 2);
  if (!crlf && !lf)
    return 0;
  bool use_crlf = crlf && (!lf || crlf < lf);
  const uint8_t *at = use_crlf ? crlf + 2 : lf + 1; /* the blank line */
  const char *eol = use_crlf ? "\r\n" : "\n";
  ws_buf fields = {0};
  if (t->origin) {
    ws_buf line = {0};
    ws_buf_printf(&line, "Origin: %s", t->origin);
    add_field(&fields, block, at, ws_buf_str(&line), line.len, eol);
    ws_buf_free(&line);
  }
  for (const char *p = t->extra_headers; p && *p;) {
    const char *next = strstr(p, "\r\n");
    size_t n = next ? (size_t)(next - p) : strlen(p);
    add_field(&fields, block, at, p, n, eol);
    p = next ? next + 2 : p + n;
  }
  int rc = 0;
  if (fields.len) {
    size_t offset = (size_t)(at - out->ptr);
    ws_buf rest = {0};
    ws_buf_append(&rest, at, out->len - offset);
    out->len = offset;
    ws_buf_append(out, fields.ptr, fields.len);
    ws_buf_append(out, rest.ptr, rest.len);
    rc = fields.failed || rest.failed || out->failed ? -1 : 0;
    ws_buf_free(&rest);
  }
  ws_buf_free(&fields);
  return rc;
}

int ws_case_request(const ws_step *step, const ws_request_target *target,
                    const char *key, ws_buf *out) {
  if (step && step->kind == WS_STEP_REQUEST) {
    size_t start = out->len;
    if (!one_line(target->origin) ||
        template_request(step, target, key, out) != 0)
      return -1;
    return add_run_headers(target, start, out);
  }
  return handshake_request(step, target, key, out);
}
