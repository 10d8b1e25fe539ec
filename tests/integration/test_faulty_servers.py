"""Every case can fail: wsprobe against deliberately faulty servers.

tests/faulty/faulty_server.py is a small conformant echo server (stdlib,
raw sockets) that `--fault NAME` breaks in exactly one rule family. For each
fault this file runs the areas (or case families) that check that rule and
asserts:

  (a) every case listed for the fault gets the listed verdict (fail, or
      non-strict for the documented downgrades);
  (b) every other case of the same run keeps its baseline verdict (pass, or
      informational where the case records an open choice): the fault is
      specific, the failures come from it alone;
  (c) the exit status is 1 when a fail is expected, 0 otherwise.

Also: the whole catalogue against the faulty server with no fault passes
(the baseline is conformant); the whole catalogue against the built-in
reference server has no fail; and every case id of the catalogue is caught
by at least one fault or sits in the short, commented ALLOW_LIST.

The runs are independent processes, so they go through a small thread pool
(FAULT_WORKERS at a time, `-j 8` each) before the first test looks at them.

WSPROBE_BIN picks the binary (as in conftest.py); the default here is the
release build (build/wsprobe), falling back to build/asan/wsprobe.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from release_binary import release_binary

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "faulty" / "faulty_server.py"
PYTHON = "/usr/bin/python3"
AREAS = ("framing", "pings", "reserved-bits", "opcodes", "fragmentation", "utf8", "close",
         "auto-fragmentation", "handshake")
FAULT_WORKERS = int(os.environ.get("FAULTY_WORKERS", "3"))
RUN_TIMEOUT = 240.0
LISTEN_RE = re.compile(r"^listening on (ws://127\.0\.0\.1:\d+/)$")

sys.path.insert(0, str(ROOT / "tests" / "faulty"))
from faults import FAULTS  # noqa: E402




BINARY = release_binary()


def ids(prefix: str, first: int, last: int) -> list[str]:
    """prefix + N for N in first..last: ids("7.9.", 1, 3) = 7.9.1 7.9.2 7.9.3."""
    return [f"{prefix}{n}" for n in range(first, last + 1)]


@dataclass
class Spec:
    """What one fault must do to the catalogue.

    run:   --cases patterns for its run (areas, id prefixes, ids)
    fail / non_strict: ids that must get exactly that verdict
    flaky: ids whose verdict depends on how TCP segments fall into the
           server's reads (faults that key on read boundaries): each may
           pass, fail or be non-strict, and at least one of them must fail
    lenient: ids where timing decides whether an allowed shortcut applies
           (e.g. several pings landing in one read may share a pong, RFC
           6455 5.5.3): pass or non-strict, never anything else
    caught: ids that must fail or be non-strict, which of the two depending
           on the machine's speed (a bomb the server inflates to its 256 MiB
           safety cap: it drops in time, non-strict, or it is still busy at
           the case's deadline and misses the liveness check, fail)
    healthy_first: the server serves this many connections without the
           fault (the harness's preflight handshake), see test_preflight_*
    Every other case of the run must keep its baseline verdict."""
    run: list[str]
    fail: list[str] = field(default_factory=list)
    non_strict: list[str] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    lenient: list[str] = field(default_factory=list)
    caught: list[str] = field(default_factory=list)
    healthy_first: int = 0


# ---------------------------------------------------------------------------
# The catalogue of expectations, per fault. Derived from the case files'
# "Faulty servers these cases catch" comments and checked against runs.
# ---------------------------------------------------------------------------

EXPECTED: dict[str, Spec] = {}

# -- handshake -------------------------------------------------------------
EXPECTED["accept-post"] = Spec(  # upgrades any method (POST, HEAD, get...), not only GET
    run=["handshake"],
    fail=["hs.12", "hs.13", "hs.14", "hs.15", "hs.16"],
)
EXPECTED["accept-http10"] = Spec(  # upgrades an HTTP/1.0 request
    run=["handshake"],
    fail=["hs.17"],
)
EXPECTED["any-target"] = Spec(  # any request-target accepted, '*' included
    run=["handshake"],
    fail=["hs.18"],
)
EXPECTED["lenient-header-names"] = Spec(  # whitespace between a header name and the colon accepted
    run=["handshake"],
    fail=["hs.21"],
)
EXPECTED["obs-fold-drop"] = Spec(  # drops the connection, no answer, on an obsolete line folding
    run=["handshake"],
    non_strict=["hs.22"],  # a refusal without an HTTP response
)
EXPECTED["reject-absolute-form"] = Spec(  # refuses a request-target in absolute form
    run=["handshake"],
    fail=["hs.2"],
)
EXPECTED["exact-path"] = Spec(  # 404 unless the request-target is exactly '/' (query, absolute form)
    run=["handshake"],
    fail=["hs.2"],          # RFC 7230 5.3.2: the absolute form MUST be accepted
    non_strict=["hs.3"],    # a valid request refused: the server's choice
)
EXPECTED["no-host-check"] = Spec(  # no Host required, two Host headers accepted
    run=["handshake"],
    fail=["hs.19", "hs.20"],
)
EXPECTED["first-header-only"] = Spec(  # reads only the first of repeated headers (Host, Key, Connection, Upgrade)
    run=["handshake"],
    fail=["hs.9", "hs.19", "hs.20", "hs.41"],
    non_strict=["hs.10"],
)
EXPECTED["case-sensitive-header-names"] = Spec(  # header names matched case-sensitively (canonical spelling only)
    run=["handshake"],
    fail=["hs.4", "hs.5"],
)
EXPECTED["no-ows-trim"] = Spec(  # header values not trimmed of optional whitespace
    run=["handshake"],
    non_strict=["hs.7"],  # a valid request refused: the server's choice
)
EXPECTED["reject-unknown-headers"] = Spec(  # 400 on any header it does not need (User-Agent, Origin...)
    run=["handshake"],
    non_strict=["hs.6", "hs.8"],  # valid requests refused (hs.8: not with 403)
)
EXPECTED["no-upgrade-check"] = Spec(  # Upgrade header not checked at all
    run=["handshake"],
    fail=["hs.24", "hs.25", "hs.26", "hs.27", "hs.28"],
)
EXPECTED["upgrade-substring"] = Spec(  # Upgrade matched as a substring ('websockets', 'xwebsocket' pass)
    run=["handshake"],
    fail=["hs.26", "hs.27"],
)
EXPECTED["upgrade-case-sensitive"] = Spec(  # Upgrade must equal 'websocket' exactly (refuses WebSocket, lists)
    run=["handshake"],
    fail=["hs.29", "hs.30"],          # RFC 6455 4.2.1: case-insensitive
    non_strict=["hs.10", "hs.31"],    # the list reading may be declined
)
EXPECTED["no-connection-check"] = Spec(  # Connection header not checked at all
    run=["handshake"],
    fail=["hs.32", "hs.33", "hs.34", "hs.35", "hs.36"],
)
EXPECTED["connection-substring"] = Spec(  # Connection matched as a substring ('NotUpgrade' passes)
    run=["handshake"],
    fail=["hs.34", "hs.35"],
)
EXPECTED["connection-exact"] = Spec(  # Connection must equal 'Upgrade' exactly (refuses lists, other cases)
    run=["handshake"],
    fail=["hs.37", "hs.38", "hs.39"],
)
EXPECTED["no-key-check"] = Spec(  # Sec-WebSocket-Key not validated (missing, empty, repeated, any length)
    run=["handshake"],
    fail=["hs.40", "hs.41", "hs.45", "hs.46"],
    non_strict=["hs.42", "hs.43", "hs.44"],
)
EXPECTED["key-length-only"] = Spec(  # Sec-WebSocket-Key only checked to be 24 characters long
    run=["handshake"],
    fail=["hs.45"],
    non_strict=["hs.44"],
)
EXPECTED["wrong-accept"] = Spec(  # Sec-WebSocket-Accept computed without the GUID
    run=["handshake"],
    fail=["hs.1", "hs.2", "hs.3", "hs.4", "hs.5", "hs.6", "hs.7", "hs.8", "hs.9", "hs.10",
          "hs.23", "hs.29", "hs.30", "hs.31", "hs.37", "hs.38", "hs.39", "hs.55",
          "hs.56", "hs.57", "hs.58", "hs.59", "hs.60", "hs.61", "hs.62", "hs.63", "hs.64", "hs.65"],
    healthy_first=1,
)
EXPECTED["any-version"] = Spec(  # accepts any Sec-WebSocket-Version, or none
    run=["handshake"],
    fail=["hs.47", "hs.48", "hs.49", "hs.50", "hs.51", "hs.52"],
)
EXPECTED["version-no-header"] = Spec(  # refuses bad versions without a Sec-WebSocket-Version: 13 header
    run=["handshake"],
    # hs.47 sends no version at all: the refusal need not name one.
    fail=["hs.48", "hs.49", "hs.50", "hs.51", "hs.52", "hs.53", "hs.54"],
)
EXPECTED["version-atoi"] = Spec(  # parses the version with atoi ('013', '13.0' accepted)
    run=["handshake"],
    fail=["hs.49", "hs.52"],
)
EXPECTED["echo-all-protocols"] = Spec(  # answers Sec-WebSocket-Protocol with the whole offered list
    run=["handshake"],
    fail=["hs.55", "hs.57"],
)
EXPECTED["unoffered-protocol"] = Spec(  # sends Sec-WebSocket-Protocol: chat when none was offered
    run=["handshake"],
    fail=["hs.1", "hs.2", "hs.3", "hs.4", "hs.5", "hs.6", "hs.7", "hs.8", "hs.9", "hs.10",
          "hs.23", "hs.29", "hs.30", "hs.31", "hs.37", "hs.38", "hs.39", "hs.56",
          "hs.58", "hs.59", "hs.60", "hs.61", "hs.62", "hs.63", "hs.64", "hs.65"],
    healthy_first=1,
)
EXPECTED["accept-unknown-extension"] = Spec(  # lists every offered extension in the response
    run=["handshake"],
    fail=["hs.58"],
)
EXPECTED["unoffered-extension"] = Spec(  # sends permessage-deflate when no extension was offered
    run=["handshake"],
    fail=["hs.1", "hs.2", "hs.3", "hs.4", "hs.5", "hs.6", "hs.7", "hs.8", "hs.9", "hs.10",
          "hs.23", "hs.29", "hs.30", "hs.31", "hs.37", "hs.38", "hs.39", "hs.55",
          "hs.56", "hs.57", "hs.59", "hs.60", "hs.61", "hs.62", "hs.63", "hs.64", "hs.65"],
    healthy_first=1,
)
EXPECTED["hang-on-large-headers"] = Spec(  # over-large header blocks: keeps reading, never answers
    run=["handshake"],
    # Silence until the deadline is a refusal without a response: non-strict.
    non_strict=["hs.60", "hs.61", "hs.62", "hs.65"],
)

# -- framing ---------------------------------------------------------------
EXPECTED["accept-unmasked"] = Spec(  # accepts unmasked client frames
    run=["framing", "close"],
    fail=["framing.30", "framing.31", "framing.32", "framing.33", "framing.35"],
    # An unmasked close answered with 1000 closes the connection: RFC 6455
    # 5.1 makes the 1002 a MAY.
    non_strict=["close.27", "framing.34"],
)
EXPECTED["mask-server-frames"] = Spec(  # masks the frames it sends
    run=["framing", "pings", "auto-fragmentation"],
    fail=["1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8", "1.2.1",
          "1.2.2", "1.2.3", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8", "2.1", "2.2", "2.3",
          "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "10.1.1",
          "auto-fragmentation.1", "auto-fragmentation.2", "auto-fragmentation.3", "framing.1",
          "framing.2", "framing.3", "framing.4", "framing.5", "framing.6", "framing.7",
          "framing.8", "framing.9", "framing.10", "framing.11", "framing.12", "framing.13",
          "framing.14", "framing.15", "framing.16", "framing.17", "framing.18", "framing.19",
          "framing.20", "framing.21", "framing.22", "framing.23", "framing.24", "framing.25",
          "framing.26", "framing.27", "framing.28", "framing.29", "framing.30", "framing.31",
          "framing.32", "framing.33", "framing.34", "framing.35", "framing.36", "framing.37",
          "framing.38", "framing.39", "pings.1", "pings.2", "pings.3", "pings.4", "pings.5",
          "pings.6", "pings.7", "pings.8", "pings.9", "pings.10", "pings.11", "pings.12",
          "pings.13", "pings.14", "pings.15", "pings.16", "pings.17"],
)
EXPECTED["ignore-length-top-bit"] = Spec(  # believes a 64-bit length with the top bit set and waits for it
    run=["framing"],
    # Waiting for the impossible payload is non-strict (PROTOCOL.md 3).
    non_strict=["framing.23", "framing.24", "framing.25"],
)
EXPECTED["drop-non-minimal"] = Spec(  # silently discards frames whose length is not minimally encoded
    run=["framing", "pings", "close"],
    fail=["close.28", "framing.26", "framing.27", "framing.28", "framing.29", "pings.5",
          "pings.8"],
)
EXPECTED["lose-partial-header"] = Spec(  # discards a frame header split across reads
    run=["framing.1", "framing.7", "framing.8", "framing.14", "pings.9", "close.3", "1.1"],
    # close.3 drips its close one byte per segment: whether a header lands
    # split across the server's reads depends on how the segments coalesce.
    flaky=["framing.1", "framing.7", "framing.8", "framing.14", "pings.9", "close.3"],
)
EXPECTED["mask-offset-per-read"] = Spec(  # restarts the masking key offset at every read
    run=["framing", "2.6", "5.5"],
    # Every case whose frames can span two of the server's reads (chopped
    # writes, or payloads past the 7-bit lengths): where the reads fall is
    # timing, so each may pass or fail; at least one must fail.
    flaky=["1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8", "1.2.3", "1.2.4", "1.2.5",
           "1.2.6", "1.2.7", "1.2.8", "2.6", "5.5", "framing.1", "framing.2", "framing.3",
           "framing.4", "framing.5", "framing.6", "framing.7", "framing.8", "framing.9",
           "framing.10", "framing.11", "framing.12", "framing.13", "framing.14", "framing.15",
           "framing.17", "framing.18", "framing.19", "framing.20", "framing.21", "framing.22",
           "framing.25", "framing.35", "framing.39"],
)
EXPECTED["one-frame-per-read"] = Spec(  # handles the first frame of each read, discards the rest
    run=["framing.15", "framing.16", "framing.17", "pings.12", "close.4", "5.3", "5.6", "5.15", "fragmentation.8", "2.1"],
    flaky=["2.1", "5.3", "5.6", "5.15", "close.4", "fragmentation.8", "framing.15", "framing.16",
           "framing.17", "pings.12"],
)
EXPECTED["max-message-64k"] = Spec(  # messages over 65535 bytes are refused with 1009
    run=["framing", "fragmentation", "utf8", "close", "auto-fragmentation"],
    fail=["1.1.7", "1.1.8", "1.2.7", "1.2.8", "7.1.6", "10.1.1", "auto-fragmentation.1",
          "auto-fragmentation.2", "auto-fragmentation.3", "fragmentation.7", "framing.7",
          "framing.14", "framing.15", "utf8.24", "utf8.33", "utf8.38", "utf8.47"],
)
EXPECTED["text-as-binary"] = Spec(  # echoes text messages with the binary opcode
    run=["framing", "utf8", "auto-fragmentation"],
    fail=["1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8", "6.1.1",
          "6.1.2", "6.1.3", "6.2.1", "6.2.2", "6.2.3", "6.2.4", "6.5.1", "6.5.2", "6.5.3",
          "6.5.4", "6.5.5", "6.6.2", "6.6.5", "6.6.7", "6.6.9", "6.6.11", "6.7.1", "6.7.2",
          "6.7.3", "6.7.4", "6.9.1", "6.9.2", "6.9.3", "6.9.4", "6.11.1", "6.11.2", "6.11.3",
          "6.11.4", "6.22.1", "6.22.2", "6.22.3", "6.22.4", "6.22.5", "6.22.6", "6.22.7",
          "6.22.8", "6.22.9", "6.22.10", "6.22.11", "6.22.12", "6.22.13", "6.22.14", "6.22.15",
          "6.22.16", "6.22.17", "6.22.18", "6.22.19", "6.22.20", "6.22.21", "6.22.22", "6.22.23",
          "6.22.24", "6.22.25", "6.22.26", "6.22.27", "6.22.28", "6.22.29", "6.22.30", "6.22.31",
          "6.22.32", "6.22.33", "6.22.34", "6.23.1", "6.23.2", "6.23.3", "6.23.4", "6.23.5",
          "6.23.6", "6.23.7", "10.1.1", "auto-fragmentation.2", "auto-fragmentation.3",
          "framing.1", "framing.2", "framing.3", "framing.4", "framing.5", "framing.6",
          "framing.7", "framing.15", "framing.16", "framing.17", "framing.18", "framing.19",
          "framing.20", "framing.21", "framing.22", "framing.25", "framing.26", "framing.27",
          "framing.28", "framing.32", "framing.36", "framing.37", "utf8.1", "utf8.2", "utf8.3",
          "utf8.4", "utf8.5", "utf8.6", "utf8.7", "utf8.8", "utf8.9", "utf8.10", "utf8.28",
          "utf8.29", "utf8.30", "utf8.31", "utf8.32", "utf8.33", "utf8.34", "utf8.35", "utf8.36",
          "utf8.37", "utf8.38", "utf8.39", "utf8.40", "utf8.41"],
)

# -- reserved-bits ---------------------------------------------------------
EXPECTED["ignore-rsv"] = Spec(  # RSV bits never checked
    run=["reserved-bits", "close"],
    fail=["3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "close.23", "close.24", "close.25",
          "reserved-bits.1", "reserved-bits.2", "reserved-bits.3", "reserved-bits.4",
          "reserved-bits.5", "reserved-bits.6", "reserved-bits.7", "reserved-bits.8",
          "reserved-bits.9", "reserved-bits.10", "reserved-bits.11"],
)
EXPECTED["rsv1-only"] = Spec(  # only RSV1 checked (RSV2/RSV3 ignored)
    run=["reserved-bits", "close"],
    fail=["3.1", "3.2", "3.3", "close.24", "close.25", "reserved-bits.1", "reserved-bits.2",
          "reserved-bits.3"],
)
EXPECTED["rsv-data-only"] = Spec(  # RSV bits checked on data frames only
    run=["reserved-bits", "close"],
    fail=["3.6", "3.7", "close.23", "close.24", "close.25", "reserved-bits.8",
          "reserved-bits.10"],
)

# -- opcodes ---------------------------------------------------------------
EXPECTED["accept-reserved-opcodes"] = Spec(  # frames with opcodes 3-7, 0xB-0xF silently ignored
    run=["opcodes"],
    fail=["4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.1.5", "4.2.1", "4.2.2", "4.2.3", "4.2.4",
          "4.2.5", "opcodes.1", "opcodes.2", "opcodes.3", "opcodes.4", "opcodes.5", "opcodes.6",
          "opcodes.7", "opcodes.8", "opcodes.9", "opcodes.10"],
)
EXPECTED["accept-reserved-control-opcodes"] = Spec(  # opcodes 0xB-0xF silently ignored (3-7 still refused)
    run=["opcodes"],
    fail=["4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5", "opcodes.6", "opcodes.7", "opcodes.8",
          "opcodes.9", "opcodes.10"],
)

# -- pings -----------------------------------------------------------------
EXPECTED["no-pong"] = Spec(  # never answers pings
    run=["pings", "fragmentation", "close.5"],
    fail=["2.1", "2.2", "2.3", "2.4", "2.6", "2.9", "2.10", "2.11", "5.6", "5.7", "5.8", "5.19",
          "5.20", "close.5", "fragmentation.12", "fragmentation.13", "fragmentation.14",
          "fragmentation.15", "fragmentation.18", "pings.8", "pings.9", "pings.10", "pings.11",
          "pings.12", "pings.13", "pings.14", "pings.17"],
)
EXPECTED["pong-wrong-payload"] = Spec(  # pong payload shifted by one byte
    run=["pings", "fragmentation"],
    fail=["2.1", "2.2", "2.3", "2.4", "2.6", "2.9", "2.10", "2.11", "5.6", "5.7", "5.8", "5.19",
          "5.20", "fragmentation.12", "fragmentation.13", "fragmentation.14", "fragmentation.15",
          "fragmentation.18", "pings.8", "pings.9", "pings.10", "pings.11", "pings.12",
          "pings.13", "pings.14", "pings.17"],
)
EXPECTED["coalesce-pongs"] = Spec(  # answers only the last ping of each read (5.5.3: non-strict)
    run=["2.1", "2.10", "2.11", "pings.12", "pings.13", "pings.17", "framing.17",
         "fragmentation.12", "fragmentation.13", "fragmentation.14", "fragmentation.18"],
    non_strict=["2.10", "fragmentation.14", "framing.17", "pings.12", "pings.13"],
    # Whether the pings between one-byte fragments land in one read (and so
    # share a pong) depends on timing: pass or non-strict, never fail.
    lenient=["2.11", "fragmentation.12", "fragmentation.13", "fragmentation.18",
             "pings.17"],
)
EXPECTED["answer-pongs"] = Spec(  # answers unsolicited pongs with a pong
    run=["framing", "pings", "fragmentation"],
    fail=["2.7", "2.8", "2.9", "fragmentation.12", "fragmentation.13", "fragmentation.16",
          "framing.17", "pings.15", "pings.16", "pings.17"],
)
EXPECTED["allow-long-control"] = Spec(  # control frames over 125 bytes accepted (pong/close of any size)
    run=["framing", "pings", "close"],
    fail=["2.5", "7.3.6", "close.30", "framing.38", "framing.39", "pings.4", "pings.5",
          "pings.6"],
)
EXPECTED["allow-fragmented-control"] = Spec(  # control frames with FIN=0 accepted as complete
    run=["pings", "fragmentation", "close"],
    fail=["5.1", "close.22", "fragmentation.23", "pings.1", "pings.2", "pings.3", "pings.7"],
)

# -- fragmentation ---------------------------------------------------------
EXPECTED["control-ends-message"] = Spec(  # a ping inside a fragmented message ends (and echoes) it
    run=["pings", "fragmentation", "utf8"],
    fail=["5.6", "5.7", "5.8", "5.19", "5.20", "fragmentation.12", "fragmentation.13",
          "fragmentation.14", "fragmentation.15", "fragmentation.18", "pings.11", "pings.13",
          "utf8.46"],
)
EXPECTED["no-continuation-check"] = Spec(  # a continuation with nothing in progress starts a message
    run=["fragmentation"],
    fail=["5.9", "5.10", "5.11", "5.17", "fragmentation.19", "fragmentation.24"],
)
EXPECTED["allow-interleaved-data"] = Spec(  # a new data frame while a message is in progress starts over
    run=["fragmentation"],
    fail=["5.18", "fragmentation.20", "fragmentation.21", "fragmentation.22", "fragmentation.25"],
)
EXPECTED["fragments-as-messages"] = Spec(  # each fragment echoed as a message of its own
    run=["fragmentation", "auto-fragmentation", "utf8", "7.1"],
    fail=["5.3", "5.4", "5.5", "5.6", "5.7", "5.8", "5.15", "5.18", "5.19", "5.20", "6.1.2",
          "6.1.3", "6.2.2", "6.2.3", "6.2.4", "6.3.2", "6.4.2", "7.1.5", "10.1.1",
          "auto-fragmentation.1", "auto-fragmentation.2", "auto-fragmentation.3",
          "fragmentation.1", "fragmentation.2", "fragmentation.3", "fragmentation.4",
          "fragmentation.5", "fragmentation.6", "fragmentation.7", "fragmentation.8",
          "fragmentation.9", "fragmentation.10", "fragmentation.11", "fragmentation.12",
          "fragmentation.13", "fragmentation.14", "fragmentation.15", "fragmentation.16",
          "fragmentation.17", "fragmentation.18", "fragmentation.20", "fragmentation.21",
          "fragmentation.22", "fragmentation.23", "fragmentation.25", "utf8.1", "utf8.2",
          "utf8.3", "utf8.4", "utf8.5", "utf8.6", "utf8.7", "utf8.8", "utf8.9", "utf8.10",
          "utf8.11", "utf8.12", "utf8.13", "utf8.14", "utf8.15", "utf8.17", "utf8.35", "utf8.36",
          "utf8.37", "utf8.38", "utf8.39", "utf8.40", "utf8.44", "utf8.46", "utf8.48"],
)

# -- utf8 ------------------------------------------------------------------
EXPECTED["no-utf8-check"] = Spec(  # text never validated
    run=["utf8"],
    fail=["6.3.1", "6.3.2", "6.4.1", "6.4.2", "6.4.3", "6.4.4", "6.6.1", "6.6.3", "6.6.4",
          "6.6.6", "6.6.8", "6.6.10", "6.8.1", "6.8.2", "6.10.1", "6.10.2", "6.10.3", "6.11.5",
          "6.12.1", "6.12.2", "6.12.3", "6.12.4", "6.12.5", "6.12.6", "6.12.7", "6.12.8",
          "6.13.1", "6.13.2", "6.13.3", "6.13.4", "6.13.5", "6.14.1", "6.14.2", "6.14.3",
          "6.14.4", "6.14.5", "6.14.6", "6.14.7", "6.14.8", "6.14.9", "6.14.10", "6.15.1",
          "6.16.1", "6.16.2", "6.16.3", "6.17.1", "6.17.2", "6.17.3", "6.17.4", "6.17.5",
          "6.18.1", "6.18.2", "6.18.3", "6.18.4", "6.18.5", "6.19.1", "6.19.2", "6.19.3",
          "6.19.4", "6.19.5", "6.20.1", "6.20.2", "6.20.3", "6.20.4", "6.20.5", "6.20.6",
          "6.20.7", "6.21.1", "6.21.2", "6.21.3", "6.21.4", "6.21.5", "6.21.6", "6.21.7",
          "6.21.8", "utf8.11", "utf8.12", "utf8.13", "utf8.14", "utf8.15", "utf8.16", "utf8.17",
          "utf8.18", "utf8.19", "utf8.20", "utf8.21", "utf8.22", "utf8.23", "utf8.24", "utf8.25",
          "utf8.26", "utf8.27", "utf8.41", "utf8.42", "utf8.45", "utf8.46", "utf8.47", "utf8.48",
          "utf8.49"],
)
EXPECTED["utf8-per-frame"] = Spec(  # each frame validated on its own (split code points refused)
    run=["utf8", "auto-fragmentation"],
    fail=["6.2.3", "6.2.4", "6.4.2", "auto-fragmentation.3", "utf8.1", "utf8.3", "utf8.4",
          "utf8.6", "utf8.8", "utf8.10", "utf8.35", "utf8.36", "utf8.37", "utf8.38", "utf8.39",
          "utf8.40", "utf8.48"],
    non_strict=["6.4.3", "6.4.4", "utf8.47", "utf8.49"],
)
EXPECTED["utf8-at-end"] = Spec(  # validated only once the message is complete (fail-fast: non-strict)
    run=["utf8"],
    non_strict=["6.4.1", "6.4.2", "6.4.3", "6.4.4", "utf8.47", "utf8.48", "utf8.49"],
)
EXPECTED["utf8-frame-end"] = Spec(  # validated only once each frame is complete (in-frame fail-fast: non-strict)
    run=["utf8"],
    non_strict=["6.4.3", "6.4.4", "utf8.47", "utf8.49"],
)
EXPECTED["utf8-per-connection"] = Spec(  # one validator for the whole connection, no check at message end
    run=["utf8"],
    fail=["6.6.1", "6.6.3", "6.6.4", "6.6.6", "6.6.8", "6.6.10", "6.14.6", "6.14.7", "utf8.16",
          "utf8.17", "utf8.18", "utf8.42"],
)
EXPECTED["utf8-bit-pattern-only"] = Spec(  # only lead/continuation bit patterns checked (5/6-byte forms...)
    run=["utf8", "close"],
    fail=["6.3.1", "6.3.2", "6.4.1", "6.4.2", "6.4.3", "6.4.4", "6.8.1", "6.8.2", "6.10.1",
          "6.10.2", "6.10.3", "6.11.5", "6.17.1", "6.17.2", "6.17.3", "6.17.4", "6.17.5",
          "6.18.1", "6.18.2", "6.18.3", "6.18.4", "6.18.5", "6.19.1", "6.19.2", "6.19.3",
          "6.19.4", "6.19.5", "6.20.1", "6.20.2", "6.20.3", "6.20.4", "6.20.5", "6.20.6",
          "6.20.7", "6.21.1", "6.21.2", "6.21.3", "6.21.4", "6.21.5", "6.21.6", "6.21.7",
          "6.21.8", "7.5.1", "close.10", "close.12", "utf8.12", "utf8.13", "utf8.14", "utf8.19",
          "utf8.20", "utf8.21", "utf8.22", "utf8.25", "utf8.26", "utf8.27", "utf8.48"],
)
EXPECTED["accept-surrogates"] = Spec(  # ED A0-BF (surrogates) accepted
    run=["utf8", "close"],
    fail=["6.3.1", "6.3.2", "6.20.1", "6.20.2", "6.20.3", "6.20.4", "6.20.5", "6.20.6", "6.20.7",
          "6.21.1", "6.21.2", "6.21.3", "6.21.4", "6.21.5", "6.21.6", "6.21.7", "6.21.8",
          "7.5.1", "utf8.12", "utf8.19", "utf8.26", "utf8.48"],
)
EXPECTED["accept-overlong"] = Spec(  # overlong forms accepted (C0, C1, E0 80, F0 80)
    run=["utf8", "close"],
    fail=["6.17.1", "6.17.2", "6.17.3", "6.18.1", "6.18.2", "6.18.3", "6.19.1", "6.19.2",
          "6.19.3", "close.10", "utf8.14", "utf8.21", "utf8.25"],
)
EXPECTED["accept-above-max"] = Spec(  # code points above U+10FFFF accepted (F4 90, F5-F7)
    run=["utf8", "close"],
    fail=["6.4.1", "6.4.2", "6.4.3", "6.4.4", "6.10.1", "6.11.5", "close.12", "utf8.13",
          "utf8.20", "utf8.22", "utf8.27"],
)
EXPECTED["accept-truncated"] = Spec(  # a message or reason ending inside a code point accepted
    run=["utf8", "close"],
    fail=["6.6.1", "6.6.3", "6.6.4", "6.6.6", "6.6.8", "6.6.10", "6.14.6", "6.14.7", "close.9",
          "utf8.16", "utf8.17", "utf8.18", "utf8.42"],
)
EXPECTED["utf8-ascii-only"] = Spec(  # any byte >= 0x80 in text refused with 1007
    run=["utf8", "close", "auto-fragmentation"],
    fail=["6.2.1", "6.2.2", "6.2.3", "6.2.4", "6.4.1", "6.4.2", "6.4.3", "6.4.4", "6.5.2",
          "6.5.3", "6.5.4", "6.5.5", "6.6.2", "6.6.5", "6.6.7", "6.6.9", "6.6.11", "6.7.2",
          "6.7.3", "6.7.4", "6.9.2", "6.9.3", "6.9.4", "6.11.1", "6.11.2", "6.11.3", "6.11.4",
          "6.22.1", "6.22.2", "6.22.3", "6.22.4", "6.22.5", "6.22.6", "6.22.7", "6.22.8",
          "6.22.9", "6.22.10", "6.22.11", "6.22.12", "6.22.13", "6.22.14", "6.22.15", "6.22.16",
          "6.22.17", "6.22.18", "6.22.19", "6.22.20", "6.22.21", "6.22.22", "6.22.23", "6.22.24",
          "6.22.25", "6.22.26", "6.22.27", "6.22.28", "6.22.29", "6.22.30", "6.22.31", "6.22.32",
          "6.22.33", "6.22.34", "6.23.1", "6.23.2", "6.23.3", "6.23.4", "6.23.5", "6.23.6",
          "6.23.7", "auto-fragmentation.3", "close.6", "close.7", "close.11", "utf8.1", "utf8.2",
          "utf8.3", "utf8.4", "utf8.5", "utf8.6", "utf8.7", "utf8.8", "utf8.9", "utf8.10",
          "utf8.28", "utf8.29", "utf8.30", "utf8.32", "utf8.33", "utf8.34", "utf8.35", "utf8.36",
          "utf8.37", "utf8.38", "utf8.39", "utf8.40", "utf8.48"],
)
EXPECTED["reject-noncharacters"] = Spec(  # noncharacters (U+FFFE, U+FFFF, U+FDD0...) refused
    run=["utf8", "close"],
    fail=["6.9.3", "6.9.4", "6.11.4", "6.22.1", "6.22.2", "6.22.3", "6.22.4", "6.22.5", "6.22.6",
          "6.22.7", "6.22.8", "6.22.9", "6.22.10", "6.22.11", "6.22.12", "6.22.13", "6.22.14",
          "6.22.15", "6.22.16", "6.22.17", "6.22.18", "6.22.19", "6.22.20", "6.22.21", "6.22.22",
          "6.22.23", "6.22.24", "6.22.25", "6.22.26", "6.22.27", "6.22.28", "6.22.29", "6.22.30",
          "6.22.31", "6.22.32", "6.22.33", "6.22.34", "6.23.6", "6.23.7", "close.11", "utf8.28",
          "utf8.35"],
)
EXPECTED["reject-nul"] = Spec(  # NUL in text refused
    run=["utf8", "close"],
    fail=["6.7.1", "close.11", "utf8.31"],
)
EXPECTED["validate-binary"] = Spec(  # binary messages validated as UTF-8
    run=["framing", "fragmentation", "utf8", "auto-fragmentation"],
    fail=["1.2.2", "1.2.3", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8", "auto-fragmentation.1",
          "fragmentation.4", "fragmentation.5", "fragmentation.6", "fragmentation.18",
          "fragmentation.22", "framing.9", "framing.10", "framing.11", "framing.12",
          "framing.13", "framing.14", "framing.15", "framing.17", "framing.18", "framing.19",
          "framing.20", "framing.21", "framing.22", "framing.36", "framing.37", "utf8.43",
          "utf8.44"],
    non_strict=["utf8.45"],
)
EXPECTED["strip-bom"] = Spec(  # a leading byte order mark is stripped from echoed text
    run=["utf8"],
    fail=["utf8.29", "utf8.30"],
)

# -- close -----------------------------------------------------------------
EXPECTED["any-close-code"] = Spec(  # echoes any close code (0, 1005, 5000...)
    run=["close"],
    fail=["7.9.1", "7.9.2", "7.9.3", "7.9.4", "7.9.5", "7.9.6", "7.9.7", "7.9.8", "7.9.9",
          "7.13.1", "7.13.2", "close.16", "close.17", "close.18", "close.19", "close.20",
          "close.21"],
)
EXPECTED["reject-private-codes"] = Spec(  # close codes 3000-4999 refused with 1002
    run=["close"],
    fail=["7.7.10", "7.7.11", "7.7.12", "7.7.13"],
)
EXPECTED["answer-close-1001"] = Spec(  # answers every close with 1001
    run=["framing", "pings", "fragmentation", "utf8", "close", "auto-fragmentation", "handshake"],
    fail=["1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8", "1.2.1",
          "1.2.2", "1.2.3", "1.2.4", "1.2.5", "1.2.6", "1.2.7", "1.2.8", "2.1", "2.2", "2.3",
          "2.4", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "5.3", "5.4", "5.5", "5.6", "5.7",
          "5.8", "5.19", "5.20", "6.1.1", "6.1.2", "6.1.3", "6.2.1", "6.2.2", "6.2.3", "6.2.4",
          "6.5.1", "6.5.2", "6.5.3", "6.5.4", "6.5.5", "6.6.2", "6.6.5", "6.6.7", "6.6.9",
          "6.6.11", "6.7.1", "6.7.2", "6.7.3", "6.7.4", "6.9.1", "6.9.2", "6.9.3", "6.9.4",
          "6.11.1", "6.11.2", "6.11.3", "6.11.4", "6.22.1", "6.22.2", "6.22.3", "6.22.4",
          "6.22.5", "6.22.6", "6.22.7", "6.22.8", "6.22.9", "6.22.10", "6.22.11", "6.22.12",
          "6.22.13", "6.22.14", "6.22.15", "6.22.16", "6.22.17", "6.22.18", "6.22.19", "6.22.20",
          "6.22.21", "6.22.22", "6.22.23", "6.22.24", "6.22.25", "6.22.26", "6.22.27", "6.22.28",
          "6.22.29", "6.22.30", "6.22.31", "6.22.32", "6.22.33", "6.22.34", "6.23.1", "6.23.2",
          "6.23.3", "6.23.4", "6.23.5", "6.23.6", "6.23.7", "7.1.1", "7.1.2", "7.1.3", "7.1.4",
          "7.1.5", "7.1.6", "7.3.1", "7.3.3", "7.3.4", "7.3.5", "7.7.1", "7.7.3", "7.7.4",
          "7.7.5", "7.7.6", "7.7.7", "7.7.8", "7.7.9", "7.7.10", "7.7.11", "7.7.12", "7.7.13",
          "10.1.1", "auto-fragmentation.1", "auto-fragmentation.2", "auto-fragmentation.3",
          "close.1", "close.2", "close.3", "close.4", "close.5", "close.6", "close.7", "close.8",
          "close.11", "close.13", "close.14", "close.15", "close.26", "close.28",
          "fragmentation.1", "fragmentation.2", "fragmentation.3", "fragmentation.4",
          "fragmentation.5", "fragmentation.6", "fragmentation.7", "fragmentation.8",
          "fragmentation.9", "fragmentation.10", "fragmentation.11", "fragmentation.12",
          "fragmentation.13", "fragmentation.14", "fragmentation.15", "fragmentation.16",
          "fragmentation.17", "fragmentation.18", "framing.1", "framing.2", "framing.3",
          "framing.4", "framing.5", "framing.6", "framing.7", "framing.8", "framing.9",
          "framing.10", "framing.11", "framing.12", "framing.13", "framing.14", "framing.15",
          "framing.16", "framing.17", "framing.18", "framing.19", "framing.20", "framing.21",
          "framing.22", "framing.26", "framing.27", "framing.28", "framing.29", "framing.36",
          "framing.37", "hs.1", "hs.2", "hs.3", "hs.4", "hs.5", "hs.6", "hs.7", "hs.8", "hs.9",
          "hs.10", "hs.29", "hs.30", "hs.31", "hs.37", "hs.38", "hs.39", "hs.55",
          "hs.56", "hs.57", "hs.58", "hs.59", "hs.64", "pings.8", "pings.9", "pings.10",
          "pings.11", "pings.12", "pings.13", "pings.14", "pings.15", "pings.16", "pings.17",
          "utf8.1", "utf8.2", "utf8.3", "utf8.4", "utf8.5", "utf8.6", "utf8.7", "utf8.8",
          "utf8.9", "utf8.10", "utf8.28", "utf8.29", "utf8.30", "utf8.31", "utf8.32", "utf8.33",
          "utf8.34", "utf8.35", "utf8.36", "utf8.37", "utf8.38", "utf8.39", "utf8.40", "utf8.43",
          "utf8.44"],
)
EXPECTED["reject-empty-close"] = Spec(  # an empty close is refused with 1002
    run=["close"],
    fail=["7.3.1"],
)
EXPECTED["never-answer-close"] = Spec(  # a bad close gets no answer and TCP stays open (the loophole)
    run=["close", "reserved-bits", "framing.3"],
    fail=["3.7", "7.3.2", "7.3.6", "7.5.1", "7.9.1", "7.9.2", "7.9.3", "7.9.4", "7.9.5", "7.9.6",
          "7.9.7", "7.9.8", "7.9.9", "7.13.1", "7.13.2", "close.9", "close.10", "close.12",
          "close.16", "close.17", "close.18", "close.19", "close.20", "close.21", "close.22",
          "close.23", "close.24", "close.25", "close.27", "close.29", "close.30",
          "reserved-bits.10"],
)
EXPECTED["close-1-byte-ok"] = Spec(  # a 1-byte close payload is taken as a normal close (1000)
    run=["close"],
    fail=["7.3.2"],
)
EXPECTED["no-reason-utf8-check"] = Spec(  # the close reason is not validated
    run=["close"],
    fail=["7.5.1", "close.9", "close.10", "close.12", "close.29"],
)
EXPECTED["close-check-at-frame-end"] = Spec(  # the close frame is validated once complete (fail-fast: non-strict)
    run=["close"],
    non_strict=["close.29", "close.30"],
)
EXPECTED["echo-after-close"] = Spec(  # keeps processing frames (echo, pong, close) after a close, answers it late
    run=["close"],
    fail=["7.1.2", "7.1.3", "7.1.4", "7.1.5", "7.1.6", "close.1", "close.2"],
)
EXPECTED["client-closes-tcp"] = Spec(  # waits for the client to close TCP first (non-strict)
    run=["close", "pings"],
    non_strict=["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "7.1.1",
                "7.1.2", "7.1.3", "7.1.4", "7.1.5", "7.1.6", "7.3.1", "7.3.2", "7.3.3", "7.3.4",
                "7.3.5", "7.3.6", "7.5.1", "7.7.1", "7.7.2", "7.7.3", "7.7.4", "7.7.5", "7.7.6",
                "7.7.7", "7.7.8", "7.7.9", "7.7.10", "7.7.11", "7.7.12", "7.7.13", "7.9.1", "7.9.2",
                "7.9.3", "7.9.4", "7.9.5", "7.9.6", "7.9.7", "7.9.8", "7.9.9", "7.13.1", "7.13.2",
                "close.1", "close.2", "close.3", "close.4", "close.5", "close.6", "close.7", "close.8",
                "close.9", "close.10", "close.11", "close.12", "close.16", "close.17", "close.18",
                "close.19", "close.20", "close.21", "close.22", "close.23", "close.24", "close.25",
                "close.26", "close.27", "close.29", "close.30", "pings.1", "pings.2", "pings.3",
                "pings.4", "pings.5", "pings.6", "pings.7", "pings.9", "pings.10", "pings.11",
                "pings.12", "pings.13", "pings.14", "pings.15", "pings.16", "pings.17"],
)
# Every case in which a conformant server must fail the connection (a close
# frame with 1002/1007/1009, then TCP close): the two faults below get it
# wrong in two different ways.
FAILS_THE_CONNECTION = ["2.5", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "4.1.1", "4.1.2", "4.1.3",
                "4.1.4", "4.1.5", "4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5", "5.1", "5.2", "5.9",
                "5.10", "5.11", "5.12", "5.13", "5.14", "5.15", "5.16", "5.17", "5.18", "6.3.1",
                "6.3.2", "6.4.1", "6.4.2", "6.4.3", "6.4.4", "6.6.1", "6.6.3", "6.6.4", "6.6.6",
                "6.6.8", "6.6.10", "6.8.1", "6.8.2", "6.10.1", "6.10.2", "6.10.3", "6.11.5", "6.12.1",
                "6.12.2", "6.12.3", "6.12.4", "6.12.5", "6.12.6", "6.12.7", "6.12.8", "6.13.1",
                "6.13.2", "6.13.3", "6.13.4", "6.13.5", "6.14.1", "6.14.2", "6.14.3", "6.14.4",
                "6.14.5", "6.14.6", "6.14.7", "6.14.8", "6.14.9", "6.14.10", "6.15.1", "6.16.1",
                "6.16.2", "6.16.3", "6.17.1", "6.17.2", "6.17.3", "6.17.4", "6.17.5", "6.18.1",
                "6.18.2", "6.18.3", "6.18.4", "6.18.5", "6.19.1", "6.19.2", "6.19.3", "6.19.4",
                "6.19.5", "6.20.1", "6.20.2", "6.20.3", "6.20.4", "6.20.5", "6.20.6", "6.20.7",
                "6.21.1", "6.21.2", "6.21.3", "6.21.4", "6.21.5", "6.21.6", "6.21.7", "6.21.8",
                "7.3.2", "7.3.6", "7.5.1", "7.9.1", "7.9.2", "7.9.3", "7.9.4", "7.9.5", "7.9.6",
                "7.9.7", "7.9.8", "7.9.9", "7.13.1", "7.13.2", "close.9", "close.10", "close.12",
                "close.16", "close.17", "close.18", "close.19", "close.20", "close.21", "close.22",
                "close.23", "close.24", "close.25", "close.27", "close.29", "close.30",
                "fragmentation.19", "fragmentation.20", "fragmentation.21", "fragmentation.22",
                "fragmentation.23", "fragmentation.24", "fragmentation.25", "framing.23", "framing.24",
                "framing.25", "framing.30", "framing.31", "framing.32", "framing.33", "framing.34",
                "framing.35", "framing.38", "framing.39", "opcodes.1", "opcodes.2", "opcodes.3",
                "opcodes.4", "opcodes.5", "opcodes.6", "opcodes.7", "opcodes.8", "opcodes.9",
                "opcodes.10", "opcodes.11", "opcodes.12", "opcodes.13", "opcodes.14", "opcodes.15",
                "opcodes.16", "opcodes.17", "opcodes.18", "opcodes.19", "opcodes.20", "pings.1",
                "pings.2", "pings.3", "pings.4", "pings.5", "pings.6", "pings.7", "reserved-bits.1",
                "reserved-bits.2", "reserved-bits.3", "reserved-bits.4", "reserved-bits.5",
                "reserved-bits.6", "reserved-bits.7", "reserved-bits.8", "reserved-bits.9",
                "reserved-bits.10", "reserved-bits.11", "utf8.11", "utf8.12", "utf8.13", "utf8.14",
                "utf8.15", "utf8.16", "utf8.17", "utf8.18", "utf8.19", "utf8.20", "utf8.21", "utf8.22",
                "utf8.23", "utf8.24", "utf8.25", "utf8.26", "utf8.27", "utf8.41", "utf8.42", "utf8.45",
                "utf8.46", "utf8.47", "utf8.48", "utf8.49"]

EXPECTED["drop-instead-of-close"] = Spec(  # fails connections by dropping TCP without a close frame (non-strict)
    run=["framing", "pings", "reserved-bits", "opcodes", "fragmentation", "close", "utf8"],
    non_strict=FAILS_THE_CONNECTION,
)
# Where failing the connection with another code is still failing it: the
# unmasked frames (RFC 6455 5.1 makes the 1002 a MAY), a 64-bit length with
# the top bit set (PROTOCOL.md 3), and an invalid close code received (RFC
# 6455 7.4 leaves the receiver's action open).
OTHER_CODE_NON_STRICT = (["framing.23", "framing.24", "framing.25", "framing.30", "framing.31",
                          "framing.32", "framing.33", "framing.34", "framing.35", "close.27",
                          "7.13.1", "7.13.2", "close.16", "close.17", "close.18", "close.19",
                          "close.20", "close.21"] + ids("7.9.", 1, 9))

EXPECTED["wrong-fail-code"] = Spec(  # fails with 1000 instead of 1002/1007
    run=["framing", "pings", "reserved-bits", "opcodes", "fragmentation", "close", "utf8"],
    fail=[i for i in FAILS_THE_CONNECTION if i not in OTHER_CODE_NON_STRICT],
    non_strict=OTHER_CODE_NON_STRICT,
)

# -- compression (permessage-deflate, RFC 7692) ------------------------------
# The compression area is not in AREAS (test_every_case_can_fail does not ask
# every compression case to be caught); each fault runs only the cases meant
# for it. The baseline declines offers asking server_max_window_bits=8
# (Python's zlib cannot deflate with a window of 8; RFC 7692 7.1.2.1 lets it
# decline), see test_baseline_compression.
EXPECTED["deflate-rsv1-continuation"] = Spec(  # sets RSV1 on every frame of its (always fragmented) compressed echoes
    run=["12.1", "pmd.1", "pmd.56", "pmd.70", "pmd.80", "pmd.82"],
    fail=ids("12.1.", 1, 18) + ["pmd.1", "pmd.56", "pmd.80", "pmd.82"],
)
EXPECTED["deflate-ignore-no-context-takeover"] = Spec(  # answers server_no_context_takeover but keeps its window
    # a few 13.2/13.6 rows only: each failing row waits out the harness's
    # 10 s deadline (the whole of 13.2 and 13.6 fail the same way)
    run=["pmd.80", "pmd.84", "13.2.1", "13.2.10", "13.6.1", "13.6.10"],
    fail=["pmd.80", "13.2.1", "13.2.10", "13.6.1", "13.6.10"],
)
EXPECTED["deflate-wrong-window"] = Spec(  # answers server_max_window_bits=N but compresses with a window of 15
    run=["pmd.80", "pmd.81", "pmd.82", "pmd.83", "pmd.84", "pmd.85", "13.4"],
    fail=["pmd.82", "pmd.83"],
)
EXPECTED["deflate-unoffered-param"] = Spec(  # answers client_max_window_bits=15 when none was offered
    run=["pmd.1", "pmd.2", "pmd.3", "pmd.4", "pmd.5", "pmd.6", "pmd.7", "pmd.56", "pmd.57"],
    fail=["pmd.1", "pmd.2", "pmd.3", "pmd.4", "pmd.6", "pmd.7", "pmd.56"],
)
EXPECTED["deflate-no-inflate-bound"] = Spec(  # inflates without a bound (256 MiB safety cap, then drops; no 1009)
    run=["pmd.90", "pmd.91"],
    caught=["pmd.90", "pmd.91"],
)

# Cases no faulty echo server can be made to fail, with the reason. Keep it
# short: each entry is a hole in "every case can fail".
ALLOW_LIST: dict[str, str] = {
    "hs.11": "frames pipelined before the 101 break a client MUST (RFC 6455 4.1): the case "
             "only records what the server does",
}


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

class FaultyServer:
    def __init__(self, faults: list[str], healthy_first: int = 0):
        args = [PYTHON, str(SERVER), "--port", "0", "--healthy-first", str(healthy_first)]
        for f in faults:
            args += ["--fault", f]
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)
        deadline = time.monotonic() + 15
        line = ""
        # the first line comes within milliseconds; readline is bounded by
        # the process: if it dies, stdout closes
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().strip()
            if line or self.proc.poll() is not None:
                break
        m = LISTEN_RE.match(line)
        if not m:
            self.stop()
            raise RuntimeError(f"faulty server {faults} did not start: {line!r}")
        self.url = m.group(1)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.err.seek(0)
        text = self.err.read().decode(errors="replace")
        self.err.close()
        return text


@dataclass
class Run:
    rc: int
    verdicts: dict[str, str]
    reasons: dict[str, str]
    stderr: str
    seconds: float


def run_wsprobe(url: str | None, patterns: list[str] | None, jobs: int = 8,
                allow_no_results: bool = False) -> Run:
    with tempfile.TemporaryDirectory(prefix="wsprobe-faulty-") as tmp:
        json_path = Path(tmp) / "results.json"
        args = [str(BINARY), "test"] + ([url] if url else [])
        if patterns:
            args += ["--cases", ",".join(patterns)]
        args += ["--json", str(json_path), "--out", tmp, "-j", str(jobs)]
        t0 = time.monotonic()
        proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT)
        seconds = time.monotonic() - t0
        if not json_path.exists():
            if allow_no_results:
                return Run(proc.returncode, {}, {}, proc.stderr, time.monotonic() - t0)
            raise AssertionError(f"{args} wrote no results.json (exit {proc.returncode}): "
                                 f"{proc.stderr[-2000:]}")
        results = json.loads(json_path.read_text())
    verdicts = {c["id"]: c["verdict"] for c in results["cases"]}
    reasons = {c["id"]: f'{c["verdict"]}: {c.get("reason", "")} (observed: '
                        f'{c.get("observed", "")})' for c in results["cases"]}
    return Run(proc.returncode, verdicts, reasons, proc.stderr, seconds)


def run_fault(fault: str | None, patterns: list[str] | None, healthy_first: int = 0,
              allow_no_results: bool = False) -> Run:
    server = FaultyServer([fault] if fault else [], healthy_first)
    try:
        run = run_wsprobe(server.url, patterns, allow_no_results=allow_no_results)
    finally:
        err = server.stop()
    if "internal error" in err:
        raise AssertionError(f"faulty server ({fault}) hit a bug of its own: {err[-2000:]}")
    return run


def _requirerelease_binary():
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `make build/wsprobe` first", pytrace=False)


@pytest.fixture(scope="module")
def fault_runs(request):
    """Runs every fault the session selected, a few at a time; maps fault ->
    Run (or the exception it raised)."""
    _requirerelease_binary()
    wanted = []
    for item in request.session.items:
        cs = getattr(item, "callspec", None)
        if cs is not None and "fault" in cs.params and item.module is request.module:
            wanted.append(cs.params["fault"])
    out: dict[str, object] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=FAULT_WORKERS) as pool:
        futs = {pool.submit(run_fault, f, EXPECTED[f].run, EXPECTED[f].healthy_first): f
                for f in dict.fromkeys(wanted)}
        for fut in concurrent.futures.as_completed(futs):
            try:
                out[futs[fut]] = fut.result()
            except Exception as exc:  # reported by the test of that fault
                out[futs[fut]] = exc
    return out


BASELINE_OK = ("pass", "informational")


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

# Known disagreements between a fault's documented grade and what the harness
# gives today; strict xfails, so they flag themselves once fixed.
KNOWN_BROKEN = {
}


@pytest.mark.parametrize("fault", [
    pytest.param(f, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[f]))
    if f in KNOWN_BROKEN else f for f in sorted(EXPECTED)])
def test_fault_is_caught(fault, fault_runs):
    run = fault_runs[fault]
    if isinstance(run, Exception):
        raise run
    spec = EXPECTED[fault]
    want = {i: "fail" for i in spec.fail}
    want.update({i: "non-strict" for i in spec.non_strict})
    problems = []
    for case_id, verdict in sorted(want.items()):
        got = run.verdicts.get(case_id)
        if got is None:
            problems.append(f"{case_id}: not in the run (patterns {spec.run})")
        elif got != verdict:
            problems.append(f"{case_id}: expected {verdict}, got {run.reasons[case_id]}")
    flaky = [i for i in spec.flaky if i in run.verdicts]
    if spec.flaky and not any(run.verdicts[i] == "fail" for i in flaky):
        problems.append(f"none of the read-boundary cases failed: {spec.flaky}")
    for case_id in flaky:
        # A garbled stream may also make the server fail the connection early,
        # which some cases grade non-strict.
        if run.verdicts[case_id] not in ("fail", "pass", "non-strict"):
            problems.append(f"{case_id}: expected fail, pass or non-strict, got "
                            f"{run.reasons[case_id]}")
    for case_id in spec.lenient:
        if run.verdicts.get(case_id) not in ("pass", "non-strict"):
            problems.append(f"{case_id}: expected pass or non-strict, got "
                            f"{run.reasons.get(case_id, 'nothing')}")
    for case_id in spec.caught:
        if run.verdicts.get(case_id) not in ("fail", "non-strict"):
            problems.append(f"{case_id}: expected fail or non-strict, got "
                            f"{run.reasons.get(case_id, 'nothing')}")
    for case_id, got in sorted(run.verdicts.items()):
        if (case_id not in want and case_id not in spec.flaky and case_id not in spec.lenient
                and case_id not in spec.caught and got not in BASELINE_OK):
            problems.append(f"{case_id}: not expected to be affected, got {run.reasons[case_id]}")
    expect_rc = 1 if spec.fail or spec.flaky or any(
        run.verdicts.get(i) == "fail" for i in spec.caught) else 0
    if run.rc != expect_rc:
        problems.append(f"exit status {run.rc}, expected {expect_rc}: {run.stderr[-500:]}")
    assert not problems, f"fault {fault}:\n  " + "\n  ".join(problems)


def test_every_fault_has_expectations():
    assert sorted(EXPECTED) == sorted(FAULTS)
    for name, spec in EXPECTED.items():
        assert spec.fail or spec.non_strict or spec.flaky or spec.caught, name


@pytest.mark.parametrize("fault", sorted(f for f, s in EXPECTED.items() if s.healthy_first))
def test_an_invalid_101_is_a_finding_not_a_run_that_cannot_be_done(fault):
    """Faults that break every upgrade: with the fault on every connection,
    the preflight sees the invalid 101, says so, and the run goes on: the
    handshake cases fail and the exit status is 1 (not 2: "could not run"
    would hide the violation)."""
    _requirerelease_binary()
    run = run_fault(fault, ["hs.1"], healthy_first=0, allow_no_results=True)
    assert run.rc == 1, (run.rc, run.stderr)
    assert "every case that needs the opening handshake will fail" in run.stderr, run.stderr
    assert run.verdicts == {"hs.1": "fail"}, run.reasons


def test_baseline_is_conformant():
    """No fault: the whole catalogue passes (or records informational)."""
    _requirerelease_binary()
    run = run_fault(None, list(AREAS))
    bad = {i: run.reasons[i] for i, v in run.verdicts.items() if v not in BASELINE_OK}
    assert not bad, "baseline faulty server is not conformant:\n" + "\n".join(
        f"  {i}: {r}" for i, r in sorted(bad.items()))
    assert run.rc == 0, run.stderr[-2000:]


# Compression cases the baseline may leave unimplemented: it declines offers
# asking server_max_window_bits=8 (RFC 7692 7.1.2.1 allows it).
BASELINE_DECLINES_WINDOW_8 = ids("13.3.", 1, 18) + ids("13.5.", 1, 18)


def test_baseline_compression():
    """No fault: the compression cases pass (informational where declining
    is graded so; unimplemented only where the offer asks window 8)."""
    _requirerelease_binary()
    run = run_fault(None, ["compression"])
    assert run.verdicts, "no compression cases ran"
    bad = {i: run.reasons[i] for i, v in run.verdicts.items()
           if v not in BASELINE_OK and not (v == "unimplemented" and i in BASELINE_DECLINES_WINDOW_8)}
    assert not bad, "baseline faulty server is not conformant on compression:\n" + "\n".join(
        f"  {i}: {r}" for i, r in sorted(bad.items()))
    assert run.rc == 0, run.stderr[-2000:]


def test_compression_faults_are_in_their_area():
    for name, (area, _) in FAULTS.items():
        if name.startswith("deflate-"):
            assert area == "compression", name
            assert name in EXPECTED, name


def test_reference_server_has_no_fail():
    _requirerelease_binary()
    run = run_wsprobe(None, None)
    bad = {i: run.reasons[i] for i, v in run.verdicts.items() if v in ("fail", "error")}
    assert not bad, "reference server:\n" + "\n".join(f"  {i}: {r}" for i, r in sorted(bad.items()))
    assert run.rc == 0, run.stderr[-2000:]


def catalogue_ids() -> dict[str, str]:
    """id -> area for every case `wsprobe list` shows."""
    proc = subprocess.run([str(BINARY), "list"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] in AREAS + ("robustness",):
            out[parts[0]] = parts[1]
    assert out, f"could not parse `wsprobe list`: {proc.stdout[:500]!r}"
    return out


def test_every_case_can_fail():
    """Each case id of the nine protocol areas is caught by some fault
    (fail or non-strict) or is on the allow-list with a reason."""
    _requirerelease_binary()
    caught = set()
    for spec in EXPECTED.values():
        caught.update(spec.fail, spec.non_strict, spec.caught)
    cat = catalogue_ids()
    missing = sorted((i for i, area in cat.items() if area in AREAS
                      and i not in caught and i not in ALLOW_LIST), key=_idkey)
    assert not missing, f"{len(missing)} cases no fault can fail: {missing}"
    stale = sorted(set(ALLOW_LIST) - set(cat))
    assert not stale, f"allow-listed ids that are not in the catalogue: {stale}"
    both = sorted(set(ALLOW_LIST) & caught)
    assert not both, f"allow-listed ids that a fault does catch: {both}"


def _idkey(case_id: str):
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in case_id.split(".")]
