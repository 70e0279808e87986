#!/usr/bin/env bash
# CPU profiles of the codec hot paths (perf record -e cpu-clock: this VM has no hardware PMU).
# Writes perf reports under $OUT/profile-*.txt. Uses DWARF unwinding because the Release build
# has no frame pointers. See bench/README.md.
#
#   bench/profile.sh            # read (plain, zstd-1), write plain, decant import into SQLite
set -euo pipefail
source "$(dirname "$0")/lib.sh"
MB=${PROFILE_MB:-150}
P=$DATA/profile
mkdir -p "$P"
"$CODEC_BENCH" write "$P/p.ndjson" --mb "$MB" > /dev/null
"$CODEC_BENCH" write "$P/p.ndjson.zst" --mb "$MB" --zstd 1 > /dev/null

report() {  # NAME: children (inclusive) and self views
  local data=$P/$1.data
  {
    echo "== $1: inclusive (children) =="
    perf report -i "$data" --stdio --children --percent-limit 2 -g none 2>/dev/null | grep -E '^ +[0-9]'
    echo; echo "== $1: self =="
    perf report -i "$data" --stdio --no-children --percent-limit 1 -g none 2>/dev/null | grep -E '^ +[0-9]'
  } > "$OUT/profile-$1.txt"
  log "profile $1 -> $OUT/profile-$1.txt"
}

rec() {  # NAME command...
  local name=$1; shift
  perf record -q -e cpu-clock --call-graph dwarf,16384 -o "$P/$name.data" "$@" > /dev/null 2>&1
  report "$name"
}

rec read-plain "$CODEC_BENCH" read "$P/p.ndjson"
rec read-zstd1 "$CODEC_BENCH" read "$P/p.ndjson.zst"
rec write-plain "$CODEC_BENCH" write "$P/w.ndjson" --mb "$MB"
# decant import into SQLite, 200k rows of the benchmark table shape.
"$CODEC_BENCH" gen-tsv "$P/kv.tsv" --rows 200000 > /dev/null
rm -f "$P/src.db" && sqlite3 "$P/src.db" 'CREATE TABLE kv(id text primary key, workspace text, value text)' '.mode tabs' ".import $P/kv.tsv kv"
"$DECANT" export "sqlite:$P/src.db" -o "$P/kv.ndjson" -f -q
rm -f "$P/new.db" && sqlite3 "$P/new.db" 'CREATE TABLE kv(id text primary key, workspace text, value text)'
rec import-sqlite "$DECANT" import "sqlite:$P/new.db" -i "$P/kv.ndjson" -q
rm -f "$P/new.db" && sqlite3 "$P/new.db" 'CREATE TABLE kv(id text primary key, workspace text, value text)'
rec import-sqlite3-cli sqlite3 "$P/new.db" '.mode tabs' ".import $P/kv.tsv kv"
rec export-sqlite "$DECANT" export "sqlite:$P/src.db" -o "$P/out.ndjson" -f -q
rm -rf "$P"
