"""The HTML reports in a real browser.

`wsprobe test` runs against a deliberately faulty server (it skips UTF-8
validation, so the utf8 cases fail) and against the reference server; the
pages are then opened from file:// in Debian's headless Chromium, driven by
tests/integration/html_report.mjs through playwright-core (pinned in
tests/package.json; it never downloads a browser). The script reports what it
saw as JSON and the assertions are made here.

Screenshots go to build/test-artifacts/ for a person to look at:
index-opening.png (the page as it opens, on "not pass"), index-desktop.png
(full page), index-desktop-top.png, index-hash-desktop.png
(index.html#case-ID as opened from a link), index-case-desktop.png (the
failed case with its wire log), index-phone.png and index-phone-top.png
(390 px wide), matrix-disagree.png.

Skipped, saying what is missing, without node, Chromium or
tests/node_modules/playwright-core (scripts/install-deps.sh installs all
three). WSPROBE_BIN picks the binary (default build/wsprobe).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from release_binary import release_binary

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "integration" / "html_report.mjs"
FAULTY = ROOT / "tests" / "faulty" / "faulty_server.py"
ARTIFACTS = ROOT / "build" / "test-artifacts"
CHROMIUM = Path(os.environ.get("WSPROBE_CHROMIUM", "/usr/bin/chromium"))
PLAYWRIGHT = ROOT / "tests" / "node_modules" / "playwright-core"
LISTEN_RE = re.compile(r"^listening on (ws://127\.0\.0\.1:\d+/)$")
RUN_TIMEOUT = 120
BROWSER_TIMEOUT = 180




BINARY = release_binary()


def _missing() -> list[str]:
    missing = []
    if not shutil.which("node"):
        missing.append("node")
    if not CHROMIUM.exists():
        missing.append(str(CHROMIUM))
    if not PLAYWRIGHT.is_dir():
        missing.append("tests/node_modules/playwright-core (run npm ci in tests/)")
    return missing


pytestmark = pytest.mark.skipif(
    bool(_missing()), reason="HTML report browser test needs: " + ", ".join(_missing()))


class FaultyServer:
    """tests/faulty/faulty_server.py with one fault, stopped with SIGTERM."""

    def __init__(self, fault: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(FAULTY), "--port", "0", "--fault", fault],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        deadline = time.monotonic() + 15
        line = ""
        while time.monotonic() < deadline:  # readline ends if the process dies
            line = self.proc.stdout.readline().strip()
            if line or self.proc.poll() is not None:
                break
        m = LISTEN_RE.match(line)
        if not m:
            self.stop()
            raise RuntimeError(f"faulty server did not start: {line!r}")
        self.url = m.group(1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()


def wsprobe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)


def run_test(out: Path, *args: str) -> dict:
    """`wsprobe test ARGS --out OUT`; its results.json, with index.html there."""
    p = wsprobe("test", *args, "--out", str(out))
    assert p.returncode in (0, 1), f"wsprobe test {args}: exit {p.returncode}\n{p.stderr[-3000:]}"
    assert (out / "index.html").is_file(), \
        f"`wsprobe test --out {out}` wrote no index.html (files: {sorted(os.listdir(out))})"
    return json.loads((out / "results.json").read_text())


def browse(*args: str) -> dict:
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1",
               WSPROBE_CHROMIUM=str(CHROMIUM))
    p = subprocess.run(["node", str(SCRIPT), *args], cwd=ROOT, env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=BROWSER_TIMEOUT)
    assert p.returncode == 0, f"html_report.mjs {args[0]} failed:\n{p.stderr[-4000:]}"
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A faulty run (failed cases), a reference run, and their matrix."""
    base = tmp_path_factory.mktemp("html")
    server = FaultyServer("no-utf8-check")
    try:
        faulty = run_test(base / "faulty", server.url, "--agent", "faulty <no-utf8-check>")
        # No --agent: the page names the URL once.
        unnamed = run_test(base / "unnamed", server.url, "--cases", "1.1,utf8")
    finally:
        server.stop()
    reference = run_test(base / "reference")
    all_pass = run_test(base / "all-pass", "--cases", "utf8")
    p = wsprobe("report", str(base / "reference" / "results.json"),
                str(base / "faulty" / "results.json"), "--out", str(base / "matrix"))
    assert p.returncode == 0, f"wsprobe report: exit {p.returncode}\n{p.stderr[-3000:]}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return {"base": base, "faulty": faulty, "reference": reference, "unnamed": unnamed,
            "all_pass": all_pass}


def first(results: dict, verdict: str) -> str:
    """The first case of that verdict, preferring ids with dots (anchors)."""
    ids = [c["id"] for c in results["cases"] if c["verdict"] == verdict]
    assert ids, f"no {verdict} case in the run"
    dotted = [i for i in ids if i.count(".") >= 2]
    return (dotted or ids)[0]


# The page's order of verdicts: what needs attention first, worst first.
ATTENTION = ("fail", "error", "non-strict")


def rfc_hrefs(rfc: str) -> list[str]:
    """'6455#5.5, 7692#7.2.1' as the rfc-editor.org section URLs."""
    out = []
    for ref in (r.strip() for r in rfc.split(",") if r.strip()):
        num, _, sec = ref.partition("#")
        out.append(f"https://www.rfc-editor.org/rfc/rfc{num}" + (f"#section-{sec}" if sec else ""))
    return out


def test_index_in_browser(runs):
    results = runs["faulty"]
    fail_id, pass_id = first(results, "fail"), first(results, "pass")
    fail_case = next(c for c in results["cases"] if c["id"] == fail_id)
    seen = browse("index", str(runs["base"] / "faulty" / "index.html"), fail_id, pass_id,
                  str(ARTIFACTS))

    assert seen["network"] == [], "the report made network requests"
    assert seen["console"] == [], "console errors"
    summary = results["summary"]
    not_pass = len(results["cases"]) - summary["pass"]
    assert seen["totalCases"] == len(results["cases"])
    assert "faulty <no-utf8-check>" in seen["title"], "the agent, escaped, in the title"

    # The page opens on "not pass", the first case in sight a failing one.
    o = seen["opening"]
    assert summary["fail"] > 0 and summary["pass"] > 0, "a mixed run"
    assert o["boxes"] == {v: v != "pass" for v in o["boxes"]} and len(o["boxes"]) == 6
    assert seen["initiallyVisible"] == not_pass == len(o["visibleVerdicts"])
    assert "pass" not in o["visibleVerdicts"]
    assert o["first"]["verdict"] == "fail" and o["first"]["inFirstScreen"]
    assert f"{summary['pass']} passing hidden" in o["shown"]
    # With every case shown, nothing needing attention is below anything else.
    shown = seen["allShown"]
    att = sum(1 for v in shown if v in ATTENTION)
    assert len(shown) == len(results["cases"])
    assert shown[:att] == sorted(shown[:att], key=ATTENTION.index)
    assert not any(v in ATTENTION for v in shown[att:])
    assert shown[0] == "fail"
    assert seen["afterReset"] == not_pass

    # The agent as given by --agent, the URL once.
    assert o["agent"] == "faulty <no-utf8-check>"
    assert o["url"] == results["target"]
    assert o["headerText"].count(results["target"]) == 1

    # The failing case's RFC references link to their sections.
    assert [a["href"] for a in seen["failRfcLinks"]] == rfc_hrefs(fail_case["rfc"])
    assert all(a["text"].startswith("RFC ") for a in seen["failRfcLinks"])
    assert f"{summary['fail']} fail" in seen["summaryText"]
    assert f"{summary['pass']} pass" in seen["summaryText"]

    assert seen["fail"]["visible"] and seen["fail"]["verdict"] == "fail"
    assert not seen["fail"]["open"]

    # Only "fail" checked: the failing case stays, passing ones go.
    f = seen["filterFail"]
    assert f["failCase"]["visible"] and not f["passCase"]["visible"]
    assert f["nonFailVisible"] == 0
    assert f["visible"] == summary["fail"]
    assert f["shown"] == f"Showing {summary['fail']} of {len(results['cases'])} cases"

    # Clicking opens the case with its decoded wire log.
    a = seen["afterClick"]
    assert a["open"]
    assert a["entries"] == min(len(fail_case["wire"]), 200)
    assert a["frames"] > 0 and a["hexdumps"] > 0
    assert "GET / HTTP/1.1" in a["wireText"] and "received" in a["wireText"]
    assert "101 Switching Protocols" in a["wireText"]

    # index.html#case-ID opens the case and shows it below the filter bar.
    h = seen["viaHash"]
    assert h["open"] and h["entries"] == a["entries"]
    assert h["inViewport"] and h["summaryOnTop"]
    # ... and a passing case too, though the opening filter hides passes.
    p = seen["passViaHash"]
    assert p["visible"] and p["open"] and p["inViewport"] and p["verdict"] == "pass"

    pr = seen["print"]
    assert not pr["filtersShown"]
    assert pr["fails"] == summary["fail"] == pr["failsOpen"] == pr["failsWithWire"]
    assert pr["passOpen"] == 0
    assert seen["afterPrintOpen"] == 1, "after printing, only the clicked case stays open"

    assert seen["phoneOverflowX"] <= 0, "horizontal scroll on a phone"
    for name in ("index-opening.png", "index-desktop.png", "index-desktop-top.png",
                 "index-hash-desktop.png",
                 "index-case-desktop.png", "index-phone.png", "index-phone-top.png"):
        assert (ARTIFACTS / name).stat().st_size > 1000, name


def test_opening_state(runs):
    """No --agent: the URL once. Every case passed: the filter on "all"."""
    unnamed = runs["unnamed"]
    seen = browse("first", str(runs["base"] / "unnamed" / "index.html"))
    assert seen["network"] == [] and seen["console"] == []
    assert seen["agent"] is None and seen["url"] == unnamed["target"]
    assert seen["headerText"].count(unnamed["target"]) == 1
    assert unnamed["summary"]["fail"] > 0
    assert seen["first"]["verdict"] == "fail" and seen["first"]["inFirstScreen"]
    assert seen["boxes"]["pass"] is False

    all_pass = runs["all_pass"]
    assert all_pass["summary"]["pass"] == len(all_pass["cases"]) > 0
    seen = browse("first", str(runs["base"] / "all-pass" / "index.html"))
    assert seen["boxes"] == {v: True for v in seen["boxes"]} and len(seen["boxes"]) == 6
    assert seen["visibleVerdicts"] == ["pass"] * len(all_pass["cases"])
    assert seen["agent"] == all_pass["agent"] != all_pass["target"]


def file_of(url: str) -> Path:
    parts = urlsplit(url)
    assert parts.scheme == "file", url
    return Path(unquote(parts.path))


def test_matrix_in_browser(runs):
    matrix = runs["base"] / "matrix" / "matrix.html"
    assert matrix.is_file(), "wsprobe report wrote no matrix.html"
    faulty, reference = runs["faulty"], runs["reference"]
    fail_id = first(faulty, "fail")
    ref = {c["id"]: c["verdict"] for c in reference["cases"]}
    bad = {c["id"]: c["verdict"] for c in faulty["cases"]}
    disagree = sum(1 for i in set(ref) & set(bad) if ref[i] != bad[i])
    pass_id = first(faulty, "pass")
    seen = browse("matrix", str(matrix), fail_id, pass_id, str(ARTIFACTS))

    assert seen["network"] == [] and seen["console"] == []
    assert seen["columns"] == 2
    assert seen["rows"] == len(set(ref) | set(bad))
    assert seen["failRowCells"] == [ref[fail_id], "fail"]
    assert disagree > 0 and seen["disagreeDeclared"] == disagree
    assert seen["disagreeVisible"] == disagree and seen["agreeVisible"] == 0
    assert seen["failRowVisible"]
    assert seen["allVisibleAgain"] == seen["rows"]
    assert (ARTIFACTS / "matrix-disagree.png").stat().st_size > 1000

    # Each cell links to the case in its run's index.html, by a relative
    # path from matrix.html to the page next to that run's results.json.
    base = runs["base"]
    for links, case_id in ((seen["failRowLinks"], fail_id), (seen["passRowLinks"], pass_id)):
        assert [link["href"] for link in links] == [
            f"../reference/index.html#case-{case_id}", f"../faulty/index.html#case-{case_id}"]
        assert [file_of(link["url"]) for link in links] == [
            base / "reference" / "index.html", base / "faulty" / "index.html"]
        assert all(file_of(link["url"]).is_file() for link in links)
    for followed, case_id, verdict in ((seen["followFail"], fail_id, "fail"),
                                       (seen["followPass"], pass_id, "pass")):
        assert file_of(followed["location"]) == base / "faulty" / "index.html"
        assert urlsplit(followed["location"]).fragment == f"case-{case_id}"
        state = followed["state"]
        assert state and state["open"] and state["visible"] and state["verdict"] == verdict
    assert seen["runHeads"] == [
        {"agent": reference["agent"], "url": reference["target"]},
        {"agent": "faulty <no-utf8-check>", "url": faulty["target"]}]


def test_matrix_links_without_index(runs, tmp_path):
    """A run whose results.json has no index.html beside it gets one
    written next to matrix.html (run-N/index.html), and the cells link there."""
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(runs["base"] / "faulty" / "results.json", lone / "results.json")
    out = tmp_path / "out"
    p = wsprobe("report", str(runs["base"] / "reference" / "results.json"),
                str(lone / "results.json"), "--out", str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    assert not (lone / "index.html").exists(), "nothing written beside the input"
    assert (out / "run-2" / "index.html").is_file()
    assert not (out / "run-1").exists(), "run 1 has its own index.html"
    page = (out / "matrix.html").read_text()
    fail_id = first(runs["faulty"], "fail")
    row = re.search(r'<span class="cid">' + re.escape(fail_id) + r'</span>.*?</tr>', page)
    hrefs = re.findall(r'<a href="([^"]+)"', row.group(0))
    beside = os.path.relpath(os.path.realpath(runs["base"] / "reference" / "index.html"),
                             os.path.realpath(out))
    assert hrefs == [f"{beside}#case-{fail_id}", f"run-2/index.html#case-{fail_id}"]
    for href in hrefs:
        path, _, frag = href.partition("#")
        target = (out / unquote(path)).resolve()
        assert target.is_file(), href
        assert f'id="{frag}"' in target.read_text(), href


def test_large_report_opens(runs):
    """Every wire kept: the page stays openable, the biggest log renders."""
    out = runs["base"] / "wire-all"
    results = run_test(out, "--wire-all")
    big = max(results["cases"], key=lambda c: len(c["wire"]))
    size = (out / "index.html").stat().st_size
    assert size < 3 * (out / "results.json").stat().st_size
    seen = browse("large", str(out / "index.html"), big["id"])
    assert seen["network"] == [] and seen["console"] == []
    assert seen["totalCases"] == len(results["cases"])
    assert seen["big"]["open"] and seen["big"]["entries"] == min(200, len(big["wire"]))
    if len(big["wire"]) > 200:
        assert seen["moreButtons"] >= 1
    assert seen["loadMs"] < 30000
