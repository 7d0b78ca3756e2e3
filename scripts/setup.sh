#!/usr/bin/env bash
# Installs what gtrack needs on Debian 12 (only the packages that are missing, through
# apt-get), then configures and builds gtrack in Release mode into build/.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake gcc make pkg-config libsqlite3-dev libyaml-dev libopenblas-dev zlib1g-dev
          libcsv-dev libcmocka-dev sqlite3 gnuplot-nox)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"
echo "setup: built build/gtrack"
