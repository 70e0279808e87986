#!/usr/bin/env bash
# Dry runs into targets too small for the archive fail with the dry-run failure of dry_run.sh
# (exit 4) and say so, writing nothing: a Redis server whose maxmemory is below what the
# import needs (a server of this test's own, started into $TMP by tools/servers/redis.sh and
# stopped by its PID, since maxmemory is server-wide), and a SQLite database and a LightRAG
# working directory on a 16 kB tmpfs. The real import into that Redis with --max-errors fails
# on the server's OOM rather than rejecting records for it: no record is to blame. Mounting
# needs root (as on the machine and in CI): without it the test fails.
servers=$(cd "$(dirname "$0")/../../tools/servers" && pwd)  # before testlib moves into $TMP
source "$(dirname "$0")/testlib.bash" "$@"

((EUID == 0)) || { echo "FAIL: dry_run_limits mounts a tmpfs and must run as root" >&2; exit 1; }
mkdir -p "$TMP/small"
trap 'umount "$TMP/small" 2>/dev/null; bash "$servers/redis.sh" stop "$TMP/redis" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
mount -t tmpfs -o size=16k tmpfs "$TMP/small" || { echo "FAIL: cannot mount a tmpfs on $TMP/small" >&2; exit 1; }

# --- Redis over its maxmemory
(cd / && bash "$servers/redis.sh" start "$TMP/redis") >/dev/null || fail "starting redis"
port=$(source "$TMP/redis/env" && echo "$DECANT_TEST_REDIS_PORT")
url=redis://127.0.0.1:$port/0
rcli() { redis-cli -p "$port" "$@"; }
rcli EVAL "for i = 1, 4000 do redis.call('SET', 'big:' .. i, string.rep('x', 1000)) end" 0 >/dev/null
"$DECANT" export -q "$url" -o "$TMP/big.ndjson" || fail "redis export"
rcli FLUSHALL >/dev/null
used=$(rcli INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
rcli CONFIG SET maxmemory $((used + 1000000)) >/dev/null
run import "$url" -i "$TMP/big.ndjson" --dry-run
check_rc 4 "redis dry run over maxmemory"
check_contains "$TMP/err" "redis: dry run: the import needs about 4 MB but the server has 1 MB left under its maxmemory of" \
  "the dry run says the import would not fit"
check_eq "$(rcli DBSIZE)" "0" "the dry run wrote nothing"

run import "$url" -i "$TMP/big.ndjson" --max-errors 100 --rejects "$TMP/rejects.ndjson" --report "$TMP/report.json"
check_rc 4 "an import over maxmemory with --max-errors"
check_contains "$TMP/err" "OOM command not allowed when used memory > 'maxmemory'" "fails on the server's OOM"
check_eq "$(jq -c '[.ok, .records_failed]' "$TMP/report.json")" "[false,0]" "rejecting no record for it"
check_eq "$(cat "$TMP/rejects.ndjson" 2>/dev/null | wc -l)" "0" "and writing none to the rejects file"
check_eq "$(rcli DBSIZE)" "0" "the failed batch was undone"

# --- file targets on a file system too small
"$DECANT" export -q "sqlite:$CHINOOK" -o "$TMP/chinook.ndjson" || fail "sqlite export"
run import "sqlite:$TMP/small/t.db" -i "$TMP/chinook.ndjson" --dry-run
check_rc 4 "sqlite dry run onto a full file system"
check_contains "$TMP/err" "sqlite: dry run: the import needs about" "the space needed"
check_contains "$TMP/err" "are free on the file system of $TMP/small" "against the free space of the database's file system"
check_absent "$TMP/small/t.db" "the dry run creates no file"

"$DECANT" export -q "lightrag:$DATA/lightrag/rag_storage" --cache-types all -o "$TMP/rag.ndjson" || fail "lightrag export"
run import "lightrag:$TMP/small/rag" -i "$TMP/rag.ndjson" --dry-run
check_rc 4 "lightrag dry run onto a full file system"
check_contains "$TMP/err" "lightrag: dry run: the import needs about" "the space the files need"
check_contains "$TMP/err" "are free on the file system of $TMP/small" "against the free space of the nearest existing directory"
check_absent "$TMP/small/rag" "the dry run creates no directory"
# Where it fits, the plan says how much it needs and how much is free.
run import "lightrag:$TMP/rag" -i "$TMP/rag.ndjson" --dry-run
check_rc 0 "lightrag dry run with room"
check_contains "$TMP/err" "lightrag: dry run: the files would take about" "the estimate in the plan"
check_absent "$TMP/rag" "the dry run creates no directory"

finish
