#!/usr/bin/env bash
# A throwaway Redis (Debian's redis-server) on a random loopback port, no persistence.
# Usage: bash tools/servers/redis.sh start|stop DIR   (see tools/servers/lib.bash)
# env: DECANT_TEST_REDIS_URL=redis://127.0.0.1:PORT/0, DECANT_TEST_REDIS_PORT
SERVER_NAME=redis
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

server_start() {
  command -v redis-server >/dev/null || server_die "redis-server is not installed (run tools/setup.sh)"
  local port attempt
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    rm -f "$SERVER_DIR/pid"
    # 32 databases, each test its own so that parallel tests never flush each other's: 0-15 the
    # Redis round trips, 20-23 the LightRAG layout tests, 24 resume_redis.sh, 25 dry_run.sh,
    # 26-28 migrate.sh, 29 lightrag_postgres.sh.
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --pidfile "$SERVER_DIR/pid" --databases 32 \
      --dir "$SERVER_DIR" --save "" --appendonly no --logfile "$SERVER_DIR/log" </dev/null >&2 || true
    if wait_until 10 redis-cli -h 127.0.0.1 -p "$port" ping; then
      write_env "DECANT_TEST_REDIS_URL=redis://127.0.0.1:$port/0" "DECANT_TEST_REDIS_PORT=$port"
      return 0
    fi
    stop_pidfile "$SERVER_DIR/pid"
  done
  server_die "redis-server did not start"
}

server_stop() { stop_pidfile "$SERVER_DIR/pid"; }

server_main "$@"
