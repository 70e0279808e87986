#!/usr/bin/env bash
# Redis benchmark: decant import of 1M string keys (~200-byte values) against `redis-cli --pipe`
# of the same SETs, decant export in keys/s and MB/s, and peak RSS for a 1M-element list, on a
# throwaway server (tools/servers/redis.sh), same machine, same run. See bench/README.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-1000000}
S="$OUT/redis.jsonl"
: > "$S"
D=$DATA/redis
mkdir -p "$D"
bash "$ROOT/tools/servers/redis.sh" start "$D/server" > /dev/null
trap 'bash "$ROOT/tools/servers/redis.sh" stop "$D/server"' EXIT
source "$D/server/env"
URL=$DECANT_TEST_REDIS_URL
CLI=(redis-cli -p "$DECANT_TEST_REDIS_PORT")

# The same rows as the SQLite benchmark (id -> value), as RESP SET commands for redis-cli.
"$CODEC_BENCH" gen-tsv "$D/kv.tsv" --rows "$ROWS" | tee "$OUT/redis-data.json"
LC_ALL=C awk -F'\t' '{ printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length($1), $1, length($3), $3 }' \
  "$D/kv.tsv" > "$D/kv.resp"
rm -f "$D/kv.tsv"
resp_bytes=$(stat -c %s "$D/kv.resp")
flush="${CLI[*]} flushall > /dev/null"
check_count() {
  local n; n=$("${CLI[@]}" dbsize)
  [ "$n" = "$1" ] || { log "$2: expected $1 keys, found $n"; exit 1; }
}

wait_for_quiet
{ echo "redis: $("${CLI[@]}" info server | tr -d '\r' | sed -n 's/^redis_version://p')"; } >> "$OUT/machine.txt"

# ---- the keys, loaded once by redis-cli --pipe ---------------------------------------------
bash -c "exec ${CLI[*]} --pipe < $D/kv.resp > /dev/null"
check_count "$ROWS" "redis-cli --pipe"

# ---- export ----------------------------------------------------------------------------------
measure "$S" "export: decant -o file.ndjson" --prepare "rm -f $D/kv.ndjson" --rows "$ROWS" -- \
  "$DECANT" export "$URL" -o "$D/kv.ndjson" -q
nd_bytes=$(stat -c %s "$D/kv.ndjson")
measure "$S" "export: decant -o - > /dev/null (no file)" --rows "$ROWS" -- \
  bash -c "exec '$DECANT' export '$URL' -o - -q > /dev/null"
measure "$S" "export: decant -o file.ndjson.zst (zstd 3, all threads)" --prepare "rm -f $D/kv.ndjson.zst" --rows "$ROWS" -- \
  "$DECANT" export "$URL" -o "$D/kv.ndjson.zst" -q
measure "$S" "export: redis-cli --scan > file (keys only, context)" --prepare "rm -f $D/keys.txt" --rows "$ROWS" -- \
  bash -c "exec ${CLI[*]} --scan > $D/keys.txt"
for f in kv.resp kv.ndjson kv.ndjson.zst; do echo "{\"file\":\"$f\",\"bytes\":$(stat -c %s "$D/$f")}"; done \
  > "$OUT/redis-sizes.jsonl"

# The imports take turns, one run each per round, so that a change in the machine's load hits
# the baseline and decant alike.
for round in $(seq 1 "$RUNS"); do
  export RUN_NUMBER=$((round - 1))
  RUNS=1 measure "$S" "import: redis-cli --pipe (SET)" --prepare "$flush" --bytes "$resp_bytes" --rows "$ROWS" -- \
    bash -c "exec ${CLI[*]} --pipe < $D/kv.resp > /dev/null"
  check_count "$ROWS" "redis-cli --pipe"
  RUNS=1 measure "$S" "import: decant --conflict replace" --prepare "$flush" --bytes "$nd_bytes" --rows "$ROWS" -- \
    "$DECANT" import "$URL" -i "$D/kv.ndjson" --conflict replace -q
  check_count "$ROWS" "decant import --conflict replace"
  RUNS=1 measure "$S" "import: decant (--conflict error: EXISTS per batch)" --prepare "$flush" --bytes "$nd_bytes" --rows "$ROWS" -- \
    "$DECANT" import "$URL" -i "$D/kv.ndjson" -q
  check_count "$ROWS" "decant import"
  RUNS=1 measure "$S" "import: decant -i file.ndjson.zst --conflict replace" --prepare "$flush" --bytes "$nd_bytes" --rows "$ROWS" -- \
    "$DECANT" import "$URL" -i "$D/kv.ndjson.zst" --conflict replace -q
done
unset RUN_NUMBER
"$DECANT" diff "$D/kv.ndjson" "$URL" > "$OUT/redis-diff.txt" || { log "decant import differs from the archive"; exit 1; }
rm -f "$D/kv.resp" "$D/kv.ndjson.zst" "$D/keys.txt"

# ---- one list of 1,000,000 elements (~110 bytes each): memory stays flat ---------------------
"${CLI[@]}" flushall > /dev/null
"${CLI[@]}" eval "local e = string.rep('e', 100) for i = 1, $ROWS do redis.call('RPUSH', KEYS[1], e .. i) end return 1" \
  1 biglist > /dev/null
measure "$S" "list export: decant, one key of $ROWS elements" --prepare "rm -f $D/list.ndjson" --rows "$ROWS" -- \
  "$DECANT" export "$URL" -o "$D/list.ndjson" -q
list_bytes=$(stat -c %s "$D/list.ndjson")
measure "$S" "list import: decant, one key of $ROWS elements" --prepare "$flush" --bytes "$list_bytes" --rows "$ROWS" -- \
  "$DECANT" import "$URL" -i "$D/list.ndjson" -q
[ "$("${CLI[@]}" llen biglist)" = "$ROWS" ] || { log "list import lost elements"; exit 1; }
echo "{\"file\":\"list.ndjson\",\"bytes\":$list_bytes}" >> "$OUT/redis-sizes.jsonl"
rm -f "$D/list.ndjson" "$D/kv.ndjson"
