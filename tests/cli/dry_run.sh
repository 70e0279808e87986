#!/usr/bin/env bash
# import --dry-run checks the target and prints the plan, writing nothing: for SQLite the tables
# it would create or add to (with their rows), columns whose declared type would convert the
# archive's values, every key conflict counted (a failure under --conflict error), and the
# space needed against the free disk; for Redis the keys it would write, existing keys counted
# under error (a failure) and replace, and the size of its commands against maxmemory.
# servers: redis
source "$(dirname "$0")/testlib.bash" "$@"
use_server redis

"$DECANT" export -q "$CHINOOK" --only Artist --only Album -o "$TMP/a.ndjson" || fail "export"

# A target that does not exist: everything would be created, and no file appears.
run import "sqlite:$TMP/new.db" -i "$TMP/a.ndjson" --dry-run
check_rc 0 "dry run into a new database"
check_contains "$TMP/err" 'table "Artist": would create it and insert 275 rows' "the plan for Artist"
check_contains "$TMP/err" 'table "Album": would create it and insert 347 rows' "the plan for Album"
check_contains "$TMP/err" "free on the file system of $TMP" "the space needed against the free disk"
check_absent "$TMP/new.db" "a dry run creates no file"

# An existing table with two of the archive's keys and a column declared INTEGER for text.
sqlite3 "$TMP/t.db" "CREATE TABLE Artist (ArtistId INTEGER PRIMARY KEY, Name INTEGER);
INSERT INTO Artist VALUES (1, 5), (2, 6), (9999, 7);"
run import "sqlite:$TMP/t.db" -i "$TMP/a.ndjson" --dry-run
check_rc 4 "dry run with conflicts under --conflict error"
check_contains "$TMP/err" 'table "Artist": exists with 3 rows' "the existing table and its rows"
check_contains "$TMP/err" 'column "Name": the archive'"'"'s text values would go into a column declared INTEGER' \
  "the type mismatch"
check_contains "$TMP/err" '2 records have keys already in the table or twice in the archive: the import would fail' \
  "all conflicts counted, not just the first"
run import "sqlite:$TMP/t.db" -i "$TMP/a.ndjson" --dry-run --conflict skip
check_rc 0 "dry run under --conflict skip"
check_contains "$TMP/err" 'table "Artist": would add 273 rows; 2 records have keys already in the table (--conflict skip: not written)' \
  "the plan counts the skipped records"
run import "sqlite:$TMP/t.db" -i "$TMP/a.ndjson" --dry-run --truncate
check_rc 0 "dry run with --truncate"
check_contains "$TMP/err" 'exists with 3 rows, which would be deleted (--truncate)' "--truncate in the plan"
check_contains "$TMP/err" 'table "Artist": would add 275 rows' "nothing conflicts once truncated"
check_eq "$(sqlite3 "$TMP/t.db" "SELECT count(*) FROM Artist; SELECT count(*) FROM sqlite_schema WHERE name = 'Album'" | tr '\n' ' ')" \
  "3 0 " "the dry runs wrote nothing"

# Redis: database 25, which no other test uses.
url=${DECANT_TEST_REDIS_URL%/*}/25
cli() { redis-cli -p "$DECANT_TEST_REDIS_PORT" -n 25 "$@"; }
cli EVAL "for _, k in ipairs(redis.call('KEYS', 'dry:*')) do redis.call('DEL', k) end" 0 >/dev/null
for i in 1 2 3 4 5; do cli SET "dry:$i" "v$i" >/dev/null; done
"$DECANT" export -q "$url" --match 'dry:*' -o "$TMP/r.ndjson" || fail "redis export"
cli DEL dry:4 dry:5 >/dev/null
cli SET dry:1 changed >/dev/null
run import "$url" -i "$TMP/r.ndjson" --dry-run
check_rc 4 "redis dry run with existing keys under --conflict error"
check_contains "$TMP/err" "redis: dry run: 3 keys of the archive already exist" "every existing key counted"
check_contains "$TMP/err" "the import would fail (--conflict error; use skip or replace)" "and the import would fail"
check_contains "$TMP/err" "the import's commands total about" "the size of the commands"
check_contains "$TMP/err" "maxmemory" "against the server's memory limit"
run import "$url" -i "$TMP/r.ndjson" --dry-run --conflict replace
check_rc 0 "redis dry run under --conflict replace"
check_contains "$TMP/err" "would write 5 keys (5 records); would replace 3 existing keys" "the keys replace would overwrite"
run import "$url" -i "$TMP/r.ndjson" --dry-run --conflict skip
check_rc 0 "redis dry run under --conflict skip"
check_contains "$TMP/err" "would write 2 keys (2 records); skipped 3 existing keys (--conflict skip)" "the keys skip would leave"
check_eq "$(cli GET dry:1) $(cli EXISTS dry:4)" "changed 0" "the redis dry runs wrote nothing"
cli EVAL "for _, k in ipairs(redis.call('KEYS', 'dry:*')) do redis.call('DEL', k) end" 0 >/dev/null
finish
