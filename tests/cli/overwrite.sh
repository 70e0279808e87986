#!/usr/bin/env bash
# Export never overwrites an existing file without --force (exit 2, file unchanged) and replaces
# it with --force / -f. Import never silently overwrites rows: a conflict fails and commits nothing.
source "$(dirname "$0")/testlib.bash" "$@"

for name in existing.ndjson existing.ndjson.zst; do
  echo "precious data, not an archive" >"$name"
  cp "$name" before
  run export sqlite:"$CHINOOK" -o "$name"
  check_rc 2 "export onto an existing $name without --force"
  check_contains "$TMP/err" "already exists" "the refusal says the file exists ($name)"
  check_contains "$TMP/err" "--force" "the refusal mentions --force ($name)"
  cmp -s "$name" before || fail "$name was changed by an export without --force"
  check_no_temp_files "$TMP" "after a refused overwrite of $name"

  run export sqlite:"$CHINOOK" -o "$name" --force
  check_rc 0 "export onto an existing $name with --force"
  cmp -s "$name" before && fail "$name was not replaced by export --force"
  run verify "$name"
  check_rc 0 "the archive written with --force verifies ($name)"
  check_no_temp_files "$TMP" "after export --force to $name"
done

echo "precious" >short-f.ndjson
run export sqlite:"$CHINOOK" -o short-f.ndjson -f -q
check_rc 0 "export -f"
run verify short-f.ndjson
check_rc 0 "the archive written with -f verifies"

# an empty existing file is still a file the user made
: >empty.ndjson
run export sqlite:"$CHINOOK" -o empty.ndjson
check_rc 2 "export onto an existing empty file"
check_empty empty.ndjson "the existing empty file"

# a failed export with --force leaves the old file in place
echo "old contents" >keep.ndjson
cp keep.ndjson keep.before
run export sqlite:missing.sqlite -o keep.ndjson --force
check_rc 3 "export --force from a missing source"
cmp -s keep.ndjson keep.before || fail "a failed export --force destroyed the existing file"

# import: existing rows are not overwritten unless asked
"$DECANT" export sqlite:"$CHINOOK" -o chinook.ndjson -q </dev/null
run import sqlite:target.db -i chinook.ndjson -q
check_rc 0 "first import"
sqlite3 target.db "UPDATE Artist SET Name = 'Changed' WHERE ArtistId = 1;"
sqlite3 target.db .dump >target.before
run import sqlite:target.db -i chinook.ndjson
check_rc 4 "second import into the same tables (--conflict error is the default)"
check_contains "$TMP/err" "nothing was committed" "a failed import says nothing was committed"
sqlite3 target.db .dump >target.after
cmp -s target.before target.after || fail "a failed import changed the target"

run import sqlite:target.db -i chinook.ndjson --conflict skip -q
check_rc 0 "import --conflict skip"
check_eq "$(sqlite3 target.db "SELECT Name FROM Artist WHERE ArtistId = 1")" "Changed" "--conflict skip keeps the existing row"

run import sqlite:target.db -i chinook.ndjson --conflict replace -q
check_rc 0 "import --conflict replace"
check_eq "$(sqlite3 target.db "SELECT Name FROM Artist WHERE ArtistId = 1")" "AC/DC" "--conflict replace takes the archive's row"

run diff chinook.ndjson sqlite:target.db
check_rc 0 "after --conflict replace the target equals the archive"

finish
