#!/usr/bin/python3
"""Checks the arrows between the layers of the C code (run by `make test`).

Every project include names its folder ("codec/frame.h", "engine/session.h"),
so the layer a file depends on can be read off the line. This script reads
every include of codec/, server/, reports/ and harness/*/ and fails when one
runs against the arrows below, when one does not name its folder, or when a
layer that must stay free of I/O includes a system header for sockets,
polling or threads.

    scripts/check-layers.py [ROOT]      exit 0 clean, 1 violations, 2 usage

The arrows (a layer may include itself and, transitively, what it points to):

    cli      -> netfuzz, run, reports, server
    netfuzz  -> run, server
    run      -> engine, io
    engine   -> case, model          (never io: the engine does no I/O)
    case     -> util, codec, model
    io       -> util
    util     -> codec                (allocation hooks)
    reports  -> model, codec         (the writers and readers)
    model    -> (nothing)            (reports/results.h, reports/verdict.h)
    server   -> codec
    codec    -> (nothing)

"model" is the results model that the harness shares with the reports:
reports/results.[ch] and reports/verdict.[ch]. Everything else under reports/
is the "reports" layer, which the harness below cli may not include.
"""

from __future__ import annotations

import os
import re
import sys

ARROWS = {
    "cli": {"netfuzz", "run", "reports", "server"},
    "netfuzz": {"run", "server"},
    "run": {"engine", "io"},
    "engine": {"case", "model"},
    "case": {"util", "codec", "model"},
    "io": {"util"},
    "util": {"codec"},
    "reports": {"model", "codec"},
    "model": set(),
    "server": {"codec"},
    "codec": set(),
}

MODEL = {"reports/results.h", "reports/results.c", "reports/verdict.h",
         "reports/verdict.c"}

# Layers that must not touch sockets, polling or threads: bytes in, bytes out.
NO_IO_LAYERS = {"codec", "engine", "case", "model"}
IO_HEADERS = re.compile(
    r"^(sys/socket\.h|sys/epoll\.h|poll\.h|sys/select\.h|netinet/.*|"
    r"arpa/inet\.h|netdb\.h|pthread\.h|openssl/ssl\.h)$")

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def closure(layer: str) -> set[str]:
    seen = {layer}
    todo = [layer]
    while todo:
        for nxt in ARROWS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def layer_of(path: str) -> str | None:
    """The layer of a file, by its path from the root."""
    if path in MODEL:
        return "model"
    parts = path.split("/")
    if parts[0] in ("codec", "server", "reports") and len(parts) == 2:
        return parts[0]
    if parts[0] == "harness" and len(parts) == 3 and parts[1] in ARROWS:
        return parts[1]
    return None


def resolve(root: str, name: str) -> str | None:
    """The root-relative path an include names, or None."""
    for base in ("", "harness/"):
        if os.path.isfile(os.path.join(root, base + name)):
            return base + name
    return None


def sources(root: str):
    for top in ("codec", "server", "reports", "harness"):
        for dirpath, _dirs, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    full = os.path.join(dirpath, f)
                    yield os.path.relpath(full, root)


def check(root: str) -> list[str]:
    errors = []
    allowed = {layer: closure(layer) for layer in ARROWS}
    for path in sources(root):
        src_layer = layer_of(path)
        if src_layer is None:
            errors.append(f"{path}: not in a layer folder (harness/<layer>/ or "
                          f"codec/ server/ reports/)")
            continue
        with open(os.path.join(root, path), encoding="utf-8",
                  errors="replace") as f:
            lines = f.readlines()
        for no, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, name = m.groups()
            if kind == "<":
                if src_layer in NO_IO_LAYERS and IO_HEADERS.match(name):
                    errors.append(f"{path}:{no}: includes <{name}>: the "
                                  f"{src_layer} layer does no I/O")
                continue
            if "/" not in name:
                errors.append(f'{path}:{no}: #include "{name}" does not name '
                              f'its folder (e.g. "codec/{name}")')
                continue
            target = resolve(root, name)
            if target is None:
                errors.append(f'{path}:{no}: #include "{name}": no such file')
                continue
            dst_layer = layer_of(target)
            if dst_layer is None:
                errors.append(f'{path}:{no}: #include "{name}": outside the '
                              f'layers')
            elif dst_layer not in allowed[src_layer]:
                errors.append(f'{path}:{no}: #include "{name}": {src_layer} '
                              f'may not include {dst_layer} (allowed: '
                              f'{", ".join(sorted(allowed[src_layer]))})')
    return errors


def main(argv: list[str]) -> int:
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__)
        return 2
    root = argv[1] if len(argv) == 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..")
    if not os.path.isdir(os.path.join(root, "codec")):
        print(f"check-layers: {root}: not a wsprobe tree", file=sys.stderr)
        return 2
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        print(f"check-layers: {len(errors)} include(s) against the arrows "
              f"(see the top of scripts/check-layers.py)", file=sys.stderr)
        return 1
    print("check-layers: clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
