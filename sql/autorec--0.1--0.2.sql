-- autorec 0.1 -> 0.2 (ALTER EXTENSION autorec UPDATE): everything autorec--0.2.sql has beyond
-- autorec--0.1.sql, in the order it was added. sql/autorec--0.1.sql is the 0.1 release's script,
-- kept unchanged (CREATE EXTENSION autorec VERSION '0.1' installs it); the 0.2 library still
-- exports every C symbol it names, so a 0.1 installation keeps working until it is updated.
-- test/integration/upgrade.sh checks that an updated installation equals a fresh one.
\echo Use "ALTER EXTENSION autorec UPDATE TO '0.2'" to load this file. \quit

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
