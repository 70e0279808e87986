# Shared by the CLI tests that let LightRAG itself write and read (tests/cli/lightrag_*.sh),
# sourced after testlib.bash: `lightrag ARGS...` runs lightrag_fixture.py with LightRAG's pinned
# virtual environment (its last line is "N passed, M failed"), `check_lightrag WHAT` checks it.
PY=$ROOT/.venv/lightrag/bin/python
FIXTURE=$ROOT/tests/lightrag/lightrag_fixture.py
if [[ ! -x $PY ]]; then
  echo "FAIL: $PY is missing: run tools/setup.sh --test (or bash tools/setup-python.sh lightrag)" >&2
  exit 1
fi

lightrag() {
  "$PY" "$FIXTURE" "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  LAST="lightrag_fixture.py $*"
}
check_lightrag() {
  check_rc 0 "$1"
  ((rc == 0)) || { cat "$TMP/out" >&2; tail -n 5 "$TMP/err" >&2; }
}
