# recommend() under load while the same model is retrained: shared by bench/load.sh (the
# benchmark) and test/integration/load.sh (CI's short check for zero errors).
# Sourced after scripts/lib.sh.

# load_run DB MODEL MAX_USER SECONDS CLIENTS: pgbench with CLIENTS clients calling
# recommend(random user in 1..MAX_USER, 10, MODEL) for SECONDS while another session retrains
# MODEL (CALL autorec_retrain) back to back. Prints tps, latency percentiles (from pgbench's
# per-transaction log) and the retrainings done; returns non-zero if any transaction failed or
# no retraining finished during the run.
load_run() {
  local db=$1 model=$2 max_user=$3 seconds=$4 clients=$5
  local work
  work=$(mktemp -d /tmp/autorec-load.XXXXXX)
  cat >"$work/script.sql" <<SQL
\\set uid random(1, $max_user)
SELECT * FROM recommend(:uid, 10, '$model');
SQL
  local v0
  v0=$(psql -X -tA -d "$db" -c "SELECT version FROM autorec_models WHERE model = '$model'")
  touch "$work/retrain"
  (
    n=0
    while [ -e "$work/retrain" ]; do
      psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning" \
        -c "CALL autorec_retrain('$model')" || { echo "retrain failed" >"$work/retrain_error"; break; }
      n=$((n + 1))
      echo "$n" >"$work/retrains"
    done
  ) &
  local trainer=$! rc=0
  local jobs=$((clients < 2 ? 1 : 2))
  (cd "$work" && pgbench -n -M prepared -c "$clients" -j "$jobs" -T "$seconds" -f script.sql \
     --log --log-prefix="$work/log" "$db" >"$work/pgbench.out" 2>&1) || rc=$?
  rm -f "$work/retrain"
  wait "$trainer" || true
  local v1 retrains
  v1=$(psql -X -tA -d "$db" -c "SELECT version FROM autorec_models WHERE model = '$model'")
  retrains=$(cat "$work/retrains" 2>/dev/null || echo 0)

  grep -E "number of (transactions actually processed|failed transactions)|^tps|latency average" \
    "$work/pgbench.out" | sed 's/^/  /'
  # Column 3 of pgbench's log is the transaction's latency in microseconds.
  cat "$work"/log.* | awk '$3 ~ /^[0-9]+$/ {print $3}' | sort -n >"$work/lat"
  awk '{ v[NR] = $1 } END {
         if (NR == 0) { print "  no latencies logged"; exit }
         split("50 95 99", ps, " ")
         line = "  latency (ms):"
         for (k = 1; k <= 3; k++) {
           i = int(NR * ps[k] / 100 + 0.999999); if (i < 1) i = 1
           line = line sprintf(" p%s %.3f", ps[k], v[i] / 1000)
         }
         printf "%s max %.3f (%d transactions)\n", line, v[NR] / 1000, NR }' "$work/lat"
  echo "  retrainings finished during the run: $retrains (versions $v0 -> $v1)"

  local bad=0
  if [ "$rc" != 0 ] || grep -qiE "aborted|error" "$work/pgbench.out"; then
    echo "pgbench reported errors (exit $rc):"; grep -iE "aborted|error" "$work/pgbench.out" | head
    bad=1
  fi
  grep -qE "number of failed transactions: 0 " "$work/pgbench.out" ||
    { echo "failed transactions"; bad=1; }
  [ -e "$work/retrain_error" ] && { echo "a retraining failed"; bad=1; }
  [ "$retrains" -ge 1 ] || { echo "no retraining finished during the run"; bad=1; }
  rm -rf "$work"
  return $bad
}
