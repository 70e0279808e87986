#!/usr/bin/env bash
# `backends` lists sqlite with its real capabilities; `inspect` shows the header, every stream
# with its record count (equal to the source table's row count), and flags a truncated archive.
source "$(dirname "$0")/testlib.bash" "$@"

run backends
check_rc 0 "backends"
check_contains "$TMP/out" "sqlite:" "backends lists sqlite"
check_contains "$TMP/out" "sources" "backends lists the sources"
check_contains "$TMP/out" "targets" "backends lists the targets"
check_contains "$TMP/out" "--txn" "backends shows the transaction modes a target offers"
check_empty "$TMP/err" "backends: stderr"

"$DECANT" export sqlite:"$CHINOOK" -o chinook.ndjson.zst -q </dev/null
zstd -dcq chinook.ndjson.zst >chinook.ndjson

for archive in chinook.ndjson chinook.ndjson.zst; do
  run inspect "$archive"
  check_rc 0 "inspect $archive"
  check_contains "$TMP/out" "decant-archive 1.0" "inspect shows the format and version ($archive)"
  check_contains "$TMP/out" "sqlite" "inspect shows the source backend ($archive)"
  # every table of the source is a stream with the table's row count
  for table in $(sqlite3 "$CHINOOK" "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"); do
    rows=$(sqlite3 "$CHINOOK" "SELECT count(*) FROM \"$table\"")
    shown=$(awk -v t="$table" '$1 == t { print $4 }' "$TMP/out" | tr -d ,)
    check_eq "$shown" "$rows" "inspect $archive: records of $table"
  done
  shown=$(awk '$1 == "total" { print $2 }' "$TMP/out" | tr -d ,)
  check_eq "$shown" "15607" "inspect $archive: total records"
done
run inspect chinook.ndjson.zst
check_contains "$TMP/out" "zstd frames" "inspect of a compressed archive shows its compression"

run inspect --json chinook.ndjson.zst
check_rc 0 "inspect --json"
check_eq "$(jq -r '.complete' "$TMP/out")" "true" "inspect --json: complete"
check_eq "$(jq -r '[.streams[].records] | add' "$TMP/out")" "15607" "inspect --json: records add up"
check_eq "$(jq -r '.streams[] | select(.name == "Track") | .records' "$TMP/out")" "3503" "inspect --json: Track records"
check_eq "$(jq -r '.header.source.backend' "$TMP/out")" "sqlite" "inspect --json: header source backend"

# a truncated archive: inspect shows what is there, flags the stream, and fails with 5
head -n 5000 chinook.ndjson >truncated.ndjson
run inspect truncated.ndjson
check_rc 5 "inspect of a truncated archive"
check_contains "$TMP/out" "(no end line)" "inspect flags the stream that was cut"
check_contains "$TMP/err" "truncated" "inspect says the archive is truncated"

finish
