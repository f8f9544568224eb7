#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install what is missing, build, start the
# project's local PostgreSQL (.run/, port 5499), load MovieLens 100K, train every model family,
# print top-10 recommendations with titles and an accuracy table. The content family needs the
# user and item attributes (u.user, u.item), so it is trained only on the real data.
# Usage: scripts/demo.sh [ML-100K directory | --synthetic]
#   without an argument: ../shared/data/ml-100k, else a download from GroupLens (where the
#   network allows), else a synthetic data set (--synthetic asks for that one directly).
# Set AUTOREC_DSN to use an existing server instead (a keyword/value libpq string such as
# "host=db.example user=me"): the demo then works in a database autorec_demo there.
source "$(dirname "$0")/lib.sh"
source "$ROOT/bench/lib.sh"  # load_features
cd "$ROOT"
DATA=$ROOT/../shared/data/ml-100k
case "${1:-}" in
  "") ;;
  --synthetic) DATA="" ;;
  *) DATA=$1
     [ -f "$DATA/u.data" ] || { echo "no MovieLens 100K in $DATA (u.data is missing)" >&2; exit 2; } ;;
esac
USER_ID=${AUTOREC_DEMO_USER:-42}

ensure_packages
build_install
[ -n "${AUTOREC_DSN:-}" ] || log "starting the local PostgreSQL in .run/ (port ${AUTOREC_PORT:-5499})"
use_server autorec_demo

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$DATA" ] && [ ! -f "$DATA/u.data" ]; then
  log "no MovieLens 100K at $DATA: trying to download it from GroupLens"
  if curl -fsSL --max-time 30 -o "$tmp/ml.zip" https://files.grouplens.org/datasets/movielens/ml-100k.zip &&
     unzip -q "$tmp/ml.zip" -d "$tmp"; then
    DATA="$tmp/ml-100k"
  else
    DATA=""
  fi
fi
[ -n "$DATA" ] || log "using a SYNTHETIC data set (943 users, 1682 items, 100,000 ratings, seed 0.1)"

log "loading ratings"
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS autorec CASCADE" \
  -c "DROP TABLE IF EXISTS ratings, movies, train, test" -c "CREATE EXTENSION autorec" \
  -c "CREATE TABLE ratings (user_id int, item_id int, rating smallint, ts bigint)" \
  -c "CREATE TABLE movies (item_id int PRIMARY KEY, title text)"
if [ -n "$DATA" ]; then
  iconv -f latin1 -t utf-8 "$DATA/u.item" | cut -d'|' -f1,2 | sed 's/\\/\\\\/g' >"$tmp/movies.txt"
  "${PSQL[@]}" -c "\\copy ratings FROM '$DATA/u.data'" -c "\\copy movies FROM '$tmp/movies.txt' WITH (DELIMITER '|')"
  echo "MovieLens 100K from $DATA"
else
  "${PSQL[@]}" -f "$ROOT/scripts/synthetic.sql"
fi
"${PSQL[@]}" -c "SELECT count(*) AS ratings, count(DISTINCT user_id) AS users, count(DISTINCT item_id) AS items FROM ratings"

log "splitting 80/20 (seed 1) and training"
"${PSQL[@]}" -c "SELECT * FROM autorec_split('ratings', 'train', 'test', 0.2, 1)"
"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
CALL autorec_train('baseline', 'baseline', 'train');
CALL autorec_train('knn', 'knn', 'train', '{"kind": "item", "similarity": "pearson_baseline", "predictor": "baseline"}');
CALL autorec_train('svd', 'svd', 'train');
CALL autorec_train('autorec', 'autorec', 'train');
-- Ranking models (top-N): the default model serves recommend() below.
CALL autorec_train('ease', 'ease', 'train');
CALL autorec_train('ials', 'ials', 'train');
CALL autorec_train('popularity', 'popularity', 'train');
SELECT autorec_set_default('ease') \gset
SQL
if [ -n "$DATA" ]; then
  load_features "$DATA"
  "${PSQL[@]}" -c "SET client_min_messages = warning" \
    -c "CALL autorec_train('content', 'content', 'train', '{\"user_features\": \"ml_user_features\", \"item_features\": \"ml_item_features\"}')"
fi
"${PSQL[@]}" <<'SQL'
SELECT model, algorithm, n_users, n_items, n_ratings, pg_size_pretty(size_bytes) AS size,
       round(train_seconds::numeric, 2) AS train_seconds
  FROM autorec_models ORDER BY model;
SQL

log "top-10 recommendations for user $USER_ID (default model: ease; predicted rating by autorec)"
"${PSQL[@]}" -c "SELECT r.rank, r.item_id, m.title,
                          round(predict_rating($USER_ID, r.item_id, 'autorec')::numeric, 2) AS predicted_rating
                   FROM recommend($USER_ID, 10) WITH ORDINALITY AS r(item_id, score, rank)
                   JOIN movies m USING (item_id) ORDER BY r.rank"

log "accuracy on the held-out 20% (relevance: rating >= 4, k = 10)"
"${PSQL[@]}" <<'SQL'
SELECT m.model, round(e.rmse::numeric, 4) AS rmse, round(e.mae::numeric, 4) AS mae,
       round(e.precision_at_k::numeric, 4) AS "precision@10", round(e.recall_at_k::numeric, 4) AS "recall@10",
       round(e.ndcg_at_k::numeric, 4) AS "ndcg@10", round(e.hit_rate_at_k::numeric, 4) AS "hit@10",
       round(e.catalog_coverage::numeric, 3) AS coverage
  FROM (SELECT model FROM autorec_models ORDER BY model) m,
       LATERAL autorec_evaluate(m.model, 'test', 10) e;
SQL
if [ -z "${AUTOREC_DSN:-}" ]; then
  echo
  echo "The server keeps running: psql \"$DSN\""
  echo "Stop it with: scripts/pg.sh stop"
fi
