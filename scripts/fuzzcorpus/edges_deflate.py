"""Seeds for the permessage-deflate targets (RFC 7692): the compressed
payloads of RFC 7692 7.2.3 for fuzz/inflate.c and the offers and answers of
RFC 7692 5 and 7 for fuzz/pmd_negotiate.c, in each target's input layout
(layouts.py inflate_input and pmd_input, kept in step with the top of
each fuzz/<target>.c). The catalogue's own compressed messages and
negotiations are taken in sources.py.
"""

import zlib

from .layouts import (CHUNK_BYTES, CHUNK_WHOLE, chunk_fixed, inflate_input,
                      pmd_input)

# RFC 7692 7.2.3.1 to 7.2.3.5, and the empty message (one 00 octet).
HELLO = bytes.fromhex("f248cdc9c90700")
HELLO_AGAIN = bytes.fromhex("f200110000")
HELLO_STORED = bytes.fromhex("000500faff48656c6c6f00")
HELLO_BFINAL = bytes.fromhex("f348cdc9c9070000")
HELLO_TWO_BLOCKS = bytes.fromhex("f2480500000000ffffcac9c90700")
EMPTY = b"\x00"


def _sync_flushed(data, bits=15, level=6):
    """Bare zlib, raw, sync-flushed, the 4 octets removed (RFC 7692
    7.2.1)."""
    c = zlib.compressobj(level, zlib.DEFLATED, -bits)
    return (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]


def add_inflate_seeds(corpus):
    singles = [HELLO, HELLO_STORED, HELLO_BFINAL, HELLO_BFINAL[:-1],
               HELLO_TWO_BLOCKS, EMPTY, b"", b"\x06",
               _sync_flushed(b"a" * 1000, level=9),
               _sync_flushed(b"websocket " * 50, bits=9),
               _sync_flushed(bytes(range(256)) * 4, level=0)]
    for m in singles:
        for chunk in (CHUNK_WHOLE, CHUNK_BYTES, chunk_fixed(3)):
            corpus.add("inflate", inflate_input([m], chunk=chunk))
        corpus.add("inflate", inflate_input([m], no_takeover=True,
                                            observe=True))
        corpus.add("inflate", inflate_input([m], window_bits=8, exact=True))
    # Context takeover: the second "Hello" refers to the first; without
    # takeover it is invalid; a final block keeps the window.
    corpus.add("inflate", inflate_input([HELLO, HELLO_AGAIN]))
    corpus.add("inflate", inflate_input([HELLO, HELLO_AGAIN],
                                        no_takeover=True, observe=True))
    corpus.add("inflate", inflate_input([HELLO_BFINAL, HELLO_AGAIN, EMPTY,
                                         HELLO_AGAIN], chunk=CHUNK_BYTES))
    corpus.add("inflate", inflate_input([b"\x06", HELLO, HELLO_AGAIN],
                                        observe=True))
    # A small bomb: 60000 zeros against a 64-byte limit, and at the limit.
    bomb = _sync_flushed(bytes(60000), level=9)
    corpus.add("inflate", inflate_input([bomb], limit_units=0))
    corpus.add("inflate", inflate_input([bomb[:40], bomb[40:]],
                                        limit_units=0, observe=True,
                                        no_takeover=True))
    corpus.add("inflate", inflate_input([_sync_flushed(b"x" * 128)],
                                        limit_units=1))


def add_pmd_seeds(corpus):
    offers = [
        b"permessage-deflate",
        b"permessage-deflate; client_max_window_bits",
        # RFC 7692 5: several offers in preference order.
        b"permessage-deflate; client_max_window_bits; "
        b"server_max_window_bits=10, permessage-deflate; "
        b"client_max_window_bits",
        b"permessage-deflate; server_no_context_takeover; "
        b"client_no_context_takeover",
        b"permessage-deflate; server_max_window_bits=8; "
        b"client_max_window_bits=8",
        b"x-webkit-deflate-frame, permessage-deflate; bogus, "
        b"permessage-deflate",
        b"permessage-deflate; server_max_window_bits=08",
        b"permessage-deflate; client_max_window_bits=16",
        b"permessage-deflate; server_no_context_takeover=1",
        b"permessage-deflate; client_max_window_bits; client_max_window_bits",
    ]
    responses = [
        None, b"permessage-deflate", b"permessage-deflate; "
        b"server_max_window_bits=10", b"permessage-deflate; "
        b"client_max_window_bits=9", b"permessage-deflate; "
        b"client_max_window_bits", b"permessage-deflate, permessage-deflate",
        b"permessage-deflate; server_no_context_takeover; "
        b"client_no_context_takeover; server_max_window_bits=15; "
        b"client_max_window_bits=15",
    ]
    configs = [dict(), dict(smax=10, cmax=9), dict(smin=9),
               dict(flags=3), dict(smin=12, smax=10)]
    for o in offers:
        for r in responses:
            corpus.add("pmd_negotiate", pmd_input(o, r))
        for cfg in configs:
            corpus.add("pmd_negotiate", pmd_input(o, **cfg))
