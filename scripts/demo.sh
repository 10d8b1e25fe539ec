#!/usr/bin/env bash
# make demo: the reference server checked end to end by the wsprobe binary.
# (Becomes the full conformance run once `wsprobe test` exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
build/wsprobe --version
build/wsprobe selfcheck
