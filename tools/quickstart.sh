#!/usr/bin/env bash
# Installs what is needed, builds decant, and runs a real migration on the embedded default:
# the Chinook sample SQLite database is exported to a compressed archive, inspected, verified,
# imported into a new SQLite file, and the two databases are diffed (they must be equal).
# The files stay in build/quickstart/ (QUICKSTART_DIR overrides); a re-run starts afresh.
set -Eeuo pipefail
current=""
trap 'echo "quickstart: FAILED (exit $?): ${current:-$BASH_COMMAND}" >&2' ERR
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)

bash tools/setup.sh
bash tools/build.sh

decant=$(cd "${BUILD_DIR:-build}" && pwd)/decant
work=${QUICKSTART_DIR:-$repo/build/quickstart}
mkdir -p "$work"
work=$(cd "$work" && pwd)
rm -f "$work/Chinook.sqlite" "$work/chinook.ndjson.zst" "$work/chinook-copy.sqlite"
cp tests/data/chinook/Chinook_Sqlite.sqlite "$work/Chinook.sqlite"

step() {
  current="$*"
  echo >&2
  echo "+ $*" >&2
  "$@"
}

cd "$work"
step "$decant" export sqlite:Chinook.sqlite -o chinook.ndjson.zst
step "$decant" inspect chinook.ndjson.zst
step "$decant" verify chinook.ndjson.zst
step "$decant" import sqlite:chinook-copy.sqlite -i chinook.ndjson.zst
step "$decant" diff sqlite:Chinook.sqlite sqlite:chinook-copy.sqlite   # exit 1 if they differ

cat >&2 <<MSG

quickstart: the copy is equal to the original.
  decant       $decant
  original     $work/Chinook.sqlite
  archive      $work/chinook.ndjson.zst   (try: zstd -dc $work/chinook.ndjson.zst | head -3)
  copy         $work/chinook-copy.sqlite
MSG
