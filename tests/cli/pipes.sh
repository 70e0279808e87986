#!/usr/bin/env bash
# `-` is stdin/stdout; export | jq | import works, and needs --transformed when jq drops records;
# --only / --exclude / --rename-stream select and rename streams on export, import and diff.
source "$(dirname "$0")/testlib.bash" "$@"

cp "$CHINOOK" Chinook.sqlite

# --- export -o - | import -i -
"$DECANT" export sqlite:Chinook.sqlite -o - -q | "$DECANT" import sqlite:copy1.db -i - -q
codes="${PIPESTATUS[*]}"
check_eq "$codes" "0 0" "export -o - | import -i - exit codes"
run diff sqlite:Chinook.sqlite sqlite:copy1.db
check_rc 0 "the copy made through - equals the original"

# --- defaults are stdout and stdin; compressed archives go through pipes too
"$DECANT" export sqlite:Chinook.sqlite --compress zstd -q | "$DECANT" import sqlite:copy2.db -q
codes="${PIPESTATUS[*]}"
check_eq "$codes" "0 0" "export --compress zstd | import (default - on both ends)"
run diff sqlite:Chinook.sqlite sqlite:copy2.db
check_rc 0 "the copy made through a compressed pipe equals the original"

# stdout of a compressed export is plain zstd: the zstd CLI and jq read it
header=$("$DECANT" export sqlite:Chinook.sqlite --compress zstd -q | zstd -dc | head -n 1 | jq -r '.format + " " + .version')
check_eq "$header" "decant-archive 1.0" "zstd -dc of a compressed stdout export starts with the header"

"$DECANT" export sqlite:Chinook.sqlite -o chinook.ndjson.zst -q </dev/null
count=$(zstd -dc chinook.ndjson.zst | jq -c 'select(.t == "rec" and .s == "Genre")' | wc -l)
check_eq "$count" "25" "zstd -dc FILE | jq sees the 25 Genre records"

# verify / inspect / diff read from stdin
run verify - <chinook.ndjson.zst
check_rc 0 "verify - < compressed archive"
check_contains "$TMP/out" "15,607" "verify - counts every record"
run inspect - <chinook.ndjson.zst
check_rc 0 "inspect -"
check_contains "$TMP/out" "PlaylistTrack" "inspect - lists the streams"
run diff - sqlite:Chinook.sqlite <chinook.ndjson.zst
check_rc 0 "diff - SOURCE"

# --- export | jq filter | import: the archive's counts no longer hold
filter='select(.t != "rec" or .s != "Track" or .r.Milliseconds > 300000)'
long=$(sqlite3 Chinook.sqlite "SELECT count(*) FROM Track WHERE Milliseconds > 300000")

"$DECANT" export sqlite:Chinook.sqlite -q | jq -c "$filter" | "$DECANT" import sqlite:strict.db 2>"$TMP/err"
codes="${PIPESTATUS[*]}"
LAST="export | jq | import (without --transformed)"
check_eq "$codes" "0 0 5" "export | jq | import without --transformed: import refuses (exit 5)"
check_contains "$TMP/err" "count mismatch" "import explains that the counts do not match"
check_absent strict.db "a refused import leaves no target"

"$DECANT" export sqlite:Chinook.sqlite -q | jq -c "$filter" | "$DECANT" import --transformed sqlite:long-tracks.db 2>"$TMP/err"
codes="${PIPESTATUS[*]}"
check_eq "$codes" "0 0 0" "export | jq | import --transformed"
check_contains "$TMP/err" "transformed" "import reports the archive as transformed"
check_eq "$(sqlite3 long-tracks.db "SELECT count(*) FROM Track")" "$long" "only the long tracks were imported"
check_eq "$(sqlite3 long-tracks.db "SELECT count(*) FROM Track WHERE Milliseconds <= 300000")" "0" "no short track was imported"
check_eq "$(sqlite3 long-tracks.db "SELECT count(*) FROM Album")" "347" "other streams are untouched by the filter"

# a jq transform that rewrites a value
"$DECANT" export sqlite:Chinook.sqlite --only Genre -q |
  jq -c 'if .t == "rec" then .r.Name |= ascii_upcase else . end' |
  "$DECANT" import --transformed sqlite:upper.db -q
check_eq "$(sqlite3 upper.db "SELECT Name FROM Genre WHERE GenreId = 1")" "ROCK" "a jq rewrite of a value reaches the target"

# --- selection and renaming
run export sqlite:Chinook.sqlite --only 'Play*' --exclude PlaylistTrack --rename-stream Playlist=Lists -o sel.ndjson
check_rc 0 "export --only/--exclude/--rename-stream"
streams=$(jq -r 'select(.t == "stream") | .name' sel.ndjson | tr '\n' ' ')
check_eq "$streams" "Lists " "export selected Playlist only and renamed it to Lists"
run verify sel.ndjson
check_rc 0 "a selected and renamed archive verifies"

run import sqlite:sel.db -i chinook.ndjson.zst --only 'Invoice*' --exclude InvoiceLine --rename-stream Invoice=Bills -q
check_rc 0 "import --only/--exclude/--rename-stream"
check_eq "$(sqlite3 sel.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name)")" "Bills" "import created only the renamed table"
check_eq "$(sqlite3 sel.db "SELECT count(*) FROM Bills")" "412" "the renamed table holds every invoice"

run diff chinook.ndjson.zst sqlite:sel.db --only Invoice --only Bills --rename-stream Invoice=Bills
check_rc 0 "diff with the same renaming sees the renamed table as equal"
run diff chinook.ndjson.zst sqlite:sel.db
check_rc 1 "diff without selection sees the streams that were left out"
check_contains "$TMP/out" "only in A" "diff names streams present on one side only"

finish
