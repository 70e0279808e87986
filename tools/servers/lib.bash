# Shared by the throwaway-server scripts in tools/servers/ (sourced, not run).
#
# Every script takes `start DIR` or `stop DIR` (some also `restart DIR`: the same server stopped
# by its PID and started again on its port and data). `start` brings the server up on a random free
# loopback port with all of its state under DIR (idempotent: a running server is kept), writes
# DIR/env as `export KEY='value'` lines and prints them on stdout. `stop` ends the server by
# the PID recorded in DIR/pid (never by name) and removes DIR; it succeeds when nothing runs.
# Logs go to DIR/log and to stderr; nothing reads stdin.
set -euo pipefail

server_die() {
  echo "$SERVER_NAME: $*" >&2
  if [[ -n ${SERVER_DIR:-} && -f $SERVER_DIR/log ]]; then
    echo "--- last lines of $SERVER_DIR/log" >&2
    tail -n 20 "$SERVER_DIR/log" >&2
  fi
  exit 1
}

# Alive and not a zombie: PID 1 here reaps slowly, so an exited daemon lingers as state Z.
pid_alive() {
  local pid=$1 state
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z ]]
}

# A port in 20000-59999 that nothing on 127.0.0.1 listens on now.
free_port() {
  local port tries
  for tries in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  server_die "no free port found"
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Ends the process whose PID is in FILE: SIGTERM, then SIGKILL after SECONDS (default 10).
stop_pidfile() {
  local file=$1 grace=${2:-10} pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_until "$grace" bash -c "! [[ -r /proc/$pid/stat ]] || [[ \$(awk '{print \$3}' /proc/$pid/stat) == Z ]]"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

# server_main "$@": parses start|stop DIR and calls the script's server_start / server_stop.
# server_start must leave the PID in $SERVER_DIR/pid and call write_env with KEY=VALUE pairs.
server_main() {
  (($# == 2)) && [[ $1 == start || $1 == stop || ($1 == restart && $(type -t server_restart) == function) ]] ||
    { echo "usage: $0 start|stop${server_restart_usage:-} DIR" >&2; exit 2; }
  mkdir -p "$2"
  SERVER_DIR=$(cd "$2" && pwd)
  if [[ $1 == restart ]]; then
    server_restart
  elif [[ $1 == start ]]; then
    if [[ -f $SERVER_DIR/env && -f $SERVER_DIR/pid ]] && pid_alive "$(<"$SERVER_DIR/pid")"; then
      cat "$SERVER_DIR/env"
      return 0
    fi
    server_start
    cat "$SERVER_DIR/env"
  else
    server_stop
    rm -rf "$SERVER_DIR"
  fi
}

write_env() {
  local pair
  : >"$SERVER_DIR/env.tmp"
  for pair in "$@"; do
    printf "export %s='%s'\n" "${pair%%=*}" "${pair#*=}" >>"$SERVER_DIR/env.tmp"
  done
  mv "$SERVER_DIR/env.tmp" "$SERVER_DIR/env"
}
