#!/usr/bin/env bash
# CREATE EXTENSION autorec SCHEMA x: the public surface (functions, procedures, the aggregate,
# the view) goes into x, the catalog and internals stay in the schema autorec, and every
# routine works called schema-qualified with x not on the search_path (nothing inside the
# extension names x or relies on the caller's path). The limits documented in
# docs/operations.md are checked too: unqualified calls need x on the path, SCHEMA autorec is
# refused, and the extension cannot be moved afterwards. Works in its own database.
set -euo pipefail
DB=autorec_ext_schema
cleanup() { psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true; }
trap cleanup EXIT
cleanup >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $DB"
q() { psql -X -tA -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
fail() { echo "extension_schema: $*"; exit 1; }

q -q <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA recs;
CREATE EXTENSION autorec SCHEMA recs;
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3 + (u * i) % 7) % 5 AS rating
  FROM generate_series(1, 80) u, generate_series(1, 40) i WHERE (u * 31 + i * 17) % 3 = 0;
SQL

# Where the members are: the public surface in recs, the rest in autorec, nothing in public.
placement=$(q -F ' ' <<'SQL'
SELECT coalesce(p.pronamespace, c.relnamespace, t.typnamespace, n.oid)::regnamespace AS schema,
       count(*) FILTER (WHERE p.oid IS NOT NULL) AS routines,
       count(*) FILTER (WHERE c.oid IS NOT NULL) AS relations,
       count(*) FILTER (WHERE t.oid IS NOT NULL) AS types
  FROM pg_depend d
  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
  LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
  LEFT JOIN pg_namespace n ON d.classid = 'pg_namespace'::regclass AND n.oid = d.objid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'autorec')
   AND coalesce(p.pronamespace, c.relnamespace, t.typnamespace, n.oid) IS NOT NULL
 GROUP BY 1 ORDER BY 1::text DESC;
SQL
)
echo "extension members (schema, routines, relations, types):"
echo "$placement" | sed 's/^/  /'
! grep -q '^public ' <<<"$placement" || fail "members in public"
[ "$(q -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'recs'::regnamespace AND proname = 'recommend'")" = 1 ] ||
  fail "recommend is not in recs"
[ "$(q -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'recs'::regnamespace AND relname = 'autorec_models'")" = 1 ] ||
  fail "autorec_models is not in recs"

# Every public routine, schema-qualified, with recs not on the search_path.
out=$(q -q 2>&1 <<'SQL'
SET client_min_messages = warning;
SET search_path = public;
SELECT 'search_path', current_setting('search_path');
CALL recs.autorec_train('m', 'baseline', 'ratings');
CALL recs.autorec_train('k', 'knn', 'SELECT * FROM ratings', '{"k": 10}');
CALL recs.autorec_retrain('m');
SELECT 'recommend', count(*) FROM recs.recommend(1, 5);
SELECT 'recommend_for_ratings', count(*) FROM recs.recommend_for_ratings(ARRAY[1, 2], ARRAY[5.0, 4.0], 4, 'm');
SELECT 'predict_rating', recs.predict_rating(1, 2) BETWEEN 1 AND 5;
SELECT 'similar_items', count(*) FROM recs.similar_items(3, 3, 'k');
SELECT 'explain_recommendation', count(*) > 0 FROM generate_series(1, 40) i, LATERAL recs.explain_recommendation(1, i, 'k');
SELECT 'autorec_split', * FROM recs.autorec_split('ratings', 'tr', 'te', 0.25, 1);
SELECT 'autorec_evaluate', n_ratings > 0 AND rmse > 0 FROM recs.autorec_evaluate('m', 'te');
SELECT 'autorec_evaluate_per_user', count(*) > 0 FROM recs.autorec_evaluate_per_user('m', 'te');
SELECT 'autorec_fit', recs.autorec_fit(user_id, item_id, rating, 'baseline', '{}') IS NOT NULL FROM tr;
SELECT 'autorec_training_history', count(*) FROM recs.autorec_training_history('m');
SELECT 'autorec_algorithms', count(*) > 5 FROM recs.autorec_algorithms();
SELECT 'autorec_models', string_agg(model || ' v' || version, ', ' ORDER BY model) FROM recs.autorec_models;
SELECT 'autorec_set_default', recs.autorec_set_default('k');
SELECT 'autorec_rollback', recs.autorec_rollback('m');
SELECT 'autorec_grant', recs.autorec_grant('m', 'public');
SELECT 'autorec_revoke', recs.autorec_revoke('m', 'public');
SQL
) || { echo "$out"; fail "a schema-qualified call failed"; }
echo "$out" | sed 's/^/  /'
expected='search_path|public
recommend|5
recommend_for_ratings|4
predict_rating|t
similar_items|3
explain_recommendation|t
autorec_evaluate|t
autorec_evaluate_per_user|t
autorec_fit|t
autorec_algorithms|t
autorec_models|k v1, m v2
autorec_set_default|
autorec_rollback|1
autorec_grant|
autorec_revoke|'
for line in $(tr ' ' '#' <<<"$expected"); do
  grep -qxF "$(tr '#' ' ' <<<"$line")" <<<"$out" || fail "expected the line '$(tr '#' ' ' <<<"$line")'"
done

# Without pg_cron in this database: the scheduling functions explain, autorec_drop_model works.
for call in "recs.autorec_schedule_refresh('m', '0 3 * * *')" "recs.autorec_unschedule_refresh('m')"; do
  err=$(q -c "SET search_path = public" -c "SELECT $call" 2>&1 || true)
  grep -q 'pg_cron is not installed in this database' <<<"$err" || fail "$call: $err"
done
q -q -c "SET search_path = public" -c "SELECT recs.autorec_drop_model('k')"

# The planner support function is found through its own schema.
plan=$(q -c "SET search_path = public" -c "EXPLAIN SELECT * FROM recs.recommend(1, 7)")
grep -q 'rows=7 ' <<<"$plan" || fail "no rows=7 in: $plan"

# The limits (docs/operations.md, "Installing into another schema").
err=$(q -c "SET search_path = public" -c "SELECT * FROM recommend(1, 5)" 2>&1 || true)
grep -q 'function recommend(integer, integer) does not exist' <<<"$err" || fail "unqualified call: $err"
err=$(q -c "ALTER EXTENSION autorec SET SCHEMA public" 2>&1 || true)
grep -q 'does not support SET SCHEMA' <<<"$err" || fail "SET SCHEMA: $err"
q -q -c "SET client_min_messages = warning" -c "DROP EXTENSION autorec CASCADE"
err=$(q -c "CREATE SCHEMA autorec" -c "CREATE EXTENSION autorec SCHEMA autorec" 2>&1 || true)
grep -q 'schema "autorec" already exists' <<<"$err" || fail "SCHEMA autorec: $err"
[ "$(q -c "SELECT count(*) FROM pg_extension WHERE extname = 'autorec'")" = 0 ] || fail "SCHEMA autorec installed"
echo "extension_schema: ok"
