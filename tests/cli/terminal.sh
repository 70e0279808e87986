#!/usr/bin/env bash
# Export refuses to write an archive to a terminal (exit 2, a message, nothing written), and
# works on a terminal when the archive goes to a file. `script` gives decant a pseudo-terminal.
source "$(dirname "$0")/testlib.bash" "$@"

command -v script >/dev/null || { echo "FAIL: \`script\` (util-linux/bsdutils) is needed by this test" >&2; exit 1; }

# on_tty COMMAND: runs COMMAND (a shell string) with stdin, stdout and stderr on a pseudo-terminal;
# the terminal's output lands in $TMP/out, the exit status in $rc.
on_tty() {
  script -qec "$1" /dev/null </dev/null >"$TMP/out" 2>"$TMP/err"
  rc=$?
  LAST="(on a terminal) $1"
}

q() { printf '%q' "$1"; }

on_tty "$(q "$DECANT") export sqlite:$(q "$CHINOOK")"
check_rc 2 "export to stdout when stdout is a terminal"
check_contains "$TMP/out" "refusing to write an archive to a terminal" "the refusal is explained"
grep -q '"t":"header"' "$TMP/out" && fail "archive bytes were written to the terminal"

on_tty "$(q "$DECANT") export sqlite:$(q "$CHINOOK") -o - --compress zstd -q"
check_rc 2 "compressed export to stdout (-o -) when stdout is a terminal"
check_contains "$TMP/out" "refusing to write an archive to a terminal" "the refusal is explained (-o -, -q)"

# stdout a terminal, stderr a file: the message goes to stderr
on_tty "$(q "$DECANT") export sqlite:$(q "$CHINOOK") 2>$(q "$TMP/tty-err")"
check_rc 2 "export to a terminal, stderr redirected"
check_contains "$TMP/tty-err" "refusing to write an archive to a terminal" "the refusal is on stderr"

# a pipe or a file is fine even when stderr is a terminal
on_tty "$(q "$DECANT") export sqlite:$(q "$CHINOOK") | cat >$(q "$TMP/piped.ndjson")"
check_rc 0 "export to a pipe from a terminal session"
run verify "$TMP/piped.ndjson"
check_rc 0 "the piped archive verifies"

on_tty "$(q "$DECANT") export sqlite:$(q "$CHINOOK") -o $(q "$TMP/tty.ndjson.zst")"
check_rc 0 "export to a file from a terminal"
check_contains "$TMP/out" "exported 11 streams" "the summary is shown on the terminal"
grep -q '"t":"header"' "$TMP/out" && fail "archive bytes were written to the terminal with -o FILE"
run verify "$TMP/tty.ndjson.zst"
check_rc 0 "the archive written from a terminal session verifies"

# reports are for people: inspect and verify print on a terminal
on_tty "$(q "$DECANT") verify $(q "$TMP/tty.ndjson.zst")"
check_rc 0 "verify on a terminal"
check_contains "$TMP/out" "verified" "verify prints its report on a terminal"

finish
