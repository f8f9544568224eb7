#!/usr/bin/env bash
# Crash safety: a backend killed with SIGKILL in the middle of retraining a model, and then the
# whole server stopped without a shutdown checkpoint (pg_ctl -m immediate) in the middle of
# another: each time the server recovers, the previous version is intact and current, and no
# partial version is visible. Runs its own server (port $AUTOREC_CRASH_PORT or 5496), since a
# backend crash restarts every session of the server.
source "$(dirname "$0")/../../scripts/lib.sh"
DB=autorec_crash
DIR=$(mktemp -d /tmp/autorec-crash.XXXXXX)
PORT=${AUTOREC_CRASH_PORT:-5496}
run_as=()
[ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
# KEEP=1 keeps the directory (server log) for a look after a failure.
trap 'stop_cluster "$DIR"; [ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT
start_cluster "$DIR" "$PORT" "fsync = on"
q() { psql -X -tA -v ON_ERROR_STOP=1 -d $DB "$@"; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autorec;
CREATE TABLE big AS
-- Coprime moduli: about 2 million distinct (user, item) pairs, so 1000 epochs take a while.
SELECT (g % 50007) AS user_id, (g * 7919 % 20011) AS item_id, (g % 5 + 1) AS rating
  FROM generate_series(1::bigint, 2000000) g;
CALL autorec_train('crashy', 'baseline', 'big');
SQL
STATE="SELECT m.current_version, (SELECT count(*) FROM autorec.model_version v WHERE v.model = m.name),
              (SELECT md5(v.weights) FROM autorec.model_version v
                WHERE v.model = m.name AND v.version = m.current_version),
              (SELECT array_agg(r.item_id ORDER BY r.ord) FROM
                 recommend(42, 10, 'crashy') WITH ORDINALITY r(item_id, score, ord))
         FROM autorec.model m WHERE m.name = 'crashy'"
before=$(q -c "$STATE")
echo "before: $before"

# train_then CRASH_COMMAND: starts a long retraining, waits until it is fitting, then crashes.
train_then() {
  local out="$DIR/train.out" pid=""
  q -c "CALL autorec_train('crashy', 'baseline', 'big', '{\"epochs\": 1000}')" >"$out" 2>&1 &
  local client=$!
  for _ in $(seq 1 200); do
    pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE query LIKE 'autorec_train(crashy): epoch %'")
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || { echo "the training never started fitting"; cat "$out"; exit 1; }
  sleep 0.5
  echo "backend $pid is fitting: $(q -c "SELECT query FROM pg_stat_activity WHERE pid = $pid")"
  "$@" "$pid"
  wait $client && { echo "the training was not interrupted"; exit 1; }
  echo "the training's client got: $(grep -m1 -iE 'server closed|terminat|connection' "$out")"
}
wait_ready() {
  for _ in $(seq 1 120); do
    psql -X -tA -d $DB -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "the server did not recover"; tail -20 "$DIR/server.log"; exit 1
}
check_intact() {
  local after
  after=$(q -c "$STATE")
  echo "after:  $after"
  [ "$after" = "$before" ] || { echo "the model changed after the crash"; exit 1; }
  [ "$(q -c "SELECT count(*) FROM autorec.model_version WHERE model = 'crashy' AND version > 1")" = 0 ] ||
    { echo "a partial version is visible"; exit 1; }
}

log "kill -9 of the training backend"
train_then kill -9
wait_ready
grep -q "terminated by signal 9" "$DIR/server.log" || { echo "no crash in the server log"; exit 1; }
grep -q "all server processes terminated; reinitializing" "$DIR/server.log" ||
  { echo "the server did not go through crash recovery"; exit 1; }
check_intact

log "immediate shutdown of the whole server during a training, then restart"
stop_now() { "${run_as[@]}" pg_ctl -D "$DIR/data" -m immediate -w stop >/dev/null; }
train_then stop_now
"${run_as[@]}" pg_ctl -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start >/dev/null
wait_ready
grep -q "database system was interrupted" "$DIR/server.log" ||
  { echo "the restart did not recover from the crash"; exit 1; }
check_intact

log "a training after recovery stores the next version"
q -q -c "SET client_min_messages = warning" -c "CALL autorec_retrain('crashy')"
[ "$(q -c "SELECT version FROM autorec_models WHERE model = 'crashy'")" = 2 ] ||
  { echo "training after recovery failed"; exit 1; }
echo "crash: ok"
