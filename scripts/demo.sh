#!/usr/bin/env bash
# make demo: the whole catalogue against the built-in reference server, which
# must pass 100% (informational cases record behaviour the RFC leaves open).
set -euo pipefail
cd "$(dirname "$0")/.."
build/wsprobe --version
build/wsprobe test --out wsprobe-out
