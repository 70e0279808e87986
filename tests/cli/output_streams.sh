#!/usr/bin/env bash
# Data only on stdout; logs and the summary on stderr; -q silences stderr; import prints
# nothing on stdout; reports of inspect/verify/diff go to stdout.
source "$(dirname "$0")/testlib.bash" "$@"

# export to stdout: stdout is exactly the archive, stderr has the summary
run export sqlite:"$CHINOOK"
check_rc 0 "export to stdout (a file, not a terminal)"
cp "$TMP/out" stdout.ndjson
check_contains "$TMP/err" "exported 11 streams" "the export summary is on stderr"
first=$(head -n 1 stdout.ndjson)
[[ $first == '{"t":"header",'* ]] || fail "stdout must start with the archive header, starts with: ${first:0:80}"
last=$(tail -n 1 stdout.ndjson)
[[ $last == '{"t":"trailer",'* ]] || fail "stdout must end with the trailer line, ends with: ${last:0:80}"
bad=$(jq -c 'select(.t != "header" and .t != "stream" and .t != "rec" and .t != "end" and .t != "trailer")' stdout.ndjson | head -3)
check_eq "$bad" "" "every stdout line is an archive line"
grep -q 'decant:' stdout.ndjson && fail "log text leaked into stdout"
run verify stdout.ndjson
check_rc 0 "the archive written to stdout verifies"

# -o - is the same as the default
run export sqlite:"$CHINOOK" -o - -q
check_rc 0 "export -o -"
cp "$TMP/out" dash.ndjson
check_empty "$TMP/err" "export -q: stderr"
run verify dash.ndjson
check_rc 0 "the archive written with -o - verifies"

# export to a file: nothing on stdout, summary on stderr; -q: nothing at all
run export sqlite:"$CHINOOK" -o file.ndjson.zst
check_rc 0 "export to a file"
check_empty "$TMP/out" "export to a file: stdout"
check_contains "$TMP/err" "file.ndjson.zst" "the export summary names the output file"
run export sqlite:"$CHINOOK" -o quiet.ndjson.zst -q
check_rc 0 "export -q to a file"
check_empty "$TMP/out" "export -q to a file: stdout"
check_empty "$TMP/err" "export -q to a file: stderr"

# --progress on draws on stderr only
run export sqlite:"$CHINOOK" -o progress.ndjson --progress on
check_rc 0 "export --progress on"
check_empty "$TMP/out" "export --progress on: stdout"
run verify progress.ndjson
check_rc 0 "an archive written with --progress on verifies"

# import: nothing on stdout; summary on stderr; -q silent
run import sqlite:copy.db -i file.ndjson.zst
check_rc 0 "import"
check_empty "$TMP/out" "import: stdout"
check_contains "$TMP/err" "imported 11 streams" "the import summary is on stderr"
run import sqlite:copy-q.db -i file.ndjson.zst -q
check_rc 0 "import -q"
check_empty "$TMP/out" "import -q: stdout"
check_empty "$TMP/err" "import -q: stderr"

# errors go to stderr, never stdout
run export sqlite:missing.sqlite
check_rc 3 "export of a missing source to stdout"
check_empty "$TMP/out" "stdout after a failed export"
check_contains "$TMP/err" "error" "the error is on stderr"

# reports go to stdout
run verify file.ndjson.zst
check_rc 0 "verify"
check_contains "$TMP/out" "verified" "verify's report is on stdout"
check_contains "$TMP/out" "15,607" "verify reports the record total"
run diff sqlite:"$CHINOOK" sqlite:copy.db
check_rc 0 "diff"
check_contains "$TMP/out" "equal: 11 streams" "diff's report is on stdout"
run inspect file.ndjson.zst
check_rc 0 "inspect"
check_contains "$TMP/out" "Track" "inspect's report is on stdout"

finish
