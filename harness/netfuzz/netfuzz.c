/* The generator: picks a catalogue case, applies a few mutations, then
 * normalises the result so it is a case the parser would accept (the
 * opening step first, forced length forms that fit, bounded sizes) and so
 * it runs fast (no echo waits, short pauses, a close at the end). */
#include "netfuzz/netfuzz_internal.h"

#include "codec/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ws_netfuzz {
  const ws_catalogue *cat;
  ws_prng rng;
  uint32_t timeout_ms;
};

/* ---- helpers shared with the mutation files ---- */

uint64_t nf_below(nf_gen *g, uint64_t n) { return ws_prng_next(g->rng) % n; }

bool nf_chance(nf_gen *g, unsigned percent) {
  return nf_below(g, 100) < percent;
}

void nf_note(nf_gen *g, const char *name) {
  size_t have = strlen(g->what);
  if (have + strlen(name) + 2 < g->what_cap)
    snprintf(g->what + have, g->what_cap - have, " %s", name);
}

uint8_t *nf_alloc(nf_gen *g, size_t n) {
  uint8_t *p = ws_arena_alloc(g->arena, n ? n : 1);
  if (!p)
    g->oom = true;
  return p;
}

static const uint8_t no_bytes[1];

ws_step nf_step(enum ws_step_kind kind) {
  ws_step s;
  memset(&s, 0, sizeof s);
  s.kind = kind;
  s.frame.fin = true;
  s.frame.opcode = WS_OP_TEXT;
  s.frame.mask = WS_MASK_RANDOM;
  s.frame.length_form = WS_LEN_MINIMAL;
  s.payload.ptr = no_bytes;
  return s;
}

ws_step nf_frame(uint8_t opcode, const uint8_t *p, size_t len) {
  ws_step s = nf_step(WS_STEP_FRAME);
  s.frame.opcode = opcode;
  s.payload.ptr = len ? p : no_bytes;
  s.payload.len = len;
  return s;
}

bool nf_insert(nf_gen *g, size_t at, const ws_step *s) {
  if (g->n >= g->cap)
    return false;
  memmove(&g->v[at + 1], &g->v[at], (g->n - at) * sizeof *g->v);
  g->v[at] = *s;
  g->n++;
  return true;
}

void nf_remove(nf_gen *g, size_t at) {
  memmove(&g->v[at], &g->v[at + 1], (g->n - at - 1) * sizeof *g->v);
  g->n--;
}

long nf_pick(nf_gen *g, bool (*want)(const ws_step *s)) {
  size_t count = 0;
  for (size_t i = 0; i < g->n; i++)
    count += want(&g->v[i]);
  if (count == 0)
    return -1;
  size_t k = (size_t)nf_below(g, count);
  for (size_t i = 0; i < g->n; i++)
    if (want(&g->v[i]) && k-- == 0)
      return (long)i;
  return -1;
}

static bool is_opening(const ws_step *s) {
  return s->kind == WS_STEP_HANDSHAKE || s->kind == WS_STEP_REQUEST;
}

size_t nf_body_start(const nf_gen *g) {
  size_t i = 0;
  while (i < g->n && g->v[i].kind == WS_STEP_CHOP)
    i++;
  return i < g->n && is_opening(&g->v[i]) ? i + 1 : 0;
}

bool nf_is_frame(const ws_step *s) { return s->kind == WS_STEP_FRAME; }

bool nf_is_data_frame(const ws_step *s) {
  return s->kind == WS_STEP_FRAME &&
         (s->frame.opcode == WS_OP_TEXT || s->frame.opcode == WS_OP_BINARY);
}

bool nf_has_payload(const ws_step *s) {
  return (s->kind == WS_STEP_FRAME || s->kind == WS_STEP_FRAGMENTED ||
          s->kind == WS_STEP_RAW) &&
         s->payload.len > 0;
}

/* ---- transport and structure mutations ---- */

static size_t body_position(nf_gen *g) {
  size_t start = nf_body_start(g);
  return start + (size_t)nf_below(g, g->n - start + 1);
}

static void insert_chop(nf_gen *g) {
  static const uint64_t sizes[] = {1, 1, 2, 3, 5, 7, 13, 64};
  ws_step s = nf_step(WS_STEP_CHOP);
  s.number = sizes[nf_below(g, sizeof sizes / sizeof *sizes)];
  /* Sometimes before the opening step: a dripped request. */
  size_t at = nf_chance(g, 25) ? 0 : body_position(g);
  if (nf_insert(g, at, &s))
    nf_note(g, "chop");
}

static void insert_wait(nf_gen *g) {
  ws_step s = nf_step(WS_STEP_WAIT);
  s.number = nf_below(g, WS_NETFUZZ_MAX_WAIT_MS + 1);
  if (nf_insert(g, body_position(g), &s))
    nf_note(g, "wait");
}

static void insert_coalesce(nf_gen *g) {
  size_t at = body_position(g);
  ws_step s = nf_step(WS_STEP_COALESCE);
  if (!nf_insert(g, at, &s))
    return;
  size_t end = at + 1 + (size_t)nf_below(g, g->n - at);
  ws_step f = nf_step(WS_STEP_FLUSH);
  if (nf_chance(g, 70))
    (void)nf_insert(g, end, &f);
  nf_note(g, "coalesce");
}

/* Steps from another case, spliced in (never its opening step). */
static void splice(nf_gen *g) {
  size_t count = ws_catalogue_count(g->cat);
  const ws_case *b = ws_catalogue_get(g->cat, (size_t)nf_below(g, count));
  size_t from = 0;
  while (from < b->step_count &&
         (b->steps[from].kind == WS_STEP_CHOP || is_opening(&b->steps[from])))
    from++;
  if (from >= b->step_count)
    return;
  size_t first = from + (size_t)nf_below(g, b->step_count - from);
  size_t len = 1 + (size_t)nf_below(g, b->step_count - first);
  size_t at = body_position(g);
  for (size_t i = 0; i < len && nf_insert(g, at + i, &b->steps[first + i]); i++)
    ;
  nf_note(g, "splice");
}

static void duplicate(nf_gen *g) {
  size_t start = nf_body_start(g);
  if (g->n == start)
    return;
  size_t i = start + (size_t)nf_below(g, g->n - start);
  ws_step copy = g->v[i];
  unsigned times = nf_chance(g, 20) ? 1 + (unsigned)nf_below(g, 50) : 1;
  for (unsigned k = 0; k < times && nf_insert(g, i, &copy); k++)
    ;
  nf_note(g, "dup");
}

static void delete_step(nf_gen *g) {
  if (g->n == 0)
    return;
  nf_remove(g, (size_t)nf_below(g, g->n));
  nf_note(g, "delete");
}

static void mutate_once(nf_gen *g) {
  /* Weights: frame headers and payloads most, the rest often enough that a
   * few seconds see every kind. */
  unsigned r = (unsigned)nf_below(g, 100);
  if (r < 22)
    nf_mutate_header(g);
  else if (r < 38)
    nf_mutate_payload(g);
  else if (r < 46)
    nf_fragment_storm(g);
  else if (r < 56)
    nf_control_odd(g);
  else if (r < 64)
    insert_chop(g);
  else if (r < 69)
    insert_wait(g);
  else if (r < 73)
    insert_coalesce(g);
  else if (r < 84)
    nf_mutate_request(g);
  else if (r < 91)
    splice(g);
  else if (r < 96)
    duplicate(g);
  else
    delete_step(g);
}

/* ---- normalisation ---- */

/* handshake/request only as the first step after chops: later ones (from a
 * splice) are dropped. */
static void fix_opening(nf_gen *g) {
  size_t first = 0;
  while (first < g->n && g->v[first].kind == WS_STEP_CHOP)
    first++;
  for (size_t i = g->n; i-- > first + 1;)
    if (is_opening(&g->v[i]))
      nf_remove(g, i);
}

static bool placeholder_in(const ws_bytes *b) {
  static const char *const names[] = {"{host}", "{path}", "{key}"};
  for (size_t i = 0; i < b->len; i++)
    for (int j = 0; j < 3 && b->ptr[i] == '{'; j++) {
      size_t n = strlen(names[j]);
      if (b->len - i >= n && memcmp(b->ptr + i, names[j], n) == 0)
        return true;
    }
  return false;
}

/* Sizes: a payload budget over the input, forms that hold their length,
 * a bounded number of fragments per fragmented step. */
static void fix_step(ws_step *s, size_t *budget) {
  s->label = NULL;
  /* No reply waits: a mutated message may never echo. A `stream` step is
   * echoed by definition (each message waits for the last one's echo, up to
   * the case deadline), so it keeps its flag. */
  if (s->kind != WS_STEP_STREAM)
    s->echo = false;
  if (s->payload.len > *budget)
    s->payload.len = *budget;
  *budget -= s->payload.len;
  if (s->kind == WS_STEP_FRAME) {
    ws_step_frame *f = &s->frame;
    uint64_t len = f->lie_length ? f->declared_length : s->payload.len;
    if ((f->length_form == WS_LEN_7BIT && len > 127) ||
        (f->length_form == WS_LEN_16BIT && len > 65535))
      f->length_form = WS_LEN_64BIT;
  } else if (s->kind == WS_STEP_FRAGMENTED) {
    size_t min = s->payload.len / 256 + 1;
    if (s->fragment_size < min)
      s->fragment_size = min;
  } else if (s->kind == WS_STEP_WAIT) {
    if (s->number > WS_NETFUZZ_MAX_WAIT_MS)
      s->number = WS_NETFUZZ_MAX_WAIT_MS;
  } else if (s->kind == WS_STEP_REQUEST) {
    s->request_is_template = placeholder_in(&s->payload);
  }
}

/* A close at the end lets a live peer end the connection at once instead
 * of the input waiting out its deadline. */
static void end_with_close(nf_gen *g) {
  for (size_t i = g->n; i-- > 0;) {
    const ws_step *s = &g->v[i];
    if (s->kind == WS_STEP_FRAME && s->frame.opcode == WS_OP_CLOSE)
      return;
    if (s->kind == WS_STEP_FRAME || s->kind == WS_STEP_FRAGMENTED ||
        s->kind == WS_STEP_RAW)
      break;
  }
  if (g->n == g->cap)
    g->n--;
  ws_step close = nf_frame(WS_OP_CLOSE, (const uint8_t *)"\x03\xe8", 2);
  (void)nf_insert(g, g->n, &close);
}

static void normalise(nf_gen *g) {
  fix_opening(g);
  size_t budget = WS_NETFUZZ_MAX_PAYLOAD;
  for (size_t i = 0; i < g->n; i++)
    fix_step(&g->v[i], &budget);
  end_with_close(g);
}

/* ---- the case around the steps ---- */

int ws_netfuzz_set_outcomes(ws_case *c, ws_arena *arena, bool needs_close) {
  ws_predicate *p = ws_arena_calloc(arena, 5, sizeof *p);
  ws_alternative *a = ws_arena_calloc(arena, 3, sizeof *a);
  ws_outcome *o = ws_arena_calloc(arena, 2, sizeof *o);
  if (!p || !a || !o)
    return -1;
  p[0].kind = WS_PRED_OTHERWISE;
  a[0] = (ws_alternative){1, &p[0]};
  if (needs_close) {
    p[1] = (ws_predicate){.kind = WS_PRED_CLOSE, .codes = {.any = true}};
    p[2].kind = WS_PRED_ALIVE;
    p[3].kind = WS_PRED_DROP;
    p[4].kind = WS_PRED_ALIVE;
    a[1] = (ws_alternative){2, &p[1]};
    a[2] = (ws_alternative){2, &p[3]};
    o[0] = (ws_outcome){.grade = WS_VERDICT_PASS, .count = 2, .alts = &a[1]};
    o[0].text = "close any & alive | drop & alive";
  } else {
    p[1].kind = WS_PRED_ALIVE;
    a[1] = (ws_alternative){1, &p[1]};
    o[0] = (ws_outcome){.grade = WS_VERDICT_PASS, .count = 1, .alts = &a[1]};
    o[0].text = "alive";
  }
  o[1] = (ws_outcome){
      .grade = WS_VERDICT_FAIL, .text = "otherwise", .count = 1, .alts = a};
  c->outcomes = o;
  c->outcome_count = 2;
  c->uses_alive = true;
  return 0;
}

bool ws_netfuzz_cleanly_framed(const ws_case *c) {
  bool close = false;
  for (size_t i = 0; i < c->step_count; i++) {
    const ws_step *s = &c->steps[i];
    if (s->kind == WS_STEP_RAW || s->kind == WS_STEP_REQUEST)
      return false;
    if (s->kind != WS_STEP_FRAME)
      continue;
    const ws_step_frame *f = &s->frame;
    if (f->lie_length && f->declared_length != s->payload.len)
      return false;
    if (f->length_form == WS_LEN_7BIT && s->payload.len > 125)
      return false;
    close |= f->opcode == WS_OP_CLOSE;
  }
  return close;
}

ws_netfuzz *ws_netfuzz_new(const ws_catalogue *seeds, uint64_t seed,
                           uint32_t timeout_ms) {
  if (ws_catalogue_count(seeds) == 0)
    return NULL;
  ws_netfuzz *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->cat = seeds;
  ws_prng_seed(&f->rng, seed, "netfuzz");
  f->timeout_ms = timeout_ms ? timeout_ms : WS_NETFUZZ_DEFAULT_TIMEOUT_MS;
  return f;
}

void ws_netfuzz_free(ws_netfuzz *f) { free(f); }

static void fill_info(ws_case *out, const char *id, uint32_t timeout_ms) {
  memset(out, 0, sizeof *out);
  snprintf(out->id, sizeof out->id, "%s", id);
  out->title = "Fuzz input";
  out->area = "robustness";
  out->rfc = "6455#10.4";
  out->level = WS_LEVEL_MUST;
  out->timeout_ms = timeout_ms;
}

int ws_netfuzz_next(ws_netfuzz *f, ws_arena *arena, const char *id,
                    ws_case *out, char *what, size_t cap) {
  /* Room for the mutations to grow the case before it is cut to size. */
  size_t room = WS_NETFUZZ_MAX_STEPS * 2;
  nf_gen g = {.rng = &f->rng,
              .arena = arena,
              .cat = f->cat,
              .cap = room,
              .what = what,
              .what_cap = cap};
  g.v = ws_arena_alloc(arena, room * sizeof *g.v);
  if (!g.v || cap == 0)
    return -1;
  size_t count = ws_catalogue_count(f->cat);
  const ws_case *a = ws_catalogue_get(f->cat, (size_t)nf_below(&g, count));
  snprintf(what, cap, "%s:", a->id);
  g.n = a->step_count < WS_NETFUZZ_MAX_STEPS ? a->step_count
                                             : WS_NETFUZZ_MAX_STEPS;
  memcpy(g.v, a->steps, g.n * sizeof *g.v);
  unsigned rounds = 1 + (unsigned)nf_below(&g, 4);
  for (unsigned i = 0; i < rounds && !g.oom; i++)
    mutate_once(&g);
  if (g.n > WS_NETFUZZ_MAX_STEPS)
    g.n = WS_NETFUZZ_MAX_STEPS;
  normalise(&g);
  if (g.oom)
    return -1;
  fill_info(out, id, f->timeout_ms);
  out->steps = g.v;
  out->step_count = g.n;
  int rc = ws_netfuzz_set_outcomes(out, arena, false);
  if (rc == 0)
    ws_case_derive(out);
  return rc;
}
