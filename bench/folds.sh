#!/usr/bin/env bash
# Accuracy on MovieLens 100K's five official folds through SQL: for each model spec, trains on
# u<k>.base with CALL autorec_train, evaluates on u<k>.test with autorec_evaluate, and prints
# the mean RMSE/MAE/precision/NDCG at 10 and seconds per fold: train_s inside CALL autorec_train
# (reading the table and fitting), fit_s the fitting alone (from its NOTICE), cpu_s the
# backend's CPU time for the whole CALL (all threads; when the server runs on this machine).
# Usage: bench/folds.sh [ML-100K dir] [spec ...]   spec = label:algorithm:options-json
#   bench/folds.sh ../shared/data/ml-100k 'baseline:baseline:{}' 'svd:svd:{"method":"als"}'
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
DATA=${1:-$ROOT/../shared/data/ml-100k}
shift || true
SPECS=("$@")
[ ${#SPECS[@]} -gt 0 ] || SPECS=("baseline:baseline:{}")

bench_server
load_folds "$DATA"
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS bench_result" \
  -c "CREATE TABLE bench_result (label text, fold int, rmse float8, mae float8, p10 float8,
                   ndcg10 float8, train_seconds float8, size_bytes bigint, fit_seconds float8,
                   cpu_seconds float8)"
for spec in "${SPECS[@]}"; do
  label=${spec%%:*}
  rest=${spec#*:}
  algo=${rest%%:*}
  opts=${rest#*:}
  for k in 1 2 3 4 5; do
    out=$("${PSQL[@]}" 2>&1 <<SQL
SET client_min_messages = notice;
SELECT pg_backend_pid() AS pid \gset
\setenv BACKEND :pid
\! echo "cpu_before \$(awk '{print \$14 + \$15}' /proc/\$BACKEND/stat 2>/dev/null)"
CALL autorec_train('bench_$label', '$algo', 'u${k}_base', '$opts');
\! echo "cpu_after \$(awk '{print \$14 + \$15}' /proc/\$BACKEND/stat 2>/dev/null)"
SQL
) || { echo "$out" >&2; exit 1; }
    fit=$(sed -n 's/.*: fitted .* in \([0-9.]*\) s$/\1/p' <<<"$out")
    before=$(sed -n 's/^cpu_before \([0-9]*\)$/\1/p' <<<"$out")
    after=$(sed -n 's/^cpu_after \([0-9]*\)$/\1/p' <<<"$out")
    cpu=NULL
    [ -n "$before" ] && [ -n "$after" ] && cpu="($after - $before)::float8 / $(getconf CLK_TCK)"
    "${PSQL[@]}" <<SQL
INSERT INTO bench_result
SELECT '$label', $k, e.rmse, e.mae, e.precision_at_k, e.ndcg_at_k, m.train_seconds, m.size_bytes,
       ${fit:-NULL}, $cpu
  FROM autorec_models m, autorec_evaluate('bench_$label', 'u${k}_test', 10) e
 WHERE m.model = 'bench_$label';
SQL
  done
done
echo
echo "MovieLens 100K, official folds u1..u5 (mean; seconds per fold: train_s = CALL autorec_train's"
echo "reading + fitting, fit_s = fitting, cpu_s = the backend's CPU time for the CALL; load $(cut -d' ' -f1-3 /proc/loadavg))"
"${PSQL[@]}" -P footer=off <<'SQL'
SELECT label AS model, round(avg(rmse)::numeric, 4) AS rmse, round(avg(mae)::numeric, 4) AS mae,
       round(avg(p10)::numeric, 4) AS "precision@10", round(avg(ndcg10)::numeric, 4) AS "ndcg@10",
       round(avg(train_seconds)::numeric, 3) AS train_s, round(avg(fit_seconds)::numeric, 3) AS fit_s,
       round(avg(cpu_seconds)::numeric, 3) AS cpu_s, pg_size_pretty(avg(size_bytes)::bigint) AS model_size,
       string_agg(round(rmse::numeric, 4)::text, ' ' ORDER BY fold) AS rmse_per_fold
  FROM bench_result GROUP BY label ORDER BY min(ctid);
SQL
