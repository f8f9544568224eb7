#!/usr/bin/env bash
# The benchmark report: accuracy on MovieLens 100K's official folds, training time, model size,
# peak backend memory, recommend() latency under pgbench, and scaling on synthetic data, all
# through SQL on the project's local PostgreSQL; writes report.md and PNG plots.
# Usage: bench/run.sh [--smoke] [--report-only] [--memory] [ML-100K dir]
#   default: ../shared/data/ml-100k, models from bench/models.txt, output in bench/
#   --smoke: a synthetic 100K set only, bench/smoke_models.txt, output in a temporary directory
#            (what CI runs so that the command cannot rot)
#   --report-only: no measuring; writes report.md and the plots again from the measurements
#            stored by the last run (tables bench_* in the benchmark database)
#   --memory: also bench/memory.sh (training memory estimate against the measured peak, each
#            family with three option sets), its table in memory.md next to report.md
# Without --smoke it also runs bench/topn.sh (the top-N table of every family on the ML-100K
# folds and, when ML1M_DIR or ../shared/data/ml-1m has it, ML-1M), written to topn.md.
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"

SMOKE=0
REPORT_ONLY=0
MEMORY=0
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) SMOKE=1; shift ;;
    --report-only) REPORT_ONLY=1; shift ;;
    --memory) MEMORY=1; shift ;;
    *) break ;;
  esac
done
DATA=${1:-$ROOT/../shared/data/ml-100k}
if [ $SMOKE = 1 ]; then
  OUT=$(mktemp -d /tmp/autorec-bench.XXXXXX)
  MODELS=$ROOT/bench/smoke_models.txt
  SIZES="100000"
  PGBENCH_SECONDS=2
  FOLDS="1"
  DATASET="synthetic 100K (1,000 users, 1,700 items), one random 80/20 split"
else
  OUT=$ROOT/bench
  MODELS=$ROOT/bench/models.txt
  SIZES="100000 1000000 10000000"
  PGBENCH_SECONDS=${PGBENCH_SECONDS:-10}
  FOLDS="1 2 3 4 5"
  DATASET="MovieLens 100K, official folds u1..u5 ($DATA); content features from u.user and u.item"
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ $REPORT_ONLY = 0 ]; then
  ensure_packages
  build_install
fi
bench_server autorec_bench
Q() { "${PSQL[@]}" -tA "$@"; }
mapfile -t SPECS < <(grep -v '^#' "$MODELS" | grep -v '^$')

measure() {
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS autorec CASCADE" \
  -c "CREATE EXTENSION autorec" -c "DROP TABLE IF EXISTS bench_run" \
  -c "CREATE TABLE bench_run AS SELECT now() AS started, '$(cut -d' ' -f1-3 /proc/loadavg)'::text AS load_at_start"

# Folds: the official ones, or (smoke) one 80/20 split of a synthetic set.
if [ $SMOKE = 1 ]; then
  synthetic smoke_all 1000 1700 100000
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS u1_base, u1_test, ml100k" \
    -c "SELECT * FROM autorec_split('smoke_all', 'u1_base', 'u1_test', 0.2, 1)" \
    -c "CREATE TABLE ml100k AS SELECT * FROM smoke_all"
  synthetic_features smoke_all ml
else
  load_folds "$DATA"
  load_features "$DATA"
fi

"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_fold, bench_latency, bench_scale, bench_history;
CREATE TABLE bench_fold (label text, fold int, rmse float8, mae float8, p10 float8, r10 float8,
                         ndcg10 float8, train_s float8, epochs int, size_bytes bigint, peak_kb bigint);
CREATE TABLE bench_latency (label text, clients int, tps float8, p50_ms float8, p99_ms float8);
CREATE TABLE bench_scale (label text, n_ratings bigint, train_s float8, size_bytes bigint, peak_kb bigint);
CREATE TABLE bench_history (label text, epoch int, train_rmse float8, validation_rmse float8, seconds float8);
SQL

# train_measured LABEL ALGO OPTS SOURCE: trains in a fresh backend and prints its peak RSS (kB).
train_measured() {
  local peakfile=$WORK/peak
  rm -f "$peakfile"
  "${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
CALL autorec_train('bench_$1', '$2', '$4', '$3');
\! grep VmHWM /proc/\$BPID/status | awk '{print \$2}' > $peakfile
SQL
  cat "$peakfile"
}

log "accuracy: $DATASET"
for spec in "${SPECS[@]}"; do
  IFS='|' read -r label algo opts anchor <<<"$spec"
  for k in $FOLDS; do
    peak=$(train_measured "$label" "$algo" "$opts" "u${k}_base")
    "${PSQL[@]}" <<SQL
SET client_min_messages = warning;
INSERT INTO bench_fold
SELECT '$label', $k, e.rmse, e.mae, e.precision_at_k, e.recall_at_k, e.ndcg_at_k, m.train_seconds,
       (SELECT count(*) FROM autorec_training_history('bench_$label')), m.size_bytes, $peak
  FROM autorec_models m, autorec_evaluate('bench_$label', 'u${k}_test', 10) e
 WHERE m.model = 'bench_$label';
SQL
    if [ "$k" = 1 ]; then
      "${PSQL[@]}" -c "INSERT INTO bench_history SELECT '$label', * FROM autorec_training_history('bench_$label')"
    fi
  done
  Q -c "SELECT '$label', round(avg(rmse)::numeric, 4), round(avg(train_s)::numeric, 2) FROM bench_fold WHERE label = '$label'"
done

log "recommend() latency (pgbench, $PGBENCH_SECONDS s per run)"
for spec in "${SPECS[@]}"; do
  IFS='|' read -r label algo opts anchor <<<"$spec"
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "CALL autorec_train('serve_$label', '$algo', 'ml100k', '$opts')"
  maxuser=$(Q -c "SELECT max(user_id) FROM ml100k")
  printf '\\set uid random(1, %s)\nSELECT * FROM recommend(:uid, 10, %s);\n' "$maxuser" "'serve_$label'" >"$WORK/rec.sql"
  for clients in 1 8; do
    rm -f "$WORK"/pgbench_log.*
    res=$(cd "$WORK" && pgbench -n -M prepared -c $clients -j $((clients < 2 ? 1 : 2)) -T "$PGBENCH_SECONDS" \
          -l -f "$WORK/rec.sql" "$DSN" 2>&1)
    tps=$(echo "$res" | awk '/^tps/ {print $3}')
    # Per-transaction latencies (microseconds) from pgbench's log: third column.
    read -r p50 p99 < <(cat "$WORK"/pgbench_log.* | awk '{print $3}' | sort -n |
      awk '{a[NR] = $1} END {print a[int(NR * 0.5) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000}')
    Q -c "INSERT INTO bench_latency VALUES ('$label', $clients, $tps, $p50, $p99)"
    echo "$label clients=$clients tps=$tps p50=${p50}ms p99=${p99}ms"
  done
done

log "scaling on synthetic data: $SIZES ratings"
for n in $SIZES; do
  users=$((n / 140 + 100)); items=$((n / 1000 + 1000)); [ $items -gt 10000 ] && items=10000
  synthetic "scale_$n" $users $items $n
  synthetic_features "scale_$n" scale
  for spec in "${SPECS[@]}"; do
    IFS='|' read -r label algo opts anchor <<<"$spec"
    opts=${opts//ml_user_features/scale_user_features}
    opts=${opts//ml_item_features/scale_item_features}
    # Kept within the 30 minutes: the autoencoders' epochs grow with ratings x hidden units and
    # they run many of them (I-AutoRec: about 2 min at 1M, several at 10M), so I-AutoRec stops
    # at 1M and the user-based and deep ones at 100K; user-based KNN and content stop at 1M.
    if [ "$n" -gt 1000000 ] && [[ $label =~ (autorec|knn-user|content) ]]; then continue; fi
    if [ "$n" -gt 100000 ] && [[ $label =~ (autorec-user|autorec-deep) ]]; then continue; fi
    peak=$(train_measured "scale_$label" "$algo" "$opts" "scale_$n")
    Q -c "INSERT INTO bench_scale SELECT '$label', n_ratings, train_seconds, size_bytes, $peak
            FROM autorec_models WHERE model = 'bench_scale_$label'"
    Q -c "SELECT '$label', $n, round(train_seconds::numeric, 2) FROM autorec_models WHERE model = 'bench_scale_$label'"
  done
done

Q -c "ALTER TABLE bench_run ADD COLUMN finished timestamptz DEFAULT now(),
                             ADD COLUMN load_at_end text DEFAULT '$(cut -d' ' -f1-3 /proc/loadavg)'"
}  # measure
[ $REPORT_ONLY = 1 ] || measure

log "writing $OUT/report.md"
anchors=$WORK/anchors.csv
for spec in "${SPECS[@]}"; do
  IFS='|' read -r label algo opts anchor <<<"$spec"
  printf '%s|%s|%s\n' "$label" "$opts" "$anchor"
done >"$anchors"
"${PSQL[@]}" -c "DROP TABLE IF EXISTS bench_spec" \
  -c "CREATE TABLE bench_spec (ord serial, label text, options text, anchor text)" \
  -c "\\copy bench_spec (label, options, anchor) FROM '$anchors' WITH (DELIMITER '|')"

md() { Q -F ' | ' --no-align -c "$1" | sed 's/^/| /; s/$/ |/'; }
{
  echo "# autorec benchmark report"
  echo
  echo "Generated by \`bench/run.sh$([ $SMOKE = 1 ] && echo ' --smoke')\` on $(date -u +%Y-%m-%d)."
  echo
  echo "- CPU: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "- $(Q -c 'SELECT version()' | cut -d, -f1)"
  echo "- $(Q -c "SELECT format('Measured %s to %s UTC; load average (1, 5, 15 min) %s at the start, %s at the end',
                              to_char(started AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
                              coalesce(to_char(finished AT TIME ZONE 'UTC', 'HH24:MI'), '?'),
                              load_at_start, coalesce(load_at_end, '?')) FROM bench_run" 2>/dev/null)"
  echo "- Data: $DATASET"
  echo
  echo "## Accuracy and training"
  echo
  echo "Mean over the folds. Training time is the whole \`CALL autorec_train\` (reading the table"
  echo "included); peak memory is the training backend's peak RSS (VmHWM). Relevant items for the"
  echo "top-10 metrics: test ratings >= 4. Anchors are the published or locally measured figures"
  echo "from ../shared/data/README.md; the AutoRec paper's are MovieLens 1M figures, not comparable"
  echo "with ML-100K numbers."
  echo
  echo "| model | options | RMSE | MAE | P@10 | R@10 | NDCG@10 | train s/fold | epochs | s/epoch | size | peak MB | anchor (RMSE) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  md "SELECT f.label, '\`' || s.options || '\`', round(avg(rmse)::numeric, 4), round(avg(mae)::numeric, 4),
             round(avg(p10)::numeric, 4), round(avg(r10)::numeric, 4), round(avg(ndcg10)::numeric, 4),
             round(avg(train_s)::numeric, 2), round(avg(epochs)::numeric, 1),
             CASE WHEN avg(epochs) > 0 THEN round((avg(train_s) / avg(epochs))::numeric, 3)::text ELSE '-' END,
             pg_size_pretty(avg(size_bytes)::bigint), round(avg(peak_kb) / 1024.0), s.anchor
        FROM bench_fold f JOIN bench_spec s USING (label) GROUP BY f.label, s.options, s.anchor, s.ord ORDER BY s.ord"
  echo
  echo "## recommend() latency"
  echo
  echo "pgbench, \`SELECT * FROM recommend(random user, 10, model)\`, prepared statements, $PGBENCH_SECONDS s per run;"
  echo "each model trained on all ratings of the data set. Latency percentiles from pgbench's per-transaction log."
  echo
  echo "| model | clients | transactions/s | median ms | p99 ms |"
  echo "|---|---|---|---|---|"
  md "SELECT l.label, clients, round(tps::numeric), p50_ms, p99_ms FROM bench_latency l JOIN bench_spec s USING (label) ORDER BY s.ord, clients"
  echo
  echo "## Scaling"
  echo
  echo "Synthetic ratings with long-tailed item popularity (seeded); training time includes reading the table."
  echo "The content model's features are synthetic too (a user group and age, two item tags and a year)."
  echo "To keep the run within 30 minutes I-AutoRec stops at 1M ratings, U-AutoRec and the deep model at"
  echo "100K, user-based KNN and content at 1M."
  echo
  echo "| model | ratings | train s | size | peak MB |"
  echo "|---|---|---|---|---|"
  md "SELECT b.label, n_ratings, round(train_s::numeric, 2), pg_size_pretty(size_bytes), round(peak_kb / 1024.0)
        FROM bench_scale b JOIN bench_spec s USING (label) ORDER BY s.ord, n_ratings"
  echo
  echo "## Plots"
  echo
  echo "![learning curves](learning_curves.png) ![RMSE against training time](rmse_vs_time.png) ![scaling](scaling.png)"
} >"$OUT/report.md"

log "plots"
Q -F ' ' -c "SELECT label, epoch, train_rmse, coalesce(validation_rmse::text, 'NaN') FROM bench_history
             WHERE label ~ '^(svd|autorec)' ORDER BY label, epoch" >"$WORK/history.dat"
Q -F ' ' -c "SELECT f.label, avg(train_s), avg(rmse) FROM bench_fold f JOIN bench_spec s USING (label)
             GROUP BY f.label, s.ord ORDER BY s.ord" >"$WORK/tradeoff.dat"
Q -F ' ' -c "SELECT label, n_ratings, train_s FROM bench_scale ORDER BY label, n_ratings" >"$WORK/scale.dat"
gnuplot <<GP
set terminal pngcairo size 900,600
set output '$OUT/learning_curves.png'
set title 'Learning curves on fold u1 (solid: train, dashed: validation)'
set xlabel 'epoch'; set ylabel 'RMSE'; set key outside right
labels = system("awk '{print \$1}' $WORK/history.dat | uniq | tr '\n' ' '")
plot for [l in labels] sprintf("< grep '^%s ' $WORK/history.dat", l) using 2:3 with lines title l.' train', \
     for [l in labels] sprintf("< grep '^%s ' $WORK/history.dat", l) using 2:4 with lines dt 2 title l.' validation'
set output '$OUT/rmse_vs_time.png'
set title 'RMSE against training time per fold'
set xlabel 'training seconds per fold (log)'; set ylabel 'RMSE'; set logscale x; unset key
plot '$WORK/tradeoff.dat' using 2:3 with points pt 7 ps 1.5, '' using 2:3:1 with labels offset 0,1 font ',8'
set output '$OUT/scaling.png'
set title 'Training time against data size'
set xlabel 'ratings (log)'; set ylabel 'seconds (log)'; set logscale xy; set key outside right
labels = system("awk '{print \$1}' $WORK/scale.dat | uniq | tr '\n' ' '")
plot for [l in labels] sprintf("< grep '^%s ' $WORK/scale.dat", l) using 2:3 with linespoints title l
GP
echo "report: $OUT/report.md"
if [ $SMOKE = 0 ] && [ $REPORT_ONLY = 0 ]; then
  log "top-N: every family on the ML-100K folds and ML-1M"
  ML1M=${ML1M_DIR:-$ROOT/../shared/data/ml-1m}
  [ -f "$ML1M/ratings.dat" ] || ML1M=""
  {
    echo "# Top-N benchmark (bench/topn.sh, run by make bench)"
    echo
    echo '```'
    bash "$ROOT/bench/topn.sh" "$DATA" "$ML1M" "$ROOT/bench/topn_models.txt" "${PGBENCH_SECONDS:-10}" |
      sed -n '/^Top-N/,$p'
    echo '```'
  } >"$OUT/topn.md"
  echo "top-N: $OUT/topn.md"
fi
if [ $MEMORY = 1 ]; then
  log "training memory: estimate against measured peak"
  MEMORY_OUT=$OUT/memory.md bash "$ROOT/bench/memory.sh" "$([ $SMOKE = 1 ] && echo --synthetic || echo "$DATA")"
fi
ls "$OUT"/*.png
