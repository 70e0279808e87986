#!/usr/bin/env bash
# --retries across a real Redis restart, on a server of this test's own (started into $TMP by
# tools/servers/redis.sh and stopped by its PID; the shared fixture is not restarted, as other
# tests use it). With an append-only file the keys and the checkpoint each MULTI/EXEC batch sets
# survive the restart: the import reconnects, continues after the checkpoint and finishes with
# the archive's content. Without persistence the restart empties the server, checkpoint and all:
# the import then starts over from the first record (the target holds nothing of it any more),
# says so, and again finishes with the archive's content. 80,000 generated keys.
servers=$(cd "$(dirname "$0")/../../tools/servers" && pwd)  # before testlib moves into $TMP
source "$(dirname "$0")/testlib.bash" "$@"

trap 'for d in "$TMP"/aof "$TMP"/mem; do bash "$servers/redis.sh" stop "$d" >/dev/null 2>&1; done; rm -rf "$TMP"' EXIT
# own NAME yes|no: starts a server of this test's own in $TMP/NAME, with an append-only file or none.
own() { (cd / && DECANT_REDIS_APPENDONLY=$2 bash "$servers/redis.sh" start "$TMP/$1") >/dev/null || fail "starting redis $1"; }
restart() { (cd / && bash "$servers/redis.sh" restart "$TMP/$1") >/dev/null 2>>"$TMP/restart.err"; }
port_of() { (source "$TMP/$1/env" && echo "$DECANT_TEST_REDIS_PORT"); }
# The keys and values of a server, sorted.
contents() { "$DECANT" export -q "redis://127.0.0.1:$(port_of "$1")/0" -o - | jq -r 'select(.t == "rec") | "\(.r.key) \(.r.value)"' | sort; }

own aof yes
own mem no
mem=redis://127.0.0.1:$(port_of mem)/0
redis-cli -p "$(port_of mem)" EVAL "for i = 1, 80000 do redis.call('SET', 'k:' .. i, string.rep('v', i % 40) .. i) end" 0 >/dev/null
"$DECANT" export -q "$mem" -o "$TMP/a.ndjson.zst" || fail "export"
redis-cli -p "$(port_of mem)" FLUSHALL >/dev/null
zstd -dc "$TMP/a.ndjson.zst" | jq -r 'select(.t == "rec") | "\(.r.key) \(.r.value)"' | sort >"$TMP/expected"
check_eq "$(wc -l <"$TMP/expected")" "80000" "the archive holds every key"

# The restart proper: the same port, the same directory, a new process.
pid_before=$(<"$TMP/aof/pid")
redis-cli -p "$(port_of aof)" SET probe 1 >/dev/null
restart aof || fail "restart: $(cat "$TMP/restart.err")"
check_eq "$(redis-cli -p "$(port_of aof)" GET probe)" "1" "the append-only server keeps its data across a restart"
[[ $(<"$TMP/aof/pid") != "$pid_before" ]] || fail "the restarted server has the same PID"
checks=$((checks + 1))
redis-cli -p "$(port_of aof)" DEL probe >/dev/null

# restarted NAME MESSAGE RESUMED_AFTER: an import into server NAME, restarted after 40,000 records,
# finishes with the archive's content after retrying; MESSAGE is what it says about the retry,
# RESUMED_AFTER the jq test of the report's .resumed.after_line.
restarted() {
  # decant is stopped while its server restarts, so that the restart lands mid-import however
  # fast the rest of the import would run ($pid is act_after's decant).
  act_after 40000 "kill -STOP \$pid; restart $1; kill -CONT \$pid" import "redis://127.0.0.1:$(port_of "$1")/0" -i "$TMP/a.ndjson.zst" --retries 5 \
    --report "$TMP/$1.json"
  check_eq "$acted_rc" "0" "$1: the import survives the restart"
  check_contains "$TMP/acted.err" "transient failure" "$1: the lost connection is reported as transient"
  check_contains "$TMP/acted.err" "$2" "$1: what the retry did is told"
  check_eq "$(jq -c "[.ok, .retries >= 1, .records, .resumed.after_line $3]" "$TMP/$1.json")" "[true,true,80000,true]" \
    "$1: the report counts the retry and where it resumed"
  checks=$((checks + 1))
  cmp -s "$TMP/expected" <(contents "$1") || fail "$1: after the restart the target differs from the archive"
  check_eq "$(redis-cli -p "$(port_of "$1")" EXISTS _decant:checkpoint)" "0" "$1: the checkpoint is gone at the end"
}

# Persistent: the import continues after the checkpoint that survived.
restarted aof "after the target's checkpoint" "> 0"
# Without persistence: the server comes back empty; the import starts over and says so.
restarted mem "started over from the first record" "== 0"

finish
