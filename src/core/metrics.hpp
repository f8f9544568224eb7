// Accuracy and ranking metrics, and the evaluation of a model on held-out ratings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/ratings.hpp"

namespace autorec {

class Recommender;
class FitContext;

double rmse(const std::vector<double>& predicted, const std::vector<double>& actual);
double mae(const std::vector<double>& predicted, const std::vector<double>& actual);

// Ranking quality of one top-k list against a set of relevant ids (binary relevance).
struct RankingScores {
  double precision = 0, recall = 0, ndcg = 0, average_precision = 0;
  double hit = 0;              // 1 when a relevant item is in the top k (HR@k)
  double reciprocal_rank = 0;  // 1 / rank of the first relevant item in the top k, else 0 (MRR@k)
};
RankingScores rank_scores(const std::vector<int64_t>& recommended,
                          const std::vector<int64_t>& relevant, size_t k);

struct Evaluation {
  uint64_t n_ratings = 0;   // test ratings
  uint64_t n_users = 0;     // distinct test users
  double rmse = 0, mae = 0;  // NaN for a ranking model or implicit test data
  // Means over the test users who have at least one relevant item.
  double precision_at_k = 0, recall_at_k = 0, ndcg_at_k = 0, map_at_k = 0;
  double hit_rate_at_k = 0, mrr_at_k = 0;
  // Distinct items in the top-k lists of the test users the model was trained on (whatever
  // the threshold) / items in the model.
  double catalog_coverage = 0;
  // Popularity bias, over the same lists: the mean number of training interactions of a
  // recommended item (average recommendation popularity), and its mean popularity percentile
  // among the model's items (1 = the most popular item, 0 = the least).
  double mean_popularity = 0, popularity_percentile = 0;
};

// One test user's part of an evaluation, for paired comparisons between models.
struct UserEvaluation {
  int64_t user = 0;
  uint64_t n_ratings = 0, n_relevant = 0;
  bool known = false;  // the model was trained on this user
  RankingScores scores;  // zero when the user has no relevant test item
};

// Predicts every test rating and ranks the top k (training-rated items excluded) for every
// test user. Items rated >= relevance_threshold in the test set are relevant; with implicit
// test data (test.implicit) every test pair is.
// With per_user, also fills one UserEvaluation per test user, by user id.
Evaluation evaluate(const Recommender& model, const RawRatings& test, size_t k,
                    double relevance_threshold, const FitContext* ctx = nullptr,
                    int threads = 0, std::vector<UserEvaluation>* per_user = nullptr);

}  // namespace autorec
