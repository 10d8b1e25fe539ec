"""A hostile peer cannot make `wsprobe test` unbounded.

For each mode of tests/hostile/flood_server.py (garbage, ping-flood,
pong-flood, endless-fragments, huge-trickle, drip: see its docstring) this
runs the whole catalogue with default options (the slow peers, huge-trickle
and drip, with -j 64: see below),

    build/wsprobe test ws://127.0.0.1:PORT/ --out TMPDIR

and asserts the run-wide budget:

  - the run ends by itself (RUN_TIMEOUT is a hang guard, not a timing
    assertion);
  - its peak RSS stays under 256 MiB (RSS_BOUND);
  - its report directory stays under 64 MiB (REPORT_BOUND);
  - it leaves every report (results.json, index.html, junit.xml,
    summary.md), results.json is JSON with exactly one entry per case of the
    catalogue (`wsprobe list`), and the run was not interrupted.

Peak RSS is wsprobe's ru_maxrss as GNU time reports it (`/usr/bin/time -f
%M`): time is a small process that forks wsprobe, so the figure is wsprobe's
own high-water mark (a child forked by pytest itself would start with
pytest's RSS in its ru_maxrss, and polling VmHWM misses the end of the run,
when the reports are written). A watchdog also polls /proc/PID/status every
POLL seconds and kills a run whose RSS passes RSS_SAFETY_CAP (a run that has
already broken the bound), so that a runaway run cannot take the machine
down; RLIMIT_FSIZE (FILE_SIZE_CAP, through prlimit) does the same for the
disk: a larger file kills the run with SIGXFSZ.

Against a peer that never lets a case finish early, every case waits out its
deadline (2 s for most, up to 15 s), so a run takes the sum of its deadlines
over -j: three minutes or more at the default -j of a two-core machine (8).
The four flood modes keep the default: their peer takes all the CPU it can
get, and more cases at once would leave connections waiting for their
handshake (cases that end in `error` never meet the flood). The two slow
peers cost next to no CPU, so they run with -j 64, the most `wsprobe test`
allows and so the most memory in flight (the cases in flight share one
wire-log budget): about a minute each instead of three to five.
HOSTILE_JOBS=N gives every mode -j N. flood_server.py serves each
connection in a process of its own (64 drip connections in one process
would queue for its GIL), takes up to 128 at once and counts what it
refuses past that; a refused connection is a case that never met the
hostile peer, so the test fails on any. The runs are independent processes,
so they go through a pool (HOSTILE_WORKERS at a time, default 4: the floods
together, then the slow peers) before the first test looks at them.

`pytest -s` prints each run's figures (peak RSS, report size per file, wall
time, exit status, what the server sent, verdict counts).
HOSTILE_CASES=PATTERNS runs only those cases, for a quick look (the bound is
per run, so the default is the whole catalogue).

WSPROBE_BIN picks the binary; the default is the release build
(build/wsprobe), which the bounds are for.
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests" / "hostile" / "flood_server.py"
PYTHON = "/usr/bin/python3"
GNU_TIME = "/usr/bin/time"
PRLIMIT = "/usr/bin/prlimit"
MODES = ("garbage", "ping-flood", "pong-flood", "endless-fragments", "huge-trickle", "drip")
WORKERS = int(os.environ.get("HOSTILE_WORKERS", "4"))
# -j per mode: None is the default (4 x cores, at most 64).
SLOW_PEERS = ("huge-trickle", "drip")
JOBS_ENV = os.environ.get("HOSTILE_JOBS")


def jobs(mode: str) -> int | None:
    if JOBS_ENV:
        return int(JOBS_ENV)
    return 64 if mode in SLOW_PEERS else None
CASES = os.environ.get("HOSTILE_CASES", "")
MIB = 1 << 20
RSS_BOUND = 256 * MIB
REPORT_BOUND = 64 * MIB
REPORT_FILES = ("results.json", "index.html", "junit.xml", "summary.md")
RUN_TIMEOUT = 480.0        # hang guard: 793 cases against a flood take 280-380 s on 2 cores
RSS_SAFETY_CAP = 1 << 30   # the watchdog kills a run past this
FILE_SIZE_CAP = 256 * MIB  # RLIMIT_FSIZE of the run
POLL = 0.05
STARTUP_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
LISTEN_RE = re.compile(r"^listening on (ws://127\.0\.0\.1:\d+/)$")
SERVED_RE = re.compile(r"^served (\d+) connections, sent (\d+) bytes, refused (\d+)$", re.M)


def _binary() -> Path:
    env = os.environ.get("WSPROBE_BIN")
    return Path(env) if env else ROOT / "build" / "wsprobe"


BINARY = _binary()


def _size(n: float) -> str:
    return f"{n / MIB:.1f} MiB" if n >= MIB else f"{n / 1024:.0f} KiB"


class FloodServer:
    """flood_server.py --mode MODE on a free loopback port."""

    def __init__(self, mode: str):
        self.mode = mode
        self.out = tempfile.NamedTemporaryFile(prefix="flood-out-")
        self.err = tempfile.NamedTemporaryFile(prefix="flood-err-")
        self.proc = subprocess.Popen([PYTHON, str(SERVER), "--mode", mode, "--port", "0"],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.err)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        line = ""
        while time.monotonic() < deadline and self.proc.poll() is None:
            line = Path(self.out.name).read_text(errors="replace")
            if "\n" in line:
                break
            time.sleep(0.02)
        m = LISTEN_RE.match(line.split("\n", 1)[0])
        if not m:
            self.stop()
            raise RuntimeError(f"flood_server.py --mode {mode} did not start: {line!r} "
                               f"{Path(self.err.name).read_text(errors='replace')[-2000:]}")
        self.url = m.group(1)

    def stop(self) -> tuple[int | None, str, int | None]:
        """SIGTERM; returns (exit status, what it served or what went wrong,
        connections refused or None)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        out = Path(self.out.name).read_text(errors="replace")
        m = SERVED_RE.search(out)
        served = (f"{m.group(1)} connections, {_size(int(m.group(2)))} sent, "
                  f"{m.group(3)} refused" if m else
                  f"no stats: {Path(self.err.name).read_text(errors='replace')[-1000:]!r}")
        self.out.close()
        self.err.close()
        return self.proc.returncode, served, int(m.group(3)) if m else None


def _child_of(pid: int) -> int | None:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces and parentheses
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                return int(entry)
    return None


def _vm_kib(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class Run:
    """One `wsprobe test` run against one mode, and what it left."""
    mode: str
    seconds: float = 0.0
    hang: bool = False
    watchdog_kib: int = 0     # the VmRSS at which the watchdog killed the run
    polled_hwm_kib: int = 0   # the largest VmHWM the watchdog saw
    maxrss_kib: int | None = None
    signal: int | None = None
    status: int | None = None
    sizes: dict[str, int] = field(default_factory=dict)
    report_bytes: int = 0
    results: dict | None = None
    results_problem: str = ""
    server_status: int | None = None
    served: str = ""
    refused: int | None = None
    stderr_tail: str = ""

    def ended(self) -> str:
        if self.hang:
            return "hang"
        return f"signal {self.signal}" if self.signal is not None else f"exit {self.status}"

    def figures(self) -> str:
        peak = _size(self.maxrss_kib * 1024) if self.maxrss_kib is not None else "?"
        files = ", ".join(f"{k} {_size(v)}" for k, v in sorted(self.sizes.items()))
        summary = (self.results or {}).get("summary")
        return (f"[{self.mode}, -j {jobs(self.mode) or 'default'}] peak RSS {peak} (polled VmHWM "
                f"{_size(self.polled_hwm_kib * 1024)}), report dir {_size(self.report_bytes)} "
                f"({files}), wall {self.seconds:.1f} s, {self.ended()}; server: {self.served}"
                + (f"; verdicts {summary}" if summary else ""))


def measure(mode: str) -> Run:
    """Runs the catalogue against flood_server.py --mode MODE; every file it
    wrote is gone afterwards, what matters is in the Run."""
    run = Run(mode)
    server = FloodServer(mode)
    with tempfile.TemporaryDirectory(prefix=f"wsprobe-hostile-{mode}-") as tmp:
        out, timing, errs = Path(tmp) / "out", Path(tmp) / "time.txt", Path(tmp) / "stderr"
        # time forks prlimit, which sets RLIMIT_FSIZE and execs wsprobe
        # (same pid): time's child is wsprobe.
        args = [GNU_TIME, "-f", "maxrss_kib=%M", "-o", str(timing),
                PRLIMIT, f"--fsize={FILE_SIZE_CAP}", str(BINARY), "test", server.url,
                "--out", str(out)] + (["-j", str(jobs(mode))] if jobs(mode) else []) \
            + (["--cases", CASES] if CASES else [])
        t0 = time.monotonic()
        try:
            with open(errs, "wb") as se:
                proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=se)
                child = None
                while proc.poll() is None:
                    if time.monotonic() - t0 > RUN_TIMEOUT:
                        run.hang = True
                        for pid in [child, proc.pid]:
                            if pid:
                                _kill(pid)
                        proc.wait(STOP_TIMEOUT)
                        break
                    child = child or _child_of(proc.pid)
                    if child:
                        vm = _vm_kib(child)
                        run.polled_hwm_kib = max(run.polled_hwm_kib, vm.get("VmHWM", 0))
                        if vm.get("VmRSS", 0) * 1024 > RSS_SAFETY_CAP and not run.watchdog_kib:
                            run.watchdog_kib = vm["VmRSS"]
                            _kill(child)
                    time.sleep(POLL)
        finally:
            run.seconds = time.monotonic() - t0
            run.server_status, run.served, run.refused = server.stop()
        text = timing.read_text() if timing.exists() else ""
        m = re.search(r"^maxrss_kib=(\d+)$", text, re.M)
        run.maxrss_kib = int(m.group(1)) if m else None
        # GNU time notes a signal or a non-zero status on a line of its own.
        m = re.search(r"^Command terminated by signal (\d+)$", text, re.M)
        run.signal = int(m.group(1)) if m else None
        m = re.search(r"^Command exited with non-zero status (\d+)$", text, re.M)
        run.status = None if run.signal or run.hang else int(m.group(1)) if m else 0
        with open(errs, "rb") as f:
            f.seek(max(0, errs.stat().st_size - 1500))
            run.stderr_tail = f.read().decode(errors="replace")
        if out.exists():
            run.sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
            run.report_bytes = sum(p.stat().st_size for p in out.rglob("*")
                                   if p.is_file() and not p.is_symlink())
        size = run.sizes.get("results.json")
        if size is not None and size < REPORT_BOUND:
            try:
                run.results = json.loads((out / "results.json").read_bytes())
            except ValueError as exc:
                run.results_problem = f"results.json is not JSON: {exc}"
        elif size is not None:
            run.results_problem = "results.json too large to parse"
    return run


@pytest.fixture(scope="module")
def catalogue() -> list[str]:
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `make build/wsprobe` first", pytrace=False)
    for tool in (GNU_TIME, PRLIMIT):
        if not os.access(tool, os.X_OK):
            pytest.fail(f"{tool} is missing (make deps)", pytrace=False)
    r = subprocess.run([str(BINARY), "list"] + ([CASES] if CASES else []),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    ids = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
    assert ids, "empty catalogue"
    return ids


@pytest.fixture(scope="module")
def runs(request, catalogue) -> dict[str, object]:
    """Measures every mode the session selected, a few at a time; maps mode
    -> Run (or the exception it raised)."""
    wanted = []
    for item in request.session.items:
        cs = getattr(item, "callspec", None)
        if cs is not None and "mode" in cs.params and item.module is request.module:
            wanted.append(cs.params["mode"])
    out: dict[str, object] = {}
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futs = {pool.submit(measure, m): m for m in dict.fromkeys(wanted)}
        for fut in concurrent.futures.as_completed(futs):
            try:
                out[futs[fut]] = fut.result()
            except Exception as exc:  # reported by the test of that mode
                out[futs[fut]] = exc
    print(f"\nhostile runs: {len(out)} modes, {WORKERS} at a time, "
          f"{time.monotonic() - t0:.0f} s in all")
    return out


@pytest.mark.parametrize("mode", MODES)
def test_hostile_peer_cannot_unbound_the_run(mode, runs, catalogue):
    run = runs[mode]
    if isinstance(run, Exception):
        raise run
    print("\n" + run.figures())
    problems = []
    if run.hang:
        problems.append(f"did not end within {RUN_TIMEOUT:.0f} s (killed)")
    if run.watchdog_kib:
        problems.append(f"killed by the watchdog at VmRSS {_size(run.watchdog_kib * 1024)} "
                        f"(safety cap {_size(RSS_SAFETY_CAP)})")
    elif run.signal == signal.SIGXFSZ:
        problems.append(f"killed by SIGXFSZ: a file grew past {_size(FILE_SIZE_CAP)}")
    elif run.signal is not None:
        problems.append(f"killed by signal {run.signal}")
    elif run.status not in (0, 1, 2, None):
        problems.append(f"exit status {run.status}")
    if run.maxrss_kib is None:
        problems.append("no peak RSS from GNU time")
    elif run.maxrss_kib * 1024 >= RSS_BOUND:
        problems.append(f"peak RSS {_size(run.maxrss_kib * 1024)} >= {_size(RSS_BOUND)}")
    if run.report_bytes >= REPORT_BOUND:
        problems.append(f"report directory {_size(run.report_bytes)} >= {_size(REPORT_BOUND)}")
    missing = [f for f in REPORT_FILES if f not in run.sizes]
    if missing:
        problems.append(f"missing reports: {', '.join(missing)}")
    if run.results_problem:
        problems.append(run.results_problem)
    if run.results is not None:
        got = collections.Counter(c.get("id") for c in run.results.get("cases", []))
        known = set(catalogue)
        lost = [i for i in catalogue if i not in got]
        dups = sorted(i for i, n in got.items() if n > 1)
        extra = sorted(str(i) for i in got if i not in known)
        if lost or dups or extra:
            problems.append(f"results.json: {len(lost)} of {len(catalogue)} cases missing "
                            f"{lost[:5]}, duplicated {dups[:5]}, unexpected {extra[:5]}")
        if run.results.get("interrupted"):
            problems.append("results.json says the run was interrupted")
    if run.server_status != 0:
        problems.append(f"flood_server.py exited with {run.server_status} (a test bug)")
    if run.refused:
        problems.append(f"flood_server.py refused {run.refused} connections: those cases "
                        f"did not meet the hostile peer (a test bug)")
    if problems:
        pytest.fail(run.figures() + "\n  - " + "\n  - ".join(problems)
                    + f"\nwsprobe stderr tail: {run.stderr_tail!r}", pytrace=False)
