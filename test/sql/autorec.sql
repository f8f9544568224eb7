-- AutoRec: item- and user-based, deep, tied and denoising variants; history; bad options.
SET client_min_messages = warning;
\set VERBOSITY terse
CALL autorec_train('ar_item', 'autorec', 'ratings', '{"hidden": [16], "epochs": 5, "threads": 1}');
SELECT count(*) > 0 AS epochs, bool_and(train_rmse > 0) AS recorded FROM autorec_training_history('ar_item');
SELECT count(*) AS n, count(*) FILTER (WHERE t.item_id IS NOT NULL) AS rated_in_top
  FROM recommend(1, 5, 'ar_item') r LEFT JOIN ratings t ON t.user_id = 1 AND t.item_id = r.item_id;
CALL autorec_train('ar_user', 'autorec', 'ratings', '{"variant": "user", "hidden": [16], "epochs": 5, "threads": 1}');
CALL autorec_train('ar_deep', 'autorec', 'ratings', '{"hidden": [8, 4, 8], "epochs": 5, "threads": 1}');
CALL autorec_train('ar_tied', 'autorec', 'ratings', '{"hidden": [16], "tied_weights": true, "epochs": 5, "threads": 1}');
CALL autorec_train('ar_noisy', 'autorec', 'ratings', '{"hidden": [16], "denoising": 0.2, "optimizer": "adam", "epochs": 5, "threads": 1}');
SELECT m, e.rmse BETWEEN 0 AND 4 AS sane_rmse, e.n_ratings
  FROM unnest(ARRAY['ar_item', 'ar_user', 'ar_deep', 'ar_tied', 'ar_noisy']) m,
       LATERAL autorec_evaluate(m, 'held_out', 5) e;
SELECT min(predict_rating(user_id, item_id, 'ar_item')) >= 1 AND max(predict_rating(user_id, item_id, 'ar_item')) <= 5
       AS clipped FROM held_out;
-- Fold-in of a visitor for both variants.
SELECT m, count(*) AS n, bool_and(item_id NOT IN (1, 2, 3)) AS given_excluded
  FROM unnest(ARRAY['ar_item', 'ar_user']) m,
       LATERAL recommend_for_ratings(ARRAY[1, 2, 3], ARRAY[5, 4, 1], 5, m) r
 GROUP BY m ORDER BY m;
SELECT * FROM explain_recommendation(1, 2, 'ar_item');
-- Bad options.
CALL autorec_train('bad', 'autorec', 'ratings', '{"hidden": []}');
CALL autorec_train('bad', 'autorec', 'ratings', '{"lambda": -1}');
CALL autorec_train('bad', 'autorec', 'ratings', '{"variant": "both"}');
CALL autorec_train('bad', 'autorec', 'ratings', '{"encoder": "softmax"}');
CALL autorec_train('bad', 'autorec', 'ratings', '{"optimizer": "sgd2"}');
SELECT autorec_drop_model(model) FROM autorec_models WHERE model LIKE 'ar_%' ORDER BY model;
