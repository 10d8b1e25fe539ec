#!/usr/bin/python3
"""Echo server on python3-aiohttp (Debian's 3.8.4, aiohttp.web) for
tests/integration/test_thirdparty_servers.py.

Run it with /usr/bin/python3: the Debian package installs into the system
interpreter, not into whatever `python3` comes first on PATH.

    /usr/bin/python3 tests/thirdparty/aiohttp_echo_server.py [--port 0] [--host 127.0.0.1]

Prints `listening on ws://HOST:PORT/` once bound (port 0: ephemeral), echoes
every text and binary message with the same type, serves until SIGTERM or
SIGINT and then exits 0. The WebSocket is served at "/" by the usual
aiohttp.web route (`web.get`, which also routes HEAD, as aiohttp's own
examples do). web.WebSocketResponse's settings, all spelled out:
  compress=False        permessage-deflate off (not in the catalogue yet;
                        the default is True)
  max_msg_size=64 MiB   the catalogue's large messages fit (default 4 MiB)
  heartbeat=None        no keepalive pings of its own, so runs are
                        deterministic (the default)
  autoping=True         the library answers pings with pongs itself and keeps
                        pongs from the handler (the default; with False the
                        application would have to answer pings)
  autoclose=True        the library answers a close frame itself (the default)
Everything else (the HTTP parser, handshake checks, close handling, UTF-8
checks, buffer limits) is the library's own behaviour: that is what is under
test. (On SIGTERM the site stops with shutdown_timeout=1 s instead of 60 s, so
a connection left open cannot hold the exit: process lifecycle only.)
"""

import argparse
import asyncio
import signal
import socket

from aiohttp import WSMsgType, web

MAX_SIZE = 64 << 20


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False, max_msg_size=MAX_SIZE, heartbeat=None,
                               autoping=True, autoclose=True)
    await ws.prepare(request)  # raises an HTTP error (400) for a bad handshake
    try:
        async for msg in ws:  # ends on close; ERROR comes through, then the end
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)  # text as text
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)  # binary as binary
    except ConnectionResetError:  # the peer went away while we were echoing
        pass
    return ws


async def main(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))

    app = web.Application()
    app.add_routes([web.get("/", echo)])
    runner = web.AppRunner(app)
    await runner.setup()
    # Bind the socket ourselves so the ephemeral port is known without
    # reaching into the site's private server object.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    site = web.SockSite(runner, sock, shutdown_timeout=1.0)
    await site.start()
    bound = sock.getsockname()
    print(f"listening on ws://{bound[0]}:{bound[1]}/", flush=True)
    try:
        await stop
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="aiohttp echo server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    asyncio.run(main(a.host, a.port))
