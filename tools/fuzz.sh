#!/usr/bin/env bash
# Fuzzes the archive reader and the value decoder with libFuzzer (tests/fuzz/), each for
# SECONDS (default 300, so 10 minutes in all), one after the other. Builds them with clang into
# build-fuzz/ (AddressSanitizer + UndefinedBehaviorSanitizer), makes a seed corpus from
# tests/data/golden and small archives exported from the Chinook sample, and keeps each
# target's growing corpus in build-fuzz/corpus/NAME between runs. A crash, sanitizer report,
# timeout or out-of-memory is saved under build-fuzz/artifacts/NAME/ and makes the exit status
# 1; add the minimized input to tests/fuzz/regressions/NAME/ with the fix.
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]     (targets: archive_reader value_decoder)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)

seconds=${1:-300}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(archive_reader value_decoder)
build=${FUZZ_BUILD:-build-fuzz}

bash tools/setup.sh --fuzz
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDECANT_FUZZ=ON \
  -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target decant "${targets[@]/#/fuzz_}"

# Seeds: the golden archives, plain and as one zstd frame; small decant exports of Chinook,
# plain and with decant's own frames and seek table; cut-off copies; and for the value decoder
# every field value of the golden records, one per file.
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds/archive_reader" "$seeds/value_decoder"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/data/chinook/Chinook_Sqlite.sqlite "$work/chinook.sqlite"
for golden in tests/data/golden/*.ndjson; do
  name=$(basename "$golden" .ndjson)
  cp "$golden" "$seeds/archive_reader/$name.ndjson"
  zstd -q -c "$golden" >"$seeds/archive_reader/$name.ndjson.zst"
  head -n 4 "$golden" >"$seeds/archive_reader/$name.head.ndjson"
  jq -c 'select(.t == "rec") | .r[]' "$golden" | sort -u | split -l 1 - "$seeds/value_decoder/$name-"
done
for table in Genre MediaType Artist; do
  ASAN_OPTIONS=detect_leaks=0 "$build/decant" export -q "sqlite:$work/chinook.sqlite" --only "$table" \
    -o "$seeds/archive_reader/chinook-$table.ndjson"
  ASAN_OPTIONS=detect_leaks=0 "$build/decant" export -q "sqlite:$work/chinook.sqlite" --only "$table" \
    -o "$seeds/archive_reader/chinook-$table.ndjson.zst"
done

status=0
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  artifacts=$build/artifacts/$target
  log=$build/fuzz-$target.log
  mkdir -p "$corpus" "$artifacts"
  echo "fuzz: $target for ${seconds}s (log: $log)" >&2
  start=$(date +%s)
  rc=0
  "$build/tests/fuzz/fuzz_$target" "$corpus" "$seeds/$target" -dict="$repo/tests/fuzz/decant.dict" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=131072 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  elapsed=$(($(date +%s) - start))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if ((rc == 0)); then
    echo "fuzz: $target: no crash, hang or leak in ${elapsed}s, $runs runs, corpus $(ls "$corpus" | wc -l) inputs" >&2
  else
    echo "fuzz: $target: FAILED (exit $rc) after ${elapsed}s; see $log and $artifacts/" >&2
    grep -m 5 -E 'ERROR|SUMMARY|Test unit written' "$log" >&2 || true
    status=1
  fi
done
exit $status
