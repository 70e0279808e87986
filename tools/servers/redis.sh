#!/usr/bin/env bash
# A throwaway Redis (Debian's redis-server) on a random loopback port, no persistence unless
# DECANT_REDIS_APPENDONLY=yes at start (an append-only file fsynced on every write, under DIR,
# so that data survive `restart`; without it a restart empties the server).
# Usage: bash tools/servers/redis.sh start|stop|restart DIR   (see tools/servers/lib.bash)
# env: DECANT_TEST_REDIS_URL=redis://127.0.0.1:PORT/0, DECANT_TEST_REDIS_PORT
SERVER_NAME=redis
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

# launch PORT: starts redis-server on PORT with the persistence recorded in DIR/appendonly and
# waits until it answers (PONG, not LOADING: an append-only file is replayed first).
launch() {
  local port=$1 appendonly
  appendonly=$(<"$SERVER_DIR/appendonly")
  rm -f "$SERVER_DIR/pid"
  # 40 databases, each test its own so that parallel tests never flush each other's: 0-15 the
  # Redis round trips, 20-23 the LightRAG layout tests, 24 resume_redis.sh, 25 dry_run.sh,
  # 26-28 migrate.sh, 29 lightrag_postgres.sh, 30-32 rejects_redis.sh.
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$SERVER_DIR/pid" --databases 40 \
    --dir "$SERVER_DIR" --save "" --appendonly "$appendonly" --appendfsync always --logfile "$SERVER_DIR/log" \
    </dev/null >&2 || true
  wait_until 10 bash -c "redis-cli -h 127.0.0.1 -p $port ping | grep -qx PONG"
}

server_start() {
  command -v redis-server >/dev/null || server_die "redis-server is not installed (run tools/setup.sh)"
  local port attempt
  [[ ${DECANT_REDIS_APPENDONLY:-no} == yes ]] && echo yes >"$SERVER_DIR/appendonly" || echo no >"$SERVER_DIR/appendonly"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    if launch "$port"; then
      echo "$port" >"$SERVER_DIR/port"
      write_env "DECANT_TEST_REDIS_URL=redis://127.0.0.1:$port/0" "DECANT_TEST_REDIS_PORT=$port"
      return 0
    fi
    stop_pidfile "$SERVER_DIR/pid"
  done
  server_die "redis-server did not start"
}

server_stop() { stop_pidfile "$SERVER_DIR/pid"; }

# The same server stopped by its PID and started again on its port and directory.
server_restart() {
  [[ -f $SERVER_DIR/port ]] || server_die "no server was started in $SERVER_DIR"
  stop_pidfile "$SERVER_DIR/pid"
  launch "$(<"$SERVER_DIR/port")" || server_die "redis-server did not start again on port $(<"$SERVER_DIR/port")"
}
server_restart_usage="|restart"

server_main "$@"
