#!/usr/bin/env bash
# recommend() under load during retraining: pgbench with 8 clients calling
# recommend(random user, 10) for 30 s while the same model is retrained back to back; prints
# transactions per second, latency percentiles and failures (there must be none).
# Usage: bench/load.sh [ML-100K dir] [algorithm] [options-json] [seconds] [clients]
#   without MovieLens, a generated data set of 100,000 ratings is used (and said so).
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
source "$ROOT/bench/load_lib.sh"
DATA=${1:-$ROOT/../shared/data/ml-100k}
ALGO=${2:-baseline}
OPTS=${3:-'{}'}
SECS=${4:-30}
CLIENTS=${5:-8}

bench_server
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS autorec" \
  -c "DROP TABLE IF EXISTS load_ratings" \
  -c "CREATE TABLE load_ratings (user_id int, item_id int, rating smallint, ts bigint)"
if [ -f "$DATA/u.data" ]; then
  "${PSQL[@]}" -c "\\copy load_ratings FROM '$DATA/u.data'"
  what="MovieLens 100K (u.data)"
else
  "${PSQL[@]}" -c "INSERT INTO load_ratings SELECT u, 1 + (u * 37 + k * 101) % 1682, 1 + (u + k) % 5, 0
                   FROM generate_series(1, 943) u, generate_series(1, 106) k"
  what="generated ratings (no MovieLens 100K in $DATA)"
fi
max_user=$("${PSQL[@]}" -tA -c "SELECT max(user_id) FROM load_ratings")
"${PSQL[@]}" -c "SET client_min_messages = warning" \
  -c "CALL autorec_train('load_$ALGO', '$ALGO', 'load_ratings', '$OPTS')"
echo "== $CLIENTS clients x ${SECS} s of recommend(random user, 10) on $ALGO $OPTS, $what,"
echo "   while autorec_retrain('load_$ALGO') runs back to back"
load_run "$DSN" "load_$ALGO" "$max_user" "$SECS" "$CLIENTS"
