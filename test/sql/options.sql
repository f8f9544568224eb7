-- The option reference (autorec_options) and what each version was trained with (effective
-- options in autorec_model_versions and autorec_models).
\set VERBOSITY default
SET client_min_messages = warning;

-- Every algorithm describes its options; the scopes: the family's own, every training's, the
-- source's.
SELECT a.algorithm, count(*) AS options,
       count(*) FILTER (WHERE o.scope = 'algorithm') AS own,
       count(*) FILTER (WHERE o.scope = 'training') AS training,
       count(*) FILTER (WHERE o.scope = 'source') AS source,
       count(*) FILTER (WHERE o.applies IS NOT NULL) AS conditional,
       bool_and(o.description <> '') AS all_described
  FROM autorec_algorithms() a, autorec_options(a.algorithm) o
 GROUP BY a.algorithm ORDER BY a.algorithm;
SELECT name, type, default_value, allowed, scope, applies, description FROM autorec_options('baseline');
SELECT name, type, default_value, allowed, applies FROM autorec_options('svd')
 WHERE scope = 'algorithm';
SELECT name, default_value, applies, description FROM autorec_options('knn')
 WHERE name IN ('similarity', 'shrinkage', 'predictor', 'damping');
SELECT name, default_value, description FROM autorec_options('autorec')
 WHERE name IN ('optimizer', 'epochs', 'residual');
-- No default: the option is unset unless given (ease's lambda follows the data).
SELECT name, default_value FROM autorec_options('ease') WHERE default_value IS NULL ORDER BY name;
SELECT name, type, default_value, allowed FROM autorec_options('ranking_autorec') WHERE name = 'hidden';

-- Errors: NULL, and an unknown algorithm gets the error autorec_train gives.
SELECT * FROM autorec_options(NULL);
SELECT * FROM autorec_options('nope');
CALL autorec_train('eo', 'nope', 'ratings');

-- Effective options: every option the training read, defaults resolved; the options stay as
-- given.
CALL autorec_train('eo', 'baseline', 'ratings', '{"epochs": 3}');
SELECT model, version, is_current, algorithm, options, effective_options, epochs,
       size_bytes > 0 AS has_weights, trained_by = current_user AS by_me
  FROM autorec_model_versions WHERE model = 'eo';
-- The effective options hold exactly the options autorec_options lists as read by default.
SELECT array_agg(o.name ORDER BY o.name) = (SELECT array_agg(k ORDER BY k)
                                              FROM autorec_models m, jsonb_object_keys(m.effective_options) k
                                             WHERE m.model = 'eo') AS same_names
  FROM autorec_options('baseline') o WHERE o.applies IS NULL;
-- and their values are the listed defaults, except what was given.
SELECT o.name, o.default_value, m.effective_options -> o.name AS effective
  FROM autorec_options('baseline') o, autorec_models m
 WHERE m.model = 'eo' AND m.effective_options -> o.name IS DISTINCT FROM o.default_value;
-- A retrain uses the options as given again.
CALL autorec_retrain('eo');
-- A default that changed since the last version (simulated: the stored record altered) is
-- reported by the next retrain (autorec._train_model calls this check before it stores the
-- version; shown here alone, without the training's progress NOTICEs); the new version
-- stores the new value.
UPDATE autorec.model_version SET effective_options = effective_options || '{"reg_user": 99, "old_option": 1}'
 WHERE model = 'eo' AND version = 2;
SELECT effective_options AS eff FROM autorec_model_versions WHERE model = 'eo' AND version = 1 \gset
SET client_min_messages = notice;
SELECT autorec._report_changed_defaults('eo', 'baseline', '{"epochs": 3}', :'eff');
-- Nothing to say when the options differ (a default may depend on them), or match.
SELECT autorec._report_changed_defaults('eo', 'baseline', '{"epochs": 4}', :'eff');
SELECT autorec._report_changed_defaults('eo', 'baseline', '{"epochs": 3}',
       (SELECT effective_options FROM autorec_models WHERE model = 'eo'));
SET client_min_messages = warning;
CALL autorec_retrain('eo');
SELECT version, is_current, options, effective_options -> 'reg_user' AS reg_user,
       effective_options ? 'old_option' AS has_old_option
  FROM autorec_model_versions WHERE model = 'eo' ORDER BY version;
SELECT version, effective_options = (SELECT effective_options FROM autorec_model_versions
                                     WHERE model = 'eo' AND version = 1) AS same_as_v1
  FROM autorec_models WHERE model = 'eo';
-- Effective options given back as options train the same configuration.
SELECT effective_options AS eff FROM autorec_models WHERE model = 'eo' \gset
CALL autorec_train('eo_again', 'baseline', 'ratings', :'eff');
SELECT a.effective_options = b.effective_options AS reproduced
  FROM autorec_models a, autorec_models b WHERE a.model = 'eo' AND b.model = 'eo_again';
-- Choices and conditional options: svd with method als reads cg_steps, no learning rates.
CALL autorec_train('eo_als', 'svd', 'ratings', '{"method": "als", "epochs": 2, "factors": 3, "threads": 1}');
SELECT effective_options -> 'method' AS method, effective_options -> 'cg_steps' AS cg_steps,
       effective_options ? 'learning_rate' AS has_learning_rate,
       effective_options -> 'rank_by' AS rank_by, effective_options -> 'threads' AS threads
  FROM autorec_models WHERE model = 'eo_als';
-- autorec_refresh_features keeps the version's effective options (not retrained).
CALL autorec_train('eo_content', 'content', 'ratings',
                   '{"item_features": "SELECT DISTINCT item_id, item_id % 3 AS kind FROM ratings", "epochs": 2, "factors": 2, "threads": 1}');
SELECT autorec_refresh_features('eo_content') AS version;
SELECT version, effective_options ->> 'item_features' AS item_features,
       effective_options -> 'factors' AS factors
  FROM autorec_model_versions WHERE model = 'eo_content' ORDER BY version;

-- Privileges: the versions of a model are visible to the roles that may use it, as in
-- autorec_models.
CREATE ROLE autorec_opts_reader;
SET ROLE autorec_opts_reader;
SELECT count(*) AS versions_seen FROM autorec_model_versions WHERE model = 'eo';
SELECT count(*) AS models_seen FROM autorec_models WHERE model = 'eo';
SELECT count(*) AS options_listed FROM autorec_options('baseline');  -- for everyone
RESET ROLE;
SELECT autorec_grant('eo', 'autorec_opts_reader');
SET ROLE autorec_opts_reader;
SELECT model, version, is_current FROM autorec_model_versions ORDER BY model, version;
RESET ROLE;
SELECT autorec_revoke('eo', 'autorec_opts_reader');
SET ROLE autorec_opts_reader;
SELECT count(*) AS versions_seen FROM autorec_model_versions;
RESET ROLE;
DROP ROLE autorec_opts_reader;
SELECT autorec_drop_model(model) FROM autorec_models WHERE model LIKE 'eo%' ORDER BY model;
SELECT count(*) AS left_over FROM autorec_model_versions WHERE model LIKE 'eo%';
