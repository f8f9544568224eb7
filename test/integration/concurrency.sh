#!/usr/bin/env bash
# While autorec_train replaces a model again and again, pgbench clients calling recommend()
# see no error and only whole versions: every answer must equal, list for list, the answer of
# version A or of version B (trained from two different sources) for that user. Each answer's
# version is logged, and every client must have seen both: a backend that kept serving the
# version it loaded first (a lost cache invalidation) fails the test.
# Usage: concurrency.sh (with PGHOST/PGPORT/PGUSER set by scripts/test.sh)
set -euo pipefail
DB=autorec_concurrency
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autorec;
CREATE TABLE ratings_a AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3) % 5 AS rating
  FROM generate_series(1, 200) u, generate_series(1, 40) i WHERE (u + i) % 3 = 0;
CREATE TABLE ratings_b AS SELECT user_id, item_id + 1000 AS item_id, rating FROM ratings_a;
CALL autorec_train('live', 'baseline', 'ratings_a');
-- Reference answers of each version, from models that do not change during the run.
CALL autorec_train('ref_a', 'baseline', 'ratings_a');
CALL autorec_train('ref_b', 'baseline', 'ratings_b');
CREATE TABLE answers AS
SELECT u AS user_id, m AS version,
       (SELECT array_agg(r.item_id ORDER BY r.ord)
          FROM recommend(u, 10, m) WITH ORDINALITY AS r(item_id, score, ord)) AS items
  FROM generate_series(1, 220) u, (VALUES ('ref_a'), ('ref_b')) v(m);
CREATE INDEX ON answers (user_id);
CREATE TABLE observed (backend int, version text);
SQL

script=$(mktemp)
cat >"$script" <<'SQL'
\set uid random(1, 220)
-- Logs which version's answer the client got; an answer that is neither version's fails the
-- client with a division by zero (computed at run time, so the planner cannot fold it).
INSERT INTO observed
SELECT pg_backend_pid(), CASE WHEN v IS NULL THEN (1 / (random() * 0)::int)::text ELSE v END
  FROM (SELECT (SELECT a.version FROM answers a
                 WHERE a.user_id = :uid
                   AND a.items = (SELECT array_agg(r.item_id ORDER BY r.ord)
                                    FROM recommend(:uid, 10, 'live') WITH ORDINALITY AS r(item_id, score, ord))
                 LIMIT 1) AS v) s;
SQL

# The trainer: alternate the two sources while the clients run.
(
  for k in $(seq 1 30); do
    src=ratings_a; [ $((k % 2)) = 0 ] && src=ratings_b
    psql -X -q -v ON_ERROR_STOP=1 -d $DB -c "SET client_min_messages = warning" \
      -c "CALL autorec_train('live', 'baseline', '$src')"
  done
) &
trainer=$!

out=$(pgbench -n -c 4 -j 2 -T 8 -f "$script" $DB 2>&1) || { echo "$out"; kill $trainer 2>/dev/null; exit 1; }
wait $trainer
echo "$out" | grep -E "number of (transactions actually processed|failed)|latency average|tps"
versions=$(psql -X -tA -d $DB -c "SELECT version FROM autorec_models WHERE model = 'live'")
echo "versions trained during the run: $((versions - 1))"
if echo "$out" | grep -qE "aborted|error"; then echo "pgbench reported errors"; exit 1; fi
[ "$versions" -ge 31 ] || { echo "the trainer did not finish its 30 trainings"; exit 1; }
# The first version and the last training are A and B, so every client saw both unless its
# backend missed a new version.
psql -X -q -v ON_ERROR_STOP=1 -d $DB -P footer=off \
  -c "SELECT backend, count(*) FILTER (WHERE version = 'ref_a') AS answers_a,
             count(*) FILTER (WHERE version = 'ref_b') AS answers_b
        FROM observed GROUP BY 1 ORDER BY 1"
stale=$(psql -X -tA -d $DB -c "SELECT (SELECT count(DISTINCT backend) FROM observed) ||
  ' clients, ' || count(*) || ' saw one version only' FROM (SELECT backend FROM observed
  GROUP BY 1 HAVING count(DISTINCT version) < 2) s")
echo "$stale"
case "$stale" in
  "4 clients, 0 saw one version only") ;;
  *) echo "not every client observed both versions"; exit 1 ;;
esac
psql -X -q -d postgres -c "DROP DATABASE $DB"
rm -f "$script"
echo "concurrency: ok"
