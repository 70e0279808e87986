#!/usr/bin/env bash
# Damaged archives: verify and import exit 5 with a message naming the problem, and a failed
# import commits nothing (a new target file is not left behind, an existing one is unchanged).
source "$(dirname "$0")/testlib.bash" "$@"

"$DECANT" export sqlite:"$CHINOOK" -o good.ndjson -q </dev/null || { echo "FAIL: export of Chinook failed" >&2; exit 1; }
"$DECANT" export sqlite:"$CHINOOK" -o good.ndjson.zst -q </dev/null || { echo "FAIL: compressed export failed" >&2; exit 1; }
lines=$(wc -l <good.ndjson)

run verify good.ndjson
check_rc 0 "verify of an intact archive"
run verify good.ndjson.zst
check_rc 0 "verify of an intact compressed archive"

# An existing target with data of its own: a failed import must leave it as it was.
sqlite3 existing.db "CREATE TABLE keep(x INTEGER PRIMARY KEY, y TEXT); INSERT INTO keep VALUES (1,'one'),(2,'two');"
sqlite3 existing.db .dump >existing.before

# expect_damaged NAME FILE MESSAGE: verify and import of FILE exit 5, stderr mentions MESSAGE.
expect_damaged() {
  local name=$1 file=$2 message=$3
  run verify "$file"
  check_rc 5 "verify of $name"
  check_contains "$TMP/err" "$message" "verify of $name explains the problem"

  rm -f new.db
  run import sqlite:new.db -i "$file"
  check_rc 5 "import of $name into a new database"
  check_absent new.db "import of $name must not leave a new target file"

  run import sqlite:existing.db -i "$file"
  check_rc 5 "import of $name into an existing database"
  sqlite3 existing.db .dump >existing.after
  cmp -s existing.before existing.after || fail "import of $name changed the existing target: $(diff existing.before existing.after | head -5)"
  check_no_temp_files "$TMP" "after $name"
}

head -n -1 good.ndjson >no-trailer.ndjson
expect_damaged "an archive without its trailer" no-trailer.ndjson "truncated"

head -n $((lines / 2)) good.ndjson >half.ndjson
expect_damaged "an archive cut after half its lines" half.ndjson "truncated"

head -c $(($(wc -c <good.ndjson) - 40)) good.ndjson >mid-line.ndjson
expect_damaged "an archive cut in the middle of a line" mid-line.ndjson "truncated"

head -c $(($(wc -c <good.ndjson.zst) / 2)) good.ndjson.zst >half.ndjson.zst
expect_damaged "a compressed archive cut in half" half.ndjson.zst "truncated"

sed 's/"Title":"Balls to the Wall"/"Title":"Balls to the Mall"/' good.ndjson >changed.ndjson
cmp -s good.ndjson changed.ndjson && fail "test setup: the sed did not change a record"
expect_damaged "an archive with a changed record (digest mismatch)" changed.ndjson "digest mismatch"

grep -v '"Title":"Balls to the Wall"' good.ndjson >deleted.ndjson
expect_damaged "an archive with a deleted record (count mismatch)" deleted.ndjson "Album"

sed '3a this is not json' good.ndjson >garbage.ndjson
expect_damaged "an archive with a non-JSON line" garbage.ndjson ":4"

sed '1s/"version":"1.0"/"version":"2.0"/' good.ndjson >major2.ndjson
expect_damaged "an archive of an unknown major version" major2.ndjson "2.0"

printf 'id,name\n1,alice\n' >not-an-archive.ndjson
expect_damaged "a CSV file" not-an-archive.ndjson "not a decant archive"

: >empty.ndjson
expect_damaged "an empty file" empty.ndjson "not a decant archive"

{ head -n 3 good.ndjson; printf '{"t":"rec","s":"Album","r":{"AlbumId":9999,"Title":"bad \xff\xfe utf8","ArtistId":1}}\n'; tail -n +4 good.ndjson; } >bad-utf8.ndjson
expect_damaged "an archive with invalid UTF-8" bad-utf8.ndjson "UTF-8"

# A newer minor version is readable (format/SPEC.md section 7).
sed '1s/"version":"1.0"/"version":"1.7"/' good.ndjson >minor7.ndjson
run verify minor7.ndjson
check_rc 0 "verify of an archive with a newer minor version"

finish
