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
-- Every family estimates its own peak. With the limit at 7MB, the configurations of the security
-- issue are refused at once, before any epoch: U-AutoRec with 30,000 hidden units (it peaked at
-- 2.3 GB on MovieLens 100K when only a default estimate applied), 1,000 ALS factors on many
-- threads, user-based KNN keeping every neighbour. (The statement timeout fails the test if
-- one of them trains instead.) A small model still fits.
SET autorec.max_training_memory = '7MB';
SET statement_timeout = '60s';
CALL autorec_train('too_big', 'autorec', 'limits_ratings', '{"variant": "user", "hidden": [30000]}');
CALL autorec_train('too_big', 'autorec', 'limits_ratings', '{"hidden": [500, 250, 500], "optimizer": "adam", "threads": 2}');
CALL autorec_train('too_big', 'svd', 'limits_ratings', '{"method": "als", "factors": 1000, "threads": 16}');
CREATE TABLE limits_many_users AS
SELECT u AS user_id, i AS item_id, 1 + (u + i) % 5 AS rating
  FROM generate_series(1, 3000) u, generate_series(1, 30) i WHERE (u + i) % 3 = 0;
CALL autorec_train('too_big', 'knn', 'limits_many_users', '{"kind": "user", "max_neighbors": 100000, "threads": 2}');
DROP TABLE limits_many_users;
CALL autorec_train('small_enough', 'svd', 'limits_ratings', '{"factors": 10, "epochs": 2, "threads": 2}');
SELECT model, n_ratings FROM autorec_models WHERE model IN ('too_big', 'small_enough') ORDER BY model;
SELECT autorec_drop_model('small_enough');
RESET statement_timeout;
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
