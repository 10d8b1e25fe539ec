"""wss:// end to end: `wsprobe echo-server --tls-cert/--tls-key` serves the
catalogue over TLS with the same verdicts as over TCP, and `wsprobe test`
says in one line, with exit status 2, why a TLS target cannot be tested.

Certificates are made per module with the openssl CLI in a temporary
directory: a CA, a server certificate it signs for localhost and 127.0.0.1,
and a second CA that signed nothing the server holds. The servers are the
ASan build (conftest's start_server: stopped with SIGTERM, no sanitizer
report allowed); the harness is the release build, as users run it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import test_thirdparty_servers as thirdparty
from conftest import ROOT, ServerProcess
from release_binary import release_binary

WSPROBE = release_binary()
OPENSSL = shutil.which("openssl")
SYSTEM_PYTHON = Path("/usr/bin/python3")
RUN_TIMEOUT = 240.0
# A few cases of each kind of step: frames, chops, pauses, raw bytes.
SOME_CASES = "1.1.1,1.2.8,2.10,5.1,6.2.3,7.1.1"

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make_ca(d: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
             "-subj", f"/CN=wsprobe test {name}", cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """ca.pem signed server.pem (localhost, 127.0.0.1); other-ca.pem signed nothing."""
    d = tmp_path_factory.mktemp("pki")
    _make_ca(d, "ca")
    _make_ca(d, "other-ca")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
    (d / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                  "basicConstraints=CA:FALSE\n"
                                  "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
             cwd=d)
    return d


@pytest.fixture
def wss_server(start_server, pki):
    return start_server(tls_cert=pki / "server.pem", tls_key=pki / "server.key")


def wsprobe(*args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([str(WSPROBE), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def verdicts(results: Path) -> dict:
    return {c["id"]: c["verdict"] for c in json.loads(results.read_text())["cases"]}


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The run could not be done: exit 2, one line on stderr, no reports."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("wsprobe: test: "), lines[0]
    return lines[0]


# ---------------------------------------------------------------------------
# The catalogue over TLS


def test_the_whole_catalogue_over_wss_gets_the_verdicts_of_ws(wss_server, server, pki,
                                                               tmp_path):
    over_tls = wsprobe("test", wss_server.url, "--ca", pki / "ca.pem",
                       "--out", tmp_path / "wss")
    over_tcp = wsprobe("test", server.url, "--out", tmp_path / "ws")
    assert over_tls.returncode == 0, over_tls.stdout[-3000:] + over_tls.stderr[-2000:]
    assert over_tcp.returncode == 0, over_tcp.stdout[-3000:] + over_tcp.stderr[-2000:]
    tls, tcp = verdicts(tmp_path / "wss" / "results.json"), verdicts(tmp_path / "ws" /
                                                                     "results.json")
    assert len(tls) == len(tcp) > 500
    assert tls == tcp, {i: (tcp[i], tls.get(i)) for i in tcp if tcp[i] != tls.get(i)}
    assert "fail" not in tls.values() and "error" not in tls.values()

    doc = json.loads((tmp_path / "wss" / "results.json").read_text())
    assert doc["tls"].startswith("TLSv1."), doc["tls"]
    assert doc["tls"].endswith("; certificate verified for 127.0.0.1"), doc["tls"]
    assert json.loads((tmp_path / "ws" / "results.json").read_text())["tls"] is None
    assert f"TLS: {doc['tls']}\n" in over_tls.stdout
    assert "TLS: " in (tmp_path / "wss" / "summary.md").read_text()


def test_the_wire_log_is_plaintext_a_write_per_record(wss_server, pki, tmp_path):
    # framing.20 writes its frames in 5-byte chops after the handshake: each
    # chop is one write, so one TLS record (the transport's unit tests check
    # the record itself); the log has the plaintext of each step, and says
    # it went in 5-byte writes.
    proc = wsprobe("test", wss_server.url, "--ca", pki / "ca.pem", "--cases", "framing.20",
                   "--wire-all", "--out", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wire = json.loads((tmp_path / "results.json").read_text())["cases"][0]["wire"]
    notes = [e["note"] for e in wire if e["dir"] == "note"]
    assert any(n.startswith("TLS: handshake done (TLSv1.") and "one TLS record" in n
               for n in notes), notes
    assert "TLS: the peer sent close_notify" in notes, notes
    sent = [bytes.fromhex(e["hex"]) for e in wire if e["dir"] == "tx"]
    assert sent[0].startswith(b"GET / HTTP/1.1\r\n"), sent[0][:40]  # plaintext
    assert sent[1][:2] == b"\x81\xfe", sent[1][:8]  # a masked text frame, unencrypted
    steps = [e["note"] for e in wire if e["dir"] == "tx"][1:]
    assert len(steps) == 7 and all(n.endswith("(in 5-byte writes)") for n in steps), steps


def test_a_host_name_in_the_url_is_verified_and_sent(wss_server, pki, tmp_path):
    url = f"wss://localhost:{wss_server.port}/"
    proc = wsprobe("test", url, "--ca", pki / "ca.pem", "--cases", SOME_CASES,
                   "--out", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "certificate verified for localhost" in proc.stdout


def test_sni_overrides_the_name_checked(wss_server, pki, tmp_path):
    proc = wsprobe("test", wss_server.url, "--ca", pki / "ca.pem", "--sni", "localhost",
                   "--cases", "1.1.1", "--out", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "certificate verified for localhost" in proc.stdout


def test_insecure_runs_without_checks_and_says_so(wss_server, tmp_path):
    proc = wsprobe("test", wss_server.url, "--insecure", "--cases", SOME_CASES,
                   "--out", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    said = "certificate and host name NOT verified (--insecure)"
    assert said in proc.stdout
    assert said in json.loads((tmp_path / "results.json").read_text())["tls"]
    assert said in (tmp_path / "summary.md").read_text().replace("\\", "")


# ---------------------------------------------------------------------------
# What cannot be tested: one line, exit status 2


def test_an_untrusted_certificate_is_one_line(wss_server, pki, tmp_path):
    line = one_error_line(wsprobe("test", wss_server.url, "--ca", pki / "other-ca.pem",
                                  "--out", tmp_path))
    assert "the server's TLS certificate is not trusted" in line, line
    assert str(pki / "other-ca.pem") in line, line
    assert not (tmp_path / "results.json").exists()


def test_the_system_store_does_not_trust_a_private_ca(wss_server, tmp_path):
    line = one_error_line(wsprobe("test", wss_server.url, "--out", tmp_path))
    assert "certificate is not trusted" in line and "--ca FILE" in line, line


def test_a_wrong_host_name_is_one_line(wss_server, pki, tmp_path):
    line = one_error_line(wsprobe("test", wss_server.url, "--ca", pki / "ca.pem",
                                  "--sni", "wrong.example", "--out", tmp_path))
    assert "certificate is not valid for wrong.example" in line, line


def test_a_plain_server_on_a_wss_url_is_one_line(server, tmp_path):
    url = server.url.replace("ws://", "wss://")
    t0 = time.monotonic()
    line = one_error_line(wsprobe("test", url, "--insecure", "--out", tmp_path))
    assert "the server answered plain HTTP, not TLS" in line, line
    assert "use ws://" in line, line
    assert time.monotonic() - t0 < 10


def test_a_tls_server_on_a_ws_url_is_one_line(wss_server, tmp_path):
    url = wss_server.url.replace("wss://", "ws://")
    line = one_error_line(wsprobe("test", url, "--out", tmp_path))
    assert "it speaks TLS, use wss://" in line, line


def test_a_silent_server_ends_the_tls_handshake_at_its_deadline(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept_and_hold():  # takes connections and never answers
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    try:
        t0 = time.monotonic()
        line = one_error_line(wsprobe("test", f"wss://127.0.0.1:{listener.getsockname()[1]}/",
                                      "--insecure", "--timeout-scale", "0.5",
                                      "--out", tmp_path, timeout=60))
        took = time.monotonic() - t0
    finally:
        stop.set()
        thread.join()
        for s in held:
            s.close()
        listener.close()
    assert "no TLS handshake within" in line and "the peer sent nothing" in line, line
    assert took < 15, took


def test_tls_options_without_a_wss_url_are_a_usage_error(server, pki):
    proc = wsprobe("test", server.url, "--ca", pki / "ca.pem")
    assert proc.returncode == 2
    assert "go with a wss:// URL" in proc.stderr
    proc = wsprobe("test", "wss://127.0.0.1:1/", "--ca", pki / "ca.pem", "--insecure")
    assert proc.returncode == 2 and "contradict" in proc.stderr


def test_echo_server_refuses_a_key_that_is_not_its_certificates(pki):
    proc = wsprobe("echo-server", "--port", "0", "--tls-cert", pki / "server.pem",
                   "--tls-key", pki / "ca.key", timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"wsprobe: echo-server: private key {pki / 'ca.key'} does not match certificate "
        f"{pki / 'server.pem'}"]


def test_an_autobahn_spec_may_list_a_wss_server(wss_server, pki, tmp_path):
    spec = tmp_path / "fuzzingclient.json"
    spec.write_text(json.dumps({"servers": [{"agent": "tls", "url": wss_server.url}],
                                "cases": ["1.1.*"]}))
    proc = wsprobe("test", "--autobahn-config", spec, "--ca", pki / "ca.pem",
                   "--autobahn-report", tmp_path / "ab", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    index = json.loads((tmp_path / "ab" / "index.json").read_text())
    assert {v["behavior"] for v in index["tls"].values()} == {"OK"}, index
    doc = json.loads((tmp_path / "out" / "tls" / "results.json").read_text())
    assert doc["tls"].endswith("certificate verified for 127.0.0.1"), doc["tls"]


# ---------------------------------------------------------------------------
# Network fuzzing over TLS


def test_fuzz_over_wss(wss_server, pki, tmp_path):
    proc = wsprobe("fuzz", wss_server.url, "--ca", pki / "ca.pem", "--iterations", "150",
                   "--seed", "7", "--out", tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = json.loads((tmp_path / "fuzz-summary.json").read_text())
    assert summary["iterations"] == 150 and summary["stopped"] == "iterations", summary
    assert summary["target"] == wss_server.url and summary["findings"] == [], summary
    bad = wsprobe("fuzz", wss_server.url, "--ca", pki / "other-ca.pem", "--iterations", "5",
                  "--out", tmp_path / "bad")
    assert bad.returncode == 2
    assert "certificate is not trusted" in bad.stderr


# ---------------------------------------------------------------------------
# A third-party TLS server: python3-websockets with the ssl module


def test_python_websockets_over_wss_gets_its_pinned_verdicts(pki, tmp_path):
    version = thirdparty._python_websockets_version()
    if version is None:
        pytest.skip("python3-websockets is not installed for /usr/bin/python3")
    expected = thirdparty.load_expected("python")
    cmd = [str(SYSTEM_PYTHON), str(ROOT / "tests" / "thirdparty" / "python_echo_server.py"),
           "--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key")]
    server = thirdparty.ThirdPartyServer("python-wss", cmd, tmp_path)
    try:
        url = server.url.replace("ws://", "wss://")  # ThirdPartyServer builds ws://
        proc = wsprobe("test", url, "--ca", pki / "ca.pem", "-j", "8",
                       "--json", tmp_path / "results.json", "--out", tmp_path / "report")
    finally:
        problem = server.stop()
    assert problem is None, problem
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["tls"].endswith("certificate verified for 127.0.0.1")
    cases = {c["id"]: c for c in results["cases"]}
    diff = thirdparty.compare(expected, cases)
    assert not diff, (f"python-websockets {version} over wss:// differs from "
                      "tests/thirdparty/expected_python.json:\n" + "\n".join(diff))
    assert proc.returncode in (0, 1), proc.stderr
