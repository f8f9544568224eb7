-- autorec 0.2: the catalog, training, serving, evaluation and management functions.
\echo Use "CREATE EXTENSION autorec" to load this file. \quit

-- Internal objects live in the schema autorec; the public SQL surface in @extschema@.
CREATE SCHEMA autorec;
GRANT USAGE ON SCHEMA autorec TO PUBLIC;

------------------------------------------------------------------------------------------------
-- Catalog
------------------------------------------------------------------------------------------------

-- One row per model: its training spec (for autorec_retrain) and which version is current.
CREATE TABLE autorec.model (
    name                 text PRIMARY KEY CHECK (name <> '' AND length(name) <= 200),
    owner                name NOT NULL DEFAULT current_user,
    algorithm            text NOT NULL,
    source               text NOT NULL,
    options              jsonb NOT NULL DEFAULT '{}',
    current_version      integer,
    is_default           boolean NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    last_refreshed       timestamptz,
    last_refresh_seconds double precision,
    -- Roles besides the owner that may use the model (autorec_grant); 'public' means every role.
    granted_to           name[] NOT NULL DEFAULT '{}',
    -- The search_path in force at the latest autorec_train: autorec_retrain and
    -- autorec_refresh_features resolve the names in the sources on it again, whoever runs them
    -- (as a view keeps the names resolved when it was created).
    search_path          text NOT NULL DEFAULT '"$user", public'
);
CREATE UNIQUE INDEX model_one_default ON autorec.model (is_default) WHERE is_default;

-- Every trained version; weights are the self-contained serialized model.
CREATE TABLE autorec.model_version (
    id            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    model         text NOT NULL REFERENCES autorec.model (name) ON DELETE CASCADE,
    version       integer NOT NULL,
    algorithm     text NOT NULL,
    source        text NOT NULL,
    options       jsonb NOT NULL,
    n_users       bigint NOT NULL,
    n_items       bigint NOT NULL,
    n_ratings     bigint NOT NULL,
    weights       bytea NOT NULL,
    trained_at    timestamptz NOT NULL DEFAULT now(),
    trained_by    name NOT NULL DEFAULT current_user,
    train_seconds double precision,
    history       jsonb NOT NULL DEFAULT '[]',
    metrics       jsonb NOT NULL DEFAULT '{}',
    -- Every option the training read, with the value it used (the defaults resolved); NULL for
    -- versions trained before 0.2 (their defaults are not known).
    effective_options jsonb,
    PRIMARY KEY (model, version)
);
-- Float weights hardly compress; storing them uncompressed makes loading a model cheaper.
ALTER TABLE autorec.model_version ALTER COLUMN weights SET STORAGE EXTERNAL;
COMMENT ON COLUMN autorec.model_version.effective_options IS
    'every option the training read, with the value it used (defaults resolved); NULL for versions trained before 0.2';

-- Models are ordinary rows: pg_dump carries them (and the identity sequence's position, so
-- that a restored database can train new versions).
SELECT pg_catalog.pg_extension_config_dump('autorec.model', '');
SELECT pg_catalog.pg_extension_config_dump('autorec.model_version', '');
SELECT pg_catalog.pg_extension_config_dump(
    pg_catalog.pg_get_serial_sequence('autorec.model_version', 'id')::pg_catalog.regclass, '');

-- Descriptions (\d+ shows them; test/sql/operations.sql fails on a member without one).
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

-- Privileges: everybody may read the model catalog (names, owners, sources, options: like
-- pg_class) and train new models. A model's versions -- the weights, which hold the training
-- ratings -- are readable, hence usable by recommend(), only by its owner (a member of the
-- owner role, or a superuser) and the roles it was granted to (autorec_grant), or everybody
-- once granted to 'public'. Only the owner may replace, change, grant or drop a model.

-- Search paths (CVE-2018-1058; "Security Considerations for Extensions" in the PostgreSQL
-- manual): every routine below runs its own SQL on a pinned path -- SET search_path =
-- pg_catalog, pg_temp for PL/pgSQL, or a SQL-standard body (BEGIN ATOMIC), which is parsed once,
-- here, and stored resolved -- so that no operator, function or type a role creates in a schema
-- on the caller's search_path ever runs inside the extension with the caller's rights. The
-- operators are schema-qualified as well, so that the bodies mean the same whatever the path
-- at CREATE EXTENSION time. Only the user's own text -- a source (relation name or query) and
-- the tables autorec_split creates -- is resolved on the caller's path: autorec_train,
-- autorec_evaluate and autorec_split pass pg_catalog.current_setting('search_path') on, and
-- the C code sets it only while it parses and reads the source (src/pg/source.cpp).

-- Whether the current user is a member of `role` (or a superuser); false, not an error, for a
-- role that no longer exists. (BEGIN ATOMIC: row security calls these, and they stay inlinable.)
CREATE FUNCTION autorec._is_member(role name) RETURNS boolean
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) $1
                      AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER'::pg_catalog.text))
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                    WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER AND r.rolsuper);
END;

-- Whether the current user may use a model with this owner and these grants.
CREATE FUNCTION autorec._may_use(owner name, granted_to name[]) RETURNS boolean
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT autorec._is_member($1)
        OR 'public'::pg_catalog.name OPERATOR(pg_catalog.=) ANY ($2)
        OR EXISTS (SELECT 1 FROM pg_catalog.unnest($2) g WHERE autorec._is_member(g));
END;

GRANT SELECT, INSERT, UPDATE, DELETE ON autorec.model, autorec.model_version TO PUBLIC;
ALTER TABLE autorec.model ENABLE ROW LEVEL SECURITY;
ALTER TABLE autorec.model_version ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON autorec.model FOR SELECT USING (true);
CREATE POLICY owner_insert ON autorec.model FOR INSERT WITH CHECK (owner = current_user);
CREATE POLICY owner_update ON autorec.model FOR UPDATE
    USING (autorec._is_member(owner)) WITH CHECK (autorec._is_member(owner));
CREATE POLICY owner_delete ON autorec.model FOR DELETE USING (autorec._is_member(owner));
CREATE POLICY granted_read ON autorec.model_version FOR SELECT USING (
    EXISTS (SELECT 1 FROM autorec.model m WHERE m.name = model
            AND autorec._may_use(m.owner, m.granted_to)));
CREATE POLICY owner_insert ON autorec.model_version FOR INSERT WITH CHECK (
    EXISTS (SELECT 1 FROM autorec.model m WHERE m.name = model AND autorec._is_member(m.owner)));
CREATE POLICY owner_update ON autorec.model_version FOR UPDATE USING (
    EXISTS (SELECT 1 FROM autorec.model m WHERE m.name = model AND autorec._is_member(m.owner)));
CREATE POLICY owner_delete ON autorec.model_version FOR DELETE USING (
    EXISTS (SELECT 1 FROM autorec.model m WHERE m.name = model AND autorec._is_member(m.owner)));

-- Any change to the catalog tells every backend's model cache to look models up again.
CREATE FUNCTION autorec._catalog_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'autorec_catalog_changed' LANGUAGE C;
CREATE TRIGGER model_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON autorec.model
    FOR EACH STATEMENT EXECUTE FUNCTION autorec._catalog_changed();
CREATE TRIGGER version_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON autorec.model_version
    FOR EACH STATEMENT EXECUTE FUNCTION autorec._catalog_changed();

CREATE TYPE autorec.trained AS (
    weights bytea, source text, n_users bigint, n_items bigint, n_ratings bigint,
    train_seconds double precision, history jsonb, effective_options jsonb);

CREATE TYPE autorec.evaluation AS (
    n_ratings bigint, n_users bigint, rmse double precision, mae double precision,
    precision_at_k double precision, recall_at_k double precision,
    ndcg_at_k double precision, map_at_k double precision,
    catalog_coverage double precision, hit_rate_at_k double precision,
    mrr_at_k double precision, mean_popularity double precision,
    popularity_percentile double precision);

-- Internal helpers implemented in C. They read the sources on `search_path` (NULL: the current
-- path) and run no SQL of their own there; their catalog queries are schema-qualified.
-- _train reads the source (and feature sources) with the rights of the model's owner when the
-- model exists and the caller is not its owner (see AsModelOwner in src/pg/source.hpp).
CREATE FUNCTION autorec._train(model text, algorithm text, source text, options jsonb,
                               search_path text DEFAULT NULL)
    RETURNS autorec.trained
    AS 'MODULE_PATHNAME', 'autorec_train_source' LANGUAGE C VOLATILE;

CREATE FUNCTION autorec._evaluate(model text, test_source text, k integer, options jsonb,
                                  search_path text DEFAULT NULL)
    RETURNS autorec.evaluation
    AS 'MODULE_PATHNAME', 'autorec_evaluate_source' LANGUAGE C VOLATILE;

CREATE FUNCTION autorec._evaluate_per_user(model text, test_source text, k integer, options jsonb,
                                           search_path text DEFAULT NULL)
    RETURNS TABLE (user_id bigint, n_ratings bigint, n_relevant bigint, known boolean,
                   precision_at_k double precision, recall_at_k double precision,
                   ndcg_at_k double precision, map_at_k double precision,
                   hit_at_k double precision, reciprocal_rank double precision)
    AS 'MODULE_PATHNAME', 'autorec_evaluate_per_user_source' LANGUAGE C VOLATILE;

-- A table name as given by the caller (optionally schema-qualified), quoted for dynamic SQL.
CREATE FUNCTION autorec._quote_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
    SELECT string_agg(quote_ident(part), '.' ORDER BY ord)
      FROM unnest(parse_ident(name)) WITH ORDINALITY AS p(part, ord)
$$;

-- Raises the standard error for a model the caller may not change.
CREATE FUNCTION autorec._check_owner(model text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    model_owner name;
BEGIN
    IF model IS NULL THEN
        RAISE EXCEPTION 'model must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT m.owner INTO model_owner FROM autorec.model m WHERE m.name = _check_owner.model;
    IF NOT FOUND THEN
        -- The same HINT as the serving functions' (model_cache.cpp).
        RAISE EXCEPTION 'model "%" does not exist', model USING ERRCODE = 'undefined_object',
            HINT = (SELECT coalesce('Models: ' || string_agg(quote_literal(name), ', ' ORDER BY name) || '.',
                                    'No model has been trained yet: CALL autorec_train(...).')
                    FROM autorec.model);
    END IF;
    IF NOT autorec._is_member(model_owner) THEN
        RAISE EXCEPTION 'must be owner of model "%"', model USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('The model belongs to role %I.', model_owner);
    END IF;
END $$;

-- Raises the standard error for a model the caller may not use.
CREATE FUNCTION autorec._check_usage(model text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m autorec.model;
BEGIN
    SELECT * INTO m FROM autorec.model WHERE name = _check_usage.model;
    IF NOT FOUND THEN
        PERFORM autorec._check_owner(model);  -- raises "does not exist" with the list
    END IF;
    IF NOT autorec._may_use(m.owner, m.granted_to) THEN
        RAISE EXCEPTION 'permission denied for model "%"', model
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('Its owner can allow you with SELECT autorec_grant(%L, current_user) '
                                '(or ''public'' for every role).', model);
    END IF;
END $$;

------------------------------------------------------------------------------------------------
-- Training
------------------------------------------------------------------------------------------------

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

-- The training behind autorec_train and autorec_retrain; the sources are read on
-- `source_path` (the search_path of the session that trained the model). The options are
-- stored as given (a retrain uses them again, with the defaults of the library then installed);
-- each version also stores its effective options, and a training with the algorithm and
-- options of the current version says in a NOTICE which defaults changed since.
CREATE PROCEDURE autorec._train_model(model text, algorithm text, source text, options jsonb,
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

-- The caller's search_path is read here (no SET clause) and only the sources are resolved on
-- it. PostgreSQL 15 allows no CALL in a BEGIN ATOMIC body, so this one statement is parsed at
-- each call, on the caller's path: it names only a procedure and a function in their schemas,
-- with arguments of the parameters' exact types, so nothing on that path can match instead.
CREATE PROCEDURE @extschema@.autorec_train(model text, algorithm text, source text,
                                           options jsonb DEFAULT '{}')
LANGUAGE sql AS $$
    CALL autorec._train_model($1, $2, $3, $4, pg_catalog.current_setting('search_path'::pg_catalog.text))
$$;
COMMENT ON PROCEDURE @extschema@.autorec_train(text, text, text, jsonb) IS
    'train a model from a table, view or SELECT query and store it as the model''s next version';

-- Whoever runs it, the sources are resolved on the search_path stored at the latest
-- autorec_train (autorec.model.search_path), and read with the owner's rights.
CREATE PROCEDURE @extschema@.autorec_retrain(model text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    spec autorec.model;
BEGIN
    SELECT * INTO spec FROM autorec.model m WHERE m.name OPERATOR(pg_catalog.=) autorec_retrain.model;
    IF NOT FOUND THEN
        PERFORM autorec._check_owner(model);  -- raises "does not exist" with the list
    END IF;
    CALL autorec._train_model(spec.name, spec.algorithm, spec.source, spec.options,
                              spec.search_path);
END $$;
COMMENT ON PROCEDURE @extschema@.autorec_retrain(text) IS
    'train a model again with its stored algorithm, source and options (for schedulers)';

-- The feature sources run with the rights of the owner of `model`, as in autorec._train, on
-- `search_path` (NULL: the current one).
CREATE FUNCTION autorec._refresh_features(model text, weights bytea, search_path text DEFAULT NULL)
    RETURNS autorec.trained
    AS 'MODULE_PATHNAME', 'autorec_refresh_features_weights' LANGUAGE C VOLATILE;

-- The feature sources are resolved on the search_path stored at training, as autorec_retrain.
CREATE FUNCTION @extschema@.autorec_refresh_features(model text) RETURNS integer
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
COMMENT ON FUNCTION @extschema@.autorec_refresh_features(text) IS
    'read a content model''s user and item features again (new users and items become servable) and store it as the next version, without retraining';

CREATE FUNCTION autorec._fit_transfn(internal, bigint, bigint, double precision, text, jsonb)
    RETURNS internal AS 'MODULE_PATHNAME', 'autorec_fit_transfn'
    LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION autorec._fit_combinefn(internal, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'autorec_fit_combinefn'
    LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION autorec._fit_serialfn(internal)
    RETURNS bytea AS 'MODULE_PATHNAME', 'autorec_fit_serialfn'
    LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION autorec._fit_deserialfn(bytea, internal)
    RETURNS internal AS 'MODULE_PATHNAME', 'autorec_fit_deserialfn'
    LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION autorec._fit_finalfn(internal)
    RETURNS bytea AS 'MODULE_PATHNAME', 'autorec_fit_finalfn'
    LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE @extschema@.autorec_fit(user_id bigint, item_id bigint, rating double precision,
                                         algorithm text, options jsonb) (
    SFUNC = autorec._fit_transfn,
    STYPE = internal,
    FINALFUNC = autorec._fit_finalfn,
    COMBINEFUNC = autorec._fit_combinefn,
    SERIALFUNC = autorec._fit_serialfn,
    DESERIALFUNC = autorec._fit_deserialfn,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.autorec_fit(bigint, bigint, double precision, text, jsonb) IS
    'train a model over the aggregated rows and return it as a self-contained bytea';

------------------------------------------------------------------------------------------------
-- Serving
------------------------------------------------------------------------------------------------

-- The serving functions' row estimate: the constant `n` of the call (ROWS when n is not a
-- constant), so that EXPLAIN shows rows=7 for recommend(1, 7) (src/pg/planner_support.cpp).
CREATE FUNCTION autorec._serving_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'autorec_serving_support' LANGUAGE C STRICT;
COMMENT ON FUNCTION autorec._serving_support(internal) IS
    'planner support of the serving functions: the requested n as the row estimate';

-- COST, in cpu_operator_cost units (one simple operator, about 0.02 us; a non-inlined SQL
-- function, COST 100, took 2.9 us): measured per call on MovieLens 100K (docs/operations.md,
-- Planner estimates). recommend scores every item: 34 to 560 us by family, 5000 units is about
-- 110 us; similar_items 4 to 31 us; explain_recommendation 16 to 35 us; predict_rating 0.05 to
-- 0.8 us. explain_recommendation returns the items behind one prediction: 30 on average for
-- knn (k 40), 105 for ease (the user's rated items), hence ROWS 50.
CREATE FUNCTION @extschema@.recommend(user_id bigint, n integer DEFAULT 10, model text DEFAULT NULL,
                                      exclude_rated boolean DEFAULT true,
                                      candidates bigint[] DEFAULT NULL)
    RETURNS TABLE (item_id bigint, score double precision)
    AS 'MODULE_PATHNAME', 'recommend' LANGUAGE C STABLE PARALLEL RESTRICTED
    COST 5000 ROWS 10 SUPPORT autorec._serving_support;
COMMENT ON FUNCTION @extschema@.recommend(bigint, integer, text, boolean, bigint[]) IS
    'top-n items for a user, best first (unknown users get the popularity fallback). Rating '
    'families rank by default (option rank_by ''blend'') by a blend of an implicit companion''s '
    'score and the predicted rating, shown as score; with rank_by ''rating'' by the predicted '
    'rating, shown clipped to the training range. predict_rating() gives the rating';

CREATE FUNCTION @extschema@.recommend_for_ratings(item_ids bigint[], ratings double precision[],
                                                  n integer DEFAULT 10, model text DEFAULT NULL)
    RETURNS TABLE (item_id bigint, score double precision)
    AS 'MODULE_PATHNAME', 'recommend_for_ratings' LANGUAGE C STABLE PARALLEL RESTRICTED
    COST 5000 ROWS 10 SUPPORT autorec._serving_support;
COMMENT ON FUNCTION @extschema@.recommend_for_ratings(bigint[], double precision[], integer, text) IS
    'top-n items for a user described by ratings given at query time (folded in, no retraining); '
    'scores and order as for recommend()';

CREATE FUNCTION @extschema@.predict_rating(user_id bigint, item_id bigint, model text DEFAULT NULL)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'predict_rating' LANGUAGE C STABLE PARALLEL RESTRICTED COST 20;
COMMENT ON FUNCTION @extschema@.predict_rating(bigint, bigint, text) IS
    'predicted rating of an item by a user, clipped to the training rating range';

CREATE FUNCTION @extschema@.similar_items(item_id bigint, n integer DEFAULT 10, model text DEFAULT NULL)
    RETURNS TABLE (item_id bigint, similarity double precision)
    AS 'MODULE_PATHNAME', 'similar_items' LANGUAGE C STABLE PARALLEL RESTRICTED
    COST 500 ROWS 10 SUPPORT autorec._serving_support;
COMMENT ON FUNCTION @extschema@.similar_items(bigint, integer, text) IS
    'the items most similar to an item (models with item similarity only)';

CREATE FUNCTION @extschema@.explain_recommendation(user_id bigint, item_id bigint, model text DEFAULT NULL)
    RETURNS TABLE (item_id bigint, rating double precision, similarity double precision,
                   contribution double precision)
    AS 'MODULE_PATHNAME', 'explain_recommendation' LANGUAGE C STABLE PARALLEL RESTRICTED
    COST 1000 ROWS 50;
COMMENT ON FUNCTION @extschema@.explain_recommendation(bigint, bigint, text) IS
    'the rated items (or neighbours) behind a neighbourhood model''s prediction, largest first';

------------------------------------------------------------------------------------------------
-- Evaluating
------------------------------------------------------------------------------------------------

-- The split behind autorec_split. Only the caller's text is resolved on `caller_path`: the
-- source (through a temporary view, which stores it resolved) and the schema that unqualified
-- train and test tables are created in; every statement there is prepared beforehand, so that
-- no expression of this function is parsed on that path.
CREATE FUNCTION autorec._split(source text, train_table text, test_table text,
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

CREATE FUNCTION @extschema@.autorec_split(source text, train_table text, test_table text,
                                          test_fraction double precision DEFAULT 0.2,
                                          seed integer DEFAULT 0, options jsonb DEFAULT '{}')
    RETURNS TABLE (train_rows bigint, test_rows bigint)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT * FROM autorec._split(source, train_table, test_table, test_fraction, seed, options,
                                 pg_catalog.current_setting('search_path'::pg_catalog.text));
END;
COMMENT ON FUNCTION @extschema@.autorec_split(text, text, text, double precision, integer, jsonb) IS
    'split ratings into new train and test tables: random, per user, or by time';

-- Reads the test source on `caller_path` (autorec_evaluate passes the caller's).
CREATE FUNCTION autorec._evaluate_model(model text, test_source text, k integer, options jsonb,
                                        caller_path text)
    RETURNS SETOF autorec.evaluation
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    e autorec.evaluation;
BEGIN
    e := autorec._evaluate(model, test_source, k, coalesce(options, '{}'), caller_path);
    -- Keep the latest evaluation with the version it measured (only the owner can write it).
    UPDATE autorec.model_version v
       SET metrics = jsonb_build_object('evaluated_at', now(), 'k', k, 'test_source', test_source)
                     || to_jsonb(e)
      FROM autorec.model m
     WHERE m.name = coalesce(_evaluate_model.model,
                             (SELECT d.name FROM autorec.model d WHERE d.is_default))
       AND v.model = m.name AND v.version = m.current_version
       AND autorec._is_member(m.owner);
    RETURN NEXT e;
END $$;

CREATE FUNCTION @extschema@.autorec_evaluate(model text, test_source text, k integer DEFAULT 10,
                                             options jsonb DEFAULT '{}')
    RETURNS TABLE (n_ratings bigint, n_users bigint, rmse double precision, mae double precision,
                   precision_at_k double precision, recall_at_k double precision,
                   ndcg_at_k double precision, map_at_k double precision,
                   catalog_coverage double precision, hit_rate_at_k double precision,
                   mrr_at_k double precision, mean_popularity double precision,
                   popularity_percentile double precision)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT * FROM autorec._evaluate_model(model, test_source, k, options,
                                          pg_catalog.current_setting('search_path'::pg_catalog.text));
END;
COMMENT ON FUNCTION @extschema@.autorec_evaluate(text, text, integer, jsonb) IS
    'RMSE, MAE and top-k metrics (precision, recall, NDCG, MAP, hit rate, MRR), catalog coverage and the popularity of recommended items, of a model on held-out ratings (relevance_threshold default 4)';

-- The same evaluation, one row per test user (for paired comparisons of two models on the same
-- users); nothing is stored.
CREATE FUNCTION @extschema@.autorec_evaluate_per_user(model text, test_source text,
                                                      k integer DEFAULT 10,
                                                      options jsonb DEFAULT '{}')
    RETURNS TABLE (user_id bigint, n_ratings bigint, n_relevant bigint, known boolean,
                   precision_at_k double precision, recall_at_k double precision,
                   ndcg_at_k double precision, map_at_k double precision,
                   hit_at_k double precision, reciprocal_rank double precision)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    SELECT * FROM autorec._evaluate_per_user(model, test_source, k, options,
                                             pg_catalog.current_setting('search_path'::pg_catalog.text));
END;
COMMENT ON FUNCTION @extschema@.autorec_evaluate_per_user(text, text, integer, jsonb) IS
    'autorec_evaluate''s top-k metrics per test user (NULL for users with no relevant test item)';

------------------------------------------------------------------------------------------------
-- Managing
------------------------------------------------------------------------------------------------

-- security_invoker: row-level security applies to the caller, so a role sees the models it
-- may use.
CREATE VIEW @extschema@.autorec_models WITH (security_invoker = true) AS
SELECT m.name AS model, v.algorithm, v.version, m.is_default, v.n_users, v.n_items, v.n_ratings,
       pg_catalog.octet_length(v.weights)::bigint AS size_bytes, v.trained_at, v.train_seconds,
       v.options, v.metrics, m.owner, m.source, m.last_refreshed, m.last_refresh_seconds,
       m.granted_to, m.search_path, v.effective_options
  FROM autorec.model m
  JOIN autorec.model_version v ON v.model OPERATOR(pg_catalog.=) m.name
                              AND v.version OPERATOR(pg_catalog.=) m.current_version;
COMMENT ON VIEW @extschema@.autorec_models IS 'the current version of every model the caller may use';
GRANT SELECT ON @extschema@.autorec_models TO PUBLIC;

-- Every stored version (row-level security as for autorec_models: the models the caller may use).
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

CREATE FUNCTION @extschema@.autorec_algorithms()
    RETURNS TABLE (algorithm text, scores text, description text)
    AS 'MODULE_PATHNAME', 'autorec_algorithms' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.autorec_algorithms() IS
    'the model families autorec_train accepts: name, scores (rating: predicts ratings; ranking: ranks items from implicit data), description';

CREATE FUNCTION @extschema@.autorec_options(algorithm text)
    RETURNS TABLE (name text, type text, default_value jsonb, allowed text, scope text,
                   applies text, description text)
    AS 'MODULE_PATHNAME', 'autorec_options' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.autorec_options(text) IS
    'the options an algorithm accepts, from the parser itself: type, default (NULL: unset), allowed values, scope (algorithm, training or source), when it applies, description';

CREATE FUNCTION @extschema@.autorec_training_history(model text)
    RETURNS TABLE (epoch integer, train_rmse double precision,
                   validation_rmse double precision, seconds double precision)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM autorec._check_usage(model);
    RETURN QUERY
    SELECT (h->>'epoch')::integer, (h->>'train_rmse')::double precision,
           (h->>'validation_rmse')::double precision, (h->>'seconds')::double precision
      FROM autorec.model m
      JOIN autorec.model_version v ON v.model = m.name AND v.version = m.current_version,
           jsonb_array_elements(v.history) h
     WHERE m.name = autorec_training_history.model
     ORDER BY 1;
END $$;
COMMENT ON FUNCTION @extschema@.autorec_training_history(text) IS
    'per-epoch train and validation RMSE of the current version of a model';

-- The default model is one per database: changing it takes the right to change both the new
-- default and the current one.
CREATE FUNCTION @extschema@.autorec_set_default(model text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cur autorec.model;
BEGIN
    PERFORM autorec._check_owner(model);
    SELECT * INTO cur FROM autorec.model m WHERE m.is_default;
    IF FOUND AND cur.name <> model AND NOT autorec._is_member(cur.owner) THEN
        RAISE EXCEPTION 'the default model "%" belongs to role %; only its owner or a superuser can change the default',
                        cur.name, quote_ident(cur.owner)
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'The default model is shared by every role in this database; name your model in recommend(..., model => ...) instead.';
    END IF;
    UPDATE autorec.model SET is_default = false WHERE is_default AND name <> autorec_set_default.model;
    UPDATE autorec.model SET is_default = true WHERE name = autorec_set_default.model;
END $$;
COMMENT ON FUNCTION @extschema@.autorec_set_default(text) IS
    'make a model the default one (used when recommend() is called without a model)';

CREATE FUNCTION @extschema@.autorec_rollback(model text) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    cur integer;
    prev integer;
BEGIN
    PERFORM autorec._check_owner(model);
    SELECT current_version INTO cur FROM autorec.model WHERE name = autorec_rollback.model FOR UPDATE;
    SELECT max(version) INTO prev FROM autorec.model_version
     WHERE model_version.model = autorec_rollback.model AND version < cur;
    IF prev IS NULL THEN
        RAISE EXCEPTION 'model "%" has no version before version %', model, cur
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE autorec.model SET current_version = prev WHERE name = autorec_rollback.model;
    RETURN prev;
END $$;
COMMENT ON FUNCTION @extschema@.autorec_rollback(text) IS
    'make the version before the current one current again; returns that version';

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

CREATE FUNCTION @extschema@.autorec_drop_model(model text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM autorec._check_owner(model);
    DELETE FROM autorec.model WHERE name = autorec_drop_model.model;
    -- Its scheduled refreshes would fail from now on (model does not exist): they go with it.
    PERFORM autorec._unschedule_refresh_jobs(model);
END $$;
COMMENT ON FUNCTION @extschema@.autorec_drop_model(text) IS
    'drop a model, all its versions and its pg_cron refresh jobs (autorec_refresh_<model>)';

-- Raises the error for a role name that names no role.
CREATE FUNCTION autorec._no_such_role(role text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF lower(role) = 'public' THEN
        RAISE EXCEPTION 'role "%" does not exist', role USING ERRCODE = 'undefined_object',
            HINT = 'Every role (PUBLIC) is spelled ''public'', in lower case; another spelling names a role.';
    END IF;
    RAISE EXCEPTION 'role "%" does not exist', role USING ERRCODE = 'undefined_object';
END $$;

CREATE FUNCTION @extschema@.autorec_grant(model text, role text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    grantee name;
BEGIN
    PERFORM autorec._check_owner(model);
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- As has_table_privilege() reads a role name: exactly 'public' is PUBLIC (no role can have
    -- that name), anything else names a role exactly as spelled ('Public' is the role "Public").
    IF role = 'public' THEN
        grantee := 'public';
    ELSE
        SELECT rolname INTO grantee FROM pg_roles WHERE rolname = role;
        IF NOT FOUND THEN
            PERFORM autorec._no_such_role(role);
        END IF;
    END IF;
    UPDATE autorec.model m SET granted_to = m.granted_to || grantee
     WHERE m.name = autorec_grant.model AND NOT grantee = ANY (m.granted_to);
END $$;
COMMENT ON FUNCTION @extschema@.autorec_grant(text, text) IS
    'allow a role (or ''public'': every role) to use a model with recommend() and the other serving functions';

CREATE FUNCTION @extschema@.autorec_revoke(model text, role text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM autorec._check_owner(model);
    IF role IS NULL THEN
        RAISE EXCEPTION 'role must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- The names as autorec_grant reads them; a dropped role that is still granted can be revoked.
    IF role <> 'public'
       AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role)
       AND NOT EXISTS (SELECT 1 FROM autorec.model m
                        WHERE m.name = autorec_revoke.model AND role::name = ANY (m.granted_to)) THEN
        PERFORM autorec._no_such_role(role);
    END IF;
    UPDATE autorec.model m SET granted_to = array_remove(m.granted_to, role::name)
     WHERE m.name = autorec_revoke.model;
END $$;
COMMENT ON FUNCTION @extschema@.autorec_revoke(text, text) IS
    'withdraw what autorec_grant allowed (the owner and superusers keep their access)';

-- Raises a clear error, with what to do, when pg_cron cannot be used from this database.
CREATE FUNCTION autorec._require_pg_cron() RETURNS void
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

CREATE FUNCTION @extschema@.autorec_schedule_refresh(model text, schedule text) RETURNS bigint
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
COMMENT ON FUNCTION @extschema@.autorec_schedule_refresh(text, text) IS
    'retrain a model on a cron schedule with pg_cron (job autorec_refresh_<model>); returns the pg_cron job id';

CREATE FUNCTION @extschema@.autorec_unschedule_refresh(model text) RETURNS boolean
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

------------------------------------------------------------------------------------------------
-- Dropping the extension
------------------------------------------------------------------------------------------------

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
