/* Fuzz target: the case-file parser (harness/case/catalogue.h,
 * cases/FORMAT.md).
 *
 * Input: [seed][error buffer size][pattern length][pattern...]case file...
 * The text goes to ws_catalogue_add_text as an exact-size heap copy (not
 * NUL-terminated) with the per-file memory budget lowered to 16 MiB, so a
 * hostile "x" * 67108864 fails cleanly and fast. Invariants:
 *  - an error is "NAME:LINE..." NUL-terminated within the given buffer, and
 *    adds nothing;
 *  - parsed cases respect the format's limits: id syntax and length, step
 *    count, payload sizes, a label index inside the steps;
 *  - adding the same text again fails (duplicate ids) and adds nothing;
 *  - every case matches its own id and its own area; find() finds it;
 *  - sorting keeps the same cases, is idempotent, and orders purely numeric
 *    ids ("1.2" before "1.10") as documented. */
#include "fuzz/fuzz_common.h"

#include "case/case.h"
#include "case/catalogue.h"

#define FILE_MEMORY ((size_t)16 << 20)
#define NAME "fuzz.case"

static bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static void check_case(const ws_catalogue *cat, const ws_case *c) {
  size_t n = strlen(c->id);
  FUZZ_CHECK(n >= 1 && n <= WS_CASE_ID_MAX);
  for (size_t i = 0; i < n; i++)
    FUZZ_CHECK(id_char(c->id[i]));
  FUZZ_CHECK(c->title && c->area && c->rfc);
  FUZZ_CHECK(c->step_count <= WS_CASE_MAX_STEPS);
  FUZZ_CHECK(c->outcome_count >= 1);
  for (size_t i = 0; i < c->step_count; i++) {
    const ws_step *s = &c->steps[i];
    FUZZ_CHECK(s->payload.len <= WS_CASE_MAX_PAYLOAD);
    FUZZ_CHECK(s->payload.len == 0 || s->payload.ptr != NULL);
    FUZZ_CHECK(ws_step_kind_name(s->kind) != NULL);
    if (s->kind == WS_STEP_FRAME)
      FUZZ_CHECK(s->frame.rsv <= 7 && s->frame.opcode <= 15);
  }
  for (size_t i = 0; i < c->outcome_count; i++) {
    const ws_outcome *o = &c->outcomes[i];
    FUZZ_CHECK(o->count >= 1);
    for (size_t j = 0; j < o->count; j++)
      for (size_t k = 0; k < o->alts[j].count; k++) {
        const ws_predicate *p = &o->alts[j].preds[k];
        FUZZ_CHECK(ws_pred_kind_name(p->kind) != NULL);
        FUZZ_CHECK(p->codes.count <= WS_CODE_SET_MAX);
        if (p->kind == WS_PRED_BEFORE)
          FUZZ_CHECK(p->step_index < c->step_count);
        if (p->kind == WS_PRED_MESSAGES || p->kind == WS_PRED_PONGS)
          FUZZ_CHECK(p->min <= p->max);
      }
  }
  FUZZ_CHECK(ws_case_matches(c, c->id));
  FUZZ_CHECK(ws_case_matches(c, c->area));
  const ws_case *found = ws_catalogue_find(cat, c->id);
  FUZZ_CHECK(found && !strcmp(found->id, c->id));
}

/* Parses "1.2.10" into parts; false unless every part is a number without
 * leading zeros (short enough to compare as integers). */
static bool numeric_id(const char *id, unsigned long parts[16], size_t *n) {
  *n = 0;
  for (const char *p = id;;) {
    size_t len = strspn(p, "0123456789");
    if (len == 0 || len > 9 || (len > 1 && *p == '0') || *n == 16)
      return false;
    parts[(*n)++] = strtoul(p, NULL, 10);
    p += len;
    if (*p == '\0')
      return true;
    if (*p++ != '.')
      return false;
  }
}

/* a <= b for numeric ids, part by part; a prefix sorts first. */
static bool numeric_le(const char *a, const char *b) {
  unsigned long pa[16], pb[16];
  size_t na, nb;
  if (!numeric_id(a, pa, &na) || !numeric_id(b, pb, &nb))
    return true; /* not covered by this check */
  for (size_t i = 0; i < na && i < nb; i++)
    if (pa[i] != pb[i])
      return pa[i] < pb[i];
  return na <= nb;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_input in = {data, size};
  uint64_t seed = fz_u8(&in);
  size_t err_cap = (size_t)(fz_u8(&in) & 127) + 1;
  fz_input pat = fz_take(&in, fz_u8(&in) & 31);
  char pattern[32];
  memcpy(pattern, pat.p, pat.n);
  pattern[pat.n] = '\0';

  ws_catalogue *cat = ws_catalogue_new(seed);
  FUZZ_CHECK(cat);
  ws_catalogue_set_file_memory(cat, FILE_MEMORY);
  char *text = (char *)fz_dup(in.p, in.n);
  char *err = malloc(err_cap);
  FUZZ_CHECK(err);

  int rc = ws_catalogue_add_text(cat, NAME, text, in.n, err, err_cap);
  size_t count = ws_catalogue_count(cat);
  if (rc < 0) {
    FUZZ_CHECK(rc == -1 && count == 0);
    FUZZ_CHECK(memchr(err, '\0', err_cap) != NULL);
    FUZZ_CHECK(!strncmp(
        err, NAME, err_cap - 1 < strlen(NAME) ? err_cap - 1 : strlen(NAME)));
  } else {
    FUZZ_CHECK(rc == 0 && count >= 1);
    for (size_t i = 0; i < count; i++) {
      const ws_case *c = ws_catalogue_get(cat, i);
      check_case(cat, c);
      (void)ws_case_matches(c, pattern);
    }
    FUZZ_CHECK(ws_catalogue_get(cat, count) == NULL);

    /* The same ids again: refused, nothing added. */
    FUZZ_CHECK(ws_catalogue_add_text(cat, NAME, text, in.n, err, err_cap) ==
               -1);
    FUZZ_CHECK(ws_catalogue_count(cat) == count);

    ws_catalogue_sort(cat);
    FUZZ_CHECK(ws_catalogue_count(cat) == count);
    const ws_case **order = malloc(count * sizeof *order);
    FUZZ_CHECK(order);
    for (size_t i = 0; i < count; i++) {
      order[i] = ws_catalogue_get(cat, i);
      check_case(cat, order[i]);
      if (i > 0)
        FUZZ_CHECK(numeric_le(order[i - 1]->id, order[i]->id));
    }
    ws_catalogue_sort(cat);
    for (size_t i = 0; i < count; i++)
      FUZZ_CHECK(ws_catalogue_get(cat, i) == order[i]);
    free(order);
  }
  free(err);
  free(text);
  ws_catalogue_free(cat);
  return 0;
}
