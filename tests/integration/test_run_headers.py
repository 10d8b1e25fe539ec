"""--header and --origin reach every request the harness sends, raw-request
cases included: a server behind a token (tests/faulty/faulty_server.py
--require-header, a 403 without it) gets the same verdicts as one without
the token check, instead of a handshake area full of spurious refusals."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

from release_binary import release_binary

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "faulty" / "faulty_server.py"
PYTHON = "/usr/bin/python3"
LISTEN_RE = re.compile(r"^listening on (ws://127\.0\.0\.1:\d+/)$")




def verdicts(out: Path, *server_args: str, header: str | None = None) -> tuple[int, dict]:
    proc = subprocess.Popen([PYTHON, str(SERVER), "--port", "0", *server_args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        m = LISTEN_RE.match(proc.stdout.readline().strip())
        assert m
        cmd = [str(release_binary()), "test", m.group(1), "--cases", "handshake,1.1.1",
               "--out", str(out)]
        if header:
            cmd += ["--header", header]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    if r.returncode == 2:
        return 2, {}
    cases = json.loads((out / "results.json").read_text())["cases"]
    return r.returncode, {c["id"]: c["verdict"] for c in cases}


def test_a_server_behind_a_token_gets_the_token_on_every_request(tmp_path):
    rc_plain, plain = verdicts(tmp_path / "plain")
    rc_auth, auth = verdicts(tmp_path / "auth", "--require-header", "X-Token: s3cret",
                             header="X-Token: s3cret")
    assert rc_plain == rc_auth == 0
    assert auth == plain, {i: (plain[i], auth[i]) for i in plain if plain[i] != auth.get(i)}


def test_without_the_token_the_run_says_it_was_refused(tmp_path):
    rc, _ = verdicts(tmp_path / "none", "--require-header", "X-Token: s3cret")
    assert rc == 2
