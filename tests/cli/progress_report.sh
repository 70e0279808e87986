#!/usr/bin/env bash
# Progress and reports: --progress json writes one JSON object a line on stderr with totals
# (the stream descriptions' row estimates on export, the zstd frame index on import) and a last
# line marked final; --progress on draws records, bytes, rate and ETA; --report FILE writes the
# final report as JSON, also when the command fails.
source "$(dirname "$0")/testlib.bash" "$@"

cp "$CHINOOK" "$TMP/chinook.sqlite"

run export "sqlite:$TMP/chinook.sqlite" -o "$TMP/a.ndjson.zst" --progress json --progress-interval 0 \
  --report "$TMP/export-report.json"
check_rc 0 "export with JSON progress and a report"
grep -v '^{' "$TMP/err" | grep -v '^decant: exported' >"$TMP/other" || true
check_empty "$TMP/other" "stderr holds only JSON progress lines and the summary"
grep '^{' "$TMP/err" >"$TMP/progress"
check_eq "$(jq -s 'length > 2' "$TMP/progress")" "true" "one line per interval, several for 15,607 records"
check_eq "$(jq -s '[.[] | .final] | (last == true) and (.[:-1] | all(. == false))' "$TMP/progress")" "true" \
  "only the last line is final"
check_eq "$(jq -s '[.[].records] | . == sort' "$TMP/progress")" "true" "records only grow"
check_eq "$(tail -n 1 "$TMP/progress" | jq -c '[.progress, .records, .total_records]')" '["exporting",15607,15607]' \
  "the final line counts every record against the total from the stream descriptions"
check_eq "$(jq -cs '[.[:-1][] | .eta_s | type] | unique' "$TMP/progress")" '["number"]' "every interval line has an ETA"
check_eq "$(jq -c '[.command, .ok, .exit_code, .streams, .records, .error]' "$TMP/export-report.json")" \
  '["export",true,0,11,15607,null]' "the export report"

uncompressed=$("$DECANT" inspect --json "$TMP/a.ndjson.zst" | jq .uncompressed_bytes)
archive_id=$("$DECANT" inspect --json "$TMP/a.ndjson.zst" | jq -r .header.archive_id)
run import "sqlite:$TMP/copy.sqlite" -i "$TMP/a.ndjson.zst" --progress json --progress-interval 0 \
  --report "$TMP/import-report.json"
check_rc 0 "import with JSON progress and a report"
grep '^{' "$TMP/err" >"$TMP/progress"
check_eq "$(tail -n 1 "$TMP/progress" | jq -c '[.progress, .final, .records, .bytes, .total_bytes]')" \
  "[\"importing\",true,15607,$uncompressed,$uncompressed]" "import progress totals come from the frame index"
check_eq "$(jq -c '[.command, .ok, .records, .bytes, .archive_id, (.streams | length), .options.txn]' \
  "$TMP/import-report.json")" "[\"import\",true,15607,$uncompressed,\"$archive_id\",11,\"single\"]" "the import report"
check_eq "$(jq -r '.streams[] | select(.name == "Track") | "\(.records) \(.matches_archive)"' "$TMP/import-report.json")" \
  "3503 true" "per-stream counts in the report"

# Failure: importing again hits the primary keys. The report says so; the exit status is the
# target's.
run import "sqlite:$TMP/copy.sqlite" -i "$TMP/a.ndjson.zst" -q --report "$TMP/failed-report.json"
check_rc 4 "a second import into the same tables fails"
check_eq "$(jq -c '[.ok, .exit_code, .error.side]' "$TMP/failed-report.json")" '[false,4,"target"]' \
  "the report of a failed import"
check_contains "$TMP/failed-report.json" "UNIQUE constraint failed" "the report carries the error message"
check_empty "$TMP/out" "nothing on stdout"

# A usage error is reported too: the report is where scripts look.
run import "nosuch:x" -i "$TMP/a.ndjson.zst" --report "$TMP/usage-report.json"
check_rc 2 "unknown target"
check_eq "$(jq -c '[.ok, .exit_code, .error.side]' "$TMP/usage-report.json")" '[false,2,"usage"]' "usage error report"
check_no_temp_files "$TMP" "reports are written atomically"

# Terminal progress: records, bytes, rate and ETA on one line redrawn with \r.
run export "sqlite:$TMP/chinook.sqlite" -o "$TMP/b.ndjson" --progress on --progress-interval 0
check_rc 0 "export with terminal progress"
check_contains "$TMP/err" "records/s" "the rate is shown"
check_contains "$TMP/err" "/15607 records" "the total is shown"
check_contains "$TMP/err" "ETA" "an ETA is shown"
check_eq "$(grep -c $'\r' "$TMP/err")" "1" "the progress line is redrawn in place"

finish
