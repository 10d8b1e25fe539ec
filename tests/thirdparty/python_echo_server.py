#!/usr/bin/python3
"""Echo server on python3-websockets (Debian's 10.4, asyncio API) for
tests/integration/test_thirdparty_servers.py.

Run it with /usr/bin/python3: the Debian package installs into the system
interpreter, not into whatever `python3` comes first on PATH.

    /usr/bin/python3 tests/thirdparty/python_echo_server.py [--port 0] [--host 127.0.0.1]
        [--tls-cert FILE --tls-key FILE]

Prints `listening on ws://HOST:PORT/` (wss:// with --tls-cert: the
standard library's ssl module, as a deployment would use it) once bound (port 0: ephemeral), echoes
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
import ssl

import websockets

MAX_SIZE = 64 << 20


async def echo(ws, path=None):  # 10.x passes (ws, path); 11+ passes (ws)
    try:
        async for message in ws:  # str for text, bytes for binary: same type back
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main(host: str, port: int, tls: ssl.SSLContext | None) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(echo, host, port, max_size=MAX_SIZE,
                                ping_interval=None, ssl=tls) as server:
        bound = server.sockets[0].getsockname()
        scheme = "wss" if tls else "ws"
        print(f"listening on {scheme}://{bound[0]}:{bound[1]}/", flush=True)
        await stop


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="python3-websockets echo server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert", help="serve wss:// with this certificate chain (PEM)")
    ap.add_argument("--tls-key", help="the certificate's private key (PEM)")
    a = ap.parse_args()
    if bool(a.tls_cert) != bool(a.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    context = None
    if a.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(a.tls_cert, a.tls_key)
    asyncio.run(main(a.host, a.port, context))
