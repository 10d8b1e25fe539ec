#include "case/step_frames.h"

#include <openssl/evp.h>
#include <string.h>

void ws_case_keys_init(ws_prng *keys, uint64_t seed, const char *case_id,
                       char key[WS_KEY_LEN + 1]) {
  ws_prng_seed(keys, seed, case_id);
  uint8_t nonce[16];
  ws_prng_fill(keys, nonce, sizeof nonce);
  EVP_EncodeBlock((unsigned char *)key, nonce, (int)sizeof nonce);
  key[WS_KEY_LEN] = '\0';
}

void ws_step_frame_spec(const ws_step *s, ws_prng *keys, ws_frame_spec *spec) {
  const ws_step_frame *f = &s->frame;
  *spec = (ws_frame_spec){.fin = f->fin,
                          .rsv = f->rsv,
                          .opcode = f->opcode,
                          .masked = f->mask != WS_MASK_NONE,
                          .length_form = (enum ws_length_form)f->length_form,
                          .lie_length = f->lie_length,
                          .declared_length = f->declared_length};
  if (f->mask == WS_MASK_FIXED)
    memcpy(spec->mask_key, f->mask_key, 4);
  else if (f->mask == WS_MASK_RANDOM)
    ws_prng_fill(keys, spec->mask_key, 4);
}

void ws_fragments_begin(ws_fragments *it, const ws_step *s) {
  *it = (ws_fragments){.step = s};
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
                          .masked = true};
  ws_prng_fill(keys, spec->mask_key, 4);
  *payload = s->payload.ptr + it->offset;
  *len = n;
  it->offset += n;
  it->done = it->offset >= total;
  return true;
}
