#!/usr/bin/env bash
# Training and logging throughput of gtrack on this machine.
#
#   bench/run.sh [path/to/gtrack]
#
# For each configuration it trains once, logging every step, and once logging only the
# first and last step, and prints steps per second, layer_stats rows per second and
# the cost of logging. Times are wall-clock seconds of the whole command (spec parsing,
# data generation and database set-up included), best of three.
set -euo pipefail
gtrack=$(realpath "${1:-build/gtrack}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

best_of_three() {
  local best=""
  for _ in 1 2 3; do
    rm -f bench.db bench.db-wal bench.db-shm
    local start end
    start=$(date +%s.%N)
    "$gtrack" run "$@" --db bench.db --quiet > /dev/null
    end=$(date +%s.%N)
    best=$(echo "$start $end $best" | awk '{ t = $2 - $1; if ($3 == "" || t < $3) print t; else print $3 }')
  done
  echo "$best"
}

echo '{}' > bench.yaml
printf "%-38s %8s %12s %14s %12s\n" "configuration" "steps" "steps/s" "rows/s" "log cost"
for config in "10 64 64 float32" "30 64 64 float32" "10 256 128 float32" \
              "10 64 64 float64" "100 64 64 float32"; do
  read -r depth width batch dtype <<< "$config"
  steps=2000
  common=(bench.yaml --set "model.depth=$depth" --set "model.width=$width"
          --set "train.batch_size=$batch" --set "train.dtype=$dtype"
          --set "train.steps=$steps" --set model.activation=tanh
          --set train.optimizer.lr=0.01)
  logged=$(best_of_three "${common[@]}" --set log.every=1)
  unlogged=$(best_of_three "${common[@]}" --set "log.every=$steps")
  rows=$(( steps * (depth + 1) ))
  awk -v name="depth $depth width $width batch $batch $dtype" -v steps=$steps \
      -v rows=$rows -v logged="$logged" -v unlogged="$unlogged" 'BEGIN {
        printf "%-38s %8d %12.0f %14.0f %11.1f%%\n", name, steps, steps / logged,
               rows / logged, 100 * (logged - unlogged) / unlogged }'
done
echo
echo "steps/s and rows/s with every step logged; log cost: extra time of logging every"
echo "step over logging two, relative to the latter. $(nproc) cores, one BLAS thread."
