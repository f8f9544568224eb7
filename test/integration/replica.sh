#!/usr/bin/env bash
# A hot standby serves models trained on the primary, and a retrain on the primary reaches a
# standby session that stays connected: the catalog trigger's relcache invalidation is replayed
# from the WAL and clears the session's model cache, so the next recommend() serves the new
# version without reconnecting.
# Usage: replica.sh (PGHOST/PGPORT/PGUSER of the primary; it needs wal_level replica, the
# default, and replication connections allowed for PGUSER)
source "$(dirname "$0")/../../scripts/lib.sh"
DB=autorec_replica
SPORT=${AUTOREC_REPLICA_PORT:-5497}
SDIR=$(mktemp -d /tmp/autorec-replica.XXXXXX)
run_as=()
[ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --) && chown postgres:postgres "$SDIR"
session=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [ -n "$session" ] && kill "$session" 2>/dev/null || true
  stop_cluster "$SDIR"
  rm -rf "$SDIR"
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
P=(psql -X -tA -v ON_ERROR_STOP=1 -d $DB)                                    # the primary
S=(psql -X -tA -v ON_ERROR_STOP=1 -h "$SDIR/sock" -p "$SPORT" -d $DB)          # the standby
TOP5="SELECT array_agg(item_id ORDER BY ord) FROM recommend(7, 5, 'rep') WITH ORDINALITY r(item_id, score, ord)"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autorec;
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3) % 5 AS rating
  FROM generate_series(1, 200) u, generate_series(1, 40) i WHERE (u + i) % 3 = 0;
CALL autorec_train('rep', 'baseline', 'ratings');
SQL

log "pg_basebackup -R of the primary into $SDIR, standby on port $SPORT"
"${run_as[@]}" pg_basebackup -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$SDIR/data" -R -X stream \
  --checkpoint=fast
mkdir -p "$SDIR/sock" && [ "$(id -u)" = 0 ] && chown postgres:postgres "$SDIR/sock"
cat >>"$SDIR/data/postgresql.conf" <<CONF
port = $SPORT
unix_socket_directories = '$SDIR/sock'
shared_preload_libraries = ''
hot_standby = on
CONF
"${run_as[@]}" pg_ctl -D "$SDIR/data" -l "$SDIR/server.log" -w -t 60 start >/dev/null
[ "$("${S[@]}" -c "SELECT pg_is_in_recovery()")" = t ] || { echo "the standby is not in recovery"; exit 1; }

# One long-lived standby session, fed through a fifo.
mkfifo "$SDIR/in"
"${S[@]}" <"$SDIR/in" >"$SDIR/out" 2>&1 &
session=$!
exec 3>"$SDIR/in"
asked=0
ask() {  # ask SQL: runs it in the standby session; its output in $answer (no subshell: $asked)
  asked=$((asked + 1))
  printf '%s;\n\\echo @@%d\n' "$1" "$asked" >&3
  for _ in $(seq 1 300); do
    grep -q "^@@$asked\$" "$SDIR/out" && break
    sleep 0.1
  done
  grep -q "^@@$asked\$" "$SDIR/out" || { echo "the standby session did not answer"; cat "$SDIR/out"; exit 1; }
  answer=$(awk -v a="@@$((asked - 1))" -v b="@@$asked" \
    '$0 == b {exit} p || a == "@@0" {print} $0 == a {p = 1}' "$SDIR/out")
}
wait_replay() {  # until the standby has replayed everything the primary has written
  local target
  target=$(psql -X -tA -d postgres -c "SELECT pg_current_wal_lsn()")
  for _ in $(seq 1 300); do
    [ "$("${S[@]}" -c "SELECT pg_last_wal_replay_lsn() >= '$target'")" = t ] && return 0
    sleep 0.1
  done
  echo "the standby did not replay up to $target"
  exit 1
}

ask "SELECT pg_backend_pid()"; pid1=$answer
ask "$TOP5"; served1=$answer
expected1=$("${P[@]}" -c "$TOP5")
echo "standby session $pid1 serves version 1: $served1 (primary: $expected1)"
[ "$served1" = "$expected1" ] && [ -n "$served1" ] || { echo "the standby serves something else"; exit 1; }

# Retrain on the primary from changed data (other item ids, so the answer must change).
"${P[@]}" -q -c "SET client_min_messages = warning" -c "UPDATE ratings SET item_id = item_id + 1000" \
  -c "CALL autorec_retrain('rep')"
expected2=$("${P[@]}" -c "$TOP5")
wait_replay
ask "SELECT pg_backend_pid()"; pid2=$answer
ask "SELECT version FROM autorec_models WHERE model = 'rep'"; version2=$answer
ask "$TOP5"; served2=$answer
echo "same session $pid2 after the retrain serves version $version2: $served2 (primary: $expected2)"
[ "$pid1" = "$pid2" ] || { echo "the standby session reconnected"; exit 1; }
[ "$version2" = 2 ] || { echo "the standby does not see version 2"; exit 1; }
[ "$served2" = "$expected2" ] && [ "$served2" != "$served1" ] ||
  { echo "the standby session still serves the old version"; exit 1; }

# The standby is read-only: training there is a clear error, not a crash.
if "${S[@]}" -c "CALL autorec_train('rep', 'baseline', 'ratings')" 2>"$SDIR/err"; then
  echo "training on a standby should fail"; exit 1
fi
echo "training on the standby: $(head -1 "$SDIR/err")"
ask "SELECT count(*) FROM recommend(1, 3, 'rep')"
[ "$answer" = 3 ] || { echo "the standby session stopped serving: $answer"; exit 1; }
echo "replica: ok"
