-- Per-call times of the serving functions against one operator and a plain SQL function: the
-- measurements behind their COST (docs/operations.md, Planner estimates). In a scratch database
-- with autorec installed:
--   psql -X -q -d scratch -v data=/path/to/ml-100k/u.data -f bench/serving_cost.sql
-- Trains five models on MovieLens 100K (tables ml and models pop, ease, base, svd, knn are replaced).
SET client_min_messages = warning;
DROP TABLE IF EXISTS ml;
CREATE TABLE ml (user_id int, item_id int, rating int, ts bigint);
\set copy '\\copy ml FROM ' :'data'
:copy
SELECT autorec_drop_model(model) FROM autorec_models WHERE model IN ('pop', 'ease', 'base', 'svd', 'knn');
CALL autorec_train('pop', 'popularity', 'ml');
CALL autorec_train('ease', 'ease', 'ml');
CALL autorec_train('base', 'baseline', 'ml');
CALL autorec_train('svd', 'svd', 'ml');
CALL autorec_train('knn', 'knn', 'ml');
CREATE OR REPLACE FUNCTION pg_temp.best_us(q text, calls int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 1e18; i int;
BEGIN
  FOR i IN 1..3 LOOP
    t0 := clock_timestamp();
    EXECUTE q;
    best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1e6);
  END LOOP;
  RETURN round((best / calls)::numeric, 3);
END $$;
CREATE OR REPLACE FUNCTION pg_temp.simple_sql(x int) RETURNS int LANGUAGE sql AS 'SELECT 1; SELECT x + 1';  -- two statements: never inlined
CREATE OR REPLACE FUNCTION pg_temp.simple_plpgsql(x int) RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN x + 1; END';
SELECT pg_temp.best_us('SELECT count(*) FROM generate_series(1, 2000000) g', 2000000) AS scan_us,
       pg_temp.best_us('SELECT count(*) FROM generate_series(1, 2000000) g WHERE g + 1 > 0', 2000000) AS scan_2ops_us,
       pg_temp.best_us('SELECT count(pg_temp.simple_sql(g)) FROM generate_series(1, 200000) g', 200000) AS simple_sql_fn_us,
       pg_temp.best_us('SELECT count(pg_temp.simple_plpgsql(g)) FROM generate_series(1, 200000) g', 200000) AS simple_plpgsql_fn_us;
SELECT m, pg_temp.best_us(format('SELECT count(*) FROM generate_series(1, 943) u, LATERAL recommend(u, 10, %L) r', m), 943) AS recommend_us
  FROM unnest(ARRAY['pop', 'ease', 'base', 'svd', 'knn']) m;
SELECT m, pg_temp.best_us(format('SELECT count(predict_rating(u, 50, %L)) FROM generate_series(1, 943) u', m), 943) AS predict_us
  FROM unnest(ARRAY['base', 'svd', 'knn']) m;
SELECT pg_temp.best_us('SELECT count(*) FROM generate_series(1, 1682) i, LATERAL similar_items(i, 10, ''knn'') r', 1682) AS similar_knn_us,
       pg_temp.best_us('SELECT count(*) FROM generate_series(1, 943) u, LATERAL recommend_for_ratings(ARRAY[u, 50, 181, 100], ARRAY[5, 4, 3, 5], 10, ''ease'') r', 943) AS for_ratings_ease_us,
       pg_temp.best_us('SELECT count(*) FROM generate_series(1, 943) u, LATERAL recommend_for_ratings(ARRAY[u, 50, 181, 100], ARRAY[5, 4, 3, 5], 10, ''svd'') r', 943) AS for_ratings_svd_us,
       pg_temp.best_us('SELECT count(*) FROM generate_series(1, 943) u, LATERAL explain_recommendation(u, 50, ''knn'') r', 943) AS explain_knn_us,
       pg_temp.best_us('SELECT count(*) FROM generate_series(1, 1682) i, LATERAL similar_items(i, 10, ''ease'') r', 1682) AS similar_ease_us,
       pg_temp.best_us('SELECT count(*) FROM generate_series(1, 943) u, LATERAL explain_recommendation(u, 50, ''ease'') r', 943) AS explain_ease_us;
SELECT m, round(avg(c), 1) AS explain_rows, max(c) AS explain_rows_max
  FROM unnest(ARRAY['knn', 'ease']) m,
       LATERAL (SELECT (SELECT count(*) FROM explain_recommendation(u, 50, m)) c
                  FROM generate_series(1, 943) u) x GROUP BY m ORDER BY m;
