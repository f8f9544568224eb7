-- What training accepts and rejects: NULLs, NaN, duplicates, empty sources, column names and
-- types, sources as tables, views and queries, and names that try to inject SQL.
SET client_min_messages = warning;
\set VERBOSITY terse
-- NULL rows are skipped; duplicate pairs are averaged (the NOTICEs that count them, with their
-- times, are checked by test/integration/notices.sh).
CREATE TABLE messy (user_id bigint, item_id smallint, rating real);
INSERT INTO messy VALUES (1, 1, 5), (1, 1, 3), (1, 2, 4), (2, 1, 2), (2, 2, NULL),
                         (NULL, 3, 4), (3, NULL, 1), (3, 3, 1);
CALL autorec_train('messy', 'baseline', 'messy');
SELECT n_users, n_items, n_ratings FROM autorec_models WHERE model = 'messy';
SELECT round(predict_rating(1, 1, 'messy')::numeric, 3) AS averaged_pair_prediction;
-- NaN and infinite ratings are errors that name the row.
CREATE TABLE nan_ratings (user_id int, item_id int, rating float8);
INSERT INTO nan_ratings VALUES (1, 1, 4), (2, 1, 'NaN');
CALL autorec_train('nan', 'baseline', 'nan_ratings');
UPDATE nan_ratings SET rating = 'Infinity' WHERE user_id = 2;
CALL autorec_train('nan', 'baseline', 'nan_ratings');
-- An empty source, or one with only NULL rows, is an error.
CREATE TABLE empty_ratings (user_id int, item_id int, rating int);
CALL autorec_train('empty', 'baseline', 'empty_ratings');
INSERT INTO empty_ratings VALUES (NULL, 1, 1);
CALL autorec_train('empty', 'baseline', 'empty_ratings');
-- Missing columns: the error lists the columns the source has.
CREATE TABLE other_names (uid int, iid int, stars numeric(2,1));
INSERT INTO other_names SELECT user_id, item_id, rating FROM ratings;
\set VERBOSITY default
CALL autorec_train('names', 'baseline', 'other_names');
\set VERBOSITY terse
CALL autorec_train('names', 'baseline', 'other_names',
                   '{"user_column": "uid", "item_column": "iid", "rating_column": "stars"}');
SELECT n_ratings FROM autorec_models WHERE model = 'names';
-- Wrong column types.
CREATE TABLE text_ids (user_id text, item_id int, rating int);
INSERT INTO text_ids VALUES ('a', 1, 1);
CALL autorec_train('t', 'baseline', 'text_ids');
CREATE TABLE text_ratings (user_id int, item_id int, rating text);
CALL autorec_train('t', 'baseline', 'text_ratings');
-- Domains over integer and numeric types are accepted as what they are over.
CREATE DOMAIN user_key AS int CHECK (VALUE > 0);
CREATE DOMAIN user_key2 AS user_key;
CREATE DOMAIN stars AS numeric(2,1);
CREATE TABLE domain_ratings AS
SELECT user_id::user_key2 AS user_id, item_id::smallint AS item_id, rating::stars AS rating FROM ratings;
CALL autorec_train('domains', 'baseline', 'domain_ratings');
SELECT n_users, n_items, n_ratings FROM autorec_models WHERE model = 'domains';
CREATE DOMAIN user_name AS text;
CALL autorec_train('t', 'baseline', 'SELECT user_id::text::user_name AS user_id, item_id, rating FROM ratings');
-- Views, schema-qualified names, quoted names and queries all work.
CREATE SCHEMA "My Schema";
CREATE VIEW "My Schema"."Good Ratings" AS SELECT * FROM ratings WHERE rating >= 2;
CALL autorec_train('view', 'baseline', '"My Schema"."Good Ratings"');
CALL autorec_train('query', 'baseline', 'WITH r AS (SELECT * FROM ratings) SELECT * FROM r;');
SELECT model, source, n_ratings FROM autorec_models WHERE model IN ('view', 'query') ORDER BY 1;
-- A query that ends in a "-- comment" (the comment cannot swallow the wrapping SQL): as a
-- ratings source, a feature source, a test source and a source to split.
CALL autorec_train('commented', 'baseline', 'SELECT * FROM ratings -- all of them');
CALL autorec_train('commented_content', 'content', 'SELECT * FROM ratings -- all',
                   '{"item_features": "SELECT DISTINCT item_id, item_id % 3 AS kind FROM ratings -- kinds",
                     "epochs": 1, "factors": 2, "threads": 1}');
SELECT autorec_refresh_features('commented_content') AS version;
SELECT n_ratings FROM autorec_evaluate('commented', 'SELECT * FROM held_out -- the rest');
SELECT * FROM autorec_split('SELECT * FROM ratings -- all', 'commented_train', 'commented_test', 0.2, 1);
DROP TABLE commented_train, commented_test;
CALL autorec_train('missing', 'baseline', 'no_such_table');
CALL autorec_train('bad', 'baseline', 'SELECT * FROM no_such_table');
-- Names that try to inject SQL are only names.
CALL autorec_train('x''); DROP TABLE ratings; --', 'baseline', 'ratings');
CALL autorec_train('inject', 'baseline', 'ratings; DROP TABLE ratings');
CALL autorec_train('inject', 'baseline', 'ratings', '{"user_column": "user_id\"; DROP TABLE ratings; --"}');
SELECT count(*) AS ratings_still_there FROM ratings;
SELECT model FROM autorec_models WHERE model LIKE 'x%';
SELECT count(*) FROM recommend(1, 2, 'x''); DROP TABLE ratings; --');
-- Unknown algorithms and options, bad values, NULL arguments.
CALL autorec_train('bad', 'magic', 'ratings');
CALL autorec_train('bad', 'baseline', 'ratings', '{"bogus": 1}');
CALL autorec_train('bad', 'baseline', 'ratings', '{"reg_user": -1}');
CALL autorec_train('bad', 'baseline', 'ratings', '{"epochs": "ten"}');
CALL autorec_train('bad', 'baseline', 'ratings', '[1, 2]');
CALL autorec_train(NULL, 'baseline', 'ratings');
CALL autorec_train('bad', 'baseline', '');
CALL autorec_train('', 'baseline', 'ratings');
SELECT count(*) AS no_bad_models FROM autorec_models WHERE model IN ('bad', 'nan', 'empty', 't', '');
SELECT autorec_drop_model(model) FROM autorec_models WHERE model <> 'base' ORDER BY model;
