"""The README's "A CI job" script, run exactly as it is written.

The block after the `<!-- ci-script: ... -->` marker in README.md is taken
literally and run with /bin/sh in an empty directory that stands for the
user's project, the way a CI or a new user runs it top to bottom:

  - "your server" is python3-websockets' echo server
    (tests/thirdparty/python_echo_server.py), given through SERVER_CMD as
    the script says;
  - WSPROBE_SRC is this checkout (its `make build/wsprobe` is then up to
    date and quick);
  - WSPROBE_ARGS, the script's documented variable for more options, keeps
    the run to the handshake and reserved-bits areas: python-websockets
    fails 12 handshake cases there, which is what a baseline is for, and
    the whole catalogue would only make the test slower.

The documented behaviour, checked: the first run (no baseline yet) writes
ci/wsprobe-baseline.txt, creating ci/, and exits 1 because cases fail; the
next run compares with it and exits 0, with the known failures reported as
expected everywhere (summary.md, which also lands in $GITHUB_STEP_SUMMARY,
and junit.xml as <skipped>); after a regression and an unexpected pass it
exits 1 and lists both, the regression first. The examples/ jobs must carry
the same script word for word, publish junit.xml, summary.md and the report
directory whatever the status, and the report directory must be in this
repository's .gitignore.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PYTHON = "/usr/bin/python3"
ECHO_SERVER = ROOT / "tests" / "thirdparty" / "python_echo_server.py"
MARKER = "<!-- ci-script:"
SUBSET = "--cases handshake,3 -j 8"
# The first run may have to build wsprobe (a fresh checkout); later ones not.
BUILD_TIMEOUT = 900.0
RUN_TIMEOUT = 180.0

def _pinned_fails() -> list[str]:
    """python-websockets' pinned fails in SUBSET (tests/thirdparty/
    expected_python.json), in catalogue order: the pins and this test cannot
    drift apart."""
    pins = json.loads((ROOT / "tests" / "thirdparty" / "expected_python.json").read_text())
    ids = [i for i, p in pins["non_pass"].items()
           if p["verdict"] == "fail" and (i.startswith("hs.") or i.startswith("3."))]
    return sorted(ids, key=lambda i: [(0, int(x), "") if x.isdigit() else (1, 0, x)
                                      for x in i.split(".")])


# hs.18 stands for a regression below.
PY_FAILS = _pinned_fails()


def readme_script() -> str:
    text = README.read_text(encoding="utf-8")
    at = text.index(MARKER)
    m = re.compile(r"-->\n```sh\n(.*?)^```\n", re.S | re.M).match(text, text.index("-->", at))
    assert m, "the marked block is not a ```sh fence right after the marker"
    return m.group(1)


SCRIPT = readme_script()
OUT = re.search(r"^OUT=(\S+)", SCRIPT, re.M).group(1)
BASELINE = re.search(r"^BASELINE=(\S+)", SCRIPT, re.M).group(1)


def run_script(project: Path, summary_file: Path | None = None,
               timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GITHUB_STEP_SUMMARY", "SERVER_CMD", "WSPROBE_SRC", "WSPROBE_ARGS")}
    env["SERVER_CMD"] = f"{PYTHON} {shlex.quote(str(ECHO_SERVER))} --port {{port}}"
    env["WSPROBE_SRC"] = str(ROOT)
    env["WSPROBE_ARGS"] = SUBSET
    if summary_file:
        env["GITHUB_STEP_SUMMARY"] = str(summary_file)
    return subprocess.run(["/bin/sh", "-c", SCRIPT], cwd=project, env=env, text=True,
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def junit_outcomes(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"failure": [], "error": [], "skipped": []}
    for tc in ET.parse(path).getroot().iter("testcase"):
        for el in tc:
            if el.tag in found:
                found[el.tag].append(tc.get("name").split(" ", 1)[0])
    return {k: sorted(v) for k, v in found.items()}


def baseline_ids(path: Path, verdict: str) -> list[str]:
    ids = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].startswith("#") and fields[1] == verdict:
            ids.append(fields[0])
    return sorted(ids)


def test_the_readme_ci_script_works_top_to_bottom(tmp_path):
    project = tmp_path / "my-project"
    project.mkdir()
    out, baseline = project / OUT, project / BASELINE
    assert not baseline.parent.exists()

    # 1. The first run: no baseline yet. It writes one (ci/ created) and,
    #    as any run without a baseline, exits 1 because cases fail.
    p = run_script(project, timeout=BUILD_TIMEOUT)
    assert p.returncode == 1, p.stdout[-3000:] + p.stderr[-3000:]
    assert baseline.is_file(), p.stdout[-3000:]
    assert baseline_ids(baseline, "fail") == PY_FAILS
    for name in ("results.json", "junit.xml", "summary.md", "index.html"):
        assert (out / name).stat().st_size > 0, name
    assert f"exit status 1: {len(PY_FAILS)} cases have a --fail-on verdict (fail)" in p.stdout
    assert junit_outcomes(out / "junit.xml")["failure"] == PY_FAILS

    # 2. The baseline is committed: the same server exits 0, and the known
    #    failures are expected in every format, not failures.
    step_summary = tmp_path / "step-summary.md"
    step_summary.write_text("earlier steps\n")
    p = run_script(project, step_summary)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert f"0 regressions, 0 unexpected passes, {len(PY_FAILS)} expected" in p.stdout
    assert not re.search(r"^  FAIL ", p.stdout, re.M)
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert f"0 regressions, 0 unexpected passes, {len(PY_FAILS)} expected" in md.split("\n")[0]
    assert "**Exit status 0:**" in md
    assert step_summary.read_text(encoding="utf-8") == "earlier steps\n" + md
    outcomes = junit_outcomes(out / "junit.xml")
    assert outcomes["failure"] == [] and outcomes["error"] == []
    assert outcomes["skipped"] == PY_FAILS

    # 3. A regression (hs.18 is no longer accepted) and an unexpected pass
    #    (3.1, listed as failing, passes): exit 1, both listed, the
    #    regression first.
    lines = [ln for ln in baseline.read_text().splitlines() if not ln.startswith("hs.18 ")]
    baseline.write_text("\n".join(lines + ["3.1 fail was broken once"]) + "\n")
    p = run_script(project)
    assert p.returncode == 1, p.stdout[-3000:] + p.stderr[-3000:]
    assert "exit status 1: 1 regression and 1 unexpected pass against the baseline" \
        in p.stdout
    assert p.stdout.index("REGRESSED  hs.18") < p.stdout.index("NOW PASSES 3.1")
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert md.index("### Regressions") < md.index("### Unexpected passes") \
        < md.index("### Expected by the baseline")
    outcomes = junit_outcomes(out / "junit.xml")
    assert outcomes["failure"] == ["3.1", "hs.18"]
    assert len(outcomes["skipped"]) == len(PY_FAILS) - 1


def examples() -> tuple[dict, dict]:
    with open(ROOT / "examples" / "github-actions.yml", encoding="utf-8") as f:
        github = yaml.safe_load(f)
    with open(ROOT / "examples" / "gitlab-ci.yml", encoding="utf-8") as f:
        gitlab = yaml.safe_load(f)
    return github, gitlab


def test_the_examples_run_the_same_script_and_publish_whatever_the_status():
    github, gitlab = examples()
    (job,) = github["jobs"].values()
    steps = job["steps"]
    (wsprobe_step,) = [s for s in steps if "--exec-server" in s.get("run", "")]
    assert wsprobe_step["run"] == SCRIPT
    assert "{port}" in job["env"]["SERVER_CMD"]
    later = steps[steps.index(wsprobe_step) + 1:]
    uploads = [s for s in later if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert len(uploads) == 1 and uploads[0]["if"] == "always()"
    assert f"{OUT}/" in uploads[0]["with"]["path"].split()
    assert BASELINE in uploads[0]["with"]["path"].split()  # the first run's
    (junit_step,) = [s for s in later if "junit" in s.get("uses", "")]
    assert junit_step["if"] == "always()"
    assert junit_step["with"]["report_paths"] == f"{OUT}/junit.xml"
    assert "GITHUB_STEP_SUMMARY" in SCRIPT

    gl = gitlab["wsprobe"]
    assert gl["script"][-1] == SCRIPT
    assert "{port}" in gl["variables"]["SERVER_CMD"]
    art = gl["artifacts"]
    assert art["when"] == "always"
    assert art["reports"]["junit"] == f"{OUT}/junit.xml"
    assert f"{OUT}/" in art["paths"] and BASELINE in art["paths"]

    # the placeholders a user must replace are marked as such
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        text = (ROOT / "examples" / name).read_text(encoding="utf-8")
        assert text.count("<-- replace") >= 3, name
    assert "<-- replace" in SCRIPT


def test_the_report_directory_is_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    p = subprocess.run(["git", "check-ignore", "-q", f"{OUT}/summary.md"], cwd=ROOT,
                       capture_output=True, timeout=30)
    assert p.returncode == 0, f"{OUT}/ is not in .gitignore"
