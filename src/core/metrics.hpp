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
};
RankingScores rank_scores(const std::vector<int64_t>& recommended,
                          const std::vector<int64_t>& relevant, size_t k);

struct Evaluation {
  uint64_t n_ratings = 0;   // test ratings
  uint64_t n_users = 0;     // distinct test users
  double rmse = 0, mae = 0;
  // Means over the test users who have at least one relevant item.
  double precision_at_k = 0, recall_at_k = 0, ndcg_at_k = 0, map_at_k = 0;
  // Distinct items in the top-k lists of the test users the model was trained on (whatever
  // the threshold) / items in the model.
  double catalog_coverage = 0;
};

// Predicts every test rating and ranks the top k (training-rated items excluded) for every
// test user. Items rated >= relevance_threshold in the test set are relevant.
Evaluation evaluate(const Recommender& model, const RawRatings& test, size_t k,
                    double relevance_threshold, const FitContext* ctx = nullptr,
                    int threads = 0);

}  // namespace autorec
