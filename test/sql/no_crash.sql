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
SELECT predict_rating(1, 1, 'nope');
SELECT predict_rating(NULL, NULL, NULL);
SELECT * FROM similar_items(NULL);
SELECT * FROM similar_items(1, -1);
SELECT * FROM explain_recommendation(NULL, NULL);
SELECT * FROM explain_recommendation(1, 1, 'nope');
SELECT * FROM autorec_evaluate('nope', 'held_out');
SELECT * FROM autorec_evaluate('base', NULL);
SELECT * FROM autorec_evaluate('base', 'held_out', 0);
SELECT * FROM autorec_evaluate('base', 'empty_ratings_2');
SELECT * FROM autorec_evaluate('base', 'held_out', 10, '{"relevance_threshold": "high"}');
SELECT autorec_rollback('nope');
SELECT autorec_drop_model(NULL);
SELECT autorec_set_default('nope');
SELECT * FROM autorec_training_history('nope');
CALL autorec_retrain('nope');
SELECT autorec_schedule_refresh('base', '* * * * *');
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
SELECT autorec_rollback('fragile');
SELECT count(*) AS works_again FROM recommend(1, 3, 'fragile');
SELECT autorec_drop_model('fragile');
SELECT 'still alive' AS status;
