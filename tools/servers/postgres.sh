#!/usr/bin/env bash
# A throwaway PostgreSQL 15 (Debian's postgresql-15) on a random loopback port.
# Usage: bash tools/servers/postgres.sh start|stop|restart DIR   (see tools/servers/lib.bash)
# env: DECANT_TEST_PG_URI=postgres://postgres@127.0.0.1:PORT/postgres, DECANT_TEST_PG_PORT,
#      DECANT_TEST_PG_HOST, DECANT_TEST_PG_SOCKET_DIR, DECANT_TEST_PG_BIN (see pg_cluster.bash)
SERVER_NAME=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
source "$(dirname "${BASH_SOURCE[0]}")/pg_cluster.bash"

PG_BIN=/usr/lib/postgresql/15/bin
ENV_PREFIX=DECANT_TEST_PG

server_start() { pg_cluster_start; }
server_stop() { pg_cluster_stop; }
server_restart() { pg_cluster_restart; }
server_restart_usage="|restart"

server_main "$@"
