-- autorec_fit as an aggregate, also with parallel workers (partial aggregates combined).
SET client_min_messages = warning;
SELECT substring(m FROM 1 FOR 7) AS magic, length(m) > 1000 AS has_weights
  FROM (SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') AS m FROM ratings) s;
SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') IS NULL AS no_rows
  FROM ratings WHERE false;
SELECT autorec_fit(user_id, item_id, rating, 'nope', '{}') FROM ratings;
SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{"bogus": true}') FROM ratings;
-- Force a parallel plan: the result must be the same model (same size; the bytes differ
-- only by the recorded fit time).
CREATE TABLE big_ratings AS SELECT r.user_id + 100 * k AS user_id, r.item_id, r.rating
  FROM ratings r, generate_series(0, 49) k;
ANALYZE big_ratings;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') FROM big_ratings;
CREATE TABLE fit_parallel AS SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') AS m FROM big_ratings;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE fit_serial AS SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') AS m FROM big_ratings;
SELECT length(p.m) = length(s.m) AS same_size, length(p.m) > 100000 AS large
  FROM fit_parallel p, fit_serial s;
RESET ALL;
