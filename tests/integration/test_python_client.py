"""The reference echo server against a real third-party client: Python
`websockets` (10.4, asyncio API). The client validates the handshake (accept
value, no unoffered extension/subprotocol) and every frame the server sends,
so these tests prove interoperability, not just our own reading of the RFC.
"""

from __future__ import annotations

import asyncio
import os

import pytest

websockets = pytest.importorskip("websockets")
from websockets.exceptions import ConnectionClosed  # noqa: E402

MiB = 1 << 20


def run(coro, timeout: float = 30.0):
    """Every client test is bounded."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def connect(url: str, **kw):
    kw.setdefault("max_size", 2 * MiB)
    kw.setdefault("ping_interval", None)  # no background pings in the way
    kw.setdefault("open_timeout", 10)
    kw.setdefault("close_timeout", 5)
    return websockets.connect(url, **kw)


async def echo_once(url: str, message, **kw):
    async with connect(url, **kw) as ws:
        await ws.send(message)
        return await ws.recv()


@pytest.mark.parametrize("message", [
    "hello, world",
    "",
    "unicode: κόσμε ÄÖÜ € 中文 😀 𝄞 \u0000 \U0010ffff",
    b"\x00\x01\x02binary\xff\xfe",
    b"",
], ids=["text", "empty-text", "unicode-text", "binary", "empty-binary"])
def test_echo_message_keeps_type_and_content(server, message):
    """RFC 6455 5.6: text stays text (str), binary stays binary (bytes), also
    when empty; the content is echoed byte for byte."""
    got = run(echo_once(server.url, message))
    assert type(got) is type(message)
    assert got == message


@pytest.mark.parametrize("size", [65_535, 65_536, 65_537, 1 * MiB + 3])
def test_large_binary_echo(server, size):
    """RFC 6455 5.2: 16-bit and 64-bit payload lengths round-trip."""
    payload = os.urandom(size)
    assert run(echo_once(server.url, payload)) == payload


def test_large_text_echo(server):
    """A 256 KiB text message with multi-byte characters round-trips."""
    payload = ("€uro 😀 " * 30_000)[:262_144]
    assert run(echo_once(server.url, payload)) == payload


def test_sixteen_mib_message(server):
    """A 16 MiB binary message (under the server's 64 MiB default limit) is
    echoed intact; the client's max_size is raised to allow it."""
    payload = os.urandom(16 * MiB)

    async def go():
        async with connect(server.url, max_size=32 * MiB, write_limit=32 * MiB) as ws:
            await ws.send(payload)
            return await ws.recv()

    got = run(go(), timeout=90)
    assert len(got) == len(payload) and got == payload


def test_many_messages_in_a_row(server):
    """500 messages sent back to back are all echoed, in order."""
    msgs = [f"message #{i} " + "x" * (i % 300) for i in range(500)]

    async def go():
        async with connect(server.url) as ws:
            for m in msgs:
                await ws.send(m)
            return [await ws.recv() for _ in msgs]

    assert run(go()) == msgs


def test_request_response_interleaved(server):
    """Alternating send/recv with mixed types, 200 round trips."""
    async def go():
        async with connect(server.url) as ws:
            for i in range(200):
                m = os.urandom(i) if i % 2 else "t" * i
                await ws.send(m)
                assert await ws.recv() == m

    run(go())


def test_ping_is_answered_with_pong(server):
    """RFC 6455 5.5.2/5.5.3: the server answers pings with pongs carrying
    the same payload (websockets matches pongs to pings by payload)."""
    async def go():
        async with connect(server.url) as ws:
            for data in (b"ping-payload", b"", None, os.urandom(125), "text-ping"):
                waiter = await ws.ping(data)
                await asyncio.wait_for(waiter, 5)
            await ws.send("after pings")
            assert await ws.recv() == "after pings"

    run(go())


def test_many_pings_outstanding(server):
    """Twenty pings in flight at once are all answered."""
    async def go():
        async with connect(server.url) as ws:
            waiters = [await ws.ping(f"p{i}") for i in range(20)]
            await asyncio.wait_for(asyncio.gather(*waiters), 10)

    run(go())


@pytest.mark.parametrize("code", [1000, 1001, 3000, 4999])
def test_close_code_is_echoed(server, code):
    """RFC 6455 5.5.1/7.4: the server answers our close with a close echoing
    the status code (websockets 10.4 exposes it as close_code)."""
    async def go():
        ws = await connect(server.url)
        await ws.send("bye soon")
        assert await ws.recv() == "bye soon"
        await ws.close(code, "closing with " + str(code))
        return ws.close_code, ws.close_reason

    got_code, reason = run(go())
    assert got_code == code, f"sent close {code}, server answered {got_code} {reason!r}"


def test_close_without_message_traffic(server):
    """An immediate close after the handshake is answered with 1000."""
    async def go():
        ws = await connect(server.url)
        await ws.close()
        return ws.close_code

    assert run(go()) == 1000


def test_message_over_max_message_gets_1009(start_server):
    """--max-message: a message over the limit fails the connection with
    1009 (message too big, RFC 6455 7.4.1); at the limit it is echoed."""
    s = start_server(max_message=1024)

    async def go():
        async with connect(s.url) as ws:
            await ws.send(b"a" * 1024)
            assert await ws.recv() == b"a" * 1024
            await ws.send(b"b" * 1025)
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            return info.value

    exc = run(go())
    assert exc.rcvd is not None, f"server dropped TCP without a close frame: {exc!r}"
    assert exc.rcvd.code == 1009, f"expected 1009, got {exc.rcvd!r}"


def test_fragmented_message_over_max_message_gets_1009(start_server):
    """--max-message bounds the reassembled message: three 500-byte text
    fragments (1500 > 1024) get 1009."""
    s = start_server(max_message=1024)

    async def go():
        async with connect(s.url) as ws:
            await ws.send(["a" * 500, "b" * 500, "c" * 500])
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            return info.value

    exc = run(go())
    assert exc.rcvd is not None and exc.rcvd.code == 1009, repr(exc)


@pytest.mark.parametrize("fragments", [
    ["frag", "mented", " ", "text"],
    ["", "empty first and last", ""],
    ["€", " multi-byte fragments: ", "😀"],
    [b"\x00\x01", b"", b"\x02" * 70_000, b"\x03"],
], ids=["text", "empty-fragments", "unicode", "binary"])
def test_fragmented_send_is_reassembled(server, fragments):
    """RFC 6455 5.4: a message sent as fragments (websockets sends an
    iterable as one fragmented message) is echoed as one message."""
    async def go():
        async with connect(server.url) as ws:
            await ws.send(fragments)
            return await ws.recv()

    joined = "".join(fragments) if isinstance(fragments[0], str) else b"".join(fragments)
    assert run(go()) == joined


def test_fragmented_send_async_iterable_with_ping_in_between(server):
    """RFC 6455 5.4: control frames may be interleaved with fragments: a
    ping sent while an async-iterable message is being sent is answered and
    the message still arrives whole."""
    async def go():
        async with connect(server.url) as ws:
            pong_waiters = []

            async def parts():
                yield "part one, "
                pong_waiters.append(await ws.ping(b"mid-message"))
                yield "part two, "
                await asyncio.sleep(0.05)
                yield "part three"

            await ws.send(parts())
            got = await ws.recv()
            await asyncio.wait_for(pong_waiters[0], 5)
            return got

    assert run(go()) == "part one, part two, part three"


def test_fifty_concurrent_clients(server):
    """50 clients at once, each with its own 20 messages, all get only their
    own echoes: the reactor keeps connections apart."""
    async def client(i):
        async with connect(server.url) as ws:
            for j in range(20):
                m = f"client {i} message {j}" if j % 2 else os.urandom(100 + i)
                await ws.send(m)
                assert await ws.recv() == m
            return i

    async def go():
        return await asyncio.gather(*(client(i) for i in range(50)))

    assert sorted(run(go(), timeout=60)) == list(range(50))


@pytest.mark.parametrize("message", [
    "z" * 10_000,
    "",
    "unicode: κόσμε ÄÖÜ € 中文 😀 " * 300,
    bytes(range(256)) * 64,
    b"",
], ids=["text", "empty-text", "unicode-text", "binary", "empty-binary"])
def test_deflate_is_negotiated_and_messages_round_trip(server, message):
    """RFC 7692: websockets offers permessage-deflate (with
    client_max_window_bits); the reference server accepts it, inflates the
    client's compressed messages and echoes them compressed, which
    websockets inflates and checks."""
    async def go():
        async with connect(server.url, compression="deflate") as ws:
            ext = ws.response_headers.get("Sec-WebSocket-Extensions")
            assert ext is not None and ext.startswith("permessage-deflate"), ext
            assert [type(e).__name__ for e in ws.extensions] == ["PerMessageDeflate"]
            out = []
            for _ in range(3):  # context takeover: later messages share the window
                await ws.send(message)
                out.append(await ws.recv())
            return out

    assert run(go()) == [message] * 3


def test_deflate_offer_with_small_windows_and_no_takeover(server):
    """RFC 7692 7.1: the server honours server_max_window_bits=8 and
    server_no_context_takeover from the offer, and websockets inflates the
    echoes with a 256-byte window."""
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=True, client_no_context_takeover=True,
        server_max_window_bits=8, client_max_window_bits=9)

    async def go():
        async with connect(server.url, extensions=[factory], compression=None) as ws:
            ext = ws.response_headers.get("Sec-WebSocket-Extensions")
            assert "server_max_window_bits=8" in ext, ext
            assert "server_no_context_takeover" in ext, ext
            texts = ["window bits eight " * 200, "and again " * 500]
            for t in texts:
                await ws.send(t)
                assert await ws.recv() == t
            return True

    assert run(go())


def test_deflate_offer_is_declined_with_no_deflate(start_server):
    """`wsprobe echo-server --no-deflate`: the offer is declined (no
    Sec-WebSocket-Extensions, RFC 6455 9.1), and uncompressed traffic is
    echoed."""
    s = start_server(no_deflate=True)

    async def go():
        async with connect(s.url, compression="deflate") as ws:
            assert ws.response_headers.get("Sec-WebSocket-Extensions") is None
            assert ws.extensions == []
            await ws.send("z" * 10_000)
            return await ws.recv()

    assert run(go()) == "z" * 10_000


def test_compressed_message_over_max_message_gets_1009(start_server):
    """--max-message bounds the inflated size: 1 MiB of zeros compresses to
    about 1 KiB, and the server answers 1009 without inflating it all."""
    s = start_server(max_message=64 * 1024)

    async def go():
        async with connect(s.url, compression="deflate") as ws:
            await ws.send(b"\x00" * 1024)
            assert await ws.recv() == b"\x00" * 1024
            await ws.send(b"\x00" * (1 << 20))
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            return info.value

    exc = run(go())
    assert exc.rcvd is not None and exc.rcvd.code == 1009, repr(exc)


def test_subprotocol_offer_is_not_selected(server):
    """RFC 6455 4.2.2: the reference server supports no subprotocol; the
    client offered two and gets none (websockets accepts that)."""
    async def go():
        async with connect(server.url, subprotocols=["chat", "superchat"]) as ws:
            assert ws.subprotocol is None
            await ws.send("hi")
            return await ws.recv()

    assert run(go()) == "hi"


def test_connection_after_many_closed_clients(server):
    """Connections that come and go (with a proper close, or abruptly) do not
    accumulate trouble: 100 short-lived clients, then a normal echo."""
    async def go():
        for i in range(100):
            ws = await connect(server.url)
            if i % 2:
                await ws.close()
            else:
                ws.transport.abort()
        return await echo_once(server.url, "still serving")

    assert run(go(), timeout=60) == "still serving"
