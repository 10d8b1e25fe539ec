#!/usr/bin/env bash
# Runs every Criterion binary, then prints one total line, so a failure in an
# early binary is not hidden by a later one passing.
#
# The binaries run UNIT_JOBS at a time (default: the number of cores), each
# with its output in a file of its own; the outputs are printed whole, in the
# order the binaries were given, as soon as each one and those before it are
# done, so the log reads as if they had run one after another.
set -u
jobs_max=${UNIT_JOBS:-$(nproc 2>/dev/null || echo 2)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wsprobe-unit.XXXXXX")
launcher=
cleanup() {
  [ -n "$launcher" ] && kill "$launcher" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each binary writes $tmp/N.out, then $tmp/N.rc (its exit status) last.
(
  i=0
  for bin in "$@"; do
    while (($(jobs -rp | wc -l) >= jobs_max)); do wait -n; done
    ( "$bin" --jobs 2 >"$tmp/$i.out" 2>&1; echo $? >"$tmp/$i.rc.part" &&
      mv "$tmp/$i.rc.part" "$tmp/$i.rc" ) &
    i=$((i + 1))
  done
  wait
) &
launcher=$!

total_pass=0 total_fail=0 failed_bins=()
i=0
for bin in "$@"; do
  while [ ! -e "$tmp/$i.rc" ]; do sleep 0.1; done
  rc=$(cat "$tmp/$i.rc")
  out=$(cat "$tmp/$i.out")
  i=$((i + 1))
  printf '%s\n' "$out" | grep -E 'Synthesis|FAIL|failed|Assertion|ERROR|runtime error' || true
  line=$(printf '%s\n' "$out" | grep -E 'Synthesis' | tail -n1)
  pass=$(sed -nE 's/.*Passing: ([0-9]+).*/\1/p' <<<"$line")
  fail=$(sed -nE 's/.*Failing: ([0-9]+).*/\1/p' <<<"$line")
  crash=$(sed -nE 's/.*Crashing: ([0-9]+).*/\1/p' <<<"$line")
  total_pass=$((total_pass + ${pass:-0}))
  total_fail=$((total_fail + ${fail:-0} + ${crash:-0}))
  if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
    failed_bins+=("$bin")
    [ -z "$line" ] && { printf '%s\n' "$out" | tail -n 30; total_fail=$((total_fail + 1)); }
  fi
done
wait "$launcher"
launcher=
echo "unit: $total_pass passed, $total_fail failed"
if ((${#failed_bins[@]})); then
  echo "unit: failing binaries: ${failed_bins[*]}" >&2
  exit 1
fi
