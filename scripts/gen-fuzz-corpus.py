#!/usr/bin/python3
"""Generates the seed corpora of the libFuzzer targets under fuzz/corpus/.

The seeds are the bytes the catalogue really sends and receives: the script
runs `wsprobe test --wire-all` against the built-in reference server (all
cases, a fixed --seed), splits every case's wire log and files the pieces
under the targets that parse them:

  client HTTP requests            -> http_request
  server HTTP responses           -> http_response
  client frame streams (tx)       -> frame_decoder, message, frame_wslay_diff
  the whole client byte stream    -> server_conn
  server frame streams (rx)       -> frame_decoder (as server frames)
  text payloads, close reasons,
  UTF-8 samples of cases/utf8/    -> utf8
  compressed messages (RSV1 set, continuations joined): client
  ones (wire tx, show) and the server's echoes (rx), with the
  window and takeover results.json "deflate" records
                                  -> inflate
  Sec-WebSocket-Extensions of each request, paired with the
  reference server's 101 answer   -> pmd_negotiate
  RFC 7692 7.2.3 payloads         -> inflate
  RFC 7692 5/7 offers and answers -> pmd_negotiate
  Sec-WebSocket-Protocol/-Extensions values + hand-made edges
                                  -> header_values
  cases/**/*.case + excerpts      -> case_parse
  small results.json documents    -> results_json
  encoder specs                   -> frame_roundtrip

The client side is taken from `wsprobe show ID --seed S` (exactly the bytes
`test --seed S` sends), because the wire log's tx side depends on timing:
steps after the server failed the connection are sent or not. The
exception is the client's compressed messages: show does not know the
agreement and shows them uncompressed, so they are taken from the wire's tx
side, only as many as the server answered plus the one it failed on.

Plus hand-made edges for every target (lengths 125/126/127/65535/65536/2^63,
reserved opcodes, bare LF, obs-fold, duplicate headers, ...).

Each target's input layout (the config bytes some targets read first) is in
the *_input() functions of fuzzcorpus/layouts.py, kept in step with
fuzz/<target>.c. Each seed is cut at its target's max_len
(fuzz/<target>.options). Files are named by the SHA-256 of their content,
so the same seed is never stored twice and a re-run writes the same files:
the output is deterministic for a given --seed and catalogue. Structurally
equivalent frame streams (same sequence of frame shapes) are stored once,
which keeps the corpus small.

Usage: scripts/gen-fuzz-corpus.py [--seed S] [--out fuzz/corpus]
           [--wsprobe build/wsprobe] [--results results.json] [--prune]
Python 3 standard library only. The work is done by the package
scripts/fuzzcorpus/ (see its __init__.py); this file is the command line.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

# Run by path from any directory: the package lives next to this file.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fuzzcorpus import ROOT  # noqa: E402
from fuzzcorpus.corpus import Corpus  # noqa: E402
from fuzzcorpus.edges_deflate import (add_inflate_seeds,  # noqa: E402
                                      add_pmd_seeds)
from fuzzcorpus.edges_frames import (add_frame_edges,  # noqa: E402
                                     add_roundtrip_seeds, add_utf8_edges)
from fuzzcorpus.edges_text import (add_case_parse_edges,  # noqa: E402
                                   add_header_value_edges, add_http_edges)
from fuzzcorpus.layouts import TARGETS, read_max_lens  # noqa: E402
from fuzzcorpus.sources import (add_case_parse_seeds,  # noqa: E402
                                add_utf8_samples, add_wire_seeds,
                                run_catalogue, show_streams)

DEFAULT_SEED = 1
MAX_TOTAL_FILES = 4000
MAX_TOTAL_BYTES = 5 * 1024 * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED,
                    help="wsprobe --seed of the catalogue run (default %d)"
                    % DEFAULT_SEED)
    ap.add_argument("--out", default=os.path.join(ROOT, "fuzz", "corpus"))
    ap.add_argument("--wsprobe", default=os.path.join(ROOT, "build",
                                                      "wsprobe"))
    ap.add_argument("--results", help="use this results.json (from "
                    "--wire-all) instead of running the catalogue")
    ap.add_argument("--prune", action="store_true",
                    help="remove files under --out/<target>/ that this run "
                    "did not generate (e.g. after a catalogue change)")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()

    read_max_lens()
    corpus = Corpus()
    tmp = tempfile.mkdtemp(prefix="wsprobe-corpus-")
    try:
        results = args.results
        if not results:
            if not os.access(args.wsprobe, os.X_OK):
                sys.exit("gen-fuzz-corpus: %s not found (run make first)"
                         % args.wsprobe)
            results = run_catalogue(args.wsprobe, args.seed, tmp)
        sent = {}
        if os.access(args.wsprobe, os.X_OK):
            with open(results, "rb") as f:
                doc = json.load(f)
            ids = [c["id"] for c in doc.get("cases", [])]
            sent = show_streams(args.wsprobe, int(doc.get("seed", args.seed)),
                                ids)
        stats = add_wire_seeds(corpus, results, sent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    add_utf8_samples(corpus)
    add_case_parse_seeds(corpus)
    add_case_parse_edges(corpus)
    add_frame_edges(corpus)
    add_http_edges(corpus)
    add_header_value_edges(corpus)
    add_utf8_edges(corpus)
    add_roundtrip_seeds(corpus)
    add_inflate_seeds(corpus)
    add_pmd_seeds(corpus)

    files = sum(len(s) for s in corpus.seeds.values())
    size = sum(len(d) for s in corpus.seeds.values() for d in s.values())
    if files > MAX_TOTAL_FILES or size > MAX_TOTAL_BYTES:
        sys.exit("gen-fuzz-corpus: %d files, %d bytes: over the budget of "
                 "%d files / %d bytes" % (files, size, MAX_TOTAL_FILES,
                                          MAX_TOTAL_BYTES))
    written = corpus.write(args.out, args.prune)
    if not args.quiet:
        print("gen-fuzz-corpus: %d cases read, %d seeds (%d KiB), %d new "
              "files in %s" % (stats["cases"], files, size // 1024, written,
                                os.path.relpath(args.out, os.getcwd())))
        for t in TARGETS:
            s = corpus.seeds[t]
            print("  %-18s %5d files %7d KiB" %
                  (t, len(s), sum(len(d) for d in s.values()) // 1024))


if __name__ == "__main__":
    main()
