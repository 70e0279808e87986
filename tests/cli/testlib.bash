# Shared by the tests/cli/*.sh scripts (this file is not itself a test: ctest runs *.sh only).
# Usage at the top of a script:  source "$(dirname "$0")/testlib.bash" "$@"
# Gives: $DECANT, $DATA, $CHINOOK, $TMP (removed on exit), run, check_*, finish.
set -uo pipefail
# libmongoc, loaded with decant, keeps counters in /dev/shm/mongoc-PID; the SIGKILL tests leave
# such files behind, and a later decant given the same PID would warn on stderr (README).
export MONGOC_DISABLE_SHM=1

if (($# < 2)); then
  echo "usage: bash $0 /path/to/decant /path/to/tests/data [/path/to/servers]" >&2
  exit 2
fi
DECANT=$(realpath "$1")
DATA=$(realpath "$2")
SERVERS=${3:-}
CHINOOK=$DATA/chinook/Chinook_Sqlite.sqlite
TEST_NAME=$(basename "$0" .sh)
[[ -x $DECANT ]] || { echo "FAIL: $DECANT is not an executable" >&2; exit 1; }
[[ -f $CHINOOK ]] || { echo "FAIL: $CHINOOK is missing" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/decant-cli-$TEST_NAME.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

# use_server NAME: loads the settings of the running throwaway server NAME (its `export`
# lines), as started by tools/servers/NAME.sh for the fixture this script names in `# servers:`.
use_server() {
  local env=$SERVERS/$1/env
  [[ -n $SERVERS && -f $env ]] || { echo "FAIL: the $1 server is not running ($env missing)" >&2; exit 1; }
  source "$env"
}

# use_secantus: the shared SecantusDB (named in `# servers:`): $SECANTUS, its URI without the
# trailing slash, and `mongo SCRIPT [URI]`, which runs SCRIPT with `c`, a pymongo client of URI
# (default $SECANTUS).
use_secantus() {
  use_server secantus
  SECANTUS=${DECANT_TEST_SECANTUS_URI%/}
}
mongo() { "$ROOT/.venv/secantus/bin/python" -c "import pymongo; c = pymongo.MongoClient('${2:-$SECANTUS}'); $1"; }

checks=0
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { checks=$((checks + 1)); }

# run ARGS...: runs decant with stdin from /dev/null unless redirected by the caller;
# sets $rc, and leaves stdout in $TMP/out and stderr in $TMP/err.
run() {
  "$DECANT" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  LAST="decant $*"
}

show_last() {
  echo "  command: $LAST" >&2
  echo "  exit: $rc" >&2
  echo "  stdout: $(head -c 600 "$TMP/out" | cat -v)" >&2
  echo "  stderr: $(head -c 600 "$TMP/err" | cat -v)" >&2
}

# check_rc EXPECTED WHAT: the last run exited with EXPECTED.
check_rc() {
  checks=$((checks + 1))
  if [[ $rc != "$1" ]]; then
    fail "$2: expected exit $1, got $rc"
    show_last
  fi
}

# check_contains FILE TEXT WHAT
check_contains() {
  checks=$((checks + 1))
  if ! grep -qF -- "$2" "$1"; then
    fail "$3: expected $(basename "$1") to contain \"$2\""
    show_last
  fi
}

# check_empty FILE WHAT
check_empty() {
  checks=$((checks + 1))
  if [[ -s $1 ]]; then
    fail "$2: expected $(basename "$1") to be empty, it has $(wc -c <"$1") bytes: $(head -c 300 "$1" | cat -v)"
  fi
}

# check_absent PATH WHAT
check_absent() {
  checks=$((checks + 1))
  if [[ -e $1 ]]; then
    fail "$2: $1 should not exist"
  fi
}

# check_no_temp_files DIR WHAT: no *.decant-tmp-* file left behind in DIR.
check_no_temp_files() {
  checks=$((checks + 1))
  local left
  left=$(find "$1" -maxdepth 1 -name '*.decant-tmp-*' 2>/dev/null)
  if [[ -n $left ]]; then
    fail "$2: temporary files left behind: $left"
  fi
}

# check_eq ACTUAL EXPECTED WHAT
check_eq() {
  checks=$((checks + 1))
  if [[ "$1" != "$2" ]]; then
    fail "$3: expected \"$2\", got \"$1\""
  fi
}

# kill_after RECORDS ARGS...: runs `decant ARGS...` with JSON progress after every 1,024
# records and kills it with SIGKILL as soon as RECORDS records are done: a point in records, not
# in time, so that it lands inside the command however fast or loaded the machine is. Sets
# $killed_rc (137 when it was killed).
kill_after() {
  local records=$1 line
  shift
  coproc DECANT_KILLED { exec "$DECANT" "$@" --progress json --progress-interval 0 2>&1 >/dev/null; }
  local pid=$DECANT_KILLED_PID
  while IFS= read -r line <&"${DECANT_KILLED[0]}"; do
    if [[ $line =~ \"records\":([0-9]+) ]] && ((BASH_REMATCH[1] >= records)); then
      kill -9 "$pid"
      break
    fi
  done
  wait "$pid" 2>/dev/null
  killed_rc=$?
}

# act_after RECORDS ACTION ARGS...: runs `decant ARGS...` with JSON progress after every
# record, evaluates the shell ACTION once as soon as RECORDS records are done (a dropped
# connection, a server restart) and lets decant go on to its end. decant's stderr goes to
# $TMP/acted.err; sets $acted_rc.
act_after() {
  local records=$1 action=$2 line acted=0 out
  shift 2
  coproc DECANT_ACTED { exec "$DECANT" "$@" --progress json --progress-interval 0 2>&1 >/dev/null; }
  local pid=$DECANT_ACTED_PID
  # A copy of the coprocess's output: its own descriptors go when it exits.
  exec {out}<&"${DECANT_ACTED[0]}"
  : >"$TMP/acted.err"
  while IFS= read -r line <&"$out"; do
    echo "$line" >>"$TMP/acted.err"
    if ((!acted)) && [[ $line =~ \"records\":([0-9]+) ]] && ((BASH_REMATCH[1] >= records)); then
      eval "$action" || fail "act_after: $action failed"
      acted=1
    fi
  done
  wait "$pid"
  acted_rc=$?
  exec {out}<&-
}

finish() {
  if ((failures > 0)); then
    echo "$TEST_NAME: $failures of $checks checks FAILED" >&2
    exit 1
  fi
  echo "$TEST_NAME: all $checks checks passed"
  exit 0
}
