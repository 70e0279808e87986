#!/usr/bin/env bash
# --max-errors N --rejects FILE: records the target refuses are written unchanged to FILE with
# their archive line and error, while their neighbours in the same batch are still imported
# (a failed batch is undone and rerun record by record); the report counts batches and records
# ok / failed and groups the errors by type. More than N rejects fail the import as usual.
source "$(dirname "$0")/testlib.bash" "$@"

"$DECANT" export -q "sqlite:$CHINOOK" -o "$TMP/a.ndjson" --only Genre --only Artist --only Album || fail "export"
# The target refuses two genres (keys it already has) and every artist name of 25 characters or more.
target_schema="CREATE TABLE Genre (GenreId INTEGER PRIMARY KEY, Name TEXT);
INSERT INTO Genre VALUES (3, 'mine'), (7, 'mine too');
CREATE TABLE Artist (ArtistId INTEGER PRIMARY KEY, Name TEXT CHECK (length(Name) < 25));"
sqlite3 "$TMP/t.db" "$target_schema"
long_names=$(sqlite3 "$CHINOOK" "SELECT count(*) FROM Artist WHERE length(Name) >= 25")
short_names=$(sqlite3 "$CHINOOK" "SELECT count(*) FROM Artist WHERE length(Name) < 25")
bad=$((long_names + 2))

run import "sqlite:$TMP/t.db" -i "$TMP/a.ndjson" --max-errors 100 --rejects "$TMP/rejects.ndjson" \
  --report "$TMP/report.json"
check_rc 0 "import with rejects"
check_contains "$TMP/err" "rejected $bad records in 2 failed batches" "the summary counts the rejects"
check_eq "$(wc -l <"$TMP/rejects.ndjson")" "$bad" "one line per rejected record"
check_eq "$(sqlite3 "$TMP/t.db" "SELECT count(*) FROM Genre; SELECT group_concat(Name) FROM Genre WHERE GenreId IN (3, 7);
  SELECT count(*) FROM Artist; SELECT count(*) FROM Album" | tr '\n' ' ')" "25 mine,mine too $short_names 347 " \
  "the neighbours of rejected records are imported, the target's own rows untouched"

# Each reject holds the record exactly as the archive line it names.
while read -r reject; do
  line=$(jq -r .line <<<"$reject")
  check_eq "$(jq -c .record <<<"$reject")" "$(sed -n "${line}p" "$TMP/a.ndjson" | jq -c .r)" "reject of line $line"
done < <(head -n 3 "$TMP/rejects.ndjson")
check_eq "$(jq -sc '[.[] | .stream] | unique' "$TMP/rejects.ndjson")" '["Artist","Genre"]' "rejects name their streams"
check_contains "$TMP/rejects.ndjson" "UNIQUE constraint failed: Genre.GenreId" "the error of a conflict"
check_contains "$TMP/rejects.ndjson" "CHECK constraint failed" "the error of a check"

check_eq "$(jq -c '[.ok, .batches.ok, .batches.failed, .records, .records_failed]' "$TMP/report.json")" \
  "[true,1,2,$((25 - 2 + short_names + 347)),$bad]" "the report counts batches and records ok and failed"
check_eq "$(jq -c '[.errors.by_type[] | .count]' "$TMP/report.json")" "[$long_names,2]" "errors grouped by type"
check_contains "$TMP/report.json" 'record N: UNIQUE constraint failed: Genre.GenreId' "a type leaves out numbers and keys"
check_eq "$(jq '.errors.first | length' "$TMP/report.json")" "5" "the first few errors in full"

# A dry run finds the same rejects and writes nothing.
cp "$TMP/t.db" "$TMP/before.db"
sqlite3 "$TMP/dry.db" "$target_schema"
run import "sqlite:$TMP/dry.db" -i "$TMP/a.ndjson" --dry-run --max-errors 100 --report "$TMP/dry.json"
check_rc 0 "dry run with --max-errors"
check_eq "$(jq -c '[.batches.failed, .records_failed]' "$TMP/dry.json")" "[2,$bad]" "the dry run counts the rejects"
check_eq "$(sqlite3 "$TMP/dry.db" "SELECT count(*) FROM Genre; SELECT count(*) FROM Artist" | tr '\n' ' ')" "2 0 " \
  "the dry run wrote nothing"

# More rejects than allowed: the import fails, nothing is committed, the rejects so far are kept.
sqlite3 "$TMP/strict.db" "$target_schema"
run import "sqlite:$TMP/strict.db" -i "$TMP/a.ndjson" --max-errors 1 --rejects "$TMP/strict-rejects.ndjson" \
  --report "$TMP/strict.json"
check_rc 4 "more rejects than --max-errors"
check_contains "$TMP/err" "more than 1 records rejected (--max-errors)" "the failure says why"
check_contains "$TMP/err" "nothing was committed" "and what became of the target"
check_eq "$(wc -l <"$TMP/strict-rejects.ndjson")" "2" "the rejects up to the failure are kept"
check_eq "$(jq -c '[.ok, .records_failed]' "$TMP/strict.json")" "[false,2]" "the report of the failed import"
check_eq "$(sqlite3 "$TMP/strict.db" "SELECT count(*) FROM Genre")" "2" "nothing was committed"

run import "sqlite:$TMP/t.db" -i "$TMP/a.ndjson" --rejects "$TMP/r.ndjson"
check_rc 2 "--rejects without --max-errors"
check_absent "$TMP/r.ndjson" "no rejects file on a usage error"
run import "lightrag:$TMP/rag" -i "$TMP/a.ndjson" --max-errors 1
check_rc 2 "a target that cannot undo a batch"
check_contains "$TMP/err" "lightrag does not offer --max-errors" "is told so before anything is read"
run backends
check_contains "$TMP/out" "--dry-run; --max-errors" "decant backends shows which targets isolate batches"

finish
