#include "case/corpus.h"

#include "util/prng.h"

#include <stdio.h>
#include <string.h>

#define BLOCK 4096

static const char *const names[WS_CORPUS_COUNT] = {
    "json", "html", "prose", "german", "bitmap", "random"};

const char *ws_corpus_name(enum ws_corpus kind) {
  return (unsigned)kind < WS_CORPUS_COUNT ? names[kind] : "unknown";
}

int ws_corpus_parse(const char *name, size_t len) {
  for (int i = 0; i < WS_CORPUS_COUNT; i++)
    if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
      return i;
  return -1;
}

bool ws_corpus_is_text(enum ws_corpus kind) {
  return kind == WS_CORPUS_JSON || kind == WS_CORPUS_HTML ||
         kind == WS_CORPUS_PROSE;
}

/* ---- vocabularies ---- */

static const char *const english[] = {
    "the",    "of",      "and",    "to",     "a",       "in",      "is",
    "that",   "for",     "it",     "as",     "was",     "with",    "be",
    "by",     "on",      "not",    "he",     "this",    "are",     "or",
    "his",    "from",    "at",     "which",  "but",     "have",    "an",
    "had",    "they",    "you",    "were",   "their",   "one",     "all",
    "we",     "can",     "her",    "has",    "there",   "been",    "if",
    "more",   "when",    "will",   "would",  "who",     "so",      "no",
    "server", "message", "frame",  "window", "deflate", "context", "socket",
    "client", "payload", "stream", "header", "close",   "ping",    "echo"};

static const char *const german[] = {
    "der",     "die",   "und",    "in",     "den",     "von",    "zu",
    "das",     "mit",   "sich",   "des",    "auf",     "für",    "ist",
    "im",      "dem",   "nicht",  "ein",    "Die",     "eine",   "als",
    "auch",    "es",    "an",     "werden", "aus",     "er",     "hat",
    "daß",     "sie",   "nach",   "wird",   "bei",     "einer",  "Der",
    "über",    "Größe", "Straße", "schön",  "Mädchen", "Bücher", "für",
    "Nacht",   "Geist", "Faust",  "Welt",   "Himmel",  "Erde",   "Herz",
    "Mephisto"};

static const char *const html_tags[] = {"div", "span", "p",  "a",
                                        "li",  "td",   "em", "strong"};
static const char *const json_keys[] = {"id",    "name",  "email", "active",
                                        "score", "tags",  "city",  "created",
                                        "owner", "items", "price", "note"};

typedef struct gen {
  uint8_t *out;
  size_t len, at;
  ws_prng *g;
} gen;

static void put(gen *w, const char *s) {
  size_t n = strlen(s);
  if (n > w->len - w->at)
    n = w->len - w->at;
  memcpy(w->out + w->at, s, n);
  w->at += n;
}

static uint64_t pick(gen *w, uint64_t n) { return ws_prng_next(w->g) % n; }

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void prose(gen *w, const char *const *words, size_t n) {
  while (w->at < w->len) {
    put(w, words[pick(w, n)]);
    uint64_t r = pick(w, 16);
    put(w, r == 0 ? ". " : r == 1 ? ", " : r == 2 ? "\n" : " ");
  }
}

static void json(gen *w) {
  char num[32];
  while (w->at < w->len) {
    put(w, "{\"");
    size_t fields = 2 + pick(w, 4);
    for (size_t i = 0; i < fields && w->at < w->len; i++) {
      put(w, json_keys[pick(w, COUNT(json_keys))]);
      put(w, "\": ");
      if (pick(w, 2)) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)pick(w, 100000));
        put(w, num);
      } else {
        put(w, "\"");
        put(w, english[pick(w, COUNT(english))]);
        put(w, " ");
        put(w, english[pick(w, COUNT(english))]);
        put(w, "\"");
      }
      put(w, i + 1 < fields ? ", \"" : "}");
    }
    put(w, ",\n");
  }
}

static void html(gen *w) {
  while (w->at < w->len) {
    const char *tag = html_tags[pick(w, COUNT(html_tags))];
    put(w, "<");
    put(w, tag);
    put(w, pick(w, 3) ? ">" : " class=\"item\">");
    put(w, english[pick(w, COUNT(english))]);
    put(w, " ");
    put(w, english[pick(w, COUNT(english))]);
    put(w, "</");
    put(w, tag);
    put(w, ">\n");
  }
}

/* A 1-bit bitmap's rows: runs of 00 and ff bytes of random length. */
static void bitmap(gen *w) {
  while (w->at < w->len) {
    uint8_t v = pick(w, 3) ? 0x00 : 0xff;
    size_t run = 1 + pick(w, 48);
    for (size_t i = 0; i < run && w->at < w->len; i++)
      w->out[w->at++] = pick(w, 40) ? v : (uint8_t)pick(w, 256);
  }
}

static void block(enum ws_corpus kind, uint64_t seed, uint64_t index,
                  uint8_t out[BLOCK]) {
  char salt[48];
  snprintf(salt, sizeof salt, "corpus:%s:%llu", ws_corpus_name(kind),
           (unsigned long long)index);
  ws_prng g;
  ws_prng_seed(&g, seed, salt);
  gen w = {out, BLOCK, 0, &g};
  switch (kind) {
  case WS_CORPUS_JSON:
    json(&w);
    break;
  case WS_CORPUS_HTML:
    html(&w);
    break;
  case WS_CORPUS_PROSE:
    prose(&w, english, COUNT(english));
    break;
  case WS_CORPUS_GERMAN:
    prose(&w, german, COUNT(german));
    break;
  case WS_CORPUS_BITMAP:
    bitmap(&w);
    break;
  case WS_CORPUS_RANDOM:
    ws_prng_fill(&g, out, BLOCK);
    break;
  }
}

void ws_corpus_fill(enum ws_corpus kind, uint64_t seed, uint64_t offset,
                    uint8_t *out, size_t len) {
  uint8_t buf[BLOCK];
  while (len > 0) {
    uint64_t index = offset / BLOCK;
    size_t at = (size_t)(offset % BLOCK);
    size_t n = BLOCK - at < len ? BLOCK - at : len;
    block(kind, seed, index, buf);
    memcpy(out, buf + at, n);
    out += n;
    offset += n;
    len -= n;
  }
}
