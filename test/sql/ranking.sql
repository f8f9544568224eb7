-- The top-N families (ease, ials, itemknn, ranking_autorec) through SQL: training from a
-- ratings table (read as weights or thresholded by the family) and from interactions, serving
-- (recommend, fold-in, similar items, explanations where the family has them), evaluation
-- without RMSE, and the memory limit that says how many items EASE can take.
SET client_min_messages = warning;
\set VERBOSITY terse
-- Two groups of users with disjoint tastes: users 1..20 view items 1..15, users 21..40 view
-- items 16..30 (each user all but a few of their group's items).
CREATE TABLE taste AS
SELECT u AS user_id, i AS item_id
  FROM generate_series(1, 40) u, generate_series(1, 30) i
 WHERE (u <= 20) = (i <= 15) AND (u * 7 + i * 3) % 5 <> 0;
CALL autorec_train('rk_ease', 'ease', 'taste');
CALL autorec_train('rk_ials', 'ials', 'taste', '{"threads": 1}');
CALL autorec_train('rk_itemknn', 'itemknn', 'taste');
CALL autorec_train('rk_dae', 'ranking_autorec', 'taste', '{"epochs": 60, "threads": 1}');
-- Every family recommends each user the unseen items of their own group first.
SELECT m, count(*) AS lists,
       count(*) FILTER (WHERE own_group) AS own_group_first
  FROM unnest(ARRAY['rk_ease', 'rk_ials', 'rk_itemknn', 'rk_dae']) m,
       LATERAL (SELECT u, (SELECT bool_and((u <= 20) = (r.item_id <= 15))
                             FROM recommend(u, 2, m) r) AS own_group
                  FROM generate_series(1, 40) u) x
 GROUP BY m ORDER BY m;
-- A visitor described at query time (fold-in): items of group 2 in, group 2 out.
SELECT m, bool_and(item_id > 15) AS group_two, count(*) AS n
  FROM unnest(ARRAY['rk_ease', 'rk_ials', 'rk_itemknn', 'rk_dae']) m,
       LATERAL recommend_for_ratings(ARRAY[16, 17, 18, 19], ARRAY[1, 1, 1, 1], 3, m)
 GROUP BY m ORDER BY m;
-- Item-based families: neighbours of item 1 are in its group, and an explanation lists the
-- user's items behind a score.
SELECT m, bool_and(item_id <= 15) AS same_group, count(*) AS n
  FROM unnest(ARRAY['rk_ease', 'rk_itemknn']) m, LATERAL similar_items(1, 3, m)
 GROUP BY m ORDER BY m;
SELECT m, count(*) > 0 AS explained, bool_and(e.item_id <= 15) AS own_items
  FROM unnest(ARRAY['rk_ease', 'rk_itemknn']) m,
       LATERAL (SELECT item_id FROM recommend(1, 1, m)) top,
       LATERAL explain_recommendation(1, top.item_id, m) e
 GROUP BY m ORDER BY m;
SELECT * FROM similar_items(1, 3, 'rk_ials');
SELECT predict_rating(1, 2, 'rk_ease');
-- Evaluation: a held-out interaction per user (every test pair relevant), no RMSE.
CREATE TABLE taste_test AS
SELECT u AS user_id, i AS item_id
  FROM generate_series(1, 40) u, generate_series(1, 30) i
 WHERE (u <= 20) = (i <= 15) AND (u * 7 + i * 3) % 5 = 0;
SELECT m, e.rmse IS NULL AS no_rmse, e.hit_rate_at_k > 0.9 AS hits, e.n_users
  FROM unnest(ARRAY['rk_ease', 'rk_ials', 'rk_itemknn', 'rk_dae']) m,
       LATERAL autorec_evaluate(m, 'taste_test', 5) e ORDER BY m;
-- From ratings: EASE weighs by them; itemknn keeps the pairs rated 4 or more (min_rating).
CALL autorec_train('rk_rated', 'itemknn', 'ratings');
CALL autorec_train('rk_rated_ease', 'ease', 'ratings');
SELECT count(*) AS listed FROM recommend(1, 5, 'rk_rated');
SELECT count(*) AS listed FROM recommend(1, 5, 'rk_rated_ease');
-- Bad options, and EASE over the memory limit: the refusal says how many items fit.
CALL autorec_train('rk_bad', 'ease', 'taste', '{"lambda": -1}');
CALL autorec_train('rk_bad', 'ials', 'taste', '{"factors": 0}');
CALL autorec_train('rk_bad', 'ranking_autorec', 'taste', '{"dropout": 1.5}');
CREATE TABLE many_items AS
SELECT u AS user_id, i AS item_id FROM generate_series(1, 3) u, generate_series(1, 3000) i;
SET autorec.max_training_memory = '32MB';
CALL autorec_train('rk_big', 'ease', 'many_items');
-- The hint's count depends on the machine's cores (per-thread buffers): its shape is checked.
DO $$
DECLARE
    h text;
BEGIN
    CALL autorec_train('rk_big', 'ease', 'many_items');
EXCEPTION WHEN program_limit_exceeded OR insufficient_resources OR others THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RAISE WARNING 'hint names the items that fit: %', h ~ '32 MB fits at most about \d{3,4} items';
END $$;
RESET autorec.max_training_memory;
SELECT count(*) AS stored FROM autorec_models WHERE model IN ('rk_bad', 'rk_big');
DROP TABLE many_items, taste, taste_test;
SELECT autorec_drop_model(m) FROM unnest(ARRAY['rk_ease', 'rk_ials', 'rk_itemknn', 'rk_dae',
                                               'rk_rated', 'rk_rated_ease']) m;
