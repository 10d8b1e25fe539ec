"""`wsprobe test --autobahn-config` and `--autobahn-report` against real servers.

A fuzzingclient.json of the kind teams already keep for Autobahn|Testsuite
points at real servers on loopback: python3-websockets
(tests/thirdparty/python_echo_server.py) and faulty servers
(tests/faulty/faulty_server.py) whose documented faults produce the other
Autobahn behaviours. The Autobahn report the run writes is checked by
`check_autobahn_report`, written from Autobahn's own format rather than from
wsprobe's writer: crossbario/autobahn-testsuite,
autobahntestsuite/autobahntestsuite/fuzzing.py (createMasterReportJSON writes
index.json, createAgentCaseReportJSON the per-case files, named by
makeAgentCaseReportFilename and cleanForFilename; FuzzingProtocol.connectionLost
lists the keys of a case) and case/case.py (the behaviour names).

Each run uses a small subset of cases, so the file takes a few seconds.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, LISTEN_RE, ROOT

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-websockets lives here
PYTHON_SERVER = ROOT / "tests" / "thirdparty" / "python_echo_server.py"
FAULTY_SERVER = ROOT / "tests" / "faulty" / "faulty_server.py"
EXPECTED_PYTHON = ROOT / "tests" / "thirdparty" / "expected_python.json"
RUN_TIMEOUT = 180.0

# ---------------------------------------------------------------------------
# Autobahn's format

BEHAVIORS = {"OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"}
CLOSE_BEHAVIORS = {"OK", "WRONG CODE", "UNCLEAN", "FAILED BY CLIENT", "INFORMATIONAL",
                   "FAILED"}
INDEX_KEYS = {"behavior", "behaviorClose", "duration", "remoteCloseCode", "reportfile"}
CASE_ID = re.compile(r"^[0-9]+(\.[0-9]+)+$")
WIRELOG_ROWS = {"RO", "TO", "RF", "TF", "CT", "CTE", "KL", "KLE", "TI", "TIE", "WLM"}
HEX_OCTETS = re.compile(r"^[0-9a-f]*( \.\.\.)?$")

# Every key of an Autobahn case report and the type Autobahn gives it.
# Autobahn writes null itself for some of them (remoteCloseCode without a
# close frame, wasNotCleanReason after a clean close, trafficStats outside
# its compression cases); wsprobe also writes null where its results do not
# hold the value (reports/autobahn_case.c lists them), so those may be null.
CASE_KEYS = {
    "agent": str, "behavior": str, "behaviorClose": str, "case": int,
    "closedByMe": bool, "createStats": bool, "createWirelog": bool, "description": str,
    "droppedByMe": bool, "duration": int, "expectation": str, "expected": dict,
    "expectedClose": dict, "failedByMe": bool, "httpRequest": str, "httpResponse": str,
    "id": str, "isServer": bool, "localCloseCode": int, "localCloseReason": str,
    "received": list, "remoteCloseCode": int, "remoteCloseReason": str,
    "reportCompressionRatio": bool, "reportTime": bool, "result": str, "resultClose": str,
    "rxFrameStats": dict, "rxOctetStats": dict, "started": str, "trafficStats": dict,
    "txFrameStats": dict, "txOctetStats": dict, "wasClean": bool,
    "wasCloseHandshakeTimeout": bool, "wasNotCleanReason": str,
    "wasOpenHandshakeTimeout": bool, "wasServerConnectionDropTimeout": bool,
    "wirelog": list,
}
NEVER_NULL = {"agent", "behavior", "behaviorClose", "case", "closedByMe", "createStats",
              "createWirelog", "description", "duration", "expectation", "id", "isServer",
              "reportCompressionRatio", "reportTime", "result", "resultClose", "rxFrameStats",
              "rxOctetStats", "started", "txFrameStats", "txOctetStats", "wasClean",
              "wirelog"}

# Autobahn's case list starts 1.1.1-1.1.8, 1.2.1-1.2.8, 2.1-2.11, 3.1-3.7
# (case/__init__.py); "case" is the position in that list.
KNOWN_NUMBERS = {"1.1": 0, "1.2": 8, "2": 16, "3": 27}


def clean_for_filename(agent: str) -> str:
    """Autobahn's cleanForFilename, restated."""
    keep = "abcdefghijklmnopqrstuvwxyz0123456789"
    s = "".join(c if c in keep else " " for c in agent.strip().lower())
    return s.strip().replace(" ", "_")


def id_key(case_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in case_id.split("."))


def check_case_file(path: Path, agent: str, case_id: str, row: dict) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), path
    missing = set(CASE_KEYS) - set(doc)
    assert not missing, f"{path.name}: missing {sorted(missing)}"
    for key, kind in CASE_KEYS.items():
        value = doc[key]
        if value is None:
            assert key not in NEVER_NULL, f"{path.name}: {key} is null"
            continue
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        assert ok, f"{path.name}: {key} = {value!r}, not {kind.__name__}"
    assert doc["agent"] == agent
    assert doc["id"] == case_id, f"{path.name}: id {doc['id']} under {case_id}"
    for key in ("behavior", "behaviorClose", "duration", "remoteCloseCode"):
        assert doc[key] == row[key], f"{path.name}: {key} {doc[key]!r} vs {row[key]!r}"
    assert doc["isServer"] is False, "fuzzingclient reports are the client's"
    if doc["remoteCloseReason"] is not None:
        assert doc["remoteCloseCode"] is not None
    prefix = case_id.rsplit(".", 1)[0]
    if prefix in KNOWN_NUMBERS:
        assert doc["case"] == KNOWN_NUMBERS[prefix] + int(case_id.rsplit(".", 1)[1]), path
    for entry in doc["wirelog"]:
        assert isinstance(entry, list) and entry and entry[0] in WIRELOG_ROWS, entry
        if entry[0] in ("RO", "TO"):
            length, octets = entry[1]
            assert isinstance(length, int) and HEX_OCTETS.match(octets), entry
            assert len(octets.split(" ")[0]) == 2 * min(length, 64), entry
        if entry[0] == "TO":
            assert isinstance(entry[2], bool), entry
    return doc


def check_autobahn_report(report_dir: Path) -> dict:
    """Validates index.json and every file it points to; returns the index."""
    index = json.loads((report_dir / "index.json").read_text(encoding="utf-8"))
    assert isinstance(index, dict)
    for agent, cases in index.items():
        assert isinstance(agent, str) and isinstance(cases, dict)
        numbers = []
        for case_id, row in cases.items():
            assert CASE_ID.match(case_id), f"index key {case_id!r} is not a case id"
            assert set(row) == INDEX_KEYS, f"{agent} {case_id}: keys {sorted(row)}"
            assert row["behavior"] in BEHAVIORS, row
            assert row["behaviorClose"] in CLOSE_BEHAVIORS, row
            assert isinstance(row["duration"], int) and not isinstance(row["duration"], bool)
            assert row["duration"] >= 0
            code = row["remoteCloseCode"]
            assert code is None or (isinstance(code, int) and 0 <= code <= 65535), row
            want = f"{clean_for_filename(agent)}_case_{case_id.replace('.', '_')}.json"
            assert row["reportfile"] == want, row
            path = report_dir / row["reportfile"]
            assert path.is_file(), f"{row['reportfile']} is missing"
            doc = check_case_file(path, agent, case_id, row)
            numbers.append((id_key(case_id), doc["case"]))
        ordered = [n for _, n in sorted(numbers)]
        assert ordered == sorted(set(ordered)), "case numbers follow Autobahn's order"
    return index


# ---------------------------------------------------------------------------
# wsprobe's side

SEVERITY = ["pass", "informational", "unimplemented", "non-strict", "fail", "error"]
AS_AUTOBAHN = {"pass": "OK", "non-strict": "NON-STRICT", "informational": "INFORMATIONAL",
               "unimplemented": "UNIMPLEMENTED", "fail": "FAILED", "error": "FAILED"}


def autobahn_ids(case: dict) -> list[str]:
    return [t.strip() for t in (case["autobahn"] or "").split(",") if t.strip()]


def check_against_results(rows: dict, results_path: Path, from_spec: bool = True) -> None:
    """Each row says the worst verdict of the cases that carry its id; a spec
    runs only cases that have an Autobahn id."""
    results = json.loads(results_path.read_text(encoding="utf-8"))
    by_id: dict[str, list[dict]] = {}
    for case in results["cases"]:
        if from_spec:
            assert autobahn_ids(case), f"{case['id']} has no Autobahn id but was run"
        for case_id in autobahn_ids(case):
            by_id.setdefault(case_id, []).append(case)
    assert set(rows) <= set(by_id)
    for case_id, row in rows.items():
        cases = by_id[case_id]
        worst = max(cases, key=lambda c: SEVERITY.index(c["verdict"]))
        assert row["behavior"] == AS_AUTOBAHN[worst["verdict"]], (case_id, worst)
        total = sum(c["duration_ms"] for c in cases)
        assert abs(row["duration"] - total) <= 1, (case_id, row, total)


# ---------------------------------------------------------------------------
# Servers and runs

class LineServer:
    """A server process that prints `listening on ws://HOST:PORT/` first."""

    def __init__(self, args: list[str]):
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not LISTEN_RE.match(line):
            self.stop()
            raise RuntimeError(f"{args}: first line {line!r}")
        self.url = line.split(" ", 2)[2]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def python_server():
    try:
        import websockets  # noqa: F401
    except ImportError:
        pytest.skip("python3-websockets is not installed (scripts/install-deps.sh)")
    s = LineServer([SYSTEM_PYTHON, str(PYTHON_SERVER), "--port", "0"])
    yield s
    s.stop()


@pytest.fixture
def faulty_server():
    started: list[LineServer] = []

    def start(fault: str) -> LineServer:
        s = LineServer([SYSTEM_PYTHON, str(FAULTY_SERVER), "--port", "0", "--fault", fault])
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def wsprobe(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "test", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT)


def write_spec(path: Path, spec: dict) -> Path:
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# Tests

def test_a_spec_runs_each_server_and_writes_autobahns_layout(tmp_path, python_server,
                                                            faulty_server):
    wrong_code = faulty_server("wrong-fail-code")
    drops = faulty_server("drop-instead-of-close")
    spec = write_spec(tmp_path / "fuzzingclient.json", {
        "options": {"failByDrop": False},
        "outdir": "./reports/servers",
        "servers": [
            {"agent": "Python websockets", "url": python_server.url,
             "options": {"version": 18}},
            {"agent": "faulty/wrong-code", "url": wrong_code.url},
            {"agent": "faulty/drops", "url": drops.url},
        ],
        "cases": ["1.1.1", "2.*", "3.1", "3.2", "7.13.*", "9.*"],
        "exclude-cases": ["2.1*", "12.*"],
        "exclude-agent-cases": {"faulty*": ["7.13.*"]},
        "enable-ssl": False,
    })
    report = tmp_path / "autobahn"
    run = wsprobe(["--autobahn-config", str(spec), "--autobahn-report", str(report),
                   "--out", str(tmp_path / "out"), "-j", "4"], tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr  # wrong-fail-code fails cases
    err = run.stderr
    assert 'unknown key "enable-ssl" (ignored)' in err, err
    assert '"options" holds Autobahn\'s settings' in err, err
    assert 'servers[0]: "options"' in err, err
    assert '"cases" pattern "9.*" matches no wsprobe case' in err, err
    assert not (tmp_path / "reports").exists(), "--autobahn-report wins over outdir"

    index = check_autobahn_report(report)
    assert set(index) == {"Python websockets", "faulty/wrong-code", "faulty/drops"}
    # "2.1*" is a prefix pattern in Autobahn: it takes 2.1, 2.10 and 2.11.
    common = {"1.1.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "3.1", "3.2"}
    assert set(index["Python websockets"]) == common | {"7.13.1", "7.13.2"}
    assert set(index["faulty/wrong-code"]) == common
    assert set(index["faulty/drops"]) == common

    for agent, slug in (("Python websockets", "python_websockets"),
                        ("faulty/wrong-code", "faulty_wrong_code"),
                        ("faulty/drops", "faulty_drops")):
        check_against_results(index[agent], tmp_path / "out" / slug / "results.json")

    pinned = json.loads(EXPECTED_PYTHON.read_text())["non_pass"]
    for case_id, row in index["Python websockets"].items():
        want = AS_AUTOBAHN[pinned[case_id]["verdict"]] if case_id in pinned else "OK"
        assert row["behavior"] == want, (case_id, row)
    assert index["Python websockets"]["3.2"]["behavior"] == "NON-STRICT"
    # tests/faulty/README.md: wrong-fail-code fails 2.5 and 3.1 with 1000.
    for case_id in ("2.5", "3.1"):
        row = index["faulty/wrong-code"][case_id]
        assert (row["behavior"], row["behaviorClose"], row["remoteCloseCode"]) == \
            ("FAILED", "WRONG CODE", 1000), row
        row = index["faulty/drops"][case_id]
        assert (row["behavior"], row["behaviorClose"], row["remoteCloseCode"]) == \
            ("NON-STRICT", "UNCLEAN", None), row
    assert index["faulty/drops"]["2.2"]["behavior"] == "OK"


def test_outdir_is_the_default_and_the_worst_run_sets_the_status(tmp_path, python_server):
    spec = write_spec(tmp_path / "fuzzingclient.json", {
        "outdir": "./reports/servers",
        "servers": [{"agent": "gone", "url": f"ws://127.0.0.1:{closed_port()}/"},
                    {"agent": "py", "url": python_server.url}],
        "cases": ["2.1", "2.2"],
    })
    run = wsprobe(["--autobahn-config", "fuzzingclient.json", "--out", "out"], tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "connection refused" in run.stderr, run.stderr
    index = check_autobahn_report(tmp_path / "reports" / "servers")
    assert list(index) == ["py"], "a server that could not be reached is absent"
    assert set(index["py"]) == {"2.1", "2.2"}
    assert (tmp_path / "out" / "py" / "results.json").is_file()
    assert not (tmp_path / "out" / "gone" / "results.json").exists()
    assert spec.is_file()


def test_autobahn_report_without_a_spec(tmp_path, python_server):
    report = tmp_path / "ab"
    run = wsprobe([python_server.url, "--cases", "2.1,2.3,hs.1", "--agent", "Py Server",
                   "--autobahn-report", str(report), "--out", str(tmp_path / "out")],
                  tmp_path)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    index = check_autobahn_report(report)
    assert list(index) == ["Py Server"]
    assert set(index["Py Server"]) == {"2.1", "2.3"}, "hs.1 has no Autobahn id"
    check_against_results(index["Py Server"], tmp_path / "out" / "results.json",
                          from_spec=False)


@pytest.mark.parametrize("spec_text, message", [
    ('{"servers": [', "line 1, column 14"),
    ('{"cases": ["*"]}', '"servers" is missing'),
    ('{"servers": [{"url": 9001}], "cases": ["*"]}', 'servers[0]: "url": expected a string'),
    ('{"servers": [{"url": "ws://127.0.0.1:1/"}]}', '"cases" is missing'),
    ('{"servers": [{"url": "ws://127.0.0.1:1/"}], "cases": "*"}',
     '"cases": expected an array of strings'),
    ('{"servers": [{"agent": "A", "url": "ws://127.0.0.1:1/"},'
     ' {"agent": "A", "url": "ws://127.0.0.1:2/"}], "cases": ["*"]}',
     "have the same agent"),
    ('{"servers": [{"url": "http://127.0.0.1:1/"}], "cases": ["*"]}', "servers[0]: "),
    ('{"servers": [{"url": "ws://127.0.0.1:1/"}], "cases": ["9.*"]}', "no case selected"),
])
def test_a_malformed_spec_is_a_usage_error(tmp_path, spec_text, message):
    (tmp_path / "fuzzingclient.json").write_text(spec_text)
    run = wsprobe(["--autobahn-config", "fuzzingclient.json", "--autobahn-report", "ab",
                   "--out", "out"], tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert message in run.stderr, run.stderr
    assert not (tmp_path / "ab").exists() and not (tmp_path / "out").exists()


def test_options_that_conflict_with_a_spec_are_refused(tmp_path):
    write_spec(tmp_path / "s.json", {"servers": [{"url": "ws://127.0.0.1:1/"}],
                                     "cases": ["*"]})
    for extra, message in ((["ws://127.0.0.1:1/"], "not several"),
                           (["--agent", "x"], "names each server's agent"),
                           (["--json", "r.json"], "--json")):
        run = wsprobe(["--autobahn-config", "s.json", *extra], tmp_path)
        assert run.returncode == 2 and message in run.stderr, run.stderr
