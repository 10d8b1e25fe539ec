#!/usr/bin/env bash
# Line coverage of the fuzz targets' corpora (what `make fuzz-coverage` runs).
#
# Builds every fuzz target with clang source-based coverage
# (-fprofile-instr-generate -fcoverage-mapping) and libFuzzer (no sanitizers:
# they only slow the replay down), replays each target's corpus once
# (fuzz/corpus/<target>/, build/fuzz/new-corpus/<target>/ and
# fuzz/regress/<target>/ when present; -runs=0), merges the profiles and
# prints the line coverage of codec/*.c per file and in total, then server/
# and harness/case/case_parse* for information.
#
# The project's library is linked whole (--whole-archive) into every target,
# so a codec file no target reaches shows up as uncovered instead of
# vanishing from the report.
#
# Exit status: 0 when everything built and every replay ran, whatever the
# percentages (the verdict on the >= 90% target is printed); non-zero on a
# build error, a crash or a timeout during the replay.
#
# Environment: FUZZ_CC (clang), LLVM_PROFDATA, LLVM_COV, COVERAGE_TARGET (90),
# FUZZ_COV_TARGETS (space-separated subset), FUZZ_COV_SEEDS_ONLY=1 (leave
# build/fuzz/new-corpus/ out: what the committed seeds alone reach),
# FUZZ_COV_HTML=1 (an HTML report
# in build/fuzz-cov/html/), FUZZ_COV_FUNCTIONS=1 (per-function lines of the
# codec files below 100%), JOBS (parallel compiles; default: nproc).
# Output: build/fuzz-cov/.
set -euo pipefail

cd "$(dirname "$0")/.."

CC_COV=${FUZZ_CC:-clang}
TARGET_PCT=${COVERAGE_TARGET:-90}
OUT=build/fuzz-cov
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
REPLAY_TIMEOUT=${FUZZ_COV_TIMEOUT:-900} # seconds per target
COMPILE_TIMEOUT=600                     # seconds per compile step

# The llvm tools that match the compiler: clang-14 writes profiles that only
# a 14 (or newer) llvm-profdata reads.
pick_tool() {
  local name=$1 override=$2 ver
  if [ -n "$override" ]; then
    echo "$override"
    return
  fi
  ver=$("$CC_COV" --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
  if [ -n "$ver" ] && command -v "$name-$ver" >/dev/null 2>&1; then
    echo "$name-$ver"
  else
    echo "$name"
  fi
}
PROFDATA=$(pick_tool llvm-profdata "${LLVM_PROFDATA:-}")
LLVMCOV=$(pick_tool llvm-cov "${LLVM_COV:-}")
for tool in "$CC_COV" "$PROFDATA" "$LLVMCOV"; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "fuzz-coverage: $tool not found" >&2
    exit 2
  }
done

# Same preprocessor flags as the Makefile; no -Werror here: a warning must not
# stop a measurement.
CPPFLAGS=(-D_GNU_SOURCE "-DWSPROBE_VERSION=\"$(cat VERSION 2>/dev/null || echo 0.0.0)\""
  -I. -Iharness)
COV_CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer -fprofile-instr-generate
  -fcoverage-mapping)

# ---- targets ----
if [ -n "${FUZZ_COV_TARGETS:-}" ]; then
  read -r -a TARGETS <<<"$FUZZ_COV_TARGETS"
else
  TARGETS=()
  for src in fuzz/*.c; do
    [ -e "$src" ] || continue
    grep -q LLVMFuzzerTestOneInput "$src" || continue
    TARGETS+=("$(basename "$src" .c)")
  done
fi
if [ "${#TARGETS[@]}" -eq 0 ]; then
  echo "fuzz-coverage: no fuzz targets (fuzz/*.c with LLVMFuzzerTestOneInput)" >&2
  exit 2
fi

# ---- library ----
# The generated sources (catalogue, report assets) come from the Makefile.
make --no-print-directory build/gen/builtin_cases.c build/gen/report_assets.c >/dev/null

LIB_SRC=()
for src in codec/*.c server/*.c harness/*/*.c reports/*.c build/gen/*.c bench/utf8_dfa.c; do
  [ -e "$src" ] || continue
  [ "$src" = harness/cli/main.c ] && continue
  LIB_SRC+=("$src")
done

mkdir -p "$OUT/obj" "$OUT/bin" "$OUT/prof"

# True when obj is missing or older than its source or any header it used
# (from the -MMD file written next to it).
stale() {
  local obj=$1 src=$2 dep
  [ -e "$obj" ] && [ -e "$obj.d" ] || return 0
  [ "$src" -nt "$obj" ] && return 0
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$obj.d"); do
    [ -e "$dep" ] || return 0
    [ "$dep" -nt "$obj" ] && return 0
  done
  return 1
}

compile_list=()
for src in "${LIB_SRC[@]}"; do
  obj="$OUT/obj/${src%.c}.o"
  if stale "$obj" "$src"; then
    compile_list+=("$src")
  fi
done

if [ "${#compile_list[@]}" -gt 0 ]; then
  echo "fuzz-coverage: compiling ${#compile_list[@]} sources with coverage ($CC_COV, -j$JOBS)"
  export OUT CC_COV
  export CPPFLAGS_STR="${CPPFLAGS[*]}"
  # xargs runs the compiles in parallel; any failure makes it exit non-zero.
  printf '%s\n' "${compile_list[@]}" |
    timeout "$COMPILE_TIMEOUT" xargs -P "$JOBS" -I{} bash -c '
      set -euo pipefail
      src={}; obj="$OUT/obj/${src%.c}.o"; mkdir -p "$(dirname "$obj")"
      # shellcheck disable=SC2086
      "$CC_COV" $CPPFLAGS_STR -std=c11 -g -O1 -fno-omit-frame-pointer \
        -fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer-no-link \
        -MMD -MF "$obj.d" -c "$src" -o "$obj"' || {
    echo "fuzz-coverage: compile failed" >&2
    exit 1
  }
fi

LIB="$OUT/libwsprobe-cov.a"
objs=()
for src in "${LIB_SRC[@]}"; do
  objs+=("$OUT/obj/${src%.c}.o")
done
rm -f "$LIB"
ar rcs "$LIB" "${objs[@]}"

# ---- targets ----
BINS=()
for t in "${TARGETS[@]}"; do
  src="fuzz/$t.c"
  bin="$OUT/bin/$t"
  libs=(-lssl -lcrypto)
  if grep -q wslay "$src"; then
    libs=(-lwslay -lssl -lcrypto)
  fi
  if [ ! -e "$bin" ] || [ "$src" -nt "$bin" ] || [ "$LIB" -nt "$bin" ] ||
    [ fuzz/fuzz_common.h -nt "$bin" ]; then
    echo "  LD      $bin"
    timeout "$COMPILE_TIMEOUT" "$CC_COV" "${CPPFLAGS[@]}" "${COV_CFLAGS[@]}" \
      -fsanitize=fuzzer "$src" -Wl,--whole-archive "$LIB" -Wl,--no-whole-archive \
      -o "$bin" "${libs[@]}" || {
      echo "fuzz-coverage: linking $t failed" >&2
      exit 1
    }
  fi
  BINS+=("$bin")
done

# ---- replay ----
rm -f "$OUT"/prof/*.profraw
total_inputs=0
for t in "${TARGETS[@]}"; do
  dirs=()
  sources=("fuzz/corpus/$t" "fuzz/regress/$t")
  if [ "${FUZZ_COV_SEEDS_ONLY:-0}" != 1 ]; then
    sources+=("build/fuzz/new-corpus/$t")
  fi
  for d in "${sources[@]}"; do
    if [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ]; then
      dirs+=("$d")
    fi
  done
  if [ "${#dirs[@]}" -eq 0 ]; then
    echo "  REPLAY  $t: no corpus (run make fuzz-corpus)"
    continue
  fi
  n=$(find "${dirs[@]}" -type f | wc -l)
  total_inputs=$((total_inputs + n))
  echo "  REPLAY  $t: $n inputs from ${dirs[*]}"
  log="$OUT/$t.replay.log"
  # -runs=0: execute every input once and stop. -max_len large enough that
  # no input is cut. A target that crashes on a stored input is an error.
  if ! LLVM_PROFILE_FILE="$OUT/prof/$t-%p.profraw" \
    timeout "$REPLAY_TIMEOUT" "$OUT/bin/$t" -runs=0 -max_len=1048576 \
    -rss_limit_mb=2048 -timeout=30 "${dirs[@]}" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "fuzz-coverage: replaying the corpus of $t failed (log: $log)" >&2
    exit 1
  fi
done

profraws=("$OUT"/prof/*.profraw)
if [ ! -e "${profraws[0]}" ]; then
  echo "fuzz-coverage: no profile was written (no corpus at all?)" >&2
  exit 1
fi
"$PROFDATA" merge -sparse "${profraws[@]}" -o "$OUT/fuzz.profdata"

objects=()
for bin in "${BINS[@]}"; do
  if [ "${#objects[@]}" -eq 0 ]; then
    objects+=("$bin")
  else
    objects+=(-object "$bin")
  fi
done

# Every target defines LLVMFuzzerTestOneInput, so llvm-cov warns that one
# function has "mismatched data" across the binaries: expected, not shown.
cov_report() {
  "$LLVMCOV" report "${objects[@]}" -instr-profile="$OUT/fuzz.profdata" "$@" \
    2> >(grep -v 'functions have mismatched data' >&2)
}

# The line-coverage column is the third percentage of a report row
# (regions, functions, lines, branches).
line_pct() {
  awk '/^TOTAL/ { n = 0; for (i = 2; i <= NF; i++) if ($i ~ /%$/) { n++; if (n == 3) { sub(/%/, "", $i); print $i; exit } } }'
}

# Prints a report as: file, lines, missed, cover (the third group of
# columns of a row: regions, functions, lines, branches).
print_table() {
  awk -v root="$PWD/" '
    /^Filename/ { printf "%-28s %7s %7s %8s\n", "file", "lines", "missed", "cover"; next }
    /^-/ || NF == 0 { next }
    { name = $1; sub(root, "", name); if (name == "TOTAL") print "";
      n = 0; for (i = 2; i <= NF; i++) if ($i ~ /%$/) { n++;
        if (n == 3) printf "%-28s %7s %7s %8s\n", name, $(i-2), $(i-1), $i } }' "$1"
}

echo
echo "== codec/ (line coverage of the fuzz corpora, ${#TARGETS[@]} targets, $total_inputs inputs)"
codec_files=(codec/*.c)
cov_report "${codec_files[@]}" >"$OUT/codec.txt"
print_table "$OUT/codec.txt"
codec_pct=$(line_pct <"$OUT/codec.txt")

if [ "${FUZZ_COV_FUNCTIONS:-0}" = 1 ]; then
  echo
  echo "== codec/ functions with uncovered lines (missed/total)"
  # Per-function rows: name, regions (3 columns), then lines (3 columns).
  cov_report -show-functions "${codec_files[@]}" |
    awk -v root="$PWD/" '
      /^File / { file = $2; gsub(/[\047:]/, "", file); sub(root, "", file); next }
      /^Name/ || /^-/ || /^TOTAL/ || NF < 7 { next }
      $6 > 0 { printf "  %-24s %-34s %4d/%d\n", file, $1, $6, $5 }'
fi

echo
echo "== for information: server/ (the epoll reactor and timers are not fuzzed)"
server_files=(server/*.c)
cov_report "${server_files[@]}" >"$OUT/server.txt"
print_table "$OUT/server.txt"
echo
echo "== for information: harness/case/case_parse*"
case_parse_files=(harness/case/case_parse*.c)
cov_report "${case_parse_files[@]}" >"$OUT/case_parse.txt"
print_table "$OUT/case_parse.txt"

if [ "${FUZZ_COV_HTML:-0}" = 1 ]; then
  "$LLVMCOV" show "${objects[@]}" -instr-profile="$OUT/fuzz.profdata" \
    -format=html -output-dir="$OUT/html" "${codec_files[@]}" "${server_files[@]}" \
    "${case_parse_files[@]}"
  echo "HTML report: $OUT/html/index.html"
fi

echo
if awk -v p="${codec_pct:-0}" -v t="$TARGET_PCT" 'BEGIN { exit !(p + 0 >= t + 0) }'; then
  echo "fuzz-coverage: codec/ line coverage ${codec_pct}% MEETS the target (>= ${TARGET_PCT}%)"
else
  echo "fuzz-coverage: codec/ line coverage ${codec_pct:-?}% is BELOW the target (>= ${TARGET_PCT}%)"
fi
echo "profile: $OUT/fuzz.profdata; per-file table: $OUT/codec.txt"
