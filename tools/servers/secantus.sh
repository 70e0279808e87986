#!/usr/bin/env bash
# A throwaway SecantusDB (a single-node MongoDB-wire server in Python on WiredTiger, pinned in
# tools/python/secantus.txt, installed into .venv/secantus by tools/setup.sh --test) on a
# random loopback port, its data under DIR. It supports multi-document transactions.
# Usage: bash tools/servers/secantus.sh start|stop|restart DIR   (see tools/servers/lib.bash;
# restart: SIGTERM, then the same port and storage path again, so committed data survive)
# env: DECANT_TEST_SECANTUS_URI=mongodb://127.0.0.1:PORT/, DECANT_TEST_SECANTUS_PORT
SERVER_NAME=secantus
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=$ROOT/.venv/secantus/bin/python

# Answers `ping` on PORT (a listening socket alone comes before the server is ready).
secantus_ping() {
  "$PY" -c 'import sys, pymongo
pymongo.MongoClient("127.0.0.1", int(sys.argv[1]), serverSelectionTimeoutMS=1000).admin.command("ping")' "$1"
}

# launch PORT: starts the server on PORT over DIR/data as it stands and waits until it answers.
launch() {
  setsid "$PY" -m secantus --config "$SERVER_DIR/secantusd.toml" --host 127.0.0.1 --port "$1" \
    --storage-path "$SERVER_DIR/data" --log-level WARNING </dev/null >>"$SERVER_DIR/log" 2>&1 &
  echo $! >"$SERVER_DIR/pid"
  wait_until 60 secantus_ping "$1"
}

server_start() {
  [[ -x $PY ]] || server_die "no .venv/secantus (run tools/setup.sh --test)"
  local port attempt
  # An empty config file: otherwise it reads ./secantusd.toml or ~/.secantus/secantusd.toml.
  : >"$SERVER_DIR/secantusd.toml"
  for attempt in 1 2 3; do
    port=$(free_port)
    rm -rf "$SERVER_DIR/data"
    if launch "$port"; then
      echo "$port" >"$SERVER_DIR/port"
      write_env "DECANT_TEST_SECANTUS_URI=mongodb://127.0.0.1:$port/" "DECANT_TEST_SECANTUS_PORT=$port"
      return 0
    fi
    stop_pidfile "$SERVER_DIR/pid"
  done
  server_die "SecantusDB did not start"
}

server_stop() { stop_pidfile "$SERVER_DIR/pid" 20; }

# The same server stopped by its PID (SIGTERM: WiredTiger closes cleanly) and started again on
# its port and storage path.
server_restart() {
  [[ -f $SERVER_DIR/port ]] || server_die "no server was started in $SERVER_DIR"
  stop_pidfile "$SERVER_DIR/pid" 20
  launch "$(<"$SERVER_DIR/port")" || server_die "SecantusDB did not start again on port $(<"$SERVER_DIR/port")"
}
server_restart_usage="|restart"

server_main "$@"
