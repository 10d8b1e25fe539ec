"""Each fuzz target's input layout: the config prefix (flags, limits, chunk
scheme) a target reads before its data, so a seed means what it says. Keep in
step with fuzz/<target>.c. Also the list of targets and the size cap of each
(fuzz/<target>.options max_len), which Corpus applies to every seed.
"""

import os
import re
import struct

from . import ROOT

TARGETS = [
    "frame_decoder",
    "frame_roundtrip",
    "frame_wslay_diff",
    "message",
    "utf8",
    "http_request",
    "http_response",
    "header_values",
    "case_parse",
    "server_conn",
    "results_json",
    "inflate",
    "pmd_negotiate",
]

MAX_FILE = 64 * 1024  # bytes per seed file
# Frame streams and texts are cut here: a 64 KiB frame cut after 8 KiB still
# has its header (the length edges) and a long payload; the rest would only
# make the corpus big and the fuzzer slow.
STREAM_CAP = 8 * 1024
CAPS = {"frame_decoder": STREAM_CAP, "message": STREAM_CAP,
        "frame_wslay_diff": STREAM_CAP, "utf8": STREAM_CAP,
        "server_conn": 2 * STREAM_CAP}


def read_max_lens():
    """The max_len of each fuzz/<target>.options: a seed longer than that
    is cut by libFuzzer when it loads it, so it is cut here already (and
    deduplicated as cut)."""
    for target in TARGETS:
        try:
            with open(os.path.join(ROOT, "fuzz", target + ".options")) as f:
                for line in f:
                    m = re.match(r"\s*max_len\s*=\s*(\d+)\s*$", line)
                    if m:
                        CAPS[target] = min(CAPS.get(target, MAX_FILE),
                                           int(m.group(1)))
        except OSError:
            pass


def cap_of(target):
    return CAPS.get(target, MAX_FILE)


# ---------------------------------------------------------------------------
# Input layouts: the config prefix each target reads before its data, so a
# seed means what it says. Keep in step with fuzz/<target>.c.
# ---------------------------------------------------------------------------

# fuzz/fuzz_common.h fz_chunker_init: 2 bytes (mode, param) before the data;
# mode 0 whole, 1 one byte per call, 2 param+1 bytes per call, 3 a list of
# (param & 15) + 1 sizes taken off the END of the input.
CHUNK_WHOLE = (0, 0)
CHUNK_BYTES = (1, 0)


def chunk_fixed(n):
    return (2, n - 1)


def chunk_list(sizes):
    return (3, len(sizes) - 1, bytes(sizes))


def with_chunks(data, chunk):
    head = bytes(chunk[:2])
    tail = chunk[2] if len(chunk) > 2 else b""
    return head + data + tail


# frame_decoder: [flags][limit][chunk mode][chunk param][frames][sizes]
# flags bit 0 server sender, bit 1 OBSERVE, bits 2-4 allowed RSV; limit 0 no
# frame limit (1-15 index a table of edges, else the byte itself).
def frame_decoder_input(stream, server=False, observe=True, chunk=CHUNK_WHOLE,
                        rsv=0, limit=0):
    flags = (1 if server else 0) | (2 if observe else 0) | (rsv << 2)
    return bytes([flags, limit]) + with_chunks(stream, chunk)


# message: [flags][max_message][max_fragments][chunk mode][chunk param]
# [frames][sizes]; both policies always run. flags bit 0 server sender, bits
# 1-3 allowed RSV, bit 4 "we sent a close". max_message = byte * 8 + 1,
# max_fragments = (byte & 31) + 1: the defaults below are the largest.
def message_input(stream, server=False, chunk=CHUNK_WHOLE, rsv=0,
                  close_sent=False, max_message=255, max_fragments=31):
    flags = (1 if server else 0) | (rsv << 1) | (0x10 if close_sent else 0)
    return bytes([flags, max_message, max_fragments]) + with_chunks(stream,
                                                                    chunk)


# frame_wslay_diff: [chunk mode][chunk param][client frames][sizes]: our
# OBSERVE decoder against wslay_frame_recv, both reading client frames.
def wslay_input(stream, chunk=CHUNK_WHOLE):
    return with_chunks(stream, chunk)


# utf8: [chunk mode][chunk param][text][sizes].
def utf8_input(text, chunk=CHUNK_WHOLE):
    return with_chunks(text, chunk)


# http_request: [max_bytes / 8][max_fields & 31][chunk 2][request][sizes];
# 0, 0: the parser's defaults (8192 bytes, 64 fields).
def http_request_input(req, chunk=CHUNK_WHOLE, max_bytes=0, max_fields=0):
    return bytes([max_bytes, max_fields]) + with_chunks(req, chunk)


# http_response: [flags][chunk 2]protocols NUL extensions NUL response
# [sizes]. flags bit 0: no subprotocol offered, bit 1: no extension offered.
# The key is fixed (SAMPLE_KEY): responses carry its accept value.
def http_response_input(resp, chunk=CHUNK_WHOLE, protocols=None,
                        extensions=None):
    flags = (1 if protocols is None else 0) | (2 if extensions is None else 0)
    head = bytes([flags]) + bytes(chunk[:2])
    tail = chunk[2] if len(chunk) > 2 else b""
    return head + (protocols or b"") + b"\0" + (extensions or b"") + b"\0" \
        + resp + tail


# header_values: [format cap][token length & 15][token]value NUL value ...
# Every value goes through every parser (list, subprotocols, extensions,
# permessage-deflate parameters); the values are repeated header instances.
def header_values_input(values, token=b"upgrade", cap=255):
    if isinstance(values, bytes):
        values = [values]
    return bytes([cap, len(token)]) + token + b"\0".join(values)


# case_parse: [seed][error buffer size - 1][pattern length & 31][pattern]
# case file text.
def case_parse_input(text, seed=1, err_cap=127, pattern=b""):
    return bytes([seed, err_cap, len(pattern)]) + pattern + text


# server_conn: [max_message][max_fragments][header limits][backlog][flags]
# [op count & 63][ops][client bytes]. max_message = byte * 16 + 1 (255: 4081
# bytes), max_fragments = (byte & 15) + 1, header limits 0: defaults,
# backlog 0: default. flags bit 0: a canned valid request goes first (bit 1:
# the observer does not check the 101 against it). No ops: reads of 1 KiB.
# An op: bits 0-1 = 0 small read of arg + 1 bytes, 1 read of (arg + 1) * 16,
# 2 write arg * 7 + 1 bytes, 3 event (arg & 3: deadline, peer close (arg & 4),
# our close, write all); arg = op >> 2.
def server_conn_input(stream, ops=b"", canned=False, max_message=255,
                      max_fragments=15, header=0, backlog=0):
    flags = 1 if canned else 0
    return bytes([max_message, max_fragments, header, backlog, flags,
                  len(ops)]) + ops + stream


# results_json: [limits][JSON]: max_depth = (byte & 15) + 1, max_nodes =
# ((byte >> 4) + 1) * 64.
def results_json_input(text, limits=0xff):
    return bytes([limits]) + text


# frame_roundtrip: [flags][op][mask key 4][declared length 8, big-endian]
# [limit][payload, at most 1024 bytes]. flags: bit 0 fin, bit 1 masked, bits
# 2-3 length form (0 minimal, 1 7-bit, 2 16-bit, 3 64-bit), bit 4 lie about
# the length (write `declared`), bit 5 decode as the other sender, bit 6 all
# RSV bits negotiated, bit 7 an opcode over 15 (invalid spec). op: bits 0-3
# opcode, bits 4-6 RSV, bit 7 an RSV over 7 (invalid spec). limit: bit 7 set
# means a frame limit of (limit & 0x7f) * 9.
def frame_roundtrip_input(opcode=1, payload=b"", fin=1, masked=True,
                          form=0, declared=None, rsv=0, flip_sender=False,
                          allow_rsv=False, bad_opcode=False, bad_rsv=False,
                          limit=0, key=b"\x37\xfa\x21\x3d"):
    flags = (fin & 1) | (2 if masked else 0) | ((form & 3) << 2) \
        | (0x10 if declared is not None else 0) \
        | (0x20 if flip_sender else 0) | (0x40 if allow_rsv else 0) \
        | (0x80 if bad_opcode else 0)
    op = (opcode & 15) | ((rsv & 7) << 4) | (0x80 if bad_rsv else 0)
    return bytes([flags, op]) + key + struct.pack(
        ">Q", declared or 0) + bytes([limit]) + payload


# inflate: [flags][limit][chunk 2][lens][messages][sizes]; flags bits 0-2
# window bits - 8, bit 3 no context takeover, bit 4 exact window, bit 5
# OBSERVE, bits 6-7 messages - 1; max_message = (limit + 1) * 64; one length
# byte per message but the last (RFC 7692 7.2.1 payloads, no 00 00 ff ff).
def inflate_input(messages, window_bits=15, no_takeover=False, exact=False,
                  observe=False, limit_units=255, chunk=CHUNK_WHOLE):
    """fuzz/inflate.c: [flags][limit][chunk 2][lens][messages][sizes]."""
    flags = ((window_bits - 8) | (no_takeover << 3) | (exact << 4) |
             (observe << 5) | ((len(messages) - 1) << 6))
    lens = bytes(len(m) for m in messages[:-1])
    data = lens + b"".join(messages)
    return bytes([flags, limit_units]) + with_chunks(data, chunk)


# pmd_negotiate: [smax][smin][cmax][flags]offers NUL response; the server
# config's window bits as value % 9 (0 the default, else 7 + value), flags
# bit 0/1 server/client_no_context_takeover asked. No NUL: no response.
def pmd_input(offers, response=None, smax=0, smin=0, cmax=0, flags=0):
    """fuzz/pmd_negotiate.c: [smax][smin][cmax][flags]offers\\0response,
    window bits as value % 9 (0 the default, else 7 + value)."""
    def b(bits):
        return 0 if bits == 0 else bits - 7
    out = bytes([b(smax), b(smin), b(cmax), flags]) + offers
    if response is not None:
        out += b"\x00" + response
    return out
