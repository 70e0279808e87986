#!/usr/bin/env bash
# Exit codes (src/cli/commands.h, README "Exit codes"): 0 ok, 1 diff found differences,
# 2 usage, 3 source side failed, 4 target side failed, 5 archive malformed/truncated.
source "$(dirname "$0")/testlib.bash" "$@"

# --- 2: usage errors; nothing is read or written
run export --no-such-option sqlite:"$CHINOOK" -o out.ndjson
check_rc 2 "unknown option"
check_contains "$TMP/err" "no-such-option" "unknown option is named on stderr"
check_absent out.ndjson "output after a usage error"

run
check_rc 2 "no subcommand"

run export
check_rc 2 "export without SOURCE"

run frobnicate
check_rc 2 "unknown subcommand"

run export nosuch://somewhere -o out.ndjson
check_rc 2 "export from an unknown backend"
check_contains "$TMP/err" "nosuch://somewhere" "unknown backend is named on stderr"
check_absent out.ndjson "output after an unknown source backend"

"$DECANT" export sqlite:"$CHINOOK" -o chinook.ndjson -q </dev/null
run import nosuch://somewhere -i chinook.ndjson
check_rc 2 "import into an unknown backend"

run import sqlite:t.db -i chinook.ndjson --conflict sideways
check_rc 2 "invalid --conflict value"
check_absent t.db "target after a usage error"

run export sqlite:"$CHINOOK" --compress lzma -o out.ndjson
check_rc 2 "invalid --compress value"
check_absent out.ndjson "output after an invalid --compress"

run export sqlite:"$CHINOOK" --rename-stream no-equals-sign -o out.ndjson
check_rc 2 "--rename-stream without FROM=TO"
check_absent out.ndjson "output after an invalid --rename-stream"

run --help
check_rc 0 "--help"
check_contains "$TMP/out" "export" "--help lists the subcommands on stdout"

run --version
check_rc 0 "--version"
check_contains "$TMP/out" "decant" "--version prints the program name"

# --- 3: the source side failed
run export sqlite:missing.sqlite -o out.ndjson
check_rc 3 "export from a missing SQLite file"
check_contains "$TMP/err" "missing.sqlite" "the missing file is named on stderr"
check_absent missing.sqlite "a missing source file must not be created by export"
check_absent out.ndjson "output after a failed source"
check_no_temp_files "$TMP" "after a failed source"

run export missing-bare.db -o out.ndjson
check_rc 3 "export from a missing bare path"
check_absent missing-bare.db "a missing bare-path source must not be created"

printf 'this is not a database, just some text that is long enough to be a header......\n%.0s' {1..20} >notadb.sqlite
run export sqlite:notadb.sqlite -o out.ndjson
check_rc 3 "export from a file that is not a SQLite database"
check_absent out.ndjson "output after a non-database source"

run import sqlite:t.db -i no-such-archive.ndjson
check_rc 3 "import from a missing archive file"
check_absent t.db "target after a missing archive"

run verify no-such-archive.ndjson
check_rc 3 "verify of a missing archive file"

run diff sqlite:missing.sqlite sqlite:"$CHINOOK"
check_rc 3 "diff with a missing source"
check_absent missing.sqlite "diff must not create a missing source"

# --- 4: the target side failed
run export sqlite:"$CHINOOK" -o no-such-dir/out.ndjson
check_rc 4 "export into a directory that does not exist"
check_absent no-such-dir "export must not create the output directory"

echo "not a database at all, so the sqlite sink cannot open it ......................" >bad-target.db
cp bad-target.db bad-target.orig
run import sqlite:bad-target.db -i chinook.ndjson
check_rc 4 "import into a file that is not a SQLite database"
cmp -s bad-target.db bad-target.orig || fail "import changed a target it could not open"

# --- 5: the archive is malformed or truncated
head -n -1 chinook.ndjson >truncated.ndjson
run verify truncated.ndjson
check_rc 5 "verify of an archive without its trailer"
run import sqlite:t.db -i truncated.ndjson
check_rc 5 "import of an archive without its trailer"

# --- 1 and 0: diff
cp "$CHINOOK" a.sqlite
cp "$CHINOOK" b.sqlite
run diff sqlite:a.sqlite sqlite:b.sqlite
check_rc 0 "diff of two equal databases"
check_contains "$TMP/out" "equal" "diff reports equal on stdout"

sqlite3 b.sqlite "UPDATE Track SET Name = Name || ' (remastered)' WHERE TrackId = 7;"
run diff sqlite:a.sqlite sqlite:b.sqlite --records 5
check_rc 1 "diff of databases with one changed row"
check_contains "$TMP/out" "DIFFERENT" "diff names the differing stream"
grep -E '^Track +' "$TMP/out" | grep -q DIFFERENT || { fail "diff should mark Track as DIFFERENT"; show_last; }
grep -E '^Album +' "$TMP/out" | grep -q equal || { fail "diff should mark Album as equal"; show_last; }

sqlite3 b.sqlite "DELETE FROM PlaylistTrack WHERE PlaylistId = 1 AND TrackId = 3402;"
run diff sqlite:a.sqlite sqlite:b.sqlite
check_rc 1 "diff of databases with a deleted row"

run diff chinook.ndjson sqlite:a.sqlite
check_rc 0 "diff of an archive and the database it came from"

run diff chinook.ndjson sqlite:b.sqlite
check_rc 1 "diff of an archive and a changed database"

finish
