-- SVD family: SGD (deterministic with one thread), ALS, SVD++; training history, early
-- stopping, fold-in, bad options.
SET client_min_messages = warning;
\set VERBOSITY terse
CALL autorec_train('svd_sgd', 'svd', 'ratings', '{"threads": 1, "epochs": 10, "factors": 8}');
SELECT count(*) AS epochs, bool_and(train_rmse > 0) AS recorded FROM autorec_training_history('svd_sgd');
SELECT count(*) AS n, count(*) FILTER (WHERE t.item_id IS NOT NULL) AS rated_in_top
  FROM recommend(1, 5, 'svd_sgd') r LEFT JOIN ratings t ON t.user_id = 1 AND t.item_id = r.item_id;
-- Reproducible: the same seed and one thread give the same model.
CREATE TABLE svd_first AS SELECT item_id, score FROM recommend(2, 10, 'svd_sgd');
CALL autorec_retrain('svd_sgd');
SELECT count(*) AS same_answers FROM recommend(2, 10, 'svd_sgd') r JOIN svd_first f USING (item_id, score);
CALL autorec_train('svd_als', 'svd', 'ratings', '{"method": "als", "factors": 8, "epochs": 5}');
CALL autorec_train('svd_pp', 'svd', 'ratings', '{"method": "svdpp", "factors": 8, "epochs": 5, "threads": 1}');
SELECT m, e.rmse BETWEEN 0 AND 4 AS sane_rmse, e.n_ratings
  FROM unnest(ARRAY['svd_sgd', 'svd_als', 'svd_pp']) m, LATERAL autorec_evaluate(m, 'held_out', 5) e;
-- Early stopping on a validation split records validation RMSE per epoch.
CALL autorec_train('svd_val', 'svd', 'ratings', '{"validation_fraction": 0.2, "epochs": 30, "factors": 4, "threads": 1}');
SELECT count(*) > 0 AS epochs, bool_and(validation_rmse IS NOT NULL) AS validated
  FROM autorec_training_history('svd_val');
-- Fold-in of a visitor: the given items are excluded.
SELECT m, count(*) AS n, bool_and(item_id NOT IN (1, 2, 3)) AS given_excluded
  FROM unnest(ARRAY['svd_sgd', 'svd_als', 'svd_pp']) m,
       LATERAL recommend_for_ratings(ARRAY[1, 2, 3], ARRAY[5, 4, 1], 5, m) r
 GROUP BY m ORDER BY m;
SELECT * FROM explain_recommendation(1, 2, 'svd_sgd');
-- Bad options.
CALL autorec_train('bad', 'svd', 'ratings', '{"method": "nmf"}');
CALL autorec_train('bad', 'svd', 'ratings', '{"factors": 0}');
CALL autorec_train('bad', 'svd', 'ratings', '{"learning_rate": -0.1}');
CALL autorec_train('bad', 'svd', 'ratings', '{"epochs": 1.5}');
CALL autorec_train('bad', 'svd', 'ratings', '{"hidden": [10]}');
SELECT autorec_drop_model(model) FROM autorec_models WHERE model LIKE 'svd%' ORDER BY model;
DROP TABLE svd_first;
