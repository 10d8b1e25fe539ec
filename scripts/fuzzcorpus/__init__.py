"""The seed corpus generator behind scripts/gen-fuzz-corpus.py.

One concept per module:

  layouts.py       each fuzz target's input layout (the *_input functions,
                   kept in step with fuzz/<target>.c), the chunk schemes and
                   the per-target size caps
  wire.py          frame encoding and parsing, frame-shape signatures, HTTP
                   header-block helpers and the canned handshake bytes
  corpus.py        the Corpus being built: dedupe, caps, writing the files
  sources.py       seeds taken from the catalogue: the `wsprobe test
                   --wire-all` run, `wsprobe show` byte dumps, results.json
                   documents, and the cases/ files themselves
  edges_frames.py  hand-made edges of the frame, message, UTF-8, server
                   connection and encoder (round-trip) targets
  edges_text.py    hand-made edges of the text parsers: case files, HTTP
                   requests and responses, header values
  edges_deflate.py hand-made edges of the permessage-deflate targets
                   (inflate, pmd_negotiate); the catalogue's own compressed
                   messages and negotiations come from sources.py

Python 3 standard library only.
"""

import os

# The repository: this package is scripts/fuzzcorpus/.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
