"""Seeds taken from the catalogue: the `wsprobe test --wire-all` run (its
wire log split into requests, responses, frame streams and texts), the
client bytes of `wsprobe show` (not timing-dependent, unlike the wire's tx
side), small results.json documents cut from the run, and the cases/ files
themselves (UTF-8 samples, case_parse seeds).
"""

import hashlib
import json
import os
import re
import subprocess
import sys

from . import ROOT
from .layouts import (MAX_FILE, cap_of, case_parse_input,
                      frame_decoder_input, header_values_input,
                      http_request_input, http_response_input,
                      inflate_input, message_input, pmd_input,
                      results_json_input, server_conn_input, utf8_input,
                      wslay_input)
from .wire import (HOST, frame_signature, header_values_of,
                   normalise_request, normalise_response, parse_frames,
                   split_header_block, text_messages)

RUN_TIMEOUT = 300  # seconds for the catalogue run


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
        wire_tx = tx
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
        add_pmd_wire_seeds(corpus, req, resp)
        add_inflate_wire_seeds(corpus, case, split_header_block(wire_tx)[1],
                               client_frames if sent.get(case.get("id"))
                               else b"", server_frames)
    add_results_json_seeds(corpus, doc, authority)
    return stats


# ---------------------------------------------------------------------------
# permessage-deflate: the negotiations and compressed messages of the run.
# ---------------------------------------------------------------------------


def add_pmd_wire_seeds(corpus, req, resp):
    """pmd_negotiate: the request's Sec-WebSocket-Extensions value (its
    instances joined, as the server reads them) as the offers, paired with
    the value of the reference server's 101 when it answered one (the
    client's check of a real answer); alone otherwise (the server's side
    only). The server config is the reference server's: all defaults."""
    offers = header_values_of(req, b"sec-websocket-extensions")
    if not offers:
        return
    answer = header_values_of(resp, b"sec-websocket-extensions") \
        if resp else []
    corpus.add("pmd_negotiate", pmd_input(
        b", ".join(offers), b", ".join(answer) if answer else None))


def parse_agreement(text):
    """results.json's "deflate" field ("server_window_bits=15
    client_window_bits=15 server_no_context_takeover=no ...") as a dict;
    None when nothing was agreed."""
    if not text:
        return None
    out = {}
    for word in text.split():
        k, sep, v = word.partition("=")
        if sep:
            out[k] = int(v) if v.isdigit() else v == "yes"
    return out


def compressed_messages(frames, cap):
    """The payloads of a stream's compressed messages: a data frame with
    RSV1 starts one, its continuations (RSV1 clear, RFC 7692 6.1) are
    joined; each cut at cap bytes. A message left open (the stream ends,
    or another message starts) is taken as far as it got."""
    out = []
    cur = None
    for f in frames:
        if f.op in (1, 2):
            if cur is not None:
                out.append(bytes(cur))
            cur = bytearray(f.payload[:cap]) if f.rsv & 4 else None
        elif f.op == 0 and cur is not None:
            cur += f.payload[:cap - len(cur)]
        else:
            continue
        if cur is not None and f.fin:
            out.append(bytes(cur))
            cur = None
    if cur is not None:
        out.append(bytes(cur))
    return out


def data_messages(frames):
    return sum(1 for f in frames if f.op in (1, 2))


INFLATE_MAX_MESSAGES = 4  # fuzz/inflate.c MAX_MESSAGES
INFLATE_GROUPS = 2  # seeds per case and direction, from the first message


def add_inflate_groups(corpus, messages, **cfg):
    """The messages in order, up to 4 per seed (context takeover carries
    from one to the next within a seed, as on the wire); a message over 255
    bytes ends its seed (only the last one has no length byte). Each
    message also goes alone (the target compares a message against bare
    zlib only when alone or without takeover)."""
    groups = []
    group = []
    for m in messages:
        group.append(m)
        if len(group) == INFLATE_MAX_MESSAGES or len(m) > 255:
            groups.append(group)
            group = []
    if group:
        groups.append(group)
    for g in groups[:INFLATE_GROUPS] + [[m] for m in messages]:
        corpus.add("inflate", inflate_input(g, **cfg),
                   signature=inflate_signature(g, cfg))


def inflate_signature(messages, cfg):
    """Structural dedupe: the inflater's config, and per message the first
    block's header bits (BFINAL, BTYPE) and the size's power of two. The
    12.x/13.x cases send the same kinds of data at many sizes under a few
    agreements; this keeps one seed per shape of each."""
    return (tuple(sorted(cfg.items())),
            tuple((m[0] & 7 if m else -1, len(m).bit_length())
                  for m in messages))


def add_inflate_wire_seeds(corpus, case, wire_frames, shown_frames,
                           server_frames):
    """inflate: every compressed message of the case, each side with the
    inflater the other end uses on it under the agreed terms (results.json
    "deflate"; none agreed: 15 bits with takeover, as RFC 7692 7.1 defaults):

      client messages   as the reference server inflates them: the client's
                        window and takeover, STRICT, its window a maximum;
      server echoes     as the harness inflates them: the server's window
                        and takeover, OBSERVE, held to its window exactly
                        under 15 bits (session_deflate.c).

    The client's messages the harness compressed itself are only in the
    wire's tx side, which depends on timing after the server failed the
    connection; so only as many are taken as the server answered data
    messages, plus the one it failed on. The raw RSV1 frames of the case
    files are also taken from `wsprobe show` bytes (always all of them)."""
    cap = cap_of("inflate")
    a = parse_agreement(case.get("deflate")) or {}
    cwin = a.get("client_window_bits", 15)
    swin = a.get("server_window_bits", 15)
    client = dict(window_bits=cwin,
                  no_takeover=a.get("client_no_context_takeover", False))
    server = dict(window_bits=swin,
                  no_takeover=a.get("server_no_context_takeover", False),
                  observe=True, exact=swin < 15)
    rx_frames = parse_frames(server_frames[:MAX_FILE])[0]
    answered = data_messages(rx_frames)
    tx = compressed_messages(parse_frames(wire_frames[:MAX_FILE])[0], cap)
    add_inflate_groups(corpus, tx[:answered + 1], **client)
    if shown_frames:
        shown = compressed_messages(
            parse_frames(shown_frames[:MAX_FILE])[0], cap)
        add_inflate_groups(corpus, shown, **client)
    add_inflate_groups(corpus, compressed_messages(rx_frames, cap), **server)


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
