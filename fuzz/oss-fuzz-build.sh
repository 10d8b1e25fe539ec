#!/bin/bash
# Builds the fuzz targets under the OSS-Fuzz / ClusterFuzzLite build contract
# (fuzz/OSS-FUZZ.md). Honours:
#   CC CXX CFLAGS CXXFLAGS  compilers and flags (sanitizers, coverage, ...)
#   LIB_FUZZING_ENGINE      what a target links with (-fsanitize=fuzzer, or an
#                           engine library such as AFL++'s driver)
#   OUT                     where the targets and their files go
#   SRC                     where the sources are: $SRC/wsprobe, or $SRC itself
#   WORK                    scratch directory for objects (optional)
# Writes, for every fuzz/<target>.c:
#   $OUT/<target>                  the fuzzer
#   $OUT/<target>_seed_corpus.zip  fuzz/corpus/<target>/*
#   $OUT/<target>.dict, .options   copies of fuzz/<target>.dict / .options
# Libraries: libcrypto and zlib are linked statically when a .a exists; a
# library that only comes as a shared object (Debian's and Ubuntu's libwslay)
# is copied to $OUT/lib/ and found through an $ORIGIN rpath, because the
# image that runs the fuzzers does not have the -dev packages installed.
set -euo pipefail

: "${OUT:?OUT must name the output directory}"
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:--fsanitize=fuzzer}

# The project root: $SRC/wsprobe (OSS-Fuzz), $SRC when it is the project
# itself, else the directory above this script.
if [ -n "${SRC:-}" ] && [ -f "$SRC/wsprobe/codec/frame.h" ]; then
  ROOT=$SRC/wsprobe
elif [ -n "${SRC:-}" ] && [ -f "$SRC/codec/frame.h" ]; then
  ROOT=$SRC
else
  ROOT=$(cd "$(dirname "$0")/.." && pwd)
fi
cd "$ROOT"

BUILD=${WORK:+$WORK/wsprobe-build}
BUILD=${BUILD:-$ROOT/build/oss-fuzz}
PYTHON=$(command -v python3 || echo /usr/bin/python3)
JOBS=$(nproc 2>/dev/null || echo 2)

rm -rf "$BUILD"
mkdir -p "$BUILD/gen" "$BUILD/obj" "$OUT"

# ---- generated sources (as the Makefile makes them) ----
mapfile -t case_files < <(find cases -name '*.case' | LC_ALL=C sort)
"$PYTHON" scripts/embed_files.py "$BUILD/gen/builtin_cases.c" case/catalogue.h \
  ws_builtin_case_file ws_builtin_case_files "${case_files[@]}"
asset_files=()
if [ -d reports/assets ]; then
  mapfile -t asset_files < <(find reports/assets -maxdepth 1 -type f | LC_ALL=C sort)
fi
"$PYTHON" scripts/embed_files.py "$BUILD/gen/report_assets.c" reports/assets.h \
  ws_asset ws_report_assets "${asset_files[@]}"

# ---- the project as a static library ----
VERSION=$(cat VERSION 2>/dev/null || echo 0.0.0)
CPPFLAGS=(-D_GNU_SOURCE "-DWSPROBE_VERSION=\"$VERSION\"" -I. -Iharness)
read -r -a cflags <<<"$CFLAGS"
read -r -a cxxflags <<<"$CXXFLAGS"
read -r -a engine <<<"$LIB_FUZZING_ENGINE"

lib_src=()
for src in codec/*.c server/*.c harness/*/*.c reports/*.c bench/utf8_dfa.c \
  "$BUILD"/gen/*.c; do
  [ "$src" = harness/cli/main.c ] && continue
  lib_src+=("$src")
done

echo "oss-fuzz-build: compiling ${#lib_src[@]} sources with $CC $CFLAGS"
pids=()
objs=()
running=0
for src in "${lib_src[@]}"; do
  obj="$BUILD/obj/$(echo "${src#"$BUILD"/}" | tr / _).o"
  objs+=("$obj")
  "$CC" "${CPPFLAGS[@]}" -std=c11 "${cflags[@]}" -c "$src" -o "$obj" &
  pids+=($!)
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait "${pids[0]}"
    pids=("${pids[@]:1}")
    running=$((running - 1))
  fi
done
for pid in "${pids[@]}"; do
  wait "$pid"
done
LIB="$BUILD/libwsprobe.a"
ar rcs "$LIB" "${objs[@]}"

# ---- system libraries ----
# The static archive's path when the compiler finds one; otherwise -lX, with
# the shared object copied to $OUT/lib/ (the targets get an $ORIGIN rpath).
libflags() {
  local name=$1 a so
  a=$("$CC" "${cflags[@]}" -print-file-name="lib$name.a" 2>/dev/null || true)
  if [ -n "$a" ] && [ "$a" != "lib$name.a" ] && [ -f "$a" ]; then
    echo "$a"
    return
  fi
  so=$("$CC" "${cflags[@]}" -print-file-name="lib$name.so" 2>/dev/null || true)
  if [ -n "$so" ] && [ "$so" != "lib$name.so" ] && [ -e "$so" ]; then
    mkdir -p "$OUT/lib"
    # The soname the binaries will ask for (libwslay.so.1).
    local real soname
    real=$(readlink -f "$so")
    soname=$(objdump -p "$real" 2>/dev/null | awk '/SONAME/ { print $2 }')
    cp -f "$real" "$OUT/lib/${soname:-$(basename "$real")}"
  fi
  echo "-l$name"
}

CRYPTO=$(libflags crypto)
SYSLIBS=("$CRYPTO")
# A static libcrypto needs these (OpenSSL 3: threads and dlopen).
SYSLIBS+=(-ldl -pthread)
if grep -rqs '<zlib.h>' codec server harness reports fuzz; then
  SYSLIBS+=("$(libflags z)")
fi

# ---- targets ----
targets=()
for src in fuzz/*.c; do
  [ -e "$src" ] || continue
  grep -q LLVMFuzzerTestOneInput "$src" || continue
  targets+=("$(basename "$src" .c)")
done
if [ "${#targets[@]}" -eq 0 ]; then
  echo "oss-fuzz-build: no fuzz targets in fuzz/" >&2
  exit 1
fi

zip_dir() { # zip_dir DIR ZIP: every file of DIR, flat, in name order
  "$PYTHON" - "$1" "$2" <<'EOF'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if os.path.isfile(path):
            z.write(path, name)
os.replace(dst + ".tmp", dst)
EOF
}

for t in "${targets[@]}"; do
  extra=()
  if grep -q wslay "fuzz/$t.c"; then
    extra+=("$(libflags wslay)")
  fi
  rpath=()
  if [ -d "$OUT/lib" ]; then
    rpath=("-Wl,-rpath,\$ORIGIN/lib")
  fi
  echo "oss-fuzz-build: $t"
  "$CC" "${CPPFLAGS[@]}" -std=c11 "${cflags[@]}" -c "fuzz/$t.c" -o "$BUILD/$t.o"
  # Linked with the C++ driver: fuzzing engines are C++ libraries.
  "$CXX" "${cxxflags[@]}" "$BUILD/$t.o" "$LIB" "${engine[@]}" -o "$OUT/$t" \
    "${extra[@]}" "${SYSLIBS[@]}" "${rpath[@]}"
  if [ -d "fuzz/corpus/$t" ]; then
    zip_dir "fuzz/corpus/$t" "$OUT/${t}_seed_corpus.zip"
  fi
  for ext in dict options; do
    if [ -f "fuzz/$t.$ext" ]; then
      cp -f "fuzz/$t.$ext" "$OUT/$t.$ext"
    fi
  done
done
echo "oss-fuzz-build: ${#targets[@]} targets in $OUT"
