-- The error contract (docs/errors.md): one condition, one SQLSTATE, whether the C functions or
-- the SQL routines raise it. Each row runs one statement and shows what it raised.
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.err(stmt text)
    RETURNS TABLE (sqlstate text, message text, detail text, hint text)
LANGUAGE plpgsql AS $$
DECLARE
    s text; m text; d text; h text;
BEGIN
    EXECUTE stmt;
    RETURN QUERY SELECT 'none'::text, NULL::text, NULL::text, NULL::text;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL,
                            h = PG_EXCEPTION_HINT;
    RETURN QUERY SELECT s, m, nullif(d, ''), nullif(h, '');
END $$;
CREATE FUNCTION pg_temp.errors(stmts text[])
    RETURNS TABLE (entry text, sqlstate text, message text)
LANGUAGE sql AS $$
    SELECT split_part(t.stmt, ';', 1), e.sqlstate, e.message
      FROM unnest(stmts) WITH ORDINALITY AS t(stmt, ord), LATERAL pg_temp.err(t.stmt) e
     ORDER BY t.ord
$$;
CALL autorec_train('err_base', 'baseline', 'ratings');

-- A model that does not exist: 42704 undefined_object from every entry point, C or SQL.
SELECT * FROM pg_temp.errors(ARRAY[
  $$SELECT * FROM recommend(1, 5, 'nope')$$,
  $$SELECT predict_rating(1, 1, 'nope')$$,
  $$SELECT * FROM recommend_for_ratings(ARRAY[1], ARRAY[4.0], 5, 'nope')$$,
  $$SELECT * FROM similar_items(1, 5, 'nope')$$,
  $$SELECT * FROM explain_recommendation(1, 1, 'nope')$$,
  $$SELECT * FROM autorec_evaluate('nope', 'held_out')$$,
  $$SELECT * FROM autorec_evaluate_per_user('nope', 'held_out')$$,
  $$CALL autorec_retrain('nope')$$,
  $$SELECT autorec_drop_model('nope')$$,
  $$SELECT autorec_grant('nope', 'public')$$,
  $$SELECT autorec_revoke('nope', 'public')$$,
  $$SELECT autorec_rollback('nope')$$,
  $$SELECT autorec_set_default('nope')$$,
  $$SELECT autorec_refresh_features('nope')$$,
  $$SELECT * FROM autorec_training_history('nope')$$,
  $$SELECT autorec_schedule_refresh('nope', '0 3 * * *')$$]);
-- No default model: the same condition (run in a transaction that is rolled back).
BEGIN;
UPDATE autorec.model SET is_default = false;
SELECT * FROM pg_temp.errors(ARRAY[
  $$SELECT * FROM recommend(1, 5)$$,
  $$SELECT predict_rating(1, 1)$$]);
ROLLBACK;

-- A source without a column it needs: 42703 undefined_column (autorec_split's check is SQL),
-- with the columns it has as DETAIL and what to do as HINT; a column of the wrong type 42804.
SELECT entry, e.* FROM (VALUES
  ('no item column', $$CALL autorec_train('err_cols', 'baseline', 'SELECT user_id, item_id AS item, rating FROM ratings')$$),
  ('two missing', $$CALL autorec_train('err_cols', 'ease', 'SELECT user_id AS u, item_id AS i FROM ratings')$$),
  ('no rating column', $$CALL autorec_train('err_cols', 'baseline', 'SELECT user_id, item_id FROM ratings')$$),
  ('renamed column', $$CALL autorec_train('err_cols', 'ease', 'ratings', '{"user_column": "customer"}')$$),
  ('feature id column', $$CALL autorec_train('err_cols', 'content', 'ratings', '{"item_features": "SELECT 1 AS id, 2 AS year"}')$$),
  ('autorec_split', $$SELECT * FROM autorec_split('ratings', 'err_train', 'err_test', 0.2, 1, '{"method": "user", "user_column": "customer"}')$$),
  ('id of type text', $$CALL autorec_train('err_cols', 'baseline', 'SELECT user_id::text AS user_id, item_id, rating FROM ratings')$$),
  ('rating of type text', $$CALL autorec_train('err_cols', 'baseline', 'SELECT user_id, item_id, rating::text AS rating FROM ratings')$$)
  ) t(entry, stmt), LATERAL pg_temp.err(stmt) e;

-- Bad options and arguments: 22023 invalid_parameter_value; NULL arguments: 22004
-- null_value_not_allowed, C or SQL.
SELECT * FROM pg_temp.errors(ARRAY[
  $$CALL autorec_train('err_opt', 'baseline', 'ratings', '{"epochs": 0}')$$,
  $$CALL autorec_train('err_opt', 'baseline', 'ratings', '{"no_such_option": 1}')$$,
  $$CALL autorec_train('err_opt', 'baseline', 'ratings', '{"verbose": "yes"}')$$,
  $$CALL autorec_train('err_opt', 'baseline', 'ratings', '[1]')$$,
  $$CALL autorec_train('err_opt', 'no_such_algorithm', 'ratings')$$,
  $$SELECT * FROM recommend(1, -1, 'err_base')$$,
  $$SELECT * FROM autorec_evaluate('err_base', 'held_out', 0)$$,
  $$SELECT * FROM autorec_split('ratings', 'err_train', 'err_test', 1.5)$$,
  $$CALL autorec_train(NULL, 'baseline', 'ratings')$$,
  $$SELECT * FROM autorec_evaluate('err_base', NULL)$$,
  $$SELECT autorec_fit(user_id, item_id, rating, NULL, '{}') FROM ratings$$,
  $$SELECT autorec_grant('err_base', NULL)$$]);

-- Other conditions: a relation that does not exist (PostgreSQL's own 42P01), a model family
-- that cannot do what is asked (0A000), a training over autorec.max_training_memory (54000).
SELECT * FROM pg_temp.errors(ARRAY[
  $$CALL autorec_train('err_src', 'baseline', 'no_such_table')$$,
  $$SELECT * FROM similar_items(1, 5, 'err_base')$$,
  $$SELECT autorec_refresh_features('err_base')$$]);
SET autorec.max_training_memory = '64kB';
SELECT e.sqlstate, regexp_replace(e.message, 'estimated [0-9]+ [kMG]B', 'estimated N kB') AS message
  FROM pg_temp.err($$CALL autorec_train('err_mem', 'svd', 'ratings', '{"factors": 500}')$$) e;
RESET autorec.max_training_memory;

-- The C errors' DETAIL and HINT: full sentences.
SELECT e.detail, e.hint
  FROM pg_temp.err($$CALL autorec_train('err_cols', 'baseline', 'SELECT user_id AS u, item_id, rating FROM ratings')$$) e;

-- SQLSTATEs catchable by name in plpgsql, C or SQL alike.
DO $$
BEGIN
    PERFORM predict_rating(1, 1, 'nope');
EXCEPTION WHEN undefined_object THEN
    RAISE WARNING 'predict_rating: undefined_object';
END $$;
DO $$
BEGIN
    PERFORM autorec_drop_model('nope');
EXCEPTION WHEN undefined_object THEN
    RAISE WARNING 'autorec_drop_model: undefined_object';
END $$;
DO $$
BEGIN
    CALL autorec_train('err_cols', 'baseline', 'SELECT 1 AS user_id, 2 AS item_id');
EXCEPTION WHEN undefined_column THEN
    RAISE WARNING 'autorec_train: undefined_column';
END $$;

-- autorec.max_training_threads: a superuser's cap (PGC_SUSET); 0, the default, is no cap.
SHOW autorec.max_training_threads;
SET autorec.max_training_threads = 1;
SHOW autorec.max_training_threads;
SELECT * FROM pg_temp.err($$SET autorec.max_training_threads = -1$$);
RESET autorec.max_training_threads;
CREATE ROLE autorec_err_user;
SET ROLE autorec_err_user;
SELECT * FROM pg_temp.err($$SET autorec.max_training_threads = 64$$);
RESET ROLE;
DROP ROLE autorec_err_user;
SELECT autorec_drop_model('err_base');
