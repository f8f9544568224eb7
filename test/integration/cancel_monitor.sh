#!/usr/bin/env bash
# A DBA's view of a long training: another session sees it in pg_stat_activity with its
# progress, pg_cancel_backend stops it within a second, and no version is stored.
set -euo pipefail
DB=autorec_cancel
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autorec;
CREATE TABLE big AS
SELECT (g % 60000) AS user_id, (g * 7919 % 20000) AS item_id, (g % 5 + 1) AS rating
  FROM generate_series(1::bigint, 2000000) g;
SQL

log=$(mktemp)
psql -X -d $DB -c "CALL autorec_train('long', 'svd', 'big', '{\"epochs\": 10000, \"factors\": 200}')" >"$log" 2>&1 &
client=$!

# Wait until the training reports its progress in pg_stat_activity.
seen=""
for _ in $(seq 1 100); do
  seen=$(psql -X -tA -d $DB -c "SELECT query FROM pg_stat_activity
                                 WHERE datname = '$DB' AND query LIKE 'autorec_train(long)%'")
  [ -n "$seen" ] && break
  sleep 0.1
done
echo "pg_stat_activity shows: $seen"
[ -n "$seen" ] || { echo "the training never showed up in pg_stat_activity"; cat "$log"; exit 1; }
sleep 0.5  # let it get into the fitting loop

start=$(date +%s%N)
psql -X -tA -d $DB -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                       WHERE datname = '$DB' AND query LIKE 'autorec_train(long)%'" >/dev/null
wait $client || true
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "cancelled after ${elapsed_ms} ms: $(grep -m1 ERROR "$log")"
grep -q "canceling statement due to user request" "$log" || { echo "no cancel error"; cat "$log"; exit 1; }
[ "$elapsed_ms" -lt 1000 ] || { echo "cancellation took longer than a second"; exit 1; }
stored=$(psql -X -tA -d $DB -c "SELECT count(*) FROM autorec.model WHERE name = 'long'")
[ "$stored" = 0 ] || { echo "a cancelled training stored a model"; exit 1; }
psql -X -q -d postgres -c "DROP DATABASE $DB"
rm -f "$log"
echo "cancel_monitor: ok"
