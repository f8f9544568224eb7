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
    -- $1::name: pg_cron stores job names as name, cut to 63 bytes (long model names).
    FOR job, job_name, owner_name IN EXECUTE
        'SELECT jobid, jobname, username FROM cron.job WHERE jobname = $1::name AND database = current_database() ORDER BY jobid'
        USING 'autorec_refresh_' || model
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
    found_job boolean;
BEGIN
    -- A job left behind by a dropped model can still be removed (pg_cron only lets a role
    -- remove its own jobs).
    IF EXISTS (SELECT 1 FROM autorec.model m WHERE m.name = autorec_unschedule_refresh.model) THEN
        PERFORM autorec._check_owner(model);
    END IF;
    PERFORM autorec._require_pg_cron();
    -- $1::name: pg_cron stores job names as name, cut to 63 bytes (long model names).
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job WHERE jobname = $1::name AND username = current_user)'
       INTO found_job USING 'autorec_refresh_' || model;
    IF NOT found_job THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' USING 'autorec_refresh_' || model;
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
