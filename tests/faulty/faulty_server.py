#!/usr/bin/python3
"""A deliberately faulty WebSocket (RFC 6455) echo server, for proving that
every wsprobe case can fail.

Stdlib only, raw sockets, one thread per connection. With no --fault it is a
conformant echo server: handshake validated per RFC 6455 4.2.1, masking
required, RSV/opcode/control-frame/fragmentation rules enforced, UTF-8
validated incrementally with fail-fast (inside a frame too), close codes and
reasons validated as the bytes arrive, the closing handshake answered and
TCP closed by the server first, 1002/1007/1009 on failures.

Each --fault NAME (repeatable) breaks exactly one rule family; the catalogue
of faults is FAULTS below (and tests/faulty/README.md).

    faulty_server.py --port 0 [--fault NAME ...] [--healthy-first N]
                     [--die-after N | --reset-after N]
    -> prints "listening on ws://127.0.0.1:PORT/" and serves until SIGTERM.

--require-header NAME:VALUE puts an auth layer in front (403 without it).
--die-after N and --reset-after N are not rule faults but availability: the
server exits (every connection with it) once it has accepted N connections,
or resets every connection after the Nth before reading a byte of it. They
show how a client reports a target that stops answering mid-run.

Every read has a deadline and every buffer a bound: nothing here can hang a
test run or grow without limit.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import os
import signal
import socket
import struct
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from faults import FAULTS  # noqa: E402
from utf8 import Utf8  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
DATA_OPS = (OP_CONT, OP_TEXT, OP_BINARY)
CONTROL_OPS = (OP_CLOSE, OP_PING, OP_PONG)

MAX_HEADER_BYTES = 8192
MAX_HEADERS = 100
MAX_MESSAGE = 16 << 20          # 1009 above this
SMALL_MAX_MESSAGE = 65535       # fault max-message-64k
UNBOUNDED_INFLATE_CAP = 256 << 20  # fault deflate-no-inflate-bound: safety cap (drop, no 1009)
DEFLATE_TAIL = b"\x00\x00\xff\xff"
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 60.0             # a silent client is dropped after this
DRAIN_TIMEOUT = 2.0             # after our close: wait this long for the client's EOF
CLIENT_CLOSE_WAIT = 10.0        # fault client-closes-tcp: wait this long for the client
AFTER_CLOSE_IDLE = 0.25         # fault echo-after-close: keep going until idle this long
RECV_SIZE = 65536


class Fail(Exception):
    """Fail the WebSocket connection (RFC 6455 7.1.7) with this close code."""

    def __init__(self, code: int, why: str, close_related: bool = False):
        super().__init__(why)
        self.code = code
        self.why = why
        self.close_related = close_related


class PeerGone(Exception):
    """EOF, reset or idle timeout from the client."""


def valid_close_code(code: int) -> bool:
    """RFC 6455 7.4.1/7.4.2: codes a peer may put on the wire. 1012-1014 were
    registered with IANA later; they are accepted (echoed)."""
    if 1000 <= code <= 1003 or 1007 <= code <= 1014:
        return True
    return 3000 <= code <= 4999


def unmask(data: bytes, key: bytes, pos: int) -> bytes:
    if not data:
        return b""
    k = key[pos % 4:] + key[:pos % 4]
    n = len(data)
    reps = (n + 3) // 4
    kk = int.from_bytes(k * reps, "little")
    return (int.from_bytes(data, "little") ^ kk).to_bytes(reps * 4, "little")[:n]


def split_outside_quotes(text: str, sep: str) -> list[str]:
    out, cur, quoted = [], "", False
    for c in text:
        if c == '"':
            quoted = not quoted
        if c == sep and not quoted:
            out.append(cur)
            cur = ""
        else:
            cur += c
    out.append(cur)
    return out


def parse_deflate_offer(offer: str) -> dict | None:
    """One element of Sec-WebSocket-Extensions. Returns the permessage-deflate
    parameters {name: value or None} if it is a valid permessage-deflate offer
    (RFC 7692 7), None otherwise (another extension, or an offer that MUST be
    declined: unknown or repeated parameters, bad values)."""
    parts = [x.strip() for x in split_outside_quotes(offer, ";")]
    if not parts or parts[0].lower() != "permessage-deflate":
        return None
    params: dict = {}
    for part in parts[1:]:
        name, eq, value = part.partition("=")
        name = name.strip().lower()
        value = value.strip() if eq else None
        if value is not None and len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if name in params:
            return None
        if name in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not None:
                return None
        elif name == "server_max_window_bits":
            if not window_bits_ok(value):
                return None
        elif name == "client_max_window_bits":
            if value is not None and not window_bits_ok(value):
                return None
        else:
            return None
        params[name] = value
    return params


def window_bits_ok(value: str | None) -> bool:
    """8-15, plain decimal, no leading zero (RFC 7692 7.1.2.1)."""
    return (value is not None and value.isdigit() and value.isascii()
            and value[0] != "0" and 8 <= int(value) <= 15)


def tokens(values: list[str]) -> list[str]:
    out = []
    for v in values:
        out += [t.strip().lower() for t in v.split(",") if t.strip()]
    return out


class Connection:
    def __init__(self, sock: socket.socket, faults: set[str], log):
        self.sock = sock
        self.f = faults
        self.log = log
        self.buf = bytearray()
        # frame decoder state
        self.in_header = True
        self.hdr = None           # (fin, rsv, op, masked, length, key, minimal)
        self.remaining = 0
        self.mask_pos = 0
        self.frame_payload = bytearray()   # current frame's payload (control, or per-frame checks)
        self.discard_frame = False         # payload of this frame is ignored (faults)
        # message state
        self.msg_op = None
        self.msg = bytearray()
        self.utf8 = None
        # close state
        self.close_code_checked = False
        self.reason_utf8 = None
        self.closed = False
        self.pending_pong = None
        self.sent_close = False
        self.deferred = None      # fault echo-after-close: the close we owe
        # permessage-deflate (RFC 7692), None when not negotiated
        self.pmd = None           # {"server_wbits", "server_nct", "client_nct"}
        self.inflater = None      # kept across messages unless client_no_context_takeover
        self.deflater = None      # kept across messages unless server_no_context_takeover
        self.msg_compressed = False
        self.msg_wire = 0         # compressed bytes of the message in progress

    # -- I/O ---------------------------------------------------------------

    def recv(self, timeout: float) -> bytes:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(RECV_SIZE)
        except socket.timeout:
            raise PeerGone("idle timeout")
        except OSError:
            raise PeerGone("reset")
        if not data:
            raise PeerGone("eof")
        return data

    def send(self, data: bytes) -> None:
        self.sock.settimeout(10.0)
        try:
            self.sock.sendall(data)
        except OSError:
            raise PeerGone("send failed")

    def send_frame(self, op: int, payload: bytes = b"", fin: bool = True, rsv: int = 0) -> None:
        b0 = (0x80 if fin else 0) | (rsv << 4) | op
        n = len(payload)
        if "mask-server-frames" in self.f:
            mbit = 0x80
        else:
            mbit = 0
        if n <= 125:
            head = bytes([b0, mbit | n])
        elif n <= 0xFFFF:
            head = bytes([b0, mbit | 126]) + struct.pack("!H", n)
        else:
            head = bytes([b0, mbit | 127]) + struct.pack("!Q", n)
        if mbit:
            key = os.urandom(4)
            head += key
            payload = unmask(payload, key, 0)
        self.send(head + payload)

    def send_close(self, code: int | None, reason: bytes = b"") -> None:
        self.sent_close = True
        self.send_frame(OP_CLOSE, b"" if code is None else struct.pack("!H", code) + reason)

    def finish_tcp(self, wait_client: bool = False) -> None:
        """Close TCP after our close frame. Default: the server closes first
        (FIN), then drains until the client's EOF. Fault client-closes-tcp:
        wait for the client to close first."""
        deadline = time.monotonic() + (CLIENT_CLOSE_WAIT if wait_client else DRAIN_TIMEOUT)
        if not wait_client:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.recv(left)
        except PeerGone:
            pass

    def go_silent(self, limit: float = IDLE_TIMEOUT) -> None:
        """Fault never-answer-close: no answer, no close; read and discard
        until the client gives up (bounded by the idle timeout)."""
        deadline = time.monotonic() + limit
        try:
            while time.monotonic() < deadline:
                self.recv(max(0.01, deadline - time.monotonic()))
        except PeerGone:
            pass

    # -- top level -----------------------------------------------------------

    def run(self) -> None:
        try:
            if not self.handshake():
                return
            self.ws_loop()
        except PeerGone:
            pass
        except Exception as exc:  # a bug in this server: report, do not die
            self.log(f"internal error: {exc!r}")
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def ws_loop(self) -> None:
        first = True
        while True:
            if first and self.buf:
                data = b""  # bytes pipelined behind the request
            else:
                data = self.recv(IDLE_TIMEOUT)
            first = False
            if "mask-offset-per-read" in self.f:
                self.mask_pos = 0
            self.buf += data
            try:
                self.process()
                self.flush_pong()
            except Fail as fail:
                self.flush_pong()
                self.fail(fail)
                return
            if self.deferred:
                self.after_close()
                return
            if self.closed:
                self.after_close()
                return

    def fail(self, fail: Fail) -> None:
        self.log(f"failing: {fail.code} {fail.why}")
        if fail.close_related and "never-answer-close" in self.f:
            self.go_silent()
            return
        if "drop-instead-of-close" in self.f:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        code = 1000 if "wrong-fail-code" in self.f and fail.code in (1002, 1007) else fail.code
        self.send_close(code)
        self.finish_tcp(wait_client="client-closes-tcp" in self.f)

    def after_close(self) -> None:
        """We answered the client's close."""
        if self.deferred:
            # fault echo-after-close: keep processing what follows as if
            # nothing had happened (echo, pong, answer further closes) until
            # the client has been quiet for a moment, then answer the close.
            end = time.monotonic() + 3.0
            while time.monotonic() < end:
                try:
                    data = self.recv(AFTER_CLOSE_IDLE)
                except PeerGone as gone:
                    if str(gone) == "idle timeout":
                        break
                    return
                self.buf += data
                try:
                    self.process()
                    self.flush_pong()
                except Fail:
                    break
            self.send_close(self.deferred[0])
        self.finish_tcp(wait_client="client-closes-tcp" in self.f)

    # -- opening handshake (RFC 6455 4.2.1, 4.2.2) ---------------------------

    def http_error(self, status: int, reason: str, extra: list[str] = ()) -> bool:
        lines = [f"HTTP/1.1 {status} {reason}"] + list(extra) + [
            "Content-Length: 0", "Connection: close"]
        try:
            self.send(("\r\n".join(lines) + "\r\n\r\n").encode())
            self.sock.shutdown(socket.SHUT_WR)
        except (PeerGone, OSError):
            return False
        try:  # let the client read the answer before the socket goes away
            deadline = time.monotonic() + DRAIN_TIMEOUT
            while time.monotonic() < deadline:
                self.recv(max(0.01, deadline - time.monotonic()))
        except PeerGone:
            pass
        return False

    def handshake(self) -> bool:
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT
        reads = 0
        while True:
            end, term = self.find_header_end()
            if end >= 0:
                break
            if len(self.buf) > MAX_HEADER_BYTES:
                if "hang-on-large-headers" in self.f:
                    # keeps reading (and discarding) without ever answering
                    self.buf.clear()
                    self.go_silent(HANDSHAKE_TIMEOUT)
                    return False
                return self.http_error(431, "Request Header Fields Too Large")
            left = deadline - time.monotonic()
            if left <= 0:
                return self.http_error(408, "Request Timeout")
            self.buf += self.recv(left)
            reads += 1
        if end + term > MAX_HEADER_BYTES:
            if "hang-on-large-headers" in self.f:
                self.go_silent(HANDSHAKE_TIMEOUT)
                return False
            return self.http_error(431, "Request Header Fields Too Large")
        block = bytes(self.buf[:end])
        del self.buf[:end + term]
        try:
            text = block.decode("latin-1")
        except UnicodeDecodeError:
            return self.http_error(400, "Bad Request")
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return self.http_error(400, "Bad Request")
        method, target, version = parts
        headers: list[tuple[str, str]] = []
        if len(lines) - 1 > MAX_HEADERS:
            return self.http_error(431, "Request Header Fields Too Large")
        for line in lines[1:]:
            if line and line[0] in " \t" and "obs-fold-drop" in self.f:
                raise PeerGone("gives up on an obsolete line folding")  # no answer at all
            if not line or line[0] in " \t":
                return self.http_error(400, "Bad Request")  # obs-fold, stray blank
            name, sep, value = line.partition(":")
            if "lenient-header-names" in self.f:
                name = name.strip(" \t")
            if not sep or not name or name != name.strip() or any(c in name for c in " \t"):
                return self.http_error(400, "Bad Request")
            if "case-sensitive-header-names" not in self.f:
                name = name.lower()
            if "no-ows-trim" not in self.f:
                value = value.strip(" \t")
            elif value.startswith(" "):
                value = value[1:]  # only the one space after the colon
            headers.append((name, value))
        if REQUIRED_HEADER and (REQUIRED_HEADER[0].lower(), REQUIRED_HEADER[1]) not in [
                (k.lower(), v) for k, v in headers]:
            return self.http_error(403, "Forbidden")  # an auth layer in front
        if "reject-unknown-headers" in self.f:
            known = ("host", "upgrade", "connection")
            if any(not (k.lower() in known or k.lower().startswith("sec-websocket-"))
                   for k, _ in headers):
                return self.http_error(400, "Bad Request")
        canon = {"host": "Host", "upgrade": "Upgrade", "connection": "Connection",
                 "sec-websocket-key": "Sec-WebSocket-Key",
                 "sec-websocket-version": "Sec-WebSocket-Version",
                 "sec-websocket-protocol": "Sec-WebSocket-Protocol",
                 "sec-websocket-extensions": "Sec-WebSocket-Extensions"}

        def get_all(name):
            if "case-sensitive-header-names" in self.f:
                name = canon[name]
            vals = [v for k, v in headers if k == name]
            if "first-header-only" in self.f:
                vals = vals[:1]
            return vals

        # 4.2.1 item 1: an HTTP/1.1 or higher GET request
        if method != "GET" and "accept-post" not in self.f:
            return self.http_error(405 if method.upper() != "GET" else 400, "Method Not Allowed",
                                   ["Allow: GET"])
        if not version.startswith("HTTP/"):
            return self.http_error(400, "Bad Request")
        try:
            major, minor = (int(x) for x in version[5:].split("."))
        except ValueError:
            return self.http_error(400, "Bad Request")
        if (major, minor) < (1, 1) and "accept-http10" not in self.f:
            return self.http_error(400, "Bad Request")
        # request-target: origin form, or absolute form (RFC 7230 5.3.2)
        lower_target = target.lower()
        absolute = any(lower_target.startswith(s) for s in
                       ("http://", "https://", "ws://", "wss://"))
        if not target.startswith("/") and not absolute and "any-target" not in self.f:
            return self.http_error(400, "Bad Request")
        if "exact-path" in self.f and target != "/":
            return self.http_error(404, "Not Found")
        if absolute and "reject-absolute-form" in self.f:
            return self.http_error(400, "Bad Request")
        # item 2: Host
        hosts = get_all("host")
        if (len(hosts) != 1 or not hosts[0]) and "first-header-only" not in self.f:
            if "no-host-check" not in self.f:
                return self.http_error(400, "Bad Request")
        # item 3: Upgrade contains the token "websocket" (case-insensitive)
        ups = get_all("upgrade")
        if "upgrade-case-sensitive" in self.f:
            ok = len(ups) == 1 and ups[0] == "websocket"
        elif "no-upgrade-check" in self.f:
            ok = True
        elif "upgrade-substring" in self.f:
            ok = any("websocket" in v.lower() for v in ups)
        else:
            ok = "websocket" in tokens(ups)
        if not ok:
            return self.http_error(400, "Bad Request")
        # item 4: Connection contains the token "Upgrade" (case-insensitive)
        conns = get_all("connection")
        if "connection-substring" in self.f:
            ok = any("upgrade" in v.lower() for v in conns)
        elif "no-connection-check" in self.f:
            ok = True
        elif "connection-exact" in self.f:
            ok = any(v == "Upgrade" for v in conns)
        else:
            ok = "upgrade" in tokens(conns)
        if not ok:
            return self.http_error(400, "Bad Request")
        # item 5: Sec-WebSocket-Key, base64 of 16 bytes
        keys = get_all("sec-websocket-key")
        if "no-key-check" in self.f:
            ok = True
            keys = keys or [""]
        elif "key-length-only" in self.f:
            ok = len(keys) == 1 and len(keys[0]) == 24
        else:
            ok = len(keys) == 1
            if ok:
                try:
                    ok = len(base64.b64decode(keys[0], validate=True)) == 16 and len(keys[0]) == 24
                except (binascii.Error, ValueError):
                    ok = False
        if not ok:
            return self.http_error(400, "Bad Request")
        key = keys[0]
        # item 6: Sec-WebSocket-Version 13, else 426 with the version we speak
        versions = get_all("sec-websocket-version")
        if "version-atoi" in self.f:
            digits = ""
            for c in (versions[0] if versions else ""):
                if not c.isdigit():
                    break
                digits += c
            good = digits != "" and int(digits) == 13
        else:
            good = len(versions) == 1 and versions[0] == "13"
        if not good and "any-version" not in self.f:
            extra = [] if "version-no-header" in self.f else ["Sec-WebSocket-Version: 13"]
            return self.http_error(426, "Upgrade Required", extra)
        # optional: subprotocols and extensions
        resp = ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"]
        if "wrong-accept" in self.f:
            accept = base64.b64encode(hashlib.sha1(key.encode("latin-1")).digest()).decode()
        else:
            accept = base64.b64encode(hashlib.sha1(key.encode("latin-1") + GUID).digest()).decode()
        resp.append(f"Sec-WebSocket-Accept: {accept}")
        protos = get_all("sec-websocket-protocol")
        if protos:
            if "echo-all-protocols" in self.f:
                resp.append("Sec-WebSocket-Protocol: " + ", ".join(protos))
            else:
                offered = [t.strip() for v in protos for t in v.split(",") if t.strip()]
                if offered:
                    resp.append(f"Sec-WebSocket-Protocol: {offered[0]}")
        elif "unoffered-protocol" in self.f:
            resp.append("Sec-WebSocket-Protocol: chat")
        exts = get_all("sec-websocket-extensions")
        if exts and "accept-unknown-extension" in self.f:
            resp.append("Sec-WebSocket-Extensions: " + ", ".join(exts))
        elif not exts and "unoffered-extension" in self.f:
            resp.append("Sec-WebSocket-Extensions: permessage-deflate")
        elif exts:
            answer = self.negotiate_deflate(exts)
            if answer:
                resp.append("Sec-WebSocket-Extensions: " + answer)
        self.send(("\r\n".join(resp) + "\r\n\r\n").encode())
        return True

    def negotiate_deflate(self, exts: list[str]) -> str | None:
        """RFC 7692 5, 7: accept the first valid permessage-deflate offer.
        Offers asking server_max_window_bits=8 are declined (7.1.2.1 allows
        it): zlib cannot deflate with a raw window of 8."""
        for value in exts:
            for offer in split_outside_quotes(value, ","):
                params = parse_deflate_offer(offer)
                if params is None:
                    continue
                smwb = params.get("server_max_window_bits")
                if smwb is not None and int(smwb) == 8:
                    continue
                answer = ["permessage-deflate"]
                pmd = {"server_wbits": 15, "server_nct": False, "client_nct": False}
                if "server_no_context_takeover" in params:
                    answer.append("server_no_context_takeover")
                    pmd["server_nct"] = True
                if "client_no_context_takeover" in params:
                    answer.append("client_no_context_takeover")
                    pmd["client_nct"] = True
                if smwb is not None:
                    answer.append(f"server_max_window_bits={smwb}")
                    pmd["server_wbits"] = int(smwb)
                if "client_max_window_bits" not in params and "deflate-unoffered-param" in self.f:
                    answer.append("client_max_window_bits=15")
                self.pmd = pmd
                return "; ".join(answer)
        return None

    def find_header_end(self) -> tuple[int, int]:
        """Offset and length of the blank line ending the header block;
        bare LF line ends are accepted (RFC 7230 3.5 MAY)."""
        crlf = self.buf.find(b"\r\n\r\n")
        lf = self.buf.find(b"\n\n")
        mixed = self.buf.find(b"\n\r\n")
        cands = [(i, n) for i, n in ((crlf, 4), (lf, 2), (mixed, 3)) if i >= 0]
        if not cands:
            return -1, 0
        i, n = min(cands)
        return i, n

    # -- frames (RFC 6455 5.2) -----------------------------------------------

    def process(self) -> None:
        """Decode as much of self.buf as possible; raises Fail."""
        while not self.closed:
            if self.in_header:
                if not self.parse_header():
                    if self.buf and "lose-partial-header" in self.f:
                        self.buf.clear()
                    return
                if self.remaining == 0:
                    self.end_frame()
                    if self.one_frame_per_read():
                        return
                continue
            if not self.buf:
                return
            n = min(self.remaining, len(self.buf))
            raw = bytes(self.buf[:n])
            del self.buf[:n]
            fin, rsv, op, masked, length, key, minimal = self.hdr
            chunk = unmask(raw, key, self.mask_pos) if masked else raw
            self.mask_pos += n
            self.remaining -= n
            self.on_payload(chunk)
            if self.remaining == 0:
                self.end_frame()
                if self.one_frame_per_read():
                    return

    def one_frame_per_read(self) -> bool:
        if "one-frame-per-read" in self.f:
            self.buf.clear()
            return True
        return False

    def parse_header(self) -> bool:
        b = self.buf
        if len(b) < 2:
            return False
        b0, b1 = b[0], b[1]
        masked = bool(b1 & 0x80)
        n = b1 & 0x7F
        pos = 2
        minimal = True
        if n == 126:
            if len(b) < 4:
                return False
            n = struct.unpack("!H", b[2:4])[0]
            pos = 4
            minimal = n > 125
        elif n == 127:
            if len(b) < 10:
                return False
            n = struct.unpack("!Q", b[2:10])[0]
            pos = 10
            minimal = n > 0xFFFF
        key = b""
        if masked:
            if len(b) < pos + 4:
                return False
            key = bytes(b[pos:pos + 4])
            pos += 4
        del b[:pos]
        fin = bool(b0 & 0x80)
        rsv = (b0 >> 4) & 7
        op = b0 & 0xF
        self.hdr = (fin, rsv, op, masked, n, key, minimal)
        self.in_header = False
        self.mask_pos = 0
        self.remaining = n
        self.frame_payload = bytearray()
        self.discard_frame = False
        self.check_header(fin, rsv, op, masked, n, minimal)
        return True

    def check_header(self, fin, rsv, op, masked, n, minimal) -> None:
        f = self.f
        control = op >= 8
        # 5.2: RSV bits MUST be 0 unless an extension gives them a meaning;
        # RFC 7692 6: permessage-deflate's RSV1 only on a message's first frame
        compressed = False
        if self.pmd is not None and rsv & 4 and op in (OP_TEXT, OP_BINARY):
            rsv &= ~4
            compressed = True
        if rsv:
            if "ignore-rsv" in f:
                pass
            elif "rsv1-only" in f and not (rsv & 4):
                pass
            elif "rsv-data-only" in f and control:
                pass
            else:
                raise Fail(1002, f"RSV bits {rsv}", close_related=op == OP_CLOSE)
        # 5.2: opcodes 3-7 and 0xB-0xF are reserved
        if op not in DATA_OPS and op not in CONTROL_OPS:
            if "accept-reserved-opcodes" in f or (
                    "accept-reserved-control-opcodes" in f and op >= 0xB):
                self.discard_frame = True
                return
            raise Fail(1002, f"reserved opcode {op}")
        # 5.1: client frames MUST be masked
        if not masked and "accept-unmasked" not in f:
            raise Fail(1002, "unmasked client frame", close_related=op == OP_CLOSE)
        # 5.2: the 64-bit length's most significant bit MUST be 0
        if n >= 1 << 63:
            if "ignore-length-top-bit" in f:
                # believe the length and wait for the payload, discarding it
                self.discard_frame = True
                return
            raise Fail(1002, "64-bit length with the top bit set")
        if not minimal and "drop-non-minimal" in f:
            self.discard_frame = True
            return
        if control:
            # 5.5: control frames: at most 125 bytes, never fragmented
            if n > 125 and "allow-long-control" not in f:
                if not (op == OP_CLOSE and "close-check-at-frame-end" in f):
                    raise Fail(1002, f"control frame of {n} bytes", close_related=op == OP_CLOSE)
            if not fin and "allow-fragmented-control" not in f:
                raise Fail(1002, "fragmented control frame", close_related=op == OP_CLOSE)
            if op == OP_CLOSE:
                self.close_code_checked = False
                self.reason_utf8 = Utf8(f)
            return
        # 5.4: fragmentation rules
        if op == OP_CONT:
            if self.msg_op is None:
                if "no-continuation-check" in f:
                    self.start_message(OP_BINARY)  # treated as a new (binary) message
                else:
                    raise Fail(1002, "continuation with no message in progress")
        else:
            if self.msg_op is not None:
                if "allow-interleaved-data" in f:
                    self.msg_op = None  # start over
                else:
                    raise Fail(1002, "new data frame while a message is in progress")
            self.start_message(op, compressed)
        limit = SMALL_MAX_MESSAGE if "max-message-64k" in f else MAX_MESSAGE
        if self.msg_compressed:
            # the inflated size is checked as it inflates (inflate())
            if self.msg_wire + n > limit:
                raise Fail(1009, "compressed message too big")
            self.msg_wire += n
        elif len(self.msg) + n > limit:
            raise Fail(1009, "message too big")

    def start_message(self, op: int, compressed: bool = False) -> None:
        self.msg_op = op
        self.msg = bytearray()
        self.msg_compressed = compressed
        self.msg_wire = 0
        if compressed and (self.inflater is None or self.pmd["client_nct"]):
            self.inflater = zlib.decompressobj(wbits=-15)
        if op == OP_TEXT or "validate-binary" in self.f:
            if "utf8-per-connection" in self.f:
                # one validator for the whole byte stream, never reset
                if getattr(self, "conn_utf8", None) is None:
                    self.conn_utf8 = Utf8(self.f)
                self.utf8 = self.conn_utf8
            else:
                self.utf8 = Utf8(self.f)
        else:
            self.utf8 = None

    def utf8_mode(self) -> str:
        for mode in ("no-utf8-check", "utf8-per-frame", "utf8-at-end", "utf8-frame-end"):
            if mode in self.f:
                return mode
        return "stream"

    def on_payload(self, chunk: bytes) -> None:
        if self.discard_frame:
            return
        fin, rsv, op, masked, n, key, minimal = self.hdr
        if op in DATA_OPS:
            if self.msg_compressed:
                chunk = self.inflate(chunk)
            self.add_data(chunk)
            return
        self.frame_payload += chunk
        if op == OP_CLOSE and "close-check-at-frame-end" not in self.f:
            self.check_close_incremental(final=False)

    def inflate(self, data: bytes) -> bytes:
        """Inflate compressed message bytes, bounded by the message size limit
        (max_length: a bomb is refused without inflating it all)."""
        if "deflate-no-inflate-bound" in self.f:
            limit = UNBOUNDED_INFLATE_CAP
        else:
            limit = SMALL_MAX_MESSAGE if "max-message-64k" in self.f else MAX_MESSAGE
        out = bytearray()
        while True:
            # at most 1 MiB per call (>= 1: a max_length of 0 means unbounded)
            room = min(limit - len(self.msg) - len(out) + 1, 1 << 20)
            try:
                got = self.inflater.decompress(data, room)
            except zlib.error as exc:
                raise Fail(1007, f"invalid DEFLATE data: {exc}")
            out += got
            if len(self.msg) + len(out) > limit:
                if "deflate-no-inflate-bound" in self.f:
                    # only the safety cap stops it: it gives up, no 1009
                    raise PeerGone("inflated past the safety cap")
                raise Fail(1009, "message inflates past the limit")
            if self.inflater.eof:
                # a block with BFINAL set ends the stream (RFC 7692 7.2.3.3)
                data = self.inflater.unused_data
                self.inflater = zlib.decompressobj(wbits=-15)
                if not data:
                    break
                continue
            data = self.inflater.unconsumed_tail
            if not data and len(got) < room:
                break
        return bytes(out)

    def at_block_boundary(self) -> bool:
        """After 00 00 ff ff a complete message leaves the inflater between
        blocks (RFC 7692 7.2.2). Probe a copy with an empty final fixed
        block (03 00): it ends the stream only at a block boundary."""
        probe = self.inflater.copy()
        try:
            probe.decompress(b"\x03\x00", 1024)
        except zlib.error:
            return False
        return probe.eof

    def add_data(self, chunk: bytes) -> None:
        self.msg += chunk
        if self.utf8 is not None:
            mode = self.utf8_mode()
            if mode == "stream":
                if not self.utf8.feed(chunk):
                    raise Fail(1007, "invalid UTF-8 in a text message")
            elif mode in ("utf8-per-frame", "utf8-frame-end"):
                self.frame_payload += chunk

    def check_close_incremental(self, final: bool) -> None:
        p = self.frame_payload
        if len(p) >= 2 and not self.close_code_checked:
            self.close_code_checked = True
            self.reason_pos = 2
            code = struct.unpack("!H", p[:2])[0]
            if not valid_close_code(code) and "any-close-code" not in self.f:
                raise Fail(1002, f"invalid close code {code}", close_related=True)
            if "reject-private-codes" in self.f and 3000 <= code <= 4999:
                raise Fail(1002, f"close code {code} not known", close_related=True)
        if self.close_code_checked and "no-reason-utf8-check" not in self.f:
            new = bytes(p[self.reason_pos:])
            self.reason_pos = len(p)
            if not self.reason_utf8.feed(new) or (final and not self.reason_utf8.complete()):
                raise Fail(1007, "invalid UTF-8 in the close reason", close_related=True)

    def end_frame(self) -> None:
        self.in_header = True
        fin, rsv, op, masked, n, key, minimal = self.hdr
        if self.discard_frame:
            return
        if op in DATA_OPS:
            self.end_data_frame(fin)
        elif op == OP_PING:
            self.on_ping(bytes(self.frame_payload))
        elif op == OP_PONG:
            if "answer-pongs" in self.f:
                self.send_frame(OP_PONG, bytes(self.frame_payload))
        elif op == OP_CLOSE:
            self.on_close(bytes(self.frame_payload))

    def end_data_frame(self, fin: bool) -> None:
        mode = self.utf8_mode()
        if self.utf8 is not None:
            if mode == "utf8-per-frame":
                v = Utf8(self.f)
                if not (v.feed(bytes(self.frame_payload)) and v.complete()):
                    raise Fail(1007, "invalid UTF-8 in a frame")
            elif mode == "utf8-frame-end":
                if not self.utf8.feed(bytes(self.frame_payload)):
                    raise Fail(1007, "invalid UTF-8 in a text message")
            self.frame_payload = bytearray()
        if "fragments-as-messages" in self.f and not fin:
            self.echo(self.msg_op, bytes(self.msg))
            self.msg = bytearray()
            return
        if not fin:
            return
        if self.msg_compressed:
            self.add_data(self.inflate(DEFLATE_TAIL))
            if not self.at_block_boundary():
                raise Fail(1007, "compressed message ends inside a DEFLATE block")
        if self.utf8 is not None:
            if mode == "utf8-at-end":
                v = Utf8(self.f)
                if not (v.feed(bytes(self.msg)) and v.complete()):
                    raise Fail(1007, "invalid UTF-8 in a text message")
            elif mode != "no-utf8-check" and mode != "utf8-per-frame" and \
                    "utf8-per-connection" not in self.f:
                if not self.utf8.complete():
                    raise Fail(1007, "text message ends inside a code point")
        op, data = self.msg_op, bytes(self.msg)
        self.msg_op, self.msg, self.utf8 = None, bytearray(), None
        self.echo(op, data)

    def echo(self, op: int, data: bytes) -> None:
        if op == OP_TEXT and "text-as-binary" in self.f:
            op = OP_BINARY
        if "strip-bom" in self.f and op == OP_TEXT and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if self.pmd is not None and op in (OP_TEXT, OP_BINARY):
            self.send_compressed(op, data)
            return
        self.send_frame(op, data)

    def send_compressed(self, op: int, data: bytes) -> None:
        """RFC 7692 7.2.1: deflate, sync flush, strip 00 00 ff ff, RSV1."""
        wbits = self.pmd["server_wbits"]
        if "deflate-wrong-window" in self.f:
            wbits = 15  # answered server_max_window_bits=N, compresses with 15
        fresh = self.pmd["server_nct"] and "deflate-ignore-no-context-takeover" not in self.f
        if self.deflater is None or fresh:
            self.deflater = zlib.compressobj(6, zlib.DEFLATED, -wbits)
        out = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
        if out.endswith(DEFLATE_TAIL):
            out = out[:-4]
        if "deflate-rsv1-continuation" in self.f:
            # always fragmented in two, RSV1 on the continuation too
            half = len(out) // 2
            self.send_frame(op, out[:half], fin=False, rsv=4)
            self.send_frame(OP_CONT, out[half:], fin=True, rsv=4)
            return
        self.send_frame(op, out, rsv=4)

    def on_ping(self, payload: bytes) -> None:
        if "no-pong" in self.f:
            return
        if "control-ends-message" in self.f and self.msg_op is not None:
            # the control frame is taken as the end of the message in progress
            op, data = self.msg_op, bytes(self.msg)
            self.msg_op, self.msg, self.utf8 = None, bytearray(), None
            self.echo(op, data)
        if "pong-wrong-payload" in self.f:
            payload = payload[1:] + b"x"
        if "coalesce-pongs" in self.f:
            self.pending_pong = payload  # only the most recent ping of a read is answered
            return
        self.send_frame(OP_PONG, payload)

    def flush_pong(self) -> None:
        if self.pending_pong is not None:
            p, self.pending_pong = self.pending_pong, None
            self.send_frame(OP_PONG, p)

    def on_close(self, payload: bytes) -> None:
        if len(payload) == 1:
            if "close-1-byte-ok" in self.f:
                payload = b"\x03\xe8"  # taken as a normal close
            else:
                raise Fail(1002, "close payload of 1 byte", close_related=True)
        if len(payload) > 125 and "allow-long-control" not in self.f:
            # only reachable with close-check-at-frame-end
            raise Fail(1002, f"close frame of {len(payload)} bytes", close_related=True)
        if payload and "close-check-at-frame-end" in self.f:
            self.check_close_incremental(final=True)
        elif payload and "no-reason-utf8-check" not in self.f:
            if not self.reason_utf8.complete():
                raise Fail(1007, "close reason ends inside a code point", close_related=True)
        if not payload:
            if "reject-empty-close" in self.f:
                raise Fail(1002, "empty close", close_related=True)
            code = None
        else:
            code = struct.unpack("!H", payload[:2])[0]
        if "answer-close-1001" in self.f:
            code = 1001
        self.flush_pong()
        if "echo-after-close" in self.f and not self.deferred:
            # answers later: first it goes on processing what follows
            self.deferred = [code]
            return
        self.send_close(code)
        if not self.deferred:
            self.closed = True


# --require-header NAME:VALUE: (name, value) every request must carry, or
# None. Set once by main(), before any connection.
REQUIRED_HEADER: tuple[str, str] | None = None


def reset(sock: socket.socket) -> None:
    """Close with an RST instead of a FIN (SO_LINGER with a zero timeout)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def serve(host: str, port: int, faults: set[str], healthy_first: int = 0,
          die_after: int = 0, reset_after: int = 0) -> None:
    lsock = socket.create_server((host, port), backlog=128)
    lsock.settimeout(0.5)
    stop = threading.Event()

    def on_term(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(f"listening on ws://{host}:{lsock.getsockname()[1]}/", flush=True)
    lock = threading.Lock()
    accepted = 0

    def log(msg: str) -> None:
        if os.environ.get("FAULTY_SERVER_DEBUG"):
            with lock:
                print(msg, file=sys.stderr, flush=True)

    while not stop.is_set():
        try:
            sock, _ = lsock.accept()
        except socket.timeout:
            continue
        except OSError:
            if stop.is_set():
                break
            time.sleep(0.01)
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        accepted += 1
        if reset_after and accepted > reset_after:
            reset(sock)
            continue
        conn = Connection(sock, faults if accepted > healthy_first else set(), log)
        threading.Thread(target=conn.run, daemon=True).start()
        if die_after and accepted >= die_after:
            # Let that last connection start, then go away as a crash would:
            # every open connection ends with the process.
            time.sleep(0.05)
            lsock.close()
            os._exit(0)
    lsock.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--fault", action="append", default=[], metavar="NAME",
                    help="break one rule family (repeatable); --list-faults shows them")
    ap.add_argument("--healthy-first", type=int, default=0, metavar="N",
                    help="serve the first N connections without the faults (so a "
                         "client's preflight handshake gets through)")
    ap.add_argument("--die-after", type=int, default=0, metavar="N",
                    help="exit once N connections were accepted (a server that dies)")
    ap.add_argument("--reset-after", type=int, default=0, metavar="N",
                    help="reset every connection after the Nth, unread")
    ap.add_argument("--require-header", metavar="NAME:VALUE",
                    help="answer 403 to any request without this header (a server behind "
                         "a token), before any other check")
    ap.add_argument("--list-faults", action="store_true")
    args = ap.parse_args(argv)
    if args.list_faults:
        for name, (area, what) in FAULTS.items():
            print(f"{name:32} {area:20} {what}")
        return 0
    unknown = [x for x in args.fault if x not in FAULTS]
    if unknown:
        ap.error(f"unknown fault(s) {unknown}; known: {', '.join(FAULTS)}")
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        ap.error("loopback only")
    if args.require_header:
        name, _, value = args.require_header.partition(":")
        global REQUIRED_HEADER
        REQUIRED_HEADER = (name.strip(), value.strip())
    serve(args.host, args.port, set(args.fault), args.healthy_first,
          args.die_after, args.reset_after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
