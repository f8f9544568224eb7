// EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019), algorithm
// 'ease': the closed-form item-item model B = argmin |X - X B|^2 + lambda |B|^2 with diag(B) = 0,
//   P = (X^T X + lambda I)^-1,   B_ij = -P_ij / P_jj (i != j),   B_ii = 0,
// X the user x item matrix of interaction weights. A user's score of item j is
// sum_i w(r_ui) B_ij over the items i they interacted with (a new user folds in the same way).
//
// Options: lambda (6400); weighting binary|rating (rating: x_ui = the rating; lambda scales with
// the squared values, binary wants ~400-1600); min_rating (none: every pair counts); the
// defaults chosen on validation splits (bench_ease --validate, mean NDCG@10 over the ML-100K u1
// and ML-1M validation splits); prune_to (0 = keep the dense B; k > 0 keeps the
// k entries of largest |B_ij| per row, stored sparse); precision float|double (float: the
// validation NDCG of both agree, see bench_ease --precision).
//
// Training holds two dense items x items matrices (the Gram matrix, factored and inverted in
// place, and the triangular inverse of its Cholesky factor): 8 n^2 bytes in float, 16 n^2 in
// double; ease_max_items() is its inverse, for the error that refuses a training too large.
#pragma once

#include "core/eigen.hpp"
#include <Eigen/Dense>
#include <memory>
#include <string>

#include "core/model.hpp"
#include "core/models/item_item/implicit_input.hpp"
#include "core/models/knn/knn_similarity.hpp"

namespace autorec {

class Options;

struct EaseOptions {
  double lambda = 6400;
  // false: fit() sets lambda from the data (see kDefaultLambdaPerSquare), what the option
  // reader does when "lambda" is not given.
  bool lambda_given = true;
  ImplicitWeighting weighting{true};
  int32_t prune_to = 0;
  bool double_precision = false;

  static EaseOptions read(Options& o);
};

std::string ease_memory_hint(size_t budget_bytes, bool double_precision);

class EaseModel : public Model {
 public:
  explicit EaseModel(const EaseOptions& o) : opt_(o) {}
  std::string algorithm() const override { return "ease"; }

  void fit(const TrainingData& data, FitContext& ctx) override;
  // The peak of fit() (what estimated_memory() reports as training).
  size_t estimated_training_bytes(int32_t n_users, int32_t n_items, size_t nnz) const;
  MemoryEstimate estimated_memory(const TrainingSize& size) const override;
  // How many items a training fits in `budget_bytes`, counted as the Recommender does.
  std::string memory_hint(size_t budget_bytes) const override;
  // The score of the item (a ranking score, not a rating).
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  bool has_item_similarity() const override { return true; }
  // The largest positive entries of row `item` of B.
  std::vector<ScoredIndex> similar_items(int32_t item, size_t n) const override;
  bool can_explain() const override { return true; }
  // The user's items i with w(r_ui) B_ij: they sum to predict(user, j).
  std::vector<Contribution> explain(const UserProfile& user, int32_t item) const override;

  const EaseOptions& options() const { return opt_; }
  // B_ij (0 on the diagonal and for entries pruned away).
  float weight(int32_t i, int32_t j) const;
  bool pruned() const { return opt_.prune_to > 0; }

 private:
  EaseOptions opt_;
  int32_t n_items_ = 0;
  // Dense B, transposed: column i holds row i of B (what item i adds to every item's score).
  Eigen::MatrixXf bt_;
  KnnGraph rows_;  // pruned B, when prune_to > 0
};

std::unique_ptr<Model> make_ease_model(Options& options);

// Bytes of the dense matrices an EASE training of n_items holds at its peak.
double ease_dense_bytes(int64_t n_items, bool double_precision);
// The most items whose dense training matrices fit in `bytes` (float precision by default).
int64_t ease_max_items(size_t bytes, bool double_precision = false);
// The hint for a training refused by a memory budget of `budget_bytes`: how many items fit.
std::string ease_memory_hint(size_t budget_bytes, bool double_precision = false);

}  // namespace autorec
