"""The bytes on the wire: a small frame decoder and encoder of our own (for
splitting the catalogue's streams and for the hand-made edges), frame-shape
signatures for structural dedupe, text messages of a stream, and the HTTP
side: header-block splitting, key/accept normalisation, header values, and
the canned handshake (keys, host, a valid request) the edges build on.
"""

import base64
import hashlib
import re
import struct

SAMPLE_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 1.3
SECOND_KEY = b"AQIDBAUGBwgJCgsMDQ4PEA=="
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HOST = b"127.0.0.1:9001"


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


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


# The canned handshake the hand-made edges start from.
VALID_REQUEST = (b"GET /chat HTTP/1.1\r\nHost: " + HOST + b"\r\n"
                 b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: " + SAMPLE_KEY + b"\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")


def request(lines, sep=b"\r\n"):
    return sep.join(lines) + sep + sep


BASE_LINES = [b"GET /chat HTTP/1.1", b"Host: " + HOST, b"Upgrade: websocket",
              b"Connection: Upgrade", b"Sec-WebSocket-Key: " + SAMPLE_KEY,
              b"Sec-WebSocket-Version: 13"]
