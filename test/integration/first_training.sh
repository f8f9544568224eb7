#!/usr/bin/env bash
# Two sessions start the first training of the same new model name at once: the second waits
# for the first (an advisory lock on the name) and trains the model's next version. Both
# succeed, the model has versions 1 and 2, and no duplicate-key error reaches anyone.
# Usage: first_training.sh (with PGHOST/PGPORT/PGUSER set by scripts/test.sh)
set -euo pipefail
DB=autorec_first_training
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autorec;
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3) % 5 AS rating
  FROM generate_series(1, 300) u, generate_series(1, 60) i WHERE (u + i) % 3 = 0;
SQL

# Each session holds its transaction open for a moment after training (pg_sleep), so that the
# two overlap whichever starts first.
train() {
  psql -X -q -v ON_ERROR_STOP=1 -d $DB 2>&1 <<'SQL'
SET client_min_messages = warning;
BEGIN;
CALL autorec_train('fresh', 'svd', 'ratings', '{"epochs": 20, "threads": 1}');
\o /dev/null
SELECT pg_sleep(1);
\o
COMMIT;
SQL
}
out1=$(mktemp)
out2=$(mktemp)
trap 'rm -f "$out1" "$out2"' EXIT
train >"$out1" &
p1=$!
train >"$out2" &
p2=$!
rc=0
wait $p1 || rc=1
wait $p2 || rc=1
cat "$out1" "$out2"
if grep -q "duplicate key" "$out1" "$out2"; then echo "a duplicate-key error reached a session"; exit 1; fi
[ $rc = 0 ] || { echo "a training failed"; exit 1; }
versions=$(psql -X -tA -d $DB -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM autorec.model_version WHERE model = 'fresh'")
echo "versions of the model: $versions"
[ "$versions" = "1,2" ] || { echo "expected versions 1,2"; exit 1; }
psql -X -q -d postgres -c "DROP DATABASE $DB"
