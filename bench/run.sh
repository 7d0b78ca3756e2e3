#!/usr/bin/env bash
# gtrack's training speed against the machine's limit and against PyTorch (issue 9).
#
#   bench/run.sh [path/to/gtrack]          (default build/gtrack)
#
# Three MLP shapes (linear layers x width, batch, activation): 50 x 64 (64, sigmoid),
# 20 x 256 (128, relu), 8 x 1024 (256, relu); gtrack's model.depth counts the hidden
# layers, so depth 49, 19 and 7, plus the output layer. Then 20 x 256 again as a
# residual network (model.residual.block 2, model.norm.kind layernorm: every hidden map
# followed by a layernorm and the activation, every two after the first adding their
# input back). Data: gtrack's default blobs (2048 samples, 16 features, 4 classes), the
# same sizes in PyTorch. SGD, lr 0.01.
#
# Per shape, best of three runs, interleaved (every configuration once, three times
# over) so that load from elsewhere hits all of them alike:
#   - gtrack float32 logging every step (log.every=1), and logging off (log.every =
#     train.steps: only step 0 and the last step are logged, as gtrack always logs
#     them); the same two in float64. Time: runs.elapsed_s, the training loop only.
#   - bench/torch_mlp.py: the same network in PyTorch, float32, logging every layer's
#     weight-gradient norm every step into SQLite; its training loop timed.
#   - bench/sgemm_probe.c (compiled here against OpenBLAS): the sgemm rate at the
#     8 x 1024 step's shapes with 1 and 2 threads, the peak GFLOP/s is measured against;
#     and per shape, the rate at its own product sizes (BATCH x WIDTH x WIDTH, the
#     faster of 1 and BENCH_THREADS threads): the BLAS bound, the steps/s a step would
#     reach if it did nothing but its products at that rate.
# GFLOP/s counts the GEMMs of forward and backward: 6 * batch * sum(fan_in * fan_out)
# per step. Peak memory: the process's maximum RSS (/usr/bin/time, Debian's package
# time; "-" without it).
# gtrack runs with its default thread count, PyTorch with one thread and with
# BENCH_THREADS (default: the machine's cores), the faster of the two counting.
# Each run's seconds and KiB go to stderr as it ends; the table goes to stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gtrack=$(realpath "${1:-build/gtrack}")
[ -x "$gtrack" ] || { echo "bench: '$gtrack' is not an executable gtrack" >&2; exit 2; }
threads=${BENCH_THREADS:-$(nproc)}
# PyTorch's default thread count differs between installs and suffers most from a
# loaded machine: it runs with one thread and with $threads, and its best counts.
torch_threads=(1)
[ "$threads" -eq 1 ] || torch_threads+=("$threads")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Debian's python3-torch lives in /usr/bin/python3's path; a python3 earlier in PATH (a
# virtualenv, pyenv) may not see it.
python=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c "import torch" 2>/dev/null; then python=$candidate; break; fi
done
[ -n "$python" ] || echo "bench: python3-torch is not installed: gtrack's columns only"

"${CC:-cc}" -O2 -o sgemm_probe "$here/sgemm_probe.c" $(pkg-config --cflags --libs openblas)
read -r _ peak_one < <(./sgemm_probe 256 1024 1 | tail -1)
read -r _ peak_two < <(./sgemm_probe 256 1024 2 | tail -1)

# Runs a command with its output in the file out and its maximum RSS (KiB) in rss.
measured() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o rss "$@" > out
  else
    "$@" > out
    echo 0 > rss
  fi
}

# gtrack_run NAME STEPS ARGS...: one run in its own database; prints "seconds rss".
gtrack_run() {
  local name=$1 steps=$2
  shift 2
  rm -f bench.db bench.db-wal bench.db-shm
  measured "$gtrack" run bench.yaml --db bench.db --quiet --name "$name" \
    --set "train.steps=$steps" --set train.optimizer.lr=0.01 "$@"
  local status seconds
  IFS='|' read -r status seconds < <(sqlite3 bench.db "SELECT status, elapsed_s FROM runs")
  if [ "$status" != finished ]; then
    echo "bench: gtrack run '$name' ended $status: $(sqlite3 bench.db 'SELECT message FROM runs')" >&2
    exit 1
  fi
  echo "bench: ${model[*]} $name: $seconds s, $(cat rss) KiB" >&2
  echo "$seconds $(cat rss)"
}

# torch_run DEPTH WIDTH BATCH ACTIVATION STEPS LR THREADS BLOCK: prints "seconds rss"
# (BLOCK 0: no residual blocks).
torch_run() {
  rm -f torch.db torch.db-wal torch.db-shm
  measured "$python" "$here/torch_mlp.py" "${@:1:7}" torch.db "$8"
  local rate seconds
  read -r rate seconds < out
  echo "bench: PyTorch $*: $seconds s, $(cat rss) KiB" >&2
  echo "$seconds $(cat rss)"
}

# keeps the smaller time (and the larger RSS) of "seconds rss" pairs
best() { awk '{ if (NR == 1 || $1 < t) t = $1; if ($2 > m) m = $2 } END { print t, m }'; }

echo '{}' > bench.yaml
# depth width batch activation steps block (0: no residual blocks, no norm)
shapes=("49 64 64 sigmoid 600 0" "19 256 128 relu 100 0" "7 1024 256 relu 15 0"
        "19 256 128 relu 100 2")
# BENCH_STEPS_DIVISOR=20 runs every part with a twentieth of the steps: to check the
# script, not to measure
divisor=${BENCH_STEPS_DIVISOR:-1}
results=()
for shape in "${shapes[@]}"; do
  read -r depth width batch activation steps block <<< "$shape"
  steps=$(( steps / divisor > 2 ? steps / divisor : 2 ))
  model=(--set "model.depth=$depth" --set "model.width=$width"
         --set "train.batch_size=$batch" --set "model.activation=$activation")
  [ "$block" -eq 0 ] ||
    model+=(--set "model.residual.block=$block" --set model.norm.kind=layernorm)
  # the sgemm rate at this shape's products, in GFLOP/s
  shape_rate=$(./sgemm_probe "$batch" "$width" 1 "$threads" |
    awk '$2 > rate { rate = $2 } END { print rate }')
  : > f32_on; : > f32_off; : > f64_on; : > f64_off; : > torch
  for _ in 1 2 3; do
    gtrack_run f32-logged "$steps" "${model[@]}" --set log.every=1 >> f32_on
    gtrack_run f32-unlogged "$steps" "${model[@]}" --set "log.every=$steps" >> f32_off
    gtrack_run f64-logged "$steps" "${model[@]}" --set train.dtype=float64 \
      --set log.every=1 >> f64_on
    gtrack_run f64-unlogged "$steps" "${model[@]}" --set train.dtype=float64 \
      --set "log.every=$steps" >> f64_off
    for count in "${torch_threads[@]}"; do
      [ -z "$python" ] ||
        torch_run "$depth" "$width" "$batch" "$activation" "$steps" 0.01 "$count" \
          "$block" >> torch
    done
  done
  results+=("$depth $width $batch $activation $steps $(best < f32_on) $(best < f32_off | cut -d' ' -f1) $(best < f64_on | cut -d' ' -f1) $(best < f64_off | cut -d' ' -f1) $( [ -s torch ] && best < torch || echo "- -") $shape_rate $block")
done

date_now=$(date -u +%Y-%m-%d)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
printf '%s\n' "${results[@]}" | awk -v peak="$peak_two" -v peak_one="$peak_one" \
  -v date="$date_now" -v cpu="$cpu" -v cores="$(nproc)" -v threads="$threads" -v divisor="$divisor" '
function flops(depth, width, batch) {  # 6 * batch * sum(fan_in * fan_out), in GFLOP
  return 6 * batch * (16 * width + (depth - 1) * width * width + width * 4) / 1e9
}
BEGIN {
  format = "| %-49s | %5s | %7s | %10s | %7s | %6s | %15s | %5s | %8s | %12s | %7s | %15s |\n"
  printf format, "shape (layers x width)", "steps", "steps/s", "BLAS bound", "GFLOP/s",
         "% peak", "PyTorch steps/s", "ratio", "log cost", "f64 log cost", "RSS MiB",
         "PyTorch RSS MiB"
  printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", "---", "---:",
         "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"
}
{
  depth = $1; width = $2; batch = $3; activation = $4; steps = $5
  on = $6; rss = $7; off = $8; f64_on = $9; f64_off = $10; torch = $11; torch_rss = $12
  shape_rate = $13; block = $14
  rate = steps / on
  gflops = flops(depth, width, batch) * rate
  name = sprintf("%d x %d, batch %d, %s", depth + 1, width, batch, activation)
  if (block > 0)
    name = name sprintf(", residual %d + layernorm", block)
  torch_rate = torch == "-" ? "-" : sprintf("%.1f", steps / torch)
  ratio = torch == "-" ? "-" : sprintf("%.2fx", torch / on)
  torch_mib = (torch_rss == "-" || torch_rss == 0) ? "-" : sprintf("%.0f", torch_rss / 1024)
  printf format, name, steps, sprintf("%.1f", rate),
         sprintf("%.0f", shape_rate / flops(depth, width, batch)), sprintf("%.1f", gflops),
         sprintf("%.0f%%", 100 * gflops / peak), torch_rate, ratio,
         sprintf("%+.1f%%", 100 * (on - off) / off),
         sprintf("%+.1f%%", 100 * (f64_on - f64_off) / f64_off),
         (rss > 0 ? sprintf("%.0f", rss / 1024) : "-"), torch_mib
}
END {
  printf "\n%s, %s, %d cores. OpenBLAS sgemm at the 8 x 1024 step shapes:\n", date, cpu, cores
  printf "%.0f GFLOP/s with 1 thread, %.0f with 2 (%% peak is against the latter).\n", peak_one, peak
  printf "steps/s: gtrack, float32, logging every step; best of 3, training loop only.\n"
  printf "GFLOP/s: 6 x batch x sum(fan_in x fan_out) per step.\n"
  printf "BLAS bound: steps/s at OpenBLAS'"'"'s sgemm rate for the shape'"'"'s own products\n"
  printf "(batch x width x width, best of 1 and %d threads): a step that only multiplied.\n", threads
  printf "PyTorch: the same MLP, float32, logging every layer'"'"'s weight-gradient norm into\n"
  printf "SQLite every step; best of 1 and %d threads. ratio: gtrack / PyTorch steps/s.\n", threads
  printf "log cost: logging every step over logging steps 0 and last only (float32, float64).\n"
  printf "RSS: peak resident memory of gtrack (float32, logging) and of PyTorch.\n"
  if (divisor > 1)
    printf "BENCH_STEPS_DIVISOR=%d: 1/%d of the steps, a check of the script, not a measurement.\n", divisor, divisor
}'
