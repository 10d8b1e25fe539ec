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
  Sec-WebSocket-Protocol/-Extensions values + hand-made edges
                                  -> header_values
  cases/**/*.case + excerpts      -> case_parse
  small results.json documents    -> results_json
  encoder specs                   -> frame_roundtrip

The client side is taken from `wsprobe show ID --seed S` (exactly the bytes
`test --seed S` sends), because the wire log's tx side depends on timing:
steps after the server failed the connection are sent or not.

Plus hand-made edges for every target (lengths 125/126/127/65535/65536/2^63,
reserved opcodes, bare LF, obs-fold, duplicate headers, ...).

Each target's input layout (the config bytes some targets read first) is in
the *_input() functions below, kept in step with fuzz/<target>.c. Each seed is
cut at its target's max_len (fuzz/<target>.options). Files are named by the
SHA-256 of their content, so the same seed is never stored twice and a
re-run writes the same files: the output is deterministic for a given
--seed and catalogue. Structurally equivalent frame streams (same sequence of
frame shapes) are stored once, which keeps the corpus small.

Usage: scripts/gen-fuzz-corpus.py [--seed S] [--out fuzz/corpus]
           [--wsprobe build/wsprobe] [--results results.json] [--prune]
Python 3 standard library only.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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
]

DEFAULT_SEED = 1
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
MAX_TOTAL_FILES = 3000
MAX_TOTAL_BYTES = 5 * 1024 * 1024
RUN_TIMEOUT = 300  # seconds for the catalogue run

SAMPLE_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 1.3
SECOND_KEY = b"AQIDBAUGBwgJCgsMDQ4PEA=="
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HOST = b"127.0.0.1:9001"


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


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


# ---------------------------------------------------------------------------
# The corpus being built.
# ---------------------------------------------------------------------------


class Corpus:
    def __init__(self):
        self.seeds = {t: {} for t in TARGETS}  # target -> sha -> bytes
        self.signatures = {t: set() for t in TARGETS}

    def add(self, target, data, signature=None):
        """Adds one seed (already in the target's layout). A signature
        already seen for the target drops the seed (structural dedupe)."""
        if data is None:
            return False
        if signature is not None:
            if signature in self.signatures[target]:
                return False
            self.signatures[target].add(signature)
        data = bytes(data[:cap_of(target)])
        sha = hashlib.sha256(data).hexdigest()
        self.seeds[target][sha] = data
        return True

    def write(self, out_dir, prune):
        written = 0
        for target in TARGETS:
            d = os.path.join(out_dir, target)
            seeds = self.seeds[target]
            if not seeds and not os.path.isdir(d):
                continue
            os.makedirs(d, exist_ok=True)
            for sha, data in sorted(seeds.items()):
                path = os.path.join(d, sha)
                if os.path.exists(path):
                    continue
                tmp = path + ".tmp"
                with open(tmp, "wb") as f:
                    f.write(data)
                os.replace(tmp, path)
                written += 1
            if prune:
                for name in os.listdir(d):
                    if name not in seeds:
                        os.remove(os.path.join(d, name))
        return written


# ---------------------------------------------------------------------------
# Frames: a small decoder and encoder of our own, for splitting streams and
# for the hand-made edges.
# ---------------------------------------------------------------------------


class Frame:
    __slots__ = ("fin", "rsv", "op", "masked", "form", "length", "payload",
                 "truncated")


def parse_frames(buf):
    """Splits a frame stream. Returns (frames, trailing bytes that do not
    make a header). A frame cut short has .truncated set."""
    frames = []
    i = 0
    n = len(buf)
    while i < n:
        if n - i < 2:
            return frames, buf[i:]
        b0, b1 = buf[i], buf[i + 1]
        f = Frame()
        f.fin = b0 >> 7
        f.rsv = (b0 >> 4) & 7
        f.op = b0 & 15
        f.masked = b1 >> 7
        length = b1 & 127
        h = 2
        form = 7
        if length == 126:
            if n - i < 4:
                return frames, buf[i:]
            length = struct.unpack(">H", buf[i + 2:i + 4])[0]
            h, form = 4, 16
        elif length == 127:
            if n - i < 10:
                return frames, buf[i:]
            length = struct.unpack(">Q", buf[i + 2:i + 10])[0]
            h, form = 10, 64
        key = b"\0\0\0\0"
        if f.masked:
            if n - i < h + 4:
                return frames, buf[i:]
            key = buf[i + h:i + h + 4]
            h += 4
        f.form = form
        f.length = length
        body = buf[i + h:i + h + min(length, n)]
        f.truncated = len(body) < length
        f.payload = bytes(b ^ key[j % 4] for j, b in enumerate(body)) \
            if f.masked else bytes(body)
        frames.append(f)
        if f.truncated:
            return frames, b""
        i += h + length
    return frames, b""


def encode_frame(op, payload=b"", fin=1, rsv=0, mask=None, form=None,
                 declared=None):
    """Any frame, lies included: form 7/16/64 forces the length field,
    declared writes another length than the payload's."""
    length = len(payload) if declared is None else declared
    if form is None:
        form = 7 if length < 126 else (16 if length < 65536 else 64)
    out = bytearray([(fin << 7) | (rsv << 4) | (op & 15)])
    mbit = 0x80 if mask is not None else 0
    if form == 7:
        out.append(mbit | (length & 127))
    elif form == 16:
        out.append(mbit | 126)
        out += struct.pack(">H", length & 0xFFFF)
    else:
        out.append(mbit | 127)
        out += struct.pack(">Q", length & 0xFFFFFFFFFFFFFFFF)
    if mask is not None:
        out += mask
        out += bytes(b ^ mask[j % 4] for j, b in enumerate(payload))
    else:
        out += payload
    return bytes(out)


MASK = b"\x37\xfa\x21\x3d"


def cframe(op, payload=b"", **kw):
    kw.setdefault("mask", MASK)
    return encode_frame(op, payload, **kw)


def sframe(op, payload=b"", **kw):
    return encode_frame(op, payload, **kw)


def length_class(n):
    for edge in (0, 1, 124, 125, 126, 127, 65535, 65536):
        if n == edge:
            return str(edge)
    if n < 125:
        return "small"
    if n < 65535:
        return "medium"
    return "large"


def utf8_ok(b):
    try:
        b.decode("utf-8", "strict")
        return True
    except UnicodeDecodeError:
        return False


def frame_signature(frames, trailing):
    sig = []
    for f in frames:
        extra = ""
        if f.op in (0, 1):
            extra = "u" if utf8_ok(f.payload) else "x"
        elif f.op == 8:
            if len(f.payload) >= 2:
                extra = "%d%s" % (struct.unpack(">H", f.payload[:2])[0],
                                  "u" if utf8_ok(f.payload[2:]) else "x")
            else:
                extra = "len%d" % len(f.payload)
        minimal = (f.form == 7 and f.length < 126) or \
            (f.form == 16 and 126 <= f.length < 65536) or \
            (f.form == 64 and f.length >= 65536)
        sig.append((f.fin, f.rsv, f.op, f.masked, f.form, minimal,
                    length_class(f.length), f.truncated, extra))
    return (tuple(sig), len(trailing))


def text_messages(frames):
    """Text messages reassembled from data frames (best effort), and close
    reasons: the UTF-8 checks of the codec see exactly these."""
    out = []
    cur = None
    for f in frames:
        if f.op == 1:
            cur = bytearray(f.payload)
            if f.fin:
                out.append(bytes(cur))
                cur = None
        elif f.op == 0 and cur is not None:
            cur += f.payload
            if f.fin:
                out.append(bytes(cur))
                cur = None
        elif f.op == 2:
            cur = None
        elif f.op == 8 and len(f.payload) > 2:
            out.append(f.payload[2:])
    if cur is not None:
        out.append(bytes(cur))
    return out


# ---------------------------------------------------------------------------
# HTTP: split a byte stream into the header block and the rest.
# ---------------------------------------------------------------------------


def split_header_block(buf):
    """(header block incl. the blank line, rest). With no blank line the
    whole buffer is the header block (a request cut short on purpose)."""
    ends = []
    for sep in (b"\r\n\r\n", b"\n\n", b"\n\r\n"):
        k = buf.find(sep)
        if k >= 0:
            ends.append(k + len(sep))
    if not ends:
        return buf, b""
    k = min(ends)
    return buf[:k], buf[k:]


KEY_RE = re.compile(rb"(?im)^(sec-websocket-key[ \t]*:[ \t]*)([A-Za-z0-9+/]{22}==)")
ACCEPT_RE = re.compile(rb"(?im)^(sec-websocket-accept[ \t]*:[ \t]*)([A-Za-z0-9+/=]+)")


def normalise_request(req, port_re):
    """Fixed host and keys, so that requests differing only in the fresh key
    collapse into one seed. Returns (request, {old key: new key})."""
    req = port_re.sub(HOST, req)
    mapping = {}
    replacements = [SAMPLE_KEY, SECOND_KEY]

    def sub(m):
        old = m.group(2)
        if old not in mapping:
            mapping[old] = replacements[min(len(mapping), 1)]
        return m.group(1) + mapping[old]

    return KEY_RE.sub(sub, req), mapping


def normalise_response(resp, mapping):
    def sub(m):
        for old, new in mapping.items():
            if m.group(2) == accept_for(old):
                return m.group(1) + accept_for(new)
        return m.group(0)

    return ACCEPT_RE.sub(sub, resp)


def header_values_of(block, name):
    out = []
    for line in re.split(rb"\r?\n", block):
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() == name:
            out.append(v.strip(b" \t"))
    return out


# ---------------------------------------------------------------------------
# The catalogue run.
# ---------------------------------------------------------------------------


def run_catalogue(wsprobe, seed, tmp):
    out = os.path.join(tmp, "out")
    results = os.path.join(tmp, "results.json")
    cmd = [wsprobe, "test", "--wire-all", "--seed", str(seed), "--json",
           results, "--out", out]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        sys.exit("gen-fuzz-corpus: %s timed out after %d s" %
                 (" ".join(cmd), RUN_TIMEOUT))
    # 0: all passed, 1: some case failed (still a full wire log); 2: no run.
    if proc.returncode not in (0, 1) or not os.path.exists(results):
        sys.stderr.write(proc.stdout.decode("utf-8", "replace"))
        sys.exit("gen-fuzz-corpus: %s exited with %d" %
                 (" ".join(cmd), proc.returncode))
    return results


SHOW_HEAD_RE = re.compile(r"^  (\S.*): (\d+) bytes$")
SHOW_HEX_RE = re.compile(r"^\s+[0-9a-f]{4,16}  ([0-9a-f ]+?)\s*(?:\|.*)?$")


def parse_show(text):
    """The client byte stream from `wsprobe show` output: every hex row of
    the "bytes sent" part, in order. A step shown in part (over 64 KiB)
    ends the stream there: what follows would be misaligned, and seeds are
    cut long before anyway. None when the output has no byte dump."""
    lines = text.splitlines()
    try:
        start = next(i for i, l in enumerate(lines)
                     if l.startswith("bytes sent with"))
    except StopIteration:
        return None
    out = bytearray()
    for line in lines[start + 1:]:
        if SHOW_HEAD_RE.match(line):
            continue
        m = SHOW_HEX_RE.match(line)
        if m:
            out += bytes.fromhex(m.group(1))
        elif "more bytes not shown" in line:
            break
    return bytes(out)


def show_streams(wsprobe, seed, ids):
    """Case id -> the client bytes `wsprobe test --seed S` sends (without the
    pongs and answering close the harness may add), from `wsprobe show`.
    The wire log's tx side depends on timing: steps after the server failed
    the connection are sent or not; show's bytes do not."""
    from concurrent.futures import ThreadPoolExecutor

    def one(case_id):
        try:
            proc = subprocess.run([wsprobe, "show", case_id, "--seed",
                                   str(seed)], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, timeout=60)
        except subprocess.TimeoutExpired:
            return case_id, None
        if proc.returncode != 0:
            return case_id, None
        return case_id, parse_show(proc.stdout.decode("utf-8", "replace"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, ids))


def streams_of(case):
    tx = bytearray()
    rx = bytearray()
    for w in case.get("wire") or []:
        d = w.get("dir")
        if d == "tx":
            tx += bytes.fromhex(w.get("hex") or "")
        elif d == "rx":
            rx += bytes.fromhex(w.get("hex") or "")
    return bytes(tx), bytes(rx)


def add_wire_seeds(corpus, results_path, sent=None):
    """sent: case id -> client bytes (show_streams); the wire's tx side is
    used for a case not in it."""
    with open(results_path, "rb") as f:
        doc = json.load(f)
    sent = sent or {}
    m = re.match(r"ws://([^/]+)", doc.get("target", ""))
    authority = m.group(1).encode() if m else b"127.0.0.1:0"
    port_re = re.compile(re.escape(authority))
    stats = {"cases": 0}
    for case in doc.get("cases", []):
        stats["cases"] += 1
        tx, rx = streams_of(case)
        if sent.get(case.get("id")):
            tx = sent[case["id"]]  # for ws://127.0.0.1:9001/, i.e. HOST
        if not tx:
            continue
        req, client_frames = split_header_block(tx)
        req, mapping = normalise_request(req, port_re)
        resp, server_frames = split_header_block(rx)
        resp = normalise_response(resp, mapping)
        req_sig = hashlib.sha256(req).digest()

        corpus.add("http_request", http_request_input(req))
        offers = {}
        for name in (b"sec-websocket-protocol", b"sec-websocket-extensions"):
            values = header_values_of(req, name)
            offers[name] = b", ".join(values) if values else None
        if resp:
            corpus.add("http_response", http_response_input(
                resp, protocols=offers[b"sec-websocket-protocol"],
                extensions=offers[b"sec-websocket-extensions"]))
        for name in (b"sec-websocket-protocol", b"sec-websocket-extensions",
                     b"connection", b"upgrade"):
            for block in (req, resp):
                values = header_values_of(block, name)
                if values:
                    corpus.add("header_values", header_values_input(
                        values, token=b"upgrade" if name == b"connection"
                        else b"websocket"))

        # Each target gets the stream cut to what it reads (its max_len), and
        # keeps one stream per frame-shape signature of what it gets.
        def add_stream(target, make, stream, key, **kw):
            cut = stream[:max(0, cap_of(target) - len(make(b"", **kw)))]
            sig = frame_signature(*parse_frames(cut))
            corpus.add(target, make(cut, **kw), signature=(key, sig))

        add_stream("server_conn", lambda b: server_conn_input(req + b),
                   client_frames, req_sig)
        if client_frames:
            add_stream("frame_decoder", frame_decoder_input, client_frames,
                       "client")
            add_stream("message", message_input, client_frames, "client")
            add_stream("frame_wslay_diff", wslay_input, client_frames,
                       "client")
            for t in text_messages(parse_frames(client_frames[:MAX_FILE])[0]):
                corpus.add("utf8", utf8_input(t))
        if server_frames:
            add_stream("frame_decoder", frame_decoder_input, server_frames,
                       "server", server=True)
            add_stream("message", message_input, server_frames, "server",
                       server=True)
    add_results_json_seeds(corpus, doc, authority)
    return stats


def add_results_json_seeds(corpus, doc, authority):
    """Small results.json documents cut from the real one (a few cases with
    a short wire each) plus JSON edges. Whatever depends on the run (port,
    times) is fixed, and the counts are those of the cases kept, so the
    documents are the same on every run and consistent."""
    ms_re = re.compile(r"\d+(?:\.\d+)? ms\b")
    host = authority.decode("ascii", "replace")

    def fixed(v):
        if isinstance(v, str):
            return ms_re.sub("1.0 ms", v.replace(host, HOST.decode()))
        if isinstance(v, list):
            return [fixed(x) for x in v]
        if isinstance(v, dict):
            return {k: fixed(x) for k, x in v.items()}
        return v

    def fixed_case(case):
        c = fixed({k: v for k, v in case.items() if k != "wire"})
        c["duration_ms"] = 1.5
        wire = []
        for i, w in enumerate((case.get("wire") or [])[:4]):
            w = fixed(w)
            raw = bytes.fromhex(w.get("hex") or "").replace(authority, HOST)
            w["hex"] = raw.hex()
            w["t_ms"] = float(i)
            wire.append(w)
        c["wire"] = wire
        return c

    def document(cases, **extra):
        d = fixed({k: v for k, v in doc.items() if k != "cases"})
        d.update(started_at="2024-01-01T12:00:00Z", duration_ms=4211.5,
                 selected=len(cases), **extra)
        keys = ["total", "pass", "non_strict", "informational",
                "unimplemented", "fail", "error"]
        summary = dict.fromkeys(keys, 0)
        areas = {}
        for c in cases:
            k = c.get("verdict", "error").replace("-", "_")
            area = areas.setdefault(c.get("area", ""), dict.fromkeys(keys, 0))
            for counts in (summary, area):
                counts["total"] += 1
                counts[k] = counts.get(k, 0) + 1
        d.update(summary=summary, areas=areas, cases=cases)
        return d

    picks = []
    seen = set()
    for c in doc.get("cases", []):  # one case per verdict and per area
        for key in (c.get("verdict"), c.get("area")):
            if key not in seen:
                seen.add(key)
                picks.append(fixed_case(c))
    for i, c in enumerate(picks):
        text = json.dumps(document([c]), indent=2 if i % 2 else None)
        corpus.add("results_json", results_json_input(text.encode()))
    d = document(picks[:3], interrupted=True)
    corpus.add("results_json", results_json_input(json.dumps(d).encode()))
    corpus.add("results_json",
               results_json_input(json.dumps(document([])).encode()))
    for text in [b"", b"{}", b"[]", b"null", b"0", b"-0.5e+3", b'"\\u00e9"',
                 b'{"a": [1, 2, {"b": null}], "c": true, "d": false}',
                 b'{"schema": "wsprobe-results/1"}',
                 b'{"schema": "wsprobe-results/2", "cases": []}',
                 b'"\\ud83d\\ude00 \\ud800 \\n\\t\\"\\/"',
                 b"[" * 20 + b"]" * 20, b'{"a":', b'{"a" 1}', b"[1,]",
                 b'"\xff\xfe"', b"1e999", b"18446744073709551616",
                 b'{"a": 1, "a": 2}', b" \t\r\n[ ] ", b"[01]", b"tru"]:
        corpus.add("results_json", results_json_input(text))
    corpus.add("results_json", results_json_input(b"[[[[[[[[1]]]]]]]]", 0x02))
    corpus.add("results_json", results_json_input(
        b"[" + b"1," * 100 + b"1]", 0x0f))


# ---------------------------------------------------------------------------
# Case files: utf8 samples and case_parse seeds.
# ---------------------------------------------------------------------------

HEX_LIT_RE = re.compile(r'hex"([0-9a-fA-F \t]*)"')
HEX_CELL_RE = re.compile(r"^(?:[0-9a-fA-F]{2})(?:[ \t]+[0-9a-fA-F]{2})*$")
STR_ESC_RE = re.compile(r'\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)')


def eval_string(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        m = STR_ESC_RE.match(s, i)
        if not m:
            raise ValueError("bad escape")
        e = m.group(1)
        if e[0] == "x":
            out.append(int(e[1:], 16))
        elif e[0] == "u" and len(e) > 1:
            cp = int(e[2:-1], 16)
            out += chr(cp).encode("utf-8", "surrogatepass")
        else:
            out += {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\",
                    '"': b'"'}.get(e, e.encode())
        i = m.end()
    return bytes(out)


TERM_RE = re.compile(r'\s*(?:hex"([0-9a-fA-F \t]*)"|"((?:[^"\\]|\\.)*)")'
                     r'(?:\s*\*\s*(\d+))?\s*')


def eval_payload(expr, cap=4096):
    """The subset of PAYLOAD expressions needed for samples: strings, hex
    literals, repetition, '+'. ValueError for anything else."""
    out = bytearray()
    pos = 0
    while True:
        m = TERM_RE.match(expr, pos)
        if not m:
            raise ValueError("not a payload")
        b = bytes.fromhex(m.group(1)) if m.group(1) is not None \
            else eval_string(m.group(2))
        rep = int(m.group(3)) if m.group(3) else 1
        if len(b) * rep > cap:
            raise ValueError("too long")
        out += b * rep
        pos = m.end()
        if pos == len(expr):
            return bytes(out)
        if expr[pos] != "+":
            raise ValueError("not a payload")
        pos += 1


def case_files():
    out = []
    for d, _, names in os.walk(os.path.join(ROOT, "cases")):
        for n in names:
            if n.endswith(".case"):
                out.append(os.path.join(d, n))
    return sorted(out)


def add_utf8_samples(corpus):
    for path in case_files():
        if os.sep + "utf8" + os.sep not in path and "close" not in path:
            continue
        with open(path, "r", encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        for lit in HEX_LIT_RE.findall(text):
            try:
                corpus.add("utf8", utf8_input(bytes.fromhex(lit)))
            except ValueError:
                pass
        m = re.search(r"<table>\n(.*?)</table>", text, re.S)
        if not m:
            continue
        for row in m.group(1).splitlines()[1:]:
            for cell in row.split("|"):
                cell = cell.strip()
                if HEX_CELL_RE.match(cell):
                    corpus.add("utf8", utf8_input(bytes.fromhex(cell)))
                elif '"' in cell:
                    try:
                        corpus.add("utf8", utf8_input(eval_payload(cell)))
                    except (ValueError, UnicodeError):
                        pass


def case_excerpts(text):
    """Single cases cut out of a file: each <info>..</expect> run, with the
    table (header + first row) when the file has one."""
    out = []
    table = ""
    m = re.search(r"<table>\n(.*?)</table>\n", text, re.S)
    body = text
    if m:
        rows = m.group(1).splitlines()
        table = "<table>\n" + "\n".join(rows[:2]) + "\n</table>\n"
        body = text[m.end():]
    for c in re.finditer(r"<info>.*?</expect>\n?", body, re.S):
        out.append(table + c.group(0))
    return out


def add_case_parse_seeds(corpus):
    for path in case_files():
        with open(path, "rb") as f:
            data = f.read()
        corpus.add("case_parse", case_parse_input(data))
        text = data.decode("utf-8", "surrogateescape")
        for ex in case_excerpts(text)[:3]:
            corpus.add("case_parse",
                       case_parse_input(ex.encode("utf-8", "surrogateescape")))
    # Other seeds, tiny error buffers, selection patterns.
    some = case_files()[::9]
    variants = [dict(seed=7), dict(err_cap=0), dict(err_cap=9),
                dict(pattern=b"6.4"), dict(pattern=b"utf8,close"),
                dict(pattern=b"hs.1*")]
    for i, path in enumerate(some):
        with open(path, "rb") as f:
            data = f.read()
        corpus.add("case_parse", case_parse_input(
            data, **variants[i % len(variants)]))


# ---------------------------------------------------------------------------
# Hand-made edges.
# ---------------------------------------------------------------------------

CASE_SKELETON = """<info>
id          x.1
title       t
area        framing
rfc         6455#5.2
level       MUST
</info>
<send>
%s
</send>
<expect>
%s
</expect>
"""


def add_case_parse_edges(corpus):
    sends = [
        'text "Hello" echo',
        'binary hex"00 ff" * 3 echo',
        'ping "*" * 125 echo\nclose 1000 "bye"',
        'close-raw hex"03"',
        'fragmented text "abcdef" in 2 echo',
        'frame op=7 fin=0 rsv=7 mask=no length-form=64 declared=18446744073709551615 payload="x"',
        'frame op=ping mask=01020304 length-form=16 payload=random(10)',
        'l1: text "\\u{10FFFF}\\u{0}\\x80" echo\nwait 10\nl2: close',
        'chop 1\nrequest\nGET {path} HTTP/1.1\nHost: {host}\n X-Fold: a\\\n b\\r\\n\\t\\x41\\\\\\{key}\nSec-WebSocket-Key: {key}\n  end\nbinary',
        'request-bytes "GET / HTTP/1.1\\r\\nHost: {host}\\r\\n" + "X-Pad: " + "a" * 9000 + "\\r\\n\\r\\n"',
        'handshake protocols="a, b" extensions="permessage-deflate; client_max_window_bits" coalesce=yes\ntext "x"\nflush',
        'coalesce\ntext "a" echo\nclose 1000\nflush\nchop off',
        'raw hex"81 85" + random(9)',
    ]
    expects = [
        "pass        echo & close 1000\nnon-strict  close empty | drop\nfail        otherwise",
        "pass  status 101 & upgraded & header Upgrade=websocket & header Sec-WebSocket-Version~13\nfail otherwise",
        "pass  before l2 | messages 1..3 & pongs 0 & no-close\ninformational partial-echo | close valid,1002 , 1007\nunimplemented no-response | status 4xx,400\nfail otherwise",
        "pass alive & no-header Sec-WebSocket-Protocol\nfail otherwise",
    ]
    for i, s in enumerate(sends):
        corpus.add("case_parse", case_parse_input(
            (CASE_SKELETON % (s, expects[i % len(expects)])).encode()))
    table = ("# a table\n<table>\nid | code | title\n9.1 | 1000 | a {{x}\n"
             "9.2 | 4999 | b \\x7c\n</table>\n") + CASE_SKELETON.replace(
                 "x.1", "{id}").replace("title       t",
                                        "title       {title}") % (
                     "close {code}", "pass close {code},1000\nfail otherwise")
    corpus.add("case_parse", case_parse_input(table.encode()))
    info_extra = CASE_SKELETON.replace(
        "level       MUST\n",
        "level       SHOULD\nautobahn    1.1.1, 1.1.2\ntimeout     100\n"
        "serial      yes\ndescription one\ndescription two\n") % (
            "text", "pass otherwise")
    corpus.add("case_parse", case_parse_input(info_extra.encode()))
    for bad in [
        b"",
        b"# only a comment\n\n",
        b"<info>\nid 1\n",
        b"<info>\nid a b\n</info>\n",
        b"<send>\ntext\n</send>\n",
        b"<table>\nid\n</table>\n<table>\n</table>\n",
        b"<table>\nid | a\n1 | {b}\n</table>\n<info>\nid {id}\n{b}\n</info>\n",
        (CASE_SKELETON % ('text "\\xZZ" * 99999999999', "pass")).encode(),
        (CASE_SKELETON % ("frame op=16 fin=2 rsv=8 mask=xyz", "pass")).encode(),
        (CASE_SKELETON % ("wait 600001\nchop 0", "bogus otherwise")).encode(),
        (CASE_SKELETON % ('text "a"', "pass close 1000,1000,1000,1000,1000,"
                          "1000,1000,1000,1000,1000,1000,1000,1000,1000,"
                          "1000,1000,1000")).encode(),
        (CASE_SKELETON % ("l: text\nl: text", "pass before m")).encode(),
        (CASE_SKELETON % ("text\nrequest\nGET / HTTP/1.1\nend",
                          "pass")).encode(),
        b"<info>\r\nid\t1.2\r\n</info>\r\n<send>\r\n</send>\r\n<expect>\r\n"
        b"pass otherwise\r\n</expect>\r\n",
        (CASE_SKELETON % ('text "\\u{D800}" + hex"e" + random(-1)',
                          "pass messages 3..1")).encode(),
    ]:
        corpus.add("case_parse", case_parse_input(bad))


def add_frame_edges(corpus):
    payloads = {
        0: b"",
        1: b"a",
        125: b"x" * 125,
        126: b"y" * 126,
        127: b"z" * 127,
        65535: b"p" * 65535,
        65536: b"q" * 65536,
    }
    edges = []  # (stream, server)
    for n, p in payloads.items():
        edges.append((cframe(2, p), False))
        edges.append((sframe(2, p), True))
    for op in (1, 2, 8, 9, 10):
        edges.append((cframe(op, b""), False))
    # Non-minimal lengths, 64-bit with the top bit, lies about the length.
    edges += [
        (cframe(1, b"hello", form=16), False),
        (cframe(1, b"hello", form=64), False),
        (cframe(2, b"y" * 200, form=64), False),
        (sframe(1, b"hello", form=16), True),
        (cframe(2, b"abc", declared=1 << 63, form=64), False),
        (cframe(2, b"abc", declared=(1 << 64) - 1, form=64), False),
        (sframe(2, b"abc", declared=(1 << 63) + 5, form=64), True),
        (cframe(2, b"abc", declared=1 << 40, form=64), False),
        (cframe(2, b"abc", declared=100), False),
        (cframe(2, b"abc", declared=65535, form=16), False),
    ]
    # Reserved opcodes and RSV bits, masking on the wrong side.
    for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        edges.append((cframe(op, b"r"), False))
        edges.append((sframe(op, b"r"), True))
    for rsv in range(1, 8):
        edges.append((cframe(1, b"rsv", rsv=rsv), False))
    edges += [
        (sframe(1, b"masked by the server", mask=b"\1\2\3\4"), True),
        (encode_frame(1, b"unmasked from a client"), False),
        # Control frames: fragmented, too long (7-bit 126, 16-bit forms).
        (cframe(9, b"p", fin=0), False),
        (cframe(9, b"x" * 126), False),
        (cframe(9, b"x" * 125, form=16), False),
        (cframe(8, b"\x03"), False),
        (cframe(8, b"\x03\xe8" + b"\xff"), False),
        (cframe(8, b"\x03\xe7"), False),
        (cframe(8, b"\x13\x88"), False),
        (cframe(8, b"\x0b\xb8ok"), False),
        (cframe(8, b"\x03\xec"), False),
        (cframe(8, b"\x03\xed"), False),
        (cframe(8, b"\x03\xf4"), False),
        (cframe(8, b"\x03\xf7"), False),
        (cframe(8, b"\x03\xe8" + b"r" * 123), False),
        (cframe(8, b"\x03\xe8" + b"r" * 124), False),
        # Headers cut short at every point.
        (b"\x81", False),
        (b"\x81\xfe", False),
        (b"\x81\xfe\x00", False),
        (b"\x82\xff\x00\x00\x00\x00\x00\x01", False),
        (b"\x82\xff" + b"\x00" * 8 + b"\x01\x02", False),
        (b"\x82\x7e\x00", True),
        # Fragmentation: interleaved control frames, stray continuations.
        (cframe(1, b"fra", fin=0) + cframe(9, b"ping") + cframe(0, b"gment"),
         False),
        (cframe(0, b"stray"), False),
        (cframe(1, b"a", fin=0) + cframe(1, b"b"), False),
        (cframe(2, b"a", fin=0) + cframe(0, b"b", fin=0) + cframe(10, b"")
         + cframe(0, b"c"), False),
        (cframe(1, b"\xce\xba\xe1", fin=0) + cframe(0, b"\xbd\xb9"), False),
        (cframe(1, b"\xce\xba\xe1", fin=0) + cframe(0, b"\x28"), False),
        (cframe(1, b"ok\xed\xa0\x80"), False),
        (cframe(1, b"\xf4\x90\x80\x80"), False),
        (cframe(8, b"\x03\xe8") + cframe(1, b"after close"), False),
        (cframe(8, b"") + cframe(8, b""), False),
        (cframe(1, b"x" * 300, fin=0) + cframe(0, b"y" * 70000), False),
        (sframe(8, b"\x03\xea") + sframe(1, b"late"), True),
        (sframe(1, b"echo") + sframe(9, b"") + sframe(8, b"\x03\xe8"), True),
    ]
    many = b"".join(cframe(0 if i else 1, b"f", fin=0) for i in range(200)) \
        + cframe(0, b"end")
    edges.append((many, False))
    for i, (stream, server) in enumerate(edges):
        # Every edge in both policies: STRICT stops at the first violation,
        # OBSERVE reports them all and goes on.
        corpus.add("frame_decoder", frame_decoder_input(stream, server))
        corpus.add("frame_decoder",
                   frame_decoder_input(stream, server, observe=False))
        corpus.add("message", message_input(stream, server))
        if not server:
            corpus.add("frame_wslay_diff", wslay_input(stream))
            corpus.add("server_conn", server_conn_input(VALID_REQUEST + stream))
    # Chunk schemes, negotiated RSV bits and frame limits.
    chunks = [CHUNK_BYTES, chunk_fixed(3), chunk_fixed(200),
              chunk_list([1, 5, 0]), chunk_list([2, 9])]
    for i, (stream, server) in enumerate(edges[::5]):
        chunk = chunks[i % len(chunks)]
        corpus.add("frame_decoder", frame_decoder_input(
            stream, server, observe=bool(i & 1), chunk=chunk))
        corpus.add("message", message_input(stream, server, chunk=chunk))
    rsv_stream = cframe(1, b"deflated", rsv=4) + cframe(2, b"x", rsv=7)
    for rsv in (4, 7):
        for observe in (False, True):
            corpus.add("frame_decoder", frame_decoder_input(
                rsv_stream, observe=observe, rsv=rsv))
    big = cframe(2, b"y" * 300) + cframe(9, b"p" * 100)
    for limit in range(1, 9):
        corpus.add("frame_decoder", frame_decoder_input(
            big, observe=bool(limit & 1), limit=limit))
    # message: compressed messages under a negotiated RSV1, a close already
    # sent, and limits small enough to hit (message size, fragment count).
    corpus.add("message", message_input(rsv_stream, rsv=4))
    corpus.add("message", message_input(
        cframe(1, b"\xff\xfe", rsv=4, fin=0) + cframe(0, b"z"), rsv=4))
    corpus.add("message", message_input(
        cframe(1, b"a", rsv=4, fin=0) + cframe(0, b"b", rsv=4), rsv=4))
    for close_sent in (False, True):
        corpus.add("message", message_input(
            cframe(1, b"hi") + cframe(8, b"\x03\xe8bye") + cframe(1, b"x"),
            close_sent=close_sent))
        corpus.add("message", message_input(
            sframe(8, b"\x03\xe8") + sframe(9, b""), server=True,
            close_sent=close_sent))
    frag = b"".join(cframe(0 if i else 1, b"ab", fin=0) for i in range(8)) \
        + cframe(0, b"end")
    long_text = cframe(1, ("é" * 40).encode(), fin=0) + cframe(
        0, ("€" * 40).encode())
    for mm, mf in ((0, 31), (1, 31), (4, 31), (255, 0), (255, 3), (10, 7)):
        corpus.add("message", message_input(frag, max_message=mm,
                                            max_fragments=mf))
        corpus.add("message", message_input(long_text, max_message=mm,
                                            max_fragments=mf))
        corpus.add("message", message_input(
            sframe(1, b"x" * 100) + sframe(2, b"y" * 3000), server=True,
            max_message=mm, max_fragments=mf))
    # wslay: chunked feeds.
    for i, (stream, server) in enumerate(edges[1::6]):
        if not server:
            corpus.add("frame_wslay_diff",
                       wslay_input(stream, chunks[i % len(chunks)]))
    # server_conn: the reactor's moves (small reads, partial writes,
    # deadlines, peer close, our close) on a conversation.
    talk = cframe(1, b"hello") + cframe(9, b"ping") + cframe(
        1, b"frag", fin=0) + cframe(10, b"") + cframe(0, b"ment") + cframe(
            2, b"\0\1\2" * 50) + cframe(8, b"\x03\xe8done")
    opsets = [b"", b"\x00", b"\x04\x02", b"\x01\x06\x0b",
              b"\x00\x03", b"\x01\x1f\x03",  # deadline
              b"\x01\x0b\x02",  # our close 1000
              b"\x01\x2b",  # our close 1001/1011
              b"\x01\x01\x17",  # peer close (at the end of the list)
              b"\x02\x02\x02\x01"]
    for ops in opsets:
        corpus.add("server_conn", server_conn_input(VALID_REQUEST + talk, ops))
        corpus.add("server_conn", server_conn_input(talk, ops, canned=True))
    corpus.add("server_conn", server_conn_input(VALID_REQUEST, b"\x03"))
    corpus.add("server_conn", server_conn_input(VALID_REQUEST[:30], b"\x03"))
    for mm, mf, backlog in ((0, 0, 1), (1, 1, 0), (16, 3, 2), (255, 15, 255)):
        corpus.add("server_conn", server_conn_input(
            talk + frag + long_text, canned=True, max_message=mm,
            max_fragments=mf, backlog=backlog))
    pings = b"".join(cframe(9, b"p" * 125) for _ in range(40))
    corpus.add("server_conn", server_conn_input(pings, b"\x01", canned=True,
                                                backlog=1))
    corpus.add("frame_decoder", frame_decoder_input(big, limit=200))
    corpus.add("frame_decoder", b"")
    corpus.add("message", b"")
    corpus.add("frame_wslay_diff", b"")


VALID_REQUEST = (b"GET /chat HTTP/1.1\r\nHost: " + HOST + b"\r\n"
                 b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: " + SAMPLE_KEY + b"\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")


def request(lines, sep=b"\r\n"):
    return sep.join(lines) + sep + sep


BASE_LINES = [b"GET /chat HTTP/1.1", b"Host: " + HOST, b"Upgrade: websocket",
              b"Connection: Upgrade", b"Sec-WebSocket-Key: " + SAMPLE_KEY,
              b"Sec-WebSocket-Version: 13"]


def add_http_edges(corpus):
    reqs = [
        b"",
        b"\r\n",
        b"GET",
        VALID_REQUEST,
        VALID_REQUEST[:40],
        request(BASE_LINES, b"\n"),  # bare LF
        request(BASE_LINES[:2] + [b"X-Fold: a", b" b"] + BASE_LINES[2:]),
        request(BASE_LINES[:2] + [b"Host: other"] + BASE_LINES[2:]),
        request(BASE_LINES + [b"Sec-WebSocket-Key: " + SECOND_KEY]),
        request(BASE_LINES + [b"Sec-WebSocket-Version: 13"]),
        request([b"GET /chat HTTP/1.1", b"Host : x"] + BASE_LINES[2:]),
        request([b"GET /chat HTTP/1.0"] + BASE_LINES[1:]),
        request([b"GET /chat HTTP/2.0"] + BASE_LINES[1:]),
        request([b"GET /chat HTTP/1.12"] + BASE_LINES[1:]),
        request([b"get /chat HTTP/1.1"] + BASE_LINES[1:]),
        request([b"POST /chat HTTP/1.1"] + BASE_LINES[1:]),
        request([b"GET * HTTP/1.1"] + BASE_LINES[1:]),
        request([b"GET http://127.0.0.1:9001/chat?x=1 HTTP/1.1"]
                + BASE_LINES[1:]),
        request([b"GET  /chat HTTP/1.1"] + BASE_LINES[1:]),
        request([b"GET /chat  HTTP/1.1"] + BASE_LINES[1:]),
        request([b"GET /chat HTTP/1.1 "] + BASE_LINES[1:]),
        request(BASE_LINES[:2] + [b"Upgrade: foo, WebSocket",
                                  b"Connection: keep-alive, Upgrade"]
                + BASE_LINES[4:]),
        request(BASE_LINES[:3] + [b"Connection: NotUpgrade"]
                + BASE_LINES[4:]),
        request(BASE_LINES[:4] + [b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA="]
                + BASE_LINES[5:]),
        request(BASE_LINES[:4] + [b"Sec-WebSocket-Key: !!!!AAAAAAAAAAAAAAAAAA=="]
                + BASE_LINES[5:]),
        request(BASE_LINES[:4] + [b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAB=="]
                + BASE_LINES[5:]),
        request(BASE_LINES[:5] + [b"Sec-WebSocket-Version: 013"]),
        request(BASE_LINES[:5] + [b"Sec-WebSocket-Version: 8"]),
        request(BASE_LINES[:5]),
        request(BASE_LINES + [b"Sec-WebSocket-Protocol: chat, superchat",
                              b"Sec-WebSocket-Protocol: v2",
                              b"Sec-WebSocket-Extensions: permessage-deflate;"
                              b" client_max_window_bits, x-foo; a=\"b\"",
                              b"Origin: http://example.com"]),
        request(BASE_LINES + [b"Sec-WebSocket-Protocol: a b"]),
        request(BASE_LINES + [b"Sec-WebSocket-Extensions: ;;"]),
        request(BASE_LINES + [b"X-Empty:", b"X-Tab:\t v \t", b"X-Obs: \x80\xff"]),
        request(BASE_LINES + [b"Bad\x01Name: v"]),
        request(BASE_LINES + [b": no name"]),
        request(BASE_LINES + [b"NoColon"]),
        request(BASE_LINES + [b"X-%d: v" % i for i in range(70)]),
        request(BASE_LINES + [b"X-Pad: " + b"a" * 9000]),
        request(BASE_LINES, b"\r\n")[:-2] + b"\n",
        b"\r\n\r\n",
        b"GET / HTTP/1.1\r\r\n\r\n",
        b"GET / HTTP/1.1\x00\r\n\r\n",
        request(BASE_LINES + [b"X-Ctl: a\x01b"]),
        request(BASE_LINES + [b"X-Del: \x7f"]),
    ]
    # Request-targets: origin form with percent-encodings (good and bad),
    # characters outside the URI set, a fragment, and the absolute form with
    # each scheme, an empty or odd authority, IPv6 brackets.
    for target in [b"/a%2Fb?x=%41%e9", b"/a%zz", b"/a%2", b"/a%", b"/a\"b",
                   b"/a#frag", b"/a<b>", b"/~-._!$&'()*+,;=:@/?/",
                   b"ws://127.0.0.1:9001/chat", b"wss://h/", b"HTTP://h?q=1",
                   b"https://[::1]:9001/p", b"http:///path", b"http://h%41/",
                   b"http://h%zz/", b"http://ho^st/", b"http://h/%zz",
                   b"ftp://h/", b"http:/h", b"h/p", b"*"]:
        reqs.append(request([b"GET " + target + b" HTTP/1.1"]
                            + BASE_LINES[1:]))
    for r in reqs:
        corpus.add("http_request", http_request_input(r))
        corpus.add("server_conn", server_conn_input(r))
    # Split feeds and small limits (bytes and field count).
    chunks = [CHUNK_BYTES, chunk_fixed(2), chunk_fixed(17),
              chunk_list([1, 3, 0]), chunk_list([40, 1, 2])]
    for i, r in enumerate(reqs[3:13]):
        corpus.add("http_request", http_request_input(
            r, chunk=chunks[i % len(chunks)]))
        corpus.add("server_conn", server_conn_input(r, ops=b"\x00"))
    # Over the limits within max_len: 70 fields against 8, a long line
    # against 256 bytes.
    corpus.add("http_request", http_request_input(
        request(BASE_LINES + [b"X-%d: v" % i for i in range(70)]),
        max_fields=8))
    corpus.add("http_request", http_request_input(
        request(BASE_LINES + [b"X-Pad: " + b"a" * 300]), max_bytes=32))
    for mb, mf in ((1, 0), (4, 0), (16, 3), (0, 5), (255, 31), (20, 6)):
        corpus.add("http_request", http_request_input(
            VALID_REQUEST, max_bytes=mb, max_fields=mf))
        corpus.add("server_conn", server_conn_input(VALID_REQUEST,
                                                    header=mb))
    # Frames pipelined behind the request, read in small pieces.
    corpus.add("server_conn", server_conn_input(
        VALID_REQUEST + cframe(1, b"hi") + cframe(9, b"p")
        + cframe(8, b"\x03\xe8"), ops=b"\x10"))
    corpus.add("server_conn", server_conn_input(
        VALID_REQUEST + cframe(2, b"z" * 1000), ops=b"\x18\x06"))

    acc = accept_for(SAMPLE_KEY)
    RL = [b"HTTP/1.1 101 Switching Protocols", b"Upgrade: websocket",
          b"Connection: Upgrade", b"Sec-WebSocket-Accept: " + acc]
    resps = [
        b"",
        request(RL),
        request(RL, b"\n"),
        request([b"HTTP/1.1 101"] + RL[1:]),
        request([b"HTTP/1.1 101 "] + RL[1:]),
        request([b"HTTP/1.1 200 OK"] + RL[1:]),
        request([b"HTTP/1.1 1010 X"] + RL[1:]),
        request([b"HTTP/1.1 10 X"] + RL[1:]),
        request([b"HTTP/1.0 101 X"] + RL[1:]),
        request([b"HTTP/2 101 X"] + RL[1:]),
        request([b"HTTP/1.1 400 Bad Request", b"Connection: close",
                 b"Sec-WebSocket-Version: 13", b"Content-Length: 0"]),
        request(RL[:3]),
        request(RL[:3] + [b"Sec-WebSocket-Accept: " + acc[:-1] + b"X"]),
        request(RL + [b"Sec-WebSocket-Accept: " + acc]),
        request([RL[0], b"Upgrade: h2c"] + RL[2:]),
        request([RL[0], RL[1], b"Connection: keep-alive"] + RL[3:]),
        request(RL[:2] + [b"Connection: keep-alive,", b" Upgrade"] + RL[3:]),
        request(RL + [b"Sec-WebSocket-Protocol: chat"]),
        request(RL + [b"Sec-WebSocket-Protocol: chat, superchat"]),
        request(RL + [b"Sec-WebSocket-Extensions: permessage-deflate"]),
        request(RL + [b"Sec-WebSocket-Extensions: permessage-deflate; "
                      b"server_no_context_takeover; client_no_context_takeover;"
                      b" server_max_window_bits=10; client_max_window_bits=9"]),
        request(RL + [b"Sec-WebSocket-Extensions: permessage-deflate; "
                      b"client_max_window_bits"]),
        request(RL + [b"Sec-WebSocket-Extensions: x-unknown"]),
        request(RL + [b"X-%d: v" % i for i in range(70)]),
        request(RL) + sframe(1, b"pipelined"),
        request([b"HTTP/1.1 101X"] + RL[1:]),
        request([b"HTTP/3.0 101 X"] + RL[1:]),
        request([b"HTTP/1.1 101 Switching\x01"] + RL[1:]),
        request([b"HTTP/1.1 1O1 X"] + RL[1:]),
        request(RL + [b"X-Ctl: \x01"]),
    ]
    for r in resps:
        corpus.add("http_response", http_response_input(r))
    # What the client offered: subprotocols and permessage-deflate offers,
    # against responses that select (or not) within them.
    offers = [
        (b"chat, superchat", None),
        (b"chat", b"permessage-deflate; client_max_window_bits"),
        (None, b"permessage-deflate"),
        (None, b"permessage-deflate; server_no_context_takeover; "
               b"server_max_window_bits=10"),
        (None, b"permessage-deflate; client_max_window_bits=9, "
               b"permessage-deflate"),
        (b"", b""),
    ]
    for protocols, extensions in offers:
        for r in resps[1:2] + resps[17:23]:
            corpus.add("http_response", http_response_input(
                r, protocols=protocols, extensions=extensions))
    for chunk in (CHUNK_BYTES, chunk_fixed(9), chunk_list([5, 1, 0])):
        corpus.add("http_response", http_response_input(request(RL), chunk))
    # Negotiation edges: a protocol not offered, an offer that does not
    # parse, extension names differing in case or in one letter, the
    # permessage-deflate answer given twice, parameters not offered.
    neg = [
        (b"chat", None, [b"Sec-WebSocket-Protocol: other"]),
        (b"a b", None, [b"Sec-WebSocket-Protocol: a"]),
        (b"Chat", None, [b"Sec-WebSocket-Protocol: chat"]),
        (b"chat", None, [b"Sec-WebSocket-Protocol: chat",
                         b"Sec-WebSocket-Protocol: chat"]),
        (None, b"x-foo", [b"Sec-WebSocket-Extensions: X-Foo"]),
        (None, b"x-foo", [b"Sec-WebSocket-Extensions: x-fop"]),
        (None, b"x-foo, Permessage-Deflate",
         [b"Sec-WebSocket-Extensions: PERMESSAGE-DEFLATE, x-foo; a=1"]),
        (None, b"permessage-deflate, permessage-deflate",
         [b"Sec-WebSocket-Extensions: permessage-deflate",
          b"Sec-WebSocket-Extensions: permessage-deflate"]),
        (None, b"x-foo", [b"Sec-WebSocket-Extensions: permessage-deflate"]),
        (None, b"permessage-deflate",
         [b"Sec-WebSocket-Extensions: permessage-deflate; "
          b"client_max_window_bits=10"]),
        (None, b"permessage-deflate; server_max_window_bits=10",
         [b"Sec-WebSocket-Extensions: permessage-deflate; "
          b"server_max_window_bits=12"]),
        (None, b"permessage-deflate; server_no_context_takeover",
         [b"Sec-WebSocket-Extensions: permessage-deflate"]),
        (None, b"bad;;offer", [b"Sec-WebSocket-Extensions: bad"]),
        (None, b"x", [b"Sec-WebSocket-Extensions: x;;"]),
        (None, b"x", [b"Sec-WebSocket-Extensions:"]),
    ]
    for protocols, extensions, lines in neg:
        corpus.add("http_response", http_response_input(
            request(RL + lines), protocols=protocols, extensions=extensions))


def add_header_value_edges(corpus):
    protos = [b"", b"chat", b"chat, superchat", b"a,b", b" a , b ", b",",
              b",,a,,", b"a b", b"a;b", b"\"a\"", b"a\tb", b"\x80",
              b"!#$%&'*+-.^_`|~09AZaz",
              b", ".join(b"p%d" % i for i in range(32)),
              b", ".join(b"p%d" % i for i in range(33))]
    exts = [
        b"", b"permessage-deflate", b"permessage-deflate; client_max_window_bits",
        b"permessage-deflate; client_max_window_bits=15; server_max_window_bits=8",
        b"permessage-deflate;server_no_context_takeover;client_no_context_takeover",
        b"permessage-deflate; client_max_window_bits, permessage-deflate",
        b"x; a=\"b\"", b"x; a=\"\\b\"", b"x; a=\"b c\"", b"x; a=\"\"",
        b"x; a=\"b,c\", y", b"x; a=\"unterminated", b"x; a=\"\\",
        b"x ; a = b ; c", b"x;", b"x;;", b"x; =b", b"x; a=", b"x; a==b",
        b";x", b"x,,y", b", ,", b"x y", b"x; a b", b"x; a=b c",
        b"\tx\t;\ta\t=\t1\t",
        b", ".join(b"e%d" % i for i in range(16)),
        b", ".join(b"e%d" % i for i in range(17)),
        b"x" + b"".join(b"; p%d" % i for i in range(16)),
        b"x" + b"".join(b"; p%d" % i for i in range(17)),
        b"x; a=\"" + b"v" * 511 + b"\"",
        b"x; a=\"" + b"v" * 300 + b"\"; b=\"" + b"w" * 300 + b"\"",
        b"x; a=\"\xc3\xa9\"", b"\xff",
    ]
    pmd = [
        b"permessage-deflate",
        b"permessage-deflate; server_max_window_bits=8",
        b"permessage-deflate; server_max_window_bits=15",
        b"permessage-deflate; server_max_window_bits=7",
        b"permessage-deflate; server_max_window_bits=16",
        b"permessage-deflate; server_max_window_bits=08",
        b"permessage-deflate; server_max_window_bits=\"10\"",
        b"permessage-deflate; server_max_window_bits",
        b"permessage-deflate; client_max_window_bits",
        b"permessage-deflate; client_max_window_bits=9",
        b"permessage-deflate; server_no_context_takeover=1",
        b"permessage-deflate; server_no_context_takeover; "
        b"server_no_context_takeover",
        b"permessage-deflate; client_max_window_bits=10; "
        b"client_max_window_bits=11",
        b"permessage-deflate; unknown=1",
        b"permessage-deflate; client_no_context_takeover; "
        b"server_max_window_bits=9; client_max_window_bits=12",
    ]
    for v in protos + exts + pmd:
        corpus.add("header_values", header_values_input(v))
    # Repeated header instances (lists span them), the token lookup, and
    # format buffers from none to roomy.
    corpus.add("header_values", header_values_input(
        [b"chat", b"superchat, v2", b""], token=b"v2"))
    corpus.add("header_values", header_values_input(
        [b"permessage-deflate", b"x; a=1", b"y; b=\"c\""], cap=0))
    corpus.add("header_values", header_values_input(
        [b"e%d" % i for i in range(20)], cap=8))
    for v, token in ((b"keep-alive, Upgrade", b"upgrade"),
                     (b"NotUpgrade", b"upgrade"), (b"UPGRADE ,", b"Upgrade"),
                     (b"websocket", b"websocket"),
                     (b"foo, WebSocket", b"websocket"),
                     (b"a, b", b""), (b"a, b", b"a b"),
                     (b"x", b"0123456789abcdef")):
        corpus.add("header_values", header_values_input(v, token=token))
    for cap in (0, 1, 19, 20, 21, 64):
        corpus.add("header_values", header_values_input(
            b"permessage-deflate; client_max_window_bits=10", cap=cap))


def add_utf8_edges(corpus):
    samples = [
        b"", b"a", b"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
        b"\x00", b"\x7f", b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xc2\x80",
        b"\xdf\xbf", b"\xe0\x80\x80", b"\xe0\x9f\xbf", b"\xe0\xa0\x80",
        b"\xed\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xee\x80\x80",
        b"\xef\xbf\xbf", b"\xf0\x80\x80\x80", b"\xf0\x8f\xbf\xbf",
        b"\xf0\x90\x80\x80", b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80",
        b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80", b"\xfe", b"\xff",
        b"\xe1\x80", b"\xf1\x80\x80", b"\xc2", b"\xc2\x41",
        bytes(range(0x80)),
    ]
    # Long runs for the word-at-a-time and vector paths: ASCII, 2/3/4-byte
    # text, and an error at several positions inside a long run.
    mixed = ("aé€😀" * 40).encode()
    samples += [b"a" * 100, b"a" * 4096, "é".encode() * 100,
                "€".encode() * 100, "😀".encode() * 100, mixed,
                mixed[:-1], mixed[:-2], mixed[:-3]]
    for pos in (0, 15, 16, 31, 32, 33, 63, 64, 100, 255):
        s = bytearray(mixed)
        s[pos] = 0xff
        samples.append(bytes(s))
        s = bytearray(b"a" * 256)
        s[pos] = 0x80
        samples.append(bytes(s))
    for s in samples:
        corpus.add("utf8", utf8_input(s))
    for chunk in (CHUNK_BYTES, chunk_fixed(2), chunk_fixed(3), chunk_fixed(17),
                  chunk_list([1, 2, 3, 0]), chunk_list([33, 1])):
        corpus.add("utf8", utf8_input(mixed, chunk))
        corpus.add("utf8", utf8_input(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xed\xa0\x80",
                                      chunk))


def add_roundtrip_seeds(corpus):
    add = lambda **kw: corpus.add("frame_roundtrip", frame_roundtrip_input(**kw))
    add()
    # Every opcode, both mask settings, a few payloads.
    for opcode in range(16):
        add(opcode=opcode, payload=b"Hello")
        add(opcode=opcode, payload=b"", masked=False)
    # The length edges in each form, masked and not.
    for n in (0, 1, 125, 126, 127, 128, 1000, 1024):
        for form in range(4):
            add(opcode=2, payload=b"\xa5" * n, form=form)
        add(opcode=1, payload=b"x" * n, masked=False)
    # Lies: 2^63 and above, the 16/64-bit edges, a short and a long lie, and
    # 126/127 in the 7-bit field (undecodable by design).
    for declared, form in ((1 << 63, 3), ((1 << 64) - 1, 3), (65535, 2),
                           (65536, 3), (65536, 0), (0, 0), (3, 0), (100, 0),
                           (126, 1), (127, 1), (125, 1), (200, 1),
                           (70000, 2), (5, 3), (5, 2)):
        add(opcode=2, payload=b"abcde", declared=declared, form=form)
        add(opcode=9, payload=b"abcde", declared=declared, form=form,
            masked=False)
    # Control frame rules: fragmented, over 125.
    add(opcode=9, payload=b"p", fin=0)
    add(opcode=8, payload=b"\x03\xe8" + b"r" * 124)
    add(opcode=10, payload=b"x" * 126, form=2)
    # RSV bits, negotiated or not; the decoder on the wrong side.
    for rsv in range(1, 8):
        add(opcode=1, payload=b"r", rsv=rsv)
    add(opcode=1, payload=b"r", rsv=4, allow_rsv=True)
    add(opcode=1, payload=b"r", flip_sender=True)
    add(opcode=1, payload=b"r", masked=False, flip_sender=True)
    # Invalid specs the encoder must refuse.
    add(opcode=1, payload=b"r", bad_opcode=True)
    add(opcode=1, payload=b"r", rsv=3, bad_rsv=True)
    # Frame limits.
    for limit in (0x80, 0x81, 0x8e, 0xff):
        add(opcode=2, payload=b"L" * 126, limit=limit)
    add(opcode=2, payload=b"L", key=b"\0\0\0\0")
    # Inputs that end inside the fixed fields.
    for cut in (0, 1, 2, 5, 9, 14):
        corpus.add("frame_roundtrip", frame_roundtrip_input(
            opcode=1, payload=b"abc", declared=1 << 63, form=3)[:cut])


# ---------------------------------------------------------------------------


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
