-- autorec_fit as an aggregate, also with parallel workers (partial aggregates combined).
SET client_min_messages = warning;
SELECT substring(m FROM 1 FOR 7) AS magic, length(m) > 1000 AS has_weights
  FROM (SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') AS m FROM ratings) s;
SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') IS NULL AS no_rows
  FROM ratings WHERE false;
SELECT autorec_fit(user_id, item_id, rating, 'nope', '{}') FROM ratings;
SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{"bogus": true}') FROM ratings;
-- NULL rows and duplicate pairs, as in autorec_train (its NOTICEs, which count them, are
-- checked by test/integration/notices.sh).
SELECT autorec_fit(u, i, r, 'baseline', '{"epochs": 1}') IS NOT NULL AS fitted
  FROM (VALUES (1, 1, 5), (1, 1, 3), (1, 2, 4), (2, 1, 2), (NULL, 2, 1)) v(u, i, r);
-- Force a parallel plan: the result must be the same model (the bytes differ by the recorded
-- fit times, so the models are compared by what they predict).
CREATE TABLE big_ratings AS SELECT r.user_id + 100 * k AS user_id, r.item_id, r.rating
  FROM ratings r, generate_series(0, 49) k;
ANALYZE big_ratings;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') FROM big_ratings;
-- Workers are launched (the count varies with free worker slots, so only > 0 is checked).
CREATE FUNCTION workers_launched(query text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON) ' || query INTO plan;
    RETURN (SELECT sum(w::integer) FROM jsonb_path_query(plan, 'strict $.**."Workers Launched"') w);
END $$;
SELECT workers_launched('SELECT autorec_fit(user_id, item_id, rating, ''baseline'', ''{}'') FROM big_ratings') > 0
       AS workers_launched;
CREATE TABLE fit_parallel AS SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') AS m FROM big_ratings;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE fit_serial AS SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') AS m FROM big_ratings;
SELECT length(p.m) = length(s.m) AS same_size, length(p.m) > 100000 AS large
  FROM fit_parallel p, fit_serial s;
-- Serve both: catalog models whose weights are the aggregates' results, and the same training
-- by autorec_train. They predict the same for every pair.
CALL autorec_train('fit_p', 'baseline', 'ratings');
CALL autorec_train('fit_s', 'baseline', 'ratings');
UPDATE autorec.model_version SET weights = (SELECT m FROM fit_parallel) WHERE model = 'fit_p';
UPDATE autorec.model_version SET weights = (SELECT m FROM fit_serial) WHERE model = 'fit_s';
CALL autorec_train('fit_t', 'baseline', 'big_ratings');
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE predict_rating(user_id, item_id, 'fit_p') IS DISTINCT FROM
                              predict_rating(user_id, item_id, 'fit_s')) AS parallel_differs,
       count(*) FILTER (WHERE predict_rating(user_id, item_id, 'fit_p') IS DISTINCT FROM
                              predict_rating(user_id, item_id, 'fit_t')) AS train_differs,
       count(DISTINCT round(predict_rating(user_id, item_id, 'fit_p')::numeric, 6)) > 100 AS varied
  FROM big_ratings;
SELECT (SELECT array_agg(item_id) FROM recommend(1, 5, 'fit_p')) =
       (SELECT array_agg(item_id) FROM recommend(1, 5, 'fit_s')) AS same_top5;
SELECT autorec_drop_model('fit_p'), autorec_drop_model('fit_s'), autorec_drop_model('fit_t');
-- One model per aggregate: rows that disagree on the algorithm or the options are an error
-- (the first row's spec was used silently). Terse: which row comes first is the scan's order.
\set VERBOSITY terse
SELECT autorec_fit(user_id, item_id, rating, CASE WHEN user_id = 1 THEN 'svd' ELSE 'baseline' END, '{}')
  FROM ratings;
SELECT autorec_fit(user_id, item_id, rating, 'baseline',
                   CASE WHEN user_id = 1 THEN '{"epochs": 3}' ELSE '{}' END::jsonb)
  FROM ratings;
SELECT autorec_fit(user_id, item_id, rating, CASE WHEN user_id = 1 THEN NULL ELSE 'baseline' END, '{}')
  FROM ratings;
\set VERBOSITY default
-- The same options spelled differently, and NULL options beside '{}', are one spec.
SELECT length(autorec_fit(user_id, item_id, rating, 'baseline',
                          CASE WHEN user_id = 1 THEN '{"epochs": 10.0}'
                               ELSE '{"epochs": 10}' END::jsonb)) > 0 AS same_spec,
       length(autorec_fit(user_id, item_id, rating, 'baseline',
                          CASE WHEN user_id = 1 THEN NULL ELSE '{}' END::jsonb)) > 0 AS null_is_empty
  FROM ratings;
RESET ALL;
