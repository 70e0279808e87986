#!/usr/bin/env bash
# Installs everything decant needs to build, from Debian 12 packages; with --test, also what
# the tests need: the servers' packages and the Python environments of tools/python/; with
# --fuzz, also clang and libFuzzer for tools/fuzz.sh.
# Idempotent: when everything is already installed it does nothing (no network needed).
# Runs apt as root, or through sudo when not root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for_tests=false
for_fuzz=false
case "${1:-}" in
  --test) for_tests=true ;;
  --fuzz) for_fuzz=true ;;
  "") ;;
  *) echo "usage: $0 [--test | --fuzz]" >&2; exit 2 ;;
esac

# One package per line: add a backend's build packages here.
packages=(
  build-essential      # g++ 12, make
  cmake
  ninja-build
  pkg-config
  libsimdjson-dev
  nlohmann-json3-dev
  libzstd-dev
  libxxhash-dev
  libsqlite3-dev
  libpq-dev            # the PostgreSQL backend's client library
  zlib1g-dev           # lightrag: nano-vectordb's zlib-compressed float16 vectors
  libxml2-dev          # lightrag: GraphML read with libxml2's streaming xmlTextReader
  libhiredis-dev       # the Redis backend (hiredis 0.14)
  libmongoc-dev        # the MongoDB backend (mongo-c-driver 1.23)
  libbson-dev          # BSON values for the MongoDB backend (libbson 1.23)
  libcli11-dev
  libgtest-dev
  libgmock-dev
  sqlite3              # tests build fixtures with the sqlite3 shell
  jq                   # tests and README pipe archives through jq
  zstd                 # tests check `zstd -dc archive | ...`
  bsdutils             # `script`, used by tests to give decant a terminal
)
# What only the tests need: one package per line.
test_packages=(
  redis-server         # tools/servers/redis.sh: a throwaway server for the Redis tests
  redis-tools          # redis-cli: readiness checks and the bench baseline
  postgresql-15        # tools/servers/postgres.sh: a throwaway PostgreSQL 15 for its tests
  postgresql-client-15 # psql and pg_dump: fixtures and direct comparisons in the PostgreSQL tests
  python3-venv         # tools/setup-python.sh: virtual environments for PyPI test tools
  openjdk-17-jdk-headless # tools/servers/mongo-java.sh: runs mongo-java-server, compiles its launcher
  maven                # resolves mongo-java-server's jars from tools/mongo-java/pom.xml at setup
)
# What only tools/fuzz.sh needs (the sanitizer build of tools/test.sh uses g++'s own).
fuzz_packages=(
  clang-14             # libFuzzer targets are built with clang
  libclang-rt-14-dev   # libFuzzer and the sanitizer runtimes for clang
)
$for_tests && packages+=("${test_packages[@]}")
$for_fuzz && packages+=("${fuzz_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# mongo-java-server's jars (into ~/.m2) and our launcher class, into .venv/mongo-java; redone
# only when tools/mongo-java/ changes, so the tests never download.
mongo_java_environment() {
  local dir=.venv/mongo-java stamp
  stamp=$(cat tools/mongo-java/pom.xml tools/mongo-java/*.java | sha256sum | cut -d' ' -f1)
  if [[ -f $dir/.stamp && $(<"$dir/.stamp") == "$stamp" ]]; then
    echo "setup: $dir is up to date" >&2
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$dir/classes"
  mvn -q -B -f tools/mongo-java/pom.xml dependency:build-classpath -Dmdep.outputFile="$PWD/$dir/classpath.txt"
  javac -d "$dir/classes" -cp "$(<"$dir/classpath.txt")" tools/mongo-java/*.java
  echo "$stamp" >"$dir/.stamp"
}

test_environments() {
  if $for_tests; then
    bash tools/setup-python.sh
    mongo_java_environment
  fi
}

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages are installed" >&2
  test_environments
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and not root, and sudo is not available" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=300)
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}"
echo "setup: done" >&2
test_environments
