"""The reference echo server passes the whole catalogue, compression area
included, with permessage-deflate (its default) and without it
(`echo-server --no-deflate`): every case passes or records informational;
without permessage-deflate the compression cases that need it are
`unimplemented` and the ones about declining still pass. The server is the
ASan+UBSan build as a real process, so a sanitizer report or a crash under
the bombs fails the test (the start_server fixture checks its exit)."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import BINARY

RUN_TIMEOUT = 300
OK_WITH_DEFLATE = {"pass", "informational"}
OK_WITHOUT = {"pass", "informational", "unimplemented"}


def run_catalogue(url: str, out_dir) -> dict:
    results = out_dir / "results.json"
    proc = subprocess.run([str(BINARY), "test", url, "--json", str(results),
                           "--out", str(out_dir / "report")],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert results.exists(), proc.stderr[-3000:]
    doc = json.loads(results.read_text())
    doc["_rc"] = proc.returncode
    return doc


@pytest.mark.parametrize("no_deflate", [False, True], ids=["deflate", "no-deflate"])
def test_reference_server_passes_everything(start_server, tmp_path, no_deflate):
    server = start_server(no_deflate=True) if no_deflate else start_server()
    doc = run_catalogue(server.url, tmp_path)
    cases = doc["cases"]
    compression = [c for c in cases if c["area"] == "compression"]
    assert len(compression) >= 216 + 40, len(compression)
    ok = OK_WITHOUT if no_deflate else OK_WITH_DEFLATE
    bad = [f"{c['id']}: {c['verdict']}: {c['reason']}" for c in cases
           if c["verdict"] not in ok
           or (c["verdict"] == "unimplemented" and c["area"] != "compression")]
    assert not bad, "\n".join(bad[:40])
    assert doc["_rc"] == 0
    agreed = [c for c in compression if c.get("deflate")]
    if no_deflate:
        assert not agreed, "permessage-deflate agreed with --no-deflate"
        # Declining every offer is what the invalid-offer cases ask for.
        assert all(c["verdict"] == "pass" for c in compression
                   if c["id"] in {f"pmd.{n}" for n in range(20, 43)})
        assert sum(c["verdict"] == "unimplemented" for c in compression) >= 216
    else:
        # Every data case ran compressed, and the window-8 offers were honoured.
        data = [c for c in compression if c["id"].startswith(("12.", "13."))]
        assert len(data) == 216 and all(c.get("deflate") for c in data)
        window8 = next(c for c in compression if c["id"] == "13.3.1")
        assert "server_window_bits=8" in window8["deflate"]
