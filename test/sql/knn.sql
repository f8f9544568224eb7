-- KNN models: each kind, similarity and predictor; serving, similar items, explanations,
-- fold-in, bad options.
SET client_min_messages = warning;
\set VERBOSITY terse
CALL autorec_train('knn_item', 'knn', 'ratings');
SELECT algorithm, n_users, n_items FROM autorec_models WHERE model = 'knn_item';
SELECT count(*) AS n, count(*) FILTER (WHERE t.item_id IS NOT NULL) AS rated_in_top
  FROM recommend(1, 5, 'knn_item') r LEFT JOIN ratings t ON t.user_id = 1 AND t.item_id = r.item_id;
-- Similar items: best first, never the item itself, similarities in [-1, 1].
SELECT count(*) AS n, bool_and(item_id <> 1) AS not_itself,
       bool_and(similarity BETWEEN -1 AND 1) AS in_range
  FROM similar_items(1, 5, 'knn_item');
SELECT bool_and(a.similarity >= b.similarity) AS sorted
  FROM (SELECT similarity, row_number() OVER () AS k FROM similar_items(1, 5, 'knn_item')) a
  JOIN (SELECT similarity, row_number() OVER () AS k FROM similar_items(1, 5, 'knn_item')) b ON b.k = a.k + 1;
-- Explanations: the user's rated items behind a prediction, largest contribution first.
SELECT count(*) > 0 AS has_terms, bool_and(t.item_id IS NOT NULL) AS all_rated_by_user
  FROM explain_recommendation(1, (SELECT item_id FROM recommend(1, 1, 'knn_item')), 'knn_item') e
  LEFT JOIN ratings t ON t.user_id = 1 AND t.item_id = e.item_id;
-- A visitor folded in from ratings.
SELECT count(*) AS n, bool_and(item_id NOT IN (1, 2, 3)) AS given_excluded
  FROM recommend_for_ratings(ARRAY[1, 2, 3], ARRAY[5, 4, 1], 5, 'knn_item');

-- User-based: neighbours are users, the explanation lists them.
CALL autorec_train('knn_user', 'knn', 'ratings', '{"kind": "user", "similarity": "msd", "predictor": "basic", "k": 10}');
SELECT count(*) AS n FROM recommend(1, 5, 'knn_user');
SELECT count(*) > 0 AS has_terms, bool_and(e.item_id <> 1) AS neighbours_not_the_user
  FROM explain_recommendation(1, (SELECT item_id FROM recommend(1, 1, 'knn_user')), 'knn_user') e;
SELECT count(*) AS n FROM recommend_for_ratings(ARRAY[1, 2, 3], ARRAY[5, 4, 1], 5, 'knn_user');
SELECT * FROM similar_items(1, 3, 'knn_user');

-- Every similarity and predictor trains and predicts within the rating range.
CREATE TABLE knn_variants (sim text, pred text);
INSERT INTO knn_variants
SELECT s, p FROM unnest(ARRAY['cosine', 'pearson', 'adjusted_cosine', 'msd', 'pearson_baseline']) s,
                 unnest(ARRAY['basic', 'means', 'zscore', 'baseline']) p;
DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT * FROM knn_variants LOOP
    CALL autorec_train('knn_' || v.sim || '_' || v.pred, 'knn', 'ratings',
                       jsonb_build_object('similarity', v.sim, 'predictor', v.pred, 'k', 20));
  END LOOP;
END $$;
SELECT v.sim, v.pred, e.rmse BETWEEN 0 AND 4 AS sane_rmse, e.n_ratings
  FROM knn_variants v, LATERAL autorec_evaluate('knn_' || v.sim || '_' || v.pred, 'held_out', 5) e
 ORDER BY 1, 2;

-- Bad options name the option.
CALL autorec_train('bad', 'knn', 'ratings', '{"kind": "diagonal"}');
CALL autorec_train('bad', 'knn', 'ratings', '{"similarity": "jaccardish"}');
CALL autorec_train('bad', 'knn', 'ratings', '{"k": 0}');
CALL autorec_train('bad', 'knn', 'ratings', '{"shrinkage": -1}');
CALL autorec_train('bad', 'knn', 'ratings', '{"neighbours": 5}');
SELECT autorec_drop_model(model) FROM autorec_models WHERE model LIKE 'knn%' ORDER BY model;
DROP TABLE knn_variants;
