#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test (unit, round trip, CLI) with ctest; then
# builds build-asan/ with AddressSanitizer and UndefinedBehaviorSanitizer (DECANT_SANITIZE) and
# runs the tests that need no server there: the unit tests, the SQLite round trips and the
# replay of the fuzz regression inputs. SANITIZE=0 skips that second part. The exit status is
# non-zero when either run fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh --test
bash tools/build.sh
status=0
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${CTEST_JOBS:-2}" || status=$?

if [[ ${SANITIZE:-1} != 0 ]]; then
  asan_dir=${ASAN_BUILD_DIR:-build-asan}
  # -O1 with assertions: builds in half the time of -O2 and keeps the sanitizers' reports exact.
  cmake -S . -B "$asan_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DDECANT_SANITIZE=ON
  cmake --build "$asan_dir" -j "$(nproc)"
  # Any finding aborts the process that made it (-fno-sanitize-recover), so the test fails.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    ctest --test-dir "$asan_dir" --output-on-failure -j "${CTEST_JOBS:-2}" || status=$?
fi
exit $status
