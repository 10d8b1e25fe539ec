"""CI controls of `wsprobe test` and the multi-run commands, end to end.

Against tests/faulty/faulty_server.py (a conformant echo server that
`--fault NAME` breaks in one rule family):
  - exit status without a baseline, with a baseline from the same run, with a
    baseline from a clean run (regressions listed), with an expectations
    file, and unexpected passes;
  - every format agrees with the exit status (reports/ci_gate.h): with a
    satisfied baseline the terminal, summary.md and junit.xml show the
    known failures as expected (JUnit <skipped>), never as failures; a
    regression and an unexpected pass are <failure>s and listed first;
    ids the catalogue lacks are a warning; --write-baseline creates its
    directory;
  - --fail-on fail,non-strict on a run whose only findings are non-strict:
    the cases that set the status are listed everywhere;
  - `wsprobe report` (matrix.html) and `wsprobe diff` (text, Markdown, exit
    codes);
  - --exec-server: the harness starts the server, stops it at the end (no
    process left), and survives a server that crashes on one case.

WSPROBE_BIN picks the binary; the default is build/wsprobe, falling back to
build/asan/wsprobe.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from release_binary import release_binary

ROOT = Path(__file__).resolve().parents[2]
FAULTY_DIR = ROOT / "tests" / "faulty"
SERVER = FAULTY_DIR / "faulty_server.py"
PYTHON = "/usr/bin/python3"
RUN_TIMEOUT = 180.0
LISTEN_RE = re.compile(r"^listening on (ws://127\.0\.0\.1:\d+/)$")

# wrong-fail-code: every case that expects 1002 gets 1000: in areas 2 and 3
# that is 2.5 and 3.1-3.7 (tests/faulty/README.md).
FAULT = "wrong-fail-code"
FAULT_CASES = "2,3"
FAULT_FAILS = ["2.5"] + [f"3.{n}" for n in range(1, 8)]




BINARY = release_binary()


class Faulty:
    """One faulty_server.py process on a free port."""

    def __init__(self, *faults: str):
        args = [PYTHON, str(SERVER), "--port", "0"]
        for f in faults:
            args += ["--fault", f]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        m = LISTEN_RE.match(line)
        if not m:
            self.stop()
            raise RuntimeError(f"faulty server said {line!r}")
        self.url = m.group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def faulty():
    started: list[Faulty] = []

    def start(*faults: str) -> Faulty:
        s = Faulty(*faults)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def wsprobe(*args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def run_test(url: str | None, out: Path, *extra: str, cases: str = FAULT_CASES):
    args = ["test"] + ([url] if url else []) + ["--cases", cases, "--out", out, "-j", "8",
                                                 *extra]
    return wsprobe(*args)


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def verdicts(out: Path) -> dict[str, str]:
    return {c["id"]: c["verdict"] for c in results(out)["cases"]}


def junit(out: Path) -> dict[str, tuple[str, str]]:
    """Per case id: (the outcome element or "", its message)."""
    root = ET.parse(out / "junit.xml").getroot()
    found = {}
    for tc in root.iter("testcase"):
        el = next((e for e in tc if e.tag in ("failure", "error", "skipped")), None)
        found[tc.get("name").split(" ", 1)[0]] = \
            (el.tag, el.get("message")) if el is not None else ("", "")
    return found


def junit_totals(out: Path) -> dict[str, int]:
    root = ET.parse(out / "junit.xml").getroot()
    return {k: int(root.get(k)) for k in ("tests", "failures", "errors", "skipped")}


GATE = re.compile(r'<section class="gate s(\d)" id="gate"[^>]*>(.*?)</section>', re.S)
TAG = re.compile(r'<span class="gtag">([^<]*)</span><span class="cid">([^<]*)</span>')


def html_gate(out: Path) -> tuple[int, str] | None:
    """index.html's CI view: (exit status, its text without markup), or
    None when the page has none."""
    m = GATE.search((out / "index.html").read_text())
    if not m:
        return None
    return int(m.group(1)), re.sub(r"<[^>]+>", "", m.group(2))


def html_tags(out: Path) -> dict[str, str]:
    """The CI role each case of index.html is tagged with, by id."""
    return {cid: tag for tag, cid in TAG.findall((out / "index.html").read_text())}


def with_outcome(out: Path, tag: str) -> list[str]:
    return sorted(i for i, (t, _) in junit(out).items() if t == tag)


# ---- exit status and baselines ----

@pytest.fixture
def fault_run(faulty, tmp_path):
    """The faulty server and one finished run against it (no baseline)."""
    server = faulty(FAULT)
    out = tmp_path / "first"
    p = run_test(server.url, out)
    return server, out, p


def test_failures_without_baseline_exit_1_and_all_reports_written(fault_run):
    _, out, p = fault_run
    assert p.returncode == 1, p.stdout + p.stderr
    for name in ("results.json", "index.html", "junit.xml", "summary.md"):
        assert (out / name).stat().st_size > 0, name
    v = verdicts(out)
    assert sorted(i for i, x in v.items() if x == "fail") == sorted(FAULT_FAILS)
    assert "baseline" not in results(out)


def test_baseline_from_the_same_run_exits_0(fault_run, tmp_path):
    server, first, _ = fault_run
    out = tmp_path / "again"
    p = run_test(server.url, out, "--baseline", first / "results.json")
    assert p.returncode == 0, p.stdout + p.stderr
    n = len(FAULT_FAILS)
    assert f"0 regressions, 0 unexpected passes, {n} expected" in p.stdout
    b = results(out)["baseline"]
    assert b["regressions"] == [] and b["unexpected_passes"] == []
    assert sorted(e["id"] for e in b["expected"]) == sorted(FAULT_FAILS)
    assert b["fail_on"] == ["fail"] and b["unknown_ids"] == []
    # Known failures are not failures anywhere: the terminal prints no FAIL
    # line, summary.md's title counts them as expected, and junit.xml has
    # them as <skipped>, so a CI's JUnit view agrees with the exit status 0.
    assert not re.search(r"^  FAIL ", p.stdout, re.M), p.stdout
    assert p.stdout.rstrip().endswith(
        f"exit status 0: no regression and no unexpected pass against the baseline "
        f"({n} expected)"), p.stdout
    md = (out / "summary.md").read_text()
    title = md.split("\n", 1)[0]
    total = len(results(out)["cases"])
    assert f": {total} cases, 0 regressions, 0 unexpected passes, {n} expected" in title, title
    assert " fail" not in title
    assert "**Exit status 0:**" in md and "## Baseline" in md
    assert "### Expected by the baseline" in md and "## Failed cases" not in md
    for case_id in FAULT_FAILS:
        assert f"| {case_id} | fail |" in md, case_id
    assert junit_totals(out) == {"tests": total, "failures": 0, "errors": 0, "skipped": n}
    assert with_outcome(out, "skipped") == sorted(FAULT_FAILS)
    tag, message = junit(out)["3.7"]
    assert message.startswith("expected by baseline: fail: expected close 1002"), message
    # index.html says the same on top, and tags each known failure.
    status, text = html_gate(out)
    assert status == 0 and "Exit status 0: no regression and no unexpected pass" in text, text
    assert f"0 regressions, 0 unexpected passes, {n} expected" in text, text
    assert html_tags(out) == {i: "expected by baseline" for i in FAULT_FAILS}


def test_baseline_from_a_clean_run_lists_regressions(faulty, fault_run, tmp_path):
    clean = faulty()
    ref = tmp_path / "ref"
    p = run_test(clean.url, ref)
    assert p.returncode == 0, p.stdout + p.stderr
    server, _, _ = fault_run
    out = tmp_path / "regressed"
    p = run_test(server.url, out, "--baseline", ref / "results.json")
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"{len(FAULT_FAILS)} regressions, 0 unexpected passes" in p.stdout
    for case_id in FAULT_FAILS:
        assert re.search(rf"REGRESSED\s+{re.escape(case_id)}\s+pass -> fail", p.stdout), case_id
    b = results(out)["baseline"]
    assert b["file"] == str(ref / "results.json")
    assert sorted(r["id"] for r in b["regressions"]) == sorted(FAULT_FAILS)
    assert all(r["baseline"] == "pass" and r["verdict"] == "fail" for r in b["regressions"])
    md = (out / "summary.md").read_text()
    assert "### Regressions" in md and "| 3.7 | fail | pass |" in md
    assert with_outcome(out, "failure") == sorted(FAULT_FAILS)
    assert junit(out)["3.7"][1].startswith("regression (baseline: pass): fail: ")
    assert p.stdout.rstrip().endswith(
        f"exit status 1: {len(FAULT_FAILS)} regressions and 0 unexpected passes "
        "against the baseline"), p.stdout


def test_expectations_file_baseline(fault_run, tmp_path):
    server, _, _ = fault_run
    base = tmp_path / "expect.txt"
    lines = ["# known failures of the faulty server", ""]
    lines += [f"{i}  fail  sends 1000 instead of 1002" for i in FAULT_FAILS]
    base.write_text("\n".join(lines) + "\n")
    p = run_test(server.url, tmp_path / "ok", "--baseline", base)
    assert p.returncode == 0, p.stdout + p.stderr
    # One expectation fewer: that case is a regression again.
    base.write_text("\n".join(lines[:-1]) + "\n")
    p = run_test(server.url, tmp_path / "one-more", "--baseline", base)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "1 regression, 0 unexpected passes" in p.stdout
    assert re.search(r"REGRESSED\s+3\.7\s+\(not listed\) -> fail", p.stdout), p.stdout
    # Regressions are listed before anything else, and the cases the
    # baseline still expects are only counted: 3.7 is the one change.
    md = (tmp_path / "one-more" / "summary.md").read_text()
    assert md.index("### Regressions") < md.index("### Expected by the baseline")
    assert re.search(r"^\| 3\.7 \| fail \| \(not listed\) \|", md, re.M), md
    assert with_outcome(tmp_path / "one-more", "failure") == ["3.7"]
    assert len(with_outcome(tmp_path / "one-more", "skipped")) == len(FAULT_FAILS) - 1
    status, text = html_gate(tmp_path / "one-more")
    assert status == 1 and "Regressions" in text, text
    assert "3.7 (fail; baseline: not listed)" in text, text
    assert html_tags(tmp_path / "one-more")["3.7"] == "regression"
    assert 'href="#case-3.7"' in GATE.search(
        (tmp_path / "one-more" / "index.html").read_text()).group(2)
    # A broken expectations file is a usage error, found before the run.
    base.write_text("3.1 fial\n")
    p = run_test(server.url, tmp_path / "bad", "--baseline", base)
    assert p.returncode == 2
    assert "expect.txt:1: unknown verdict 'fial'" in p.stderr


def test_unknown_baseline_ids_are_a_warning(fault_run, tmp_path):
    server, _, _ = fault_run
    base = tmp_path / "expect.txt"
    base.write_text("".join(f"{i} fail\n" for i in FAULT_FAILS) +
                    "3.77 fail a typo\nnosuch.1 fail\n6.4.1 fail listed, not selected\n")
    out = tmp_path / "typo"
    p = run_test(server.url, out, "--baseline", base)
    assert p.returncode == 0, p.stdout + p.stderr
    assert ("lists 2 ids that no case has (ignored): 3.77, nosuch.1") in p.stderr, p.stderr
    assert "warning: the baseline lists 2 ids that no case has (ignored): " \
           "3.77, nosuch.1" in p.stdout, p.stdout
    md = (out / "summary.md").read_text()
    assert "**Warning:** the baseline lists 2 ids that no case has" in md
    assert "ignored: 3.77, nosuch.1." in md
    assert results(out)["baseline"]["unknown_ids"] == ["3.77", "nosuch.1"]
    assert "the baseline lists 2 ids that no case has" in html_gate(out)[1]


def test_write_baseline_creates_its_directory(fault_run, tmp_path):
    server, _, _ = fault_run
    base = tmp_path / "fresh" / "ci" / "wsprobe-baseline.txt"
    p = run_test(server.url, tmp_path / "w", "--write-baseline", base)
    assert p.returncode == 1, p.stdout + p.stderr
    assert base.is_file()
    # A path that cannot be created fails before the run, not after it.
    blocker = tmp_path / "file"
    blocker.write_text("")
    p = run_test(server.url, tmp_path / "w2", "--write-baseline", blocker / "x.txt")
    assert p.returncode == 2
    assert "--write-baseline" in p.stderr and not (tmp_path / "w2").exists()


def test_write_baseline_round_trips(fault_run, tmp_path):
    server, _, _ = fault_run
    base = tmp_path / "written.txt"
    p = run_test(server.url, tmp_path / "w", "--write-baseline", base)
    assert p.returncode == 1
    listed = [ln.split()[0] for ln in base.read_text().splitlines()
              if ln.strip() and not ln.startswith("#")]
    assert sorted(listed) == sorted(FAULT_FAILS)
    p = run_test(server.url, tmp_path / "w2", "--baseline", base)
    assert p.returncode == 0, p.stdout + p.stderr


def test_unexpected_pass_exits_1(faulty, tmp_path):
    clean = faulty()
    base = tmp_path / "stale.txt"
    base.write_text("2.5 fail was broken once\n3.1 fail\n")
    out = tmp_path / "fixed"
    p = run_test(clean.url, out, "--baseline", base)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "0 regressions, 2 unexpected passes" in p.stdout
    assert re.search(r"NOW PASSES\s+2\.5\s+fail -> pass", p.stdout), p.stdout
    assert "update the baseline" in p.stdout
    b = results(out)["baseline"]
    assert [u["id"] for u in b["unexpected_passes"]] == ["2.5", "3.1"]
    assert "### Unexpected passes" in (out / "summary.md").read_text()
    # The job exits 1 until the baseline is updated: the JUnit view is red.
    assert with_outcome(out, "failure") == ["2.5", "3.1"]
    assert junit(out)["2.5"][1] == ("unexpected pass: now pass, the baseline lists fail: "
                                    "update the baseline")
    status, text = html_gate(out)
    assert status == 1 and "2.5 (pass; baseline: fail)" in text, text
    assert html_tags(out) == {"2.5": "unexpected pass", "3.1": "unexpected pass"}
    # `wsprobe report` re-renders from results.json, which holds verdicts,
    # not the run's baseline: the default view (a pass is a pass).
    p = wsprobe("report", out / "results.json", "--out", tmp_path / "again")
    assert p.returncode == 0, p.stderr
    assert with_outcome(tmp_path / "again", "failure") == []
    assert "Exit status" not in (tmp_path / "again" / "summary.md").read_text()
    assert html_gate(tmp_path / "again") is None and html_tags(tmp_path / "again") == {}


def test_fail_on_non_strict(faulty, tmp_path):
    # utf8-at-end: 6.4.x fail late on invalid UTF-8, which is non-strict only.
    server = faulty("utf8-at-end")
    p = run_test(server.url, tmp_path / "a", cases="6.4")
    assert p.returncode == 0, p.stdout + p.stderr
    v = verdicts(tmp_path / "a")
    assert "non-strict" in v.values() and "fail" not in v.values(), v
    p = run_test(server.url, tmp_path / "b", "--fail-on", "fail,non-strict", cases="6.4")
    assert p.returncode == 1, p.stdout + p.stderr
    # Whatever sets the exit status is shown: each non-strict case in the
    # terminal, in summary.md's failed table and as a JUnit <failure>.
    lax = sorted(i for i, x in v.items() if x == "non-strict")
    for case_id in lax:
        assert re.search(rf"^  NON-STRICT {re.escape(case_id)} ", p.stdout, re.M), case_id
    assert f"exit status 1: {len(lax)} cases have a --fail-on verdict (non-strict,fail)" \
        in p.stdout
    md = (tmp_path / "b" / "summary.md").read_text()
    assert f"{len(lax)} non-strict, 0 fail" in md.split("\n", 1)[0]
    failed = md[md.index("## Failed cases"):md.index("## Areas")]
    assert sorted(re.findall(r"^\| ([\d.]+) \| non-strict \|", failed, re.M)) == lax
    assert with_outcome(tmp_path / "b", "failure") == lax
    assert junit_totals(tmp_path / "b")["failures"] == len(lax)
    status, text = html_gate(tmp_path / "b")
    assert status == 1 and "Set by:" in text, text
    assert html_tags(tmp_path / "b") == {i: "fails the job (--fail-on)" for i in lax}
    # Without non-strict in --fail-on the same cases are visible passes.
    assert with_outcome(tmp_path / "a", "failure") == []
    p = run_test(server.url, tmp_path / "c", "--fail-on", "fail,nonsense", cases="6.4")
    assert p.returncode == 2
    assert "unknown verdict 'nonsense'" in p.stderr


def test_json_option_overrides_only_results_json(fault_run, tmp_path):
    server, _, _ = fault_run
    out, js = tmp_path / "dir", tmp_path / "elsewhere.json"
    p = run_test(server.url, out, "--json", js)
    assert p.returncode == 1
    assert json.loads(js.read_text())["schema"] == "wsprobe-results/1"
    assert not (out / "results.json").exists()
    for name in ("index.html", "junit.xml", "summary.md"):
        assert (out / name).exists(), name


# ---- report and diff ----

def test_report_and_diff(faulty, fault_run, tmp_path):
    clean = faulty()
    ref = tmp_path / "ref"
    assert run_test(clean.url, ref).returncode == 0
    _, bad, _ = fault_run
    a, b = ref / "results.json", bad / "results.json"

    p = wsprobe("report", a, b, "--out", tmp_path / "matrix")
    assert p.returncode == 0, p.stderr
    html = (tmp_path / "matrix" / "matrix.html").read_text()
    assert "<html" in html.lower() and "3.7" in html
    assert not (tmp_path / "matrix" / "index.html").exists()

    p = wsprobe("report", b, "--out", tmp_path / "single")
    assert p.returncode == 0, p.stderr
    for name in ("matrix.html", "index.html", "junit.xml", "summary.md"):
        assert (tmp_path / "single" / name).stat().st_size > 0, name

    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": "wsprobe-results/1", "cases": [')
    p = wsprobe("report", a, broken, "--out", tmp_path / "nope")
    assert p.returncode == 2
    assert "broken.json: not valid JSON" in p.stderr

    p = wsprobe("diff", a, b)
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"Regressions ({len(FAULT_FAILS)}):" in p.stdout
    assert re.search(r"^  3\.1  pass -> fail  ", p.stdout, re.M), p.stdout
    assert "expected close 1002, got close 1000" in p.stdout
    assert f"{len(FAULT_FAILS)} regressions, 0 improvements" in p.stdout

    p = wsprobe("diff", b, a, "--markdown")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"### Improvements ({len(FAULT_FAILS)})" in p.stdout
    assert "| case | title | old | new | reason |" in p.stdout
    assert re.search(r"^\| 2\.5 \| .* \| fail \| pass \| +\|$", p.stdout, re.M), p.stdout

    p = wsprobe("diff", a, a)
    assert p.returncode == 0 and "0 regressions" in p.stdout
    p = wsprobe("diff", a, tmp_path / "missing.json")
    assert p.returncode == 2 and "missing.json" in p.stderr


# ---- --exec-server ----

def pid_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def pids_from(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_exec_server_runs_and_stops_the_server(tmp_path):
    pidfile = tmp_path / "pids"
    # `exec` keeps the recorded pid: the shell becomes the server.
    cmd = f"echo $$ >> {pidfile}; exec {PYTHON} {SERVER} --fault {FAULT} --port {{port}}"
    out = tmp_path / "exec"
    p = run_test(None, out, "--exec-server", cmd)
    assert p.returncode == 1, p.stdout + p.stderr
    doc = results(out)
    assert re.match(r"^ws://127\.0\.0\.1:\d+/$", doc["target"]), doc["target"]
    assert sorted(i for i, x in verdicts(out).items() if x == "fail") == sorted(FAULT_FAILS)
    pids = pids_from(pidfile)
    assert len(pids) == 1, pids
    assert pid_gone(pids[0]), "the server outlived wsprobe"


def test_exec_server_options_are_checked(tmp_path):
    p = wsprobe("test", "ws://127.0.0.1:1/", "--exec-server", "x {port}")
    assert p.returncode == 2 and "not both" in p.stderr
    p = wsprobe("test", "--exec-server", "no-port-here")
    assert p.returncode == 2 and "{port}" in p.stderr
    p = wsprobe("test", "--exec-server", f"{PYTHON} -c 'import sys; sys.exit(3)' {{port}}",
                "--out", tmp_path / "x")
    assert p.returncode == 2 and "--exec-server" in p.stderr


# A faulty_server.py that kills itself with SIGSEGV when it receives a ping
# of exactly 125 bytes: cases 2.4 and 2.6 send one, the other cases of area 2
# do not.
CRASHY = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import faulty_server
    with open(sys.argv[2], "a") as f:
        f.write(f"{os.getpid()}\\n")
    orig = faulty_server.Connection.on_ping
    def on_ping(self, payload):
        if len(payload) == 125:
            sys.stderr.write("crashy: a 125-byte ping, crashing\\n")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGSEGV)
        return orig(self, payload)
    faulty_server.Connection.on_ping = on_ping
    sys.exit(faulty_server.main(sys.argv[3:]))
""")
CRASH_CASES = {"2.4", "2.6"}


@pytest.mark.parametrize("jobs", ["1", "8"])
def test_exec_server_crash_is_pinned_on_the_case(tmp_path, jobs):
    script, pidfile = tmp_path / "crashy.py", tmp_path / "pids"
    script.write_text(CRASHY)
    cmd = f"exec {PYTHON} {script} {FAULTY_DIR} {pidfile} --port {{port}}"
    out = tmp_path / "crash"
    p = wsprobe("test", "--exec-server", cmd, "--cases", "2", "--out", out, "-j", jobs)
    assert p.returncode == 1, p.stdout + p.stderr
    cases = {c["id"]: c for c in results(out)["cases"]}
    assert len(cases) == 11, "later cases still ran"
    crashed = {i for i, c in cases.items() if c["reason_code"] == "server-crash"}
    assert crashed == CRASH_CASES, {i: (c["verdict"], c["reason"]) for i, c in cases.items()}
    for i in CRASH_CASES:
        c = cases[i]
        assert c["verdict"] == "fail"
        assert c["reason"].startswith("server exited with signal 11"), c["reason"]
        assert "crashy: a 125-byte ping, crashing" in c["observed"]
    for i, c in cases.items():
        if i not in CRASH_CASES:
            assert c["verdict"] == "pass", (i, c["reason"])
    pids = pids_from(pidfile)
    assert len(pids) >= 3, "started, then restarted after each crash"
    assert all(pid_gone(pid) for pid in pids), "a server process was left behind"
