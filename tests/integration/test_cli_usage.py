"""The command line's small promises, end to end:

  - `wsprobe help CMD` prints CMD's own usage (the same text as
    `wsprobe CMD --help`), and an unknown CMD is a usage error;
  - an empty or all-blank `--cases` / `--exclude` is a usage error found
    before anything runs (an unset shell variable must not run every case);
  - `wsprobe list PATTERN` that matches nothing says so without naming an
    option the user did not type;
  - `-j` is bounded as its help says;
  - `show` and `test -v` print UTF-8 text as text, still escaping control
    characters;
  - the report directories the README uses are in .gitignore.

WSPROBE_BIN picks the binary (default build/asan/wsprobe, falling back to
build/wsprobe).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("test", "list", "show", "echo-server", "report", "diff", "fuzz")


def _binary() -> Path:
    env = os.environ.get("WSPROBE_BIN")
    if env:
        return Path(env)
    asan = ROOT / "build" / "asan" / "wsprobe"
    return asan if asan.exists() else ROOT / "build" / "wsprobe"


BINARY = _binary()


def wsprobe(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_command_prints_that_commands_usage(command):
    via_help = wsprobe("help", command)
    via_option = wsprobe(command, "--help")
    assert via_help.returncode == 0, via_help.stderr
    assert via_help.stdout == via_option.stdout
    assert via_help.stdout.startswith(f"usage: wsprobe {command}"), via_help.stdout[:200]


def test_help_without_a_command_and_with_an_unknown_one():
    p = wsprobe("help")
    assert p.returncode == 0 and "commands:" in p.stdout
    assert "'wsprobe help <command>'" in p.stdout
    p = wsprobe("help", "nosuch")
    assert p.returncode == 2
    assert "unknown command 'nosuch'" in p.stderr


@pytest.mark.parametrize("option,value", [("--cases", ""), ("--cases", " , "),
                                          ("--exclude", "")])
def test_blank_pattern_list_is_a_usage_error(tmp_path, option, value):
    out = tmp_path / "out"
    p = wsprobe("test", option, value, "--out", out)
    assert p.returncode == 2, p.stdout
    assert f"{option}: '{value}' holds no pattern" in p.stderr, p.stderr
    assert not out.exists(), "the run started"


def test_list_of_an_unknown_pattern_names_no_option():
    p = wsprobe("list", "nosuch")
    assert p.returncode == 2
    assert p.stderr.strip() == "wsprobe: list: no case matches 'nosuch'"
    p = wsprobe("list", "")
    assert p.returncode == 2 and "--" not in p.stderr, p.stderr
    p = wsprobe("test", "--cases", "nosuch", "--out", "/nonexistent/x")
    assert p.returncode == 2
    assert "--cases: no case matches 'nosuch'" in p.stderr, p.stderr


def test_jobs_is_bounded_as_documented():
    p = wsprobe("test", "--help")
    assert "at most 64" in p.stdout
    p = wsprobe("test", "-j", "65", "--cases", "1.1.1")
    assert p.returncode == 2 and "--jobs" in p.stderr, p.stderr


# 6.2.1 sends "Hello-µ@ßöäüàá-UTF-8!!" in one text frame.
UTF8_TEXT = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!"


def test_show_prints_utf8_text_as_text():
    p = wsprobe("show", "6.2.1")
    assert p.returncode == 0, p.stderr
    assert f'text "{UTF8_TEXT}" echo' in p.stdout, p.stdout
    assert f"payload '{UTF8_TEXT}'" in p.stdout, p.stdout
    assert "\\xc2" not in p.stdout


def test_verbose_trace_prints_utf8_and_escapes_invalid_bytes(tmp_path):
    # 6.3.1 sends invalid UTF-8: its bytes stay escapes in the same trace.
    p = wsprobe("test", "--cases", "6.2.1,6.3.1", "-v", "--out", tmp_path / "v")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    assert f"payload '{UTF8_TEXT}'" in p.stdout, p.stdout[:3000]
    section = p.stdout[p.stdout.index("== 6.3.1"):]
    payloads = re.findall(r"payload '([^\n]*)'", section)
    assert any("\\x" in x for x in payloads), payloads


def test_report_directories_are_ignored_by_git(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for name in ("wsprobe-out", "wsprobe-report"):
        p = subprocess.run(["git", "check-ignore", "-q", f"{name}/results.json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, f"{name}/ is not in .gitignore"
