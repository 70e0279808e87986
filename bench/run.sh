#!/usr/bin/env bash
# Builds decant in Release (own build dir) and runs every benchmark, writing raw JSON lines and
# a summary under $OUT (default build-bench/bench-out, gitignored) and big data under $DATA
# (default /tmp/decant-bench, removed at the end unless KEEP_DATA=1). See bench/README.md.
#
#   bench/run.sh            # build + codec + sqlite
#   bench/run.sh codec      # only one part (codec | sqlite | redis | profile | lightrag); the build always runs
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

parts=${*:-codec sqlite redis profile}
log "building Release in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF > "$OUT/build.log"
cmake --build "$BUILD" --target decant codec_bench >> "$OUT/build.log"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none) $(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l) dirty paths"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
  echo "mem: $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "disk: $(df -h "$DATA" | awk 'NR==2{print $1, $2}')"
  echo "kernel: $(uname -r)"
  echo "tools: $(sqlite3 --version | cut -d' ' -f1), $(zstd --version), $(jq --version), $(g++ --version | head -1)"
  echo "load at start: $(cat /proc/loadavg)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

for part in $parts; do
  bash "bench/$part.sh"
done
echo "load at end: $(cat /proc/loadavg)" >> "$OUT/machine.txt"
python3 bench/summarize.py "$OUT" > "$OUT/summary.md"
cat "$OUT/summary.md"
[ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$DATA"
