#!/usr/bin/env bash
# recommend() latency and throughput with pgbench: a model trained on all of MovieLens 100K
# (u.data), random users, top 10, for 1 and 8 clients.
# Usage: bench/latency.sh [ML-100K dir] [algorithm] [options-json] [seconds]
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
DATA=${1:-$ROOT/../shared/data/ml-100k}
ALGO=${2:-baseline}
OPTS=${3:-'{}'}
SECONDS_PER_RUN=${4:-10}

bench_server
load_folds "$DATA"
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "CALL autorec_train('latency_$ALGO', '$ALGO', 'ml100k', '$OPTS')"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<SQL
\\set uid random(1, 943)
SELECT * FROM recommend(:uid, 10, 'latency_$ALGO');
SQL
for clients in 1 8; do
  echo
  echo "== pgbench -n -M prepared -c $clients -j $(( clients < 2 ? 1 : 2 )) -T $SECONDS_PER_RUN: recommend(random user, 10) on $ALGO $OPTS"
  pgbench -n -M prepared -c $clients -j $(( clients < 2 ? 1 : 2 )) -T "$SECONDS_PER_RUN" -r \
    -f "$script" "$DSN" 2>&1 | grep -E "latency|tps|processed|failed"
done
