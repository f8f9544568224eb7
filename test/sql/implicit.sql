-- Implicit feedback: sources with only user and item columns (views, purchases), a weight
-- column, explicit ratings read as interactions (min_rating), the popularity model, evaluation
-- without ratings, and the errors for input a family cannot use.
SET client_min_messages = warning;
\set VERBOSITY terse
-- The families, as the registry declares them (two shown: the list grows with each family).
SELECT algorithm, scores, description FROM autorec_algorithms()
 WHERE algorithm IN ('svd', 'popularity') ORDER BY algorithm;
SELECT count(*) >= 6 AS listed, bool_and(scores IN ('rating', 'ranking')) AS kinds,
       bool_and(length(description) > 10) AS described, count(DISTINCT algorithm) = count(*) AS unique
  FROM autorec_algorithms();
-- 12 users viewed items; item i is viewed by the users u <= 13 - i (item 1 by 12 users, item
-- 12 by one), and user 1 viewed item 1 three times (repeated rows add up).
CREATE TABLE views AS
SELECT u AS user_id, i AS item_id
  FROM generate_series(1, 12) u, generate_series(1, 12) i WHERE u <= 13 - i;
INSERT INTO views VALUES (1, 1), (1, 1);
CALL autorec_train('pop', 'popularity', 'views');
SELECT model, algorithm, n_users, n_items, n_ratings FROM autorec_models WHERE model = 'pop';
-- Scores are interaction counts, not ratings: not clipped. User 12 viewed item 1 only.
SELECT item_id, score FROM recommend(12, 4, 'pop');
-- An unknown user gets the same list (the fallback of every ranking model is this ranking).
SELECT item_id, score FROM recommend(12345, 3, 'pop');
SELECT item_id, score FROM recommend_for_ratings(ARRAY[1, 2], ARRAY[1, 1], 2, 'pop');
-- A ranking model predicts no ratings.
SELECT predict_rating(1, 2, 'pop');

-- A weight column (a count of plays): the sum of the weights ranks the items.
CREATE TABLE plays (user_id int, item_id int, n int);
INSERT INTO plays VALUES (1, 1, 1), (2, 1, 2), (1, 2, 10), (3, 3, 4), (3, 3, 4), (2, 4, NULL);
CALL autorec_train('plays', 'popularity', 'plays', '{"weight_column": "n"}');
SELECT item_id, score FROM recommend(99, 5, 'plays');
-- Weights must be finite and greater than 0.
UPDATE plays SET n = -1 WHERE item_id = 4;
CALL autorec_train('plays', 'popularity', 'plays', '{"weight_column": "n"}');
UPDATE plays SET n = 0 WHERE item_id = 4;
CALL autorec_train('plays', 'popularity', 'plays', '{"weight_column": "n"}');
CREATE TABLE nan_plays (user_id int, item_id int, w float8);
INSERT INTO nan_plays VALUES (1, 1, 1), (2, 2, 'NaN');
CALL autorec_train('plays', 'popularity', 'nan_plays', '{"weight_column": "w"}');
CALL autorec_train('plays', 'popularity', 'plays', '{"weight_column": "nope"}');
CREATE TABLE text_plays (user_id int, item_id int, w text);
CALL autorec_train('plays', 'popularity', 'text_plays', '{"weight_column": "w"}');

-- Time decay: an interaction weighs 2^(-age / half_life_days), its age from the latest time in
-- the source. Item 1: four views 30 days before the latest; item 2: two views on the latest
-- day; item 3: one view 10 days before it. With a 10-day half-life: 4/8 = 0.5, 2, 0.5.
CREATE TABLE dated_views (user_id int, item_id int, seen timestamptz);
INSERT INTO dated_views
SELECT u, 1, timestamptz '2026-11-01 12:00+00' FROM generate_series(1, 4) u
UNION ALL SELECT u, 2, timestamptz '2026-12-01 12:00+00' FROM generate_series(1, 2) u
UNION ALL SELECT 9, 3, timestamptz '2026-11-21 12:00+00';
CALL autorec_train('recent', 'popularity', 'dated_views',
                   '{"time_column": "seen", "half_life_days": 10}');
SELECT item_id, round(score::numeric, 4) AS score FROM recommend(99, 3, 'recent');
-- The same with the time as a date and as seconds (bigint): the same weights.
CREATE TABLE dated_days AS SELECT user_id, item_id, (seen AT TIME ZONE 'UTC')::date AS seen FROM dated_views;
CREATE TABLE dated_secs AS SELECT user_id, item_id, extract(epoch FROM seen)::bigint AS seen FROM dated_views;
CALL autorec_train('recent_d', 'popularity', 'dated_days', '{"time_column": "seen", "half_life_days": 10}');
CALL autorec_train('recent_s', 'popularity', 'dated_secs', '{"time_column": "seen", "half_life_days": 10}');
SELECT m, array_agg(round(score::numeric, 4) ORDER BY item_id) AS scores
  FROM unnest(ARRAY['recent', 'recent_d', 'recent_s']) m, LATERAL recommend(99, 3, m) GROUP BY m ORDER BY m;
-- Without decay the oldest item leads (4 views).
CALL autorec_train('recent', 'popularity', 'dated_views');
SELECT item_id, score FROM recommend(99, 1, 'recent');
-- The options go together; the time must be a time; a rating family takes no decay.
CALL autorec_train('recent', 'popularity', 'dated_views', '{"half_life_days": 10}');
CALL autorec_train('recent', 'popularity', 'dated_views', '{"time_column": "seen"}');
CALL autorec_train('recent', 'popularity', 'dated_views', '{"time_column": "seen", "half_life_days": 0}');
CREATE TABLE text_times (user_id int, item_id int, seen text);
INSERT INTO text_times VALUES (1, 1, 'yesterday');
CALL autorec_train('recent', 'popularity', 'text_times', '{"time_column": "seen", "half_life_days": 10}');
CALL autorec_train('recent_svd', 'svd', 'ratings', '{"time_column": "ts", "half_life_days": 10}');
SELECT autorec_drop_model(m) FROM unnest(ARRAY['recent', 'recent_d', 'recent_s']) m;
DROP TABLE dated_views, dated_days, dated_secs, text_times;
-- A source with no interactions.
CREATE TABLE no_views (user_id int, item_id int);
CALL autorec_train('none', 'popularity', 'no_views');
INSERT INTO no_views VALUES (NULL, 1);
CALL autorec_train('none', 'popularity', 'no_views');

-- An explicit ratings table as implicit data: the rows rated 4 or more. The ranking is the
-- count of such rows per item (ties by item id), as SQL counts them.
CALL autorec_train('liked', 'popularity', 'ratings', '{"min_rating": 4}');
SELECT n_users, n_items, n_ratings = (SELECT count(*) FROM ratings WHERE rating >= 4) AS only_liked
  FROM autorec_models WHERE model = 'liked';
SELECT (SELECT array_agg(item_id) FROM recommend(12345, 5, 'liked')) =
       (SELECT array_agg(item_id::bigint) FROM (SELECT item_id FROM ratings WHERE rating >= 4
         GROUP BY item_id ORDER BY count(*) DESC, item_id LIMIT 5) t) AS same_as_sql;
-- Without min_rating, every rated pair is one interaction.
CALL autorec_train('rated', 'popularity', 'ratings');
SELECT n_ratings = (SELECT count(*) FROM ratings) AS all_pairs FROM autorec_models
 WHERE model = 'rated';
-- implicit and min_rating exclude each other.
CALL autorec_train('liked', 'popularity', 'ratings', '{"implicit": true, "min_rating": 4}');

-- A rating family on implicit data is an error that says which algorithms take it.
\set VERBOSITY default
\set SHOW_CONTEXT never
CALL autorec_train('bad', 'svd', 'views');
\set VERBOSITY terse
CALL autorec_train('bad', 'baseline', 'ratings', '{"implicit": true}');
CALL autorec_train('bad', 'knn', 'ratings', '{"min_rating": 4}');
CALL autorec_train('bad', 'baseline', 'plays', '{"weight_column": "n"}');
-- A named rating column that is missing is the missing-column error, as before.
CALL autorec_train('bad', 'baseline', 'views', '{"rating_column": "stars"}');

-- Evaluation without test ratings: every test pair is relevant; RMSE and MAE are NULL.
CREATE TABLE views_test (user_id int, item_id int);
INSERT INTO views_test VALUES (12, 2), (12, 3), (11, 3), (5, 12), (12345, 1);
SELECT n_ratings, n_users, rmse, mae, round(precision_at_k::numeric, 4) AS p,
       round(recall_at_k::numeric, 4) AS r
  FROM autorec_evaluate('pop', 'views_test', 2);
-- The same for a rating model given an implicit test table, and for a ranking model given
-- explicit test ratings (relevant: rated >= 4).
CALL autorec_train('base_i', 'baseline', 'ratings');
SELECT n_ratings, rmse IS NULL AS no_rmse, mae IS NULL AS no_mae, precision_at_k >= 0 AS ranked
  FROM autorec_evaluate('base_i', 'SELECT user_id, item_id FROM held_out', 5);
SELECT n_ratings, rmse IS NULL AS no_rmse, round(precision_at_k::numeric, 4) AS p
  FROM autorec_evaluate('rated', 'held_out', 5);
-- implicit: true ignores the ratings of a test table.
SELECT rmse IS NULL AS no_rmse FROM autorec_evaluate('base_i', 'held_out', 5, '{"implicit": true}');

-- autorec_split is SQL over any columns: it splits interactions too.
SELECT * FROM autorec_split('views', 'views_train', 'views_hold', 0.25, 7);
SELECT (SELECT count(*) FROM views_train) + (SELECT count(*) FROM views_hold) =
       (SELECT count(*) FROM views) AS every_row_once;
CALL autorec_train('pop_split', 'popularity', 'views_train');
SELECT n_ratings > 0 AS evaluated, rmse IS NULL AS no_rmse
  FROM autorec_evaluate('pop_split', 'views_hold', 3);

-- autorec_fit: the third argument is the weight of a ranking family; NULL means one interaction.
SELECT length(a.m) > 0 AS fitted, length(a.m) = length(b.m) AS same_as_weight_1
  FROM (SELECT autorec_fit(user_id, item_id, NULL, 'popularity', '{}') AS m FROM views) a,
       (SELECT autorec_fit(user_id, item_id, 1, 'popularity', '{}') AS m FROM views) b;
SELECT autorec_fit(user_id, item_id, NULL, 'svd', '{}') FROM views;
SELECT autorec_fit(user_id, item_id, -2, 'popularity', '{}') FROM views;

SELECT autorec_drop_model(m) FROM unnest(ARRAY['pop', 'plays', 'liked', 'rated', 'base_i',
                                                'pop_split']) m;
SELECT count(*) AS left_over FROM autorec_models
 WHERE model IN ('pop', 'plays', 'liked', 'rated', 'base_i', 'pop_split', 'none', 'bad');
