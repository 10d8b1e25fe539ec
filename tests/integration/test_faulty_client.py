"""A deliberately faulty client against `wsprobe serve`.

tests/faulty_client/faulty_client.py is an Autobahn-style client driver
with one fault at a time (--fault). Against the client handshake cases
(cases/handshake-client, chs.N) and a few frame-level cases of this test's
own (`role both`, so either side can play them), the conformant mode draws
no fail, and each fault fails exactly the cases meant to catch it:

    wrong-accept           chs.6-8    (a wrong, missing or foreign accept)
    proceed-on-200         chs.1-5    (200, 302, 400, 404, 500)
    ignore-upgrade         chs.9-12   (Upgrade, Connection)
    unoffered-subprotocol  chs.13
    unoffered-extension    chs.14-15  (without --deflate it offers no
                                       permessage-deflate, so the parameter
                                       cases chs.16-21 are unimplemented)
    no-mask, reuse-mask,   every case where the client sends a frame: the
    zero-mask              positive controls chs.22-23 and the fc cases

and with --deflate (the client offers permessage-deflate, so chs.14, which
answers it to a client that did not offer it, is unimplemented):

    none                   no fail: chs.16-21 pass
    accept-invalid-deflate chs.16-21  (client_max_window_bits it did not
                                       offer, window 7 and 16, a parameter
                                       twice, an unknown one, the extension
                                       twice)

The conformant client with --deflate also plays compression cases of the
catalogue (takeover, window sizes, several offers, the RFC 7692 7.2.3 block
forms, RSV1 where it may not stand) through a second serve: every one
passes, which shows the parameter cases above were graded on a client that
really compresses, not one that only drops connections.

The serve process is the ASan build, stopped with SIGTERM, and must leave no
sanitizer report; every wait is bounded.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import BINARY, ROOT
from serve_process import Serve

sys.path.insert(0, str(ROOT / "tests" / "faulty_client"))

import faulty_client  # noqa: E402

SYSTEM_PYTHON = Path("/usr/bin/python3")
CLIENT = ROOT / "tests" / "faulty_client" / "faulty_client.py"
CLIENT_TIMEOUT = 180.0
REPORT_TIMEOUT = 15.0

CHS = [f"chs.{n}" for n in range(1, 24)]
CONTROLS = ["chs.22", "chs.23"]
# chs.16-21 test how a client checks the parameters of an answer to its
# permessage-deflate offer: this client offers none.
UNTESTABLE = [f"chs.{n}" for n in range(16, 22)]

# Frame-level cases of this test's own, playable from either side: the
# client sends frames (echo, pong, the answering close), which is where the
# masking faults show.
FRAME_CASES = """\
<info>
id          fc.1
title       A text message is echoed
area        framing
rfc         6455#5.6
level       MUST
role        both
</info>
<send>
text "Hello, faulty client" echo
close 1000
</send>
<expect>
pass        echo & close 1000
fail        otherwise
</expect>

<info>
id          fc.2
title       A binary message is echoed
area        framing
rfc         6455#5.6
level       MUST
role        both
</info>
<send>
binary hex"00 01 02 fe ff" echo
close 1000
</send>
<expect>
pass        echo & close 1000
fail        otherwise
</expect>

<info>
id          fc.3
title       A ping is answered with a pong
area        pings
rfc         6455#5.5.2
level       MUST
role        both
</info>
<send>
ping "are you there" echo
close 1000
</send>
<expect>
pass        echo & close 1000
fail        otherwise
</expect>
"""
FC = ["fc.1", "fc.2", "fc.3"]
MASKED = CONTROLS + FC

DEFLATE_PARAMS = [f"chs.{n}" for n in range(16, 22)]

# A run: (fault, whether the client offers permessage-deflate).
RUNS = {
    "none": ("none", False),
    "wrong-accept": ("wrong-accept", False),
    "proceed-on-200": ("proceed-on-200", False),
    "ignore-upgrade": ("ignore-upgrade", False),
    "unoffered-subprotocol": ("unoffered-subprotocol", False),
    "unoffered-extension": ("unoffered-extension", False),
    "no-mask": ("no-mask", False),
    "reuse-mask": ("reuse-mask", False),
    "zero-mask": ("zero-mask", False),
    "none+deflate": ("none", True),
    "accept-invalid-deflate": ("accept-invalid-deflate", True),
}
EXPECTED_FAILS = {
    "none": [],
    "wrong-accept": ["chs.6", "chs.7", "chs.8"],
    "proceed-on-200": ["chs.1", "chs.2", "chs.3", "chs.4", "chs.5"],
    "ignore-upgrade": ["chs.9", "chs.10", "chs.11", "chs.12"],
    "unoffered-subprotocol": ["chs.13"],
    "unoffered-extension": ["chs.14", "chs.15"],
    "no-mask": MASKED,
    "reuse-mask": MASKED,
    "zero-mask": MASKED,
    "none+deflate": [],
    "accept-invalid-deflate": DEFLATE_PARAMS,
}
# What the client's offer leaves untestable (unimplemented), by whether it
# offers permessage-deflate.
UNIMPLEMENTED = {False: UNTESTABLE, True: ["chs.14"]}

# Compression cases of the catalogue the conformant client plays with
# --deflate: messages compressed both ways, fragmented, with and without
# context takeover, window 8, several offers, the block forms of RFC 7692
# 7.2.3 (split block, shared window, stored, BFINAL, two blocks, the empty
# octet), an uncompressed message after agreement, RSV1 where RFC 7692 6.1
# forbids it, reserved block type, truncated block, bad UTF-8 inside. The
# bombs (pmd.90-92, serial and long) are left to the real clients.
DEFLATE_DATA_CASES = ["12.1.1", "12.1.11", "12.2.1", "13.2.1", "13.3.1", "13.5.1", "13.7.1",
                      "pmd.6*", "pmd.7*"]
# Verdicts other than pass this client earns there, with the reason.
DEFLATE_DATA_NOT_PASS = {
    # Python's zlib has no "at a block boundary" state to ask, so a message
    # cut inside a block inflates to what it holds and is echoed; failing
    # the connection there is a SHOULD of the case: non-strict.
    "pmd.76": "non-strict",
}
# The words a fail names (PROTOCOL.md 0: a fail names the rule broken).
RULE = {
    "no-mask": ("RFC 6455 5.1",),
    "reuse-mask": ("RFC 6455 5.3",),
    "zero-mask": ("RFC 6455 5.3",),
    # It proceeds and compresses its echo, which the harness (whose answer
    # was invalid on purpose, so nothing was agreed) sees as RSV1 without an
    # extension: the global violation rule names that before the case's own
    # "proceeded after" line; both are the MUST broken.
    "accept-invalid-deflate": ("RFC 7692 5", "RSV bit set without a negotiated extension "
                                             "(RFC 6455 5.2)"),
}

# Mask key checks (RFC 6455 5.3: a fresh key per frame) are the harness's
# own: a tree without them cannot catch these two faults.
ERRORS_H = (ROOT / "codec" / "errors.h").read_text()
KEY_CHECKS = {"reuse-mask": "WS_E_MASK_KEY_REUSED", "zero-mask": "WS_E_MASK_KEY_ZERO"}


def serve_available() -> bool:
    try:
        r = subprocess.run([str(BINARY), "serve", "--help"], capture_output=True,
                           timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and b"getCaseCount" in r.stdout + r.stderr


def started_serve(prefix: str, cases: str):
    """`wsprobe serve --cases CASES` with the fc cases added, for a module;
    stopped, it exits 1 when an agent failed a case, else 0 (serve's CI
    gate over its agents)."""
    if not serve_available():
        pytest.skip(f"{BINARY} has no `serve` command")
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        case_file = Path(work) / "fc.case"
        case_file.write_text(FRAME_CASES)
        s = Serve(Path(work) / "out", "--case-file", case_file, "--cases", cases)
        try:
            yield s
        finally:
            status = s.stop()
            failed = any(c["verdict"] == "fail"
                         for f in s.out.glob("*/results.json")
                         for c in json.loads(f.read_text())["cases"])
            assert status == (1 if failed else 0)


@pytest.fixture(scope="module")
def serve():
    yield from started_serve("wsprobe-faulty-client-", "chs,fc")


@pytest.fixture(scope="module")
def deflate_serve():
    yield from started_serve("wsprobe-faulty-client-deflate-", ",".join(DEFLATE_DATA_CASES))


def case_order(case_id: str) -> tuple[str, int]:
    prefix, _, n = case_id.partition(".")
    return prefix, int(n)


def run_client(serve: Serve, run: str) -> dict[str, dict]:
    """The client through every case of one run (RUNS); the agent's
    verdicts (from the results.json /updateReports wrote), by case id."""
    fault, deflate = RUNS[run]
    agent = f"faulty-{run.replace('+', '-')}"
    r = subprocess.run([str(SYSTEM_PYTHON), str(CLIENT), "--url",
                        f"ws://127.0.0.1:{serve.port}", "--agent", agent, "--fault", fault,
                        "--timeout", "10"] + (["--deflate"] if deflate else []),
                       capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    assert r.returncode == 0, r.stderr[-4000:]
    results = serve.out / agent / "results.json"
    deadline = time.monotonic() + REPORT_TIMEOUT
    while True:
        try:
            data = json.loads(results.read_text())
            cases = {c["id"]: c for c in data["cases"]}
            if len(cases) == serve.count:
                return cases
        except (OSError, ValueError, KeyError):
            pass
        assert time.monotonic() < deadline, f"no complete {results}: {r.stderr[-2000:]}"
        # The client asks for the reports as soon as its last case's
        # connection is closed, which may be before serve has recorded that
        # case: ask again (as a driver may), until every case is in.
        time.sleep(0.2)
        faulty_client.session("127.0.0.1", serve.port, f"/updateReports?agent={agent}",
                              "none", faulty_client.Masker("none"), 10.0,
                              time.monotonic() + 10.0)


def test_serve_plays_the_client_handshake_and_frame_cases(serve):
    assert serve.count == len(CHS) + len(FC)


@pytest.mark.parametrize("run", list(RUNS))
def test_each_fault_fails_exactly_its_cases(serve, run):
    fault, deflate = RUNS[run]
    if fault in KEY_CHECKS and KEY_CHECKS[fault] not in ERRORS_H:
        pytest.skip(f"this tree has no {KEY_CHECKS[fault]} check (mask keys, RFC 6455 5.3)")
    cases = run_client(serve, run)
    assert set(cases) == set(CHS + FC)
    verdicts = {i: c["verdict"] for i, c in cases.items()}
    errors = {i: cases[i]["reason"] for i, v in verdicts.items() if v == "error"}
    assert not errors, errors
    fails = sorted((i for i, v in verdicts.items() if v == "fail"), key=case_order)
    assert fails == sorted(EXPECTED_FAILS[run], key=case_order), {
        i: cases[i]["reason"] for i in set(fails) ^ set(EXPECTED_FAILS[run])}
    for i in fails:
        reason = cases[i]["reason"]
        if fault in RULE:
            assert any(rule in reason for rule in RULE[fault]), (i, reason)
        else:
            assert reason.startswith("proceeded after"), (i, reason)
            assert "MUST" in reason, (i, reason)
    # What no fault touches keeps its conformant verdict: the cases the
    # client's offer cannot tell stay unimplemented, the rest pass.
    untestable = UNIMPLEMENTED[deflate]
    for i in untestable:
        assert verdicts[i] == "unimplemented", (i, cases[i]["reason"])
    for i in set(CHS + FC) - set(fails) - set(untestable):
        assert verdicts[i] == "pass", (run, i, verdicts[i], cases[i]["reason"])


def test_the_conformant_client_passes_compression_cases(deflate_serve):
    """--deflate really compresses and inflates: the parameter cases above
    are not passed by a client that merely drops connections."""
    cases = run_client(deflate_serve, "none+deflate")
    assert len(cases) > len(DEFLATE_DATA_CASES)
    differ = {i: (c["verdict"], c["reason"]) for i, c in cases.items()
              if c["verdict"] != DEFLATE_DATA_NOT_PASS.get(i, "pass")}
    assert not differ, differ
    deflated = [i for i, c in cases.items() if c.get("deflate")]
    assert any(i.startswith("12.") for i in deflated), sorted(deflated)


def test_a_bad_url_is_a_clear_error_not_a_hang():
    free = subprocess.run([str(SYSTEM_PYTHON), str(CLIENT), "--url", "ws://127.0.0.1:1",
                           "--fault", "none"], capture_output=True, text=True, timeout=30)
    assert free.returncode == 2
    assert "cannot connect to 127.0.0.1:1" in free.stderr
    bad = subprocess.run([str(SYSTEM_PYTHON), str(CLIENT), "--url", "http://x",
                          "--fault", "none"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
    assert "--url must be ws://HOST:PORT" in bad.stderr
