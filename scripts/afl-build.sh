#!/usr/bin/env bash
# Builds every fuzz target for AFL++ into build/afl/<target> (fuzz/OSS-FUZZ.md).
#
# The targets are libFuzzer-style (LLVMFuzzerTestOneInput). afl-clang-fast
# turns -fsanitize=fuzzer into a link with AFL++'s libFuzzer-compatible
# driver (libAFLDriver.a; Debian's afl++ ships it in /usr/lib/afl/), which
# gives a persistent-mode, shared-memory-fuzzing main(). The same binary also
# runs inputs given as arguments (`build/afl/utf8 FILE...`).
#
# Usage: scripts/afl-build.sh [--no-asan] [--cmplog] [TARGET...]
#   default       ASan + UBSan (AFL_USE_ASAN/AFL_USE_UBSAN), every fuzz/*.c
#   --no-asan     no sanitizer: faster, finds only crashes and hangs
#   --cmplog      also build build/afl/cmplog/<target> (AFL_LLVM_CMPLOG=1),
#                 for afl-fuzz -c (input-to-state comparisons)
# Environment: AFL_COMPILER (afl-clang-fast; not AFL_CC, which afl-cc itself
# reads as the compiler to wrap), JOBS (parallel compiles).
# CPPFLAGS holds literal quotes on purpose (the version macro is a C string).
# shellcheck disable=SC2089,SC2090
set -euo pipefail

cd "$(dirname "$0")/.."

AFLCC=${AFL_COMPILER:-afl-clang-fast}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
COMPILE_TIMEOUT=600
ASAN=1
CMPLOG=0
targets=()
for arg in "$@"; do
  case "$arg" in
  --no-asan) ASAN=0 ;;
  --cmplog) CMPLOG=1 ;;
  -h | --help)
    sed -n '2,16p' "$0"
    exit 0
    ;;
  -*)
    echo "afl-build: unknown option $arg" >&2
    exit 2
    ;;
  *) targets+=("$arg") ;;
  esac
done

command -v "$AFLCC" >/dev/null 2>&1 || {
  echo "afl-build: $AFLCC not found (Debian: apt-get install afl++)" >&2
  exit 2
}

if [ "${#targets[@]}" -eq 0 ]; then
  for src in fuzz/*.c; do
    [ -e "$src" ] || continue
    grep -q LLVMFuzzerTestOneInput "$src" || continue
    targets+=("$(basename "$src" .c)")
  done
fi
if [ "${#targets[@]}" -eq 0 ]; then
  echo "afl-build: no fuzz targets in fuzz/" >&2
  exit 1
fi

make --no-print-directory build/gen/builtin_cases.c build/gen/report_assets.c >/dev/null

CPPFLAGS="-D_GNU_SOURCE -DWSPROBE_VERSION=\"$(cat VERSION 2>/dev/null || echo 0.0.0)\" -I. -Iharness"
CFLAGS="-std=c11 -g -O2 -fno-omit-frame-pointer"

lib_src=()
for src in codec/*.c server/*.c harness/*/*.c reports/*.c build/gen/*.c bench/utf8_dfa.c; do
  [ -e "$src" ] || continue
  [ "$src" = harness/cli/main.c ] && continue
  lib_src+=("$src")
done

# build VARIANT_DIR [extra env...]: the library and every target into DIR.
build() {
  local dir=$1
  shift
  local objdir="$dir/obj"
  rm -rf "$objdir"
  mkdir -p "$objdir"
  export AFL_QUIET=1 AFLCC CPPFLAGS CFLAGS objdir
  if [ "$ASAN" = 1 ]; then
    export AFL_USE_ASAN=1 AFL_USE_UBSAN=1
  else
    unset AFL_USE_ASAN AFL_USE_UBSAN
  fi
  for kv in "$@"; do
    export "${kv?}"
  done
  echo "afl-build: compiling ${#lib_src[@]} sources into $objdir ($AFLCC${ASAN:+, asan=$ASAN}${*:+, $*})"
  printf '%s\n' "${lib_src[@]}" |
    timeout "$COMPILE_TIMEOUT" xargs -P "$JOBS" -I{} bash -c '
      set -euo pipefail
      src={}; obj="$objdir/$(echo "$src" | tr / _).o"
      # shellcheck disable=SC2086
      "$AFLCC" $CPPFLAGS $CFLAGS -c "$src" -o "$obj"' || {
    echo "afl-build: compile failed" >&2
    exit 1
  }
  rm -f "$dir/libwsprobe-afl.a"
  ar rcs "$dir/libwsprobe-afl.a" "$objdir"/*.o
  for t in "${targets[@]}"; do
    local libs=(-lcrypto)
    if grep -q wslay "fuzz/$t.c"; then
      libs=(-lwslay -lcrypto)
    fi
    echo "  LD      $dir/$t"
    # shellcheck disable=SC2086
    timeout "$COMPILE_TIMEOUT" "$AFLCC" $CPPFLAGS $CFLAGS -fsanitize=fuzzer \
      "fuzz/$t.c" "$dir/libwsprobe-afl.a" -o "$dir/$t" "${libs[@]}"
  done
  for kv in "$@"; do
    unset "${kv%%=*}"
  done
}

mkdir -p build/afl
build build/afl
if [ "$CMPLOG" = 1 ]; then
  build build/afl/cmplog AFL_LLVM_CMPLOG=1
fi

echo "afl-build: ${#targets[@]} targets in build/afl/"
echo "run one, e.g.:"
echo "  AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \\"
echo "    afl-fuzz -i fuzz/corpus/${targets[0]} -o build/afl/out/${targets[0]} -V 60 -- build/afl/${targets[0]}"
