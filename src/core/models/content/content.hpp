// Content-based and hybrid model (algorithm 'content'): a degree-2 factorization machine over
// user features, item features and, optionally, the user and item ids, trained by SGD. Users
// and items known only from their features (cold start) are scored from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/features.hpp"
#include "core/model.hpp"

namespace autorec {

class Options;

struct ContentOptions {
  std::string user_features, item_features;  // sources (table, view or query); "" = none
  bool use_ids = true;
  int factors = 16;
  int epochs = 60;
  double learning_rate = 0.01;
  double lr_decay = 0.95;
  double reg_linear = 0.02, reg_factors = 0.05;
  double init_std = 0.05;
  double id_dropout = 0.15;  // probability of training a rating without the user's / item's id
  double validation_fraction = 0;
  int patience = 3;

  // Reads and validates the options of algorithm 'content' (see the comment block in
  // content.cpp).
  static ContentOptions read(Options& o);
};

class ContentModel : public Model {
 public:
  explicit ContentModel(const ContentOptions& opt) : opt_(opt) {}
  explicit ContentModel(Options& options) : ContentModel(ContentOptions::read(options)) {}
  std::string algorithm() const override { return "content"; }

  void check_options() const override;
  FeatureSources feature_sources() const override {
    return {opt_.user_features, opt_.item_features};
  }
  void fit(const TrainingData& data, FitContext& ctx) override;
  void refresh_features(const TrainingData& data) override;
  MemoryEstimate estimated_memory(const TrainingSize& size) const override;

  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  const ContentOptions& options() const { return opt_; }
  uint32_t n_features() const { return static_cast<uint32_t>(w_.size()); }
  const FeatureRows& user_rows() const { return user_rows_; }
  const FeatureRows& item_rows() const { return item_rows_; }
  // The global bias and the per-user or per-item part of a prediction (see content_fm.hpp):
  // y(u, i) = w0 + a_u + a_i + <s_u, s_i>.
  double w0() const { return w0_; }

 private:
  // Encodes every user and item of the id maps: its feature row (if the table has it) and its
  // id (if use_ids and the id had ratings at training).
  void encode_rows(const TrainingData& data);
  void prepare_serving();
  // a and s of a user described only by the ratings given (fold-in) or of a known user.
  void user_side(const UserProfile& user, double& a, std::vector<float>& s) const;

  ContentOptions opt_;
  FeatureEncoder user_enc_, item_enc_;
  std::vector<int64_t> user_ids_, item_ids_;  // id features: sorted ids, in that order
  uint32_t user_id_base_ = 0, item_id_base_ = 0;
  double w0_ = 0;
  std::vector<float> w_, v_;  // n_features, n_features x factors
  FeatureRows user_rows_, item_rows_;
  // Serving: a and s per user and per item.
  std::vector<double> user_a_, item_a_;
  std::vector<float> user_s_, item_s_;
};

}  // namespace autorec
