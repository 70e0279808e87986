# Shared helpers for the benchmark scripts (sourced, not run). See bench/README.md.
# Every measurement appends one JSON line to a .jsonl file under $OUT; summarize.py turns
# those into the tables of RESULTS.md.

: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${BUILD:=$ROOT/build-bench}"
: "${OUT:=$BUILD/bench-out}"     # raw outputs; /build* is gitignored
: "${DATA:=/tmp/decant-bench}"   # big data files; deleted by run.sh at the end unless KEEP_DATA=1
: "${RUNS:=3}"
DECANT="$BUILD/decant"
CODEC_BENCH="$BUILD/bench/codec_bench"
mkdir -p "$OUT" "$DATA"

load1() { cut -d' ' -f1 /proc/loadavg; }

log() { echo "[$(date +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)] $*" >&2; }

# Refuses to start while the machine is busy, unless IGNORE_LOAD=1: other builds on the two
# cores make every number meaningless. Waits up to WAIT_LOAD seconds for the 1-min load to fall.
wait_for_quiet() {
  [ "${IGNORE_LOAD:-0}" = 1 ] && return 0
  local waited=0 max="${WAIT_LOAD:-900}" limit="${MAX_LOAD:-0.8}"
  while awk -v l="$(load1)" -v m="$limit" 'BEGIN{exit !(l>m)}'; do
    if [ "$waited" -ge "$max" ]; then log "load still above $limit after ${max}s; measuring anyway (noted in the output)"; return 0; fi
    [ $((waited % 60)) = 0 ] && log "waiting for load <= $limit"
    sleep 10; waited=$((waited + 10))
  done
}

# measure FILE LABEL [--prepare 'cmd'] [--bytes N] [--rows N] -- command args...
# Runs the command $RUNS times under /usr/bin/time (wall, user, sys, max RSS), running the
# prepare command (untimed) before each run, and appends one JSON line per run to FILE.
# RUN_NUMBER offsets the run numbers (for runs interleaved with other commands, one at a time).
measure() {
  local file=$1 label=$2; shift 2
  local prepare="" bytes=0 rows=0
  while [ "$1" != "--" ]; do
    case $1 in
      --prepare) prepare=$2; shift 2 ;;
      --bytes) bytes=$2; shift 2 ;;
      --rows) rows=$2; shift 2 ;;
      *) echo "measure: bad option $1" >&2; return 2 ;;
    esac
  done
  shift
  local i t
  for i in $(seq 1 "$RUNS"); do
    [ -n "$prepare" ] && bash -c "$prepare"
    sync
    local load; load=$(load1)
    t=$(mktemp)
    if ! /usr/bin/time -f '%e %U %S %M' -o "$t" "$@"; then
      log "FAILED: $label: $*"; cat "$t" >&2; rm -f "$t"; return 1
    fi
    read -r wall user sys rss < <(tail -1 "$t")
    rm -f "$t"
    printf '{"label":"%s","run":%d,"wall":%s,"user":%s,"sys":%s,"maxrss_kb":%s,"bytes":%s,"rows":%s,"load1":%s}\n' \
      "$label" "$((${RUN_NUMBER:-0} + i))" "$wall" "$user" "$sys" "$rss" "$bytes" "$rows" "$load" >> "$file"
    log "$label run $i: ${wall}s rss ${rss}KB"
  done
}

# codec LABEL codec_bench args... : runs codec_bench $RUNS times, tagging its JSON lines.
codec() {
  local label=$1; shift
  local i line load
  for i in $(seq 1 "$RUNS"); do
    sync
    load=$(load1)
    line=$("$@") || { log "FAILED: $label: $*"; return 1; }
    echo "${line%\}},\"label\":\"$label\",\"run\":$i,\"load1\":$load}" >> "$OUT/codec.jsonl"
    log "$label run $i: $line"
  done
}

