-- Privileges: training reads the source with the rights of the model's owner (the caller for a
-- new model; see the trojan case at the end); only a model's owner (or a superuser) may replace,
-- roll back, grant or drop it; a model is usable (recommend() and the other serving functions)
-- by its owner and the roles it was granted to with autorec_grant ('public': every role); its
-- catalog row (name, owner, source) is visible to everyone.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE ROLE autorec_alice;
CREATE ROLE autorec_bob;
CREATE TABLE alice_ratings AS SELECT * FROM ratings;
ALTER TABLE alice_ratings OWNER TO autorec_alice;
GRANT SELECT ON ratings TO autorec_bob;
SET ROLE autorec_alice;
CALL autorec_train('alice_model', 'baseline', 'alice_ratings');
SELECT model, owner FROM autorec_models WHERE model = 'alice_model';
RESET ROLE;
SET ROLE autorec_bob;
CALL autorec_train('bob_model', 'baseline', 'alice_ratings');   -- cannot read the table
CALL autorec_train('alice_model', 'baseline', 'ratings');      -- cannot replace
SELECT autorec_drop_model('alice_model');
SELECT autorec_rollback('alice_model');
SELECT autorec_set_default('alice_model');
DELETE FROM autorec.model WHERE name = 'alice_model';           -- row security hides it
UPDATE autorec.model_version SET weights = '\x00' WHERE model = 'alice_model';
INSERT INTO autorec.model (name, owner, algorithm, source) VALUES ('fake', 'autorec_alice', 'baseline', 'x');
-- Not granted: bob cannot use alice's model, read its weights or its history.
SELECT count(*) AS bob_can_use_it FROM recommend(1, 3, 'alice_model');
SELECT predict_rating(1, 1, 'alice_model');
SELECT count(*) FROM recommend_for_ratings(ARRAY[1], ARRAY[4.0], 3, 'alice_model');
SELECT * FROM autorec_evaluate('alice_model', 'ratings');
SELECT * FROM autorec_training_history('alice_model');
SELECT count(*) AS versions_bob_sees FROM autorec.model_version WHERE model = 'alice_model';
SELECT name, owner, granted_to FROM autorec.model WHERE name = 'alice_model';
SELECT autorec_grant('alice_model', 'autorec_bob');           -- only the owner grants
UPDATE autorec.model SET granted_to = '{autorec_bob}' WHERE name = 'alice_model';
CALL autorec_train('bob_model', 'baseline', 'ratings');
SELECT model, owner FROM autorec_models WHERE model LIKE '%_model' ORDER BY 1;
RESET ROLE;
-- Alice grants it to bob: usable in bob's same session (the grant invalidates his cache).
SET ROLE autorec_alice;
SELECT autorec_grant('alice_model', 'autorec_bob');
SELECT autorec_grant('alice_model', 'autorec_bob');            -- granting twice is harmless
SELECT autorec_grant('alice_model', 'no_such_role');
SELECT autorec_grant('bob_model', 'autorec_alice');            -- not hers
RESET ROLE;
SET ROLE autorec_bob;
SELECT count(*) AS bob_can_use_it FROM recommend(1, 3, 'alice_model');
SELECT count(*) >= 0 AS history_readable FROM autorec_training_history('alice_model');
SELECT model, owner, granted_to FROM autorec_models WHERE model LIKE '%_model' ORDER BY 1;
CALL autorec_train('alice_model', 'baseline', 'ratings');      -- using is not owning
SELECT autorec_drop_model('alice_model');
RESET ROLE;
-- Revoked: denied again.
SET ROLE autorec_alice;
SELECT autorec_revoke('alice_model', 'autorec_bob');
RESET ROLE;
SET ROLE autorec_bob;
SELECT count(*) AS bob_can_use_it FROM recommend(1, 3, 'alice_model');
RESET ROLE;
-- Granted to public: every role may use it; the default model follows the same rule.
SET ROLE autorec_alice;
SELECT autorec_grant('alice_model', 'public');
RESET ROLE;
SELECT autorec_set_default('alice_model');
SET ROLE autorec_bob;
SELECT count(*) AS bob_can_use_it FROM recommend(1, 3);
SELECT autorec_set_default('bob_model');                      -- the default is alice's
SELECT model FROM autorec_models WHERE is_default;
RESET ROLE;
SET ROLE autorec_alice;
SELECT autorec_revoke('alice_model', 'public');
RESET ROLE;
SET ROLE autorec_bob;
SELECT count(*) AS bob_can_use_default FROM recommend(1, 3);
RESET ROLE;
SELECT autorec_set_default('base');
-- Only 'public', in lower case, is PUBLIC (as has_table_privilege() reads a role name); another
-- spelling names a role exactly: granting to the role "Public" does not grant to everybody.
CREATE ROLE "Public";
SET ROLE autorec_alice;
SELECT autorec_grant('alice_model', 'Public');
SELECT autorec_grant('alice_model', 'PUBLIC');                  -- no such role
SELECT name, granted_to FROM autorec.model WHERE name = 'alice_model';
RESET ROLE;
SET ROLE autorec_bob;
SELECT count(*) AS bob_can_use_it FROM recommend(1, 3, 'alice_model');
RESET ROLE;
SET ROLE "Public";
SELECT count(*) AS the_role_public_can_use_it FROM recommend(1, 3, 'alice_model');
RESET ROLE;
SET ROLE autorec_alice;
SELECT autorec_revoke('alice_model', 'PUBLIC');                 -- no such role
SELECT autorec_revoke('alice_model', 'Public');
SELECT name, granted_to FROM autorec.model WHERE name = 'alice_model';
RESET ROLE;
DROP ROLE "Public";
-- A member of a granted role may use the model.
CREATE ROLE autorec_readers;
GRANT autorec_readers TO autorec_bob;
SET ROLE autorec_alice;
SELECT autorec_grant('alice_model', 'autorec_readers');
RESET ROLE;
SET ROLE autorec_bob;
SELECT count(*) AS bob_via_group FROM recommend(1, 3, 'alice_model');
RESET ROLE;
-- A granted role that is dropped stays in granted_to but grants nothing, and errors for nobody.
SET ROLE autorec_alice;
SELECT autorec_grant('alice_model', 'autorec_bob');
RESET ROLE;
DROP ROLE autorec_readers;
SET ROLE autorec_bob;
SELECT count(*) AS bob_still_granted FROM recommend(1, 3, 'alice_model');
SELECT granted_to FROM autorec_models WHERE model = 'alice_model';
RESET ROLE;
SET ROLE autorec_alice;
SELECT autorec_revoke('alice_model', 'autorec_bob');
RESET ROLE;
SET ROLE autorec_bob;
SELECT count(*) AS bob_can_use_it FROM recommend(1, 3, 'alice_model');
RESET ROLE;
-- A model's source runs with its owner's rights, also when a superuser or a member of the
-- owner role trains it (like REFRESH MATERIALIZED VIEW): a function in bob's source cannot use
-- their rights, and a setting it changes does not outlive the read.
CREATE SCHEMA autorec_bob_s AUTHORIZATION autorec_bob;
SET ROLE autorec_bob;
CREATE FUNCTION autorec_bob_s.trojan() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE WARNING 'trojan runs as %', current_user;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'ALTER ROLE autorec_bob SUPERUSER';
    END IF;
    PERFORM set_config('search_path', 'autorec_bob_s', false);
    RETURN true;
END $$;
CALL autorec_train('bob_trojan', 'baseline', 'SELECT * FROM public.ratings WHERE (SELECT autorec_bob_s.trojan())');
RESET search_path;                                              -- bob's own training set it
CALL autorec_train('bob_content', 'content', 'public.ratings',
                   '{"item_features": "SELECT item_id, min(rating) AS low FROM public.ratings WHERE (SELECT autorec_bob_s.trojan()) GROUP BY item_id",
                     "threads": 1, "epochs": 2, "factors": 2}');
RESET search_path;                                              -- bob's own training set it
RESET ROLE;
CALL autorec_retrain('bob_trojan');
SELECT autorec_refresh_features('bob_content') AS version;     -- feature sources too
SELECT rolsuper AS bob_is_superuser FROM pg_roles WHERE rolname = 'autorec_bob';
SHOW search_path;
SELECT version, CASE WHEN trained_by = current_user THEN 'the superuser' ELSE trained_by END AS trained_by
  FROM autorec.model_version WHERE model = 'bob_trojan' ORDER BY 1;
-- A superuser replacing bob's model cannot feed it data bob may not read.
CALL autorec_train('bob_trojan', 'baseline', 'alice_ratings');
SELECT current_user = session_user AS back_to_the_caller;
-- A member of bob's role retrains it as bob; a non-member cannot, even through the internals.
CREATE ROLE autorec_carol IN ROLE autorec_bob;
SET ROLE autorec_carol;
CALL autorec_retrain('bob_trojan');
SHOW search_path;
RESET ROLE;
SET ROLE autorec_alice;
CALL autorec_retrain('bob_trojan');
SELECT (autorec._train('bob_trojan', 'baseline', 'ratings', '{}')).n_ratings;
RESET ROLE;
SELECT version, CASE WHEN trained_by = current_user THEN 'the superuser' ELSE trained_by END AS trained_by
  FROM autorec.model_version WHERE model = 'bob_trojan' ORDER BY 1;
SELECT autorec_drop_model('bob_trojan');
SELECT autorec_drop_model('bob_content');
DROP SCHEMA autorec_bob_s CASCADE;
-- A model whose owner role was dropped has nobody to read its source as.
SET ROLE autorec_carol;
CALL autorec_train('carol_model', 'baseline', 'ratings');
RESET ROLE;
DROP ROLE autorec_carol;
CALL autorec_retrain('carol_model');
SELECT autorec_drop_model('carol_model');
-- A superuser may drop anyone's model.
SELECT autorec_drop_model('alice_model');
SELECT autorec_drop_model('bob_model');
DROP TABLE alice_ratings;
REVOKE SELECT ON ratings FROM autorec_bob;
DROP ROLE autorec_alice;
DROP ROLE autorec_bob;
