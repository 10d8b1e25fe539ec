"""Fixtures: the reference echo server as a real process.

`build/asan/wsprobe echo-server --port 0` (ASan+UBSan) is started once per
session; tests that need other limits start their own with `start_server`.
Every server is stopped with SIGTERM and must exit 0 with no sanitizer report
in its stderr; a server that dies mid-session fails the test that was running
(and is restarted so the rest of the suite still runs).

WSPROBE_BIN overrides the binary (default build/asan/wsprobe).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import wsraw  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("WSPROBE_BIN", ROOT / "build" / "asan" / "wsprobe"))
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
# wss:// when the server was given --tls-cert/--tls-key (test_wss.py).
LISTEN_RE = re.compile(r"^listening on (?P<scheme>wss?)://(?P<host>[^/\[\]]+|\[[^\]]+\]):(?P<port>\d+)/$")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                     "SUMMARY: UndefinedBehaviorSanitizer")

# Session server: a long close timeout, so that a test seeing the server
# drop TCP promptly after failing a connection proves it did not merely wait
# out its closing timer.
SESSION_ARGS = {"close_timeout": 10000}


class ServerProcess:
    """One running `wsprobe echo-server`."""

    def __init__(self, **options):
        self.options = options
        args = [str(BINARY), "echo-server", "--port", "0", "--host", HOST]
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            # True is a bare flag (no_deflate=True: --no-deflate).
            args += [flag] if value is True else [flag, str(value)]
        self.args = args
        self.out = tempfile.NamedTemporaryFile(prefix="wsprobe-out-", delete=False)
        self.err = tempfile.NamedTemporaryFile(prefix="wsprobe-err-", delete=False)
        # Sanitizer defaults are kept: -fno-sanitize-recover=all makes the
        # first report fatal, and LeakSanitizer runs at exit, so a leak on
        # the SIGTERM path shows up as a non-zero exit plus a report.
        env = dict(os.environ)
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.err, env=env)
        self.scheme, self.host, self.port = self._wait_listening()
        self.url = f"{self.scheme}://{self.host}:{self.port}/"
        self.stopped = False

    def _wait_listening(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            text = Path(self.out.name).read_text(errors="replace")
            if "\n" in text:
                line = text.split("\n", 1)[0]
                m = LISTEN_RE.match(line)
                if not m:
                    self.kill()
                    raise RuntimeError(f"unexpected first stdout line {line!r} from {self.args}")
                return m.group("scheme"), m.group("host").strip("[]"), int(m.group("port"))
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode} before "
                                   f"listening: {self.stderr_text()[-2000:]}")
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"server did not print its listening line within "
                           f"{STARTUP_TIMEOUT}s: {self.args}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr_text(self) -> str:
        return Path(self.err.name).read_text(errors="replace")

    def sanitizer_report(self) -> str | None:
        text = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            i = text.find(marker)
            if i >= 0:
                return text[max(0, i - 200):i + 4000]
        return None

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self) -> list[str]:
        """SIGTERM, bounded wait; returns a list of problems (empty: clean)."""
        problems = []
        if self.stopped:
            return problems
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                problems.append(f"did not exit within {STOP_TIMEOUT}s of SIGTERM")
        else:
            problems.append("had already exited before teardown")
        rc = self.proc.returncode
        if rc != 0 and not problems:
            problems.append(f"exit status {rc}" + (
                f" (signal {signal.Signals(-rc).name})" if rc < 0 else ""))
        elif rc != 0:
            problems.append(f"exit status {rc}")
        report = self.sanitizer_report()
        if report:
            problems.append("sanitizer report in stderr:\n" + report)
        for f in (self.out, self.err):
            f.close()
        if not problems:
            for f in (self.out, self.err):
                os.unlink(f.name)
        else:
            problems.append(f"server stderr kept in {self.err.name}")
        return problems


def _require_binary():
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `make build/asan/wsprobe` first",
                    pytrace=False)


class SessionServer:
    """Holds the shared server; restarts it if a test killed it."""

    def __init__(self):
        self.server = ServerProcess(**SESSION_ARGS)
        self.dead_reports: list[str] = []

    def __getattr__(self, name):
        return getattr(self.server, name)

    def check_and_revive(self, grace: float = 0.0) -> str | None:
        s = self.server
        if grace:  # a crashing server may still be printing its report
            try:
                s.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        report = s.sanitizer_report()
        if s.alive() and report is None:
            return None
        problems = s.stop()
        msg = "session server died or reported an error during this test: " + "; ".join(problems)
        self.dead_reports.append(msg)
        self.server = ServerProcess(**SESSION_ARGS)
        return msg


@pytest.fixture(scope="session")
def session_server():
    _require_binary()
    holder = SessionServer()
    yield holder
    problems = holder.server.stop()
    if problems or holder.dead_reports:
        pytest.fail("echo server teardown: " + "; ".join(holder.dead_reports + problems),
                    pytrace=False)


def pytest_configure(config):
    # pytest-xdist registers it too; this keeps a run without xdist quiet.
    config.addinivalue_line("markers", "xdist_group(name): run on one pytest-xdist worker")


def pytest_collection_modifyitems(config, items):
    """`make integration` runs the tests on several pytest-xdist workers
    (-n, --dist loadgroup). The tests that share a module-scoped fixture (a
    pool of whole-catalogue runs, a server) are put in one group, named after
    their module, so that the fixture runs once, on one worker; every other
    test goes wherever a worker is free. Without xdist the mark does nothing."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if any(defs and defs[-1].scope == "module" for defs in info.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.wsprobe_call_failed = report.failed


@pytest.fixture
def server(session_server, request):
    """The shared server; the test fails if the server dies during it."""
    yield session_server
    # After a failed test, give a crashing server time to finish its
    # sanitizer report and exit, so the crash is pinned on this test.
    failed = getattr(request.node, "wsprobe_call_failed", False)
    msg = session_server.check_and_revive(grace=2.0 if failed else 0.0)
    if msg:
        pytest.fail(msg, pytrace=False)


@pytest.fixture
def start_server():
    """Factory for extra servers with other options, e.g.
    start_server(max_message=1024, handshake_timeout=300). Stopped and
    checked at the end of the test."""
    _require_binary()
    started: list[ServerProcess] = []

    def start(**options) -> ServerProcess:
        s = ServerProcess(**options)
        started.append(s)
        return s

    yield start
    problems = []
    for s in started:
        problems += [f"server {s.args[2:]}: {p}" for p in s.stop()]
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


@pytest.fixture
def raw(server):
    """An upgraded raw connection to the session server, closed afterwards."""
    conns = []

    def connect(timeout: float = wsraw.DEFAULT_TIMEOUT) -> wsraw.RawConn:
        c = wsraw.open_ws(server.host, server.port, timeout)
        conns.append(c)
        return c

    yield connect
    for c in conns:
        c.close()
