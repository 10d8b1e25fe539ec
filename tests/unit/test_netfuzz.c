/* Tests for the files of harness/netfuzz/: the same seed gives
 * the same inputs (compared as case text), other seeds other inputs; every
 * input is a case the parser accepts back unchanged; the mutations reach
 * what they promise; minimisation reduces a synthetic bug to its core. */
#include "case/case_write.h"
#include "case/catalogue.h"
#include "codec/frame.h"
#include "netfuzz/minimize.h"
#include "netfuzz/netfuzz.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ws_catalogue *builtin(void) {
  char err[512];
  ws_catalogue *cat = ws_catalogue_new(1);
  cr_assert_eq(ws_catalogue_add_builtin(cat, err, sizeof err), 0, "%s", err);
  return cat;
}

/* The text of the next input of f. */
static char *next_text(ws_netfuzz *f, unsigned i) {
  ws_arena arena;
  ws_arena_init(&arena, WS_NETFUZZ_ARENA_LIMIT);
  ws_case c;
  char id[32], what[128], err[256];
  snprintf(id, sizeof id, "fuzz-1-%u", i);
  cr_assert_eq(ws_netfuzz_next(f, &arena, id, &c, what, sizeof what), 0);
  char *text;
  size_t len;
  cr_assert_eq(ws_case_write(&c, &text, &len, err, sizeof err), 0,
               "input %u (%s): %s", i, what, err);
  ws_arena_free(&arena);
  return text;
}

Test(netfuzz, same_seed_same_inputs_other_seed_others) {
  ws_catalogue *cat = builtin();
  ws_netfuzz *a = ws_netfuzz_new(cat, 99, 0);
  ws_netfuzz *b = ws_netfuzz_new(cat, 99, 0);
  ws_netfuzz *c = ws_netfuzz_new(cat, 100, 0);
  unsigned differ = 0;
  for (unsigned i = 0; i < 300; i++) {
    char *ta = next_text(a, i), *tb = next_text(b, i), *tc = next_text(c, i);
    cr_assert_str_eq(ta, tb, "input %u differs for the same seed", i);
    differ += strcmp(ta, tc) != 0;
    free(ta);
    free(tb);
    free(tc);
  }
  cr_assert_gt(differ, 250, "seeds 99 and 100 gave %u different inputs of 300",
               differ);
  ws_netfuzz_free(a);
  ws_netfuzz_free(b);
  ws_netfuzz_free(c);
  ws_catalogue_free(cat);
}

/* Every generated input parses back to the same case. */
Test(netfuzz, inputs_are_parseable_cases) {
  ws_catalogue *cat = builtin();
  ws_netfuzz *f = ws_netfuzz_new(cat, 5, 0);
  for (unsigned i = 0; i < 2000; i++) {
    ws_arena arena;
    ws_arena_init(&arena, WS_NETFUZZ_ARENA_LIMIT);
    ws_case c;
    char id[32], what[128], err[512];
    snprintf(id, sizeof id, "fuzz-5-%u", i);
    cr_assert_eq(ws_netfuzz_next(f, &arena, id, &c, what, sizeof what), 0);
    cr_assert_leq(c.step_count, WS_NETFUZZ_MAX_STEPS + 1);
    char *text;
    size_t len;
    cr_assert_eq(ws_case_write(&c, &text, &len, err, sizeof err), 0, "%s: %s",
                 what, err);
    ws_catalogue *back = ws_catalogue_new(1);
    cr_assert_eq(
        ws_catalogue_add_text(back, "fuzz.case", text, len, err, sizeof err), 0,
        "%s (%s)\n%s", err, what, text);
    char why[256];
    cr_assert(ws_case_equal(&c, ws_catalogue_get(back, 0), why, sizeof why),
              "%s (%s)\n%s", why, what, text);
    ws_catalogue_free(back);
    free(text);
    ws_arena_free(&arena);
  }
  ws_netfuzz_free(f);
  ws_catalogue_free(cat);
}

/* Within a few thousand inputs, each family of mutation shows up. */
Test(netfuzz, mutations_reach_their_targets) {
  ws_catalogue *cat = builtin();
  ws_netfuzz *f = ws_netfuzz_new(cat, 3, 0);
  bool rsv2_op_b = false, top_bit = false, all_ones = false, no_mask = false;
  bool raw_request = false, short_wait = true, chop = false;
  for (unsigned i = 0; i < 5000; i++) {
    ws_arena arena;
    ws_arena_init(&arena, WS_NETFUZZ_ARENA_LIMIT);
    ws_case c;
    char what[128];
    cr_assert_eq(ws_netfuzz_next(f, &arena, "fuzz-3", &c, what, sizeof what),
                 0);
    for (size_t k = 0; k < c.step_count; k++) {
      const ws_step *s = &c.steps[k];
      const ws_step_frame *h = &s->frame;
      if (s->kind == WS_STEP_FRAME) {
        rsv2_op_b |= (h->rsv & 2) && h->opcode >= 0xB;
        top_bit |= h->lie_length && h->declared_length == (uint64_t)1 << 63;
        all_ones |= h->lie_length && h->declared_length == UINT64_MAX;
        no_mask |= h->mask == WS_MASK_NONE;
      }
      raw_request |= s->kind == WS_STEP_REQUEST && s->request_is_template;
      chop |= s->kind == WS_STEP_CHOP;
      if (s->kind == WS_STEP_WAIT && s->number > WS_NETFUZZ_MAX_WAIT_MS)
        short_wait = false;
    }
    ws_arena_free(&arena);
  }
  cr_assert(rsv2_op_b && top_bit && all_ones && no_mask && raw_request && chop,
            "%d %d %d %d %d %d", rsv2_op_b, top_bit, all_ones, no_mask,
            raw_request, chop);
  cr_assert(short_wait);
  ws_netfuzz_free(f);
  ws_catalogue_free(cat);
}

/* ---- minimisation ---- */

/* The synthetic bug: a frame with RSV2 and opcode 0xB whose payload starts
 * with "AB". */
static bool bug(const ws_case *c, void *ctx) {
  unsigned *calls = ctx;
  ++*calls;
  for (size_t i = 0; i < c->step_count; i++) {
    const ws_step *s = &c->steps[i];
    if (s->kind == WS_STEP_FRAME && s->frame.rsv == 2 &&
        s->frame.opcode == 0xB && s->payload.len >= 2 &&
        memcmp(s->payload.ptr, "AB", 2) == 0)
      return true;
  }
  return false;
}

Test(minimize, reduces_a_synthetic_bug_to_its_core) {
  static uint8_t payload[1000];
  memset(payload, 'x', sizeof payload);
  memcpy(payload, "AB", 2);
  ws_step steps[40];
  for (size_t i = 0; i < 40; i++) {
    memset(&steps[i], 0, sizeof steps[i]);
    steps[i].kind = i % 5 == 0 ? WS_STEP_CHOP : WS_STEP_FRAME;
    steps[i].number = 3;
    steps[i].frame.fin = true;
    steps[i].frame.opcode = WS_OP_TEXT;
    steps[i].payload.ptr = payload + 2;
    steps[i].payload.len = 100;
  }
  steps[23].frame.rsv = 2;
  steps[23].frame.opcode = 0xB;
  steps[23].payload.ptr = payload;
  steps[23].payload.len = sizeof payload;
  ws_case c = {.id = "fuzz-9", .steps = steps, .step_count = 40};
  unsigned calls = 0;
  cr_assert(bug(&c, &calls));
  ws_arena arena;
  ws_arena_init(&arena, 0);
  ws_case out;
  int attempts = ws_minimize(&c, bug, &calls, 500, &arena, &out);
  cr_assert_gt(attempts, 0);
  cr_assert_eq((unsigned)attempts + 1, calls);
  cr_assert_eq(out.step_count, 1);
  cr_assert_eq(out.steps[0].frame.opcode, 0xB);
  cr_assert_eq(out.steps[0].payload.len, 2); /* "AB", the shortest prefix */
  ws_arena_free(&arena);
}

Test(minimize, respects_its_attempt_budget) {
  ws_step steps[64];
  for (size_t i = 0; i < 64; i++) {
    memset(&steps[i], 0, sizeof steps[i]);
    steps[i].kind = WS_STEP_WAIT;
  }
  ws_case c = {.id = "fuzz-9", .steps = steps, .step_count = 64};
  unsigned calls = 0;
  ws_arena arena;
  ws_arena_init(&arena, 0);
  ws_case out;
  cr_assert_eq(ws_minimize(&c, bug, &calls, 10, &arena, &out), 10);
  cr_assert_eq(calls, 10);
  cr_assert_eq(out.step_count, 64); /* nothing reproduced: unchanged */
  ws_arena_free(&arena);
}
