#!/usr/bin/env bash
# A throwaway PostgreSQL 15 (Debian's postgresql-15) on a random loopback port: a fresh cluster
# made by initdb with trust authentication, fsync off (test data need no durability).
# Usage: bash tools/servers/postgres.sh start|stop DIR   (see tools/servers/lib.bash)
# env: DECANT_TEST_PG_URI=postgres://postgres@127.0.0.1:PORT/postgres, DECANT_TEST_PG_PORT,
#      DECANT_TEST_PG_HOST, DECANT_TEST_PG_SOCKET_DIR (the unix socket), DECANT_TEST_PG_BIN
#      (the directory of psql, pg_dump and the server programs)
SERVER_NAME=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

PG_BIN=${DECANT_PG_BIN:-/usr/lib/postgresql/15/bin}

# The server refuses to run as root: root runs it as the `postgres` user the package creates.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The cluster lives in a short /tmp directory of its own rather than under DIR: DIR may sit
# where the postgres user cannot reach, and a unix socket path must stay under ~107 bytes.
cluster_dir() { [[ -f $SERVER_DIR/cluster ]] && cat "$SERVER_DIR/cluster"; }

server_start() {
  [[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || server_die "PostgreSQL 15 is not installed in $PG_BIN (run tools/setup.sh --test)"
  local cluster
  cluster=$(cluster_dir || true)
  [[ -n $cluster ]] && stop_cluster "$cluster"
  cluster=$(mktemp -d /tmp/decant-pg.XXXXXX)
  echo "$cluster" >"$SERVER_DIR/cluster"
  # mktemp makes a 0700 directory the postgres user could not enter.
  chmod 0755 "$cluster"
  mkdir "$cluster/data" "$cluster/sock"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$cluster/data" "$cluster/sock"
  : >"$cluster/log"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$cluster/log"
  ln -sfn "$cluster/log" "$SERVER_DIR/log"

  as_owner "$PG_BIN/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    </dev/null >>"$cluster/log" 2>&1 || server_die "initdb failed"

  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    # pg_ctl redirects the server's output to the log, so no descriptor of ours (a ctest pipe)
    # stays open in the daemon.
    if as_owner "$PG_BIN/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w -t 30 \
         -o "-p $port -k $cluster/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
         start </dev/null >&2; then
      head -n 1 "$cluster/data/postmaster.pid" >"$SERVER_DIR/pid"
      write_env "DECANT_TEST_PG_URI=postgres://postgres@127.0.0.1:$port/postgres" "DECANT_TEST_PG_PORT=$port" \
        "DECANT_TEST_PG_HOST=127.0.0.1" "DECANT_TEST_PG_SOCKET_DIR=$cluster/sock" "DECANT_TEST_PG_BIN=$PG_BIN"
      return 0
    fi
  done
  server_die "postgres did not start"
}

# Stops the cluster in CLUSTER by its postmaster PID (pg_ctl reads it from postmaster.pid)
# and removes the directory.
stop_cluster() {
  local cluster=$1
  if [[ -f $cluster/data/postmaster.pid ]]; then
    as_owner "$PG_BIN/pg_ctl" -D "$cluster/data" -m fast -w -t 30 stop </dev/null >&2 || stop_pidfile "$SERVER_DIR/pid"
  fi
  rm -f "$SERVER_DIR/pid"
  rm -rf "$cluster"
}

server_stop() {
  local cluster
  cluster=$(cluster_dir || true)
  [[ -n $cluster ]] && stop_cluster "$cluster"
  rm -f "$SERVER_DIR/cluster"
}

server_main "$@"
