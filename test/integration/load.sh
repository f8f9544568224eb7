#!/usr/bin/env bash
# Load: 8 pgbench clients call recommend() for random users for $AUTOREC_LOAD_SECONDS (8) s while
# the same model is retrained back to back: zero errors. Prints tps and latency percentiles for
# information only (bench/load.sh is the 30 s benchmark).
source "$(dirname "$0")/../../scripts/lib.sh"
source "$ROOT/bench/load_lib.sh"
DB=autorec_load
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d $DB <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION autorec;
-- 2,000 users x 3,000 items, 200,000 ratings.
CREATE TABLE ratings AS
SELECT g % 2000 + 1 AS user_id, (g * 7919) % 3001 + 1 AS item_id, (g % 5 + 1) AS rating
  FROM generate_series(1, 200000) g;
CALL autorec_train('live', 'baseline', 'ratings', '{"epochs": 1000}');
SQL
echo "8 clients x ${AUTOREC_LOAD_SECONDS:-8} s of recommend() during back-to-back retraining:"
load_run $DB live 2100 "${AUTOREC_LOAD_SECONDS:-8}" 8
echo "load: ok"
