#!/usr/bin/env bash
# PostgreSQL benchmark: 1M rows `id text primary key, workspace text, value jsonb` (~200-byte
# values, an LLM cache): decant import vs `psql -c "COPY ... FROM STDIN"` of the same rows,
# decant export to .ndjson.zst vs `psql -c "COPY ... TO STDOUT" > file`, and SQLite ->
# PostgreSQL of the same table vs pgloader, on a throwaway server (tools/servers/postgres.sh),
# same machine, same run. Needs bench/setup.sh (pgloader). See bench/README.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-1000000}
S="$OUT/postgres.jsonl"
: > "$S"
D=$DATA/postgres
mkdir -p "$D"
command -v pgloader > /dev/null || { echo "postgres.sh: no pgloader (run bench/setup.sh)" >&2; exit 2; }
bash "$ROOT/tools/servers/postgres.sh" start "$D/server" > /dev/null
trap 'bash "$ROOT/tools/servers/postgres.sh" stop "$D/server"' EXIT
source "$D/server/env"
BASE=${DECANT_TEST_PG_URI%/*}
PSQL=("$DECANT_TEST_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1)
DB=$BASE/bench          # decant and psql COPY, table pre-created
FROM_SQLITE=$BASE/from_sqlite
SCHEMA='CREATE TABLE kv (id text PRIMARY KEY, workspace text, value jsonb)'
"${PSQL[@]}" -d "$DECANT_TEST_PG_URI" -c "CREATE DATABASE bench" -c "CREATE DATABASE from_sqlite"
{ echo "postgres: $("${PSQL[@]}" -At -d "$DB" -c 'SHOW server_version'), fsync off, synchronous_commit off (tools/servers/pg_cluster.bash)"
  echo "pgloader: $(pgloader --version 2>/dev/null | sed -n 1p)"; } >> "$OUT/machine.txt"

# The rows as COPY text: codec_bench's generator (bench/README.md), which writes no backslash.
"$CODEC_BENCH" gen-tsv "$D/kv.tsv" --rows "$ROWS" | tee "$OUT/postgres-data.json"
if grep -q '\\' "$D/kv.tsv"; then log "kv.tsv holds a backslash, which COPY text would unescape"; exit 1; fi
tsv_bytes=$(stat -c %s "$D/kv.tsv")
fresh="${PSQL[*]} -d $DB -c 'DROP TABLE IF EXISTS kv' -c '$SCHEMA'"
fingerprint() {
  "${PSQL[@]}" -At -d "$1" -c "SELECT count(*), sum(length(id)), sum(length(workspace)), sum(length(value::text)), min(id), max(id) FROM kv"
}

wait_for_quiet

# ---- the table, loaded once by psql; decant's archives of it ----------------------------------
bash -c "$fresh"
"${PSQL[@]}" -d "$DB" -c "\\copy kv FROM '$D/kv.tsv'"
expected=$(fingerprint "$DB")
echo "$expected" > "$OUT/postgres-fingerprint.txt"
"$DECANT" export "$DB" -q -o "$D/kv.ndjson"
nd_bytes=$(stat -c %s "$D/kv.ndjson")

# ---- export: rounds, each command once per round, so load changes hit both sides -------------
for round in $(seq 1 "$RUNS"); do
  export RUN_NUMBER=$((round - 1))
  RUNS=1 measure "$S" "export: psql COPY TO STDOUT > file" --prepare "rm -f $D/out.copy" --rows "$ROWS" -- \
    bash -c "exec ${PSQL[*]} -d $DB -c 'COPY kv TO STDOUT' > $D/out.copy"
  RUNS=1 measure "$S" "export: decant -o file.ndjson.zst" --prepare "rm -f $D/out.ndjson.zst" --rows "$ROWS" -- \
    "$DECANT" export "$DB" -q -o "$D/out.ndjson.zst"
  RUNS=1 measure "$S" "export: decant -o file.ndjson.zst --level 1 (context)" --prepare "rm -f $D/out1.ndjson.zst" --rows "$ROWS" -- \
    "$DECANT" export "$DB" -q --level 1 -o "$D/out1.ndjson.zst"
  RUNS=1 measure "$S" "export: decant -o - > file.ndjson (no zstd, no fsync; context)" --prepare "rm -f $D/out.ndjson" --rows "$ROWS" -- \
    bash -c "exec '$DECANT' export '$DB' -q -o - > $D/out.ndjson"
done
for f in kv.tsv out.copy kv.ndjson out.ndjson.zst out1.ndjson.zst; do echo "{\"file\":\"$f\",\"bytes\":$(stat -c %s "$D/$f")}"; done \
  > "$OUT/postgres-sizes.jsonl"
"$DECANT" diff "$D/out.ndjson.zst" "$DB" > "$OUT/postgres-export-diff.txt" || { log "export differs from the table"; exit 1; }
rm -f "$D/out.copy" "$D/out.ndjson" "$D/out1.ndjson.zst"

# ---- import into the pre-created table (same schema, primary key maintained during the load) --
for round in $(seq 1 "$RUNS"); do
  export RUN_NUMBER=$((round - 1))
  RUNS=1 measure "$S" "import: psql COPY FROM STDIN" --prepare "$fresh" --bytes "$tsv_bytes" --rows "$ROWS" -- \
    bash -c "exec ${PSQL[*]} -d $DB -c 'COPY kv FROM STDIN' < $D/kv.tsv"
  [ "$(fingerprint "$DB")" = "$expected" ] || { log "psql COPY differs"; exit 1; }
  RUNS=1 measure "$S" "import: decant -i file.ndjson" --prepare "$fresh" --bytes "$nd_bytes" --rows "$ROWS" -- \
    "$DECANT" import "$DB" -q -i "$D/kv.ndjson"
  [ "$(fingerprint "$DB")" = "$expected" ] || { log "decant import differs"; exit 1; }
  RUNS=1 measure "$S" "import: decant -i file.ndjson.zst" --prepare "$fresh" --bytes "$nd_bytes" --rows "$ROWS" -- \
    "$DECANT" import "$DB" -q -i "$D/out.ndjson.zst"
  [ "$(fingerprint "$DB")" = "$expected" ] || { log "decant import (zst) differs"; exit 1; }
  # Context: decant creating the table itself builds the primary key after the data.
  RUNS=1 measure "$S" "import: decant -i file.ndjson, table created by decant (context)" \
    --prepare "${PSQL[*]} -d $DB -c 'DROP TABLE IF EXISTS kv'" --bytes "$nd_bytes" --rows "$ROWS" -- \
    "$DECANT" import "$DB" -q -i "$D/kv.ndjson"
  [ "$(fingerprint "$DB")" = "$expected" ] || { log "decant import (created) differs"; exit 1; }
done

# ---- SQLite -> PostgreSQL: the same rows in SQLite (value as text), into an empty database -----
sqlite3 "$D/kv.db" 'CREATE TABLE kv (id text PRIMARY KEY, workspace text, value text)' '.mode tabs' ".import $D/kv.tsv kv"
# The value is text on both sides here: the SQLite table's own fingerprint.
expected_text=$(sqlite3 "$D/kv.db" 'SELECT count(*), sum(length(id)), sum(length(workspace)), sum(length(value)), min(id), max(id) FROM kv')
text_fingerprint() {
  "${PSQL[@]}" -At -d "$FROM_SQLITE" -c "SELECT count(*), sum(length(id)), sum(length(workspace)), sum(length(value)), min(id), max(id) FROM kv"
}
reset_target="${PSQL[*]} -d $FROM_SQLITE -c 'DROP TABLE IF EXISTS kv'"
for round in $(seq 1 "$RUNS"); do
  export RUN_NUMBER=$((round - 1))
  RUNS=1 measure "$S" "sqlite->pg: pgloader" --prepare "$reset_target" --rows "$ROWS" -- \
    pgloader --quiet "sqlite://$D/kv.db" "postgresql://postgres@127.0.0.1:$DECANT_TEST_PG_PORT/from_sqlite"
  [ "$(text_fingerprint)" = "$expected_text" ] || { log "pgloader result differs"; exit 1; }
  RUNS=1 measure "$S" "sqlite->pg: decant export | decant import" --prepare "$reset_target" --rows "$ROWS" -- \
    bash -c "set -o pipefail; '$DECANT' export 'sqlite:$D/kv.db' -q -o - | '$DECANT' import '$FROM_SQLITE' -q -i -"
  [ "$(text_fingerprint)" = "$expected_text" ] || { log "decant sqlite->pg differs"; exit 1; }
done
unset RUN_NUMBER
log "postgres benchmark done: $S"
[ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$D/kv.tsv" "$D/kv.ndjson" "$D/out.ndjson.zst" "$D/kv.db"
