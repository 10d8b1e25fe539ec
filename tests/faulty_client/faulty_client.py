#!/usr/bin/python3
"""A deliberately faulty WebSocket client: an Autobahn-style client driver
for `wsprobe serve`, with one fault chosen on the command line, so the
integration tests can show that each fault fails exactly the cases meant to
catch it (tests/integration/test_faulty_client.py).

The driver speaks Autobahn|Testsuite's fuzzingserver URL protocol:

    GET /getCaseCount                 the count arrives as a text message
    GET /runCase?case=N&agent=NAME    for N in 1..count: echo every text and
                                      binary message, answer pings with
                                      pongs and a close with a close, then
                                      close TCP
    GET /updateReports?agent=NAME     the server writes the agent's reports

Faults (--fault):

    none                   conformant: validates the 101 fully (status 101,
                           Upgrade: websocket, Connection: upgrade, the
                           Sec-WebSocket-Accept of its key, only a
                           subprotocol it offered, no extension since it
                           offers none) and drops the connection on anything
                           wrong; masks every frame with a fresh os.urandom
                           key; fails the connection on a frame that breaks
                           RFC 6455
    no-mask                sends its frames unmasked
    reuse-mask             masks every frame with one and the same key
    zero-mask              masks every frame with the key 00 00 00 00
    wrong-accept           accepts any Sec-WebSocket-Accept, or none
    proceed-on-200         takes any answer whose status is not 101 as an
                           upgrade (a 101 is still checked in full)
    ignore-upgrade         accepts a 101 without Upgrade: websocket or
                           without the Connection upgrade token
    unoffered-subprotocol  accepts a subprotocol it did not offer (it offers
                           `chat`)
    unoffered-extension    accepts extensions it did not offer (it offers
                           none without --deflate, only permessage-deflate
                           with it)
    accept-invalid-deflate with --deflate: takes any answer naming
                           permessage-deflate without checking it (a
                           parameter it did not offer, a window size out of
                           range, a repeated parameter, an unknown one, the
                           extension twice) and compresses with what it
                           could read of it

--deflate offers permessage-deflate (RFC 7692) with no parameters, checks
the answer as RFC 7692 5 and 7.1 ask (one permessage-deflate, known
parameters once each, window sizes 8-15 without leading zeros, no
client_max_window_bits since it did not offer it) and then inflates the
server's compressed messages (bounded by its message limit) and compresses
its own (RSV1 on the first frame, context takeover unless
client_no_context_takeover was answered).

Only the Python standard library (socket, base64, hashlib, os), for Debian's
/usr/bin/python3 (zlib too). Every wait has a deadline (socket timeouts, a deadline per
connection) and every read is bounded. Plain ws:// only.

Exit status: 0 when the run went through (whatever the verdicts), 2 on a
usage error or when the server could not be reached.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import socket
import struct
import sys
import time
import urllib.parse
import zlib

FAULTS = ("none", "no-mask", "reuse-mask", "zero-mask", "wrong-accept", "proceed-on-200",
          "ignore-upgrade", "unoffered-subprotocol", "unoffered-extension",
          "accept-invalid-deflate")
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OFFERED_PROTOCOL = "chat"
MAX_HEADER_BYTES = 64 * 1024
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # Autobahn's largest messages are 16 MiB
MAX_CASES = 100000
READ_CHUNK = 65536
DEFLATE = "permessage-deflate"
# RFC 7692 7.2.1: a sync flush ends every compressed message with these four
# octets, which the sender removes and the receiver appends back.
SYNC_TAIL = b"\x00\x00\xff\xff"
WINDOW_HISTORY = 32 * 1024  # the largest LZ77 window (15 bits)


class Failed(Exception):
    """The client fails the WebSocket connection (RFC 6455 7.1.7)."""

    def __init__(self, why: str, code: int | None = None):
        super().__init__(why)
        self.code = code  # a close code to send first, when connected


class Unreachable(Exception):
    """The server could not be reached at all: the run stops (exit 2)."""


class Connection:
    """One TCP connection with a deadline and a read buffer."""

    def __init__(self, host: str, port: int, timeout: float, deadline: float):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.deadline = deadline
        self.buf = bytearray()
        self.eof = False
        self.deflate: Deflate | None = None

    def fill(self) -> bool:
        """Reads once more; False at EOF (or a reset)."""
        if self.eof:
            return False
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Failed("connection deadline passed")
        self.sock.settimeout(min(left, self.timeout))
        try:
            chunk = self.sock.recv(READ_CHUNK)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def take(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self.fill():
                raise EOFError
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# ---- the opening handshake ----

def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode("ascii")


def tokens(value: str) -> list[str]:
    return [t.strip().lower() for t in value.split(",") if t.strip()]


def read_response(conn: Connection) -> tuple[int, dict[str, list[str]]]:
    """The status and headers (names lower-cased, every instance kept)."""
    while b"\r\n\r\n" not in conn.buf:
        if len(conn.buf) > MAX_HEADER_BYTES:
            raise Failed("response header block too large")
        if not conn.fill():
            raise Failed("connection closed before the end of the response")
    end = conn.buf.index(b"\r\n\r\n")
    block = bytes(conn.buf[:end]).decode("latin-1")
    del conn.buf[:end + 4]
    lines = block.split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise Failed(f"not an HTTP response: {lines[0]!r}")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise Failed(f"malformed header line {line!r}")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return int(parts[1]), headers


class Deflate:
    """permessage-deflate as agreed (RFC 7692 7): the server's messages are
    inflated with one inflater kept for the connection (a window as large as
    any the server may use, so it also inflates a server that does not take
    over its context), the client's own compressed with its window and
    takeover."""

    def __init__(self, client_no_context_takeover: bool, client_bits: int):
        self.client_no_context_takeover = client_no_context_takeover
        # zlib refuses a raw window of 8 bits for compressing: 9 never
        # reaches farther back than 8 does (zlib keeps its matches inside
        # the window less its lookahead).
        self.client_bits = max(client_bits, 9)
        self.compressor = self._new_compressor()
        self.history = b""
        self.inflater = zlib.decompressobj(-15)

    def _new_compressor(self):
        return zlib.compressobj(6, zlib.DEFLATED, -self.client_bits)

    def compress(self, data: bytes) -> bytes:
        if self.client_no_context_takeover:
            self.compressor = self._new_compressor()
        out = self.compressor.compress(data) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        if out.endswith(SYNC_TAIL):
            out = out[:-len(SYNC_TAIL)]
        return out or b"\x00"  # RFC 7692 7.2.3.6: an empty message is one 00

    def inflate(self, payload: bytes, limit: int) -> bytes:
        """The message a compressed payload carries, at most limit bytes
        (Failed 1009 past it), or Failed 1007 on invalid DEFLATE data."""
        try:
            out = self.inflater.decompress(payload + SYNC_TAIL, limit + 1)
        except zlib.error as e:
            # RFC 7692 names no code; 1007 is the one for data that does
            # not match its type, as most implementations answer
            raise Failed(f"invalid DEFLATE data: {e}", 1007) from None
        if len(out) > limit or self.inflater.unconsumed_tail:
            raise Failed("compressed message inflates past this client's limit", 1009)
        # Only the last window's worth can be referred to (and copied).
        self.history = (self.history + out[-WINDOW_HISTORY:])[-WINDOW_HISTORY:]
        if self.inflater.eof:
            # A block with BFINAL set (RFC 7692 7.2.3.4) ends zlib's stream;
            # the next message may still refer back to this one's bytes.
            self.inflater = (zlib.decompressobj(-15, zdict=self.history) if self.history
                             else zlib.decompressobj(-15))
        return out


def deflate_parameters(element: str) -> list[tuple[str, str | None]]:
    """The parameters of one extension element, names lower-cased."""
    out = []
    for part in element.split(";")[1:]:
        name, sep, value = part.partition("=")
        value = value.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1]
        out.append((name.strip().lower(), value if sep else None))
    return out


def window_bits(value: str | None) -> int | None:
    """RFC 7692 7.1.2: a decimal 8-15 without leading zeros, else None."""
    if value is None or not value.isdigit() or (len(value) > 1 and value[0] == "0"):
        return None
    bits = int(value)
    return bits if 8 <= bits <= 15 else None


def check_deflate_answer(elements: list[str], fault: str) -> Deflate | None:
    """The answer to an offer of bare permessage-deflate (RFC 7692 5, 7.1):
    the agreement, None when declined, or Failed."""
    if not elements:
        return None
    lenient = fault == "accept-invalid-deflate"
    if len(elements) > 1 and not lenient:
        raise Failed(f"permessage-deflate answered {len(elements)} times, offered once")
    params = deflate_parameters(elements[0])
    seen: set[str] = set()
    client_no_context_takeover = False
    client_bits = 15
    for name, value in params:
        problem = None
        if name in seen:
            problem = f"{name} twice"
        elif name in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not None:
                problem = f"{name} with a value"
            client_no_context_takeover |= name == "client_no_context_takeover"
        elif name == "server_max_window_bits":
            if window_bits(value) is None:
                problem = f"server_max_window_bits={value}"
        elif name == "client_max_window_bits":
            problem = "client_max_window_bits, which it did not offer"
            client_bits = window_bits(value) or 15
        else:
            problem = f"the unknown parameter {name}"
        seen.add(name)
        if problem and not lenient:
            raise Failed(f"permessage-deflate answer with {problem}")
    return Deflate(client_no_context_takeover, client_bits)


def check_response(status: int, headers: dict[str, list[str]], key: str, fault: str,
                   offered_deflate: bool) -> Deflate | None:
    """RFC 6455 4.1: the client MUST fail the connection unless every check
    holds; each fault skips the check it is named after. The agreed
    permessage-deflate, if any."""
    if status != 101:
        if fault == "proceed-on-200":
            return None
        raise Failed(f"status {status}, not 101")
    if fault != "ignore-upgrade":
        upgrade = headers.get("upgrade", [])
        if len(upgrade) != 1 or upgrade[0].lower() != "websocket":
            raise Failed(f"Upgrade is {upgrade}, not websocket")
        connection = [t for v in headers.get("connection", []) for t in tokens(v)]
        if "upgrade" not in connection:
            raise Failed("Connection lacks the upgrade token")
    if fault != "wrong-accept":
        accept = headers.get("sec-websocket-accept", [])
        if len(accept) != 1 or accept[0] != accept_for(key):
            raise Failed(f"Sec-WebSocket-Accept {accept} is wrong")
    if fault != "unoffered-subprotocol":
        protocol = headers.get("sec-websocket-protocol", [])
        if protocol and (len(protocol) != 1 or protocol[0] != OFFERED_PROTOCOL):
            raise Failed(f"subprotocol {protocol} was not offered")
    elements = [e.strip() for v in headers.get("sec-websocket-extensions", [])
                for e in v.split(",") if e.strip()]
    offered = {DEFLATE} if offered_deflate else set()
    named = [(e.split(";", 1)[0].strip().lower(), e) for e in elements]
    unoffered = [e for name, e in named if name not in offered]
    if unoffered and fault != "unoffered-extension":
        raise Failed(f"extensions {unoffered} were not offered")
    if not offered_deflate:
        return None  # (unoffered-extension: whatever was accepted is not used)
    return check_deflate_answer([e for name, e in named if name == DEFLATE], fault)


def open_websocket(host: str, port: int, path: str, fault: str, timeout: float,
                   deadline: float, offer_deflate: bool) -> Connection | None:
    """The opening handshake; None when the client failed the connection
    (it has closed TCP then). conn.deflate is the agreement, if any."""
    conn = Connection(host, port, timeout, deadline)
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    offer = f"Sec-WebSocket-Extensions: {DEFLATE}\r\n" if offer_deflate else ""
    conn.send((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {OFFERED_PROTOCOL}\r\n"
               f"{offer}\r\n").encode("ascii"))
    try:
        status, headers = read_response(conn)
        conn.deflate = check_response(status, headers, key, fault, offer_deflate)
    except (Failed, socket.timeout, OSError) as e:
        log(f"{path}: handshake failed: {e}")
        conn.close()
        return None
    return conn


# ---- frames ----

class Masker:
    """Mask keys by the fault: fresh and unpredictable unless told not to."""

    def __init__(self, fault: str):
        self.fault = fault
        self.shared = os.urandom(4)

    def key(self) -> bytes | None:
        if self.fault == "no-mask":
            return None
        if self.fault == "reuse-mask":
            return self.shared
        if self.fault == "zero-mask":
            return b"\0\0\0\0"
        return os.urandom(4)


def apply_mask(data: bytes, key: bytes) -> bytes:
    if not data:
        return data
    repeated = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def encode_frame(opcode: int, payload: bytes, masker: Masker, rsv1: bool = False) -> bytes:
    key = masker.key()
    head = bytearray([0x80 | (0x40 if rsv1 else 0) | opcode])
    mask_bit = 0x80 if key is not None else 0
    n = len(payload)
    if n < 126:
        head.append(mask_bit | n)
    elif n < 65536:
        head.append(mask_bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mask_bit | 127)
        head += struct.pack("!Q", n)
    if key is None:
        return bytes(head) + payload
    return bytes(head) + key + apply_mask(payload, key)


def read_frame(conn: Connection) -> tuple[bool, bool, int, bytes]:
    """One frame of the server's: (fin, rsv1, opcode, payload). Anything
    RFC 6455 forbids a server to send fails the connection; RSV1 is
    permessage-deflate's once agreed (where it may stand is the caller's)."""
    b0, b1 = conn.take(2)
    if b0 & 0x30 or (b0 & 0x40 and conn.deflate is None):
        raise Failed("RSV bits set without an extension that defines them", 1002)
    opcode = b0 & 0x0F
    if opcode in (3, 4, 5, 6, 7) or opcode > 0xA:
        raise Failed(f"reserved opcode {opcode}", 1002)
    if b1 & 0x80:
        raise Failed("masked server frame", 1002)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", conn.take(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", conn.take(8))[0]
        if n >> 63:
            raise Failed("64-bit length with the top bit set", 1002)
    fin = bool(b0 & 0x80)
    if opcode >= 8 and (n > 125 or not fin):
        raise Failed("control frame too long or fragmented", 1002)
    if n > MAX_MESSAGE_BYTES:
        raise Failed("frame larger than this client reads", 1009)
    return fin, bool(b0 & 0x40), opcode, conn.take(n)


def valid_close_code(code: int) -> bool:
    return (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999)


def close_reply(payload: bytes) -> bytes:
    """The payload answering the server's close, or Failed."""
    if len(payload) == 1:
        raise Failed("close payload of one byte", 1002)
    if not payload:
        return b""
    code = struct.unpack("!H", payload[:2])[0]
    if not valid_close_code(code):
        raise Failed(f"invalid close code {code}", 1002)
    try:
        payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise Failed("close reason is not UTF-8", 1007) from None
    return payload[:2]


def echo_loop(conn: Connection, masker: Masker) -> list[bytes]:
    """Echoes messages until the closing handshake or EOF; returns the text
    messages received (for /getCaseCount)."""
    texts: list[bytes] = []
    message: bytearray | None = None
    message_op = 0
    compressed = False
    while True:
        fin, rsv1, opcode, payload = read_frame(conn)
        if rsv1 and opcode not in (0x1, 0x2):
            # RFC 7692 6.1: only the first frame of a data message has it
            raise Failed("RSV1 on a continuation or control frame", 1002)
        if opcode == 0x9:
            conn.send(encode_frame(0xA, payload, masker))
        elif opcode == 0xA:
            pass
        elif opcode == 0x8:
            conn.send(encode_frame(0x8, close_reply(payload), masker))
            # The server closes TCP first (RFC 6455 7.1.1): wait for it,
            # within the read timeout, then close anyway.
            conn.buf.clear()
            while len(conn.buf) < MAX_HEADER_BYTES and conn.fill():
                pass
            return texts
        elif opcode == 0x0:
            if message is None:
                raise Failed("continuation without a message", 1002)
            message += payload
        else:
            if message is not None:
                raise Failed("new message inside a fragmented one", 1002)
            message, message_op, compressed = bytearray(payload), opcode, rsv1
        if message is not None and len(message) > MAX_MESSAGE_BYTES:
            raise Failed("message larger than this client reads", 1009)
        if opcode in (0x0, 0x1, 0x2) and fin:
            data = bytes(message)
            message = None
            if compressed:
                data = conn.deflate.inflate(data, MAX_MESSAGE_BYTES)
            if message_op == 0x1:
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    raise Failed("text message is not UTF-8", 1007) from None
                texts.append(data)
            if conn.deflate is not None:
                conn.send(encode_frame(message_op, conn.deflate.compress(data), masker, True))
            else:
                conn.send(encode_frame(message_op, data, masker))


def session(host: str, port: int, path: str, fault: str, masker: Masker, timeout: float,
            deadline: float, offer_deflate: bool = False) -> list[bytes]:
    """One connection: handshake, echo, close. Never raises for what the
    server does; returns the text messages received."""
    try:
        conn = open_websocket(host, port, path, fault, timeout, deadline, offer_deflate)
    except OSError as e:
        raise Unreachable(f"cannot connect to {host}:{port}: {e}") from None
    if conn is None:
        return []
    texts: list[bytes] = []
    try:
        texts = echo_loop(conn, masker)
    except Failed as e:
        log(f"{path}: failing the connection: {e}")
        if e.code is not None:
            try:
                conn.send(encode_frame(0x8, struct.pack("!H", e.code), masker))
            except OSError:
                pass
    except (EOFError, socket.timeout, OSError):
        pass
    conn.close()
    return texts


def log(text: str) -> None:
    print(f"faulty_client: {text}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="ws://127.0.0.1:PORT of wsprobe serve")
    ap.add_argument("--agent", default="faulty_client")
    ap.add_argument("--fault", choices=FAULTS, default="none")
    ap.add_argument("--deflate", action="store_true",
                    help="offer permessage-deflate in every case (RFC 7692)")
    ap.add_argument("--case", type=int, help="run only this case number (1-based)")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds any one read may wait (default 10)")
    ap.add_argument("--case-deadline", type=float, default=60.0,
                    help="seconds one connection may last (default 60)")
    o = ap.parse_args(argv)
    url = urllib.parse.urlsplit(o.url)
    if url.scheme != "ws" or not url.hostname or not url.port:
        ap.error("--url must be ws://HOST:PORT")
    if o.fault == "accept-invalid-deflate" and not o.deflate:
        ap.error("--fault accept-invalid-deflate needs --deflate (it is about the answer "
                 "to an offer)")
    host, port = url.hostname, url.port
    prefix = url.path.rstrip("/")
    agent = urllib.parse.quote(o.agent, safe="")
    masker = Masker(o.fault)

    def run(path: str) -> list[bytes]:
        return session(host, port, prefix + path, o.fault, masker, o.timeout,
                       time.monotonic() + o.case_deadline, o.deflate)

    # The driver's own connections are always opened conformantly: a fault
    # is about the cases, not about reaching the server.
    control = Masker("none")

    def run_control(path: str) -> list[bytes]:
        return session(host, port, prefix + path, "none", control, o.timeout,
                       time.monotonic() + o.case_deadline)

    try:
        texts = run_control("/getCaseCount")
        try:
            count = int(texts[0].decode("ascii")) if texts else -1
        except ValueError:
            count = -1
        if not 0 <= count <= MAX_CASES:
            log(f"no case count from {o.url} (getCaseCount)")
            return 2
        if o.case is not None and not 1 <= o.case <= count:
            ap.error(f"--case {o.case} is not in 1..{count}")
        for n in [o.case] if o.case is not None else range(1, count + 1):
            run(f"/runCase?case={n}&agent={agent}")
        run_control(f"/updateReports?agent={agent}")
    except Unreachable as e:
        log(str(e))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
