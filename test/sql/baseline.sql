-- The baseline model end to end: training, serving, versions, default, evaluation, removal.
SET client_min_messages = warning;
CALL autorec_train('base', 'baseline', 'ratings');
SELECT model, algorithm, version, is_default, n_users, n_items, n_ratings, size_bytes > 0 AS has_weights
  FROM autorec_models;

-- Top 5 for user 1: best first, rated items excluded.
-- Rating families rank by default (rank_by 'blend') by an implicit companion's score times the
-- normalized predicted rating, shown as score (not a rating).
SELECT item_id, round(score::numeric, 3) AS score FROM recommend(1, 5);
-- Ranked by rating (rank_by 'rating'): the predicted ratings, clipped, best first; the same
-- predictions as the default model.
CALL autorec_train('base_by_rating', 'baseline', 'ratings', '{"rank_by": "rating"}');
SELECT item_id, round(score::numeric, 3) AS score FROM recommend(1, 5, 'base_by_rating');
SELECT bool_and(abs(predict_rating(user_id, item_id, 'base_by_rating') -
                    predict_rating(user_id, item_id, 'base')) < 1e-9) AS same_predictions
  FROM held_out;
SELECT autorec_drop_model('base_by_rating') IS NOT NULL AS dropped;
SELECT count(*) AS rated_in_top FROM recommend(1, 40) r
  JOIN ratings t ON t.user_id = 1 AND t.item_id = r.item_id;
SELECT count(*) AS rows_with_rated FROM recommend(1, 40, exclude_rated => false);
-- Candidates restrict the answer before the cut: n rows whenever n candidates exist.
SELECT item_id FROM recommend(1, 2, candidates => ARRAY[2, 4, 5, 7, 999]) ORDER BY item_id;
-- The default model, a named model, and the select-list and LATERAL forms agree.
SELECT (SELECT array_agg(item_id) FROM recommend(3, 3)) =
       (SELECT array_agg(item_id) FROM recommend(3, 3, 'base')) AS same;
SELECT u, (recommend(u, 1)).item_id FROM generate_series(1, 3) u;
SELECT u.user_id, r.item_id FROM (VALUES (1), (2)) u(user_id),
       LATERAL recommend(u.user_id, 2) r ORDER BY 1, r.score DESC, 2;
-- An unknown user gets the popularity fallback, never an error.
SELECT item_id, round(score::numeric, 3) AS score FROM recommend(12345, 3);
-- Predictions are clipped to the training range; unknown ids fall back to the baseline.
SELECT round(predict_rating(1, 1)::numeric, 3) AS known,
       round(predict_rating(12345, 1)::numeric, 3) AS unknown_user,
       round(predict_rating(1, 12345)::numeric, 3) AS unknown_item,
       predict_rating(NULL, 1) AS null_user;
SELECT min(predict_rating(user_id, item_id)) >= 1 AND max(predict_rating(user_id, item_id)) <= 5
       AS within_range FROM held_out;
-- A visitor folded in from ratings: the given items are excluded, unknown ones ignored.
SELECT item_id, round(score::numeric, 3) AS score
  FROM recommend_for_ratings(ARRAY[1, 2, 999], ARRAY[5, 1, 3], 3);
-- Baseline models have no item similarity and cannot explain.
SELECT * FROM similar_items(1, 5);
SELECT * FROM explain_recommendation(1, 2);

-- Evaluation on held-out ratings.
SELECT n_ratings, n_users, round(rmse::numeric, 4) AS rmse, round(mae::numeric, 4) AS mae,
       round(precision_at_k::numeric, 4) AS p, round(recall_at_k::numeric, 4) AS r,
       round(ndcg_at_k::numeric, 4) AS ndcg, round(map_at_k::numeric, 4) AS map,
       round(catalog_coverage::numeric, 4) AS coverage
  FROM autorec_evaluate('base', 'held_out', 5);
SELECT metrics ? 'rmse' AS stored_metrics FROM autorec_models WHERE model = 'base';
-- No test rating reaches 6: no user counts for the top-k metrics; coverage is the same.
SELECT * FROM autorec_evaluate('base', 'held_out', 5, '{"relevance_threshold": 6}');
-- Hit rate, MRR and the popularity of the recommended items; per user, the means are those
-- of the users with a relevant test item.
SELECT round(hit_rate_at_k::numeric, 4) AS hr, round(mrr_at_k::numeric, 4) AS mrr,
       round(mean_popularity::numeric, 2) AS mean_pop,
       round(popularity_percentile::numeric, 4) AS pop_pct,
       hit_rate_at_k >= precision_at_k AND mrr_at_k <= hit_rate_at_k AS consistent
  FROM autorec_evaluate('base', 'held_out', 5);
SELECT count(*) AS users, count(*) FILTER (WHERE n_relevant > 0) AS ranked,
       count(*) FILTER (WHERE ndcg_at_k IS NULL) = count(*) FILTER (WHERE n_relevant = 0) AS null_when_unranked,
       round(avg(ndcg_at_k)::numeric, 4) = (SELECT round(ndcg_at_k::numeric, 4) FROM autorec_evaluate('base', 'held_out', 5)) AS same_ndcg,
       round(avg(hit_at_k)::numeric, 4) = (SELECT round(hit_rate_at_k::numeric, 4) FROM autorec_evaluate('base', 'held_out', 5)) AS same_hr,
       sum(n_ratings) = (SELECT n_ratings FROM autorec_evaluate('base', 'held_out', 5)) AS same_ratings
  FROM autorec_evaluate_per_user('base', 'held_out', 5);

-- Versions: retrain with other options, roll back, and the current version follows.
CALL autorec_train('base', 'baseline', 'ratings', '{"reg_user": 1, "reg_item": 1}');
SELECT version, options FROM autorec_models WHERE model = 'base';
CALL autorec_retrain('base');
SELECT version, options FROM autorec_models WHERE model = 'base';
SELECT autorec_rollback('base');
SELECT autorec_rollback('base');
SELECT version FROM autorec_models WHERE model = 'base';
SELECT version, options FROM autorec.model_version WHERE model = 'base' ORDER BY version;

-- A second model; the default stays the first until changed.
CALL autorec_train('base2', 'baseline', 'SELECT user_id, item_id, rating FROM ratings WHERE user_id <= 20');
SELECT model, is_default, n_users FROM autorec_models ORDER BY model;
SELECT autorec_set_default('base2');
SELECT model, is_default FROM autorec_models ORDER BY model;
SELECT count(*) FROM recommend(25, 3);  -- user 25 is unknown to base2: fallback
-- The baseline's history: one row per ALS epoch (10 by default), train RMSE only.
SELECT epoch, round(train_rmse::numeric, 4) AS train_rmse, validation_rmse, seconds >= 0 AS timed
  FROM autorec_training_history('base');
SELECT autorec_drop_model('base2');
SELECT model, is_default FROM autorec_models ORDER BY model;
SELECT * FROM recommend(1, 3);  -- no default model any more
SELECT autorec_set_default('base');
-- '' names no model, also once the default model has been looked up in this session.
SELECT count(*) FROM recommend(1, 3);
SELECT count(*) FROM recommend(1, 3, '');
-- An unknown model: the HINT lists the models, the same from the serving functions (C) and
-- from the management functions (SQL).
SELECT * FROM recommend(1, 3, 'nope');
SELECT autorec_rollback('nope');

-- Progress: each epoch of the baseline is a history row (and a NOTICE with its time:
-- test/integration/notices.sh).
CALL autorec_train('base_epochs', 'baseline', 'ratings', '{"epochs": 3}');
SELECT count(*) AS epochs FROM autorec_training_history('base_epochs');
SELECT autorec_drop_model('base_epochs');

-- A split: random, per user, by time; tables are created with the fractions asked for.
CREATE TABLE timed AS SELECT *, (user_id * 1000 + item_id) AS ts FROM ratings;
SELECT * FROM autorec_split('ratings', 'split_train', 'split_test', 0.25, 7);
SELECT (SELECT count(*) FROM split_train) + (SELECT count(*) FROM split_test) = (SELECT count(*) FROM ratings) AS partition;
SELECT * FROM autorec_split('ratings', 'split_train', 'split_test2', 0.25, 7);
SELECT * FROM autorec_split('ratings', 'user_train', 'user_test', 0.2, 1, '{"method": "user"}');
SELECT count(DISTINCT user_id) AS users_in_test FROM user_test;
SELECT * FROM autorec_split('timed', 'time_train', 'time_test', 0.1, 1, '{"method": "time", "time_column": "ts"}');
SELECT (SELECT max(ts) FROM time_train) < (SELECT min(ts) FROM time_test) AS test_is_later;
SELECT * FROM autorec_split('ratings', 'x1', 'x2', 1.5);
SELECT * FROM autorec_split('ratings', 'x1', 'x2', 0.2, 0, '{"method": "bogus"}');
SELECT * FROM autorec_split('ratings', 'x1', 'x2', 0.2, 0, '{"colour": "red"}');
