#!/usr/bin/python3
"""Hostile WebSocket (RFC 6455) peers that try to make a client use memory,
disk and time without bound, for testing that `wsprobe test` keeps to its
run-wide budget whatever the peer does (tests/integration/
test_hostile_bounds.py).

    flood_server.py --mode MODE --port 0  -> "listening on ws://127.0.0.1:PORT/"
                                             serves until SIGTERM (exit 0) and then prints
                                             "served N connections, sent B bytes, refused R"

Every connection gets a valid 101 response whatever it asks for: the server
refuses nothing (a bad method, a missing Upgrade or version, even a request
that never ends: after HANDSHAKE_WAIT seconds it answers what it has).
Sec-WebSocket-Accept is computed from the first Sec-WebSocket-Key of the
request, as RFC 6455 4.2.2 says, so a client that checks it accepts the
upgrade. Then, per --mode:

  garbage            random bytes (os.urandom), as fast as the socket takes
                     them.
  ping-flood         125-byte ping frames (server frames: unmasked), back to
                     back, as fast as the socket takes them.
  pong-flood         the same with unsolicited 125-byte pong frames.
  endless-fragments  one text frame with FIN=0 and a 1-byte payload, then
                     1-byte continuation frames with FIN=0, forever: a
                     message that never ends, 3 bytes of frame per byte.
  huge-trickle       a binary frame header declaring a 2^63-1 byte payload
                     (64-bit length, top bit clear), then one payload byte
                     every TRICKLE_INTERVAL seconds.
  drip               a correct echo server (masking, RSV, opcodes, control
                     frame rules, fragmentation, UTF-8 of text messages,
                     close codes, pongs, the closing handshake with the
                     server closing TCP first; 1002/1007/1009 on failures),
                     except that everything it writes, the 101 response
                     included, goes out one byte per write (TCP_NODELAY)
                     with a DRIP_INTERVAL sleep after each byte.

In the flood modes (all but drip) the server never answers anything, but it
keeps reading and discarding what the client sends: a client that answers
our pings, sends its close frame or writes a long message must not block on
a full socket buffer, because a client stuck in write() would test TCP flow
control, not how the client copes with what it reads. When the client stops
writing (EOF) the flood goes on; it stops when a write fails (the client
closed its socket), or after CONNECTION_LIFETIME seconds.

Every connection is served by a process of its own (forked on accept), so
however many connections flood at once, none waits on another for Python's
GIL: a new connection's handshake is answered as promptly as the machine
allows, and a drip connection drips at its own pace.

Bounds: loopback only; at most MAX_CONNECTIONS connections at once (one
process each; more are closed at once, and counted as refused: twice the
largest `wsprobe test -j`, so a run whose connections are still winding
down is never refused); every connection ends after
CONNECTION_LIFETIME seconds whatever happens; every read has a deadline and
every buffer a bound; SIGTERM (or SIGINT) stops every connection within a
fraction of a second and exits 0.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import math
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10

MODES = ("garbage", "ping-flood", "pong-flood", "endless-fragments", "huge-trickle", "drip")
MAX_CONNECTIONS = 128
CONNECTION_LIFETIME = 30.0  # seconds: every connection ends by then
HANDSHAKE_WAIT = 2.0        # answer an incomplete request after this long
MAX_HEADER_BYTES = 65536    # and answer a request head this long as it is
READ_TIMEOUT = 10.0         # drip: a silent client is dropped after this
DRAIN_TIMEOUT = 1.0         # drip: after our close, wait this long for EOF
MAX_MESSAGE = 16 << 20      # drip: larger messages fail with 1009
POLL_MS = 100               # flood loops look at the clock and SIGTERM this often
CHUNK = 65536               # flood modes write this much per send()
TRICKLE_INTERVAL = 0.005    # huge-trickle: one payload byte per 5 ms
DRIP_INTERVAL = 0.001       # drip: sleep after each byte written

PAYLOAD_125 = (b"flood-" * 21)[:125]
PING_BLOCK = (b"\x89\x7d" + PAYLOAD_125) * (CHUNK // 127)
PONG_BLOCK = (b"\x8a\x7d" + PAYLOAD_125) * (CHUNK // 127)
FIRST_FRAGMENT = b"\x01\x01a"  # text, FIN=0, 1 byte
CONT_BLOCK = b"\x00\x01a" * (CHUNK // 3)  # continuation, FIN=0, 1 byte each
HUGE_HEADER = b"\x82\x7f" + struct.pack("!Q", (1 << 63) - 1)  # binary, FIN=1

stop = threading.Event()


class Stats:
    """Printed on exit, so a test can show how hard the peer pushed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.sent = 0
        self.refused = 0

    def add(self, connections: int = 0, sent: int = 0, refused: int = 0) -> None:
        with self.lock:
            self.connections += connections
            self.sent += sent
            self.refused += refused


stats = Stats()


class Gone(Exception):
    """The connection is over: the client went away, time is up, or SIGTERM."""


class Fail(Exception):
    """drip: fail the connection with this close code."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class Connection:
    def __init__(self, sock: socket.socket, mode: str):
        self.sock = sock
        self.mode = mode
        self.end = time.monotonic() + CONNECTION_LIFETIME
        self.buf = b""  # bytes read and not used yet (drip)

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0 or stop.is_set():
            raise Gone
        return left

    # ---- the opening handshake: answer anything with a valid 101 ----

    def read_request(self) -> bytes:
        """The request head, complete or not, or raises Gone on EOF before
        any byte. Bytes after the head stay in self.buf."""
        answer_at = time.monotonic() + HANDSHAKE_WAIT
        while b"\r\n\r\n" not in self.buf and len(self.buf) < MAX_HEADER_BYTES:
            left = min(answer_at - time.monotonic(), self.remaining())
            if left <= 0:
                break
            self.sock.settimeout(min(left, POLL_MS / 1000))
            try:
                data = self.sock.recv(CHUNK)
            except socket.timeout:
                continue
            if not data:
                if not self.buf:
                    raise Gone
                break
            self.buf += data
        head, sep, rest = self.buf.partition(b"\r\n\r\n")
        self.buf = rest if sep else b""
        return head

    def response(self, head: bytes) -> bytes:
        key = b""
        for line in head.split(b"\r\n")[1:]:
            name, sep, value = line.partition(b":")
            if sep and name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
                break
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")

    # ---- flood modes ----

    def flood(self, first: bytes, chunk, interval: float = 0.0) -> None:
        """Writes `first`, then chunk() after chunk(), each as soon as the
        socket takes it (interval 0) or one every `interval` seconds;
        meanwhile reads and discards. Ends when a write fails (OSError: the
        client closed its socket), on a hang-up after the client's EOF, or
        with Gone when time is up or on SIGTERM."""
        sock = self.sock
        sock.setblocking(False)
        poller = select.poll()
        reading = True
        poller.register(sock, select.POLLIN | select.POLLOUT)
        pending = memoryview(first)
        due = time.monotonic()
        while True:
            self.remaining()
            now = time.monotonic()
            if not pending and now >= due:
                pending = memoryview(chunk())
                due = now + interval
            want_out = bool(pending)
            wait_ms = POLL_MS if want_out else min(POLL_MS, max(0, math.ceil((due - now) * 1000)))
            poller.modify(sock, (select.POLLIN if reading else 0)
                          | (select.POLLOUT if want_out else 0))
            events = poller.poll(wait_ms)
            flags = events[0][1] if events else 0
            if flags & (select.POLLIN | select.POLLHUP | select.POLLERR) and reading:
                try:
                    if not sock.recv(CHUNK):
                        reading = False  # the client stopped writing: go on writing
                except BlockingIOError:
                    pass
            if flags & (select.POLLOUT | select.POLLERR) and want_out:
                try:
                    n = sock.send(pending)
                except BlockingIOError:
                    continue
                pending = pending[n:]
                stats.add(sent=n)
            elif not reading and flags & (select.POLLHUP | select.POLLERR):
                return

    def run_flood(self) -> None:
        if self.mode == "garbage":
            self.flood(b"", lambda: os.urandom(CHUNK))
        elif self.mode == "ping-flood":
            self.flood(b"", lambda: PING_BLOCK)
        elif self.mode == "pong-flood":
            self.flood(b"", lambda: PONG_BLOCK)
        elif self.mode == "endless-fragments":
            self.flood(FIRST_FRAGMENT, lambda: CONT_BLOCK)
        elif self.mode == "huge-trickle":
            self.flood(HUGE_HEADER, lambda: b"x", TRICKLE_INTERVAL)

    # ---- drip: a correct echo server writing one byte at a time ----

    def drip(self, data: bytes) -> None:
        """Writes data one byte per send(), sleeping DRIP_INTERVAL after each;
        a client that takes no byte for READ_TIMEOUT is dropped."""
        for i in range(len(data)):
            stuck_since = time.monotonic()
            while True:
                self.sock.settimeout(min(self.remaining(), POLL_MS / 1000))
                try:
                    self.sock.sendall(data[i:i + 1])
                    stats.add(sent=1)
                    break
                except socket.timeout:
                    if time.monotonic() - stuck_since > READ_TIMEOUT:
                        raise Gone from None
            time.sleep(DRIP_INTERVAL)

    def recv_more(self, waiting_since: float) -> None:
        """Reads more into self.buf; a client silent for READ_TIMEOUT since
        `waiting_since` is dropped."""
        while True:
            self.sock.settimeout(min(self.remaining(), POLL_MS / 1000))
            try:
                data = self.sock.recv(CHUNK)
                break
            except socket.timeout:
                if time.monotonic() - waiting_since > READ_TIMEOUT:
                    raise Gone from None
        if not data:
            raise Gone
        self.buf += data

    def take(self, n: int) -> bytes:
        since = time.monotonic()
        while len(self.buf) < n:
            self.recv_more(since)
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
        self.drip(head + payload)

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
        if not payload:
            self.send_frame(OP_CLOSE, b"")
            return
        if len(payload) == 1:
            raise Fail(1002)
        (code,) = struct.unpack("!H", payload[:2])
        if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
            raise Fail(1002)
        try:
            payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise Fail(1007) from None
        self.send_frame(OP_CLOSE, payload[:2])

    def serve_echo(self) -> None:
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
            self.send_frame(message_op, message)
            message_op, parts, size = None, [], 0

    def run_drip(self, head: bytes) -> None:
        self.drip(self.response(head))
        try:
            self.serve_echo()
        except Fail as f:
            self.send_frame(OP_CLOSE, struct.pack("!H", f.code))
        # The server closes TCP first, after a short wait for the client.
        self.sock.shutdown(socket.SHUT_WR)
        self.sock.settimeout(DRAIN_TIMEOUT)
        while self.sock.recv(CHUNK):
            self.remaining()

    def run(self) -> None:
        try:
            head = self.read_request()
            if self.mode == "drip":
                self.run_drip(head)
            else:
                self.sock.settimeout(min(READ_TIMEOUT, self.remaining()))
                response = self.response(head)
                self.sock.sendall(response)
                stats.add(sent=len(response))
                self.run_flood()
        except (Gone, OSError, EOFError, ValueError):
            pass
        finally:
            self.sock.close()


def serve_one(sock: socket.socket, mode: str, report: int) -> None:
    """In the child: serve the connection, report the bytes sent through the
    pipe (one short line, an atomic write) and exit without running the
    parent's cleanup."""
    code = 0
    try:
        stats.sent = 0
        Connection(sock, mode).run()
        os.write(report, f"{stats.sent}\n".encode())
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def serve(host: str, port: int, mode: str) -> None:
    lsock = socket.create_server((host, port), backlog=128)
    lsock.settimeout(POLL_MS / 1000)
    children: set[int] = set()
    report_r, report_w = os.pipe()  # children write "BYTES\n" when they end
    os.set_blocking(report_r, False)
    pending = b""

    def drain() -> None:
        nonlocal pending
        while True:
            try:
                data = os.read(report_r, 65536)
            except BlockingIOError:
                return
            if not data:
                return
            pending += data
            *lines, pending = pending.split(b"\n")
            stats.add(sent=sum(int(x) for x in lines))

    def reap(block: bool) -> None:
        for pid in list(children):
            try:
                done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                children.discard(pid)

    def on_term(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(f"listening on ws://{host}:{lsock.getsockname()[1]}/", flush=True)

    while not stop.is_set():
        reap(block=False)
        drain()
        try:
            sock, _ = lsock.accept()
        except (socket.timeout, InterruptedError):
            continue
        except OSError:
            continue
        if len(children) >= MAX_CONNECTIONS:
            reap(block=False)
        if len(children) >= MAX_CONNECTIONS:
            sock.close()  # bounded: too many connections at once
            stats.add(refused=1)
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        stats.add(connections=1)
        pid = os.fork()
        if pid == 0:
            lsock.close()
            os.close(report_r)
            serve_one(sock, mode, report_w)
        sock.close()
        children.add(pid)
    lsock.close()
    # Every loop looks at `stop` at least every POLL_MS (drip: every byte);
    # the children have our SIGTERM handler, so they stop as we do.
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 2.0
    while children and time.monotonic() < deadline:
        reap(block=False)
        drain()
        time.sleep(0.01)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    reap(block=True)
    os.close(report_w)
    os.set_blocking(report_r, True)
    drain()
    os.close(report_r)
    print(f"served {stats.connections} connections, sent {stats.sent} bytes, "
          f"refused {stats.refused}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", required=True, choices=MODES)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        ap.error("loopback only")
    serve(args.host, args.port, args.mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
