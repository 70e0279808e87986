#!/usr/bin/env bash
# --resume into Redis: an import killed with SIGKILL at 20 random points continues after the
# checkpoint that each MULTI/EXEC batch sets with its keys (_decant:checkpoint); afterwards the
# target holds exactly the archive's keys and values, nothing missing, nothing twice, and the
# checkpoint is gone. Keys live in database 24, which no other test uses (the checkpoint key is
# per database: another test's import finishing in the same database would remove it); 80,000
# generated keys.
# servers: redis
source "$(dirname "$0")/testlib.bash" "$@"
use_server redis

seed=${RESUME_SEED:-$RANDOM}
RANDOM=$seed
echo "resume_redis: random seed $seed (RESUME_SEED=$seed reproduces the kill points)"
url=${DECANT_TEST_REDIS_URL%/*}/24
cli() { redis-cli -p "$DECANT_TEST_REDIS_PORT" -n 24 "$@"; }
# delete_prefix P: removes every key starting with P from database 24.
delete_prefix() {
  cli EVAL "for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do redis.call('DEL', k) end" 0 "$1" >/dev/null
}

delete_prefix "rsrc:"
cli EVAL "for i = 1, 80000 do redis.call('SET', 'rsrc:' .. i, string.rep('v', i % 40) .. i) end" 0 >/dev/null
"$DECANT" export -q "$url" --match 'rsrc:*' -o "$TMP/a.ndjson.zst" || fail "export"
delete_prefix "rsrc:"
# The archive's keys and values, with the prefix taken off, sorted.
zstd -dc "$TMP/a.ndjson.zst" | jq -r 'select(.t == "rec") | "\(.r.key | ltrimstr("rsrc:")) \(.r.value)"' |
  sort >"$TMP/expected"
check_eq "$(wc -l <"$TMP/expected")" "80000" "the archive holds every key"

for ((i = 0; i < 20; i++)); do
  prefix="rdst$i:"
  delete_prefix "$prefix"
  # Past the second 10,000-record batch: sending it waits for the first batch's reply, so a
  # checkpoint has been committed when the kill lands.
  at=$(((RANDOM * 32768 + RANDOM) % 58000 + 21000))
  kill_after "$at" import -q "$url" -i "$TMP/a.ndjson.zst" --rename-prefix "rsrc:=$prefix"
  check_eq "$killed_rc" "137" "point $i: the import was killed after $at records"
  check_eq "$(cli EXISTS _decant:checkpoint)" "1" "point $i: a checkpoint is in the target"
  if ((i == 2)); then
    # Killed again while resuming: the resume's own batches move the checkpoint on.
    kill_after 5000 import -q "$url" -i "$TMP/a.ndjson.zst" --rename-prefix "rsrc:=$prefix" --resume
    check_eq "$killed_rc" "137" "point $i: the resumed import was killed too"
  fi
  run import "$url" -i "$TMP/a.ndjson.zst" --rename-prefix "rsrc:=$prefix" --resume
  check_rc 0 "point $i: resume after SIGKILL at record $at"
  check_contains "$TMP/err" "resumed after archive line" "point $i: it resumed"
  "$DECANT" export -q "$url" --match "$prefix*" -o - |
    jq -r --arg p "$prefix" 'select(.t == "rec") | "\(.r.key | ltrimstr($p)) \(.r.value)"' | sort >"$TMP/got"
  checks=$((checks + 1))
  cmp -s "$TMP/expected" "$TMP/got" || fail "point $i: the target's keys differ from the archive's: $(diff "$TMP/expected" "$TMP/got" | head -5)"
  check_eq "$(cli EXISTS _decant:checkpoint)" "0" "point $i: the checkpoint is removed at the end"
  delete_prefix "$prefix"
done

# Retries: the server drops decant's connection in the middle of an import (CLIENT KILL); the
# import says so, waits, reconnects, continues after its checkpoint and finishes correctly.
prefix="rretry:"
delete_prefix "$prefix"
# decant's connection: the client on database 24 that is not this redis-cli.
drop_connection() {
  for id in $(cli CLIENT LIST | awk '/ db=24 / && !/cmd=client/ { for (i = 1; i <= NF; i++) if ($i ~ /^id=/) print substr($i, 4) }'); do
    cli CLIENT KILL ID "$id" >/dev/null
  done
}
act_after 40000 drop_connection import "$url" -i "$TMP/a.ndjson.zst" --rename-prefix "rsrc:=$prefix" --report "$TMP/retry.json"
check_eq "$acted_rc" "0" "the import survives a dropped connection"
check_contains "$TMP/acted.err" "transient failure" "the failure is reported"
check_contains "$TMP/acted.err" "retry 1 of 3" "and retried"
check_eq "$(jq -c '[.ok, .retries, .records]' "$TMP/retry.json")" "[true,1,80000]" "the report counts the retry"
"$DECANT" export -q "$url" --match "$prefix*" -o - |
  jq -r --arg p "$prefix" 'select(.t == "rec") | "\(.r.key | ltrimstr($p)) \(.r.value)"' | sort >"$TMP/got"
checks=$((checks + 1))
cmp -s "$TMP/expected" "$TMP/got" || fail "after the retry the target's keys differ from the archive's"
delete_prefix "$prefix"

finish
