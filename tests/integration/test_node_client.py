"""The reference echo server against node's `ws` client (pinned in
tests/package.json). `ws` checks the handshake and every server frame
strictly (masking, RSV bits, UTF-8, close codes), so a pass here is
interoperability with the most used JavaScript WebSocket implementation.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SCRIPT = HERE / "node_client.mjs"
NODE_MODULES_WS = HERE.parent / "node_modules" / "ws" / "package.json"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed (scripts/install-deps.sh "
                       "installs nodejs)"),
    pytest.mark.skipif(not NODE_MODULES_WS.exists(),
                       reason="tests/node_modules/ws is missing: run `npm ci` in tests/ "
                       "(scripts/install-deps.sh does)"),
]


def node(url: str, scenario: str, *args, timeout: float = 60.0) -> dict:
    """Run one scenario; returns its JSON result. Bounded by `timeout`."""
    cmd = [NODE, str(SCRIPT), url, scenario, *map(str, args)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ,
                                   "NODE_CLIENT_TIMEOUT_MS": str(int(timeout * 1000) - 2000)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"node client {scenario} did not finish within {timeout}s")
    lines = proc.stdout.strip().splitlines()
    assert lines, f"node client printed nothing (rc={proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(lines[-1])
    assert proc.returncode == 0 and "error" not in result, (
        f"node client {scenario} failed: {result.get('error')} {proc.stderr[-2000:]}")
    return result


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_node_text_echo(server):
    """RFC 6455 5.6: a text message (with non-ASCII) comes back as text."""
    r = node(server.url, "text")
    assert r["got"]["isBinary"] is False
    assert r["got"]["text"] == "hello from node ws \U0001F600 \u00e9\u20ac"
    assert r["got"]["sha256"] == r["sent"]["sha256"]
    # RFC 7692: ws offers permessage-deflate; the server accepts it, so its
    # echoes come compressed and ws inflates them (ws compresses its own
    # messages from 1 KiB on: the large scenarios below).
    assert r["extensions"] == "permessage-deflate", r["extensions"]
    assert r["protocol"] == ""


def test_node_no_deflate_server_declines(start_server):
    """`--no-deflate`: ws's offer is declined and traffic is plain."""
    s = start_server(no_deflate=True)
    r = node(s.url, "text")
    assert r["extensions"] == ""
    assert r["got"]["sha256"] == r["sent"]["sha256"]


def test_node_binary_echo(server):
    """RFC 6455 5.6: a binary message comes back as binary, byte for byte."""
    r = node(server.url, "binary")
    assert r["got"]["isBinary"] is True
    assert r["got"]["sha256"] == sha(bytes(range(256)))


@pytest.mark.parametrize("scenario,is_binary", [("empty-text", False), ("empty-binary", True)])
def test_node_empty_messages(server, scenario, is_binary):
    """Empty text and binary messages keep their type."""
    r = node(server.url, scenario)
    assert r["got"]["isBinary"] is is_binary
    assert r["got"]["length"] == 0


@pytest.mark.parametrize("size", [65_536, 65_537, 4 << 20])
def test_node_large_binary(server, size):
    """RFC 6455 5.2: 64 KiB and multi-MiB binary messages round-trip."""
    r = node(server.url, "large", size, timeout=90)
    assert r["got"]["isBinary"] is True
    assert r["got"]["length"] == size
    assert r["got"]["sha256"] == r["sent"]["sha256"]


def test_node_large_text(server):
    """A 2 MiB text message full of multi-byte characters round-trips (the
    server validates UTF-8 across its fragment/read boundaries)."""
    r = node(server.url, "large-text", 2 << 20, timeout=90)
    assert r["got"]["isBinary"] is False
    assert r["got"]["length"] == r["sent"]["length"]
    assert r["got"]["sha256"] == r["sent"]["sha256"]


def test_node_many_messages(server):
    """300 mixed messages sent back to back are echoed in order."""
    r = node(server.url, "many", 300)
    assert r == {"sent": 300, "matched": 300}


def test_node_ping_pong(server):
    """RFC 6455 5.5.3: each ping's payload comes back in the pong."""
    r = node(server.url, "ping")
    assert r["pongs"] == r["pings"]
    assert r["after"]["text"] == "after pings"


@pytest.mark.parametrize("code", [1000, 1001, 1011, 3000, 4999])
def test_node_close_code_echoed(server, code):
    """RFC 6455 5.5.1: the server's close echoes our status code."""
    r = node(server.url, "close", code)
    assert r["code"] == code, r


def test_node_fragmented_send(server):
    """RFC 6455 5.4: messages sent with ws's fin:false option (including an
    empty fragment and a ping between binary fragments) are reassembled."""
    r = node(server.url, "fragmented")
    assert r["text"]["isBinary"] is False
    assert r["text"]["text"] == "fragmented text \u20ac"
    assert r["binary"]["isBinary"] is True
    assert r["binary"]["length"] == r["expectedBinaryLength"]
    assert r["binary"]["sha256"] == r["expectedBinarySha256"]


def test_node_message_over_limit_gets_1009(start_server):
    """--max-message: ws sees close 1009 for a message over the limit."""
    s = start_server(max_message=4096)
    r = node(s.url, "too-big", 5000)
    assert r["code"] == 1009, r


def test_node_concurrent_clients(server):
    """40 node clients at once, 10 round trips each, all closed with 1000."""
    r = node(server.url, "concurrent", 40, 10, timeout=90)
    assert r["clients"] == 40
    assert r["allMessagesOk"] is True
    assert r["closeCodes"] == [1000]
