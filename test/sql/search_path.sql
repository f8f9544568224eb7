-- Search-path attacks (CVE-2018-1058; "Security Considerations for Extensions" in the manual):
-- a role that may only create objects in public plants operators, functions, aggregates and
-- types there that shadow the ones the extension calls, each recording its call. A superuser
-- (and a privileged non-superuser) with public first on its search_path then runs every
-- public routine of the extension: none of the planted objects may run (they would run with
-- the caller's rights: ALTER ROLE mallory SUPERUSER).
SET client_min_messages = warning;
\set VERBOSITY terse
-- Data and models the calls need, made before anything is planted.
CREATE SCHEMA sp_data;
CREATE TABLE sp_data.ratings AS
SELECT user_id, item_id, rating, user_id * 100 + item_id AS ts FROM public.ratings;
CREATE TABLE sp_data.items AS
SELECT DISTINCT item_id, (item_id % 3)::text AS kind, ARRAY[(item_id % 2)::text] AS tags
  FROM public.ratings;
CALL autorec_train('sp_knn', 'knn', 'sp_data.ratings');
CALL autorec_train('sp_content', 'content', 'sp_data.ratings',
                   '{"item_features": "sp_data.items", "epochs": 2, "factors": 2, "threads": 1}');
CREATE ROLE autorec_victim CREATEROLE;           -- not a superuser, but worth attacking
GRANT USAGE ON SCHEMA sp_data TO autorec_victim;
GRANT SELECT ON sp_data.ratings TO autorec_victim;
-- The attacker: no privilege but CREATE on public.
CREATE ROLE autorec_mallory;
GRANT CREATE ON SCHEMA public TO autorec_mallory;
SET ROLE autorec_mallory;
CREATE TABLE public.trap_log (what text, run_as name);
CREATE SEQUENCE public.trap_calls;              -- counts calls in statements that fail, too
GRANT INSERT ON public.trap_log TO PUBLIC;
GRANT USAGE ON SEQUENCE public.trap_calls TO PUBLIC;
CREATE FUNCTION public.trap(what pg_catalog.text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.trap_calls');
    INSERT INTO public.trap_log VALUES (what, CURRENT_USER);
END $$;
-- Operators: every symbol for every pair of these types that PostgreSQL's own operators
-- accept (with implicit casts, such as float8 > int4): the planted one matches exactly and
-- returns what the real one would.
DO $$
DECLARE
    op text;
    l text;
    r text;
    ret text;
    n int := 0;
    types text[] := ARRAY['int2', 'int4', 'int8', 'float8', 'numeric', 'text', 'name', 'jsonb',
                          'bool', 'text[]', 'name[]'];
BEGIN
    FOREACH op IN ARRAY ARRAY['=', '<>', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '||', '~',
                              '~*', '!~', '&', '->', '->>', '?', '@>'] LOOP
        FOREACH l IN ARRAY types LOOP
            FOREACH r IN ARRAY types LOOP
                BEGIN
                    EXECUTE format('SELECT pg_catalog.pg_typeof(NULL::pg_catalog.%s OPERATOR(pg_catalog.%s) NULL::pg_catalog.%s)::pg_catalog.text',
                                   l, op, r) INTO ret;
                EXCEPTION WHEN OTHERS THEN
                    CONTINUE;
                END;
                n := n + 1;
                EXECUTE format('CREATE FUNCTION public.trap_op_%s(pg_catalog.%s, pg_catalog.%s) RETURNS %s '
                               'LANGUAGE sql AS %L', n, l, r, ret,
                               format('SELECT public.trap(%L); SELECT $1 OPERATOR(pg_catalog.%s) $2',
                                      format('%s(%s,%s)', op, l, r), op));
                EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = pg_catalog.%s, RIGHTARG = pg_catalog.%s, '
                               'FUNCTION = public.trap_op_%s)', op, l, r, n);
            END LOOP;
        END LOOP;
    END LOOP;
    FOREACH r IN ARRAY ARRAY['int4', 'int8', 'float8', 'numeric'] LOOP  -- prefix minus
        n := n + 1;
        EXECUTE format('CREATE FUNCTION public.trap_op_%s(pg_catalog.%s) RETURNS pg_catalog.%s '
                       'LANGUAGE sql AS %L', n, r, r,
                       format('SELECT public.trap(%L); SELECT OPERATOR(pg_catalog.-) $1', '-' || r));
        EXECUTE format('CREATE OPERATOR public.- (RIGHTARG = pg_catalog.%s, FUNCTION = public.trap_op_%s)', r, n);
    END LOOP;
    RAISE NOTICE 'planted % operators', n;
END $$;
SELECT pg_catalog.count(*) > 1000 AS many_operators_planted
  FROM pg_catalog.pg_operator WHERE oprnamespace = 'public'::pg_catalog.regnamespace;
-- Functions: every name the extension calls (percent_rank, a window function, cannot be
-- written in SQL; coalesce, nullif and greatest are syntax).
DO $$
DECLARE
    f text[];
    n int := 0;
BEGIN
    FOREACH f SLICE 1 IN ARRAY ARRAY[
        -- name, arguments, result, the real call
        ['lower', 'pg_catalog.text', 'pg_catalog.text', 'pg_catalog.lower($1)'],
        ['upper', 'pg_catalog.text', 'pg_catalog.text', 'pg_catalog.upper($1)'],
        ['length', 'pg_catalog.text', 'pg_catalog.int4', 'pg_catalog.length($1)'],
        ['format', 'pg_catalog.text', 'pg_catalog.text', 'pg_catalog.format($1)'],
        ['format', 'pg_catalog.text, pg_catalog.text', 'pg_catalog.text', 'pg_catalog.format($1, $2)'],
        ['format', 'pg_catalog.text, pg_catalog.text, pg_catalog.text', 'pg_catalog.text', 'pg_catalog.format($1, $2, $3)'],
        ['format', 'pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text', 'pg_catalog.text', 'pg_catalog.format($1, $2, $3, $4)'],
        ['format', 'pg_catalog.text, VARIADIC pg_catalog.text[]', 'pg_catalog.text', 'pg_catalog.format($1, VARIADIC $2)'],
        ['now', '', 'pg_catalog.timestamptz', 'pg_catalog.now()'],
        ['quote_ident', 'pg_catalog.text', 'pg_catalog.text', 'pg_catalog.quote_ident($1)'],
        ['quote_literal', 'pg_catalog.text', 'pg_catalog.text', 'pg_catalog.quote_literal($1)'],
        ['rtrim', 'pg_catalog.text, pg_catalog.text', 'pg_catalog.text', 'pg_catalog.rtrim($1, $2)'],
        ['floor', 'pg_catalog.float8', 'pg_catalog.float8', 'pg_catalog.floor($1)'],
        ['floor', 'pg_catalog.numeric', 'pg_catalog.numeric', 'pg_catalog.floor($1)'],
        ['hashtext', 'pg_catalog.text', 'pg_catalog.int4', 'pg_catalog.hashtext($1)'],
        ['hashtextextended', 'pg_catalog.text, pg_catalog.int8', 'pg_catalog.int8', 'pg_catalog.hashtextextended($1, $2)'],
        ['current_setting', 'pg_catalog.text', 'pg_catalog.text', 'pg_catalog.current_setting($1)'],
        ['current_setting', 'pg_catalog.text, pg_catalog.bool', 'pg_catalog.text', 'pg_catalog.current_setting($1, $2)'],
        ['set_config', 'pg_catalog.text, pg_catalog.text, pg_catalog.bool', 'pg_catalog.text', 'pg_catalog.set_config($1, $2, $3)'],
        ['current_schema', '', 'pg_catalog.name', 'pg_catalog.current_schema()'],
        ['parse_ident', 'pg_catalog.text', 'pg_catalog.text[]', 'pg_catalog.parse_ident($1)'],
        ['array_to_string', 'pg_catalog.text[], pg_catalog.text', 'pg_catalog.text', 'pg_catalog.array_to_string($1, $2)'],
        ['array_remove', 'pg_catalog.name[], pg_catalog.name', 'pg_catalog.name[]', 'pg_catalog.array_remove($1, $2)'],
        ['array_append', 'pg_catalog.name[], pg_catalog.name', 'pg_catalog.name[]', 'pg_catalog.array_append($1, $2)'],
        ['cardinality', 'pg_catalog.text[]', 'pg_catalog.int4', 'pg_catalog.cardinality($1)'],
        ['pg_has_role', 'pg_catalog.name, pg_catalog.oid, pg_catalog.text', 'pg_catalog.bool', 'pg_catalog.pg_has_role($1, $2, $3)'],
        ['octet_length', 'pg_catalog.bytea', 'pg_catalog.int4', 'pg_catalog.octet_length($1)'],
        ['to_regclass', 'pg_catalog.text', 'pg_catalog.regclass', 'pg_catalog.to_regclass($1)'],
        ['to_jsonb', 'autorec.evaluation', 'pg_catalog.jsonb', 'pg_catalog.to_jsonb($1)'],
        ['jsonb_build_object', 'pg_catalog.text, pg_catalog.timestamptz, pg_catalog.text, pg_catalog.int4, pg_catalog.text, pg_catalog.text',
         'pg_catalog.jsonb', 'pg_catalog.jsonb_build_object($1, $2, $3, $4, $5, $6)'],
        ['pg_advisory_xact_lock', 'pg_catalog.int4, pg_catalog.int4', 'void', 'pg_catalog.pg_advisory_xact_lock($1, $2)'],
        ['pg_advisory_xact_lock', 'pg_catalog.int8', 'void', 'pg_catalog.pg_advisory_xact_lock($1)'],
        ['jsonb_object_keys', 'pg_catalog.jsonb', 'SETOF pg_catalog.text', 'pg_catalog.jsonb_object_keys($1)'],
        ['jsonb_array_elements', 'pg_catalog.jsonb', 'SETOF pg_catalog.jsonb', 'pg_catalog.jsonb_array_elements($1)'],
        ['unnest', 'pg_catalog.name[]', 'SETOF pg_catalog.name', 'pg_catalog.unnest($1)'],
        ['unnest', 'pg_catalog.text[]', 'SETOF pg_catalog.text', 'pg_catalog.unnest($1)']]
    LOOP
        n := n + 1;
        EXECUTE format('CREATE FUNCTION public.%I(%s) RETURNS %s LANGUAGE sql AS %L', f[1], f[2], f[3],
                       format('SELECT public.trap(%L); SELECT %s', f[1] || '(' || f[2] || ')', f[4]));
    END LOOP;
    RAISE NOTICE 'planted % functions', n;
END $$;
-- Aggregates.
CREATE FUNCTION public.trap_count(pg_catalog.int8) RETURNS pg_catalog.int8 LANGUAGE sql AS
    $$ SELECT public.trap('count(*)'); SELECT $1 OPERATOR(pg_catalog.+) 1::pg_catalog.int8 $$;
CREATE AGGREGATE public.count(*) (SFUNC = public.trap_count, STYPE = pg_catalog.int8, INITCOND = '0');
CREATE FUNCTION public.trap_string_agg(pg_catalog.text, pg_catalog.text, pg_catalog.text)
    RETURNS pg_catalog.text LANGUAGE sql AS
    $$ SELECT public.trap('string_agg'); SELECT pg_catalog.concat($1, $3, $2) $$;
CREATE AGGREGATE public.string_agg(pg_catalog.text, pg_catalog.text)
    (SFUNC = public.trap_string_agg, STYPE = pg_catalog.text);
CREATE FUNCTION public.trap_array_agg(pg_catalog.text[], pg_catalog.text)
    RETURNS pg_catalog.text[] LANGUAGE sql AS
    $$ SELECT public.trap('array_agg'); SELECT pg_catalog.array_append($1, $2) $$;
CREATE AGGREGATE public.array_agg(pg_catalog.text)
    (SFUNC = public.trap_array_agg, STYPE = pg_catalog.text[]);
CREATE FUNCTION public.trap_max(pg_catalog.int4, pg_catalog.int4)
    RETURNS pg_catalog.int4 LANGUAGE sql AS
    $$ SELECT public.trap('max(int4)'); SELECT GREATEST($1, $2) $$;
CREATE AGGREGATE public.max(pg_catalog.int4) (SFUNC = public.trap_max, STYPE = pg_catalog.int4);
-- Types named in casts and declarations: a domain whose check records its use.
CREATE FUNCTION public.trap_true(what pg_catalog.text) RETURNS pg_catalog.bool LANGUAGE sql AS
    $$ SELECT public.trap(what); SELECT true $$;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', 'name', 'jsonb', 'regclass', 'int2', 'int4', 'int8',
                             'float8', 'bytea'] LOOP
        EXECUTE format('CREATE DOMAIN public.%I AS pg_catalog.%I CHECK (public.trap_true(%L))',
                       t, t, 'type ' || t);
    END LOOP;
END $$;
-- (Planting called some of its own traps: format() with text arguments is one.)
TRUNCATE public.trap_log;
SELECT pg_catalog.setval('public.trap_calls', 1, false) IS NOT NULL AS log_reset;
RESET ROLE;

-- The superuser, public first. The statements here name nothing unqualified themselves.
SET search_path = public, pg_catalog;
CALL autorec_train('sp_new', 'baseline', 'sp_data.ratings');
CALL autorec_train('sp_new', 'svd', 'SELECT * FROM sp_data.ratings -- a comment',
                   '{"epochs": 2, "factors": 2, "threads": 1}');
CALL autorec_retrain('sp_new');
SELECT * FROM autorec_split('sp_data.ratings', 'sp_data.tr', 'sp_data.te', 0.2, 1);
SELECT * FROM autorec_split('SELECT * FROM sp_data.ratings', 'sp_data.tr_user', 'sp_data.te_user',
                            0.25, 2, '{"method": "user"}');
SELECT * FROM autorec_split('sp_data.ratings', 'sp_data.tr_time', 'sp_data.te_time', 0.25, 3,
                            '{"method": "time", "time_column": "ts"}');
SELECT n_ratings, n_users FROM autorec_evaluate('sp_new', 'sp_data.te');
SELECT pg_catalog.count(*) AS per_user FROM autorec_evaluate_per_user('sp_new', 'sp_data.te');
SELECT autorec_fit(user_id, item_id, rating, 'baseline', '{}') IS NOT NULL AS fitted
  FROM sp_data.ratings;
SELECT pg_catalog.count(*) AS recommended FROM recommend(1, 3, 'sp_new');
SELECT pg_catalog.count(*) AS recommended FROM recommend_for_ratings(ARRAY[1, 2], ARRAY[4.0, 5.0], 3, 'sp_new');
SELECT predict_rating(1, 1, 'sp_new') IS NOT NULL AS predicted;
SELECT pg_catalog.count(*) AS similar FROM similar_items(1, 3, 'sp_knn');
SELECT pg_catalog.count(*) AS explained FROM explain_recommendation(1, 2, 'sp_knn');
SELECT pg_catalog.count(*) AS epochs FROM autorec_training_history('sp_new');
SELECT autorec_refresh_features('sp_content') AS refreshed_version;
SELECT autorec_set_default('sp_new');
SELECT autorec_rollback('sp_new') AS current_version;
SELECT autorec_grant('sp_new', 'autorec_victim');
SELECT autorec_grant('sp_new', 'public');
SELECT autorec_grant('sp_new', 'no_such_role');
SELECT autorec_revoke('sp_new', 'public');
SELECT autorec_revoke('sp_new', 'autorec_victim');
SELECT pg_catalog.count(*) AS models FROM autorec_models WHERE model LIKE 'sp%';
SELECT pg_catalog.count(*) AS versions FROM autorec_model_versions WHERE model LIKE 'sp%';
SELECT pg_catalog.count(*) AS svd_options FROM autorec_options('svd');
SELECT * FROM autorec_options('no_such_algorithm');
SELECT autorec_schedule_refresh('sp_new', '0 3 * * *');          -- no pg_cron here
SELECT autorec_unschedule_refresh('sp_new');
CALL autorec_retrain('no_such_model');
SELECT autorec_drop_model('no_such_model');
-- The DROP EXTENSION guard's query runs on this path too (models are stored: it refuses).
DO $$ BEGIN DROP EXTENSION autorec; EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE WARNING 'DROP EXTENSION autorec refused: models are stored'; END $$;
SELECT * FROM recommend(1, 3, 'no_such_model');                 -- the HINT lists the models
SELECT predict_rating(1, 1, 'no_such_model');
SELECT * FROM autorec_split('sp_data.ratings', 'sp_data.x1', 'sp_data.x2', 0.2, 1, '{"method": "user", "user_column": "nobody"}');
SELECT autorec_drop_model('sp_new');
-- A privileged role that is not a superuser: row security and the models it owns.
SET ROLE autorec_victim;
CALL autorec_train('sp_victim', 'baseline', 'sp_data.ratings');
SELECT pg_catalog.count(*) AS recommended FROM recommend(1, 3, 'sp_victim');
SELECT pg_catalog.count(*) AS models FROM autorec_models;
SELECT pg_catalog.count(*) AS versions FROM autorec_model_versions;
SELECT autorec_grant('sp_victim', 'public');
SELECT autorec_drop_model('sp_victim');
RESET ROLE;
RESET search_path;
-- Nothing planted ran.
SELECT what, run_as, pg_catalog.count(*) FROM public.trap_log GROUP BY 1, 2 ORDER BY 1, 2;
SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS planted_calls FROM public.trap_calls;
-- The traps work: an unqualified call of the session's own springs one.
SET search_path = public, pg_catalog;
SELECT lower('ABC') AS control;
RESET search_path;
SELECT what, run_as FROM public.trap_log;
-- A stored query source is resolved again on the search_path it was trained with, whoever
-- retrains it and whatever their search_path: another schema's table of the same name, earlier
-- on the retrainer's path, is not read.
CREATE SCHEMA sp_s1;
CREATE SCHEMA sp_s2;
CREATE TABLE sp_s1.sp_ratings AS SELECT user_id, item_id, rating FROM public.ratings;
CREATE TABLE sp_s2.sp_ratings AS SELECT user_id, item_id, rating FROM public.ratings WHERE item_id <= 5;
CREATE TABLE sp_s1.sp_items AS SELECT i AS item_id, i % 3 AS kind FROM generate_series(1, 40) i;
CREATE TABLE sp_s2.sp_items AS SELECT i AS item_id, i % 3 AS kind FROM generate_series(1001, 1005) i;
SET search_path = sp_s1;
CALL public.autorec_train('sp_stored', 'baseline', 'SELECT * FROM sp_ratings');
CALL public.autorec_train('sp_stored_content', 'content', 'SELECT * FROM sp_ratings',
                          '{"item_features": "SELECT * FROM sp_items", "epochs": 1, "factors": 2, "threads": 1}');
SET search_path = sp_s2, sp_s1, public;
CALL autorec_retrain('sp_stored');
SELECT autorec_refresh_features('sp_stored_content') AS version;
RESET search_path;
-- Read from sp_s2, the ratings would have 5 items and the features 5 items more.
SELECT model, version, n_items, n_ratings, search_path FROM autorec_models
 WHERE model LIKE 'sp_stored%' ORDER BY 1;
SELECT autorec_drop_model('sp_stored');
SELECT autorec_drop_model('sp_stored_content');
DROP SCHEMA sp_s1, sp_s2 CASCADE;
-- Clean up.
SELECT autorec_drop_model('sp_knn');
SELECT autorec_drop_model('sp_content');
DROP OWNED BY autorec_mallory;
DROP ROLE autorec_mallory;
DROP SCHEMA sp_data CASCADE;
DROP ROLE autorec_victim;
