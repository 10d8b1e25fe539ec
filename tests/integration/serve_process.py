"""One `wsprobe serve` process for the integration tests (test_serve.py,
test_faulty_client.py): started on a free loopback port, its listening line
read back (scheme, port, case count), stopped with SIGTERM, and its stderr
checked for sanitizer reports. Every wait is bounded."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import BINARY, SANITIZER_MARKERS

LISTEN = re.compile(r"^wsprobe serve: listening on (?P<scheme>wss?)://127\.0\.0\.1:"
                    r"(?P<port>\d+)/ \((?P<count>\d+) cases\)$")
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


class Serve:
    """One running `wsprobe serve`."""

    def __init__(self, out: Path, *args, expect_exit: bool = False):
        self.out = out
        self.args = [str(BINARY), "serve", "--port", "0", "--out", str(out), *map(str, args)]
        # Beside `out` (a test's temporary directory), not in /tmp at large.
        self.stdout = tempfile.NamedTemporaryFile(prefix="serve-out-", dir=out.parent,
                                                  delete=False)
        self.stderr = tempfile.NamedTemporaryFile(prefix="serve-err-", dir=out.parent,
                                                  delete=False)
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=self.stdout,
                                     stderr=self.stderr)
        self.scheme, self.port, self.count = self._wait_listening()
        self.base = f"{self.scheme}://127.0.0.1:{self.port}/"

    def _wait_listening(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            text = Path(self.stdout.name).read_text(errors="replace")
            if "\n" in text:
                line = text.split("\n", 1)[0]
                m = LISTEN.match(line)
                assert m, f"unexpected first line {line!r} from {self.args}"
                return m.group("scheme"), int(m.group("port")), int(m.group("count"))
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.err()}")
            time.sleep(0.02)
        self.proc.kill()
        raise AssertionError(f"serve did not listen within {STARTUP_TIMEOUT} s")

    def err(self) -> str:
        return Path(self.stderr.name).read_text(errors="replace")

    def output(self) -> str:
        return Path(self.stdout.name).read_text(errors="replace")

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"serve did not exit within {timeout} s")
        err = self.err()
        assert not any(m in err for m in SANITIZER_MARKERS), err[-4000:]
        return rc

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait()

    def results(self, agent_dir: str) -> dict:
        return json.loads((self.out / agent_dir / "results.json").read_text())
