#!/usr/bin/env bash
# import --dry-run into PostgreSQL checks the target and prints the plan, writing nothing: the
# tables it would create or add to (with their rows and what --truncate / --drop would do), the
# rows it would add, columns whose type would refuse or convert the archive's values, every key
# conflict with an existing table counted (under --conflict error a failure naming the first
# key), and how much the tables would grow beside the database's size (free disk: not known).
# servers: postgres
source "$(dirname "$0")/testlib.bash" "$@"
use_server postgres

base=${DECANT_TEST_PG_URI%/*}
psql_at() { PGOPTIONS="-c client_min_messages=warning" "$DECANT_TEST_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
psql_at "$base/postgres" "DROP DATABASE IF EXISTS dry_pg WITH (FORCE)" && psql_at "$base/postgres" "CREATE DATABASE dry_pg"
db=$base/dry_pg
tables() { psql_at "$db" 'SELECT count(*) FROM "Artist"; SELECT string_agg(relname, $$,$$ ORDER BY relname) FROM pg_class
  WHERE relnamespace = $$public$$::regnamespace AND relkind = $$r$$' | tr '\n' ' '; }

"$DECANT" export -q "$CHINOOK" --only Artist --only Album -o "$TMP/a.ndjson" || fail "export"

# An existing table with two of the archive's keys (and one of its own); Album is missing.
psql_at "$db" 'CREATE TABLE "Artist" ("ArtistId" int PRIMARY KEY, "Name" text);
  INSERT INTO "Artist" VALUES (1, $$mine$$), (2, $$mine too$$), (9999, $$other$$)'
run import "$db" -i "$TMP/a.ndjson" --dry-run
check_rc 4 "dry run with conflicts under --conflict error"
check_contains "$TMP/err" 'table "Album": would create it and insert 347 rows' "the plan for a missing table"
check_contains "$TMP/err" 'table "Artist": exists with 3 rows' "the existing table and its rows"
check_contains "$TMP/err" '2 records have keys already in the table or twice in the archive: the import would fail (--conflict error; use skip or replace); the first, key (1)' \
  "all conflicts counted, not just the first, and the first named"
run import "$db" -i "$TMP/a.ndjson" --dry-run --conflict skip
check_rc 0 "dry run under --conflict skip"
check_contains "$TMP/err" 'table "Artist": would add 273 rows; 2 records have keys already in the table or twice in the archive (--conflict skip: not written)' \
  "the plan counts the skipped records"
check_contains "$TMP/err" 'the tables would grow by about' "the space the tables would take"
check_contains "$TMP/err" "the server's free disk is not known to a client" "and what is not known"
run import "$db" -i "$TMP/a.ndjson" --dry-run --conflict replace
check_rc 0 "dry run under --conflict replace"
check_contains "$TMP/err" '2 records have keys already in the table or twice in the archive (--conflict replace: they would update those rows)' \
  "the plan counts the replaced rows"
run import "$db" -i "$TMP/a.ndjson" --dry-run --truncate
check_rc 0 "dry run with --truncate"
check_contains "$TMP/err" 'exists with 3 rows, which would be deleted (--truncate)' "--truncate in the plan"
check_contains "$TMP/err" 'table "Artist": would add 275 rows' "nothing conflicts once truncated"
run import "$db" -i "$TMP/a.ndjson" --dry-run --drop
check_rc 0 "dry run with --drop"
check_contains "$TMP/err" 'exists with 3 rows; would be dropped and created again (--drop)' "--drop in the plan"
check_contains "$TMP/err" 'table "Artist": would create it and insert 275 rows' "the dropped table made again"

# A key twice in the archive counts as a conflict too.
sqlite3 "$TMP/twice.db" "CREATE TABLE Artist (ArtistId INTEGER, Name TEXT); INSERT INTO Artist VALUES (5, 'a'), (6, 'b'), (5, 'c')"
"$DECANT" export -q "sqlite:$TMP/twice.db" -o "$TMP/twice.ndjson" || fail "export twice"
run import "$db" -i "$TMP/twice.ndjson" --dry-run --truncate
check_rc 4 "dry run of an archive with a key twice"
check_contains "$TMP/err" '1 records have keys already in the table or twice in the archive' "the archive's own duplicate, by the table's primary key"

# A column whose type would refuse the archive's values.
psql_at "$db" 'CREATE TABLE "Album" ("AlbumId" int PRIMARY KEY, "Title" text, "ArtistId" text)'
run import "$db" -i "$TMP/a.ndjson" --dry-run --conflict skip --only Album
check_rc 0 "dry run with a mismatched column"
check_contains "$TMP/err" 'table "Album" column "ArtistId": the archive'"'"'s int64 values would go into a column of type text' \
  "the type mismatch"
check_eq "$(tables)" "3 Album,Artist " "the dry runs wrote nothing"
psql_at "$base/postgres" "DROP DATABASE dry_pg WITH (FORCE)"
finish
