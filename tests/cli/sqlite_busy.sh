#!/usr/bin/env bash
# A SQLite target locked by another process past the busy timeout (5 s): SQLITE_BUSY is a
# transient failure. Without retries the import fails with a message that says so; with
# --retries it tries again after the backoff and succeeds once the lock is gone.
source "$(dirname "$0")/testlib.bash" "$@"

"$DECANT" export -q "$CHINOOK" --only Artist --only Album -o "$TMP/a.ndjson" || fail "export"

# hold_lock DB SECONDS: another sqlite3 process holds the write lock for SECONDS; returns once
# it really holds it.
hold_lock() {
  # .timeout: the holder waits out a probe below that has the lock for a moment, instead of
  # failing its BEGIN and never holding the lock.
  (echo ".timeout 10000"; echo "BEGIN IMMEDIATE;"; echo "INSERT INTO other VALUES (1);"; sleep "$2"; echo "COMMIT;") | sqlite3 "$1" &
  holder=$!
  for ((n = 0; n < 100; n++)); do
    sqlite3 "$1" "BEGIN IMMEDIATE; ROLLBACK;" 2>/dev/null || return 0
    sleep 0.1
  done
  fail "the lock was never taken"
}

sqlite3 "$TMP/t.db" "CREATE TABLE other (x INTEGER)"
hold_lock "$TMP/t.db" 8
run import "sqlite:$TMP/t.db" -i "$TMP/a.ndjson" --retries 0
check_rc 4 "a locked database without --retries"
check_contains "$TMP/err" "database is locked (another connection holds a lock on the database)" "the error says why"
wait "$holder"
check_eq "$(sqlite3 "$TMP/t.db" "SELECT count(*) FROM sqlite_schema WHERE name = 'Artist'")" "0" "nothing was written"

hold_lock "$TMP/t.db" 8
run import "sqlite:$TMP/t.db" -i "$TMP/a.ndjson" --retries 5
check_rc 0 "a locked database with --retries"
check_contains "$TMP/err" "transient failure: " "the retry is announced"
check_contains "$TMP/err" "database is locked" "with its reason"
wait "$holder"
run diff "$TMP/a.ndjson" "sqlite:$TMP/t.db" --only Artist --only Album
check_rc 0 "the target equals the archive after the retry"
check_eq "$(sqlite3 "$TMP/t.db" "SELECT count(*) FROM other")" "2" "the other process's rows are there too"
finish
