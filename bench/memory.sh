#!/usr/bin/env bash
# Training memory: for each model family and three option sets, the estimate that
# autorec.max_training_memory is compared with, against the peak memory the training really
# added to its backend, measured through SQL on a real server.
# Usage: bench/memory.sh [--synthetic | ML-100K dir | ML-1M dir]   (default: ../shared/data/ml-100k)
#   --synthetic: a seeded synthetic set of 100K ratings (1,000 users, 1,700 items)
#   MEMORY_OUT=file: also write the table (markdown) there
#
# Measured peak: every training runs in a fresh backend that first trains a tiny model (which
# loads the library and warms the catalog caches) and reads the source and feature tables (so
# that their shared buffers are mapped already), then resets its peak RSS to the current RSS
# (writing 5 to /proc/<pid>/clear_refs) and reads VmHWM from /proc/<pg_backend_pid()>/status;
# then CALL autorec_train, then VmHWM again. The delta is the private memory the training added,
# PostgreSQL's own part of it included (the rows read through SPI, the weights' bytea formed
# and stored). Shared memory (shared buffers, WAL buffers) is mapped in full beforehand (see
# below), so that the pages of it the training touches do not count; the column "shared" shows
# that RssShmem did not grow. The estimate is read from the refusal message of the same training under
# autorec.max_training_memory = 1kB, in another backend. Ratio = estimate / measured; rows
# outside [1, 2] are flagged. The backend must be local (the script reads /proc).
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"

DATA=${1:-$ROOT/../shared/data/ml-100k}
bench_server autorec_memory
Q() { "${PSQL[@]}" -tA "$@"; }
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS autorec"

FEATURES='"user_features": "mem_user_features", "item_features": "mem_item_features"'
if [ "$DATA" = --synthetic ]; then
  synthetic mem_ratings 1000 1700 100000
  synthetic_features mem_ratings mem
  DATASET="synthetic 100K (1,000 users, 1,700 items)"
elif [ -f "$DATA/u.data" ]; then
  load_features "$DATA"
  "${PSQL[@]}" -c "SET client_min_messages = warning" \
    -c "DROP TABLE IF EXISTS mem_ratings, mem_user_features, mem_item_features" \
    -c "CREATE TABLE mem_ratings (user_id int, item_id int, rating smallint, ts bigint)" \
    -c "\\copy mem_ratings FROM '$DATA/u.data'" \
    -c "ALTER TABLE ml_user_features RENAME TO mem_user_features" \
    -c "ALTER TABLE ml_item_features RENAME TO mem_item_features"
  DATASET="MovieLens 100K ($DATA/u.data, features from u.user and u.item)"
elif [ -f "$DATA/ratings.dat" ]; then
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS mem_ratings" \
    -c "CREATE TABLE mem_ratings (user_id int, item_id int, rating smallint, ts bigint)"
  sed 's/::/\t/g' "$DATA/ratings.dat" | "${PSQL[@]}" -c "\\copy mem_ratings FROM STDIN"
  synthetic_features mem_ratings mem
  DATASET="MovieLens 1M ($DATA/ratings.dat, synthetic features derived from the ids)"
else
  echo "no u.data or ratings.dat in $DATA (give a MovieLens directory or --synthetic)" >&2
  exit 1
fi
# Shared memory is PostgreSQL's, sized by shared_buffers and wal_buffers, and a backend's RSS
# counts the pages of it that the backend has touched. So that the training's delta is private
# memory only, each backend first maps all of it: pg_prewarm of a table larger than the buffer
# pool (every buffer gets a page of it), and a rolled-back insert writing more WAL than the WAL
# buffers hold.
"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
SELECT (SELECT setting::bigint FROM pg_settings WHERE name = 'shared_buffers') * 16 AS fill_rows \gset
SELECT coalesce((SELECT reltuples::bigint FROM pg_class WHERE relname = 'mem_fill'), 0) < :fill_rows AS refill \gset
\if :refill
DROP TABLE IF EXISTS mem_fill;
CREATE TABLE mem_fill AS SELECT g, repeat('x', 700) AS pad FROM generate_series(1, :fill_rows) g;
ANALYZE mem_fill;
\endif
CREATE TABLE IF NOT EXISTS mem_wal (pad text);
SQL
"${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS mem_warm" \
  -c "CREATE TABLE mem_warm AS SELECT * FROM (VALUES (1, 1, 4), (1, 2, 3), (2, 1, 5)) v(user_id, item_id, rating)" \
  -c "ANALYZE mem_ratings"

# family|options: three option sets per family, among them those that scale memory.
SPECS=(
  "baseline|{}"
  "baseline|{\"epochs\": 30}"
  "baseline|{\"threads\": 1}"
  "knn|{\"kind\": \"item\", \"similarity\": \"pearson_baseline\", \"predictor\": \"baseline\"}"
  "knn|{\"kind\": \"user\", \"similarity\": \"msd\"}"
  "knn|{\"kind\": \"item\", \"similarity\": \"cosine\", \"max_neighbors\": 1000, \"k\": 100}"
  "svd|{}"
  "svd|{\"method\": \"als\", \"factors\": 300, \"epochs\": 5}"
  "svd|{\"method\": \"svdpp\", \"factors\": 200, \"epochs\": 3, \"validation_fraction\": 0.1}"
  "autorec|{\"epochs\": 10}"
  "autorec|{\"variant\": \"user\", \"hidden\": [3000], \"optimizer\": \"adam\", \"epochs\": 3}"
  "autorec|{\"hidden\": [500, 250, 500], \"pretrain\": true, \"optimizer\": \"adam\", \"dropout\": 0.8, \"epochs\": 3}"
  "content|{$FEATURES}"
  "content|{$FEATURES, \"factors\": 200, \"epochs\": 5}"
  "content|{$FEATURES, \"use_ids\": false, \"validation_fraction\": 0.1, \"epochs\": 5}"
  "popularity|{}"
  "popularity|{\"threads\": 1}"
  "popularity|{\"implicit\": true}"
  "ease|{}"
  "ease|{\"prune_to\": 100}"
  "ease|{\"precision\": \"double\"}"
  "ials|{}"
  "ials|{\"factors\": 200, \"epochs\": 4}"
  "ials|{\"cg_steps\": 0, \"epochs\": 4}"
  "itemknn|{}"
  "itemknn|{\"k\": 50}"
  "itemknn|{\"weighting\": \"rating\", \"min_rating\": 1}"
  "ranking_autorec|{\"epochs\": 5}"
  "ranking_autorec|{\"hidden\": [600, 200], \"epochs\": 3}"
  "ranking_autorec|{\"batch_size\": 500, \"epochs\": 3}"
)

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "$1"; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
rows=()
bad=0
for spec in "${SPECS[@]}"; do
  IFS='|' read -r family opts <<<"$spec"
  # The estimate: the refusal message under a 1 kB limit.
  msg=$("${PSQL[@]}" -v ON_ERROR_STOP=0 2>&1 >/dev/null <<SQL || true
SET client_min_messages = warning;
SET autorec.max_training_memory = '1kB';
CALL autorec_train('mem_model', '$family', 'mem_ratings', '$opts');
SQL
  )
  est_kb=$(echo "$msg" | sed -n 's/.*needs an estimated \([0-9]*\) \(kB\|MB\|GB\).*/\1 \2/p' |
    awk '{ print $2 == "GB" ? $1 * 1048576 : $2 == "MB" ? $1 * 1024 : $1 }')
  [ -n "$est_kb" ] || { echo "no estimate for $family $opts: $msg" >&2; exit 1; }
  # The measured peak: a fresh backend, warmed up, VmHWM before and after.
  rm -f "$WORK"/before "$WORK"/after
  "${PSQL[@]}" >/dev/null <<SQL
SET client_min_messages = warning;
SET autorec.max_training_memory = -1;
CALL autorec_train('mem_warm', 'baseline', 'mem_warm');
SELECT count(*) FROM mem_ratings;
SELECT count(*) FROM mem_user_features;
SELECT count(*) FROM mem_item_features;
SELECT pg_prewarm('mem_fill');
BEGIN;
INSERT INTO mem_wal SELECT repeat('w', 1000) FROM generate_series(1, 40000);
ROLLBACK;
SELECT pg_backend_pid() AS pid \gset
\setenv BPID :pid
\! echo 5 > /proc/\$BPID/clear_refs; cat /proc/\$BPID/status > $WORK/before
CALL autorec_train('mem_model', '$family', 'mem_ratings', '$opts');
\! cat /proc/\$BPID/status > $WORK/after
SQL
  before=$(status_kb "$WORK/before" VmHWM) after=$(status_kb "$WORK/after" VmHWM)
  shmem=$(( $(status_kb "$WORK/after" RssShmem) - $(status_kb "$WORK/before" RssShmem) ))
  delta=$((after - before))
  ratio=$(awk -v e="$est_kb" -v m="$delta" 'BEGIN { printf "%.2f", (m > 0 ? e / m : 0) }')
  flag=$(awk -v r="$ratio" 'BEGIN { print (r < 1 ? "BELOW" : r > 2 ? "ABOVE" : "") }')
  [ -z "$flag" ] || bad=$((bad + 1))
  size=$(Q -c "SELECT pg_size_pretty(size_bytes) FROM autorec_models WHERE model = 'mem_model'")
  row="| $family | \`$opts\` | $(mb "$est_kb") | $(mb "$delta") | $(mb "$shmem") | $(mb "$before") | $size | $ratio | $flag |"
  echo "$row"
  rows+=("$row")
done
{
  echo "Training memory on $DATASET: \`bench/memory.sh $*\`, $(date -u '+%Y-%m-%d %H:%M') UTC,"
  echo "$(nproc) cores, load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
  echo
  echo "| family | options | estimate MB | measured peak MB (VmHWM delta) | shared memory growth MB | backend before MB | model size | ratio | flag |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "$bad row(s) outside [1, 2]."
} >"$WORK/table.md"
cat "$WORK/table.md"
[ -z "${MEMORY_OUT:-}" ] || cp "$WORK/table.md" "$MEMORY_OUT"
Q -c "SELECT autorec_drop_model(m) FROM unnest(ARRAY['mem_model', 'mem_warm']) m" >/dev/null
