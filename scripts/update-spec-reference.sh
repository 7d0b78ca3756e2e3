#!/usr/bin/env bash
# Rewrites the key reference in experiments/README.md from `gtrack help spec` (the text
# between the begin/end markers). test_cli fails while the two disagree.
#   scripts/update-spec-reference.sh [build/gtrack]
set -euo pipefail
cd "$(dirname "$0")/.."
gtrack=${1:-build/gtrack}
readme=experiments/README.md
reference=$(mktemp)
{ echo '<!-- begin: gtrack help spec -->'; echo '```'; "$gtrack" help spec | tail -n +3
  echo '```'; echo '<!-- end: gtrack help spec -->'; } > "$reference"
awk -v file="$reference" '
  /<!-- begin: gtrack help spec -->/ { while ((getline line < file) > 0) print line; skip = 1; next }
  /<!-- end: gtrack help spec -->/ { skip = 0; next }
  !skip { print }' "$readme" > "$readme.new"
mv "$readme.new" "$readme"
rm -f "$reference"
echo "updated $readme"
