#!/usr/bin/env bash
# Configures and builds decant into build/ (RelWithDebInfo, Ninja). Idempotent: a second run
# only rebuilds what changed. BUILD_DIR and BUILD_TYPE override the defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-RelWithDebInfo}

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
cmake --build "$build_dir" -j "$(nproc)"
echo "build: $(pwd)/$build_dir/decant" >&2
