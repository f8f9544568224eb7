#!/usr/bin/env bash
# A DBA's view of a long training: another session sees it in pg_stat_activity with its
# progress (also while the source is read, with the README's query), pg_cancel_backend stops it
# within a second, and no version is stored.
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

# While the source is read, the README's query shows the read and then the rows read so far.
# This source sleeps 1 s at rows 100,000, 200,000 and 300,000.
psql -X -d $DB -c "CALL autorec_train('slow', 'baseline', 'SELECT g AS user_id, g % 97 AS item_id,
  3 AS rating FROM generate_series(1, 300000) g WHERE g % 100000 <> 0 OR pg_sleep(1) IS NOT NULL')" \
  >"$log" 2>&1 &
client=$!
readme_query="SELECT query FROM pg_stat_activity WHERE query LIKE 'autorec_train(%'"
wait_for() {  # wait_for PATTERN: polls the README's query (10 s at most) until a row matches
  seen=""
  for _ in $(seq 1 100); do
    seen=$(psql -X -tA -d $DB -c "$readme_query" | grep -m1 -- "$1" || true)
    [ -n "$seen" ] && return 0
    sleep 0.1
  done
  return 1
}
wait_for 'autorec_train(slow): reading the query$' ||
  { echo "the start of the read never showed up in pg_stat_activity"; cat "$log"; exit 1; }
echo "pg_stat_activity shows: $seen"
wait_for 'autorec_train(slow): reading the query: [0-9]* rows so far' ||
  { echo "the rows read never showed up in pg_stat_activity"; cat "$log"; exit 1; }
echo "pg_stat_activity shows: $seen"
psql -X -tA -d $DB -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
                       WHERE datname = '$DB' AND query LIKE 'autorec_train(slow)%'" >/dev/null
wait $client || true
grep -q "canceling statement due to user request" "$log" || { echo "no cancel error"; cat "$log"; exit 1; }

psql -X -d $DB -c "CALL autorec_train('long', 'svd', 'big', '{\"epochs\": 10000, \"factors\": 200}')" >"$log" 2>&1 &
client=$!

# Wait until the training reports its progress in pg_stat_activity, past the read.
seen=""
for _ in $(seq 1 100); do
  seen=$(psql -X -tA -d $DB -c "SELECT query FROM pg_stat_activity
                                 WHERE datname = '$DB' AND query LIKE 'autorec_train(long)%'
                                   AND query NOT LIKE '%: reading %'")
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
stored=$(psql -X -tA -d $DB -c "SELECT count(*) FROM autorec.model WHERE name IN ('long', 'slow')")
[ "$stored" = 0 ] || { echo "a cancelled training stored a model"; exit 1; }
psql -X -q -d postgres -c "DROP DATABASE $DB"
rm -f "$log"
echo "cancel_monitor: ok"
