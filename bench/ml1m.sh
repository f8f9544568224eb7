#!/usr/bin/env bash
# The AutoRec paper's protocol on MovieLens 1M through SQL: ratings.dat is loaded into a table,
# split at random 90/10 (autorec_split, one seed per repetition), each model spec is trained on
# the 90% with CALL autorec_train (which holds out 10% of it for validation, early stopping)
# and evaluated on the 10%. Prints per split the test RMSE, the epochs run (selection run, then
# the refit on all training ratings), the mean seconds per epoch and the training seconds
# inside CALL autorec_train; then the mean over the splits.
# Usage: bench/ml1m.sh [ML-1M dir or ratings.dat] [splits] [spec ...]
#   spec = label:algorithm:options-json (default: I-AutoRec with its defaults)
#   bench/ml1m.sh /work/shared/data/ml-1m 5 'i:autorec:{}' 'deep:autorec:{"hidden":[500,250,500]}'
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
DATA=${1:-$ROOT/../shared/data/ml-1m}
SPLITS=${2:-1}
shift 2 || shift $# || true
SPECS=("$@")
[ ${#SPECS[@]} -gt 0 ] || SPECS=("autorec-item:autorec:{}")
[ -d "$DATA" ] && DATA=$DATA/ratings.dat
[ -f "$DATA" ] || { echo "no MovieLens 1M ratings.dat at $DATA (give it as argument)" >&2; exit 1; }

bench_server
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS autorec" \
  -c "DROP TABLE IF EXISTS ml1m" \
  -c "CREATE TABLE ml1m (user_id int, item_id int, rating smallint, ts bigint)"
sed 's/::/\t/g' "$DATA" | "${PSQL[@]}" -c "\\copy ml1m FROM STDIN"
"${PSQL[@]}" -c "CREATE TABLE IF NOT EXISTS bench_ml1m (label text, split int, rmse float8, mae float8,
        epochs int, best_epoch int, refit_epochs int, epoch_seconds float8, train_seconds float8)" \
  -c "TRUNCATE bench_ml1m"
echo "MovieLens 1M: $("${PSQL[@]}" -tAc "SELECT count(*) FROM ml1m") ratings; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $(seq 1 "$SPLITS"); do
  "${PSQL[@]}" -c "SET client_min_messages = warning" \
    -c "DROP TABLE IF EXISTS ml1m_train, ml1m_test" \
    -c "SELECT * FROM autorec_split('ml1m', 'ml1m_train', 'ml1m_test', 0.1, $s)" >/dev/null
  for spec in "${SPECS[@]}"; do
    label=${spec%%:*}
    rest=${spec#*:}
    algo=${rest%%:*}
    opts=${rest#*:}
    # The refit on all training ratings runs ceil(30% of the selected epoch) more epochs
    # (src/core/models/autorec/autorec_fit.cpp); the history holds the selection run.
    "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CALL autorec_train('bench_$label', '$algo', 'ml1m_train', '$opts');
WITH h AS (SELECT * FROM autorec_training_history('bench_$label')),
     best AS (SELECT epoch FROM h ORDER BY validation_rmse, epoch LIMIT 1)
INSERT INTO bench_ml1m
SELECT '$label', $s, e.rmse, e.mae, (SELECT count(*) FROM h), (SELECT epoch FROM best),
       CASE WHEN (SELECT count(*) FROM h) > 0 THEN ((SELECT 3 * epoch + 9 FROM best) / 10) ELSE 0 END,
       (SELECT avg(seconds) FROM h), m.train_seconds
  FROM autorec_models m, autorec_evaluate('bench_$label', 'ml1m_test', 10) e
 WHERE m.model = 'bench_$label';
SQL
    "${PSQL[@]}" -P footer=off -c "SELECT label, split, round(rmse::numeric, 4) AS rmse,
        epochs, best_epoch, refit_epochs, round(epoch_seconds::numeric, 3) AS s_per_epoch,
        round(train_seconds::numeric, 1) AS train_s, '$(cut -d' ' -f1-3 /proc/loadavg)' AS load
      FROM bench_ml1m WHERE label = '$label' AND split = $s"
  done
done
echo
echo "MovieLens 1M, random 90/10 splits (autorec_split seeds 1..$SPLITS): mean test RMSE; training inside CALL autorec_train"
"${PSQL[@]}" -P footer=off <<'SQL'
SELECT label AS model, count(*) AS splits, round(avg(rmse)::numeric, 4) AS rmse,
       round(avg(mae)::numeric, 4) AS mae, round(avg(epochs + refit_epochs)::numeric, 1) AS epochs,
       round(avg(epoch_seconds)::numeric, 3) AS s_per_epoch,
       round(avg(train_seconds)::numeric, 1) AS train_s,
       string_agg(round(rmse::numeric, 4)::text, ' ' ORDER BY split) AS rmse_per_split
  FROM bench_ml1m GROUP BY label ORDER BY min(ctid);
SQL
