"""The reports of `wsprobe test --out DIR`, end to end.

(1) Against the faulty server (no UTF-8 validation): results.json, junit.xml,
    summary.md and index.html all exist; junit.xml validates against
    tests/junit.xsd; the three agree on every count, overall and per area;
    the failed cases of results.json are exactly the <failure> testcases of
    junit.xml (errors: <error>, unimplemented: <skipped>) and the rows of
    summary.md's failed table (or its first 50 rows and "N more").
(2) Against tests/hostile/hostile_server.py, which puts markup, control
    bytes and invalid UTF-8 in every header, close reason and echo: junit.xml
    still validates and holds only JUnit elements, summary.md's table rows
    keep their column count, and none of the hostile markup survives raw in
    index.html, junit.xml or summary.md.
(3) An interrupted run (SIGINT or SIGTERM, once) exits 2 and leaves valid
    files saying so; a run killed with SIGKILL leaves the previous reports of
    its directory intact (every write is atomic).

WSPROBE_BIN picks the binary (default build/asan/wsprobe: the writers run
under ASan+UBSan; falls back to build/wsprobe).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3"
FAULTY = ROOT / "tests" / "faulty" / "faulty_server.py"
HOSTILE = ROOT / "tests" / "hostile" / "hostile_server.py"
XSD = ROOT / "tests" / "junit.xsd"
LISTEN_RE = re.compile(r"^listening on (ws://127\.0\.0\.1:\d+/)$")
STARTUP_TIMEOUT = 15.0
RUN_TIMEOUT = 180.0
STOP_TIMEOUT = 10.0
FILES = ("results.json", "junit.xml", "summary.md", "index.html")
JUNIT_TAGS = {"testsuites", "testsuite", "properties", "property", "testcase", "failure",
              "error", "skipped", "system-out", "system-err"}
MD_CAP = 50
# (summary.md verdict name, results.json summary key, JUnit attribute or None)
VERDICTS = (("pass", "pass", None), ("non-strict", "non_strict", None),
            ("informational", "informational", None),
            ("unimplemented", "unimplemented", "skipped"), ("fail", "fail", "failures"),
            ("error", "error", "errors"))


def _binary() -> Path:
    env = os.environ.get("WSPROBE_BIN")
    if env:
        return Path(env)
    asan = ROOT / "build" / "asan" / "wsprobe"
    return asan if asan.exists() else ROOT / "build" / "wsprobe"


BINARY = _binary()


class PyServer:
    """A Python test server on a free loopback port, stopped with SIGTERM."""

    def __init__(self, script: Path, *args: str):
        # Read back through its own open file description: seeking the one
        # the child writes through would move the child's offset too, and a
        # write landing after our seek(0) would overwrite the start.
        self.out = tempfile.NamedTemporaryFile()
        self.proc = subprocess.Popen([PYTHON, str(script), "--port", "0", *args],
                                     stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.DEVNULL)
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
            raise RuntimeError(f"{script.name} did not start: {line!r}")
        self.url = m.group(1)

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        self.out.close()
        return self.proc.returncode


@pytest.fixture
def py_server():
    started: list[PyServer] = []

    def start(script: Path, *args: str) -> PyServer:
        s = PyServer(script, *args)
        started.append(s)
        return s

    yield start
    codes = [s.stop() for s in started]
    assert all(c == 0 for c in codes), f"test servers exited with {codes}"


def require_tools():
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: run `make build/asan/wsprobe` first", pytrace=False)
    if shutil.which("xmllint") is None:
        pytest.skip("xmllint (libxml2-utils) is not installed")


def run_test(url: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "test", url, "--out", str(out), *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


# ---- reading the three formats ----

def validate_junit(path: Path) -> ET.Element:
    r = subprocess.run(["xmllint", "--noout", "--schema", str(XSD), str(path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{path} does not validate:\n{r.stderr[-3000:]}"
    root = ET.parse(path).getroot()
    tags = {e.tag for e in root.iter()}
    assert tags <= JUNIT_TAGS, f"unexpected elements in junit.xml: {tags - JUNIT_TAGS}"
    return root


def md_cells(row: str) -> list[str]:
    """Cells of a Markdown table row, split on unescaped pipes."""
    cells, cur, i = [], "", 0
    while i < len(row):
        c = row[i]
        if c == "\\" and i + 1 < len(row):
            cur += row[i:i + 2]
            i += 2
            continue
        if c == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    cells.append(cur.strip())
    return cells[1:-1]  # the row starts and ends with a pipe


def md_tables(text: str) -> dict[str, list[list[str]]]:
    """Tables by the heading above them ("" for the first one); rows without
    the header and delimiter rows. Asserts every row of a table has the
    header's column count."""
    tables: dict[str, list[list[str]]] = {}
    heading, rows = "", None
    for line in text.split("\n"):
        if line.startswith("#"):
            heading = line.lstrip("#").strip() if line.startswith("## ") else ""
        if line.startswith("|"):
            cells = md_cells(line)
            if rows is None:
                rows, width = [], len(cells)
                tables[heading] = rows
            assert len(cells) == width, f"row breaks the table {heading!r}: {line!r}"
            rows.append(cells)
        else:
            rows = None
    return {k: v[2:] for k, v in tables.items()}


def case_ids(cases, verdicts) -> list[str]:
    return [c["id"] for c in cases if c["verdict"] in verdicts]


def junit_case_id(tc: ET.Element) -> str:
    return tc.get("name").split(" ", 1)[0]


def outcome_ids(root: ET.Element, tag: str) -> list[str]:
    return [junit_case_id(tc) for tc in root.iter("testcase") if tc.find(tag) is not None]


def stdout_verdicts(root: ET.Element) -> dict[str, int]:
    """How many testcases say each verdict in their system-out."""
    counts: dict[str, int] = {}
    for tc in root.iter("testcase"):
        out = tc.find("system-out")
        if out is not None and out.text and out.text.startswith("verdict: "):
            v = out.text.split("\n", 1)[0][len("verdict: "):]
            counts[v] = counts.get(v, 0) + 1
    return counts


def check_agreement(out: Path) -> dict:
    """The four files exist and agree; returns results.json."""
    for name in FILES:
        assert (out / name).is_file(), f"{name} missing from {out}"
    assert not [p.name for p in out.iterdir() if ".tmp." in p.name], "temporary files left"
    results = json.loads((out / "results.json").read_text())
    summary, cases = results["summary"], results["cases"]
    root = validate_junit(out / "junit.xml")
    md = (out / "summary.md").read_text(encoding="utf-8")
    tables = md_tables(md)

    # overall counts
    assert root.tag == "testsuites"
    assert int(root.get("tests")) == summary["total"] == len(cases)
    md_counts = {row[0]: int(row[1]) for row in tables[""]}
    for md_name, key, attr in VERDICTS:
        assert md_counts[md_name] == summary[key], md_name
        if attr:
            assert int(root.get(attr)) == summary[key], attr
    said = stdout_verdicts(root)
    assert said.get("non-strict", 0) == summary["non_strict"]
    assert said.get("informational", 0) == summary["informational"]
    total_line = md.split("\n", 1)[0]
    assert f": {summary['total']} cases, {summary['pass']} pass, {summary['fail']} fail, " \
           f"{summary['error']} error" in total_line, total_line

    # per area: junit testsuites and the summary.md area table, in order
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == list(results["areas"])
    area_rows = tables.get("Areas", [])
    assert [r[0] for r in area_rows] == list(results["areas"])
    for suite, row in zip(suites, area_rows):
        area = results["areas"][suite.get("name")]
        assert int(suite.get("tests")) == area["total"] == len(suite.findall("testcase"))
        assert int(row[1]) == area["total"]
        for i, (_, key, attr) in enumerate(VERDICTS):
            assert int(row[2 + i]) == area[key], (suite.get("name"), key)
            if attr:
                assert int(suite.get(attr)) == area[key], (suite.get("name"), attr)

    # the failed, errored and unimplemented cases are the same everywhere
    # (junit.xml groups them by area, so compare them sorted)
    for tag, verdict in (("failure", "fail"), ("error", "error"), ("skipped", "unimplemented")):
        assert sorted(outcome_ids(root, tag)) == sorted(case_ids(cases, {verdict})), tag
    bad = case_ids(cases, {"fail", "error"})
    listed = [row[0] for row in tables.get("Failed cases", [])]
    assert listed == bad[:MD_CAP]
    if len(bad) > MD_CAP:
        assert f"_... and {len(bad) - MD_CAP} more (see results.json)_" in md
    else:
        assert "more (see results.json)" not in md
    return results


# ---- (1) a faulty server ----

@pytest.mark.parametrize("cases", ["utf8,1", "6.3,6.4,6.5,1.1"])
def test_reports_agree_on_a_faulty_server(py_server, tmp_path, cases):
    require_tools()
    server = py_server(FAULTY, "--fault", "no-utf8-check")
    out = tmp_path / "new" / "dir"  # created by wsprobe, parents too
    r = run_test(server.url, out, "--cases", cases)
    assert r.returncode == 1, r.stderr[-2000:]
    results = check_agreement(out)
    assert results["summary"]["fail"] > 0
    assert not results["interrupted"]


# ---- (2) a hostile server ----

HOSTILE_AGENT = "<script>alert('agent')</script> | `x` ]]> </testcase>"
# Strings only the peer (or the agent name) can have put in a report: none
# may appear raw in any of them.
RAW_MARKUP = ("<script>alert", "<img src=x", "onerror=alert(1)>", "<i>x</i>", "<marquee",
              "</testcase>]]", "<!DOCTYPE x", "<![CDATA[", "</testsuite></testsuites>",
              "href=\"javascript", "<!-- \"")


def test_hostile_server_cannot_break_the_reports(py_server, tmp_path):
    require_tools()
    server = py_server(HOSTILE)
    out = tmp_path / "hostile"
    r = run_test(server.url, out, "--cases", "framing,pings,opcodes,close,handshake,6.1,6.3",
                 "--agent", HOSTILE_AGENT)
    assert r.returncode == 1, r.stderr[-2000:]
    results = check_agreement(out)
    # the hostile content really reached the model
    reasons = [c["close"]["reason"] for c in results["cases"] if c.get("close")]
    assert any("</testcase>" in x for x in reasons)
    assert any("\ufffd" in x for x in reasons)  # invalid UTF-8, replaced in JSON
    assert any("<script>alert(1)" in c["observed"] for c in results["cases"])
    for name in ("junit.xml", "summary.md", "index.html"):
        data = (out / name).read_bytes()
        text = data.decode("utf-8")  # valid UTF-8, or this raises
        for bad in RAW_MARKUP:
            assert bad not in text, f"{bad!r} survived raw in {name}"
        controls = [c for c in text if ord(c) < 0x20 and c not in "\t\n\r"]
        assert not controls, f"control characters in {name}: {controls[:5]!r}"
    md = (out / "summary.md").read_text()
    assert not re.search(r"(?<!\\)\]\(", md), "a Markdown link survived"
    root = ET.parse(out / "junit.xml").getroot()
    props = {p.get("name"): p.get("value") for p in root.find("testsuite").iter("property")}
    assert props["agent"] == HOSTILE_AGENT  # escaped on the way in, intact on the way out


# ---- (3) interrupted and killed runs ----

# Each bad close waits out its timeout: with -j 4 the run takes well over
# ten seconds whatever the number of cores.
SLOW_CASES = "close,reserved-bits"


def start_slow_run(py_server, out: Path) -> subprocess.Popen:
    server = py_server(FAULTY, "--fault", "never-answer-close")
    return subprocess.Popen([str(BINARY), "test", server.url, "--cases", SLOW_CASES,
                             "-j", "4", "--out", str(out)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_bounded(proc: subprocess.Popen, timeout: float = 60.0) -> int:
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        pytest.fail(f"wsprobe did not exit within {timeout}s")
    return proc.returncode


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_valid_reports(py_server, tmp_path, sig):
    require_tools()
    out = tmp_path / "interrupted"
    proc = start_slow_run(py_server, out)
    time.sleep(1.0)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(sig)
    rc = wait_bounded(proc)
    err = proc.stderr.read()
    proc.stderr.close()
    assert rc == 2, err[-2000:]
    results = check_agreement(out)
    assert results["interrupted"] is True
    assert results["selected"] > len(results["cases"])
    assert "**Interrupted:**" in (out / "summary.md").read_text()
    root = ET.parse(out / "junit.xml").getroot()
    assert int(root.get("tests")) == len(results["cases"])


def test_killed_run_leaves_previous_reports_intact(py_server, tmp_path):
    require_tools()
    out = tmp_path / "reports"
    server = py_server(FAULTY, "--fault", "no-utf8-check")
    assert run_test(server.url, out, "--cases", "6.3,1.1").returncode == 1
    before = {name: (out / name).read_bytes() for name in FILES}
    proc = start_slow_run(py_server, out)
    time.sleep(1.0)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.kill()
    wait_bounded(proc)
    proc.stderr.close()
    after = {name: (out / name).read_bytes() for name in FILES}
    assert after == before, "a killed run changed the previous reports"
    check_agreement(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
