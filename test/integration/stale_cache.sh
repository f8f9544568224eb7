#!/usr/bin/env bash
# A retrain committed while another backend is inside an older snapshot must not leave that
# backend serving the old version afterwards (the model cache once re-resolved the model with
# the caller's old snapshot and kept that answer until an unrelated invalidation).
# For REPEATABLE READ (a transaction whose snapshot predates the commit) and READ COMMITTED (a
# statement whose snapshot predates it): session 1 calls predict_rating before and after the
# retrain inside the old snapshot, then again in later statements; session 2 retrains meanwhile.
# Semantics (docs/operations.md): the serving functions use the newest committed version; every
# call after the retrain committed -- inside the old snapshot too -- gets the new version.
# Usage: stale_cache.sh (with PGHOST/PGPORT/PGUSER set by scripts/test.sh)
set -euo pipefail
DB=autorec_stale
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autorec;
CREATE TABLE ratings_a AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3) % 5 AS rating
  FROM generate_series(1, 50) u, generate_series(1, 30) i WHERE (u + i) % 3 <> 0;
-- The same pairs with mirrored ratings: every prediction changes.
CREATE TABLE ratings_b AS SELECT user_id, item_id, 6 - rating AS rating FROM ratings_a;
CALL autorec_train('ref_a', 'baseline', 'ratings_a');
CALL autorec_train('ref_b', 'baseline', 'ratings_b');
SQL
old=$(psql -X -qtA -d $DB -c "SELECT round(predict_rating(1, 1, 'ref_a')::numeric, 6)")
new=$(psql -X -qtA -d $DB -c "SELECT round(predict_rating(1, 1, 'ref_b')::numeric, 6)")
[ "$old" != "$new" ] || { echo "the two reference versions predict the same ($old)"; exit 1; }

P="round(predict_rating(1, 1, 'm')::numeric, 6)"
fail=0
run() {  # run LEVEL: one scenario; prints what session 1 saw
  local level=$1 out
  psql -X -q -v ON_ERROR_STOP=1 -d $DB -c "SET client_min_messages = warning" \
    -c "CALL autorec_train('m', 'baseline', 'ratings_a')"
  out=$(mktemp)
  if [ "$level" = "repeatable read" ]; then
    psql -X -qtA -v ON_ERROR_STOP=1 -d $DB >"$out" <<SQL &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'before ' || $P;
SELECT pg_sleep(4);
SELECT 'inside ' || $P;
COMMIT;
SELECT 'after ' || $P;
SELECT 'later ' || $P;
SQL
  else
    psql -X -qtA -v ON_ERROR_STOP=1 -d $DB >"$out" <<SQL &
SELECT 'before ' || $P, pg_sleep(4), 'inside ' || $P;
SELECT 'after ' || $P;
SELECT 'later ' || $P;
SQL
  fi
  local s1=$!
  sleep 1.5
  psql -X -q -v ON_ERROR_STOP=1 -d $DB -c "SET client_min_messages = warning" \
    -c "CALL autorec_train('m', 'baseline', 'ratings_b')"
  wait $s1
  echo "$level: $(tr '\n|' '  ' <"$out")"
  # Before the retrain: the old version; from the retrain's commit on: the new one.
  grep -q "before $old" "$out" || { echo "  expected 'before $old'"; fail=1; }
  for when in inside after later; do
    grep -q "$when $new" "$out" || { echo "  expected '$when $new' (old version: $old)"; fail=1; }
  done
  rm -f "$out"
}
run "repeatable read"
run "read committed"
psql -X -q -d postgres -c "DROP DATABASE $DB"
[ "$fail" = 0 ] && echo "stale_cache: every call after the retrain got the new version"
exit $fail
