"""Raw-socket probes of framing, control frames, fragmentation, UTF-8,
closing and resource bounds (RFC 6455 5, 7, 8.1, 10.4; PROTOCOL.md 3-7, 9).

Protocol violations must get a close frame with the right code (the strict
outcome) followed promptly by the server closing TCP; invalid frames have no
application-visible effect; every probe ends with a liveness check.
"""

from __future__ import annotations

import os
import socket
import struct
import time

import pytest

import wsraw
from wsraw import OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, frame

# The session server runs with a 10 s closing timeout; a server that fails a
# connection must drop TCP well before that without waiting for our reply.
DROP_BOUND = 3.0


def expect_failure(conn: wsraw.RawConn, code: int, *, echoes_before=(), timeout=5.0):
    """Read until the server's close: it must carry `code`, be preceded by
    exactly the given echoed messages (earlier valid messages, PROTOCOL 5),
    and be followed by the server closing TCP without waiting for our reply."""
    try:
        close, before = conn.read_until_close(timeout)
    except wsraw.ProbeTimeout:
        pytest.fail(f"no close frame (expected {code}) and no TCP close within {timeout}s: "
                    "the server ignored the violation or waits for more bytes")
    data = [(f.opcode, f.payload) for f in before if f.opcode in (OP_TEXT, OP_BINARY, OP_CONT)]
    assert close is not None, (
        f"server dropped TCP without a close frame (expected close {code}); frames before: "
        f"{before!r}")
    assert close.close_code == code, (
        f"expected close {code}, got {close.close_code} reason={close.close_reason!r}")
    close.close_reason.decode("utf-8")  # the reason must itself be valid UTF-8
    assert data == list(echoes_before), f"unexpected data before the close: {before!r}"
    try:
        conn.wait_eof(DROP_BOUND)
    except wsraw.ProbeTimeout:
        pytest.fail(f"server sent close {code} but kept TCP open for {DROP_BOUND}s "
                    "(it must close the connection after failing it, RFC 6455 7.1.7)")


def run_violation(server, bad: bytes, code: int):
    """A valid message, then the bad bytes, in one write."""
    conn = wsraw.open_ws(server.host, server.port)
    with conn:
        conn.send(wsraw.text(b"before") + bad)
        expect_failure(conn, code, echoes_before=[(OP_TEXT, b"before")])
    wsraw.assert_alive(server.host, server.port)


# --------------------------------------------------------------------------
# Handshake-adjacent robustness

def test_frames_pipelined_with_the_request_are_handled(server):
    """PROTOCOL 1: frames in the same TCP segment as the request are handled
    after the 101 (RFC 6455 4.2.2: the server may receive data right away)."""
    key = wsraw.make_key()
    hp = f"{server.host}:{server.port}"
    with wsraw.RawConn(server.host, server.port) as c:
        c.send(wsraw.request_bytes(hp, key=key) + wsraw.text(b"first") +
               wsraw.binary(b"\x00second") + frame(OP_PING, b"p"))
        resp = c.read_response()
        assert resp is not None and resp.status == 101, resp and resp.raw
        assert resp.get("Sec-WebSocket-Accept") == wsraw.accept_for(key)
        pongs = []  # the pong may come before or after the echoes
        assert c.read_message(pongs=pongs) == (OP_TEXT, b"first")
        assert c.read_message(pongs=pongs) == (OP_BINARY, b"\x00second")
        if not pongs:
            f = c.read_frame()
            pongs.append(f.payload if f.opcode == OP_PONG else f)
        assert pongs == [b"p"]


def test_request_dripped_one_byte_per_write_is_accepted(server):
    """PROTOCOL 1/7a: any segmentation of the request is valid, down to one
    byte per TCP write; then a frame dripped the same way is echoed."""
    key = wsraw.make_key()
    hp = f"{server.host}:{server.port}"
    start = time.monotonic()
    with wsraw.RawConn(server.host, server.port) as c:
        req = wsraw.request_bytes(hp, key=key, headers=wsraw.default_headers(hp, key) + [
            ("User-Agent", "drip-drip-drip"), ("Origin", "http://127.0.0.1")])
        assert c.drip(req, delay=0.001)
        resp = c.read_response()
        assert resp is not None and resp.status == 101, resp and resp.raw
        assert resp.get("Sec-WebSocket-Accept") == wsraw.accept_for(key)
        assert c.drip(wsraw.text("dripped é€😀".encode()), delay=0.001)
        assert c.read_message() == (OP_TEXT, "dripped é€😀".encode())
    assert time.monotonic() - start < 20


def test_handshake_deadline_closes_a_silent_client(start_server):
    """The handshake deadline (--handshake-timeout) ends a connection that
    never sends a request, and one that stalls mid-request; the server may
    answer 408 first but must close."""
    s = start_server(handshake_timeout=300)
    for partial in (b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"):
        with wsraw.RawConn(s.host, s.port) as c:
            if partial:
                c.send(partial)
            t0 = time.monotonic()
            try:
                leftover = c.wait_eof(5.0)
            except wsraw.ProbeTimeout:
                pytest.fail(f"silent client (sent {partial!r}) still connected after 5 s "
                            "with --handshake-timeout 300")
            elapsed = time.monotonic() - t0
            assert elapsed >= 0.2, f"closed after {elapsed:.3f}s, before the 300 ms deadline"
            assert not leftover or leftover.startswith(b"HTTP/1.1 408"), leftover[:200]
    wsraw.assert_alive(s.host, s.port)


def test_handshake_deadline_cuts_a_slow_drip(start_server):
    """The deadline bounds the whole handshake, not the gap between bytes:
    a request dripped one byte every 20 ms (always making progress) is cut
    off soon after 300 ms (a 408 or a bare close, never a 101)."""
    s = start_server(handshake_timeout=300)
    hp = f"{s.host}:{s.port}"
    req = wsraw.request_bytes(hp)
    with wsraw.RawConn(s.host, s.port) as c:
        t0 = time.monotonic()
        cut_at = None
        for i in range(len(req)):  # the whole request would take ~3.6 s
            if not c.send(req[i:i + 1]):
                cut_at = time.monotonic() - t0
                break
            time.sleep(0.02)
            try:  # has the server answered or closed?
                c.sock.settimeout(0.0001)
                c.sock.recv(1, socket.MSG_PEEK)
                cut_at = time.monotonic() - t0
                break
            except (socket.timeout, BlockingIOError):
                pass
            except ConnectionResetError:
                cut_at = time.monotonic() - t0
                break
            if time.monotonic() - t0 > 2.5:
                break
        assert cut_at is not None, (
            "server still waiting 2.5 s into a request dripped byte by byte with "
            "--handshake-timeout 300 (is the deadline reset by every byte?)")
        assert cut_at >= 0.2, f"cut off after {cut_at:.3f}s, before the deadline"
        got, _ = c.read_body_and_eof(3.0)
        assert not got.startswith(b"HTTP/1.1 101"), got[:200]
    wsraw.assert_alive(s.host, s.port)


def test_open_connection_is_not_cut_by_the_handshake_deadline(start_server):
    """Once upgraded, idle connections are allowed: the handshake deadline no
    longer applies (conn.h WS_CONN_OPEN)."""
    s = start_server(handshake_timeout=200)
    with wsraw.open_ws(s.host, s.port) as c:
        time.sleep(0.8)
        c.echo(b"still here after idling 4x the handshake deadline")


# --------------------------------------------------------------------------
# Framing (RFC 6455 5.2, 5.3)

@pytest.mark.parametrize("n", [0, 1, 125, 126, 127, 128, 65535, 65536, 100_000])
@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["text", "binary"])
def test_edge_lengths_are_echoed_with_minimal_encoding(raw, n, opcode):
    """RFC 6455 5.2: payload length edges 0/125/126/127/128/65535/65536 and a
    64-bit length are echoed; the server's own frames use the minimal length
    encoding ("the minimal number of bytes MUST be used"), are unmasked and
    have RSV 0."""
    c = raw()
    payload = (b"abcdefghij" * (n // 10 + 1))[:n] if opcode == OP_TEXT else os.urandom(n)
    c.send(frame(opcode, payload))
    parts, op0 = [], None
    while True:
        f = c.read_frame()
        wsraw.check_server_frame(f)
        expected_form = "7" if len(f.payload) <= 125 else "16" if len(f.payload) <= 65535 else "64"
        assert f.length_form == expected_form, f"non-minimal length encoding in {f!r}"
        op0 = f.opcode if op0 is None else op0
        parts.append(f.payload)
        if f.fin:
            break
    assert op0 == opcode
    assert b"".join(parts) == payload


def test_frame_split_at_every_byte_is_echoed(raw):
    """PROTOCOL 3: checks hold whatever the TCP segmentation, including one
    byte per write, through the 16-bit length form."""
    c = raw()
    payload = bytes(range(256)) * 2
    assert c.drip(frame(OP_BINARY, payload), delay=0.0002)
    assert c.read_message() == (OP_BINARY, payload)


def test_many_frames_coalesced_in_one_write_are_all_echoed_in_order(raw):
    """PROTOCOL 3: many frames in one write are each handled, in order."""
    c = raw()
    msgs = [f"message {i}".encode() for i in range(300)]
    c.send(b"".join(wsraw.text(m) for m in msgs))
    for m in msgs:
        assert c.read_message() == (OP_TEXT, m)


def test_non_minimal_length_is_echoed_or_refused_cleanly(server):
    """PROTOCOL 3: what a receiver does with a non-minimal length encoding is
    not specified (informational); it must be an echo or a 1002 close, and the
    server stays up."""
    for form in ("16", "64"):
        with wsraw.open_ws(server.host, server.port) as c:
            c.send(frame(OP_TEXT, b"short", length_form=form))
            f = c.read_frame()
            if f.opcode == OP_CLOSE:
                assert f.close_code == 1002, f
            else:
                assert (f.opcode, f.payload, f.fin) == (OP_TEXT, b"short", True), f
    wsraw.assert_alive(server.host, server.port)


VIOLATIONS = [
    ("unmasked-text", frame(OP_TEXT, b"secret unmasked", mask=False), 1002),
    ("unmasked-ping", frame(OP_PING, b"x", mask=False), 1002),
    ("unmasked-close", frame(OP_CLOSE, b"\x03\xe8", mask=False), 1002),
] + [
    (f"reserved-opcode-{op}", frame(op, b"reserved"), 1002) for op in (3, 4, 5, 6, 7)
] + [
    (f"reserved-control-opcode-{op}", frame(op, b"reserved"), 1002) for op in (11, 12, 13, 14, 15)
] + [
    (f"rsv{name}-text", frame(OP_TEXT, b"rsv", rsv=bits), 1002)
    for name, bits in (("1", 4), ("2", 2), ("3", 1), ("123", 7))
] + [
    ("rsv1-ping", frame(OP_PING, b"rsv", rsv=4), 1002),
    ("rsv1-continuation", frame(OP_TEXT, b"a", fin=False) + frame(OP_CONT, b"b", rsv=4), 1002),
    # Control frames (5.5)
    ("ping-126-bytes", frame(OP_PING, b"p" * 126), 1002),
    ("pong-126-bytes", frame(OP_PONG, b"p" * 126), 1002),
    ("ping-200-bytes", frame(OP_PING, b"p" * 200), 1002),
    ("fragmented-ping", frame(OP_PING, b"frag", fin=False), 1002),
    ("fragmented-close", frame(OP_CLOSE, b"\x03\xe8", fin=False), 1002),
    # Fragmentation (5.4)
    ("continuation-without-start", frame(OP_CONT, b"orphan"), 1002),
    ("continuation-without-start-unfinished", frame(OP_CONT, b"orphan", fin=False), 1002),
    ("text-during-fragmented-text",
     frame(OP_TEXT, b"start", fin=False) + frame(OP_TEXT, b"new"), 1002),
    ("binary-during-fragmented-text",
     frame(OP_TEXT, b"start", fin=False) + frame(OP_BINARY, b"new"), 1002),
    ("text-during-fragmented-binary",
     frame(OP_BINARY, b"start", fin=False) + frame(OP_CONT, b"mid", fin=False) +
     frame(OP_TEXT, b"new", fin=False), 1002),
    # Length (5.2): the 64-bit length's most significant bit MUST be 0.
    ("length-top-bit-2^63", frame(OP_BINARY, b"", length=1 << 63, length_form="64"), 1002),
    ("length-2^64-1", frame(OP_BINARY, b"", length=(1 << 64) - 1, length_form="64"), 1002),
    # Closing (5.5.1, 7.4)
    ("close-1-byte-payload", frame(OP_CLOSE, b"\x03"), 1002),
    ("close-126-byte-payload", wsraw.close(1000, b"r" * 124), 1002),
] + [
    (f"close-invalid-code-{code}", wsraw.close(code, b"bad"), 1002)
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)
] + [
    ("close-reason-invalid-utf8", wsraw.close(1000, b"bad \xff reason"), 1007),
    ("close-reason-surrogate", wsraw.close(1000, b"\xed\xa0\x80"), 1007),
    ("close-reason-truncated", wsraw.close(1000, b"ok \xe2\x82"), 1007),
]


@pytest.mark.parametrize("name,bad,code", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_protocol_violation_fails_the_connection(server, name, bad, code):
    """RFC 6455 5.1-5.5, 7.4, 8.1: the violation gets a close frame with the
    code (1002 protocol error, 1007 invalid data), the earlier valid message is
    still echoed, nothing of the bad frame is echoed, and the server closes TCP
    without waiting for our close reply."""
    run_violation(server, bad, code)


# --------------------------------------------------------------------------
# UTF-8 (RFC 6455 5.6, 8.1)

INVALID_UTF8 = [
    ("ff", b"\xff"),
    ("fe", b"\xfe"),
    ("stray-continuation", b"\x80"),
    ("overlong-slash-2", b"\xc0\xaf"),
    ("overlong-slash-3", b"\xe0\x80\xaf"),
    ("overlong-slash-4", b"\xf0\x80\x80\xaf"),
    ("overlong-nul", b"\xc0\x80"),
    ("surrogate-d800", b"\xed\xa0\x80"),
    ("surrogate-dfff", b"\xed\xbf\xbf"),
    ("surrogate-pair", b"\xed\xa0\x80\xed\xb0\x80"),
    ("above-10ffff", b"\xf4\x90\x80\x80"),
    ("f5-lead", b"\xf5\x80\x80\x80"),
    ("truncated-2-at-end", b"abc\xc3"),
    ("truncated-3-at-end", b"abc\xe2\x82"),
    ("truncated-4-at-end", b"abc\xf0\x9f\x98"),
    ("lead-then-ascii", b"\xc3A"),
    ("kuhn-3.5.1-cesu", b"\xed\xa1\x8c\xed\xbe\xb4"),
]

VALID_UTF8 = [
    ("ascii", b"Hello"),
    ("2-byte", "ÄÖÜß".encode()),
    ("3-byte", "κόσμε €".encode()),
    ("4-byte", "😀𝄞".encode()),
    ("max-10ffff", b"\xf4\x8f\xbf\xbf"),
    ("ufffe-uffff-noncharacters", b"\xef\xbf\xbe\xef\xbf\xbf"),
    ("nul", b"\x00"),
    ("bom", b"\xef\xbb\xbf"),
    ("last-before-surrogates", b"\xed\x9f\xbf"),
    ("first-after-surrogates", b"\xee\x80\x80"),
]


@pytest.mark.parametrize("name,bad", INVALID_UTF8, ids=[u[0] for u in INVALID_UTF8])
def test_invalid_utf8_text_fails_with_1007(server, name, bad):
    """RFC 6455 8.1: a text message that is not valid UTF-8 fails the
    connection with 1007, and is not echoed."""
    run_violation(server, frame(OP_TEXT, b"prefix " + bad), 1007)


@pytest.mark.parametrize("name,bad", INVALID_UTF8[:6], ids=[u[0] for u in INVALID_UTF8[:6]])
def test_invalid_utf8_across_fragments_fails_with_1007(server, name, bad):
    """RFC 6455 8.1/5.6: validity is over the whole message; invalid bytes
    in a continuation fail with 1007."""
    run_violation(server, frame(OP_TEXT, b"ok ", fin=False) + frame(OP_CONT, bad), 1007)


@pytest.mark.parametrize("name,good", VALID_UTF8, ids=[u[0] for u in VALID_UTF8])
def test_valid_utf8_is_echoed_whole_and_split_bytewise(raw, name, good):
    """RFC 6455 5.6: valid UTF-8 is echoed, also when every byte (so every
    code point) is split across fragments."""
    c = raw()
    c.send(frame(OP_TEXT, good))
    assert c.read_message() == (OP_TEXT, good)
    frames = [frame(OP_TEXT if i == 0 else OP_CONT, good[i:i + 1], fin=(i == len(good) - 1))
              for i in range(len(good))]
    c.send(b"".join(frames))
    assert c.read_message() == (OP_TEXT, good)


def test_invalid_utf8_fails_fast_inside_one_frame(raw):
    """PROTOCOL 6 fail-fast: a frame declares 1000 bytes, we send a valid
    prefix then an invalid byte and nothing more; the 1007 close must arrive
    without the rest of the frame."""
    c = raw()
    key = b"\x11\x22\x33\x44"
    declared = 1000
    head = bytes([0x81, 0x80 | 126]) + struct.pack("!H", declared) + key
    partial = b"valid prefix \xce\xba " + b"\xff"
    c.send(head + wsraw.mask_bytes(partial, key))
    expect_failure(c, 1007)


def test_invalid_utf8_fails_fast_across_fragments(raw):
    """PROTOCOL 6 fail-fast: the invalid sequence in an unfinished
    continuation fails with 1007 before the message's final frame."""
    c = raw()
    c.send(frame(OP_TEXT, b"first part ", fin=False))
    time.sleep(0.05)
    c.send(frame(OP_CONT, b"ok so far", fin=False))
    time.sleep(0.05)
    c.send(frame(OP_CONT, b"\xed\xa0\x80 surrogate", fin=False))
    expect_failure(c, 1007)


def test_fail_fast_on_overlong_prefix_in_a_partial_frame(raw):
    """PROTOCOL 6: an overlong form is detectable at its second byte; the
    server fails with 1007 while the frame is still incomplete."""
    c = raw()
    key = os.urandom(4)
    head = bytes([0x81, 0x80 | 126]) + struct.pack("!H", 500) + key
    c.send(head + wsraw.mask_bytes(b"abc\xe0\x80", key))
    expect_failure(c, 1007)


# --------------------------------------------------------------------------
# Size limits and hostile lengths (RFC 6455 10.4)

@pytest.mark.parametrize("declared", [(1 << 63) - 1, 1 << 32, (1 << 31) + 5])
def test_huge_declared_length_then_trickle(server, declared):
    """RFC 6455 10.4: a frame claiming an enormous length, followed by a
    trickle of bytes, must not make the server allocate it or die: it fails
    the connection (close 1009) or drops it, and keeps serving."""
    rss0 = server.rss_kib()
    with wsraw.open_ws(server.host, server.port) as c:
        key = os.urandom(4)
        c.send(bytes([0x82, 0x80 | 127]) + struct.pack("!Q", declared) + key)
        for _ in range(10):
            if not c.send(os.urandom(512)):
                break
            time.sleep(0.02)
        close, before = c.read_until_close(5.0)
        assert not [f for f in before if f.opcode in (OP_TEXT, OP_BINARY, OP_CONT)], before
        if close is not None:
            assert close.close_code == 1009, f"expected 1009 or a drop, got {close!r}"
        try:
            c.wait_eof(DROP_BOUND)
        except wsraw.ProbeTimeout:
            pytest.fail("server kept the connection open after refusing the huge frame")
    wsraw.assert_alive(server.host, server.port)
    assert server.rss_kib() - rss0 < 64 * 1024, "RSS grew by over 64 MiB for a refused frame"


def test_frame_over_max_message_fails_fast_from_its_header(start_server):
    """--max-message also caps a frame: a header declaring more fails with
    1009 at once, without the server waiting for (or buffering) the payload."""
    s = start_server(max_message=1024)
    with wsraw.open_ws(s.host, s.port) as c:
        key = os.urandom(4)
        c.send(bytes([0x82, 0x80 | 126]) + struct.pack("!H", 1025) + key + b"abc")
        expect_failure(c, 1009)
    with wsraw.open_ws(s.host, s.port) as c:
        c.echo(os.urandom(1024), OP_BINARY)  # exactly the limit is fine


def test_fragmented_message_over_max_message_fails_with_1009(start_server):
    """--max-message bounds the reassembled message, not only each frame."""
    s = start_server(max_message=1024)
    with wsraw.open_ws(s.host, s.port) as c:
        c.send(frame(OP_BINARY, b"a" * 600, fin=False) + frame(OP_CONT, b"b" * 600, fin=False))
        expect_failure(c, 1009)


def test_endless_one_byte_continuations_hit_the_message_limit(start_server):
    """PROTOCOL 9 (memory pinned by fragments): an endless message of 1-byte
    continuation frames is cut off with 1009 at --max-message."""
    s = start_server(max_message=4096)
    with wsraw.open_ws(s.host, s.port) as c:
        key = b"\x01\x02\x03\x04"
        one = bytes([0x00, 0x81]) + key + bytes([ord("x") ^ 1])
        c.send(frame(OP_TEXT, b"x", fin=False, mask_key=key))
        sent = 1
        while sent < 20000:
            if not c.send(one * 500):
                break
            sent += 500
            if sent > 4096 + 1000:
                break
        expect_failure(c, 1009)


def test_hundred_thousand_one_byte_continuations_are_reassembled(raw, server):
    """RFC 6455 5.4: any number of fragments: 100,000 one-byte continuation
    frames make one message, echoed intact; memory stays bounded."""
    c = raw(timeout=30)
    rss0 = server.rss_kib()
    key = b"\x5a\xa5\x0f\xf0"
    n = 100_000
    body = bytes((i % 26) + 97 for i in range(n + 1))
    k0 = key[0]
    parts = [frame(OP_TEXT, body[:1], fin=False, mask_key=key)]
    for i in range(1, n):
        parts.append(b"\x00\x81" + key + bytes([body[i] ^ k0]))
    parts.append(frame(OP_CONT, body[n:], fin=True, mask_key=key))
    data = b"".join(parts)
    for i in range(0, len(data), 1 << 16):
        assert c.send(data[i:i + (1 << 16)], timeout=30)
    assert c.read_message(timeout=30) == (OP_TEXT, body)
    assert server.rss_kib() - rss0 < 64 * 1024


# --------------------------------------------------------------------------
# Control frames (RFC 6455 5.5.2, 5.5.3)

def test_pings_are_answered_between_fragments(raw):
    """RFC 6455 5.4/5.5.2: control frames may be injected between fragments;
    each ping gets its pong (same payload) before the message is finished."""
    c = raw()
    c.send(frame(OP_TEXT, b"Hel", fin=False) + frame(OP_PING, b"ping-1"))
    f = c.read_frame()
    assert (f.opcode, f.payload) == (OP_PONG, b"ping-1"), f
    c.send(frame(OP_CONT, b"lo, ", fin=False) + frame(OP_PING, b"") + frame(OP_CONT, b"world"))
    f = c.read_frame()
    assert (f.opcode, f.payload) == (OP_PONG, b""), f
    assert c.read_message() == (OP_TEXT, b"Hello, world")


def test_ping_payload_125_bytes_is_echoed_in_pong(raw):
    """RFC 6455 5.5.2/5.5.3: the pong carries the ping's application data,
    up to the 125-byte maximum."""
    c = raw()
    payload = os.urandom(125)
    c.send(frame(OP_PING, payload))
    f = c.read_frame()
    assert (f.opcode, f.payload, f.fin) == (OP_PONG, payload, True)


def test_ten_pings_in_a_row(raw):
    """PROTOCOL 4: ten pings in a row; pongs answer them in order (coalescing
    to the latest is allowed, 5.5.3), and the connection keeps echoing."""
    c = raw()
    payloads = [f"ping {i}".encode() for i in range(10)]
    c.send(b"".join(frame(OP_PING, p) for p in payloads) + wsraw.text(b"after pings"))
    pongs = []
    assert c.read_message(pongs=pongs) == (OP_TEXT, b"after pings")
    assert pongs, "no pong at all for ten pings"
    assert pongs[-1] == payloads[-1], pongs
    it = iter(payloads)
    assert all(p in it for p in pongs), f"pongs out of order or unknown: {pongs}"


def test_unsolicited_pong_is_ignored(raw):
    """RFC 6455 5.5.3: an unsolicited pong is ignored: no reply, no close,
    and the next message is echoed."""
    c = raw()
    c.send(frame(OP_PONG, b"unsolicited") + frame(OP_PONG, b"") + wsraw.text(b"next"))
    f = c.read_frame()
    assert (f.opcode, f.payload) == (OP_TEXT, b"next"), f


def test_ping_flood_without_reading_pongs(server):
    """PROTOCOL 9: 10,000 pings while the client does not read its pongs: the
    server stays alive, serves another client meanwhile, its RSS stays bounded
    (+64 MiB), and the flooding connection still works once drained."""
    rss0 = server.rss_kib()
    with wsraw.open_ws(server.host, server.port, timeout=30) as c:
        payload = b"F" * 125
        key = b"\xde\xad\xbe\xef"
        one = frame(OP_PING, payload, mask_key=key)
        assert c.send(one * 10_000, timeout=30)
        wsraw.assert_alive(server.host, server.port)
        grown = server.rss_kib() - rss0
        assert grown < 64 * 1024, f"RSS grew by {grown} KiB during a ping flood"
        c.send(wsraw.text(b"after the flood"))
        pongs = []
        assert c.read_message(timeout=30, pongs=pongs) == (OP_TEXT, b"after the flood")
        assert 1 <= len(pongs) <= 10_000 and all(p == payload for p in pongs)


def test_ping_flood_backpressure_stops_reading(start_server):
    """conn.h backpressure: with a client that never reads, the server stops
    reading once its output backlog (2 * max-message + 64 KiB) is full, rather
    than buffering pongs without bound; other clients are served meanwhile."""
    s = start_server(max_message=1024)
    rss0 = s.rss_kib()
    c = wsraw.RawConn(s.host, s.port, rcvbuf=4096, sndbuf=16384)
    with c:
        c.handshake()
        chunk = frame(OP_PING, b"B" * 125, mask_key=b"\x01\x02\x03\x04") * 1000
        total_limit = 80 * 1024 * 1024  # without backpressure: ~80 MiB of pongs
        sent, last_progress, stalled = 0, time.monotonic(), False
        deadline = time.monotonic() + 40
        view = memoryview(chunk)
        off = 0
        while sent < total_limit and time.monotonic() < deadline:
            n = c.send_nowait(view[off:])
            if n < 0:
                pytest.fail("server reset the flooding connection")
            if n:
                sent += n
                off = (off + n) % len(chunk)
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > 1.0:
                stalled = True
                break
            else:
                time.sleep(0.002)
        grown = s.rss_kib() - rss0
        print(f"flood: sent {sent} bytes, stalled={stalled}, RSS +{grown} KiB")
        wsraw.assert_alive(s.host, s.port)
        assert stalled, (f"server read {sent} bytes of pings from a client that reads "
                         "nothing: no backpressure")
        assert grown < 32 * 1024, f"RSS grew by {grown} KiB (sent {sent} bytes)"


# --------------------------------------------------------------------------
# Closing (RFC 6455 5.5.1, 7)

VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                     3000, 3999, 4000, 4999]


@pytest.mark.parametrize("code", VALID_CLOSE_CODES)
def test_valid_close_code_is_echoed_and_server_closes_tcp_first(server, code):
    """RFC 6455 5.5.1/7.4: a valid close code is answered by a close echoing
    it (the reference server echoes the code); then the server closes TCP
    first, without us shutting down our side (7.1.1)."""
    with wsraw.open_ws(server.host, server.port) as c:
        c.send(wsraw.close(code, "goodbye ✓".encode()))
        close, before = c.read_until_close()
        assert close is not None, "server dropped TCP without answering the close"
        assert not before, before
        assert close.close_code == code, f"sent {code}, got {close!r}"
        close.close_reason.decode("utf-8")
        try:
            c.wait_eof(DROP_BOUND)
        except wsraw.ProbeTimeout:
            pytest.fail("server did not close TCP after the closing handshake")


def test_empty_close_is_answered_with_1000_or_empty(raw):
    """RFC 6455 5.5.1: a close without payload is valid; the answer is an
    empty close or 1000 (the reference server sends 1000), then TCP close."""
    c = raw()
    c.send(wsraw.close(None))
    close, before = c.read_until_close()
    assert close is not None and not before
    assert close.payload == b"" or close.close_code == 1000, close
    c.wait_eof(DROP_BOUND)


def test_close_with_max_length_reason_is_echoed(raw):
    """RFC 6455 5.5: a close with a 123-byte valid reason (125-byte payload)
    is valid and answered."""
    c = raw()
    c.send(wsraw.close(1000, "é".encode() * 61 + b"x"))
    close, _ = c.read_until_close()
    assert close is not None and close.close_code == 1000
    c.wait_eof(DROP_BOUND)


def test_data_after_close_is_not_echoed(raw):
    """RFC 6455 5.5.1: after a close frame no more data is processed: a text
    frame behind the close is not echoed."""
    c = raw()
    c.send(wsraw.close(1000) + wsraw.text(b"after close") + frame(OP_PING, b"after"))
    close, before = c.read_until_close()
    assert close is not None and close.close_code == 1000
    assert not before, f"server answered frames after the close: {before!r}"
    rest = c.wait_eof(DROP_BOUND)
    assert rest == b"", f"bytes after the server's close: {rest!r}"


def test_close_in_the_middle_of_a_fragmented_message(raw):
    """RFC 6455 5.4/5.5.1: a close may come between fragments; the partial
    message is dropped and the close answered."""
    c = raw()
    c.send(frame(OP_TEXT, b"partial", fin=False) + wsraw.close(1001))
    close, before = c.read_until_close()
    assert close is not None and close.close_code == 1001 and not before, (close, before)
    c.wait_eof(DROP_BOUND)


def test_abrupt_disconnects_mid_frame_do_not_hurt_the_server(server):
    """RFC 6455 7.1.7 / PROTOCOL 9: peers vanishing mid-handshake, mid-header,
    mid-payload or with a reset leave the server serving."""
    hp = f"{server.host}:{server.port}"
    req = wsraw.request_bytes(hp)
    for cut in (5, len(req) - 3):
        c = wsraw.RawConn(server.host, server.port)
        c.send(req[:cut])
        c.close()
    for tail in (b"\x81", bytes([0x82, 0xFE, 0x10]), frame(OP_BINARY, b"x" * 1000)[:500]):
        c = wsraw.open_ws(server.host, server.port)
        c.send(tail)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()  # RST
    time.sleep(0.1)
    wsraw.assert_alive(server.host, server.port)


def test_sigterm_with_connections_in_every_phase_exits_cleanly(start_server):
    """echo_server.h: stop closes every connection and frees everything: with
    clients mid-handshake, open, mid-message, closing and flooding, SIGTERM
    gives exit status 0, no sanitizer or leak report, and every client sees
    its connection end."""
    s = start_server(close_timeout=60000, handshake_timeout=60000)
    hp = f"{s.host}:{s.port}"
    conns = []
    c = wsraw.RawConn(s.host, s.port)
    c.send(wsraw.request_bytes(hp)[:30])  # mid-handshake
    conns.append(c)
    conns.append(wsraw.open_ws(s.host, s.port))  # open, idle
    c = wsraw.open_ws(s.host, s.port)
    c.send(frame(OP_TEXT, b"partial message", fin=False))  # mid-message
    c.send(bytes([0x82, 0xFE, 0x10, 0x00]) + b"\x01\x02\x03\x04" + b"x" * 100)  # mid-frame
    conns.append(c)
    c = wsraw.open_ws(s.host, s.port)
    c.send(frame(OP_PING, b"x", mask=False))  # server closing, waiting for us
    assert c.read_until_close()[0] is not None
    conns.append(c)
    c = wsraw.open_ws(s.host, s.port)
    c.send(frame(OP_PING, b"F" * 125) * 2000)  # pongs never read
    conns.append(c)
    time.sleep(0.2)
    problems = s.stop()
    assert not problems, problems
    for c in conns:
        try:
            c.read_body_and_eof(5.0)
        except wsraw.PeerClosed:
            pass
        assert c.eof, "a client's connection stayed open after the server exited"
        c.close()


def test_max_connections_refuses_extra_clients_and_recovers(start_server):
    """echo_server.h: over --max-connections new connections are accepted
    and closed at once; when one goes away, new clients are served again."""
    s = start_server(max_connections=2)
    a = wsraw.open_ws(s.host, s.port)
    b = wsraw.open_ws(s.host, s.port)
    with wsraw.RawConn(s.host, s.port) as extra:
        extra.send(wsraw.request_bytes(f"{s.host}:{s.port}"))
        got, eof = extra.read_body_and_eof(5.0)
        assert eof, "connection over the limit was kept open"
        assert not got.startswith(b"HTTP/1.1 101"), got[:100]
    a.echo(b"a still works")
    a.close()
    deadline = time.monotonic() + 5
    while True:
        try:
            wsraw.assert_alive(s.host, s.port)
            break
        except (AssertionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    b.echo(b"b still works")
    b.close()
