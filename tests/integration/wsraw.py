"""A small raw-socket WebSocket client for hostile probes (RFC 6455).

Builds requests and masked client frames with any lie in the header (RSV
bits, reserved opcodes, an unmasked frame, a declared length larger than the
payload, a 64-bit length with the top bit set, non-minimal length forms), and
reads and decodes server frames with bounded waits. Every read has a deadline:
nothing here can block forever.

Only stdlib. Traffic goes to whatever address the caller gives, which in this
test suite is always 127.0.0.1.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import socket
import struct
import time
from dataclasses import dataclass, field

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA

DEFAULT_TIMEOUT = 5.0


class ProbeTimeout(AssertionError):
    """The peer did not produce what we waited for within the bound."""


class PeerClosed(AssertionError):
    """The peer closed (EOF or reset) while we still expected bytes."""


def make_key(raw: bytes | None = None) -> str:
    """A Sec-WebSocket-Key: base64 of 16 (random) bytes."""
    return base64.b64encode(raw if raw is not None else os.urandom(16)).decode()


def accept_for(key: str) -> str:
    """RFC 6455 4.2.2 item 5.4: base64(SHA-1(key + GUID))."""
    return base64.b64encode(hashlib.sha1(key.encode("latin-1") + GUID).digest()).decode()


def mask_bytes(payload: bytes, key: bytes) -> bytes:
    """XOR payload with the 4-byte key (RFC 6455 5.3), fast for large inputs."""
    if not payload:
        return b""
    n = len(payload)
    reps = (n + 3) // 4
    k = int.from_bytes(key * reps, "little")
    return (int.from_bytes(payload, "little") ^ k).to_bytes(reps * 4, "little")[:n]


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool = True,
    mask_key: bytes | None = None,
    length: int | None = None,
    length_form: str | None = None,
) -> bytes:
    """Encode one client frame.

    rsv: 3-bit value (4 = RSV1, 2 = RSV2, 1 = RSV3).
    mask: False produces an (illegal) unmasked client frame.
    length: the declared payload length; defaults to len(payload). A lie is
      allowed in both directions (more bytes declared than sent, or a value
      with the 64-bit top bit set).
    length_form: '7', '16' or '64' to force an encoding (non-minimal forms);
      default is the minimal one.
    """
    declared = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    mbit = 0x80 if mask else 0
    if length_form is None:
        length_form = "7" if declared <= 125 else "16" if declared <= 0xFFFF else "64"
    if length_form == "7":
        if declared > 125:
            raise ValueError("7-bit length form holds at most 125")
        head = bytes([b0, mbit | declared])
    elif length_form == "16":
        head = bytes([b0, mbit | 126]) + struct.pack("!H", declared)
    elif length_form == "64":
        head = bytes([b0, mbit | 127]) + struct.pack("!Q", declared)
    else:
        raise ValueError(length_form)
    if not mask:
        return head + payload
    key = os.urandom(4) if mask_key is None else mask_key
    return head + key + mask_bytes(payload, key)


def close_payload(code: int | None, reason: bytes = b"") -> bytes:
    return b"" if code is None else struct.pack("!H", code) + reason


def text(payload, **kw) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode()
    return frame(OP_TEXT, payload, **kw)


def binary(payload: bytes, **kw) -> bytes:
    return frame(OP_BINARY, payload, **kw)


def close(code: int | None = 1000, reason: bytes = b"", **kw) -> bytes:
    return frame(OP_CLOSE, close_payload(code, reason), **kw)


@dataclass
class Frame:
    fin: bool
    rsv: int
    opcode: int
    masked: bool
    payload: bytes
    length_form: str

    @property
    def close_code(self) -> int | None:
        if self.opcode != OP_CLOSE or len(self.payload) < 2:
            return None
        return struct.unpack("!H", self.payload[:2])[0]

    @property
    def close_reason(self) -> bytes:
        return self.payload[2:]

    def __repr__(self) -> str:
        p = self.payload if len(self.payload) <= 40 else self.payload[:40] + b"..."
        return (f"Frame(op={self.opcode:#x} fin={int(self.fin)} rsv={self.rsv} "
                f"masked={self.masked} len={len(self.payload)} {p!r})")


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    raw: bytes = b""

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def get(self, name: str) -> str | None:
        vals = self.get_all(name)
        return vals[0] if vals else None

    def tokens(self, name: str) -> list[str]:
        out = []
        for v in self.get_all(name):
            out += [t.strip().lower() for t in v.split(",") if t.strip()]
        return out


def request_bytes(
    host: str,
    *,
    key: str | None = None,
    method: str = "GET",
    target: str = "/",
    http_version: str = "HTTP/1.1",
    headers: list[tuple[str, str]] | None = None,
    line_end: str = "\r\n",
) -> bytes:
    """A valid upgrade request unless the caller overrides pieces of it.

    headers replaces the whole field list when given; use default_headers()
    to start from the valid set and edit it.
    """
    if headers is None:
        headers = default_headers(host, key or make_key())
    lines = [f"{method} {target} {http_version}"]
    lines += [f"{k}: {v}" for k, v in headers]
    return (line_end.join(lines) + line_end + line_end).encode("latin-1")


def default_headers(host: str, key: str) -> list[tuple[str, str]]:
    return [
        ("Host", host),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]


class RawConn:
    """One TCP connection with a receive buffer and deadline-bounded reads."""

    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT, *,
                 rcvbuf: int | None = None, sndbuf: int | None = None):
        """rcvbuf/sndbuf shrink the kernel buffers (set before connecting, so
        the advertised window follows), for backpressure probes."""
        self.host, self.port = host, port
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                  socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if sndbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect((host, port))
        except BaseException:
            self.sock.close()
            raise
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False
        self.reset = False
        self.default_timeout = timeout

    # -- plumbing ---------------------------------------------------------

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes, timeout: float | None = None) -> bool:
        """sendall with a bound; False if the peer reset/closed meanwhile."""
        self.sock.settimeout(timeout if timeout is not None else self.default_timeout)
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False
        except socket.timeout as exc:
            raise ProbeTimeout(f"send of {len(data)} bytes did not complete") from exc

    def send_nowait(self, data: bytes) -> int:
        """Non-blocking send; returns bytes accepted by the kernel (0 if full)."""
        self.sock.setblocking(False)
        try:
            return self.sock.send(data)
        except BlockingIOError:
            return 0
        except (BrokenPipeError, ConnectionResetError):
            return -1
        finally:
            self.sock.setblocking(True)

    def drip(self, data: bytes, delay: float = 0.0005, chunk: int = 1) -> bool:
        """Write data `chunk` bytes per send() call with a pause in between."""
        for i in range(0, len(data), chunk):
            if not self.send(data[i:i + chunk]):
                return False
            if delay:
                time.sleep(delay)
        return True

    def _fill(self, deadline: float) -> bool:
        """Read more bytes into buf. False on EOF/reset. Raises on timeout."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeTimeout("timed out waiting for data from the server")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout as exc:
            raise ProbeTimeout("timed out waiting for data from the server") from exc
        except ConnectionResetError:
            self.eof = self.reset = True
            return False
        except OSError as exc:
            if exc.errno in (errno.ECONNRESET, errno.EPIPE):
                self.eof = self.reset = True
                return False
            raise
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _need(self, n: int, deadline: float) -> None:
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise PeerClosed(
                    f"connection {'reset' if self.reset else 'closed'} with "
                    f"{len(self.buf)} of {n} needed bytes buffered")

    def _take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    # -- HTTP --------------------------------------------------------------

    def read_response(self, timeout: float | None = None) -> Response | None:
        """Read a response header block. None if the peer closed before a
        complete block arrived (what a server may do to a hostile request)."""
        deadline = time.monotonic() + (timeout or self.default_timeout)
        while True:
            idx = self.buf.find(b"\r\n\r\n")
            if idx >= 0:
                block = self._take(idx + 4)
                break
            if len(self.buf) > 65536:
                raise AssertionError("response header block over 64 KiB")
            if not self._fill(deadline):
                return None
        lines = block.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise AssertionError(f"malformed status line {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise AssertionError(f"malformed response header line {line!r}")
            headers.append((name, value.strip()))
        return Response(int(parts[1]), parts[2] if len(parts) > 2 else "", parts[0],
                        headers, block)

    def read_body_and_eof(self, timeout: float | None = None) -> tuple[bytes, bool]:
        """Read whatever follows until EOF; (bytes, reached_eof)."""
        deadline = time.monotonic() + (timeout or self.default_timeout)
        try:
            while self._fill(deadline):
                pass
        except ProbeTimeout:
            return self._take(len(self.buf)), False
        return self._take(len(self.buf)), True

    def handshake(self, key: str | None = None, path: str = "/",
                  extra: list[tuple[str, str]] = (),
                  timeout: float | None = None) -> Response:
        """A valid opening handshake; asserts 101 and the accept value."""
        key = key or make_key()
        self.send(request_bytes(self.hostport, target=path,
                                headers=default_headers(self.hostport, key) + list(extra)))
        resp = self.read_response(timeout)
        assert resp is not None, "server closed the connection instead of answering"
        assert resp.status == 101, f"expected 101, got {resp.raw!r}"
        assert resp.get("Sec-WebSocket-Accept") == accept_for(key), resp.raw
        return resp

    # -- frames ------------------------------------------------------------

    def read_frame(self, timeout: float | None = None) -> Frame:
        """Decode one server frame. Raises PeerClosed on EOF, ProbeTimeout."""
        deadline = time.monotonic() + (timeout or self.default_timeout)
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n = b1 & 0x7F
        pos = 2
        form = "7"
        if n == 126:
            self._need(4, deadline)
            n = struct.unpack("!H", self.buf[2:4])[0]
            pos, form = 4, "16"
        elif n == 127:
            self._need(10, deadline)
            n = struct.unpack("!Q", self.buf[2:10])[0]
            pos, form = 10, "64"
            if n > 1 << 40:
                raise AssertionError(f"server frame declares {n} bytes")
        masked = bool(b1 & 0x80)
        key = b""
        if masked:
            self._need(pos + 4, deadline)
            key = bytes(self.buf[pos:pos + 4])
            pos += 4
        self._need(pos + n, deadline)
        self._take(pos)
        payload = self._take(n)
        if masked:
            payload = mask_bytes(payload, key)
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, masked, payload, form)

    def read_message(self, timeout: float | None = None,
                     pongs: list | None = None) -> tuple[int, bytes]:
        """Read one data message (reassembling fragments). Pongs go to
        `pongs` if given; a close or any protocol oddity raises."""
        deadline = time.monotonic() + (timeout or self.default_timeout)
        opcode, parts = None, []
        while True:
            f = self.read_frame(max(0.001, deadline - time.monotonic()))
            check_server_frame(f)
            if f.opcode == OP_PONG and pongs is not None:
                pongs.append(f.payload)
                continue
            if f.opcode == OP_PING:
                self.send(frame(OP_PONG, f.payload))
                continue
            if f.opcode == OP_CLOSE:
                raise AssertionError(f"expected a message, got close {f.close_code} "
                                     f"{f.close_reason!r}")
            if opcode is None:
                assert f.opcode in (OP_TEXT, OP_BINARY), f"unexpected frame {f!r}"
                opcode = f.opcode
            else:
                assert f.opcode == OP_CONT, f"expected continuation, got {f!r}"
            parts.append(f.payload)
            if f.fin:
                return opcode, b"".join(parts)

    def read_until_close(self, timeout: float | None = None) -> tuple[Frame | None, list[Frame]]:
        """Read frames until a close frame or EOF/reset.

        Returns (close_frame_or_None, frames_before). Raises ProbeTimeout if
        neither a close nor EOF comes within the bound (a server that ignored
        the violation and kept the connection open).
        """
        deadline = time.monotonic() + (timeout or self.default_timeout)
        before: list[Frame] = []
        while True:
            try:
                f = self.read_frame(max(0.001, deadline - time.monotonic()))
            except PeerClosed:
                return None, before
            check_server_frame(f)
            if f.opcode == OP_CLOSE:
                return f, before
            before.append(f)

    def wait_eof(self, timeout: float | None = None) -> bytes:
        """Wait for the server to close TCP; returns any bytes that came
        first. Raises ProbeTimeout if the server keeps the connection open."""
        deadline = time.monotonic() + (timeout or self.default_timeout)
        while self._fill(deadline):
            pass
        return self._take(len(self.buf))

    def echo(self, payload: bytes = b"liveness", opcode: int = OP_TEXT,
             timeout: float | None = None) -> None:
        self.send(frame(opcode, payload))
        got = self.read_message(timeout)
        assert got == (opcode, payload), f"echo mismatch: sent {(opcode, payload)!r} got {got!r}"


def check_server_frame(f: Frame) -> None:
    """RFC 6455 5.1/5.2: server frames are never masked; no extension is
    negotiated, so RSV bits are 0; opcodes are defined ones."""
    assert not f.masked, f"server sent a masked frame: {f!r}"
    assert f.rsv == 0, f"server frame has RSV bits set: {f!r}"
    assert f.opcode in (0, 1, 2, 8, 9, 10), f"server frame has reserved opcode: {f!r}"
    if f.opcode >= 8:
        assert f.fin and len(f.payload) <= 125, f"bad control frame from server: {f!r}"


def open_ws(host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> RawConn:
    c = RawConn(host, port, timeout)
    try:
        c.handshake()
    except BaseException:
        c.close()
        raise
    return c


def assert_alive(host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Liveness check (PROTOCOL 9): a fresh connection is upgraded and echoes."""
    with open_ws(host, port, timeout) as c:
        c.echo(b"still alive?")
        c.echo(b"\x00\x01\x02", OP_BINARY)
