"""Evidence first: a target that stops answering gives errors, not findings,
and an invalid 101 gives findings, not "the run could not be done".

Against tests/faulty/faulty_server.py:
  - --die-after N: the server exits after N connections (a crash mid-run);
  - --reset-after 1: every connection after the preflight is reset unread;
  - --fault wrong-accept / unoffered-extension / unoffered-protocol: every
    101 it sends is invalid.

For the first two, every case that never got an HTTP response is `error`
with reason code `target-unavailable` (none is fail or non-strict), the exit
status is 2 when errors are all there is and 1 when a case also failed, and
the terminal, summary.md and results.json say once that the target stopped
answering. For the invalid 101s, the run is done and reported (exit 1), and
every case that needs the handshake fails with reason code
`handshake-invalid` and the precise reason.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest
from release_binary import release_binary

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "faulty" / "faulty_server.py"
PYTHON = "/usr/bin/python3"
LISTEN_RE = re.compile(r"^listening on (ws://127\.0\.0\.1:\d+/)$")
RUN_TIMEOUT = 240.0
# Frame-level areas: their cases use the default handshake, so none of them
# is about the handshake itself.
FRAME_CASES = "framing,pings,2,3"




BINARY = release_binary()


class Server:
    def __init__(self, *args: str):
        self.proc = subprocess.Popen([PYTHON, str(SERVER), "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        m = LISTEN_RE.match(line)
        assert m, f"faulty_server did not start: {line!r}"
        self.url = m.group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(url: str, out: Path, cases: str) -> tuple[int, str, dict, str]:
    r = subprocess.run([str(BINARY), "test", url, "--cases", cases, "--out", str(out)],
                       capture_output=True, text=True, timeout=RUN_TIMEOUT)
    results = json.loads((out / "results.json").read_text())
    summary = (out / "summary.md").read_text()
    return r.returncode, r.stdout + r.stderr, results, summary


def by_code(results: dict, code: str) -> list[dict]:
    return [c for c in results["cases"] if c["reason_code"] == code]


def assert_unreached_cases_are_errors(results: dict) -> list[dict]:
    """Every case whose target never answered its handshake is an error."""
    unreached = [c for c in results["cases"]
                 if "no complete HTTP response" in c["observed"]
                 or c["reason_code"] == "target-unavailable"]
    assert unreached, "the target never stopped answering"
    for c in unreached:
        assert c["verdict"] == "error", (c["id"], c["verdict"], c["reason"])
        assert c["reason_code"] == "target-unavailable", (c["id"], c["reason_code"])
    return unreached


def assert_said_once(text: str, summary: str, results: dict, unreached: list) -> None:
    lost = results["target_lost"]
    assert lost is not None
    assert lost["cases"] == len(unreached)
    assert lost["since_ms"] >= 0
    assert text.count("the target stopped answering") == 1, text
    assert summary.count("The target stopped answering") == 1, summary


def test_a_server_that_dies_mid_run(tmp_path):
    server = Server("--die-after", "25")
    try:
        status, text, results, summary = run(server.url, tmp_path, FRAME_CASES)
    finally:
        server.stop()
    unreached = assert_unreached_cases_are_errors(results)
    assert_said_once(text, summary, results, unreached)
    # The cases it served before dying were graded on what they saw.
    assert results["summary"]["pass"] > 0
    counts = results["summary"]
    assert status == (1 if counts["fail"] else 2), (status, counts)


def test_a_server_that_resets_every_connection_after_the_preflight(tmp_path):
    server = Server("--reset-after", "1")
    try:
        status, text, results, summary = run(server.url, tmp_path, FRAME_CASES)
    finally:
        server.stop()
    unreached = assert_unreached_cases_are_errors(results)
    assert len(unreached) == len(results["cases"]), "no case reached its subject"
    assert results["summary"]["fail"] == 0
    assert results["summary"]["non_strict"] == 0
    assert status == 2, text
    assert_said_once(text, summary, results, unreached)


@pytest.mark.parametrize("fault, words", [
    ("wrong-accept", "Sec-WebSocket-Accept"),
    ("unoffered-extension", "extension"),
    ("unoffered-protocol", "subprotocol"),
])
def test_an_invalid_101_is_a_failure_and_the_run_is_reported(tmp_path, fault, words):
    server = Server("--fault", fault)
    try:
        status, text, results, _ = run(server.url, tmp_path, FRAME_CASES + ",hs.47")
    finally:
        server.stop()
    assert status == 1, text
    assert "every case that needs the opening handshake will fail" in text
    for name in ("results.json", "index.html", "junit.xml", "summary.md"):
        assert (tmp_path / name).is_file(), name
    needing = [c for c in results["cases"] if c["area"] != "handshake"]
    assert needing
    for c in needing:
        assert c["verdict"] == "fail", (c["id"], c["verdict"], c["reason"])
        assert c["reason_code"] == "handshake-invalid", (c["id"], c["reason_code"])
        assert words in c["reason"] and "RFC 6455" in c["reason"], c["reason"]
    # A case about a refused handshake still grades the refusal itself.
    hs47 = next(c for c in results["cases"] if c["id"] == "hs.47")
    assert hs47["verdict"] == "pass", hs47
