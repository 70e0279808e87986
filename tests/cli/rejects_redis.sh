#!/usr/bin/env bash
# --max-errors N --rejects FILE into Redis, which has no rollback: each isolated batch first
# reads the DUMP and expiry of every key it writes (in the same MULTI/EXEC), and a failed batch
# is put back as it was (RESTORE with the expiry, or DEL) before its records are rerun one by
# one. Records the server refuses (WRONGTYPE under --conflict merge, a zset score that is not a
# number, a key that exists under --conflict error) are rejected unchanged with their archive
# line and reason; their neighbours are written; the report counts batches and records ok /
# failed; too many rejects leave the aborted batch's keys exactly as before, expiry included.
# Databases 30 (the main import), 31 (too many rejects) and 32 (--conflict error), which no
# other test uses.
# servers: redis
source "$(dirname "$0")/testlib.bash" "$@"
use_server redis

base=${DECANT_TEST_REDIS_URL%/*}
rcli() { redis-cli -p "$DECANT_TEST_REDIS_PORT" "$@"; }
# snapshot DB [PATTERN]: every key of database DB (matching PATTERN) with its type, absolute
# expiry (ms) and DUMP, sorted.
snapshot() {
  local key
  rcli -n "$1" --scan --pattern "${2:-*}" | sort | while read -r key; do
    printf '%s %s %s %s\n' "$key" "$(rcli -n "$1" TYPE "$key")" "$(rcli -n "$1" PEXPIRETIME "$key")" \
      "$(rcli -n "$1" DUMP "$key" | md5sum | cut -c1-32)"
  done
}
# target DB: the keys the archive meets in the target, each with an expiry an hour away.
target() {
  rcli -n "$1" FLUSHDB >/dev/null
  rcli -n "$1" HSET rj:hash-same mine 1 >/dev/null             # merged into
  rcli -n "$1" SET rj:hash-wrong mine >/dev/null                 # a string where the archive has a hash
  rcli -n "$1" RPUSH rj:str-wrong l1 l2 >/dev/null               # a list where the archive has a string
  rcli -n "$1" SET rj:str-ttl old >/dev/null                     # overwritten, its expiry kept
  for key in rj:hash-same rj:hash-wrong rj:str-wrong rj:str-ttl; do rcli -n "$1" PEXPIRE "$key" 3600000 >/dev/null; done
}

# The archive: 25,000 plain strings (three batches of 10,000 records) and five keys of interest.
rcli -n 30 FLUSHDB >/dev/null
rcli -n 30 EVAL "for i = 1, 25000 do redis.call('SET', 'rj:n:' .. i, 'v' .. i) end
  redis.call('HSET', 'rj:hash-same', 'a', '1', 'b', '2'); redis.call('HSET', 'rj:hash-wrong', 'a', '1')
  redis.call('SET', 'rj:str-wrong', 'archive'); redis.call('SET', 'rj:str-ttl', 'new value')
  redis.call('ZADD', 'rj:zset-bad', 1, 'm1', 2, 'm2')" 0 >/dev/null
"$DECANT" export -q "$base/30" --match 'rj:*' -o "$TMP/a.ndjson" || fail "export"
"$DECANT" export -q "$base/30" --match 'rj:[hsz]*' -o "$TMP/few.ndjson" || fail "export of the five"
# One score that is not a number: ZADD refuses it inside the EXEC, after the batch's other
# commands ran (Redis applies the rest of a MULTI whatever fails in it).
bad_score() { jq -c 'if .t == "rec" and .r.key == "rj:zset-bad" then .r.value[1][1] = "not a number" else . end' "$1"; }
bad_score "$TMP/a.ndjson" >"$TMP/bad.ndjson"
check_eq "$(grep -c '"not a number"' "$TMP/bad.ndjson")" "1" "the archive holds the bad score"
records=$(grep -c '"t":"rec"' "$TMP/bad.ndjson")
check_eq "$records" "25005" "the archive holds every key"

# --conflict merge into database 30 as the target has it.
target 30
before=$(snapshot 30 'rj:[hsz]*' | grep -E '^rj:(hash-wrong|str-wrong|zset-bad) ')
run import "$base/30" -i "$TMP/bad.ndjson" --transformed --conflict merge --max-errors 10 \
  --rejects "$TMP/rejects.ndjson" --report "$TMP/report.json"
check_rc 0 "import with rejects"
check_eq "$(wc -l <"$TMP/rejects.ndjson")" "3" "one line per rejected record"
check_eq "$(jq -r .record.key "$TMP/rejects.ndjson" | sort | paste -sd' ')" "rj:hash-wrong rj:str-wrong rj:zset-bad" \
  "the records the server refused"
check_contains "$TMP/rejects.ndjson" 'key \"rj:hash-wrong\": WRONGTYPE Operation against a key holding the wrong kind of value' \
  "the reason of a hash into a string"
check_contains "$TMP/rejects.ndjson" 'key \"rj:str-wrong\": WRONGTYPE' "the reason of a string into a list"
check_contains "$TMP/rejects.ndjson" 'key \"rj:zset-bad\": ERR value is not a valid float' "the reason of a bad score"
while read -r reject; do
  line=$(jq -r .line <<<"$reject")
  check_eq "$(jq -c .record <<<"$reject")" "$(sed -n "${line}p" "$TMP/bad.ndjson" | jq -c .r)" "reject of line $line"
done <"$TMP/rejects.ndjson"
# The refused keys are as the target had them, expiry included; the whole batch had run once
# (SET turned the list into a string) before it was undone.
check_eq "$(snapshot 30 'rj:[hsz]*' | grep -E '^rj:(hash-wrong|str-wrong|zset-bad) ')" "$before" "refused keys as before, expiry included"
check_eq "$(rcli -n 30 LRANGE rj:str-wrong 0 -1 | paste -sd' ') $(rcli -n 30 GET rj:hash-wrong)" "l1 l2 mine" \
  "the list and the string the archive did not fit"
check_eq "$(rcli -n 30 --scan --pattern 'rj:n:*' | wc -l) $(rcli -n 30 GET rj:n:1) $(rcli -n 30 GET rj:n:25000)" \
  "25000 v1 v25000" "the neighbours are written"
check_eq "$(rcli -n 30 HGETALL rj:hash-same | paste -sd' ')" "mine 1 a 1 b 2" "merge adds the archive's fields"
ttl=$(rcli -n 30 PTTL rj:hash-same)
((ttl > 3000000)) || fail "merge keeps the hash's expiry (PTTL $ttl)"
ttl=$(rcli -n 30 PTTL rj:str-ttl)
check_eq "$(rcli -n 30 GET rj:str-ttl)" "new value" "merge overwrites a string"
((ttl > 3000000)) || fail "and keeps its expiry (PTTL $ttl)"
checks=$((checks + 2))
# The batches: those holding a refused record failed (and were rerun record by record).
failed=$(grep '"t":"rec"' "$TMP/bad.ndjson" | jq -r .r.key | grep -nxE 'rj:(hash-wrong|str-wrong|zset-bad)' |
  cut -d: -f1 | awk '{ print int(($1 - 1) / 10000) }' | sort -u | wc -l)
check_eq "$(jq -c '[.ok, .batches.ok, .batches.failed, .records, .records_failed]' "$TMP/report.json")" \
  "[true,$((3 - failed)),$failed,$((records - 3)),3]" "the report counts batches and records ok and failed"
check_contains "$TMP/err" "rejected 3 records in $failed failed batches" "the summary counts the rejects"
check_eq "$(jq '[.errors.by_type[] | .count] | add' "$TMP/report.json")" "3" "errors grouped by type"

# Too many rejects: the import fails and the batch it was in is undone. The bad score comes
# first, so that no record of the batch is written alone before the failure: the database is
# exactly as before, types, values and expiry.
bad_score "$TMP/few.ndjson" >"$TMP/few-bad.ndjson"
{ grep -v '"t":"rec"' "$TMP/few-bad.ndjson" | head -n 2; grep '"rj:zset-bad"' "$TMP/few-bad.ndjson"
  grep '"t":"rec"' "$TMP/few-bad.ndjson" | grep -v '"rj:zset-bad"'; grep -v '"t":"rec"' "$TMP/few-bad.ndjson" | tail -n +3
} >"$TMP/first-bad.ndjson"
check_eq "$(jq -r 'select(.t == "rec") | .r.key' "$TMP/first-bad.ndjson" | head -n 1)" "rj:zset-bad" "the bad record first"
target 31
before=$(snapshot 31)
run import "$base/31" -i "$TMP/first-bad.ndjson" --transformed --conflict merge --max-errors 0 \
  --rejects "$TMP/strict.ndjson" --report "$TMP/strict.json"
check_rc 4 "more rejects than --max-errors"
check_contains "$TMP/err" "more than 0 records rejected (--max-errors)" "the failure says why"
check_eq "$(wc -l <"$TMP/strict.ndjson")" "1" "the reject before the failure is kept"
check_eq "$(jq -c '[.ok, .records, .records_failed]' "$TMP/strict.json")" "[false,0,1]" "the report of the failed import"
check_eq "$(snapshot 31)" "$before" "the aborted batch left no trace"

# --conflict error: a key the target has is a reject; a dry run counts it and writes nothing.
rcli -n 32 FLUSHDB >/dev/null
rcli -n 32 SET rj:str-ttl old >/dev/null
run import "$base/32" -i "$TMP/few-bad.ndjson" --transformed --dry-run --max-errors 10 --report "$TMP/dry.json"
check_rc 0 "dry run with --max-errors"
check_eq "$(jq -c '[.batches.failed, .records_failed]' "$TMP/dry.json")" "[1,1]" \
  "the dry run counts the existing key (a server's refusal it cannot foresee)"
check_eq "$(rcli -n 32 DBSIZE)" "1" "the dry run wrote nothing"
run import "$base/32" -i "$TMP/few-bad.ndjson" --transformed --max-errors 10 --rejects "$TMP/exists.ndjson"
check_rc 0 "import under --conflict error with rejects"
check_eq "$(jq -r .record.key "$TMP/exists.ndjson" | sort | paste -sd' ')" "rj:str-ttl rj:zset-bad" "the existing key and the bad score"
check_contains "$TMP/exists.ndjson" 'key \"rj:str-ttl\" already exists in database 32 (--conflict error' "the reason of a conflict"
check_eq "$(rcli -n 32 DBSIZE) $(rcli -n 32 GET rj:str-ttl) $(rcli -n 32 HGET rj:hash-wrong a)" "4 old 1" \
  "the other keys are written, the existing one untouched"

# The LightRAG layout writes through another sink, which does not isolate batches.
run import "$base/32" -i "$TMP/few.ndjson" --layout lightrag --max-errors 1
check_rc 2 "--max-errors with --layout lightrag"
check_contains "$TMP/err" "--layout lightrag does not offer --max-errors" "is refused, saying why"

for db in 30 31 32; do rcli -n "$db" FLUSHDB >/dev/null; done
finish
