#!/usr/bin/env bash
# The content-based / hybrid model (algorithm 'content') on MovieLens 100K with u.user and u.item
# as feature tables, through SQL:
#   1. the official folds u1..u5: hybrid (ids + features) and content only, next to the baseline;
#   2. cold start: 10% of the items (chosen by a fixed seed) held out with all their ratings; the
#      content models trained on the rest score them from their features, the baseline can only
#      fall back to mu + b_u. RMSE on the held-out items side by side.
# Usage: bench/content.sh [ML-100K dir] [--validate | --cold]
#   --cold: the cold-start part only (COLD_SEED=n picks other items; default 1)
#   --validate: instead, the mean RMSE on validation splits of u1..u5.base (10% of each, seed k;
#   the test folds untouched) for the specs in CONTENT_SPECS (label:options-json, one per line),
#   which is how the defaults were chosen.
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
DATA=${1:-$ROOT/../shared/data/ml-100k}
MODE=${2:-}
COLD_SEED=${COLD_SEED:-1}
FEATURES='"user_features": "ml_user_features", "item_features": "ml_item_features"'

bench_server
load_folds "$DATA"
load_features "$DATA"

if [ "$MODE" = --validate ]; then
  "${PSQL[@]}" -c "CREATE TABLE IF NOT EXISTS bench_validation (label text, fold int, rmse float8, seconds float8)" \
               -c "TRUNCATE bench_validation"
  for k in 1 2 3 4 5; do
    "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS val_train, val_test" \
      -c "SELECT * FROM autorec_split('u${k}_base', 'val_train', 'val_test', 0.1, $k)" >/dev/null
    while IFS=: read -r label opts; do
      [ -n "$label" ] || continue
      "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CALL autorec_train('val_$label', 'content', 'val_train', '{$FEATURES, $opts}');
INSERT INTO bench_validation
SELECT '$label', $k, e.rmse, m.train_seconds
  FROM autorec_models m, autorec_evaluate('val_$label', 'val_test', 10) e WHERE m.model = 'val_$label';
SELECT autorec_drop_model('val_$label');
SQL
    done <<<"${CONTENT_SPECS:-default:\"threads\": 0}"
  done
  "${PSQL[@]}" -P footer=off -c "SELECT label, round(avg(rmse)::numeric, 4) AS validation_rmse,
      round(avg(seconds)::numeric, 2) AS train_s FROM bench_validation GROUP BY label ORDER BY min(ctid)"
  exit 0
fi

# 1. The official folds.
[ "$MODE" = --cold ] || bash "$ROOT/bench/folds.sh" "$DATA" \
  "baseline:baseline:{}" \
  "content-hybrid:content:{$FEATURES}" \
  "content-only:content:{$FEATURES, \"use_ids\": false}"

# 2. Cold start.
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS cold_items, cold_train, cold_test;
-- 10% of the items, by a seeded hash of the id.
CREATE TABLE cold_items AS
SELECT item_id FROM (SELECT DISTINCT item_id FROM ml100k) i
 ORDER BY hashint4(item_id # $COLD_SEED), item_id
 LIMIT (SELECT round(count(DISTINCT item_id) * 0.1) FROM ml100k);
CREATE TABLE cold_train AS SELECT * FROM ml100k WHERE item_id NOT IN (SELECT item_id FROM cold_items);
CREATE TABLE cold_test AS SELECT * FROM ml100k WHERE item_id IN (SELECT item_id FROM cold_items);
CALL autorec_train('cold_baseline', 'baseline', 'cold_train');
CALL autorec_train('cold_hybrid', 'content', 'cold_train', '{$FEATURES}');
CALL autorec_train('cold_content', 'content', 'cold_train', '{$FEATURES, "use_ids": false}');
SQL
echo
echo "Cold start: $("${PSQL[@]}" -Atc "SELECT count(*) FROM cold_items") items held out entirely (seed $COLD_SEED), $("${PSQL[@]}" -Atc "SELECT count(*) FROM cold_test") ratings; RMSE on them"
"${PSQL[@]}" -P footer=off <<'SQL'
WITH r AS (
  SELECT m AS model, e.rmse, e.mae
    FROM unnest(ARRAY['cold_baseline', 'cold_hybrid', 'cold_content']) WITH ORDINALITY AS x(m, o),
         LATERAL autorec_evaluate(m, 'cold_test', 10) e ORDER BY o)
SELECT model, round(rmse::numeric, 4) AS rmse, round(mae::numeric, 4) AS mae,
       round((rmse - (SELECT rmse FROM r WHERE model = 'cold_baseline'))::numeric, 4) AS vs_baseline
  FROM r;
SQL
