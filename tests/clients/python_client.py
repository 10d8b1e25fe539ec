#!/usr/bin/python3
"""An Autobahn-style client driver for `wsprobe serve`, written on Python
`websockets` (asyncio client): the client under test is `websockets` itself.

    python_client.py BASE_URL AGENT      getCaseCount, runCase for every case
                                         (echoing each message), then
                                         updateReports
    python_client.py --url CASE_URL      one case (a runCase URL), as
                                         `wsprobe serve --exec "... {url}"`
                                         runs it

Every wait is bounded (CASE_TIMEOUT per case, a total bound for the whole
run); wss:// URLs trust the CA file in $WSPROBE_CA (or the system store).
Exit status: 0 when every step was done (a case the client failed on is not
an error of the driver), 2 on a usage error or when the server is not there.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
import urllib.parse

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

CASE_TIMEOUT = float(os.environ.get("CASE_TIMEOUT", "30"))
MiB = 1 << 20


def ssl_context(url: str):
    if not url.startswith("wss://"):
        return None
    ctx = ssl.create_default_context()
    ca = os.environ.get("WSPROBE_CA")
    if ca:
        ctx.load_verify_locations(ca)
    return ctx


def connect(url: str):
    return websockets.connect(
        url, ssl=ssl_context(url), max_size=64 * MiB, ping_interval=None,
        open_timeout=10, close_timeout=5)


async def run_case(url: str) -> str:
    """Plays one case: echoes every message until the connection closes."""
    try:
        async with connect(url) as ws:
            async for message in ws:
                await ws.send(message)
        return "closed"
    except ConnectionClosed as e:
        return f"closed ({e})"
    except (InvalidHandshake, OSError, asyncio.TimeoutError) as e:
        return f"failed: {type(e).__name__}: {e}"


async def ask(url: str):
    """A protocol URL that answers with one message (or none) and closes."""
    async with connect(url) as ws:
        try:
            return await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed:
            return None


async def run_all(base: str, agent: str) -> int:
    base = base.rstrip("/") + "/"
    count = int(await ask(base + "getCaseCount"))
    quoted = urllib.parse.quote(agent, safe="")
    for n in range(1, count + 1):
        url = f"{base}runCase?case={n}&agent={quoted}"
        try:
            how = await asyncio.wait_for(run_case(url), CASE_TIMEOUT)
        except asyncio.TimeoutError:
            how = f"no end within {CASE_TIMEOUT} s"
        print(f"case {n}/{count}: {how}", flush=True)
    await ask(f"{base}updateReports?agent={quoted}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "--url":
        print(asyncio.run(asyncio.wait_for(run_case(argv[2]), CASE_TIMEOUT)))
        return 0
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return asyncio.run(run_all(argv[1], argv[2]))
    except (OSError, InvalidHandshake, InvalidURI, ValueError) as e:
        print(f"python_client: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
