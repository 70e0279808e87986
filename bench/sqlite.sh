#!/usr/bin/env bash
# SQLite benchmark: decant export/import of a 1M-row kv table against the sqlite3 CLI on the
# same rows, same machine, same run. See bench/README.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-1000000}
S="$OUT/sqlite.jsonl"
: > "$S"
SCHEMA='CREATE TABLE kv(id text primary key, workspace text, value text)'
D=$DATA/sqlite
mkdir -p "$D"

"$CODEC_BENCH" gen-tsv "$D/kv.tsv" --rows "$ROWS" | tee "$OUT/sqlite-data.json"
tsv_bytes=$(stat -c %s "$D/kv.tsv")

# Fingerprint of a kv table, to check every load holds the same rows.
fingerprint() { sqlite3 "$1" 'select count(*), sum(length(id)), sum(length(workspace)), sum(length(value)), min(id), max(id) from kv'; }

wait_for_quiet

# ---- import -------------------------------------------------------------------------------
# Both tools load into a fresh file holding the pre-created table (same schema, with the PK).
fresh="rm -f $D/new.db $D/new.db-journal && sqlite3 $D/new.db '$SCHEMA'"
measure "$S" "import: sqlite3 .import (tsv)" --prepare "$fresh" --bytes "$tsv_bytes" --rows "$ROWS" -- \
  sqlite3 "$D/new.db" '.mode tabs' ".import $D/kv.tsv kv"
expected=$(fingerprint "$D/new.db")
echo "$expected" > "$OUT/sqlite-fingerprint.txt"
cp "$D/new.db" "$D/kv.db"   # the export source

# decant's SQLite sink sets PRAGMA cache_size=-262144 (256 MiB); the same knob for sqlite3, as context.
measure "$S" "import: sqlite3 .import, cache_size 256 MiB (context)" --prepare "$fresh" --bytes "$tsv_bytes" --rows "$ROWS" -- \
  sqlite3 "$D/new.db" 'PRAGMA cache_size=-262144' '.mode tabs' ".import $D/kv.tsv kv"
[ "$(fingerprint "$D/new.db")" = "$expected" ] || { log "sqlite3 cache_size import differs"; exit 1; }

# ---- export -------------------------------------------------------------------------------
measure "$S" "export: sqlite3 .dump > file" --prepare "rm -f $D/dump.sql" --rows "$ROWS" -- \
  bash -c "exec sqlite3 $D/kv.db .dump > $D/dump.sql"
measure "$S" "export: sqlite3 select (tabs) > file (context)" --prepare "rm -f $D/out.tsv" --rows "$ROWS" -- \
  bash -c "exec sqlite3 $D/kv.db '.mode tabs' 'select * from kv' > $D/out.tsv"
measure "$S" "export: decant -o file.ndjson" --prepare "rm -f $D/kv.ndjson" --rows "$ROWS" -- \
  "$DECANT" export "sqlite:$D/kv.db" -o "$D/kv.ndjson" -q
measure "$S" "export: decant -o - > file.ndjson (no fsync)" --prepare "rm -f $D/kv2.ndjson" --rows "$ROWS" -- \
  bash -c "exec '$DECANT' export 'sqlite:$D/kv.db' -o - -q > $D/kv2.ndjson"
measure "$S" "export: decant -o file.ndjson.zst (zstd 3, all threads)" --prepare "rm -f $D/kv.ndjson.zst" --rows "$ROWS" -- \
  "$DECANT" export "sqlite:$D/kv.db" -o "$D/kv.ndjson.zst" -q
measure "$S" "export: decant -o file.ndjson.zst --level 1" --prepare "rm -f $D/kv1.ndjson.zst" --rows "$ROWS" -- \
  "$DECANT" export "sqlite:$D/kv.db" -o "$D/kv1.ndjson.zst" --level 1 -q
for f in dump.sql out.tsv kv.ndjson kv.ndjson.zst kv1.ndjson.zst kv.tsv; do
  echo "{\"file\":\"$f\",\"bytes\":$(stat -c %s "$D/$f")}"
done > "$OUT/sqlite-sizes.jsonl"
rm -f "$D/dump.sql" "$D/out.tsv" "$D/kv2.ndjson"

# ---- decant import --------------------------------------------------------------------------
nd_bytes=$(stat -c %s "$D/kv.ndjson")
measure "$S" "import: decant -i file.ndjson" --prepare "$fresh" --bytes "$nd_bytes" --rows "$ROWS" -- \
  "$DECANT" import "sqlite:$D/new.db" -i "$D/kv.ndjson" -q
[ "$(fingerprint "$D/new.db")" = "$expected" ] || { log "decant import differs"; exit 1; }
measure "$S" "import: decant -i file.ndjson.zst" --prepare "$fresh" --bytes "$nd_bytes" --rows "$ROWS" -- \
  "$DECANT" import "sqlite:$D/new.db" -i "$D/kv.ndjson.zst" -q
[ "$(fingerprint "$D/new.db")" = "$expected" ] || { log "decant import (zst) differs"; exit 1; }
# The natural path: decant creates the table itself from the archive's stream line.
measure "$S" "import: decant -i file.ndjson, table created by decant (context)" \
  --prepare "rm -f $D/new.db $D/new.db-journal" --bytes "$nd_bytes" --rows "$ROWS" -- \
  "$DECANT" import "sqlite:$D/new.db" -i "$D/kv.ndjson" -q
[ "$(fingerprint "$D/new.db")" = "$expected" ] || { log "decant import (created) differs"; exit 1; }
log "sqlite benchmark done: $S"
[ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$D"
