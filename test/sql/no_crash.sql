-- Every function with NULLs, empty input, unknown models, negative n and corrupted weights:
-- each gives a result or a clear error, and the server never crashes.
SET client_min_messages = warning;
\set VERBOSITY terse
SELECT * FROM recommend(NULL);
SELECT * FROM recommend(1, NULL);
SELECT * FROM recommend(1, 0);
SELECT * FROM recommend(1, -1);
SELECT * FROM recommend(1, 3, 'nope');
SELECT count(*) FROM recommend(1, 3, NULL, NULL, NULL);
SELECT * FROM recommend(1, 3, candidates => '{}');
SELECT count(*) FROM recommend(1, 3, candidates => ARRAY[NULL, 1, 2]::bigint[]);
SELECT * FROM recommend(1, 3, candidates => '{{1,2},{3,4}}');
SELECT count(*) FROM recommend(1, 2147483647);
SELECT count(*) FROM recommend(-9223372036854775808, 2);
SELECT count(*) FROM recommend_for_ratings(NULL, NULL);
SELECT count(*) FROM recommend_for_ratings('{}', '{}');
SELECT * FROM recommend_for_ratings(ARRAY[1, 2], ARRAY[1.0]);
SELECT * FROM recommend_for_ratings(ARRAY[1], ARRAY['NaN'::float8]);
SELECT count(*) FROM recommend_for_ratings(ARRAY[1, NULL], ARRAY[NULL, 2.0]);
SELECT * FROM recommend_for_ratings(ARRAY[1], ARRAY[4.0], -5);
SELECT * FROM recommend_for_ratings(ARRAY[1], ARRAY[4.0], 3, 'nope');
SELECT predict_rating(1, 1, 'nope');
SELECT predict_rating(NULL, NULL, NULL);
SELECT * FROM similar_items(NULL);
SELECT * FROM similar_items(1, -1);
SELECT * FROM similar_items(1, 3, 'nope');
SELECT * FROM explain_recommendation(NULL, NULL);
SELECT * FROM explain_recommendation(1, 1, 'nope');
SELECT * FROM autorec_evaluate('nope', 'held_out');
SELECT * FROM autorec_evaluate('base', NULL);
SELECT * FROM autorec_evaluate('base', 'held_out', 0);
SELECT * FROM autorec_evaluate('base', 'no_such_table');
CREATE TABLE no_ratings (user_id int, item_id int, rating int);
SELECT * FROM autorec_evaluate('base', 'no_ratings');
SELECT * FROM autorec_evaluate('base', 'held_out', 10, '{"relevance_threshold": "high"}');
-- A NaN or infinite test rating is rejected like a training rating (it stored rmse = NaN).
SELECT * FROM autorec_evaluate('base', 'SELECT 1 AS user_id, 1 AS item_id, ''NaN''::float8 AS rating');
SELECT * FROM autorec_evaluate('base', 'SELECT 1 AS user_id, 1 AS item_id, ''-Infinity''::float8 AS rating');
SELECT autorec_rollback('nope');
-- A NULL model is an error that says so, for every management function.
SELECT autorec_drop_model(NULL);
SELECT autorec_rollback(NULL);
SELECT autorec_set_default(NULL);
SELECT * FROM autorec_training_history(NULL);
CALL autorec_retrain(NULL);
SELECT autorec_grant(NULL, 'public');
SELECT autorec_revoke(NULL, 'public');
SELECT autorec_revoke('base', NULL);  -- like autorec_grant('base', NULL)
SELECT autorec_grant('base', NULL);
SELECT autorec_set_default('nope');
SELECT * FROM autorec_training_history('nope');
CALL autorec_retrain('nope');
SELECT autorec_schedule_refresh('base', '* * * * *');
-- autorec_split: NULL arguments, a source without the column a method needs, an empty source.
SELECT * FROM autorec_split(NULL, 'ns1', 'ns2');
SELECT * FROM autorec_split('ratings', 'ns1', NULL);
SELECT * FROM autorec_split('ratings', 'ns1', 'ns2', NULL);
SELECT * FROM autorec_split('ratings', 'ns1', 'ns2', 0.2, NULL);
SELECT * FROM autorec_split('ratings', 'ns1', 'ns2', 0.2, 0, NULL);  -- NULL options: defaults
SELECT * FROM autorec_split('no_ratings', 'ns3', 'ns4', 0.2, 0, '{"method": "user", "user_column": "uid"}');
\set VERBOSITY default
SELECT * FROM autorec_split('SELECT item_id, rating FROM ratings', 'ns3', 'ns4', 0.2, 0, '{"method": "user"}');
\set VERBOSITY terse
SELECT * FROM autorec_split('ratings', 'ns3', 'ns4', 0.2, 0, '{"method": "time", "time_column": "ts"}');
SELECT * FROM autorec_split('no_ratings', 'ns3', 'ns4', 0.2, 0, '{"method": "user"}');
SELECT * FROM autorec_split('no_ratings', 'ns5', 'ns6');
-- autorec_fit: a NULL algorithm, only NULL rows, a NaN rating.
SELECT autorec_fit(user_id, item_id, rating, NULL, '{}') FROM ratings;
SELECT autorec_fit(NULL::bigint, item_id, rating, 'baseline', '{}') FROM ratings;
SELECT autorec_fit(user_id, item_id, CASE WHEN user_id = 3 THEN 'NaN'::float8 ELSE rating END, 'baseline', '{}')
  FROM ratings;
-- Corrupted weights (written behind the extension's back) are an error, not a crash; the
-- good version is still there to roll back to.
CALL autorec_train('fragile', 'baseline', 'ratings');
CALL autorec_train('fragile', 'baseline', 'ratings');
UPDATE autorec.model_version SET weights = overlay(weights PLACING '\xdeadbeef' FROM 200)
 WHERE model = 'fragile' AND version = 2;
SELECT * FROM recommend(1, 3, 'fragile');
-- A damaged algorithm tag (outside the checksum) in otherwise good bytes: "baseline" -> "Xaseline".
UPDATE autorec.model_version
   SET weights = (SELECT overlay(weights PLACING 'X' FROM 21) FROM autorec.model_version
                   WHERE model = 'fragile' AND version = 1)
 WHERE model = 'fragile' AND version = 2;
SELECT * FROM recommend(1, 3, 'fragile');
UPDATE autorec.model_version SET weights = substring(weights FROM 1 FOR length(weights) / 2)
 WHERE model = 'fragile' AND version = 2;
SELECT * FROM recommend(1, 3, 'fragile');
UPDATE autorec.model_version SET weights = '\x' WHERE model = 'fragile' AND version = 2;
SELECT predict_rating(1, 1, 'fragile');
UPDATE autorec.model_version SET weights = 'not a model at all' WHERE model = 'fragile' AND version = 2;
SELECT * FROM similar_items(1, 3, 'fragile');
SELECT * FROM explain_recommendation(1, 2, 'fragile');
SELECT * FROM recommend_for_ratings(ARRAY[1], ARRAY[4.0], 3, 'fragile');
SELECT * FROM autorec_evaluate('fragile', 'held_out');
SELECT autorec_rollback('fragile');
SELECT count(*) AS works_again FROM recommend(1, 3, 'fragile');
SELECT autorec_drop_model('fragile');
-- Huge but finite ratings at query time are clipped to the training range (1 to 5 here):
-- finite scores, and the same list as the highest rating gives (1e200 gave NaN scores).
CALL autorec_train('huge_svd', 'svd', 'ratings', '{"epochs": 5}');
CALL autorec_train('huge_ar', 'autorec', 'ratings', '{"epochs": 5, "hidden": [8]}');
SELECT m,
       (SELECT bool_and(score = score AND abs(score) < 1e6)
          FROM recommend_for_ratings(ARRAY[1, 2, 3], ARRAY[1e200, -1e200, 1e300], 5, m)) AS finite,
       (SELECT array_agg(item_id ORDER BY score DESC, item_id)
          FROM recommend_for_ratings(ARRAY[1, 2, 3], ARRAY[1e200, -1e200, 1e300], 5, m)) =
       (SELECT array_agg(item_id ORDER BY score DESC, item_id)
          FROM recommend_for_ratings(ARRAY[1, 2, 3], ARRAY[5, 1, 5], 5, m)) AS as_highest
  FROM unnest(ARRAY['huge_svd', 'huge_ar']) m;
SELECT autorec_drop_model('huge_svd'), autorec_drop_model('huge_ar');
SELECT 'still alive' AS status;
