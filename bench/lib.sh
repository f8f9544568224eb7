# Shared by the benchmarks: a PostgreSQL to run against and MovieLens loading.
# Sourced by bench/*.sh after scripts/lib.sh.

# bench_server: the project's local server (.run/), or AUTOREC_DSN's database; sets PSQL.
bench_server() {
  local db=${1:-autorec_bench}
  if [ -n "${AUTOREC_DSN:-}" ]; then
    PSQL=(psql -X -q -v ON_ERROR_STOP=1 "$AUTOREC_DSN")
    return
  fi
  eval "$(bash "$ROOT/scripts/pg.sh" start)"
  psql -X -q -d postgres -tc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
    psql -X -q -d postgres -c "CREATE DATABASE $db"
  PSQL=(psql -X -q -v ON_ERROR_STOP=1 -d "$db")
  export PGDATABASE=$db
}

# load_folds DIR: tables u1_base..u5_test from the official ML-100K folds, plus ml100k (u.data).
load_folds() {
  local dir=$1
  [ -f "$dir/u1.base" ] || { echo "no MovieLens 100K folds in $dir (give the directory as argument)" >&2; exit 1; }
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS autorec"
  for f in u1 u2 u3 u4 u5; do
    for part in base test; do
      "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS ${f}_${part}" \
        -c "CREATE TABLE ${f}_${part} (user_id int, item_id int, rating smallint, ts bigint)" \
        -c "\\copy ${f}_${part} FROM '$dir/$f.$part'"
    done
  done
  "${PSQL[@]}" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS ml100k" \
    -c "CREATE TABLE ml100k (user_id int, item_id int, rating smallint, ts bigint)" \
    -c "\\copy ml100k FROM '$dir/u.data'"
}
