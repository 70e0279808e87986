#!/usr/bin/env bash
# Creates or refreshes the Python virtual environment .venv/NAME from tools/python/NAME.txt
# (exact pins), for the test servers and tools that come from PyPI. Idempotent: it does
# nothing when the environment was built from the same requirements file.
# Usage: bash tools/setup-python.sh NAME...   (no NAME: every tools/python/*.txt)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

names=("$@")
if ((${#names[@]} == 0)); then
  for f in tools/python/*.txt; do
    [[ -e $f ]] && names+=("$(basename "$f" .txt)")
  done
fi

for name in "${names[@]}"; do
  requirements=tools/python/$name.txt
  venv=.venv/$name
  [[ -f $requirements ]] || { echo "setup-python: no $requirements" >&2; exit 1; }
  stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ -x $venv/bin/python && -f $venv/.requirements-sha256 && $(<"$venv/.requirements-sha256") == "$stamp" ]]; then
    echo "setup-python: $venv is up to date" >&2
    continue
  fi
  echo "setup-python: building $venv from $requirements" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$requirements"
  echo "$stamp" >"$venv/.requirements-sha256"
done
