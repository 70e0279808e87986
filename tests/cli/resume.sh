#!/usr/bin/env bash
# --resume: an import in batch (or stream) mode killed with SIGKILL at random points continues
# after the checkpoint its last commit left in the target; the result equals the archive
# (decant diff: counts and digests), nothing missing, nothing twice, and the checkpoint is gone.
# The checkpoint of one archive is never resumed with another. Generated data: 300,000 rows.
source "$(dirname "$0")/testlib.bash" "$@"

seed=${RESUME_SEED:-$RANDOM}
RANDOM=$seed
echo "resume: random seed $seed (RESUME_SEED=$seed reproduces the kill points)"

sqlite3 "$TMP/src.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 240000)
  INSERT INTO t SELECT i, 'name-' || i || printf('%.*c', i % 50, 'x'), i * 0.5 FROM c;
CREATE INDEX t_name ON t (name);
CREATE TABLE u (k TEXT PRIMARY KEY, n INTEGER);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 60000) INSERT INTO u SELECT 'k' || i, i FROM c;"
"$DECANT" export -q "sqlite:$TMP/src.db" -o "$TMP/a.ndjson.zst" || fail "export"

random_point() { echo $(((RANDOM * 32768 + RANDOM) % 298000 + 1000)); }

points=8
for ((i = 0; i < points; i++)); do
  db=$TMP/target-$i.db
  txn=batch
  ((i >= points - 2)) && txn=stream
  at=$(random_point)
  kill_after "$at" import -q "sqlite:$db" -i "$TMP/a.ndjson.zst" --txn "$txn"
  check_eq "$killed_rc" "137" "point $i: the import was killed after $at records"
  if ((i == 2)); then
    kill_after "$(random_point)" import -q "sqlite:$db" -i "$TMP/a.ndjson.zst" --txn "$txn" --resume
    check_eq "$killed_rc" "137" "point $i: the resumed import was killed too"
  fi
  run import "sqlite:$db" -i "$TMP/a.ndjson.zst" --txn "$txn" --resume --report "$TMP/report-$i.json"
  check_rc 0 "resume after SIGKILL at record $at (point $i, --txn $txn)"
  run diff "$TMP/a.ndjson.zst" "sqlite:$db"
  check_rc 0 "point $i: the target equals the archive"
  check_contains "$TMP/out" "equal: 2 streams" "point $i: counts and digests equal"
  check_eq "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE name = '_decant_checkpoint'")" "0" \
    "point $i: the checkpoint is removed at the end"
  check_eq "$(jq '.records' "$TMP/report-$i.json")" "300000" "point $i: resumed and new records add up"
done

# A checkpoint of another archive is refused, and the target is left as it was.
kill_after 150000 import -q "sqlite:$TMP/other.db" -i "$TMP/a.ndjson.zst" --txn batch
before=$(sqlite3 "$TMP/other.db" "SELECT count(*) FROM t")
check_eq "$(sqlite3 "$TMP/other.db" "SELECT count(*) FROM _decant_checkpoint")" "1" "a checkpoint was left"
"$DECANT" export -q "sqlite:$TMP/src.db" -o "$TMP/b.ndjson.zst" || fail "second export"
run import "sqlite:$TMP/other.db" -i "$TMP/b.ndjson.zst" --txn batch --resume
check_rc 2 "resuming with another archive"
check_contains "$TMP/err" "belongs to archive" "the refusal names the archives"
check_eq "$(sqlite3 "$TMP/other.db" "SELECT count(*) FROM t")" "$before" "nothing was written"

run import "sqlite:$TMP/x.db" -i "$TMP/a.ndjson.zst" --resume --drop
check_rc 2 "--resume with --drop"
finish
