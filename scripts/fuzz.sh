#!/usr/bin/env bash
# Runs gtrack's libFuzzer harnesses (tests/fuzz) under ASan and UBSan:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# TARGET is spec, sweep, csv, idx or merge (default: all), each run for SECONDS (default
# 60). Builds build-fuzz/ with clang first (Debian: apt-get install clang
# libclang-rt-14-dev). Each target starts from its committed seeds, tests/fuzz/corpus/NAME,
# and keeps what it finds in build-fuzz/corpus/NAME (the seeds are never written). A crash
# leaves its input in build-fuzz/artifacts/NAME/ and makes the script exit 1 after the
# other targets ran; reproduce it with build-fuzz/tests/fuzz/fuzz_NAME FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(spec sweep csv idx merge)
case $seconds in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number, got '$seconds'" >&2
                 exit 2 ;;
esac
for target in "${targets[@]}"; do
  [ -d "tests/fuzz/corpus/$target" ] || {
    echo "fuzz.sh: unknown target '$target'; expected spec, sweep, csv, idx or merge" >&2
    exit 2
  }
done
command -v clang >/dev/null || {
  echo "fuzz.sh: clang not found: install it with 'apt-get install clang libclang-rt-14-dev'" >&2
  exit 2
}

CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGTRACK_FUZZ=ON \
  -DGTRACK_TESTS=OFF >/dev/null
cmake --build build-fuzz -j 2 >/dev/null

# A shard database is a few SQLite pages (the seeds use 512-byte pages); text inputs
# are small, which keeps the search on the grammar rather than on sheer size.
max_len() { [ "$1" = merge ] && echo 65536 || echo 8192; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for target in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$target artifacts=build-fuzz/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  log=build-fuzz/fuzz-$target.log
  status=0
  build-fuzz/tests/fuzz/fuzz_"$target" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb=2048 -max_len="$(max_len "$target")" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "tests/fuzz/corpus/$target" \
    </dev/null >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    echo "fuzz $target: FAILED after ${runs:-?} executions (exit $status); log $log:"
    grep -m 20 -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" || tail -20 "$log"
    echo
  else
    echo "fuzz $target: ${runs:-?} executions in ${seconds} s, no crash" \
         "($(ls "$corpus" | wc -l) inputs in $corpus)"
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz.sh: crashes in: ${failed[*]}" >&2; exit 1; }
