-- Privileges: training reads the source with the caller's rights; only a model's owner (or a
-- superuser) may replace, roll back or drop it; models are readable by everyone.
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
SELECT count(*) AS bob_can_use_it FROM recommend(1, 3, 'alice_model');
CALL autorec_train('bob_model', 'baseline', 'ratings');
SELECT model, owner FROM autorec_models WHERE model LIKE '%_model' ORDER BY 1;
RESET ROLE;
-- A superuser may drop anyone's model.
SELECT autorec_drop_model('alice_model');
SELECT autorec_drop_model('bob_model');
DROP TABLE alice_ratings;
REVOKE SELECT ON ratings FROM autorec_bob;
DROP ROLE autorec_alice;
DROP ROLE autorec_bob;
