#!/usr/bin/env bash
# Top-N quality of every family through SQL, the way autorec_evaluate measures it: every item
# the user has not rated in training is ranked, relevant = test rating >= 4, k = 10.
# MovieLens 100K: trained on each official u<k>.base, evaluated on u<k>.test (mean of 5 folds).
# MovieLens 1M: the paper's protocol split (autorec_split 90/10, seed 1).
# Per model: P@10, R@10, NDCG@10, HR@10, MRR@10, catalog coverage, the mean popularity
# percentile and mean training interactions of the recommended items, the seconds of the whole
# CALL autorec_train, and recommend()'s average latency (pgbench, 1 client, prepared, random
# training users, top 10) on the fold-1 / ML-1M model.
# Usage: bench/topn.sh [ML-100K dir] [ML-1M dir or ''] [models file] [pgbench seconds]
#   models file: label|algorithm|options lines (default bench/topn_models.txt); @DATA@ in the
#   options is ml (ML-100K) or ml1m: the feature tables ml_*_features / ml1m_*_features of the
#   content family (bench/lib.sh load_features, load_ml1m_features)
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
DATA100=${1:-$ROOT/../shared/data/ml-100k}
DATA1M=${2-$ROOT/../shared/data/ml-1m}
MODELS=${3:-$ROOT/bench/topn_models.txt}
PGB_SECONDS=${4:-5}
mapfile -t SPECS < <(grep -v '^#' "$MODELS" | grep -v '^$')

bench_server
load_folds "$DATA100"
load_features "$DATA100"
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_topn" \
  -c "CREATE TABLE bench_topn (data text, label text, fold int, p float8, r float8, ndcg float8,
        hr float8, mrr float8, coverage float8, pop_pct float8, pop float8, train_s float8)" \
  -c "DROP TABLE IF EXISTS bench_topn_latency" \
  -c "CREATE TABLE bench_topn_latency (data text, label text, latency_ms float8)"
if [ -n "$DATA1M" ]; then
  [ -d "$DATA1M" ] && DATA1M=$DATA1M/ratings.dat
  load_ml1m_features "$(dirname "$DATA1M")"
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS ml1m, ml1m_train, ml1m_test" \
    -c "CREATE TABLE ml1m (user_id int, item_id int, rating smallint, ts bigint)"
  sed 's/::/\t/g' "$DATA1M" | "${PSQL[@]}" -c "\\copy ml1m FROM STDIN"
  "${PSQL[@]}" -c "SELECT * FROM autorec_split('ml1m', 'ml1m_train', 'ml1m_test', 0.1, 1)" >/dev/null
fi

latency() {  # latency DATA LABEL MODEL MAX_USER
  local script
  script=$(mktemp)
  printf '\\set uid random(1, %s)\nSELECT * FROM recommend(:uid, 10, %s);\n' "$4" "'$3'" >"$script"
  local avg
  avg=$(pgbench -n -M prepared -c 1 -j 1 -T "$PGB_SECONDS" -f "$script" "$DSN" 2>&1 |
        sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')
  rm -f "$script"
  "${PSQL[@]}" -c "INSERT INTO bench_topn_latency VALUES ('$1', '$2', ${avg:-NULL})"
}

run() {  # run DATA LABEL ALGO OPTS FOLD TRAIN TEST
  local t0 t1 prefix=ml
  [ "$1" = ml-1m ] && prefix=ml1m
  set -- "$1" "$2" "$3" "${4//@DATA@/$prefix}" "$5" "$6" "$7"
  t0=$(date +%s.%N)
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "CALL autorec_train('topn_$2', '$3', '$6', '$4')"
  t1=$(date +%s.%N)
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "INSERT INTO bench_topn
    SELECT '$1', '$2', $5, e.precision_at_k, e.recall_at_k, e.ndcg_at_k, e.hit_rate_at_k, e.mrr_at_k,
           e.catalog_coverage, e.popularity_percentile, e.mean_popularity, $t1 - $t0
      FROM autorec_evaluate('topn_$2', '$7', 10) e"
}

for spec in "${SPECS[@]}"; do
  IFS='|' read -r label algo opts <<<"$spec"
  for k in 1 2 3 4 5; do
    run ml-100k "$label" "$algo" "$opts" $k u${k}_base u${k}_test
    [ $k = 1 ] && latency ml-100k "$label" "topn_$label" 943
  done
  if [ -n "$DATA1M" ]; then
    run ml-1m "$label" "$algo" "$opts" 1 ml1m_train ml1m_test
    latency ml-1m "$label" "topn_$label" 6040
  fi
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "SELECT autorec_drop_model('topn_$label')" >/dev/null
done

echo
echo "Top-N (k = 10, relevant = test rating >= 4, every item unrated in training ranked): ML-100K"
echo "official folds (mean of u1..u5), ML-1M 90/10 split seed 1. train_s: the whole CALL autorec_train;"
echo "latency_ms: recommend() average, pgbench 1 client ${PGB_SECONDS} s. Load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
"${PSQL[@]}" -P footer=off <<'SQL'
SELECT t.data, t.label AS model, round(avg(p)::numeric, 4) AS "P@10", round(avg(r)::numeric, 4) AS "R@10",
       round(avg(ndcg)::numeric, 4) AS "NDCG@10", round(avg(hr)::numeric, 4) AS "HR@10",
       round(avg(mrr)::numeric, 4) AS "MRR@10", round(avg(coverage)::numeric, 3) AS coverage,
       round(avg(pop_pct)::numeric, 3) AS pop_pct, round(avg(pop)::numeric, 0) AS pop,
       round(avg(train_s)::numeric, 2) AS train_s, round(min(l.latency_ms)::numeric, 3) AS latency_ms
  FROM bench_topn t LEFT JOIN bench_topn_latency l ON l.data = t.data AND l.label = t.label
 GROUP BY t.data, t.label ORDER BY t.data, min(t.ctid);
SQL
