#!/usr/bin/env bash
# Installs the Debian packages that only the benchmarks use (not tools/setup.sh, whose --test
# set is what the tests need): pgloader, the baseline of bench/postgres.sh, and time
# (/usr/bin/time, for peak RSS). Idempotent: does nothing when they are installed.
set -euo pipefail
packages=(
  pgloader  # SQLite -> PostgreSQL baseline of bench/postgres.sh
  time      # /usr/bin/time: wall time and peak RSS of every measured command
)
missing=()
for p in "${packages[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && { echo "bench/setup.sh: all installed" >&2; exit 0; }
as_root=()
[[ $(id -u) -eq 0 ]] || as_root=(sudo)
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
