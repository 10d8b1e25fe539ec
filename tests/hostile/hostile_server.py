#!/usr/bin/python3
"""A hostile WebSocket (RFC 6455) echo server, for testing that wsprobe's
reports escape everything a peer controls.

It speaks the protocol well enough for `wsprobe test` to complete a run
(handshake, masking, RSV/opcode/control-frame/fragmentation rules, UTF-8 of
whole text messages, close codes, the closing handshake with the server
closing TCP first, 1002/1007/1009 on failures), but it puts hostile content
everywhere the peer controls:

  - extra response headers with markup (X-Evil: <script>...);
  - every close frame it sends carries a hostile reason: markup that closes
    JUnit elements (</testcase>, </failure>), "]]>", "<!--", an attribute
    breakout ("><img src=x onerror=alert(1)>), Markdown table breakers,
    control bytes XML cannot hold, noncharacters, and invalid UTF-8 (those
    cases then legitimately fail with a violation);
  - text messages are echoed with markup added, so echo cases fail and their
    observed outcome previews hold markup (binary is echoed intact);
  - the 400 refusal of a bad handshake has a hostile status line and body.

    hostile_server.py --port 0   -> "listening on ws://127.0.0.1:PORT/"
                                    serves until SIGTERM (exit 0)

Loopback only; every read has a deadline and every buffer a bound.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import signal
import socket
import struct
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
MAX_HEADER_BYTES = 16384
MAX_MESSAGE = 16 << 20
MAX_CONNECTIONS = 128
READ_TIMEOUT = 10.0     # a silent client is dropped after this
DRAIN_TIMEOUT = 1.0     # after our close: wait this long for the client's EOF

# Close reasons (at most 123 bytes each), used in turn.
HOSTILE_REASONS = [
    b'</testcase>]]><!-- "><img src=x onerror=alert(1)>',
    b"<script>alert('x')</script> &amp; & ]]> --> </system-out></failure>",
    b"| a | b |\n\r\t`code` *em* _u_ [x](javascript:alert(1)) <marquee>",
    b"\x00\x01\x07\x08\x0b\x0c\x1b[31mctl\x7f</failure><![CDATA[",
    b"\xc0\xaf\xed\xa0\x80\xff\xfe\x80 bad utf8 <i>x</i> ]]>",
    b"\xef\xbf\xbe\xef\xbf\xbf nonchars \xc2\x85 <!DOCTYPE x [<!ENTITY e 'x'>]>",
]

# Added in front of every echoed text message (valid UTF-8, so the echo is a
# well-formed message whose content is wrong).
ECHO_PREFIX = "<script>alert(1)</script>]]></testcase>\"'<!--|`*_".encode()

EXTRA_HEADERS = (
    b"X-Evil: <script>alert(1)</script>\r\n"
    b"X-Evil-Quote: \"><img src=x onerror=alert(1)> ]]> </testcase> <!--\r\n"
    b"X-Evil-Table: | a | b | `c` *d* [e](javascript:alert(1))\r\n"
    b"Server: hostile</testsuite></testsuites>\r\n"
)


class Fail(Exception):
    """Fail the connection with this close code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class Connection:
    def __init__(self, sock: socket.socket, serial: int):
        self.sock = sock
        self.serial = serial
        self.buf = b""
        self.closes_sent = 0

    def reason(self) -> bytes:
        r = HOSTILE_REASONS[(self.serial + self.closes_sent) % len(HOSTILE_REASONS)]
        self.closes_sent += 1
        return r

    # ---- I/O ----

    def recv_more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError
        self.buf += data

    def take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self.recv_more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        self.sock.sendall(head + payload)

    def send_close(self, code: int) -> None:
        self.send_frame(OP_CLOSE, struct.pack("!H", code) + self.reason())

    # ---- handshake ----

    def refuse(self) -> None:
        body = b"<html><script>alert(1)</script>]]></testcase></html>"
        self.sock.sendall(b"HTTP/1.1 400 Bad <Request> ]]>\r\n" + EXTRA_HEADERS +
                          b"Content-Type: text/html\r\nContent-Length: " +
                          str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)

    def handshake(self) -> bool:
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > MAX_HEADER_BYTES:
                self.refuse()
                return False
            self.recv_more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        headers: dict[bytes, list[bytes]] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                self.refuse()
                return False
            headers.setdefault(name.lower(), []).append(value.strip())

        def tokens(name: bytes) -> list[bytes]:
            return [t.strip().lower() for v in headers.get(name, []) for t in v.split(b",")]

        keys = headers.get(b"sec-websocket-key", [])
        ok = (len(parts) == 3 and parts[0] == b"GET" and parts[2] == b"HTTP/1.1"
              and len(headers.get(b"host", [])) == 1
              and b"websocket" in tokens(b"upgrade") and b"upgrade" in tokens(b"connection")
              and len(keys) == 1 and _key_ok(keys[0]))
        if ok and headers.get(b"sec-websocket-version") != [b"13"]:
            self.sock.sendall(b"HTTP/1.1 426 Upgrade Required\r\n" + EXTRA_HEADERS +
                              b"Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n"
                              b"Connection: close\r\n\r\n")
            return False
        if not ok:
            self.refuse()
            return False
        accept = base64.b64encode(hashlib.sha1(keys[0] + GUID).digest())
        self.sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                          b"\r\n" + EXTRA_HEADERS + b"\r\n")
        return True

    # ---- frames ----

    def read_frame(self) -> tuple[bool, int, bytes]:
        b0, b1 = self.take(2)
        fin, rsv, opcode = b0 & 0x80, b0 & 0x70, b0 & 0x0F
        masked, n = b1 & 0x80, b1 & 0x7F
        if rsv or opcode not in (0, 1, 2, 8, 9, 10) or not masked:
            raise Fail(1002)
        if opcode >= 8 and (not fin or n > 125):
            raise Fail(1002)
        if n == 126:
            (n,) = struct.unpack("!H", self.take(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self.take(8))
            if n >> 63:
                raise Fail(1002)
        if n > MAX_MESSAGE:
            raise Fail(1009)
        key = self.take(4)
        data = self.take(n)
        mask = (key * (n // 4 + 1))[:n]
        payload = (int.from_bytes(data, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")
        return bool(fin), opcode, payload

    def on_close(self, payload: bytes) -> None:
        if len(payload) == 0:
            self.send_close(1000)
            return
        if len(payload) == 1:
            raise Fail(1002)
        (code,) = struct.unpack("!H", payload[:2])
        if not _close_code_ok(code):
            raise Fail(1002)
        try:
            payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise Fail(1007) from None
        self.send_close(code)

    def serve_frames(self) -> None:
        message_op, parts, size = None, [], 0
        while True:
            fin, op, payload = self.read_frame()
            if op == OP_CLOSE:
                self.on_close(payload)
                return
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if (op == OP_CONT) != (message_op is not None):
                raise Fail(1002)  # continuation without a start, or a start inside one
            if op != OP_CONT:
                message_op = op
            parts.append(payload)
            size += len(payload)
            if size > MAX_MESSAGE:
                raise Fail(1009)
            if not fin:
                continue
            message = b"".join(parts)
            if message_op == OP_TEXT:
                try:
                    message.decode("utf-8")
                except UnicodeDecodeError:
                    raise Fail(1007) from None
                self.send_frame(OP_TEXT, ECHO_PREFIX + message)
            else:
                self.send_frame(OP_BINARY, message)
            message_op, parts, size = None, [], 0

    def run(self) -> None:
        try:
            self.sock.settimeout(READ_TIMEOUT)
            if self.handshake():
                try:
                    self.serve_frames()
                except Fail as f:
                    self.send_close(f.code)
                self.drain()
        except (OSError, EOFError, ValueError):
            pass
        finally:
            self.sock.close()

    def drain(self) -> None:
        """The server closes TCP first, after a short wait for the client."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(DRAIN_TIMEOUT)
            while self.sock.recv(65536):
                pass
        except OSError:
            pass


def _key_ok(key: bytes) -> bool:
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        return False


def _close_code_ok(code: int) -> bool:
    return (1000 <= code <= 1003 or 1007 <= code <= 1011 or 1012 <= code <= 1014
            or 3000 <= code <= 4999)


def serve(host: str, port: int) -> None:
    lsock = socket.create_server((host, port), backlog=128)
    lsock.settimeout(0.5)
    stop = threading.Event()
    slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def on_term(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(f"listening on ws://{host}:{lsock.getsockname()[1]}/", flush=True)
    serial = 0

    def run(conn: Connection) -> None:
        try:
            conn.run()
        finally:
            slots.release()

    while not stop.is_set():
        try:
            sock, _ = lsock.accept()
        except (socket.timeout, InterruptedError):
            continue
        except OSError:
            if stop.is_set():
                break
            continue
        if not slots.acquire(blocking=False):
            sock.close()  # bounded: too many connections at once
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        serial += 1
        threading.Thread(target=run, args=(Connection(sock, serial),), daemon=True).start()
    lsock.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        ap.error("loopback only")
    serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
