#!/usr/bin/env bash
# Codec benchmark: ArchiveWriter/ArchiveReader throughput, plain and zstd, at two sizes (to show
# that peak RSS does not grow with the archive), plus the CLI baselines on the same file:
# zstd -1/-3 -T0, zstd -d, cat, jq -c . (100 MB slice). See bench/README.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SIZES=${SIZES:-"250 1000"}   # MB of uncompressed archive
BIG=${SIZES##* }
: > "$OUT/codec.jsonl"
: > "$OUT/codec-baselines.jsonl"
: > "$OUT/codec-sizes.jsonl"

wait_for_quiet
for mb in $SIZES; do
  plain=$DATA/codec-$mb.ndjson
  for level in 0 1 3; do
    if [ $level = 0 ]; then f=$plain; c=plain; else f=$DATA/codec-$mb.$level.ndjson.zst; c=zstd-$level; fi
    codec "write $c ${mb}MB" "$CODEC_BENCH" write "$f" --mb "$mb" --zstd $level --threads 0
    codec "read $c ${mb}MB" "$CODEC_BENCH" read "$f"
  done
done

# The "one core" read target: everything (for zstd: the decompression thread too) on CPU 0.
for level in 0 1 3; do
  if [ $level = 0 ]; then f=$DATA/codec-$BIG.ndjson; c=plain; else f=$DATA/codec-$BIG.$level.ndjson.zst; c=zstd-$level; fi
  codec "read $c ${BIG}MB 1core" taskset -c 0 "$CODEC_BENCH" read "$f"
  codec "drain $c ${BIG}MB 1core" taskset -c 0 "$CODEC_BENCH" read "$f" --stage drain
done

# Baselines on the same 1 GB file.
plain=$DATA/codec-$BIG.ndjson
size=$(stat -c %s "$plain")
B="$OUT/codec-baselines.jsonl"
measure "$B" "cat file > /dev/null" --bytes "$size" -- bash -c "exec cat '$plain' > /dev/null"
measure "$B" "zstd -1 -T0" --bytes "$size" -- bash -c "exec zstd -q -1 -T0 -c '$plain' > $DATA/zstd1.zst"
measure "$B" "zstd -3 -T0" --bytes "$size" -- bash -c "exec zstd -q -3 -T0 -c '$plain' > $DATA/zstd3.zst"
measure "$B" "zstd -d (zstd -1 file)" --bytes "$size" -- bash -c "exec zstd -q -d -c $DATA/zstd1.zst > /dev/null"
measure "$B" "zstd -d (decant zstd-1 file)" --bytes "$size" -- bash -c "exec zstd -q -d -c $DATA/codec-$BIG.1.ndjson.zst > /dev/null"
measure "$B" "zstd -d (decant zstd-3 file)" --bytes "$size" -- bash -c "exec zstd -q -d -c $DATA/codec-$BIG.3.ndjson.zst > /dev/null"
measure "$B" "zstd -d, 1 core (decant zstd-1 file)" --bytes "$size" -- bash -c "exec taskset -c 0 zstd -q -d -c $DATA/codec-$BIG.1.ndjson.zst > /dev/null"
# jq on a 100 MB archive of the same shape (a whole archive, so decant can read the same file).
"$CODEC_BENCH" write "$DATA/slice.ndjson" --mb 100 > /dev/null
slice=$(stat -c %s "$DATA/slice.ndjson")
lines=$(wc -l < "$DATA/slice.ndjson")
measure "$B" "jq -c . (100 MB archive)" --bytes "$slice" --rows "$lines" -- \
  bash -c "exec jq -c . '$DATA/slice.ndjson' > /dev/null"
measure "$B" "codec_bench read (same 100 MB archive)" --bytes "$slice" --rows "$lines" -- \
  bash -c "exec '$CODEC_BENCH' read '$DATA/slice.ndjson' > /dev/null"
for f in $DATA/codec-$BIG.1.ndjson.zst $DATA/codec-$BIG.3.ndjson.zst $DATA/zstd1.zst $DATA/zstd3.zst; do
  echo "{\"file\":\"$(basename "$f")\",\"bytes\":$(stat -c %s "$f")}" >> "$OUT/codec-sizes.jsonl"
done
rm -f "$DATA/zstd1.zst" "$DATA/zstd3.zst" "$DATA/slice.ndjson"
log "codec benchmark done: $OUT/codec.jsonl, $B"
[ "${KEEP_DATA:-0}" = 1 ] || rm -f "$DATA"/codec-*
