#!/usr/bin/env bash
# A failed export leaves no output file and no *.decant-tmp-* file: output directory missing,
# source failing midway (plain and zstd), broken pipe on stdout.
source "$(dirname "$0")/testlib.bash" "$@"

# --- the output directory does not exist
run export sqlite:"$CHINOOK" -o no-such-dir/out.ndjson
check_rc 4 "export into a missing directory"
check_contains "$TMP/err" "no-such-dir" "the error names the path"
check_absent no-such-dir "the missing directory"
check_no_temp_files "$TMP" "after export into a missing directory"

# --- a source that fails midway: table "a" reads fine, table "b" has broken overflow pages,
# which SQLite only notices when it reads those rows (count(*) does not read them).
sqlite3 midway.db "
  PRAGMA page_size = 4096;
  CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT);
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000)
    INSERT INTO a SELECT i, 'row ' || i FROM c;
  CREATE TABLE b(id INTEGER PRIMARY KEY, v BLOB);
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000)
    INSERT INTO b SELECT i, randomblob(10000) FROM c;" || { echo "FAIL: cannot build midway.db" >&2; exit 1; }
pages=$(sqlite3 midway.db "SELECT pageno FROM dbstat WHERE name = 'b' AND pagetype = 'overflow' LIMIT 10 OFFSET 1500")
[[ -n $pages ]] || { echo "FAIL: test setup: no overflow pages found (is the dbstat table available?)" >&2; exit 1; }
for p in $pages; do  # an overflow page starts with the 4-byte number of the next one: point it past the end
  printf '\xff\xff\xff\xff' | dd of=midway.db bs=1 seek=$(((p - 1) * 4096)) conv=notrunc status=none
done

# precondition: the failure really happens after records were written
run export sqlite:midway.db
check_rc 3 "export of a source that fails midway, to stdout"
written=$(grep -c '"t":"rec"' "$TMP/out")
((written > 5000)) || fail "test setup: expected the export to fail after table a's 5000 records, it wrote $written"
grep -q '"t":"trailer"' "$TMP/out" && fail "a failed export to stdout must not write a trailer (a reader must see it as truncated)"
cp "$TMP/out" partial-stdout.ndjson
run verify partial-stdout.ndjson
check_rc 5 "what a failed export wrote to stdout reads as truncated"

for name in midway.ndjson midway.ndjson.zst; do
  run export sqlite:midway.db -o "$name"
  check_rc 3 "export to $name of a source that fails midway"
  check_contains "$TMP/err" "malformed" "SQLite's error is reported ($name)"
  check_absent "$name" "output of a failed export"
  check_no_temp_files "$TMP" "after a failed export to $name"
done

# --- the reader of stdout goes away: a target-side error, reported, not a crash
"$DECANT" export sqlite:"$CHINOOK" 2>"$TMP/err" | head -c 1000 >/dev/null
rc=${PIPESTATUS[0]}
LAST="decant export sqlite:CHINOOK | head -c 1000"
check_rc 4 "export into a pipe closed early"
check_contains "$TMP/err" "Broken pipe" "the closed pipe is reported"

finish
