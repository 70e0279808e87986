#!/usr/bin/env bash
# Ctrl-C (SIGINT) during an export leaves no output file and no temp file and exits 130;
# during an import it commits nothing. SIGTERM cleans up the same way.
source "$(dirname "$0")/testlib.bash" "$@"

# 3M rows: an export takes seconds, long enough to interrupt it midway.
sqlite3 big.db "
  CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000000)
    INSERT INTO t SELECT i, 'value number ' || i FROM c;" || { echo "FAIL: cannot build big.db" >&2; exit 1; }

# wait_for GLOB PID: waits up to 20 s for a file matching GLOB to appear while PID runs.
wait_for() {
  local i
  for ((i = 0; i < 400; i++)); do
    compgen -G "$1" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# interrupt SIGNAL WAIT_GLOB COMMAND...: starts decant COMMAND in the background, waits until
# WAIT_GLOB exists, lets it work 0.3 s more, sends SIGNAL; sets $rc to decant's exit status.
interrupt() {
  local signal=$1 glob=$2
  shift 2
  "$DECANT" "$@" </dev/null >"$TMP/out" 2>"$TMP/err" &
  local pid=$!
  LAST="decant $* (SIG$signal after 0.3 s)"
  if ! wait_for "$glob" "$pid"; then
    fail "test setup: $glob never appeared while decant ran"
  fi
  sleep 0.3
  if ! kill -0 "$pid" 2>/dev/null; then
    fail "test setup: decant finished before SIG$signal could be sent (make the data bigger)"
  fi
  kill -s "$signal" "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
}

for name in big.ndjson big.ndjson.zst; do
  interrupt INT "$name.decant-tmp-*" export sqlite:big.db -o "$name"
  check_rc 130 "export to $name interrupted by SIGINT"
  check_absent "$name" "output of an interrupted export"
  check_no_temp_files "$TMP" "after an interrupted export to $name"
done

interrupt TERM "big.ndjson.decant-tmp-*" export sqlite:big.db -o big.ndjson
((rc != 0)) || fail "an export stopped by SIGTERM must not exit 0"
check_absent big.ndjson "output of an export stopped by SIGTERM"
check_no_temp_files "$TMP" "after an export stopped by SIGTERM"

# an interrupted import commits nothing: a new target is removed, an existing one unchanged
run export sqlite:big.db -o big.ndjson -q
check_rc 0 "full export of big.db (for the import checks)"

interrupt INT "new.db*" import sqlite:new.db -i big.ndjson
check_rc 130 "import interrupted by SIGINT"
check_absent new.db "a target created by an interrupted import"
check_absent new.db-journal "the journal of an interrupted import"

sqlite3 existing.db "CREATE TABLE keep(x INTEGER PRIMARY KEY); INSERT INTO keep VALUES (1), (2), (3);"
sqlite3 existing.db .dump >existing.before
interrupt INT "existing.db" import sqlite:existing.db -i big.ndjson
check_rc 130 "import into an existing database interrupted by SIGINT"
sqlite3 existing.db .dump >existing.after
cmp -s existing.before existing.after || fail "an interrupted import changed the existing target: $(diff existing.before existing.after | head -5)"

finish
