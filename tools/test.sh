#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (unit, round trip, CLI) with ctest.
# The exit status is ctest's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh --test
bash tools/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${CTEST_JOBS:-2}"
