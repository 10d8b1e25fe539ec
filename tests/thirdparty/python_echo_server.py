#!/usr/bin/python3
"""Echo server on python3-websockets (Debian's 10.4, asyncio API) for
tests/integration/test_thirdparty_servers.py.

Run it with /usr/bin/python3: the Debian package installs into the system
interpreter, not into whatever `python3` comes first on PATH.

    /usr/bin/python3 tests/thirdparty/python_echo_server.py [--port 0] [--host 127.0.0.1]

Prints `listening on ws://HOST:PORT/` once bound (port 0: ephemeral), echoes
every text and binary message with the same type, serves until SIGTERM or
SIGINT and then exits 0. Settings that differ from the library's defaults:
  max_size=64 MiB    the catalogue's large messages fit (default 1 MiB)
  ping_interval=None no keepalive pings of its own, so runs are deterministic
permessage-deflate is the library's default (on), so the compression area
runs against it. Everything else (handshake checks, close handling, UTF-8 checks, queue and
buffer limits) is the library's own behaviour: that is what is under test.
"""

import argparse
import asyncio
import signal

import websockets

MAX_SIZE = 64 << 20


async def echo(ws, path=None):  # 10.x passes (ws, path); 11+ passes (ws)
    try:
        async for message in ws:  # str for text, bytes for binary: same type back
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(echo, host, port, max_size=MAX_SIZE,
                                ping_interval=None) as server:
        bound = server.sockets[0].getsockname()
        print(f"listening on ws://{bound[0]}:{bound[1]}/", flush=True)
        await stop


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="python3-websockets echo server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    asyncio.run(main(a.host, a.port))
