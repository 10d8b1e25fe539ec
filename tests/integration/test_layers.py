"""scripts/check-layers.py: the layer arrows hold on the tree, and a planted
include against them is caught (so `make test` would go red)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check-layers.py"


def run(root):
    return subprocess.run([sys.executable, str(CHECK), str(root)],
                          capture_output=True, text=True, timeout=60)


def copy_tree(tmp_path):
    for top in ("codec", "server", "reports", "harness"):
        shutil.copytree(ROOT / top, tmp_path / top)
    return tmp_path


def plant(path, line):
    text = path.read_text()
    path.write_text(line + "\n" + text)


def test_the_tree_is_clean():
    r = run(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "clean" in r.stdout


def test_engine_including_a_transport_is_caught(tmp_path):
    root = copy_tree(tmp_path)
    target = next((root / "harness" / "engine").glob("*.c"))
    plant(target, '#include "io/url.h"')
    r = run(root)
    assert r.returncode == 1
    assert "engine may not include io" in r.stdout
    assert target.name in r.stdout


def test_codec_including_the_harness_is_caught(tmp_path):
    root = copy_tree(tmp_path)
    plant(root / "codec" / "frame.c", '#include "case/case.h"')
    r = run(root)
    assert r.returncode == 1
    assert "codec/frame.c:1" in r.stdout and "codec may not include case" in r.stdout


def test_reports_including_the_engine_is_caught(tmp_path):
    root = copy_tree(tmp_path)
    plant(root / "reports" / "json_writer.c", '#include "engine/grade.h"')
    r = run(root)
    assert r.returncode == 1
    assert "reports may not include engine" in r.stdout


def test_an_include_without_its_folder_is_caught(tmp_path):
    root = copy_tree(tmp_path)
    plant(root / "server" / "conn.c", '#include "frame.h"')
    r = run(root)
    assert r.returncode == 1
    assert "does not name its folder" in r.stdout


def test_sockets_in_the_engine_are_caught(tmp_path):
    root = copy_tree(tmp_path)
    target = next((root / "harness" / "engine").glob("*.c"))
    plant(target, "#include <sys/socket.h>")
    r = run(root)
    assert r.returncode == 1
    assert "does no I/O" in r.stdout
