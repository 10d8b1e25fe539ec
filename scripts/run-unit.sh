#!/usr/bin/env bash
# Runs every Criterion binary, then prints one total line, so a failure in an
# early binary is not hidden by a later one passing.
set -u
total_pass=0 total_fail=0 failed_bins=()
for bin in "$@"; do
  out=$("$bin" --jobs 2 2>&1)
  rc=$?
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
echo "unit: $total_pass passed, $total_fail failed"
if ((${#failed_bins[@]})); then
  echo "unit: failing binaries: ${failed_bins[*]}" >&2
  exit 1
fi
