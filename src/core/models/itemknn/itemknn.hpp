// Item-based nearest neighbours for implicit data (algorithm 'itemknn'): the cosine of the items'
// columns of the 0/1 (or weighted) user x item matrix, each item keeping its k most similar
// items; a user's score of item j is sum_i w(r_ui) s(i, j) over the items i they interacted with
// and whose list holds j (the implicit library's ItemItemRecommender, RecBole's ItemKNN).
// The similarities are the knn family's sparse co-rating kernel (knn_similarity.hpp,
// implicit_cosine), so training costs the co-ratings, never items^2.
//
//   s(i, j) = sum_u x_ui x_uj / (|x_i|^(2 (1 - alpha)) |x_j|^(2 alpha) + shrinkage)
//
// Options: k (400), shrinkage (0), alpha (0.5 = cosine), min_support (1), weighting
// binary|rating (binary), min_rating (4: only pairs rated >= 4 count; -1e30 keeps all); defaults
// chosen on validation splits (bench_ease --validate, mean NDCG@10 over ML-100K u1 and ML-1M).
#pragma once

#include <memory>
#include <string>

#include "core/model.hpp"
#include "core/models/item_item/implicit_input.hpp"
#include "core/models/knn/knn_similarity.hpp"

namespace autorec {

class Options;

struct ItemKnnOptions {
  int32_t k = 400;
  double shrinkage = 0;
  double alpha = 0.5;
  int32_t min_support = 1;
  ImplicitWeighting weighting{false, 4.0};

  static ItemKnnOptions read(Options& o);
  KnnSimilaritySpec spec() const;
};

class ItemKnnModel : public Model {
 public:
  explicit ItemKnnModel(const ItemKnnOptions& o) : opt_(o) {}
  std::string algorithm() const override { return "itemknn"; }

  void fit(const TrainingData& data, FitContext& ctx) override;
  // The peak of fit() (what estimated_memory() reports as training).
  size_t estimated_training_bytes(int32_t n_users, int32_t n_items, size_t nnz) const;
  MemoryEstimate estimated_memory(const TrainingSize& size) const override;
  // The score of the item (a ranking score, not a rating).
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  bool has_item_similarity() const override { return true; }
  std::vector<ScoredIndex> similar_items(int32_t item, size_t n) const override;
  bool can_explain() const override { return true; }
  // The user's items i with w(r_ui) s(i, j): they sum to predict(user, j).
  std::vector<Contribution> explain(const UserProfile& user, int32_t item) const override;

  const ItemKnnOptions& options() const { return opt_; }
  const KnnGraph& graph() const { return graph_; }

 private:
  ItemKnnOptions opt_;
  int32_t n_items_ = 0;
  KnnGraph graph_;
};

std::unique_ptr<Model> make_itemknn_model(Options& options);

}  // namespace autorec
