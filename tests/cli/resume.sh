#!/usr/bin/env bash
# --resume: an import in batch (or stream) mode killed with SIGKILL at 20 random points
# continues after the checkpoint its last commit left in the target; the result equals the
# archive (decant diff: counts and digests), nothing missing, nothing twice, and the checkpoint
# is gone. A resume in a later zstd frame seeks there by the frame index and decompresses only
# the frames from there on (counted in the report). The checkpoint of one archive is never
# resumed with another. Generated data: 150,000 rows, four zstd frames.
source "$(dirname "$0")/testlib.bash" "$@"

seed=${RESUME_SEED:-$RANDOM}
RANDOM=$seed
echo "resume: random seed $seed (RESUME_SEED=$seed reproduces the kill points)"

sqlite3 "$TMP/src.db" "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, v REAL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 120000)
  INSERT INTO t SELECT i, 'name-' || i || printf('%.*c', i % 50, 'x'), i * 0.5 FROM c;
CREATE INDEX t_name ON t (name);
CREATE TABLE u (k TEXT PRIMARY KEY, n INTEGER);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 30000) INSERT INTO u SELECT 'k' || i, i FROM c;"
"$DECANT" export -q "sqlite:$TMP/src.db" -o "$TMP/a.ndjson.zst" || fail "export"

random_point() { echo $(((RANDOM * 32768 + RANDOM) % 148000 + 1000)); }

points=20
seeks=0
for ((i = 0; i < points; i++)); do
  db=$TMP/target-$i.db
  txn=batch
  ((i >= points - 2)) && txn=stream
  at=$(random_point)
  kill_after "$at" import -q "sqlite:$db" -i "$TMP/a.ndjson.zst" --txn "$txn"
  check_eq "$killed_rc" "137" "point $i: the import was killed after $at records"
  if ((i == 2)); then
    kill_after "$(random_point)" import -q "sqlite:$db" -i "$TMP/a.ndjson.zst" --txn "$txn" --resume
    check_eq "$killed_rc" "137" "point $i: the resumed import was killed too"
  fi
  run import "sqlite:$db" -i "$TMP/a.ndjson.zst" --txn "$txn" --resume --report "$TMP/report-$i.json"
  check_rc 0 "resume after SIGKILL at record $at (point $i, --txn $txn)"
  cp "$TMP/err" "$TMP/err-$i"
  run diff "$TMP/a.ndjson.zst" "sqlite:$db"
  check_rc 0 "point $i: the target equals the archive"
  check_contains "$TMP/out" "equal: 2 streams" "point $i: counts and digests equal"
  check_eq "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE name = '_decant_checkpoint'")" "0" \
    "point $i: the checkpoint is removed at the end"
  check_eq "$(jq '.records' "$TMP/report-$i.json")" "150000" "point $i: resumed and new records add up"
  if [[ $(jq '.seek' "$TMP/report-$i.json") != null ]]; then
    seeks=$((seeks + 1))
    check_eq "$(jq '.zstd_frames_decompressed' "$TMP/report-$i.json")" \
      "$(jq '.seek.frames - .seek.frame' "$TMP/report-$i.json")" "point $i: only the frames from the seek on were decompressed"
    check_contains "$TMP/err-$i" "seeked to zstd frame" "point $i: the seek is announced"
  else
    check_eq "$(jq '.zstd_frames_decompressed' "$TMP/report-$i.json")" "$(jq '.zstd_frames' <("$DECANT" inspect --json "$TMP/a.ndjson.zst"))" \
      "point $i: a resume in the first frame reads the whole archive"
  fi
done
((seeks > 0)) || fail "no resume seeked (seed $seed): the kill points all fell in the first frame"

# A resume at the archive's last frame skips every frame before it.
kill_after 145000 import -q "sqlite:$TMP/late.db" -i "$TMP/a.ndjson.zst" --txn batch
run import "sqlite:$TMP/late.db" -i "$TMP/a.ndjson.zst" --txn batch --resume --report "$TMP/late.json"
check_rc 0 "resume near the end"
check_eq "$(jq '.seek.frame + 1 == .seek.frames and .zstd_frames_decompressed == 1' "$TMP/late.json")" "true" \
  "resume near the end decompresses the last frame only"
run diff "$TMP/a.ndjson.zst" "sqlite:$TMP/late.db"
check_rc 0 "resume near the end: the target equals the archive"

# A checkpoint of another archive is refused, and the target is left as it was.
kill_after 75000 import -q "sqlite:$TMP/other.db" -i "$TMP/a.ndjson.zst" --txn batch
before=$(sqlite3 "$TMP/other.db" "SELECT count(*) FROM t")
check_eq "$(sqlite3 "$TMP/other.db" "SELECT count(*) FROM _decant_checkpoint")" "1" "a checkpoint was left"
"$DECANT" export -q "sqlite:$TMP/src.db" -o "$TMP/b.ndjson.zst" || fail "second export"
run import "sqlite:$TMP/other.db" -i "$TMP/b.ndjson.zst" --txn batch --resume
check_rc 2 "resuming with another archive"
check_contains "$TMP/err" "belongs to archive" "the refusal names the archives"
check_eq "$(sqlite3 "$TMP/other.db" "SELECT count(*) FROM t")" "$before" "nothing was written"

# An archive whose frame index is another archive's (same sizes, other archive_id) is refused
# before seeking: the index's copy of the header must be the archive's own first line.
python3 - "$TMP/a.ndjson.zst" "$TMP/b.ndjson.zst" "$TMP/c.ndjson.zst" <<'PY'
import sys
a, b = (open(p, 'rb').read() for p in sys.argv[1:3])
magic = bytes.fromhex('5d2a4d18')
ia, ib = a.rindex(magic), b.rindex(magic)
size = lambda data, at: 8 + int.from_bytes(data[at + 4:at + 8], 'little')
assert size(a, ia) == size(b, ib), 'the index frames differ in size'
open(sys.argv[3], 'wb').write(a[:ia] + b[ib:ib + size(b, ib)] + a[ia + size(a, ia):])
PY
run import "sqlite:$TMP/other.db" -i "$TMP/c.ndjson.zst" --txn batch --resume
check_rc 5 "resuming with a frame index of another archive"
check_contains "$TMP/err" "the frame index's header differs from the archive's first line" "the refusal says why"
check_eq "$(sqlite3 "$TMP/other.db" "SELECT count(*) FROM t")" "$before" "nothing was written"

run import "sqlite:$TMP/x.db" -i "$TMP/a.ndjson.zst" --resume --drop
check_rc 2 "--resume with --drop"
finish
