#!/usr/bin/env bash
# Start or stop the project's local PostgreSQL (in .run/, port $AUTOREC_PORT or 5499), and print
# the environment to reach it: eval "$(scripts/pg.sh start)".
source "$(dirname "$0")/lib.sh"
DIR=${AUTOREC_PGDIR:-$ROOT/.run}
PORT=${AUTOREC_PORT:-5499}
case "${1:-start}" in
  start) start_cluster "$DIR" "$PORT" >&2
         echo "export PGHOST='$DIR/sock' PGPORT=$PORT PGUSER=postgres" ;;
  stop) stop_cluster "$DIR" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
