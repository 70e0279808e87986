#!/usr/bin/env bash
# MongoDB benchmark: 100k documents of ~500 bytes, decant import and export against a pymongo
# script (bench/mongo_baseline.py: insert_many in batches of 1000, find with batch_size 1000)
# on the same server in the same run, with peak RSS. SERVER=mongo-java (default, fast) or
# secantus (Python; much slower, so its numbers say more about the server than the client).
# pymongo comes from .venv/bench-mongo (tools/python/bench-mongo.txt: a pymongo that still speaks
# mongo-java-server's wire version), built by tools/setup.sh --test.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-100000}
SERVER=${SERVER:-mongo-java}
S="$OUT/mongo-$SERVER.jsonl"
: > "$S"
D=$DATA/mongo-$SERVER
mkdir -p "$D"
PY=$ROOT/.venv/bench-mongo/bin/python
bash "$ROOT/tools/servers/$SERVER.sh" start "$D/server" > /dev/null
trap 'bash "$ROOT/tools/servers/$SERVER.sh" stop "$D/server"' EXIT
source "$D/server/env"
if [ "$SERVER" = secantus ]; then URI=$DECANT_TEST_SECANTUS_URI; else URI=$DECANT_TEST_MONGO_JAVA_URI; fi
drop="$PY -c 'import pymongo,sys; pymongo.MongoClient(sys.argv[1]).drop_database(\"dst\")' $URI"

"$PY" "$ROOT/bench/mongo_baseline.py" gen "$D/docs.bson" "$ROWS"
bson_bytes=$(stat -c %s "$D/docs.bson")
"$PY" "$ROOT/bench/mongo_baseline.py" insert "$URI" src "$D/docs.bson"
wait_for_quiet

measure "$S" "export: decant -o file.ndjson" --prepare "rm -f $D/a.ndjson" --rows "$ROWS" -- \
  "$DECANT" export "${URI}src" -o "$D/a.ndjson" -q
measure "$S" "export: pymongo find (decoded to dicts)" --rows "$ROWS" -- \
  "$PY" "$ROOT/bench/mongo_baseline.py" find "$URI" src
nd_bytes=$(stat -c %s "$D/a.ndjson")
for round in $(seq 1 "$RUNS"); do
  export RUN_NUMBER=$((round - 1))
  RUNS=1 measure "$S" "import: pymongo insert_many" --prepare "$drop" --bytes "$bson_bytes" --rows "$ROWS" -- \
    "$PY" "$ROOT/bench/mongo_baseline.py" insert "$URI" dst "$D/docs.bson"
  RUNS=1 measure "$S" "import: decant --txn batch" --prepare "$drop" --bytes "$nd_bytes" --rows "$ROWS" -- \
    "$DECANT" import "${URI}dst" -i "$D/a.ndjson" --txn batch -q
done
"$DECANT" diff "${URI}src" "${URI}dst" > /dev/null || { log "decant diff: src and dst differ"; exit 1; }
python3 - "$S" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows: by.setdefault(r["label"], []).append(r)
print("| measurement | wall s (median) | docs/s | peak RSS MiB |")
print("| --- | --- | --- | --- |")
med = {}
for label, rs in by.items():
    w = statistics.median(r["wall"] for r in rs); med[label] = w
    print(f"| {label} | {w:.2f} | {rs[0]['rows'] / w:,.0f} | {max(r['maxrss_kb'] for r in rs) / 1024:.0f} |")
e = med["export: pymongo find (decoded to dicts)"] / med["export: decant -o file.ndjson"]
i = med["import: pymongo insert_many"] / med["import: decant --txn batch"]
print(f"\nspeed-up over pymongo (its time / decant's): export {e:.2f}x, import {i:.2f}x")
PY
