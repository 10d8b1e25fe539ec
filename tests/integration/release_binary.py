"""The wsprobe binary an integration test runs: WSPROBE_BIN when set, else
the release build (build/wsprobe, what users run and the bounds are for),
else the ASan build."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def release_binary() -> Path:
    env = os.environ.get("WSPROBE_BIN")
    if env:
        return Path(env)
    rel = ROOT / "build" / "wsprobe"
    return rel if rel.exists() else ROOT / "build" / "asan" / "wsprobe"
