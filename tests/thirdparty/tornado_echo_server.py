#!/usr/bin/python3
"""Echo server on python3-tornado (Debian's 6.2, tornado.websocket) for
tests/integration/test_thirdparty_servers.py.

Run it with /usr/bin/python3: the Debian package installs into the system
interpreter, not into whatever `python3` comes first on PATH.

    /usr/bin/python3 tests/thirdparty/tornado_echo_server.py [--port 0] [--host 127.0.0.1]

Prints `listening on ws://HOST:PORT/` once bound (port 0: ephemeral), echoes
every text and binary message with the same type, serves until SIGTERM or
SIGINT and then exits 0. The WebSocket is a tornado.websocket.WebSocketHandler
served at "/" by a tornado.web.Application, as tornado's own examples do.
Settings, all spelled out:
  get_compression_options() -> None     permessage-deflate off (the default;
                                        not in the catalogue yet)
  websocket_max_message_size=64 MiB     the catalogue's large messages fit
                                        (default 10 MiB)
  websocket_ping_interval=None          no keepalive pings of its own, so
                                        runs are deterministic (the default)
Everything else (tornado's HTTP server and parser, handshake checks including
the default same-origin check_origin, close handling, UTF-8 checks, buffer
limits) is the library's own behaviour: that is what is under test.
"""

import argparse
import asyncio
import signal

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

MAX_SIZE = 64 << 20


class EchoHandler(tornado.websocket.WebSocketHandler):
    def get_compression_options(self):
        return None  # permessage-deflate off

    async def on_message(self, message):
        # str for text, bytes for binary: same type back. Awaiting the write
        # (on_message may be a coroutine) makes tornado read the next frame
        # only once the echo is written.
        try:
            await self.write_message(message, binary=isinstance(message, bytes))
        except tornado.websocket.WebSocketClosedError:
            pass


async def main(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))

    app = tornado.web.Application(
        [(r"/", EchoHandler)],
        websocket_ping_interval=None,
        websocket_max_message_size=MAX_SIZE,
    )
    sockets = tornado.netutil.bind_sockets(port, host)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    bound = sockets[0].getsockname()
    print(f"listening on ws://{bound[0]}:{bound[1]}/", flush=True)
    try:
        await stop
    finally:
        server.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="tornado echo server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    asyncio.run(main(a.host, a.port))
