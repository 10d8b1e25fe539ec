#include "case/step_frames.h"

#include <criterion/criterion.h>
#include <string.h>

static ws_step fragmented(const char *payload, size_t size) {
  ws_step s = {.kind = WS_STEP_FRAGMENTED, .fragment_size = size};
  s.frame.opcode = WS_OP_TEXT;
  s.payload.ptr = (const uint8_t *)payload;
  s.payload.len = strlen(payload);
  return s;
}

Test(step_frames, fragments_follow_rfc6455_5_4) {
  ws_step s = fragmented("0123456789", 3);
  ws_prng keys;
  ws_prng_seed(&keys, 1, "x");
  ws_fragments it;
  ws_frame_spec spec;
  const uint8_t *p;
  size_t len, n = 0, total = 0;
  ws_fragments_begin(&it, &s);
  while (ws_fragments_next(&it, &keys, &spec, &p, &len)) {
    cr_assert_eq(spec.opcode, n == 0 ? WS_OP_TEXT : WS_OP_CONTINUATION);
    cr_assert_eq(spec.fin, n == 3, "FIN only on the last fragment");
    cr_assert(spec.masked);
    cr_assert_eq(p, s.payload.ptr + total);
    total += len;
    n++;
  }
  cr_assert_eq(n, 4);
  cr_assert_eq(total, 10);
}

Test(step_frames, an_empty_payload_is_one_empty_final_frame) {
  ws_step s = fragmented("", 5);
  ws_prng keys;
  ws_prng_seed(&keys, 1, "x");
  ws_fragments it;
  ws_frame_spec spec;
  const uint8_t *p;
  size_t len;
  ws_fragments_begin(&it, &s);
  cr_assert(ws_fragments_next(&it, &keys, &spec, &p, &len));
  cr_assert(spec.fin);
  cr_assert_eq(len, 0);
  cr_assert_not(ws_fragments_next(&it, &keys, &spec, &p, &len));
}

Test(step_frames, key_stream_is_reproducible_per_seed_and_case) {
  char k1[WS_KEY_LEN + 1], k2[WS_KEY_LEN + 1], k3[WS_KEY_LEN + 1];
  ws_prng a, b, c;
  ws_case_keys_init(&a, 7, "1.1.1", k1);
  ws_case_keys_init(&b, 7, "1.1.1", k2);
  ws_case_keys_init(&c, 8, "1.1.1", k3);
  cr_assert_str_eq(k1, k2);
  cr_assert_str_neq(k1, k3);
  cr_assert_eq(strlen(k1), WS_KEY_LEN);
  ws_step s = {.kind = WS_STEP_FRAME};
  s.frame.mask = WS_MASK_RANDOM;
  ws_frame_spec x, y;
  ws_step_frame_spec(&s, &a, &x);
  ws_step_frame_spec(&s, &b, &y);
  cr_assert_eq(memcmp(x.mask_key, y.mask_key, 4), 0);
  s.frame.mask = WS_MASK_FIXED;
  memcpy(s.frame.mask_key, "\x01\x02\x03\x04", 4);
  ws_step_frame_spec(&s, &a, &x);
  cr_assert_eq(memcmp(x.mask_key, "\x01\x02\x03\x04", 4), 0);
  s.frame.mask = WS_MASK_NONE;
  ws_step_frame_spec(&s, &a, &x);
  cr_assert_not(x.masked);
}
