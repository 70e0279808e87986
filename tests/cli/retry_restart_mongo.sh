#!/usr/bin/env bash
# --retries across a real MongoDB-wire server restart: a SecantusDB of this test's own (started
# into $TMP by tools/servers/secantus.sh, stopped by its PID with SIGTERM and started again on
# the same port and storage path) is restarted in the middle of an import. The lost connection
# is a transient failure: --txn single starts over (the server dropped the open transaction),
# --txn batch continues after the checkpoint committed with the last batch; both finish with
# the archive's content (decant diff: counts and digests). The source documents come from the
# shared server (hence its lock); 40,000 generated documents in two collections.
# servers: secantus
source "$(dirname "$0")/testlib.bash" "$@"
use_secantus
servers=$ROOT/tools/servers

trap 'bash "$servers/secantus.sh" stop "$TMP/own" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
(cd / && bash "$servers/secantus.sh" start "$TMP/own") >/dev/null || fail "starting a server of our own"
own=$(source "$TMP/own/env" && echo "${DECANT_TEST_SECANTUS_URI%/}")
restart() { (cd / && bash "$servers/secantus.sh" restart "$TMP/own") >/dev/null 2>>"$TMP/restart.err"; }

src=$SECANTUS/retry_mongo_src
mongo "db = c.get_default_database(); db.client.drop_database(db.name)
db.people.insert_many([{'_id': i, 'name': 'user %d' % i, 'tags': ['t%d' % (i % 7)] * (i % 4)} for i in range(30000)])
db.orders.insert_many([{'_id': 'o%05d' % i, 'n': i * 1000003, 'nested': {'i': i}} for i in range(10000)])" "$src"
"$DECANT" export -q "$src" -o "$TMP/a.ndjson.zst" || fail "export"
mongo "c.drop_database('retry_mongo_src')" "$src"

pid_before=$(<"$TMP/own/pid")
mongo "c.probe.t.insert_one({'_id': 1})" "$own/probe"
restart || fail "restart: $(cat "$TMP/restart.err")"
check_eq "$(mongo "print(c.probe.t.count_documents({}))" "$own/probe")" "1" "the server keeps its data across a restart"
[[ $(<"$TMP/own/pid") != "$pid_before" ]] || fail "the restarted server has the same PID"
checks=$((checks + 1))

# restarted TXN MESSAGE: an import with --txn TXN, its server restarted after 10,500 records (in
# the middle of a transaction: batch mode commits every 1,000),
# finishes with the archive's content after retrying; MESSAGE is what it says about the retry.
restarted() {
  local db=retried_$1
  # decant is stopped while its server restarts, so that the restart lands mid-import. Batch
  # mode has a transaction open only while it writes and commits a bulk, so the restart mostly
  # falls between two; libmongoc would then check the idle connection (socketCheckIntervalMS,
  # 5 s) and quietly make a new one. With the check put off, the next write meets the lost
  # connection, as one that was under way would.
  act_after 10500 "kill -STOP \$pid; restart; kill -CONT \$pid" import "$own/$db?socketCheckIntervalMS=600000" \
    -i "$TMP/a.ndjson.zst" --txn "$1" \
    --retries 8 --report "$TMP/$1.json"
  check_eq "$acted_rc" "0" "--txn $1: the import survives the restart"
  check_contains "$TMP/acted.err" "transient failure" "--txn $1: the lost connection is reported as transient"
  check_contains "$TMP/acted.err" "$2" "--txn $1: what the retry did is told"
  check_eq "$(jq -c '[.ok, .retries >= 1, .records]' "$TMP/$1.json")" "[true,true,40000]" "--txn $1: the report counts the retry"
  run diff "$TMP/a.ndjson.zst" "$own/$db"
  check_rc 0 "--txn $1: after the restart the target equals the archive"
  check_contains "$TMP/out" "equal: 2 streams" "--txn $1: counts and digests equal"
}

restarted single "retry 1 of 8"
restarted batch "after the target's checkpoint"
check_eq "$(jq '.resumed.after_line > 0' "$TMP/batch.json")" "true" "--txn batch: it resumed after a checkpoint"
check_eq "$(mongo "print(','.join(sorted(c.retried_batch.list_collection_names())))" "$own/retried_batch")" \
  "orders,people" "--txn batch: the checkpoint is gone at the end"

finish
