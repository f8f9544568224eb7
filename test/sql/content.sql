-- Content-based and hybrid model (algorithm 'content'): numeric, text, boolean, date and array
-- features with NULLs; users and items known only from their features (cold start); new items
-- served after autorec_refresh_features; the serving functions; bad feature sources and options.
SET client_min_messages = warning;
\set VERBOSITY terse
-- Features of the shared ratings' users (1..30) and items (1..40), which determine the ratings
-- (see 00_setup); users 31, 32 and items 41, 42 have features and no ratings.
CREATE TABLE content_users AS
SELECT u AS user_id, 20 + (u * 7) % 40 AS age,
       CASE WHEN u % 7 = 3 THEN NULL ELSE 't' || u % 4 END AS taste, u % 2 = 0 AS flag
  FROM generate_series(1, 32) u;
CREATE TABLE content_items AS
SELECT i::bigint AS item_id, (1950 + i)::numeric(6, 1) AS year,
       date '2000-01-01' + i AS released,
       CASE WHEN i % 9 = 0 THEN NULL ELSE ARRAY['g' || i % 4, 'h' || i % 3] END AS genres,
       ARRAY[i % 2, 10 + i % 5] AS tags, CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 1 END AS odd
  FROM generate_series(1, 42) i;
CALL autorec_train('content_hybrid', 'content', 'ratings',
                   '{"user_features": "content_users", "item_features": "content_items",
                     "threads": 1, "epochs": 40, "factors": 8}');
SELECT algorithm, version, n_users, n_items, n_ratings FROM autorec_models WHERE model = 'content_hybrid';
SELECT count(*) AS epochs, bool_and(train_rmse > 0) AS recorded FROM autorec_training_history('content_hybrid');
-- Content only, features from queries; ridge regression (no interactions).
CALL autorec_train('content_only', 'content', 'ratings',
                   '{"user_features": "SELECT user_id, taste, flag FROM content_users",
                     "item_features": "SELECT item_id, genres FROM content_items",
                     "use_ids": false, "threads": 1, "epochs": 40, "factors": 8}');
CALL autorec_train('content_ridge', 'content', 'ratings',
                   '{"item_features": "content_items", "factors": 0, "threads": 1}');
CALL autorec_train('content_base', 'baseline', 'ratings');
-- The features explain the held-out ratings better than the baseline does.
SELECT m, e.n_ratings, e.rmse < (SELECT rmse FROM autorec_evaluate('content_base', 'held_out')) AS beats_baseline
  FROM unnest(ARRAY['content_hybrid', 'content_only']) m, LATERAL autorec_evaluate(m, 'held_out', 5) e
 ORDER BY m;
SELECT e.rmse BETWEEN 0 AND 4 AS sane_rmse FROM autorec_evaluate('content_ridge', 'held_out') e;
-- Reproducible with one thread.
CREATE TABLE content_first AS SELECT item_id, score FROM recommend(2, 10, 'content_hybrid');
CALL autorec_retrain('content_hybrid');
SELECT count(*) AS same_answers FROM recommend(2, 10, 'content_hybrid') r JOIN content_first f USING (item_id, score);
-- Cold start: items 41, 42 are ranked for every user, user 31 is scored from its features (not
-- the popularity fallback, which ignores the user).
SELECT count(*) FILTER (WHERE item_id IN (41, 42)) AS cold_items_ranked
  FROM recommend(1, 42, 'content_hybrid');
SELECT predict_rating(31, 41, 'content_hybrid') BETWEEN 1 AND 5 AS in_range,
       predict_rating(31, 41, 'content_hybrid') <> predict_rating(32, 41, 'content_hybrid') AS user_features_matter;
SELECT count(*) AS n FROM recommend(31, 5, 'content_hybrid');
SELECT count(*) AS n, bool_and(item_id NOT IN (1, 2, 3)) AS given_excluded
  FROM recommend_for_ratings(ARRAY[1, 2, 3], ARRAY[5, 4, 1], 5, 'content_hybrid');
SELECT count(*) AS n FROM recommend(1, 3, 'content_hybrid', candidates => ARRAY[41, 42, 1000]);
-- A new item after training: the baseline fallback until the features are refreshed, then
-- scored from its features, in a new version, without retraining.
INSERT INTO content_items VALUES (43, 1993, '2000-02-12', '{g1,h2}', '{1,12}', true);
SELECT predict_rating(1, 43, 'content_hybrid') = predict_rating(1, 43, 'content_base') AS fallback_before;
SELECT autorec_refresh_features('content_hybrid') AS version;
SELECT version, n_items, n_ratings FROM autorec_models WHERE model = 'content_hybrid';
SELECT predict_rating(1, 43, 'content_hybrid') <> predict_rating(1, 43, 'content_base') AS scored_after,
       predict_rating(1, 43, 'content_hybrid') BETWEEN 1 AND 5 AS in_range;
SELECT item_id FROM recommend(1, 1, 'content_hybrid', candidates => ARRAY[43]);
-- Known pairs keep their predictions (item 43 aside, the ranking is the same); rollback
-- returns to the version before.
SELECT count(*) AS same_answers
  FROM recommend(2, 10, 'content_hybrid', candidates => ARRAY(SELECT generate_series(1, 42)::bigint)) r
  JOIN content_first f USING (item_id, score);
SELECT autorec_rollback('content_hybrid') AS current;
SELECT count(*) AS n FROM recommend(1, 1, 'content_hybrid', candidates => ARRAY[43]);
-- The aggregate reads the feature sources too.
SELECT length(autorec_fit(user_id, item_id, rating, 'content',
                          '{"item_features": "content_items", "epochs": 2, "threads": 1}')) > 0 AS trained
  FROM ratings;
-- Bad feature sources and options.
CALL autorec_train('bad', 'content', 'ratings', '{}');
CALL autorec_train('bad', 'content', 'ratings', '{"item_features": "SELECT item_id AS id, year FROM content_items"}');
CALL autorec_train('bad', 'content', 'ratings', '{"item_features": "SELECT item_id::text AS item_id, year FROM content_items"}');
CALL autorec_train('bad', 'content', 'ratings', '{"item_features": "SELECT item_id FROM content_items"}');
CALL autorec_train('bad', 'content', 'ratings', '{"item_features": "SELECT * FROM content_items UNION ALL SELECT * FROM content_items WHERE item_id = 7"}');
CALL autorec_train('bad', 'content', 'ratings', '{"item_features": "no_such_table"}');
CALL autorec_train('bad', 'content', 'ratings', '{"item_features": "content_items", "factors": -1}');
CALL autorec_train('bad', 'content', 'ratings', '{"item_features": "content_items", "use_ids": "yes"}');
CALL autorec_train('bad', 'content', 'ratings', '{"item_features": "content_items", "hidden": [10]}');
SELECT autorec_refresh_features('content_base');
SELECT autorec_refresh_features(NULL);
SELECT autorec_refresh_features('nope');
SELECT autorec._refresh_features('content_base', '\x00112233'::bytea);
ALTER TABLE content_users DROP COLUMN taste;
SELECT autorec_refresh_features('content_hybrid');
SELECT explain_recommendation(1, 2, 'content_hybrid');
SELECT autorec_drop_model(model) FROM autorec_models WHERE model LIKE 'content%' ORDER BY model;
DROP TABLE content_first, content_users, content_items;
