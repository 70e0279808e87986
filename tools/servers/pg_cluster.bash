# Shared by postgres.sh and pgvector.sh (sourced after lib.bash, not run): a throwaway
# PostgreSQL cluster made by initdb with trust authentication, fsync off (test data need no
# durability), on a random loopback port, stopped by PID with `pg_ctl -m fast stop`.
#
# The caller sets PG_BIN (the server programs) and ENV_PREFIX (e.g. DECANT_TEST_PG), then
# calls pg_cluster_start [SQL run in template1 and postgres once up] / pg_cluster_stop. The env
# written: ${ENV_PREFIX}_URI=postgres://postgres@127.0.0.1:PORT/postgres, _PORT, _HOST,
# _SOCKET_DIR (the unix socket's directory), _BIN (PG_BIN, for psql and pg_dump).

# The server refuses to run as root: root runs it as the `postgres` user of Debian's
# postgresql-common package.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The cluster lives in a short /tmp directory of its own rather than under DIR: DIR may sit
# where the postgres user cannot reach, and a unix socket path must stay under ~107 bytes.
cluster_dir() { [[ -f $SERVER_DIR/cluster ]] && cat "$SERVER_DIR/cluster"; }

pg_cluster_start() {
  local setup_sql=${1:-}
  [[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || server_die "no PostgreSQL server programs in $PG_BIN (run tools/setup.sh --test)"
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    server_die "running as root needs the postgres user (package postgresql-common, run tools/setup.sh --test)"
  fi
  local cluster
  cluster=$(cluster_dir || true)
  [[ -n $cluster ]] && stop_cluster "$cluster"
  cluster=$(mktemp -d /tmp/decant-pg.XXXXXX)
  echo "$cluster" >"$SERVER_DIR/cluster"
  # mktemp makes a 0700 directory that the postgres user could not enter.
  chmod 0755 "$cluster"
  mkdir "$cluster/data" "$cluster/sock"
  : >"$cluster/log"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$cluster/data" "$cluster/sock" "$cluster/log"
  ln -sfn "$cluster/log" "$SERVER_DIR/log"

  as_owner "$PG_BIN/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    </dev/null >>"$cluster/log" 2>&1 || server_die "initdb failed"

  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if postmaster_start "$cluster" "$port"; then
      if [[ -n $setup_sql ]]; then
        local db
        for db in template1 postgres; do
          "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$cluster/sock" -p "$port" -U postgres -d "$db" \
            -c "$setup_sql" </dev/null >&2 || server_die "setting up database $db failed"
        done
      fi
      write_env "${ENV_PREFIX}_URI=postgres://postgres@127.0.0.1:$port/postgres" "${ENV_PREFIX}_PORT=$port" \
        "${ENV_PREFIX}_HOST=127.0.0.1" "${ENV_PREFIX}_SOCKET_DIR=$cluster/sock" "${ENV_PREFIX}_BIN=$PG_BIN"
      return 0
    fi
  done
  server_die "postgres did not start"
}

# postmaster_start CLUSTER PORT: starts the server of CLUSTER on PORT and records its PID.
postmaster_start() {
  local cluster=$1 port=$2
  # pg_ctl sends the server's output to the log, so no descriptor of ours (a ctest pipe)
  # stays open in the daemon.
  as_owner "$PG_BIN/pg_ctl" -D "$cluster/data" -l "$cluster/log" -w -t 30 \
    -o "-p $port -k $cluster/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start </dev/null >&2 || return 1
  head -n 1 "$cluster/data/postmaster.pid" >"$SERVER_DIR/pid"
  echo "$port" >"$SERVER_DIR/port"
}

# For the tests of reconnecting: stops the running server by its PID (SIGINT, PostgreSQL's
# fast shutdown: sessions are cut off) and starts it again on the same port and data.
pg_cluster_restart() {
  local cluster pid
  cluster=$(cluster_dir) || server_die "no cluster to restart"
  pid=$(<"$SERVER_DIR/pid")
  kill -INT "$pid"
  wait_until 30 bash -c "! [[ -r /proc/$pid/stat ]] || [[ \$(awk '{print \$3}' /proc/$pid/stat) == Z ]]" ||
    server_die "postgres (pid $pid) did not stop"
  postmaster_start "$cluster" "$(<"$SERVER_DIR/port")" || server_die "postgres did not start again"
}

# Stops the cluster in CLUSTER by its postmaster's PID (pg_ctl reads postmaster.pid) and
# removes the directory.
stop_cluster() {
  local cluster=$1
  if [[ -f $cluster/data/postmaster.pid ]]; then
    as_owner "$PG_BIN/pg_ctl" -D "$cluster/data" -m fast -w -t 30 stop </dev/null >&2 || stop_pidfile "$SERVER_DIR/pid"
  fi
  rm -f "$SERVER_DIR/pid"
  rm -rf "$cluster"
}

pg_cluster_stop() {
  local cluster
  cluster=$(cluster_dir || true)
  [[ -n $cluster ]] && stop_cluster "$cluster"
  rm -f "$SERVER_DIR/cluster"
}
