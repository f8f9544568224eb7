-- autorec 0.1 -> 0.2 (ALTER EXTENSION autorec UPDATE): everything autorec--0.2.sql has beyond
-- autorec--0.1.sql, in the order it was added. sql/autorec--0.1.sql is the 0.1 release's script,
-- kept unchanged (CREATE EXTENSION autorec VERSION '0.1' installs it); the 0.2 library still
-- exports every C symbol it names, so a 0.1 installation keeps working until it is updated.
-- test/integration/upgrade.sh checks that an updated installation equals a fresh one.
--
-- Rules (docs/operations.md, "Upgrading"):
-- - Every change goes into autorec--0.2.sql (what a fresh install runs) AND, as the statement
--   that makes a 0.1 installation equal to it, here: appended at the END, under a comment line
--   `-- <topic>`, so that blocks of several branches merge.
-- - A new object: the same CREATE (and COMMENT, GRANT) as in autorec--0.2.sql. A changed body
--   or attribute (COST, ROWS, SUPPORT, SET, PARALLEL, STRICT): CREATE OR REPLACE with the whole
--   new definition, or ALTER FUNCTION. A changed argument list or result type is a new
--   function: keep the old one (and its C symbol) or DROP it here explicitly.
-- - A new column: ALTER TABLE ... ADD COLUMN here and the column LAST in the table's CREATE in
--   autorec--0.2.sql (the column order is compared), with the same default and constraints; a
--   new table of user data also gets pg_extension_config_dump in both scripts.
-- - Use @extschema@ and schema-qualified names as autorec--0.2.sql does; no DO blocks whose
--   effect depends on the database's contents.
-- - Check: AUTOREC_ONLY='integration: upgrade' bash scripts/test.sh prints any object that
--   differs between a fresh install and 0.1 + UPDATE.
\echo Use "ALTER EXTENSION autorec UPDATE TO '0.2'" to load this file. \quit

-- operations (issue 14, item 7): descriptions of the catalog, autorec_drop_model removes the
-- model's pg_cron jobs, COST and a planner support function for the serving functions, and the
-- event trigger that makes DROP EXTENSION autorec ask for CASCADE while models are stored.
COMMENT ON SCHEMA autorec IS 'autorec''s catalog (stored models) and internal helpers; the public functions are in the extension''s schema';
COMMENT ON TABLE autorec.model IS 'one row per model: its training spec (for autorec_retrain), current version, default flag, owner and grants';
COMMENT ON COLUMN autorec.model.name IS 'model name, unique in the database (1 to 200 characters)';
COMMENT ON COLUMN autorec.model.owner IS 'role that trained it first; only its members (and superusers) may retrain, change, grant or drop it';
COMMENT ON COLUMN autorec.model.algorithm IS 'model family of the latest training (autorec_algorithms())';
COMMENT ON COLUMN autorec.model.source IS 'table, view or query of the latest training, as given';
COMMENT ON COLUMN autorec.model.options IS 'options of the latest training, as given';
COMMENT ON COLUMN autorec.model.current_version IS 'version that recommend() and the other serving functions use (autorec_rollback changes it)';
COMMENT ON COLUMN autorec.model.is_default IS 'true for the one model used when a serving function gets no model name';
COMMENT ON COLUMN autorec.model.created_at IS 'time of the first training';
COMMENT ON COLUMN autorec.model.last_refreshed IS 'time the current training finished (autorec_train, autorec_retrain, pg_cron refreshes)';
COMMENT ON COLUMN autorec.model.last_refresh_seconds IS 'duration of that training in seconds';
COMMENT ON COLUMN autorec.model.granted_to IS 'roles besides the owner that may use the model (autorec_grant); ''public'' means every role';
COMMENT ON COLUMN autorec.model.search_path IS 'search_path of the latest autorec_train: autorec_retrain and autorec_refresh_features resolve the sources on it';
COMMENT ON TABLE autorec.model_version IS 'every trained version of every model, with its self-contained weights; readable by the roles that may use the model';
COMMENT ON COLUMN autorec.model_version.id IS 'unique id of the version (identity), used by the backends'' model cache';
COMMENT ON COLUMN autorec.model_version.model IS 'model it belongs to (deleted with it)';
COMMENT ON COLUMN autorec.model_version.version IS 'version number within the model, from 1';
COMMENT ON COLUMN autorec.model_version.algorithm IS 'model family it was trained with';
COMMENT ON COLUMN autorec.model_version.source IS 'table, view or query it was trained on';
COMMENT ON COLUMN autorec.model_version.options IS 'options it was trained with, as given';
COMMENT ON COLUMN autorec.model_version.n_users IS 'users in the training data';
COMMENT ON COLUMN autorec.model_version.n_items IS 'items in the training data';
COMMENT ON COLUMN autorec.model_version.n_ratings IS 'ratings or interactions trained on (after NULLs skipped and duplicates merged)';
COMMENT ON COLUMN autorec.model_version.weights IS 'the serialized model (magic, format version, CRC-32): id maps, training ratings, parameters; stored uncompressed';
COMMENT ON COLUMN autorec.model_version.trained_at IS 'time the version was stored';
COMMENT ON COLUMN autorec.model_version.trained_by IS 'role that ran the training';
COMMENT ON COLUMN autorec.model_version.train_seconds IS 'training time in seconds (reading the source included)';
COMMENT ON COLUMN autorec.model_version.history IS 'per-epoch losses as a JSON array (autorec_training_history)';
COMMENT ON COLUMN autorec.model_version.metrics IS 'latest autorec_evaluate result for this version (empty until evaluated)';

-- Removes the pg_cron jobs autorec_schedule_refresh made for a model (named
-- autorec_refresh_<model>) that the caller can see in this database: its own, every role's
-- for a superuser (pg_cron's row security on cron.job); returns how many. Nothing without
-- pg_cron or without USAGE on its schema (then the caller cannot have scheduled any).
CREATE FUNCTION autorec._unschedule_refresh_jobs(model text) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job bigint;
    job_name text;
    owner_name text;
    removed integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN 0;
    END IF;
    IF NOT has_schema_privilege('cron', 'USAGE') THEN
        RETURN 0;
    END IF;
    -- $1::name: pg_cron stores job names as name, cut to 63 bytes (long model names); the
    -- command names the model in full, so a model whose name shares the first 47 bytes keeps
    -- its job.
    FOR job, job_name, owner_name IN EXECUTE
        'SELECT jobid, jobname, username FROM cron.job WHERE jobname = $1::name AND command = $2 AND database = current_database() ORDER BY jobid'
        USING 'autorec_refresh_' || model, autorec._refresh_command(model)
    LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING job;
        RAISE NOTICE 'removed pg_cron job % (%, role %) that refreshed model "%"',
                     job, job_name, owner_name, model;
        removed := removed + 1;
    END LOOP;
    RETURN removed;
END $$;
COMMENT ON FUNCTION autorec._unschedule_refresh_jobs(text) IS
    'remove the pg_cron jobs autorec_refresh_<model> of this database that the caller can see; returns how many';

CREATE OR REPLACE FUNCTION @extschema@.autorec_drop_model(model text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM autorec._check_owner(model);
    DELETE FROM autorec.model WHERE name = autorec_drop_model.model;
    -- Its scheduled refreshes would fail from now on (model does not exist): they go with it.
    PERFORM autorec._unschedule_refresh_jobs(model);
END $$;
COMMENT ON FUNCTION @extschema@.autorec_drop_model(text) IS
    'drop a model, all its versions and its pg_cron refresh jobs (autorec_refresh_<model>)';

CREATE FUNCTION autorec._serving_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'autorec_serving_support' LANGUAGE C STRICT;
COMMENT ON FUNCTION autorec._serving_support(internal) IS
    'planner support of the serving functions: the requested n as the row estimate';
ALTER FUNCTION @extschema@.recommend(bigint, integer, text, boolean, bigint[])
    COST 5000 SUPPORT autorec._serving_support;
ALTER FUNCTION @extschema@.recommend_for_ratings(bigint[], double precision[], integer, text)
    COST 5000 SUPPORT autorec._serving_support;
ALTER FUNCTION @extschema@.similar_items(bigint, integer, text)
    COST 500 SUPPORT autorec._serving_support;
ALTER FUNCTION @extschema@.predict_rating(bigint, bigint, text) COST 20;
ALTER FUNCTION @extschema@.explain_recommendation(bigint, bigint, text) COST 1000 ROWS 50;

-- A role that is not a superuser could not schedule at all: cron.database_name is readable by
-- superusers (and pg_read_all_settings) only, and was read on every call.
-- Raises a clear error, with what to do, when pg_cron cannot be used from this database.
CREATE OR REPLACE FUNCTION autorec._require_pg_cron() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cron_db text;
    preload text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN;
    END IF;
    -- Only superusers and members of pg_read_all_settings may read these two settings.
    BEGIN
        preload := current_setting('shared_preload_libraries');
        cron_db := current_setting('cron.database_name', true);
    EXCEPTION WHEN insufficient_privilege THEN
        NULL;
    END;
    RAISE EXCEPTION 'pg_cron is not installed in this database'
        USING ERRCODE = 'feature_not_supported',
              HINT = CASE
                  WHEN preload IS NULL THEN
                      'Ask a superuser to set up pg_cron for this database (shared_preload_libraries, '
                      'cron.database_name, CREATE EXTENSION pg_cron).'
                  WHEN preload !~ '(^|[ ,])pg_cron($|[ ,])' THEN
                      format('Add pg_cron to shared_preload_libraries, set cron.database_name = %L, '
                             'restart the server, then CREATE EXTENSION pg_cron.', current_database())
                  WHEN cron_db IS NOT NULL AND cron_db <> current_database() THEN
                      format('pg_cron can only be installed in the database named by '
                             'cron.database_name (%s): set it to %L and restart, or train and '
                             'schedule the model in %s.', cron_db, current_database(), cron_db)
                  ELSE 'Run CREATE EXTENSION pg_cron in this database.' END;
END $$;

-- autorec_unschedule_refresh found no job for a model name over 47 bytes (pg_cron cuts job
-- names to 63).
CREATE OR REPLACE FUNCTION @extschema@.autorec_unschedule_refresh(model text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job bigint;
BEGIN
    -- A job left behind by a dropped model can still be removed (pg_cron only lets a role
    -- remove its own jobs).
    IF EXISTS (SELECT 1 FROM autorec.model m WHERE m.name = autorec_unschedule_refresh.model) THEN
        PERFORM autorec._check_owner(model);
    END IF;
    PERFORM autorec._require_pg_cron();
    -- $1::name: pg_cron stores job names as name, cut to 63 bytes (long model names); the
    -- command names the model in full (another model may share the first 47 bytes).
    EXECUTE 'SELECT jobid FROM cron.job WHERE jobname = $1::name AND command = $2 AND username = current_user'
       INTO job USING 'autorec_refresh_' || model, autorec._refresh_command(model);
    IF job IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' USING job;
    RETURN true;
END $$;
COMMENT ON FUNCTION @extschema@.autorec_unschedule_refresh(text) IS
    'remove the pg_cron job that refreshes a model; false when there was none';

-- The catalog tables are members of the extension: DROP EXTENSION autorec drops every stored
-- model with them. While models exist, it must say CASCADE (src/pg/drop_guard.cpp; the
-- trigger runs for DROP EXTENSION only, and does nothing for other extensions).
CREATE FUNCTION autorec._drop_extension_guard() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'autorec_drop_extension_guard' LANGUAGE C;
COMMENT ON FUNCTION autorec._drop_extension_guard() IS
    'event trigger: DROP EXTENSION autorec without CASCADE fails while models are stored';
CREATE EVENT TRIGGER autorec_drop_extension_guard ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION autorec._drop_extension_guard();
COMMENT ON EVENT TRIGGER autorec_drop_extension_guard IS
    'makes DROP EXTENSION autorec ask for CASCADE while models are stored (they are dropped with it)';
-- error contract (issue 14, item 6): autorec_split's missing column quotes the name and gives
-- the columns as DETAIL, what to do as HINT (the same SQLSTATE, 42703).
CREATE OR REPLACE FUNCTION autorec._split(source text, train_table text, test_table text,
                               test_fraction double precision, seed integer, options jsonb,
                               caller_path text)
    RETURNS TABLE (train_rows bigint, test_rows bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    method text := coalesce(options->>'method', 'random');
    ucol text := coalesce(options->>'user_column', 'user_id');
    tcol text := options->>'time_column';
    view_sql text;
    creation_schema name;
    train_parts text[];
    test_parts text[];
    test_pred text;
    key text;
    unknown text;
    cols text[];
    needed text;
BEGIN
    IF source IS NULL OR train_table IS NULL OR test_table IS NULL THEN
        RAISE EXCEPTION 'source, train_table and test_table must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF test_fraction IS NULL OR NOT (test_fraction > 0::float8 AND test_fraction < 1::float8) THEN
        RAISE EXCEPTION 'test_fraction must be between 0 and 1 (exclusive), got %', test_fraction
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF seed IS NULL THEN
        RAISE EXCEPTION 'seed must not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Any integer; the same seed gives the same split.';
    END IF;
    IF caller_path IS NULL THEN
        RAISE EXCEPTION 'caller_path must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT string_agg(k, ', ') INTO unknown
      FROM jsonb_object_keys(coalesce(options, '{}')) k
     WHERE k NOT IN ('method', 'user_column', 'time_column');
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown option(s) for autorec_split: %', unknown
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Valid options: method, user_column, time_column.';
    END IF;
    IF method NOT IN ('random', 'user', 'time') THEN
        RAISE EXCEPTION 'option "method" has an invalid value "%"', method
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Valid values: random, user, time.';
    END IF;
    IF method = 'time' AND tcol IS NULL THEN
        RAISE EXCEPTION 'method "time" needs the option time_column'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The newline ends a trailing "-- comment" of a query before the closing parenthesis.
    IF source ~* '^\s*\(?\s*(select|with|values|table)\M' THEN
        view_sql := format(E'CREATE TEMP VIEW autorec_split_src AS SELECT * FROM (%s\n) s',
                           rtrim(source, '; '));
    ELSE
        view_sql := format('CREATE TEMP VIEW autorec_split_src AS SELECT * FROM %s',
                           autorec._quote_name(source));
    END IF;
    train_parts := parse_ident(train_table);
    test_parts := parse_ident(test_table);

    -- On the caller's search_path, until the next set_config: nothing but these statements.
    PERFORM pg_catalog.set_config('search_path'::pg_catalog.text, caller_path, true);
    EXECUTE view_sql;
    creation_schema := pg_catalog.current_schema();
    PERFORM pg_catalog.set_config('search_path'::pg_catalog.text,
                                  'pg_catalog, pg_temp'::pg_catalog.text, true);

    -- Unqualified table names: in the caller's current schema, where CREATE TABLE would put them.
    IF cardinality(train_parts) = 1 OR cardinality(test_parts) = 1 THEN
        IF creation_schema IS NULL THEN
            RAISE EXCEPTION 'no schema has been selected to create in'
                USING ERRCODE = 'invalid_schema_name',
                      HINT = 'Qualify the table names or set search_path.';
        END IF;
    END IF;
    IF cardinality(train_parts) = 1 THEN
        train_parts := ARRAY[creation_schema::text] || train_parts;
    END IF;
    IF cardinality(test_parts) = 1 THEN
        test_parts := ARRAY[creation_schema::text] || test_parts;
    END IF;
    train_table := (SELECT string_agg(quote_ident(p), '.' ORDER BY o)
                      FROM unnest(train_parts) WITH ORDINALITY AS u(p, o));
    test_table := (SELECT string_agg(quote_ident(p), '.' ORDER BY o)
                     FROM unnest(test_parts) WITH ORDINALITY AS u(p, o));

    -- The column a method splits by must exist: the error lists the columns the source has.
    needed := CASE method WHEN 'user' THEN ucol WHEN 'time' THEN tcol END;
    IF needed IS NOT NULL THEN
        SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = 'pg_temp.autorec_split_src'::regclass
           AND a.attnum > 0::int2 AND NOT a.attisdropped;
        IF NOT coalesce(needed = ANY (cols), false) THEN
            RAISE EXCEPTION 'the source has no column "%"', needed
                USING ERRCODE = 'undefined_column',
                      DETAIL = format('Its columns are: %s.', array_to_string(cols, ', ')),
                      HINT = format('Name another column with the option %s.',
                                    CASE method WHEN 'user' THEN 'user_column' ELSE 'time_column' END);
        END IF;
    END IF;
    -- A deterministic pseudo-random key per row: the hash of the whole row and the seed.
    key := format('pg_catalog.hashtextextended(s::pg_catalog.text, %s::pg_catalog.int8)', seed);
    IF method = 'random' THEN
        test_pred := format('(%s OPERATOR(pg_catalog.&) 1048575::pg_catalog.int8) '
                            'OPERATOR(pg_catalog.<) %s::pg_catalog.int8',
                            key, floor(test_fraction * 1048576::float8)::bigint);
    ELSIF method = 'user' THEN
        -- Per user, the same fraction of that user's ratings goes to the test set.
        test_pred := format('(pg_catalog.percent_rank() OVER (PARTITION BY s.%I ORDER BY %s)) '
                            'OPERATOR(pg_catalog.>=) %s::pg_catalog.float8',
                            ucol, key, 1::float8 - test_fraction);
    ELSE
        -- The latest ratings (by time_column) form the test set.
        test_pred := format('(pg_catalog.percent_rank() OVER (ORDER BY s.%I, %s)) '
                            'OPERATOR(pg_catalog.>=) %s::pg_catalog.float8',
                            tcol, key, 1::float8 - test_fraction);
    END IF;
    EXECUTE format('CREATE TEMP TABLE autorec_split_tmp ON COMMIT DROP AS '
                   'SELECT s.*, %s AS autorec_is_test FROM pg_temp.autorec_split_src s', test_pred);
    DROP VIEW pg_temp.autorec_split_src;
    EXECUTE format('CREATE TABLE %s AS SELECT (t).* FROM (SELECT t FROM pg_temp.autorec_split_tmp t '
                   'WHERE NOT autorec_is_test) x', train_table);
    EXECUTE format('ALTER TABLE %s DROP COLUMN autorec_is_test', train_table);
    EXECUTE format('CREATE TABLE %s AS SELECT (t).* FROM (SELECT t FROM pg_temp.autorec_split_tmp t '
                   'WHERE autorec_is_test) x', test_table);
    EXECUTE format('ALTER TABLE %s DROP COLUMN autorec_is_test', test_table);
    DROP TABLE pg_temp.autorec_split_tmp;
    RETURN QUERY EXECUTE format('SELECT (SELECT pg_catalog.count(*) FROM %s), '
                                '(SELECT pg_catalog.count(*) FROM %s)', train_table, test_table);
END $$;
-- effective options and autorec_options (issue 14, items 4 and 5)
-- Versions trained before 0.2 keep NULL effective options: their defaults were those of the
-- 0.1 library, which the 0.2 parser cannot reconstruct.
ALTER TABLE autorec.model_version ADD COLUMN effective_options jsonb;
COMMENT ON COLUMN autorec.model_version.effective_options IS
    'every option the training read, with the value it used (defaults resolved); NULL for versions trained before 0.2';
ALTER TYPE autorec.trained ADD ATTRIBUTE effective_options jsonb;

-- A NOTICE when a training with the algorithm and options of a model's current version would
-- build something else: the defaults of the installed library changed since (the effective
-- options differ). Called by _train_model before it stores the new version.
CREATE FUNCTION autorec._report_changed_defaults(model text, algorithm text, options jsonb,
                                                 effective jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    prev autorec.model_version;
    changed text;
BEGIN
    SELECT v.* INTO prev
      FROM autorec.model m
      JOIN autorec.model_version v ON v.model OPERATOR(pg_catalog.=) m.name
                                  AND v.version OPERATOR(pg_catalog.=) m.current_version
     WHERE m.name OPERATOR(pg_catalog.=) _report_changed_defaults.model;
    IF prev.effective_options IS NULL OR effective IS NULL
       OR prev.algorithm OPERATOR(pg_catalog.<>) _report_changed_defaults.algorithm
       OR prev.options OPERATOR(pg_catalog.<>) coalesce(options, '{}'::pg_catalog.jsonb) THEN
        RETURN;
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%s %s -> %s', coalesce(n.key, o.key),
                                                   coalesce(o.value::pg_catalog.text, 'unset'),
                                                   coalesce(n.value::pg_catalog.text, 'unset')),
                                 ', ' ORDER BY coalesce(n.key, o.key))
      INTO changed
      FROM pg_catalog.jsonb_each(effective) n
      FULL JOIN pg_catalog.jsonb_each(prev.effective_options) o ON o.key OPERATOR(pg_catalog.=) n.key
     WHERE n.value IS DISTINCT FROM o.value;
    IF changed IS NOT NULL THEN
        RAISE NOTICE 'defaults of model "%" changed since version %: %', model, prev.version, changed
            USING HINT = 'The options are kept as given; name an option to keep its value. '
                         'autorec_model_versions shows the effective options of every version.';
    END IF;
END $$;

CREATE OR REPLACE PROCEDURE autorec._train_model(model text, algorithm text, source text, options jsonb,
                                      source_path text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t autorec.trained;
    next_version integer;
    is_new boolean;
BEGIN
    IF model IS NULL OR algorithm IS NULL OR source IS NULL THEN
        RAISE EXCEPTION 'model, algorithm and source must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF source_path IS NULL THEN
        RAISE EXCEPTION 'source_path must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF model OPERATOR(pg_catalog.=) ''::pg_catalog.text
       OR pg_catalog.length(model) OPERATOR(pg_catalog.>) 200::pg_catalog.int4 THEN
        RAISE EXCEPTION 'a model name must have 1 to 200 characters'
            USING ERRCODE = 'invalid_name';
    END IF;
    -- Two first trainings of one new name queue up here (there is no row to lock yet): the
    -- second then finds the model and trains its next version. The first key is autorec's own
    -- key space ('autr'), the second the name's hash (a collision only makes two trainings
    -- queue).
    PERFORM pg_catalog.pg_advisory_xact_lock(1635087474::pg_catalog.int4, pg_catalog.hashtext(model));
    -- Lock the model's row so that two trainings of one model queue up (also with
    -- autorec_refresh_features), and check ownership before spending time on training.
    PERFORM 1 FROM autorec.model m WHERE m.name OPERATOR(pg_catalog.=) _train_model.model;
    is_new := NOT FOUND;
    IF NOT is_new THEN
        PERFORM autorec._check_owner(model);
        PERFORM 1 FROM autorec.model m WHERE m.name OPERATOR(pg_catalog.=) _train_model.model
            FOR UPDATE;
    END IF;

    t := autorec._train(model, algorithm, source, coalesce(options, '{}'::pg_catalog.jsonb),
                        source_path);

    IF NOT is_new THEN
        PERFORM autorec._report_changed_defaults(model, algorithm, options, t.effective_options);
    END IF;

    IF is_new THEN
        INSERT INTO autorec.model (name, algorithm, source, options, is_default, search_path)
        VALUES (model, algorithm, t.source, coalesce(options, '{}'::pg_catalog.jsonb),
                NOT EXISTS (SELECT 1 FROM autorec.model d WHERE d.is_default), source_path);
    END IF;
    SELECT coalesce(pg_catalog.max(v.version), 0::pg_catalog.int4) OPERATOR(pg_catalog.+) 1::pg_catalog.int4
      INTO next_version
      FROM autorec.model_version v WHERE v.model OPERATOR(pg_catalog.=) _train_model.model;
    INSERT INTO autorec.model_version (model, version, algorithm, source, options, n_users,
                                       n_items, n_ratings, weights, train_seconds, history,
                                       effective_options)
    VALUES (model, next_version, algorithm, t.source, coalesce(options, '{}'::pg_catalog.jsonb),
            t.n_users, t.n_items, t.n_ratings, t.weights, t.train_seconds, t.history,
            t.effective_options);
    -- The new version becomes current in the same transaction: readers see the old version
    -- or the new one, never a mix.
    UPDATE autorec.model m
       SET current_version = next_version, algorithm = _train_model.algorithm,
           source = t.source, options = coalesce(_train_model.options, '{}'::pg_catalog.jsonb),
           search_path = source_path,
           last_refreshed = pg_catalog.now(), last_refresh_seconds = t.train_seconds
     WHERE m.name OPERATOR(pg_catalog.=) _train_model.model;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.autorec_refresh_features(model text) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cur autorec.model_version;
    t autorec.trained;
    next_version integer;
    source_path text;
BEGIN
    IF model IS NULL THEN
        RAISE EXCEPTION 'model must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM autorec._check_owner(model);
    -- Serialized with trainings of the same model (autorec_train locks the same row).
    SELECT m.search_path INTO source_path FROM autorec.model m
     WHERE m.name OPERATOR(pg_catalog.=) autorec_refresh_features.model
       FOR UPDATE;
    SELECT v.* INTO cur
      FROM autorec.model m
      JOIN autorec.model_version v ON v.model OPERATOR(pg_catalog.=) m.name
                                  AND v.version OPERATOR(pg_catalog.=) m.current_version
     WHERE m.name OPERATOR(pg_catalog.=) autorec_refresh_features.model;
    t := autorec._refresh_features(model, cur.weights, source_path);
    SELECT coalesce(pg_catalog.max(v.version), 0::pg_catalog.int4) OPERATOR(pg_catalog.+) 1::pg_catalog.int4
      INTO next_version
      FROM autorec.model_version v WHERE v.model OPERATOR(pg_catalog.=) autorec_refresh_features.model;
    INSERT INTO autorec.model_version (model, version, algorithm, source, options, n_users,
                                       n_items, n_ratings, weights, train_seconds, history,
                                       effective_options)
    VALUES (cur.model, next_version, cur.algorithm, cur.source, cur.options, t.n_users,
            t.n_items, t.n_ratings, t.weights, cur.train_seconds, cur.history,
            cur.effective_options);
    UPDATE autorec.model m SET current_version = next_version
     WHERE m.name OPERATOR(pg_catalog.=) autorec_refresh_features.model;
    RETURN next_version;
END $$;

CREATE OR REPLACE VIEW @extschema@.autorec_models WITH (security_invoker = true) AS
SELECT m.name AS model, v.algorithm, v.version, m.is_default, v.n_users, v.n_items, v.n_ratings,
       pg_catalog.octet_length(v.weights)::bigint AS size_bytes, v.trained_at, v.train_seconds,
       v.options, v.metrics, m.owner, m.source, m.last_refreshed, m.last_refresh_seconds,
       m.granted_to, m.search_path, v.effective_options
  FROM autorec.model m
  JOIN autorec.model_version v ON v.model OPERATOR(pg_catalog.=) m.name
                              AND v.version OPERATOR(pg_catalog.=) m.current_version;

CREATE VIEW @extschema@.autorec_model_versions WITH (security_invoker = true) AS
SELECT v.model, v.version, v.version OPERATOR(pg_catalog.=) m.current_version AS is_current,
       v.algorithm, v.source, v.options, v.effective_options, v.n_users, v.n_items, v.n_ratings,
       pg_catalog.octet_length(v.weights)::bigint AS size_bytes, v.trained_at, v.trained_by,
       v.train_seconds, pg_catalog.jsonb_array_length(v.history) AS epochs, v.metrics
  FROM autorec.model m
  JOIN autorec.model_version v ON v.model OPERATOR(pg_catalog.=) m.name;
COMMENT ON VIEW @extschema@.autorec_model_versions IS
    'every stored version of every model the caller may use: its options as given and effective, sizes, timings, metrics';
GRANT SELECT ON @extschema@.autorec_model_versions TO PUBLIC;

CREATE FUNCTION @extschema@.autorec_options(algorithm text)
    RETURNS TABLE (name text, type text, default_value jsonb, allowed text, scope text,
                   applies text, description text)
    AS 'MODULE_PATHNAME', 'autorec_options' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.autorec_options(text) IS
    'the options an algorithm accepts, from the parser itself: type, default (NULL: unset), allowed values, scope (algorithm, training or source), when it applies, description';

-- pg_cron jobs matched by their command (a job name is cut to 63 bytes; the command names the
-- model in full)
-- The command of a model's pg_cron refresh job (what autorec_schedule_refresh schedules): it
-- names the model in full, where the job name may be cut to 63 bytes.
CREATE FUNCTION autorec._refresh_command(model text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.format('CALL %I.autorec_retrain(%L)', n.nspname, model)
      FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
     WHERE e.extname OPERATOR(pg_catalog.=) 'autorec'
$$;
COMMENT ON FUNCTION autorec._refresh_command(text) IS
    'the command of the pg_cron job that refreshes a model (CALL <schema>.autorec_retrain(<model>))';

CREATE OR REPLACE FUNCTION @extschema@.autorec_schedule_refresh(model text, schedule text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    job bigint;
BEGIN
    PERFORM autorec._check_owner(model);
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'schedule must not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'A cron expression such as ''0 3 * * *'' (every day at 03:00).';
    END IF;
    PERFORM autorec._require_pg_cron();
    -- One job per model and role, named after the model: scheduling again changes the schedule.
    -- It runs as the calling role, in this database (pg_cron's database).
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
      USING 'autorec_refresh_' || model, schedule, autorec._refresh_command(model);
    RETURN job;
END $$;
