#!/usr/bin/env bash
# Regenerates tests/reference/fixtures/*.csv: for each spec in tests/reference/specs,
# gtrack trains it, exports the step-0 weights and the batches, and reference.py
# recomputes everything with PyTorch. Needs Debian's python3-torch; CI does not run it
# (the fixtures are committed), test_reference compares gtrack against them.
#
#   tests/reference/regenerate.sh [build/gtrack]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gtrack=$(realpath "${1:-$here/../../build/gtrack}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for spec in "$here"/specs/*.yaml; do
  name=$(basename "$spec" .yaml)
  steps=$(grep -o 'steps: *[0-9]*' "$spec" | head -1 | grep -o '[0-9]*$')
  "$gtrack" run "$spec" --db "$work/$name.db" --quiet --set 'log.checkpoints=[0]' > /dev/null
  "$gtrack" export 1 --db "$work/$name.db" --step 0 -o "$work/$name.init.safetensors" > /dev/null
  "$gtrack" export 1 --db "$work/$name.db" --batches "$steps" -o "$work/$name.batches.safetensors" > /dev/null
  sqlite3 "$work/$name.db" "SELECT resolved_spec FROM runs WHERE id = 1" > "$work/$name.resolved.yaml"
  /usr/bin/python3 "$here/reference.py" "$work/$name.resolved.yaml" "$work/$name.init.safetensors" \
    "$work/$name.batches.safetensors" "$here/fixtures/$name.csv"
  echo "wrote tests/reference/fixtures/$name.csv ($steps steps)"
done
