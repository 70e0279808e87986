#!/usr/bin/env bash
# --resume and --retries into PostgreSQL. An import in batch (or stream) mode killed with
# SIGKILL at 20 random points continues after the checkpoint row that each commit writes in
# the same transaction (public._decant_checkpoint); afterwards `decant diff` finds the target
# equal to the archive (counts and digests: nothing missing, nothing twice), the constraints,
# index and foreign key of the tables the first run created are there, and the checkpoint is
# gone. Then a server of this test's own is stopped by its PID and started again on the same port
# and data in the middle of an import with --retries: the import reconnects, continues after
# its checkpoint and finishes correctly (with --jobs, which keeps no checkpoint, it fails instead). Generated data: 60,000 rows in two tables.
# servers: postgres
source "$(dirname "$0")/testlib.bash" "$@"
use_server postgres

seed=${RESUME_SEED:-$RANDOM}
RANDOM=$seed
echo "resume_postgres: random seed $seed (RESUME_SEED=$seed reproduces the kill points)"
base=${DECANT_TEST_PG_URI%/*}
psql_at() { PGOPTIONS="-c client_min_messages=warning" "$DECANT_TEST_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
fresh_db() { psql_at "$1/postgres" "DROP DATABASE IF EXISTS $2 WITH (FORCE)" && psql_at "$1/postgres" "CREATE DATABASE $2"; }
# What the first run creates and builds at the end of each table: keys, index, foreign key.
shape() {
  psql_at "$1" "SELECT string_agg(x, ',' ORDER BY x) FROM (SELECT conname || ':' || contype::text AS x FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace UNION ALL SELECT indexname FROM pg_indexes WHERE schemaname = 'public') s"
}

fresh_db "$base" resume_pg_src
psql_at "$base/resume_pg_src" "CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
  INSERT INTO parent SELECT i, 'parent ' || i FROM generate_series(1, 5000) i;
  CREATE TABLE child (id bigint PRIMARY KEY, parent_id int REFERENCES parent, note text, v jsonb);
  INSERT INTO child SELECT i, 1 + i % 5000, repeat('n', i % 40), jsonb_build_object('i', i, 'sq', i::bigint * i)
    FROM generate_series(1, 55000) i;
  CREATE INDEX child_note ON child (note);"
"$DECANT" export -q "$base/resume_pg_src" -o "$TMP/a.ndjson.zst" || fail "export"
expected_shape=$(shape "$base/resume_pg_src")

points=20
for ((i = 0; i < points; i++)); do
  txn=batch
  ((i >= points - 3)) && txn=stream
  db=resume_pg_$i
  fresh_db "$base" "$db"
  at=$(((RANDOM * 32768 + RANDOM) % 58000 + 1000))
  kill_after "$at" import -q "$base/$db" -i "$TMP/a.ndjson.zst" --txn "$txn"
  check_eq "$killed_rc" "137" "point $i: the import was killed after $at records"
  run import "$base/$db" -i "$TMP/a.ndjson.zst" --txn "$txn" --resume
  check_rc 0 "point $i: resume after SIGKILL at record $at (--txn $txn)"
  # Batch mode commits (and checkpoints) every 10,000 records.
  [[ $txn == batch ]] && ((at >= 11000)) && check_contains "$TMP/err" "resumed after archive line" "point $i: it resumed"
  run diff "$TMP/a.ndjson.zst" "$base/$db"
  check_rc 0 "point $i: the target equals the archive"
  check_contains "$TMP/out" "equal: 2 streams" "point $i: counts and digests equal"
  check_eq "$(shape "$base/$db")" "$expected_shape" "point $i: keys, index and foreign key are all there"
  check_eq "$(psql_at "$base/$db" "SELECT to_regclass('public._decant_checkpoint') IS NULL")" "t" \
    "point $i: the checkpoint is removed at the end"
  psql_at "$base/postgres" "DROP DATABASE $db WITH (FORCE)"
done

# A checkpoint of another archive is refused.
fresh_db "$base" resume_pg_other
kill_after 30000 import -q "$base/resume_pg_other" -i "$TMP/a.ndjson.zst" --txn batch
"$DECANT" export -q "$base/resume_pg_src" --table public.parent -o "$TMP/b.ndjson" || fail "export b"
run import "$base/resume_pg_other" -i "$TMP/b.ndjson" --txn batch --resume
check_rc 2 "another archive's checkpoint is not resumed"
check_contains "$TMP/err" "belongs to archive" "and the error says why"
psql_at "$base/postgres" "DROP DATABASE resume_pg_other WITH (FORCE)"

# Retries: a server of this test's own, restarted in the middle of the import.
servers=$(cd "$(dirname "$0")/../../tools/servers" && pwd)
(cd / && bash "$servers/postgres.sh" start "$TMP/own") >/dev/null || fail "starting a server of our own"
trap 'bash "$servers/postgres.sh" stop "$TMP/own" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
own=$(source "$TMP/own/env" && echo "${DECANT_TEST_PG_URI%/*}")
fresh_db "$own" retried
restart() { (cd / && bash "$servers/postgres.sh" restart "$TMP/own") >/dev/null 2>>"$TMP/restart.err"; }
act_after 15000 restart import "$own/retried" -i "$TMP/a.ndjson.zst" --txn batch --retries 8 --report "$TMP/retry.json"
check_eq "$acted_rc" "0" "the import survives the server's restart"
check_contains "$TMP/acted.err" "transient failure" "the failure is reported as transient"
check_contains "$TMP/acted.err" "after the target's checkpoint" "and retried after the checkpoint"
check_eq "$(jq -c '[.ok, .retries >= 1, .records]' "$TMP/retry.json")" "[true,true,60000]" "the report counts the retry"
run diff "$TMP/a.ndjson.zst" "$own/retried"
check_rc 0 "after the restart the target equals the archive"
check_eq "$(shape "$own/retried")" "$expected_shape" "with its keys, index and foreign key"

# With --jobs the lanes keep no checkpoint: a restart fails the import plainly instead of
# retrying it into duplicates.
fresh_db "$own" parallel
act_after 15000 restart import "$own/parallel" -i "$TMP/a.ndjson.zst" --txn batch --jobs 2 --retries 8
check_eq "$acted_rc" "4" "with --jobs the restart fails the import"
check_contains "$TMP/acted.err" "not retried" "and it says why it was not retried"

finish
