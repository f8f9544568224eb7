-- autorec.max_training_memory: a training whose estimated memory exceeds it fails before the
-- model is fitted, with the estimate and a hint; nothing is stored; -1 lifts the limit.
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE TABLE limits_ratings AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3) % 5 AS rating
  FROM generate_series(1, 300) u, generate_series(1, 200) i WHERE (u + i) % 3 = 0;
-- Set before the library is loaded: the value is kept and applies once it loads.
SET autorec.max_training_memory = '1MB';
CALL autorec_train('too_big', 'baseline', 'limits_ratings');
SELECT count(*) AS stored FROM autorec.model WHERE name = 'too_big';
SHOW autorec.max_training_memory;
-- The same through the aggregate.
SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') IS NOT NULL AS fitted
  FROM limits_ratings;
-- Enough memory: the same training succeeds.
SET autorec.max_training_memory = '64MB';
CALL autorec_train('too_big', 'baseline', 'limits_ratings');
SELECT n_ratings FROM autorec_models WHERE model = 'too_big';
-- A refused retraining keeps the current version.
SET autorec.max_training_memory = 64;
CALL autorec_retrain('too_big');
SELECT version FROM autorec_models WHERE model = 'too_big';
SET autorec.max_training_memory = -1;
CALL autorec_retrain('too_big');
SELECT version FROM autorec_models WHERE model = 'too_big';
-- Out of range, wrong unit, and only superusers may change it.
SET autorec.max_training_memory = -2;
SET autorec.max_training_memory = '1 parsec';
RESET autorec.max_training_memory;
SELECT setting::bigint > 0 AS has_default, unit, context FROM pg_settings
 WHERE name = 'autorec.max_training_memory';
CREATE ROLE autorec_limited;
SET ROLE autorec_limited;
SET autorec.max_training_memory = -1;
RESET ROLE;
DROP ROLE autorec_limited;
SELECT autorec_drop_model('too_big');
DROP TABLE limits_ratings;
