/* Synthetic payload corpora, seeded and reproducible, for the cases that
 * need data with a shape (permessage-deflate compresses JSON and a bitmap
 * very differently from random bytes): an endless byte stream per kind, read
 * at any offset without generating what comes before it.
 *
 * Each stream is cut into 4 KiB blocks, each generated on its own from
 * (seed, kind, block index), so a slice costs only its own blocks. Text
 * kinds draw words from small vocabularies, so they repeat within an LZ77
 * window as real text does, and messages cut from consecutive offsets share
 * words: context takeover has something to find. */
#ifndef WS_HARNESS_CORPUS_H
#define WS_HARNESS_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_corpus {
  WS_CORPUS_JSON,   /* JSON-like records, ASCII: text messages */
  WS_CORPUS_HTML,   /* HTML-like markup, ASCII: text messages */
  WS_CORPUS_PROSE,  /* English-like prose, ASCII: text messages */
  WS_CORPUS_GERMAN, /* German prose in UTF-8: binary messages, since a slice
                       may cut a character in two */
  WS_CORPUS_BITMAP, /* a 1-bit picture's bytes: long runs, binary */
  WS_CORPUS_RANDOM, /* incompressible bytes */
};
#define WS_CORPUS_COUNT 6

/* The corpora are the same in every run (like Autobahn's data files): one
 * fixed seed, independent of --seed, so a payload shown by `wsprobe show`
 * is the payload sent. */
#define WS_CORPUS_SEED UINT64_C(0x77737072)
/* Offsets a case file may name (2^40: far past any message). */
#define WS_CORPUS_MAX_OFFSET (UINT64_C(1) << 40)

/* "json", "html", "prose", "german", "bitmap", "random". */
const char *ws_corpus_name(enum ws_corpus kind);
/* The kind named name[0..len), or -1. */
int ws_corpus_parse(const char *name, size_t len);
/* Whether every slice is valid UTF-8 (ASCII), so it can be a text message. */
bool ws_corpus_is_text(enum ws_corpus kind);

/* Writes bytes [offset, offset + len) of the kind's stream for seed. */
void ws_corpus_fill(enum ws_corpus kind, uint64_t seed, uint64_t offset,
                    uint8_t *out, size_t len);

#endif
