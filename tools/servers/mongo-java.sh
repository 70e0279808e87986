#!/usr/bin/env bash
# A throwaway mongo-java-server (in-memory backend; a second, independent MongoDB-wire
# implementation, without transactions) on a random loopback port. Its jars are resolved from
# tools/mongo-java/pom.xml and our launcher tools/mongo-java/DecantMongoJavaServer.java is
# compiled by tools/setup.sh --test into .venv/mongo-java; nothing is downloaded here. The
# launcher binds 127.0.0.1 port 0 and writes the port the kernel chose to DIR/port.
# Usage: bash tools/servers/mongo-java.sh start|stop DIR   (see tools/servers/lib.bash)
# env: DECANT_TEST_MONGO_JAVA_URI=mongodb://127.0.0.1:PORT/, DECANT_TEST_MONGO_JAVA_PORT
SERVER_NAME=mongo-java
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOL=$ROOT/.venv/mongo-java

port_listening() { [[ -s $SERVER_DIR/port ]] && (exec 3<>"/dev/tcp/127.0.0.1/$(<"$SERVER_DIR/port")") 2>/dev/null; }

server_start() {
  [[ -f $TOOL/classpath.txt && -f $TOOL/classes/DecantMongoJavaServer.class ]] ||
    server_die "no .venv/mongo-java (run tools/setup.sh --test)"
  command -v java >/dev/null || server_die "java is not installed (run tools/setup.sh --test)"
  rm -f "$SERVER_DIR/port"
  setsid java -Xmx2g -cp "$TOOL/classes:$(<"$TOOL/classpath.txt")" DecantMongoJavaServer "$SERVER_DIR/port" \
    </dev/null >>"$SERVER_DIR/log" 2>&1 &
  echo $! >"$SERVER_DIR/pid"
  wait_until 60 port_listening || { stop_pidfile "$SERVER_DIR/pid"; server_die "mongo-java-server did not start"; }
  local port
  port=$(<"$SERVER_DIR/port")
  write_env "DECANT_TEST_MONGO_JAVA_URI=mongodb://127.0.0.1:$port/" "DECANT_TEST_MONGO_JAVA_PORT=$port"
}

server_stop() { stop_pidfile "$SERVER_DIR/pid"; }

server_main "$@"
