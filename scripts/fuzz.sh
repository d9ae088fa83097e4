#!/usr/bin/env bash
# npm run fuzz [-- SECONDS]: runs every cargo fuzz target in fuzz/ for
# SECONDS each (or FUZZ_SECONDS; default 60), and on until it has made at
# least FUZZ_MIN_RUNS executions (default 1,000,000), then prints the
# executions and findings of each. Crashes are saved under fuzz/artifacts/<target>/; the
# corpus grows under fuzz/corpus/<target>/. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-${FUZZ_SECONDS:-60}}"
min_runs="${FUZZ_MIN_RUNS:-1000000}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
# cargo fuzz passes nightly-only flags (sanitizers, coverage); the stable
# toolchain accepts them with RUSTC_BOOTSTRAP, so no nightly is needed.
export RUSTC_BOOTSTRAP=1
cd fuzz
cargo fuzz build -O
summary=""
failed=0
for target in $(cargo fuzz list); do
  echo "== $target: ${seconds} s, at least ${min_runs} executions"
  runs=0
  found="none"
  # The first round is timed; a top-up round (same corpus) runs the rest.
  for round in timed top-up; do
    log="$(mktemp)"
    if [ "$round" = timed ]; then limit="-max_total_time=$seconds"; else limit="-runs=$((min_runs - runs))"; fi
    if ! cargo fuzz run -O "$target" -- "$limit" -print_final_stats=1 >"$log" 2>&1; then
      found="CRASH (see fuzz/artifacts/$target/)"
      failed=1
      grep -E "panicked at|assert" -A3 "$log" | head -8 || true
    fi
    runs=$((runs + $(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || echo 0)))
    rm -f "$log"
    if [ "$found" != none ] || [ "$runs" -ge "$min_runs" ]; then break; fi
  done
  summary+="$(printf '%-18s %12s executions   findings: %s' "$target" "$runs" "$found")"$'\n'
done
echo
echo "fuzzing summary (${seconds} s per target)"
printf '%s' "$summary"
exit "$failed"
