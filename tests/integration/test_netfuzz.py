"""`wsprobe fuzz` end to end.

A deliberately crashy echo server (tests/crashy/crashy_server.c, built here
with -fsanitize=address) serves normally but writes past a heap block when it
receives a frame with RSV2 set and a reserved control opcode. The fuzzer must
find that within a bounded run, minimise it, and write a case file that
`wsprobe test` replays as a failure while the bug is there. Fuzzing the
reference server must find nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, ROOT

CRASHY_SRC = ROOT / "tests" / "crashy" / "crashy_server.c"
RUN_TIMEOUT = 180  # a fuzz run: its duration, minimisation, restarts


@pytest.fixture(scope="session")
def crashy(tmp_path_factory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    out = tmp_path_factory.mktemp("crashy") / "crashy_server"
    subprocess.run([cc, "-fsanitize=address", "-g", "-O1", "-o", str(out), str(CRASHY_SRC),
                    "-lcrypto", "-lpthread"], check=True, timeout=120)
    return out


def fuzz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "fuzz", *args], capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)


def summary(out: Path) -> dict:
    return json.loads((out / "fuzz-summary.json").read_text())


def first_finding(out: Path) -> dict:
    findings = sorted(summary(out)["findings"], key=lambda f: f["iteration"])
    assert findings, "no finding"
    return findings[0]


def crashy_cmd(crashy: Path) -> str:
    return f"{crashy} --port {{port}}"


@pytest.fixture(scope="module")
def seed1_run(crashy, tmp_path_factory):
    """The run the brief asks for: seed 1, 20 s, against the crashy server."""
    out = tmp_path_factory.mktemp("fuzz-seed1")
    proc = fuzz("--exec-server", crashy_cmd(crashy), "--seed", "1", "--duration", "20",
                "--out", str(out))
    return proc, out


def test_fuzz_finds_the_planted_crash(seed1_run):
    proc, out = seed1_run
    assert proc.returncode == 1, proc.stdout + proc.stderr
    s = summary(out)
    assert s["seed"] == 1 and s["iterations"] > 0
    first = first_finding(out)
    assert first["kind"] == "crash"
    assert "heap-buffer-overflow" in first["signature"]
    assert "handle_reserved_control" in first["signature"]
    case = out / first["case"]
    details = (out / first["details"]).read_text()
    assert "ERROR: AddressSanitizer" in details
    assert "exited with status 1" in details
    text = case.read_text()
    assert "area        robustness" in text and "6455#10.4" in text
    assert "pass          alive" in text and "fail          otherwise" in text
    # Minimised to the one frame that matters: RSV2 and a reserved control
    # opcode (11-15).
    assert first["minimized_steps"] <= 2, text
    assert "rsv=" in text and "op=1" in text, text
    assert "inputs/s" in proc.stdout


def test_finding_replays_as_a_failure(seed1_run, crashy, tmp_path):
    _, out = seed1_run
    first = first_finding(out)
    case = out / first["case"]
    help_text = subprocess.run([str(BINARY), "test", "--help"], capture_output=True,
                               text=True).stdout
    if "--exec-server" in help_text:
        proc = subprocess.run(
            [str(BINARY), "test", "--exec-server", crashy_cmd(crashy), "--case-file",
             str(case), "--cases", first["id"], "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        results = json.loads((tmp_path / "results.json").read_text())
        (row,) = [c for c in results["cases"] if c["id"] == first["id"]]
        assert row["verdict"] == "fail"
        assert row["reason_code"] == "server-crash", row
        return
    # Without the --exec-server wiring in `wsprobe test`: a crashy server of
    # our own, the URL form, and the server must die.
    port = free_port()
    server = subprocess.Popen([str(crashy), "--port", str(port)], stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        proc = subprocess.run(
            [str(BINARY), "test", f"ws://127.0.0.1:{port}/", "--case-file", str(case),
             "--cases", first["id"], "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=RUN_TIMEOUT)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert server.wait(timeout=30) != 0
        assert b"AddressSanitizer" in server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_same_seed_same_first_finding(seed1_run, crashy, tmp_path):
    _, out = seed1_run
    first = first_finding(out)
    # Bounded by iterations this time: the sequence of inputs is the same.
    proc = fuzz("--exec-server", crashy_cmd(crashy), "--seed", "1", "--iterations",
                str(first["iteration"] + 5), "--out", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    again = first_finding(tmp_path)
    assert again["id"] == first["id"]
    assert (tmp_path / again["case"]).read_text() == (out / first["case"]).read_text()


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_other_seeds_find_it_too(crashy, tmp_path, seed):
    proc = fuzz("--exec-server", crashy_cmd(crashy), "--seed", str(seed), "--iterations",
                "400", "--out", str(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "handle_reserved_control" in first_finding(tmp_path)["signature"]


def test_reference_server_survives(tmp_path):
    proc = fuzz("--seed", "7", "--duration", "5", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = summary(tmp_path)
    assert s["findings"] == []
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
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int) -> None:
    import socket
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")
