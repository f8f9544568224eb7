#!/usr/bin/env bash
# An error raised in C++ reports where it was thrown (file and function of the throw site), not
# the guard that turned it into a PostgreSQL error: psql's VERBOSITY verbose prints it as
# LOCATION. Line numbers change with edits, so only the function and the file are compared.
set -euo pipefail
DB=autorec_error_location
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB -c "SET client_min_messages = warning; CREATE EXTENSION autorec;
  CREATE TABLE r AS SELECT u AS user_id, i AS item_id, (u + i) % 5 + 1 AS rating
    FROM generate_series(1, 5) u, generate_series(1, 5) i;"
location() {  # location SQL: the SQLSTATE and the LOCATION line of the error SQL raises
  psql -X -q -d $DB -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null |
    sed -nE 's/^ERROR:  ([0-9A-Z]{5}): .*/\1/p; s/^LOCATION:  (.*):[0-9]+$/\1/p' | paste -sd' ' || true
}
fail=0
check() {  # check SQL EXPECTED
  local got
  got=$(location "$1")
  if [ "$got" = "$2" ]; then
    echo "ok: $2  <- $1"
  else
    echo "FAILED: $1"
    echo "  expected: $2"
    echo "  got:      $got"
    fail=1
  fi
}
check "SELECT predict_rating(1, 1, 'nope')" "42704 resolve, model_cache.cpp"
check "CALL autorec_train('m', 'baseline', 'SELECT user_id, item_id AS item, rating FROM r')" \
  "42703 read_ratings, source.cpp"
check "CALL autorec_train('m', 'baseline', 'r', '{\"epochs\": 0}')" "22023 integer, options.cpp"
check "CALL autorec_train('m', 'no_such_algorithm', 'r')" "22023 find_family, registry.cpp"
# An error PostgreSQL raised inside a guarded call keeps its own location.
check "CALL autorec_train('m', 'baseline', 'no_such_table')" "42P01 RangeVarGetRelidExtended, namespace.c"
# The SQL routines raise from PL/pgSQL.
check "SELECT autorec_drop_model('nope')" "42704 exec_stmt_raise, pl_exec.c"
psql -X -q -d postgres -c "DROP DATABASE $DB"
exit $fail
