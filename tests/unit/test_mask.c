/* Unit tests for codec/mask.c: the word-at-a-time masking must agree with the
 * one-line bytewise definition of RFC 6455 5.3 at every key offset, buffer
 * alignment and length, and must never touch a byte outside the range. */
#include "codec/mask.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEN 300
#define SLACK 32 /* canary bytes around every range */
#define CANARY 0xA5

static const uint8_t key_a[4] = {0x37, 0xfa, 0x21, 0x3d};

/* RFC 6455 5.3, literally: octet i is XORed with key octet (i MOD 4). */
static void reference_mask(uint8_t *dst, const uint8_t *src, size_t len,
                           const uint8_t key[4], uint64_t offset) {
  for (size_t i = 0; i < len; i++)
    dst[i] = src[i] ^ key[(offset + i) % 4];
}

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(i * 131u + seed * 7u + (i >> 8));
}

static void assert_canaries(const uint8_t *buf, size_t from, size_t to) {
  for (size_t i = from; i < to; i++)
    cr_assert_eq(buf[i], CANARY, "byte %zu outside the range was written", i);
}

Test(mask, rfc_5_7_hello_example) {
  uint8_t data[] = {'H', 'e', 'l', 'l', 'o'};
  const uint8_t expected[] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
  ws_mask(data, sizeof data, key_a, 0);
  cr_assert_arr_eq(data, expected, sizeof expected);
}

Test(mask, in_place_matches_reference_all_offsets_alignments_lengths) {
  uint8_t buf[MAX_LEN + 16 + 2 * SLACK], src[MAX_LEN], want[MAX_LEN];
  for (uint64_t offset = 0; offset < 8; offset++)
    for (size_t align = 0; align < 16; align++)
      for (size_t len = 0; len <= MAX_LEN; len++) {
        uint8_t *data = buf + SLACK + align;
        memset(buf, CANARY, sizeof buf);
        fill_pattern(src, len, (unsigned)(len + align));
        memcpy(data, src, len);
        reference_mask(want, src, len, key_a, offset);
        ws_mask(data, len, key_a, offset);
        cr_assert_arr_eq(data, want, len, "offset %lu align %zu len %zu",
                         (unsigned long)offset, align, len);
        assert_canaries(buf, 0, SLACK + align);
        assert_canaries(buf, SLACK + align + len, sizeof buf);
      }
}

Test(mask, copy_matches_reference_all_offsets_alignments_lengths) {
  uint8_t out[MAX_LEN + 16 + 2 * SLACK], in[MAX_LEN + 16], want[MAX_LEN];
  for (uint64_t offset = 0; offset < 8; offset++)
    for (size_t align = 0; align < 16; align++)
      for (size_t len = 0; len <= MAX_LEN; len++) {
        /* Misalign source and destination differently, so the aligned
         * stores meet unaligned loads. */
        size_t src_align = (align * 7 + 3) % 16;
        uint8_t *src = in + src_align, *dst = out + SLACK + align;
        memset(out, CANARY, sizeof out);
        fill_pattern(src, len, (unsigned)offset);
        reference_mask(want, src, len, key_a, offset);
        ws_mask_copy(dst, src, len, key_a, offset);
        cr_assert_arr_eq(dst, want, len, "offset %lu align %zu len %zu",
                         (unsigned long)offset, align, len);
        assert_canaries(out, 0, SLACK + align);
        assert_canaries(out, SLACK + align + len, sizeof out);
      }
}

Test(mask, copy_leaves_source_untouched) {
  uint8_t src[200], copy[200], dst[200];
  fill_pattern(src, sizeof src, 3);
  memcpy(copy, src, sizeof src);
  ws_mask_copy(dst, src, sizeof src, key_a, 1);
  cr_assert_arr_eq(src, copy, sizeof src);
}

Test(mask, copy_with_equal_src_and_dst_is_in_place) {
  for (size_t len = 0; len <= MAX_LEN; len += 7) {
    uint8_t a[MAX_LEN + 1], b[MAX_LEN + 1];
    fill_pattern(a, len, 9);
    memcpy(b, a, len);
    ws_mask_copy(a + 1, a + 1, len - (len > 0), key_a, 3);
    ws_mask(b + 1, len - (len > 0), key_a, 3);
    cr_assert_arr_eq(a, b, len);
  }
}

Test(mask, masking_in_pieces_equals_masking_whole) {
  uint8_t whole[MAX_LEN], pieces[MAX_LEN];
  for (size_t len = 0; len <= MAX_LEN; len += 13)
    for (size_t cut1 = 0; cut1 <= len; cut1 += 5)
      for (size_t cut2 = cut1; cut2 <= len; cut2 += 11) {
        fill_pattern(whole, len, 1);
        memcpy(pieces, whole, len);
        ws_mask(whole, len, key_a, 2);
        /* Each piece is masked with its own offset in the payload. */
        ws_mask(pieces, cut1, key_a, 2);
        ws_mask(pieces + cut1, cut2 - cut1, key_a, 2 + cut1);
        ws_mask(pieces + cut2, len - cut2, key_a, 2 + cut2);
        cr_assert_arr_eq(whole, pieces, len, "len %zu cuts %zu %zu", len, cut1,
                         cut2);
      }
}

Test(mask, copy_in_pieces_equals_copy_whole) {
  uint8_t src[MAX_LEN], whole[MAX_LEN], pieces[MAX_LEN];
  fill_pattern(src, sizeof src, 5);
  ws_mask_copy(whole, src, sizeof src, key_a, 0);
  for (size_t step = 1; step <= 40; step++) {
    for (size_t at = 0; at < sizeof src; at += step) {
      size_t n = sizeof src - at < step ? sizeof src - at : step;
      ws_mask_copy(pieces + at, src + at, n, key_a, at);
    }
    cr_assert_arr_eq(whole, pieces, sizeof src, "step %zu", step);
  }
}

Test(mask, masking_twice_restores_the_data) {
  uint8_t data[MAX_LEN], orig[MAX_LEN];
  fill_pattern(orig, sizeof orig, 11);
  memcpy(data, orig, sizeof data);
  ws_mask(data + 3, sizeof data - 3, key_a, 5);
  cr_assert(memcmp(data, orig, sizeof data) != 0);
  ws_mask(data + 3, sizeof data - 3, key_a, 5);
  cr_assert_arr_eq(data, orig, sizeof data);
}

Test(mask, only_offset_modulo_4_matters_even_near_2_pow_64) {
  uint8_t a[100], b[100];
  fill_pattern(a, sizeof a, 2);
  memcpy(b, a, sizeof a);
  ws_mask(a, sizeof a, key_a, 1);
  ws_mask(b, sizeof b, key_a, UINT64_MAX - 2); /* UINT64_MAX - 2 = 1 mod 4 */
  cr_assert_arr_eq(a, b, sizeof a);
}

Test(mask, zero_key_is_identity) {
  static const uint8_t zero[4] = {0, 0, 0, 0};
  uint8_t data[257], orig[257];
  fill_pattern(orig, sizeof orig, 4);
  memcpy(data, orig, sizeof data);
  ws_mask(data, sizeof data, zero, 3);
  cr_assert_arr_eq(data, orig, sizeof data);
}

Test(mask, zero_length_touches_nothing) {
  uint8_t data[8];
  memset(data, CANARY, sizeof data);
  ws_mask(data + 4, 0, key_a, 0);
  ws_mask_copy(data, data + 4, 0, key_a, 3);
  assert_canaries(data, 0, sizeof data);
}

Test(mask, one_mebibyte_matches_reference_at_odd_alignment) {
  size_t len = (size_t)1 << 20;
  uint8_t *data = malloc(len + 1), *want = malloc(len);
  cr_assert(data && want);
  fill_pattern(data + 1, len, 6);
  reference_mask(want, data + 1, len, key_a, 7);
  ws_mask(data + 1, len, key_a, 7);
  cr_assert_arr_eq(data + 1, want, len);
  free(data);
  free(want);
}
