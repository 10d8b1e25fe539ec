"""`wsprobe fuzz` end to end.

A deliberately crashy echo server (tests/crashy/crashy_server.c, built here
with -fsanitize=address) serves normally, logs every protocol error to stderr
as a chatty server does, and has two planted bugs of different causes:

  A. a frame with RSV2 set and a reserved control opcode writes past a heap
     block: an AddressSanitizer report, exit status 1;
  B. a ping inside a fragmented message prints a fatal line naming numbers
     that change from run to run, then aborts: SIGABRT, no report.

The fuzzer must find both in one bounded run as two findings with distinct
signatures, each minimised against its own signature into a case file that
`wsprobe test` replays into that same crash. Fuzzing the reference server
must find nothing. The progress line shows on a terminal, never in a pipe.

Runs against the crashy server are bounded by --iterations, never by time,
so what they find does not depend on the machine's speed; they use
--timeout-scale 3 so an input is not cut short by a loaded machine before
it reaches the bug (the fuzzing loop judges inputs by short deadlines).
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BINARY, ROOT

CRASHY_SRC = ROOT / "tests" / "crashy" / "crashy_server.c"
RUN_TIMEOUT = 180  # a fuzz run of the reference server
CRASHY_TIMEOUT = 600  # a run against the crashy server: reproductions, minimisations
SCALE = ("--timeout-scale", "3")

SIG_A = re.compile(r"^heap-buffer-overflow in handle_reserved_control <- frame\b")
SIG_B = ("SIGABRT: crashy_server: fatal: ping of N bytes inside a fragmented message "
         "(connection N, buffer N)")


@pytest.fixture(scope="session")
def crashy(tmp_path_factory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    out = tmp_path_factory.mktemp("crashy") / "crashy_server"
    subprocess.run([cc, "-fsanitize=address", "-g", "-O1", "-o", str(out), str(CRASHY_SRC),
                    "-lcrypto", "-lpthread"], check=True, timeout=120)
    return out


def fuzz(*args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "fuzz", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def summary(out: Path) -> dict:
    return json.loads((out / "fuzz-summary.json").read_text())


def first_finding(out: Path) -> dict:
    findings = sorted(summary(out)["findings"], key=lambda f: f["iteration"])
    assert findings, "no finding"
    return findings[0]


def by_bug(out: Path) -> tuple[dict, dict]:
    """The findings of bugs A and B (and no other)."""
    findings = summary(out)["findings"]
    a = [f for f in findings if SIG_A.match(f["signature"])]
    b = [f for f in findings if f["signature"] == SIG_B]
    assert len(a) == 1 and len(b) == 1 and len(findings) == 2, \
        [f["signature"] for f in findings]
    return a[0], b[0]


def crashy_cmd(crashy: Path) -> str:
    return f"{crashy} --port {{port}}"


def assert_minimized_against_its_signature(f: dict, out: Path) -> None:
    assert f["kind"] == "crash"
    assert f["reproduced"] is True and f["minimized"] is True and f["note"] is None, f
    assert f["minimize_attempts"] > 0
    assert f["hits"] >= 1 and f["duplicates"] == f["hits"] - 1
    details = (out / f["details"]).read_text()
    assert "reproduced: yes" in details
    # Every input ends with a close, kept through minimisation.
    text = (out / f["case"]).read_text()
    steps = text.split("<send>\n", 1)[1].split("</send>", 1)[0].splitlines()
    assert steps[-1].startswith("close") and len(steps) == f["minimized_steps"], text


@pytest.fixture(scope="module")
def two_bugs(crashy, tmp_path_factory):
    """Seed 1 against the crashy server: both bugs show within 150 inputs
    (which inputs depends on the catalogue the inputs are drawn from)."""
    out = tmp_path_factory.mktemp("fuzz-seed1")
    proc = fuzz("--exec-server", crashy_cmd(crashy), "--seed", "1", "--iterations", "150",
                *SCALE, "--out", str(out), timeout=CRASHY_TIMEOUT)
    return proc, out


def test_two_causes_give_two_signatures(two_bugs):
    proc, out = two_bugs
    assert proc.returncode == 1, proc.stdout + proc.stderr
    s = summary(out)
    assert s["seed"] == 1 and s["iterations"] == 150 and s["stopped"] == "iterations"
    a, b = by_bug(out)
    assert s["signatures"] == 2
    assert s["finding_inputs"] == a["hits"] + b["hits"]
    for f in (a, b):
        assert_minimized_against_its_signature(f, out)

    # A: the sanitizer report names it.
    details = (out / a["details"]).read_text()
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in details
    assert "exited with status 1" in details
    text = (out / a["case"]).read_text()
    assert "area        robustness" in text and "6455#10.4" in text
    # The one frame that matters (RSV2, a reserved control opcode 11-15),
    # then the close.
    assert a["minimized_steps"] <= 2, text
    assert "rsv=" in text and "op=1" in text, text

    # B: no report; the fatal line, its numbers replaced, and SIGABRT (or
    # 128 + 6 from the shell that runs the command).
    details = (out / b["details"]).read_text()
    assert "AddressSanitizer" not in details
    assert re.search(r"crashy_server: fatal: ping of \d+ bytes", details)
    assert "status 134" in details or "signal 6" in details
    text = (out / b["case"]).read_text()
    assert "ping" in text and "fin=0" in text, text
    assert b["minimized_steps"] <= 3, text

    # The end summary: one entry per signature, with its count.
    assert "inputs/s" in proc.stdout and "2 signatures" in proc.stdout
    for f in (a, b):
        assert f"{f['hits']} x crash {f['signature']}" in re.sub(r" +", " ", proc.stdout)
    # stderr is a pipe here: none of the terminal's progress display.
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr
    assert f"fuzz: finding {b['id']}: {SIG_B}" in proc.stderr


def first_stack(report: str) -> list[str]:
    """Function names of the first stack after a sanitizer's ERROR line."""
    names, started = [], False
    for line in report[report.index("ERROR: AddressSanitizer"):].splitlines()[1:]:
        m = re.match(r"\s*#\d+ 0x[0-9a-f]+ in (\S+)", line)
        if m:
            started = True
            names.append(m.group(1))
        elif started:
            break
    return names


def replay_alone(crashy: Path, case: Path, case_id: str, out: Path) -> tuple[int, str]:
    """Replays a finding with `wsprobe test URL --case-file` against a crashy
    server of our own; returns how that server ended and its stderr. It is
    waited for: a sanitizer report takes its time."""
    port = free_port()
    out.mkdir(parents=True, exist_ok=True)
    err_path = out / "crashy-stderr.txt"
    with open(err_path, "wb") as err:
        server = subprocess.Popen([str(crashy), "--port", str(port)], stderr=err,
                                  stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        wait_port(port)
        proc = subprocess.run(
            [str(BINARY), "test", f"ws://127.0.0.1:{port}/", "--case-file", str(case),
             "--cases", case_id, "--out", str(out / "results")],
            capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        status = server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    return status, err_path.read_text(errors="replace")


def test_each_minimized_case_reproduces_its_own_signature(two_bugs, crashy, tmp_path):
    _, out = two_bugs
    a, b = by_bug(out)

    status, stderr = replay_alone(crashy, out / a["case"], a["id"], tmp_path / "a")
    assert status == 1, stderr
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in stderr
    frames = a["signature"].split(" in ", 1)[1].split(" <- ")
    stack = first_stack(stderr)
    assert [n for n in stack if n in frames][:len(frames)] == frames, (frames, stack)
    assert stack[0] == frames[0]
    assert "fatal: ping" not in stderr

    status, stderr = replay_alone(crashy, out / b["case"], b["id"], tmp_path / "b")
    assert status == -signal.SIGABRT, stderr
    fatal = [line for line in stderr.splitlines() if "fatal:" in line]
    assert len(fatal) == 1, stderr
    normalised = re.sub(r"\b(0x[0-9a-fA-F]+|\d\w*)", "N", fatal[0])
    assert "SIGABRT: " + normalised == b["signature"]
    assert "AddressSanitizer" not in stderr


def test_same_seed_same_first_finding(two_bugs, crashy, tmp_path):
    _, out = two_bugs
    first = first_finding(out)
    proc = fuzz("--exec-server", crashy_cmd(crashy), "--seed", "1", "--iterations",
                str(first["iteration"] + 5), *SCALE, "--out", str(tmp_path),
                timeout=CRASHY_TIMEOUT)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    again = first_finding(tmp_path)
    assert again["id"] == first["id"] and again["signature"] == first["signature"]
    # Minimised the same way, step for step.
    assert (tmp_path / again["case"]).read_text() == (out / first["case"]).read_text()


@pytest.mark.parametrize("seed,jobs", [(2, 1), (3, 1), (4, 2)])
def test_other_seeds_find_both(crashy, tmp_path, seed, jobs):
    proc = fuzz("--exec-server", crashy_cmd(crashy), "--seed", str(seed), "--iterations",
                "400", "--jobs", str(jobs), *SCALE, "--out", str(tmp_path),
                timeout=CRASHY_TIMEOUT)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for f in by_bug(tmp_path):
        assert_minimized_against_its_signature(f, tmp_path)


def run_on_a_terminal(*args: str) -> bytes:
    """`wsprobe fuzz` with stdout and stderr on a pseudo-terminal; all it
    wrote there."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([str(BINARY), "fuzz", *args], stdin=subprocess.DEVNULL,
                                stdout=slave, stderr=slave, env={**os.environ, "TERM": "xterm"})
    finally:
        os.close(slave)
    out = b""
    deadline = time.monotonic() + CRASHY_TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(timeout=60) == 1, out
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out


def test_progress_line_on_a_terminal(crashy, tmp_path):
    # Seed 1: a finding within the first 50 inputs prints above the progress
    # line (which input depends on the catalogue the inputs come from).
    out = run_on_a_terminal("--exec-server", crashy_cmd(crashy), "--seed", "1",
                            "--iterations", "50", *SCALE, "--out", str(tmp_path))
    draws = re.findall(rb"\rfuzz: (\d+) of 50 inputs \(\d+/s\), ([^\r\n]*?)\x1b\[K", out)
    assert draws, out
    assert int(draws[0][0]) == 0  # drawn at once, before any input
    # The finding's line: the progress line cleared first, redrawn after.
    m = re.search(rb"\r\x1b\[Kfuzz: finding fuzz-1-(\d+): (.*?)\r\n\rfuzz: (\d+) of 50 inputs",
                  out)
    assert m, out
    sig = m.group(2).decode()
    assert SIG_A.match(sig) or sig.startswith(SIG_B), sig
    assert int(m.group(3)) >= int(m.group(1))
    # Cleared at the end, before the summary (stdout, on the same terminal).
    end = out.rindex(b"\r\x1b[K")
    assert out.index(b"fuzz: 50 inputs in") > end
    assert b"\x1b" not in out[end + 4:] and b"\r" not in out[end + 4:].replace(b"\r\n", b"")


def test_reference_server_survives(tmp_path):
    proc = fuzz("--seed", "7", "--duration", "5", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = summary(tmp_path)
    assert s["findings"] == []
    assert s["signatures"] == 0 and s["finding_inputs"] == 0
    assert s["iterations"] > 100
    assert s["stopped"] == "duration"
    assert not (tmp_path / "findings").exists()
    # Written atomically: no temporary file is left beside the summary.
    assert [p.name for p in tmp_path.iterdir()] == ["fuzz-summary.json"]


def test_parallel_jobs_against_the_reference_server(tmp_path):
    proc = fuzz("--seed", "8", "--iterations", "300", "--jobs", "4", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary(tmp_path)["iterations"] == 300


def test_usage_and_unreachable_exit_2(tmp_path):
    assert fuzz("--exec-server", "true", "--out", str(tmp_path)).returncode == 2
    assert fuzz("--jobs", "0").returncode == 2
    assert fuzz("--duration", "soon").returncode == 2
    port = free_port()
    proc = fuzz(f"ws://127.0.0.1:{port}/", "--iterations", "1", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "connect" in proc.stderr
    proc = fuzz("--exec-server", "exit 3 # {port}", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "status 3" in proc.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")
