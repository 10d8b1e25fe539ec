"""`wsprobe serve`: the harness as the server, real clients through it.

The URL protocol first (Autobahn|Testsuite's fuzzingserver: getCaseCount,
runCase, getCaseInfo, getCaseStatus, updateReports), on a small catalogue of
its own: cases of cases/ copied with `role both` into a temporary directory,
so these tests do not depend on how many built-in cases the server side can
play. Then real clients through the whole built-in client catalogue
(`wsprobe list --role server`), verdicts pinned as for third-party servers
(test_thirdparty_servers.py: tests/thirdparty/expected_client_<name>.json,
WSPROBE_THIRDPARTY_DUMP=DIR writes got_client_<name>.json):

- python3-websockets (asyncio client), tests/clients/python_client.py;
- node `ws`, tests/clients/node_client.mjs;
- headless Chromium through the driver page `serve` answers on GET /.

Every serve process is the ASan build, stopped with SIGTERM, and must leave
no sanitizer report; every wait is bounded.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import BINARY, ROOT
from serve_process import Serve
from test_thirdparty_servers import compare, dump_got, load_expected

CLIENTS = ROOT / "tests" / "clients"
SYSTEM_PYTHON = Path("/usr/bin/python3")
NODE = shutil.which("node")
NODE_WS_PKG = ROOT / "tests" / "node_modules" / "ws" / "package.json"
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
OPENSSL = shutil.which("openssl")
CATALOGUE_TIMEOUT = 600.0  # a whole client catalogue, one case after another
# A small catalogue for the protocol tests: echoes at the length edges, a
# ping, valid close codes, and a case of our own (--case-file).
SMALL = "1.1,2.1,7.7,serve.1"


@pytest.fixture(scope="module")
def case_file(tmp_path_factory) -> Path:
    """A case of our own (`--case-file`), which the server side plays."""
    f = tmp_path_factory.mktemp("cases") / "serve-own.case"
    f.write_text("""<info>
id          serve.1
title       A binary message of our own is echoed
area        framing
rfc         6455#5.6
level       MUST
role        both
</info>
<send>
binary hex"00 ff 10" echo
close 1000
</send>
<expect>
pass        echo & close 1000
fail        otherwise
</expect>
""")
    return f


@pytest.fixture(scope="module")
def selection(case_file) -> list[str]:
    """The options that pick the small catalogue these tests serve."""
    return ["--case-file", str(case_file), "--cases", SMALL]


@pytest.fixture
def serve(tmp_path, selection):
    started = []

    def start(*args, out: Path | None = None):
        s = Serve(out or tmp_path / f"out{len(started)}", *selection, *args)
        started.append(s)
        return s
    yield start
    for s in started:
        if s.proc.poll() is None:
            s.stop()


def wsprobe(*args, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def listed_ids(*args) -> list[str]:
    p = wsprobe("list", "--role", "server", *map(str, args))
    assert p.returncode == 0, p.stderr
    return [line.split()[0] for line in p.stdout.splitlines() if line.strip()]


# ---------------------------------------------------------------------------
# A tiny client for the protocol URLs (RFC 6455 client, no library): the
# tests check what serve sends, byte by byte.

def ws_get(port: int, target: str, timeout: float = 10.0) -> tuple[int, list[str]]:
    """Upgrades on target, collects text messages until the close; (status,
    messages). The close is answered, as a client must."""
    import base64
    import os
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall((f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            assert chunk, f"no response head for {target}: {buf!r}"
            buf += chunk
        head, rest = buf.split(b"\r\n\r\n", 1)
        status = int(head.split()[1])
        if status != 101:
            return status, []
        messages = []
        while True:
            try:
                rest = read_exact(s, rest, 2)
                op, n, at = rest[0] & 0x0F, rest[1] & 0x7F, 2
                assert not rest[1] & 0x80, "a server frame must not be masked"
                if n == 126:
                    rest = read_exact(s, rest, 4)
                    n, at = int.from_bytes(rest[2:4], "big"), 4
                rest = read_exact(s, rest, at + n)
            except EOFError:
                return status, messages
            payload, rest = rest[at:at + n], rest[at + n:]
            if op == 1:
                messages.append(payload.decode())
            elif op == 8:
                assert payload[:2] == (1000).to_bytes(2, "big"), payload
                mask = os.urandom(4)
                s.sendall(bytes([0x88, 0x82]) + mask +
                          bytes(b ^ mask[i % 4] for i, b in enumerate(payload[:2])))
                return status, messages


def read_exact(s: socket.socket, buf: bytes, n: int) -> bytes:
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def http_get(port: int, target: str, upgrade: bool = False) -> tuple[int, str]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        extra = ("Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n") if upgrade else ""
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode(errors="replace")


def python_client(*args, timeout: float = CATALOGUE_TIMEOUT, env=None):
    return subprocess.run([str(SYSTEM_PYTHON), str(CLIENTS / "python_client.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


# ---------------------------------------------------------------------------
# The URL protocol

def test_case_count_is_the_server_side_catalogue(serve, case_file):
    s = serve()
    ids = listed_ids("--case-file", case_file, SMALL)
    assert s.count == len(ids) > 0
    status, messages = ws_get(s.port, "/getCaseCount")
    assert (status, messages) == (101, [str(len(ids))])
    assert s.stop() == 0
    assert "no client ran a case" in s.output()


def test_case_info_names_the_case_in_catalogue_order(serve, case_file):
    s = serve()
    ids = listed_ids("--case-file", case_file, SMALL)
    for n in (1, len(ids)):
        status, messages = ws_get(s.port, f"/getCaseInfo?case={n}")
        assert status == 101 and len(messages) == 1
        info = json.loads(messages[0])
        assert info["id"] == ids[n - 1] and info["description"]
    # casetuple=ID names the same case.
    status, messages = ws_get(s.port, f"/getCaseInfo?casetuple={ids[1]}")
    assert json.loads(messages[0])["id"] == ids[1]


def test_status_and_update_reports(serve, case_file, tmp_path):
    s = serve(out=tmp_path / "out")
    got = python_client("--url", f"{s.base}runCase?case=1&agent=py", timeout=60)
    assert got.returncode == 0, got.stderr
    assert ws_get(s.port, "/getCaseStatus?case=1&agent=py")[1] == ['{"behavior": "OK"}']
    # Not run (yet), and an agent that never ran anything.
    assert ws_get(s.port, "/getCaseStatus?case=2&agent=py")[1] == ['{"behavior": "MISSING"}']
    assert ws_get(s.port, "/getCaseStatus?case=1&agent=nobody")[1] == [
        '{"behavior": "MISSING"}']
    status, messages = ws_get(s.port, "/updateReports?agent=py")
    assert (status, messages) == (101, [])
    d = tmp_path / "out" / "py"
    results = json.loads((d / "results.json").read_text())
    assert [c["id"] for c in results["cases"]] == [listed_ids("--case-file", case_file, SMALL)[0]]
    assert results["cases"][0]["verdict"] == "pass" and results["agent"] == "py"
    ET.parse(d / "junit.xml")
    # Without an agent, every agent's reports (Autobahn's older servers).
    (d / "results.json").unlink()
    assert ws_get(s.port, "/updateReports") == (101, [])
    assert (d / "results.json").exists()
    assert "<html" in (d / "index.html").read_text()
    assert "pass" in (d / "summary.md").read_text()
    assert s.stop() == 0


def test_a_case_run_again_replaces_its_result(serve, tmp_path):
    s = serve(out=tmp_path / "out")
    for _ in range(2):
        assert python_client("--url", f"{s.base}runCase?case=2&agent=twice",
                             timeout=60).returncode == 0
    assert s.stop() == 0
    cases = s.results("twice")["cases"]
    assert len(cases) == 1 and cases[0]["verdict"] == "pass"


def test_sigterm_writes_every_agents_reports_with_a_safe_directory(serve, tmp_path):
    s = serve(out=tmp_path / "out")
    for agent, n in (("a/b c", 1), ("../up", 2), ("plain", 3)):
        url = f"{s.base}runCase?case={n}&agent={agent.replace('/', '%2F').replace(' ', '+')}"
        assert python_client("--url", url, timeout=60).returncode == 0
    assert s.stop() == 0
    dirs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert dirs == ["_._up", "a_b_c", "plain"], dirs  # no "/", no leading "."
    assert s.results("a_b_c")["agent"] == "a/b c"
    assert not (tmp_path / "up").exists()
    assert "agent plain: 1 cases: 1 pass" in s.output()


def test_refusals_are_clear_and_bounded(serve):
    s = serve()
    status, body = http_get(s.port, "/nothing-here")
    assert status == 404 and "unknown path" in body
    assert http_get(s.port, "/nothing-here", upgrade=True)[0] == 404
    assert http_get(s.port, "/runCase?case=0&agent=a", upgrade=True)[0] == 400
    status, body = http_get(s.port, f"/runCase?case={s.count + 1}&agent=a", upgrade=True)
    assert status == 400 and f"1..{s.count}" in body
    assert http_get(s.port, "/runCase?case=1", upgrade=True)[0] == 400  # no agent
    assert http_get(s.port, "/runCase?casetuple=no.such&agent=a", upgrade=True)[0] == 400
    assert http_get(s.port, "/getCaseCount")[0] == 400  # not an upgrade
    # A request that never ends its head is cut off by the deadline.
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as c:
        c.sendall(b"GET /getCaseCount HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        data = c.recv(4096)
        assert b" 408 " in data.split(b"\r\n")[0] and time.monotonic() - t0 < 25
    # A head over the bound: 431, or a reset when the unread rest of it is
    # still in the socket as serve closes.
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as c:
        try:
            c.sendall(b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 40000 + b"\r\n\r\n")
            answer = c.recv(4096)
            assert b" 431 " in answer.split(b"\r\n")[0], answer
        except ConnectionResetError:
            pass
    assert ws_get(s.port, "/getCaseCount")[1] == [str(s.count)]  # still serving
    assert s.stop() == 0


def test_connections_past_the_bound_get_503(serve):
    s = serve("--max-connections", "1")
    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as held:
        held.sendall(b"GET /getCaseCount HTTP/1.1\r\n")  # the head never ends
        time.sleep(0.3)
        status, body = http_get(s.port, "/")
        assert status == 503 and "too many connections" in body
    # Once the held one is gone (its deadline, or our close), serving goes on.
    deadline = time.monotonic() + 20
    while http_get(s.port, "/")[0] != 200:
        assert time.monotonic() < deadline, "the bound was never released"
        time.sleep(0.2)
    assert s.stop() == 0


def test_get_root_serves_the_self_contained_driver_page(serve):
    s = serve()
    status, page = http_get(s.port, "/")
    assert status == 200
    assert "getCaseCount" in page and "updateReports" in page
    assert 'binaryType = "arraybuffer"' in page and "wsprobe: done" not in page.split(
        "<script>")[0]
    # Self-contained: no external script, style or image.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_usage_and_bind_errors_exit_2(tmp_path, case_file):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        p = wsprobe("serve", "--case-file", case_file, "--port", busy.getsockname()[1],
                    "--out", tmp_path)
        assert p.returncode == 2 and "cannot listen" in p.stderr
    finally:
        busy.close()
    p = wsprobe("serve", "--tls-cert", "x.pem")
    assert p.returncode == 2 and "--tls-key" in p.stderr
    p = wsprobe("serve", "--exec", "true")
    assert p.returncode == 2 and "{url}" in p.stderr
    p = wsprobe("serve", "--cases", "no.such.case")
    assert p.returncode == 2


def test_list_and_show_the_server_side(case_file):
    ids = listed_ids("--case-file", case_file, SMALL)
    assert "1.1.1" in ids and "serve.1" in ids
    p = wsprobe("show", "--role", "server", "--case-file", case_file, "1.1.1")
    assert p.returncode == 0 and "unmasked" in p.stdout
    p = wsprobe("list", "--role", "sideways")
    assert p.returncode == 2 and "--role" in p.stderr


# ---------------------------------------------------------------------------
# --exec

def test_exec_runs_the_client_once_per_case(tmp_path, case_file):
    cmd = f"{SYSTEM_PYTHON} {CLIENTS / 'python_client.py'} --url '{{url}}'"
    p = wsprobe("serve", "--case-file", case_file, "--cases", "1.1.1,1.1.8,2.1,7.7.1",
                "--out", tmp_path, "--exec", cmd, "--agent", "py exec", timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    results = json.loads((tmp_path / "py_exec" / "results.json").read_text())
    assert [c["verdict"] for c in results["cases"]] == ["pass"] * 4
    assert all("client exited with status 0" in c["observed"] for c in results["cases"])


def test_exec_records_a_crashing_and_a_hanging_client(tmp_path, case_file):
    # A client that dies of a signal before connecting: the case never ran.
    p = wsprobe("serve", "--case-file", case_file, "--cases", "1.1.1", "--out", tmp_path,
                "--exec", "echo about to crash >&2; kill -SEGV $$ # {url}", timeout=120)
    assert p.returncode == 2, p.stdout + p.stderr
    case = json.loads((tmp_path / "exec" / "results.json").read_text())["cases"][0]
    assert case["verdict"] == "error"
    assert "signal 11" in case["observed"] and "about to crash" in case["observed"]
    # A client that plays the case, then crashes: fail, client-crash.
    crash = (f"{SYSTEM_PYTHON} {CLIENTS / 'python_client.py'} --url '{{url}}'; "
             "kill -SEGV $$")
    p = wsprobe("serve", "--case-file", case_file, "--cases", "1.1.2", "--out", tmp_path,
                "--exec", crash, "--agent", "crashy", timeout=120)
    assert p.returncode == 1, p.stdout + p.stderr
    case = json.loads((tmp_path / "crashy" / "results.json").read_text())["cases"][0]
    assert (case["verdict"], case["reason_code"]) == ("fail", "client-crash")
    # A client that never ends is killed past the deadline.
    t0 = time.monotonic()
    p = wsprobe("serve", "--case-file", case_file, "--cases", "1.1.1", "--out", tmp_path,
                "--exec", "sleep 600 # {url}", "--agent", "sleepy", "--timeout-scale", "0.2",
                timeout=120)
    assert p.returncode == 2 and time.monotonic() - t0 < 60
    case = json.loads((tmp_path / "sleepy" / "results.json").read_text())["cases"][0]
    assert case["verdict"] == "error" and "client killed" in case["observed"]


# ---------------------------------------------------------------------------
# TLS

def server_pki(tmp_path: Path) -> Path:
    """A CA (ca.pem) and a server certificate for 127.0.0.1 signed by it
    (server.pem, server.key), made with the openssl CLI."""
    from test_wss import _make_ca, _openssl
    d = tmp_path / "pki"
    d.mkdir()
    _make_ca(d, "ca")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
    (d / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
             cwd=d)
    return d


@pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")
def test_connections_past_the_bound_get_503_over_tls_too(serve, tmp_path):
    d = server_pki(tmp_path)
    s = serve("--tls-cert", d / "server.pem", "--tls-key", d / "server.key",
              "--max-connections", "1", out=tmp_path / "out")
    tls = ssl.create_default_context(cafile=str(d / "ca.pem"))

    def https_get(target: str) -> tuple[int, str]:
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as raw, \
                tls.wrap_socket(raw, server_hostname="127.0.0.1") as c:
            c.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            data = b""
            while chunk := c.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), body.decode(errors="replace")

    with socket.create_connection(("127.0.0.1", s.port), timeout=30) as held:
        held.sendall(b"\x16\x03\x01")  # a TLS handshake that never ends
        time.sleep(0.3)
        status, body = https_get("/")
        assert status == 503 and "too many connections" in body
    deadline = time.monotonic() + 30
    while https_get("/")[0] != 200:
        assert time.monotonic() < deadline, "the bound was never released"
        time.sleep(0.2)
    assert s.stop() == 0


@pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")
def test_python_websockets_over_wss(serve, tmp_path):
    d = server_pki(tmp_path)
    s = serve("--tls-cert", d / "server.pem", "--tls-key", d / "server.key",
              out=tmp_path / "out")
    assert s.scheme == "wss"
    import os
    got = python_client(s.base, "py-tls", env={**os.environ, "WSPROBE_CA": str(d / "ca.pem")},
                        timeout=300)
    assert got.returncode == 0, got.stdout[-2000:] + got.stderr[-2000:]
    assert s.stop() == 0
    results = s.results("py-tls")
    assert len(results["cases"]) == s.count
    assert {c["verdict"] for c in results["cases"]} == {"pass"}


# ---------------------------------------------------------------------------
# Real clients through the whole client catalogue, verdicts pinned

def builtin_count() -> int:
    return len(listed_ids())


def check_pins(name: str, version: str, results: dict) -> None:
    cases = {c["id"]: c for c in results["cases"]}
    expected = load_expected(f"client_{name}")
    dump_got(f"client_{name}", expected, cases, version)
    assert len(cases) == builtin_count(), "every case of the client catalogue ran"
    if expected["suspect"]:
        warnings.warn(f"{name}: {len(expected['suspect'])} suspect cases left out of the "
                      f"comparison (a grading question reported to the lead): "
                      f"{', '.join(sorted(expected['suspect'])[:10])} ...")
    diff = compare(expected, cases)
    assert not diff, (f"{name}: verdicts differ from tests/thirdparty/expected_client_{name}"
                      ".json:\n" + "\n".join(diff))


@pytest.fixture
def catalogue_serve(tmp_path):
    if builtin_count() == 0:
        pytest.skip("no built-in case is server-playable yet (role server|both)")
    s = Serve(tmp_path / "out")
    yield s
    if s.proc.poll() is None:
        s.stop()


def test_python_websockets_client_catalogue(catalogue_serve):
    import websockets  # noqa: F401 (Debian's python3-websockets)
    s = catalogue_serve
    got = python_client(s.base, "python-websockets")
    assert got.returncode == 0, got.stdout[-2000:] + got.stderr[-2000:]
    s.stop()
    version = subprocess.run([str(SYSTEM_PYTHON), "-c",
                              "import websockets; print(websockets.__version__)"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
    check_pins("python", version, s.results("python-websockets"))


@pytest.mark.skipif(NODE is None or not NODE_WS_PKG.exists(),
                    reason="node or tests/node_modules/ws missing (npm ci in tests/)")
def test_node_ws_client_catalogue(catalogue_serve):
    s = catalogue_serve
    got = subprocess.run([NODE, str(CLIENTS / "node_client.mjs"), s.base, "node-ws"],
                         capture_output=True, text=True, timeout=CATALOGUE_TIMEOUT)
    assert got.returncode == 0, got.stdout[-2000:] + got.stderr[-2000:]
    s.stop()
    version = json.loads(NODE_WS_PKG.read_text())["version"]
    check_pins("node", version, s.results("node-ws"))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed")
def test_chromium_client_catalogue(catalogue_serve, tmp_path):
    s = catalogue_serve
    results = s.out / "chromium" / "results.json"
    browser = subprocess.Popen(
        [str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={tmp_path / 'profile'}", f"http://127.0.0.1:{s.port}/?agent=chromium"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.monotonic() + CATALOGUE_TIMEOUT
        while not results.exists() and time.monotonic() < deadline:
            assert browser.poll() is None, f"chromium exited {browser.returncode}"
            time.sleep(0.5)
    finally:
        import os
        os.killpg(browser.pid, signal.SIGKILL)
        browser.wait(30)
    assert results.exists(), "the driver page never asked for updateReports"
    s.stop()
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    check_pins("chromium", version, s.results("chromium"))
