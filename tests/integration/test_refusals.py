"""Opening-handshake probes over raw sockets (RFC 6455 4.2.1, 4.2.2, 4.4;
PROTOCOL.md section 1).

Every malformed request must be refused with an HTTP error and never a 101;
the server then closes the connection and still serves the next client.
Every valid variant must get a 101 whose Sec-WebSocket-Accept matches the RFC
formula, with no subprotocol and no extension selected, and must then echo.
"""

from __future__ import annotations

import socket
import time

import pytest

import wsraw

GOOD_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # the RFC 6455 1.3 sample key
GOOD_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # and its documented accept value


def _req(hostport, *, method="GET", target="/", version="HTTP/1.1", drop=(), replace=None,
         add=(), key=GOOD_KEY, line_end="\r\n"):
    """A valid request edited: drop header names, replace values, add fields."""
    headers = []
    for name, value in wsraw.default_headers(hostport, key):
        if name.lower() in [d.lower() for d in drop]:
            continue
        if replace and name in replace:
            value = replace[name]
        headers.append((name, value))
    headers += list(add)
    return wsraw.request_bytes(hostport, method=method, target=target, http_version=version,
                               headers=headers, line_end=line_end)


def _big_block(hp):
    # A header block well over the 8 KiB limit, in many ordinary-sized fields.
    filler = [(f"X-Filler-{i}", "f" * 200) for i in range(60)]
    return _req(hp, add=filler)


def _many_headers(hp):
    return _req(hp, add=[(f"X-H{i}", "v") for i in range(3000)])


def _long_line(hp):
    return _req(hp, add=[("X-Long", "a" * 20000)])


def _long_target(hp):
    return _req(hp, target="/" + "p" * 20000)


# (id, request builder, allowed statuses, needs "Sec-WebSocket-Version: 13")
# None in the statuses means "the server may also just close the connection"
# (only for the size bombs, PROTOCOL.md section 1 last rows).
S4XX = tuple(range(400, 500))
REFUSALS = [
    ("method-POST", lambda hp: _req(hp, method="POST"), (405, 400), False),
    ("method-HEAD", lambda hp: _req(hp, method="HEAD"), (405, 400), False),
    ("method-lowercase-get", lambda hp: _req(hp, method="get"), (405, 400), False),
    ("method-PUT", lambda hp: _req(hp, method="PUT"), (405, 400), False),
    ("http-1.0", lambda hp: _req(hp, version="HTTP/1.0"), S4XX, False),
    ("http-0.9-garbage-version", lambda hp: _req(hp, version="HTTP/x.y"), S4XX, False),
    ("target-asterisk", lambda hp: _req(hp, target="*"), (400,), False),
    ("no-host", lambda hp: _req(hp, drop=["Host"]), (400,), False),
    ("two-hosts", lambda hp: _req(hp, add=[("Host", "other.example")]), (400,), False),
    ("no-upgrade", lambda hp: _req(hp, drop=["Upgrade"]), (400,), False),
    ("upgrade-h2c", lambda hp: _req(hp, replace={"Upgrade": "h2c"}), (400,), False),
    ("upgrade-websocketx", lambda hp: _req(hp, replace={"Upgrade": "websocketx"}), (400,), False),
    ("no-connection", lambda hp: _req(hp, drop=["Connection"]), (400,), False),
    ("connection-NotUpgrade", lambda hp: _req(hp, replace={"Connection": "NotUpgrade"}),
     (400,), False),
    ("connection-keep-alive-only", lambda hp: _req(hp, replace={"Connection": "keep-alive"}),
     (400,), False),
    ("no-key", lambda hp: _req(hp, drop=["Sec-WebSocket-Key"]), (400,), False),
    ("key-15-bytes", lambda hp: _req(hp, key=wsraw.make_key(b"k" * 15)), (400,), False),
    ("key-17-bytes", lambda hp: _req(hp, key=wsraw.make_key(b"k" * 17)), (400,), False),
    ("key-illegal-base64", lambda hp: _req(hp, key="!!!!!!!!!!!!!!!!!!!!!A=="), (400,), False),
    ("key-empty", lambda hp: _req(hp, key=""), (400,), False),
    ("two-keys", lambda hp: _req(hp, add=[("Sec-WebSocket-Key", wsraw.make_key())]),
     (400,), False),
    ("version-absent", lambda hp: _req(hp, drop=["Sec-WebSocket-Version"]), (426, 400), True),
    ("version-99", lambda hp: _req(hp, replace={"Sec-WebSocket-Version": "99"}), (426, 400), True),
    ("version-013", lambda hp: _req(hp, replace={"Sec-WebSocket-Version": "013"}),
     (426, 400), True),
    ("version-8", lambda hp: _req(hp, replace={"Sec-WebSocket-Version": "8"}), (426, 400), True),
    ("version-7", lambda hp: _req(hp, replace={"Sec-WebSocket-Version": "7"}), (426, 400), True),
    ("space-before-colon", lambda hp: _req(hp, add=[("X-Bad ", "v")]), (400,), False),
    ("header-block-over-8KiB", _big_block, (431, 400, None), False),
    ("thousands-of-headers", _many_headers, (431, 400, None), False),
    ("one-very-long-line", _long_line, (431, 400, None), False),
    ("very-long-request-target", _long_target, (431, 400, 414, None), False),
]

ACCEPTED = [
    ("plain", lambda hp: _req(hp)),
    ("absolute-form-target", lambda hp: _req(hp, target=f"http://{hp}/chat?x=1")),
    ("path-and-query", lambda hp: _req(hp, target="/some/path?a=b&c=d")),
    ("upgrade-WebSocket", lambda hp: _req(hp, replace={"Upgrade": "WebSocket"})),
    ("upgrade-WEBSOCKET", lambda hp: _req(hp, replace={"Upgrade": "WEBSOCKET"})),
    ("upgrade-list-foo-websocket", lambda hp: _req(hp, replace={"Upgrade": "foo, websocket"})),
    ("connection-keep-alive-Upgrade",
     lambda hp: _req(hp, replace={"Connection": "keep-alive, Upgrade"})),
    ("connection-lowercase-upgrade", lambda hp: _req(hp, replace={"Connection": "upgrade"})),
    ("lowercase-header-names", lambda hp: wsraw.request_bytes(
        hp, headers=[(k.lower(), v) for k, v in wsraw.default_headers(hp, GOOD_KEY)])),
    ("uppercase-header-names", lambda hp: wsraw.request_bytes(
        hp, headers=[(k.upper(), v) for k, v in wsraw.default_headers(hp, GOOD_KEY)])),
    ("extra-headers-origin-ua", lambda hp: _req(hp, add=[("Origin", "http://example.com"),
                                                       ("User-Agent", "wsprobe-tests/1")])),
    ("whitespace-around-values", lambda hp: _req(hp, replace={"Upgrade": "  websocket  "})),
    ("bare-lf-line-ends", lambda hp: _req(hp, line_end="\n")),
]


def _probe(server, request: bytes, timeout: float = 5.0):
    """Send a request (tolerating the server closing mid-send) and read the
    answer. Returns (response or None, reached_eof)."""
    with wsraw.RawConn(server.host, server.port, timeout) as c:
        sent_all = True
        for i in range(0, len(request), 4096):
            if not c.send(request[i:i + 4096]):
                sent_all = False
                break
        try:
            resp = c.read_response(timeout)
        except wsraw.ProbeTimeout:
            pytest.fail(f"no response and no close within {timeout}s "
                        f"(sent_all={sent_all}); the server hangs on this request")
        if resp is None:
            return None, True
        _, eof = c.read_body_and_eof(timeout)
        return resp, eof


@pytest.mark.parametrize("name,build,statuses,needs_version",
                         REFUSALS, ids=[r[0] for r in REFUSALS])
def test_malformed_handshake_is_refused(server, name, build, statuses, needs_version):
    """RFC 6455 4.2.1/4.2.2: a request that is not a valid upgrade gets an
    HTTP error (never 101); the server closes and still serves the next
    client. A version refusal carries Sec-WebSocket-Version: 13 (4.4)."""
    request = build(f"{server.host}:{server.port}")
    resp, eof = _probe(server, request)
    if resp is None:
        assert None in statuses, (
            f"server closed without an HTTP answer to {request[:200]!r}...; "
            f"expected one of {statuses}")
    else:
        assert resp.status != 101, f"malformed request was upgraded: {resp.raw!r}"
        assert resp.status in statuses, f"expected {statuses}, got {resp.raw!r}"
        assert "Sec-WebSocket-Accept".lower() not in [k.lower() for k, _ in resp.headers]
        if needs_version:
            versions = resp.tokens("Sec-WebSocket-Version")
            assert "13" in versions, f"refusal lacks Sec-WebSocket-Version: 13: {resp.raw!r}"
        assert eof, "server kept the connection open after refusing the handshake"
    wsraw.assert_alive(server.host, server.port)


@pytest.mark.parametrize("name,build", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_valid_handshake_variant_is_accepted(server, name, build):
    """RFC 6455 4.2.1/4.2.2: token comparisons are case-insensitive, header
    names are case-insensitive, absolute-form targets are valid; the answer is
    101 with Upgrade: websocket, Connection: Upgrade and the RFC accept value,
    and the connection then echoes."""
    request = build(f"{server.host}:{server.port}")
    with wsraw.RawConn(server.host, server.port) as c:
        c.send(request)
        resp = c.read_response()
        assert resp is not None, "server closed instead of answering a valid request"
        assert resp.status == 101, f"valid request refused: {request!r} -> {resp.raw!r}"
        assert resp.version == "HTTP/1.1"
        assert "websocket" in resp.tokens("Upgrade"), resp.raw
        assert "upgrade" in resp.tokens("Connection"), resp.raw
        assert resp.get_all("Sec-WebSocket-Accept") == [GOOD_ACCEPT], resp.raw
        assert not resp.get_all("Sec-WebSocket-Protocol"), resp.raw
        assert not resp.get_all("Sec-WebSocket-Extensions"), resp.raw
        c.echo(b"after " + name.encode())


def test_accept_value_follows_rfc_formula_for_random_keys(server):
    """RFC 6455 4.2.2 item 5.4: Sec-WebSocket-Accept = base64(SHA-1(key + GUID)),
    checked for several random keys (a server cannot hard-code it)."""
    for _ in range(5):
        key = wsraw.make_key()
        with wsraw.RawConn(server.host, server.port) as c:
            resp = c.handshake(key=key)
            assert resp.get("Sec-WebSocket-Accept") == wsraw.accept_for(key)


@pytest.mark.parametrize("offer", ["a, b", "chat", "a,b,c", "x-proto"])
def test_offered_subprotocols_are_not_selected(server, offer):
    """RFC 6455 4.2.2 item 5.4 / 11.3.4: the reference server supports no
    subprotocol, so none is selected (never an unoffered token or a list)."""
    hp = f"{server.host}:{server.port}"
    with wsraw.RawConn(server.host, server.port) as c:
        c.send(_req(hp, add=[("Sec-WebSocket-Protocol", offer)]))
        resp = c.read_response()
        assert resp is not None and resp.status == 101, resp and resp.raw
        assert resp.get_all("Sec-WebSocket-Accept") == [GOOD_ACCEPT]
        assert not resp.get_all("Sec-WebSocket-Protocol"), resp.raw
        c.echo(b"no subprotocol")


@pytest.mark.parametrize("offer", [
    "x-unknown-extension",
    "x-unknown-extension; foo=1; bar",
])
def test_offered_extensions_are_not_selected(server, offer):
    """RFC 6455 9.1: the server lists only extensions it uses; the reference
    server knows none but permessage-deflate, so an offer of others gets no
    Sec-WebSocket-Extensions, and RSV bits stay 0."""
    hp = f"{server.host}:{server.port}"
    with wsraw.RawConn(server.host, server.port) as c:
        c.send(_req(hp, add=[("Sec-WebSocket-Extensions", offer)]))
        resp = c.read_response()
        assert resp is not None and resp.status == 101, resp and resp.raw
        assert not resp.get_all("Sec-WebSocket-Extensions"), resp.raw
        c.echo(b"no extension " * 10)


@pytest.mark.parametrize("offer", [
    "permessage-deflate; client_max_window_bits",
    "x-webkit-deflate-frame, permessage-deflate",
])
def test_only_permessage_deflate_is_selected(server, offer):
    """RFC 7692 5: of the offers, the server selects permessage-deflate alone
    (an unknown extension is left out), without parameters it was not asked
    for; --no-deflate selects nothing (test_no_deflate_selects_nothing)."""
    hp = f"{server.host}:{server.port}"
    with wsraw.RawConn(server.host, server.port) as c:
        c.send(_req(hp, add=[("Sec-WebSocket-Extensions", offer)]))
        resp = c.read_response()
        assert resp is not None and resp.status == 101, resp and resp.raw
        assert resp.get_all("Sec-WebSocket-Extensions") == ["permessage-deflate"], resp.raw


def test_no_deflate_selects_nothing(start_server):
    server = start_server(no_deflate=True)
    hp = f"{server.host}:{server.port}"
    with wsraw.RawConn(server.host, server.port) as c:
        c.send(_req(hp, add=[("Sec-WebSocket-Extensions", "permessage-deflate")]))
        resp = c.read_response()
        assert resp is not None and resp.status == 101, resp and resp.raw
        assert not resp.get_all("Sec-WebSocket-Extensions"), resp.raw
        c.echo(b"no extension " * 10)


def test_refused_request_gets_no_websocket_traffic(server):
    """RFC 6455 4.2.2: after a refusal no WebSocket frame is sent and frames
    pipelined behind the refused request are not echoed."""
    hp = f"{server.host}:{server.port}"
    request = _req(hp, drop=["Sec-WebSocket-Key"]) + wsraw.text(b"must not echo")
    with wsraw.RawConn(server.host, server.port) as c:
        c.send(request)
        resp = c.read_response()
        assert resp is not None and resp.status == 400, resp and resp.raw
        body, eof = c.read_body_and_eof()
        assert eof, "server kept the connection open after the refusal"
        assert b"must not echo" not in body


def test_header_bomb_dripped_is_bounded(server):
    """PROTOCOL.md 1/9: an endless header block sent in small pieces is cut
    off at the size limit (431/400 or a close) within a bound; the server is
    not stuck waiting for the blank line."""
    hp = f"{server.host}:{server.port}"
    start = time.monotonic()
    with wsraw.RawConn(server.host, server.port, 10) as c:
        c.send(_req(hp)[:-2])  # no terminating blank line
        line = b"X-Endless: " + b"e" * 500 + b"\r\n"
        refused = False
        for _ in range(200):  # up to ~100 KiB, far over the limit
            if not c.send(line):
                refused = True  # reset while sending: the server gave up
                break
            try:  # has the server answered or closed yet?
                c.sock.settimeout(0.002)
                c.sock.recv(1, socket.MSG_PEEK)
                refused = True  # data (a refusal) or b"" (EOF)
                break
            except socket.timeout:
                pass
            except ConnectionResetError:
                refused = True
                break
        assert refused, "server accepted ~100 KiB of header lines without answering"
        resp = None
        try:
            resp = c.read_response(5)
        except wsraw.ProbeTimeout:
            pytest.fail("server neither answered nor closed after the header bomb")
        if resp is not None:
            assert resp.status in (400, 431), resp.raw
    assert time.monotonic() - start < 15
    wsraw.assert_alive(server.host, server.port)
