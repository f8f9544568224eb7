// Baseline estimates mu + b_u + b_i (Surprise's BaselineOnly, fitted with ALS): a model of its
// own and the fallback every other family uses for users and items it cannot score.
#pragma once

#include <vector>

#include "core/model.hpp"

namespace autorec {

class Options;

struct BiasOptions {
  int epochs = 10;
  double reg_user = 15;
  double reg_item = 10;
  // Reads epochs/reg_user/reg_item under `prefix` ("" for the baseline algorithm,
  // "baseline_" for the others).
  static BiasOptions read(Options& o, const std::string& prefix);
};

// Empty (no user or item biases) when a model's family does not use the baseline.
struct Biases {
  double mean = 0;
  double reg_user = 15;
  std::vector<float> user, item;

  // u or i may be -1 (unknown): that bias is then 0.
  double predict(int32_t u, int32_t i) const {
    return mean + (u >= 0 ? user[u] : 0.0) + (i >= 0 ? item[i] : 0.0);
  }
  // The bias of a user described only by ratings, with the same regularisation.
  double fold_in_user(const SparseRow& ratings) const;

  void save(Writer& w) const;
  void load(Reader& r, int32_t n_users, int32_t n_items);
};

// Polls ctx (if given) once per epoch; with report_epochs, also reports each epoch (train RMSE
// over all of m, seconds) with ctx->epoch_done(), as the baseline algorithm's own training.
Biases fit_biases(const RatingMatrix& m, const BiasOptions& opt, FitContext* ctx = nullptr,
                  bool report_epochs = false);

class BaselineModel : public Model {
 public:
  BaselineModel() = default;
  explicit BaselineModel(Options&) {}  // its options are the baseline's (BaselineUse)
  std::string algorithm() const override { return "baseline"; }
  // The baseline is this model: its options carry no prefix, its epochs are the training.
  BaselineUse baseline_use() const override { return {true, "", true}; }
  void fit(const TrainingData& data, FitContext& ctx) override;
  // Nothing of its own: the biases are the Recommender's (fit_biases).
  MemoryEstimate estimated_memory(const TrainingSize&) const override { return {}; }
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer&) const override {}
  void load(Reader&, const TrainingData& data) override { b_ = data.baseline; }

 private:
  double user_bias(const UserProfile& user) const;
  const Biases* b_ = nullptr;
};

}  // namespace autorec
