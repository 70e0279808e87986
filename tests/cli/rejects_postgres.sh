#!/usr/bin/env bash
# --max-errors N --rejects FILE into PostgreSQL: each isolated batch is a savepoint, so a record
# the server refuses (a key the table already has, a check constraint, a value too long for its
# column type) is rejected with its archive line and reason while its neighbours are imported,
# in each of --txn single, stream and batch; the report groups the errors by type. A dry run
# counts the same rejects and writes nothing; too many rejects leave nothing committed; --jobs
# is refused.
# servers: postgres
source "$(dirname "$0")/testlib.bash" "$@"
use_server postgres

base=${DECANT_TEST_PG_URI%/*}
psql_at() { PGOPTIONS="-c client_min_messages=warning" "$DECANT_TEST_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
fresh_db() { psql_at "$base/postgres" "DROP DATABASE IF EXISTS $1 WITH (FORCE)" && psql_at "$base/postgres" "CREATE DATABASE $1"; }
target_schema='CREATE TABLE "Genre" ("GenreId" int PRIMARY KEY, "Name" text);
INSERT INTO "Genre" VALUES (3, $$mine$$), (7, $$mine too$$);
CREATE TABLE "Artist" ("ArtistId" int PRIMARY KEY, "Name" text CHECK (length("Name") < 25));
CREATE TABLE "Album" ("AlbumId" int PRIMARY KEY, "Title" varchar(40) NOT NULL, "ArtistId" int);'
counts() {
  psql_at "$base/$1" 'SELECT count(*) FROM "Genre"; SELECT string_agg("Name", $$,$$ ORDER BY "GenreId") FROM "Genre"
    WHERE "GenreId" IN (3, 7); SELECT count(*) FROM "Artist"; SELECT count(*) FROM "Album"' | tr '\n' ' '
}

"$DECANT" export -q "sqlite:$CHINOOK" -o "$TMP/a.ndjson" --only Genre --only Artist --only Album || fail "export"
long_names=$(sqlite3 "$CHINOOK" "SELECT count(*) FROM Artist WHERE length(Name) >= 25")
long_titles=$(sqlite3 "$CHINOOK" "SELECT count(*) FROM Album WHERE length(Title) > 40")
short_names=$((275 - long_names))
bad=$((long_names + long_titles + 2))
expected="25 mine,mine too $short_names $((347 - long_titles)) "

for txn in single stream batch; do
  db=rejects_pg_$txn
  fresh_db "$db"
  psql_at "$base/$db" "$target_schema"
  run import "$base/$db" -i "$TMP/a.ndjson" --txn "$txn" --max-errors 1000 --rejects "$TMP/rejects-$txn.ndjson" \
    --report "$TMP/report-$txn.json"
  check_rc 0 "import with rejects, --txn $txn"
  check_contains "$TMP/err" "rejected $bad records in 3 failed batches" "the summary counts the rejects (--txn $txn)"
  check_eq "$(wc -l <"$TMP/rejects-$txn.ndjson")" "$bad" "one line per rejected record (--txn $txn)"
  check_eq "$(counts "$db")" "$expected" "the neighbours are imported, the table's own rows untouched (--txn $txn)"
  check_eq "$(jq -c '[.ok, .batches.ok, .batches.failed, .records, .records_failed]' "$TMP/report-$txn.json")" \
    "[true,0,3,$((25 - 2 + short_names + 347 - long_titles)),$bad]" "the report counts batches and records (--txn $txn)"
done

# Each reject holds the record exactly as the archive line it names, and the server's reason.
while read -r reject; do
  line=$(jq -r .line <<<"$reject")
  check_eq "$(jq -c .record <<<"$reject")" "$(sed -n "${line}p" "$TMP/a.ndjson" | jq -c .r)" "reject of line $line"
done < <(sed -n '1,2p;30,31p;100,101p' "$TMP/rejects-single.ndjson")
check_eq "$(jq -sc '[.[] | .stream] | unique' "$TMP/rejects-single.ndjson")" '["Album","Artist","Genre"]' \
  "rejects name their streams"
check_contains "$TMP/rejects-single.ndjson" 'duplicate key value violates unique constraint \"Genre_pkey\" (Key (\"GenreId\")=(3) already exists.)' \
  "the reason of a conflict, with its key"
check_contains "$TMP/rejects-single.ndjson" 'violates check constraint \"Artist_Name_check\"' "the reason of a check"
check_contains "$TMP/rejects-single.ndjson" 'column \"Title\": value too long for type character varying(40)' \
  "the reason of a value the column type refuses, naming the column"
check_eq "$(jq -c '[.errors.by_type[] | .count] | sort' "$TMP/report-single.json")" \
  "$(jq -nc "[2, $long_names, $long_titles] | sort")" "errors grouped by type, one group per reason"
check_eq "$(jq '.errors.first | length' "$TMP/report-single.json")" "5" "the first few errors in full"

# A dry run finds the same rejects and writes nothing.
fresh_db rejects_pg_dry
psql_at "$base/rejects_pg_dry" "$target_schema"
run import "$base/rejects_pg_dry" -i "$TMP/a.ndjson" --dry-run --max-errors 1000 --report "$TMP/dry.json"
check_rc 0 "dry run with --max-errors"
check_eq "$(jq -c '[.batches.failed, .records_failed]' "$TMP/dry.json")" "[3,$bad]" "the dry run counts the rejects"
check_eq "$(counts rejects_pg_dry)" "2 mine,mine too 0 0 " "the dry run wrote nothing"

# More rejects than allowed: the import fails, nothing is committed, the rejects so far are kept.
fresh_db rejects_pg_strict
psql_at "$base/rejects_pg_strict" "$target_schema"
run import "$base/rejects_pg_strict" -i "$TMP/a.ndjson" --max-errors 1 --rejects "$TMP/strict.ndjson"
check_rc 4 "more rejects than --max-errors"
check_contains "$TMP/err" "more than 1 records rejected (--max-errors)" "the failure says why"
check_eq "$(wc -l <"$TMP/strict.ndjson")" "2" "the rejects up to the failure are kept"
check_eq "$(counts rejects_pg_strict)" "2 mine,mine too 0 0 " "nothing was committed"

run import "$base/rejects_pg_strict" -i "$TMP/a.ndjson" --txn stream --max-errors 10 --jobs 2
check_rc 2 "--max-errors with --jobs"
check_contains "$TMP/err" "postgres: --max-errors needs --jobs 1" "is refused, saying why"
check_eq "$(counts rejects_pg_strict)" "2 mine,mine too 0 0 " "and writes nothing"

finish
