#!/usr/bin/env bash
# Installs what the build and the tests need, and nothing when it is all
# there (a dpkg query per package, then npm only if node_modules is stale).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential clang clang-format pkg-config
  libssl-dev openssl zlib1g-dev libcriterion-dev libwslay-dev
  python3 python3-pytest python3-pytest-xdist python3-websockets python3-aiohttp python3-tornado
  python3-yaml
  golang-go golang-github-gorilla-websocket-dev
  chromium libxml2-utils afl++ llvm time
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

missing=()
for pkg in "${packages[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
# Node may come from another packaging of nodejs that bundles npm; what the
# tests need is the two commands, so only install Debian's when they are absent.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root for apt-get (missing: ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# node `ws` for the integration tests, pinned by tests/package-lock.json.
if [ -f tests/package-lock.json ]; then
  if [ ! -d tests/node_modules ] ||
     [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci in tests/"
    (cd tests && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
