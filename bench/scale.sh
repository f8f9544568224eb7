#!/usr/bin/env bash
# Scale benchmark of the svd family through SQL: a synthetic ML-10M-shaped table scale_10m
# (70,000 users, 10,000 items, exactly 10,000,000 ratings, long-tailed user activity and item
# popularity, ratings from a low-rank pattern plus noise; fixed seed), then for each spec
# CALL autorec_train with its NOTICEs (reading the table, the epochs, fitting), the wall time of
# the CALL and the CPU time the backend used (all its threads).
# Usage: bench/scale.sh [spec ...]   spec = label:options-json (algorithm svd)
#   default: sgd and als with 50 factors and 15 epochs
#   The table is generated once (about a minute) and reused while its comment matches.
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
SPECS=("$@")
[ ${#SPECS[@]} -gt 0 ] || SPECS=('sgd:{"method": "sgd", "factors": 50, "epochs": 15}'
                                 'als:{"method": "als", "factors": 50, "epochs": 15}')
VERSION="bench/scale.sh table v1"

bench_server
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS autorec"
have=$("${PSQL[@]}" -tAc "SELECT obj_description('scale_10m'::regclass, 'pg_class')" 2>/dev/null || true)
if [ "$have" != "$VERSION" ]; then
  echo "generating scale_10m ..."
  start=$(date +%s)
  # Users: density ~ u^-0.33 (power 1.5 of a uniform); items: ~ i^-0.6 (power 2.5), so a few
  # items are very popular and most are rare. 10.6M candidate pairs give a little more than 10M
  # distinct ones; a seeded random order keeps exactly 10M.
  "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS scale_10m;
SELECT setseed(0.1234);
CREATE TEMP TABLE scale_candidates AS
SELECT (power(random(), 1.5) * 69999)::int + 1 AS user_id,
       (power(random(), 2.5) * 9999)::int + 1 AS item_id,
       random() AS noise, random() AS pick
  FROM generate_series(1, 10600000);
CREATE TABLE scale_10m AS
SELECT user_id, item_id,
       greatest(1, least(5, round(3.6 + 0.9 * sin(user_id * 0.37 + item_id * 0.11)
                                  + 0.6 * cos(user_id * 0.05 - item_id * 0.23)
                                  + 0.4 * sin(item_id * 0.013) + 1.6 * (noise - 0.5))))::smallint AS rating
  FROM (SELECT DISTINCT ON (user_id, item_id) * FROM scale_candidates ORDER BY user_id, item_id, pick) d
 ORDER BY pick
 LIMIT 10000000;
COMMENT ON TABLE scale_10m IS '$VERSION';
ANALYZE scale_10m;
SQL
  echo "generated in $(( $(date +%s) - start )) s"
fi
"${PSQL[@]}" -P footer=off -c "SELECT count(*) AS ratings, count(DISTINCT user_id) AS users,
  count(DISTINCT item_id) AS items, round(avg(rating), 3) AS mean_rating FROM scale_10m"
"${PSQL[@]}" -P footer=off -c "SELECT max(n) AS top_item_ratings, percentile_disc(0.5) WITHIN GROUP (ORDER BY n) AS median_item_ratings
  FROM (SELECT count(*) AS n FROM scale_10m GROUP BY item_id) c"

TICKS=$(getconf CLK_TCK)
for spec in "${SPECS[@]}"; do
  label=${spec%%:*}
  opts=${spec#*:}
  echo
  echo "== CALL autorec_train('scale_$label', 'svd', 'scale_10m', '$opts')   load: $(cut -d' ' -f1-3 /proc/loadavg)"
  "${PSQL[@]}" <<SQL
SET client_min_messages = notice;
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
\setenv TICKS $TICKS
\! awk '{print \$14 + \$15}' /proc/\$BACKEND/stat > /tmp/autorec-scale-cpu.\$BACKEND
\timing on
CALL autorec_train('scale_$label', 'svd', 'scale_10m', '$opts');
\timing off
\! grep -m1 -o '/[^ ]*autorec.so' /proc/\$BACKEND/maps | sed 's/^/library: /'
\! awk -v t=\$TICKS -v b=\$(cat /tmp/autorec-scale-cpu.\$BACKEND) '{printf "backend CPU time during the CALL: %.1f s\n", (\$14 + \$15 - b) / t}' /proc/\$BACKEND/stat; rm -f /tmp/autorec-scale-cpu.\$BACKEND
SELECT n_ratings, round(train_seconds::numeric, 2) AS train_seconds, pg_size_pretty(size_bytes) AS size
  FROM autorec_models WHERE model = 'scale_$label';
SQL
done
