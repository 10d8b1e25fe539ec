#include "case/case_bytes.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

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

/* A REQUEST step's bytes, with the placeholders of FORMAT.md replaced. */
static int template_request(const ws_step *step, const ws_request_target *t,
                            const char *key, ws_buf *out) {
  static const char *const names[] = {"{host}", "{path}", "{key}"};
  const char *values[] = {t->authority, t->path, key};
  const ws_bytes *in = &step->payload;
  size_t i = 0;
  while (i < in->len) {
    size_t k = 0;
    for (; step->request_is_template && k < 3; k++) {
      size_t nl = strlen(names[k]);
      if (in->len - i >= nl && memcmp(in->ptr + i, names[k], nl) == 0)
        break;
    }
    if (step->request_is_template && k < 3) {
      ws_buf_puts(out, values[k]);
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

int ws_case_request(const ws_step *step, const ws_request_target *target,
                    const char *key, ws_buf *out) {
  if (step && step->kind == WS_STEP_REQUEST)
    return template_request(step, target, key, out);
  return handshake_request(step, target, key, out);
}
