// Latent-factor models (algorithm 'svd'): biased matrix factorisation trained by SGD (as
// Surprise's SVD) or by ALS, and SVD++ with implicit feedback.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/models/svd/svd_kernels.hpp"

namespace autorec {

class Options;

struct SvdOptions {
  enum class Method : uint8_t { Sgd = 0, Als = 1, Svdpp = 2 };
  Method method = Method::Sgd;
  int factors = 100;
  int epochs = 20;
  svd::Hyper hyper;
  double lr_decay = 1;  // every learning rate is multiplied by this after each epoch
  double init_std = 0.1;
  int cg_steps = 0;  // ALS: conjugate-gradient steps per solve, 0 = exact (Cholesky) solves
  double validation_fraction = 0;
  int patience = 3;

  // Reads and validates the options of algorithm 'svd' (see the comment block in svd.cpp).
  static SvdOptions read(Options& o);
};

const char* method_name(SvdOptions::Method m);

// The fitted parameters: prediction = mean + bu[u] + bi[i] + Q.row(i) . (P.row(u) + implicit).
struct SvdParams {
  double mean = 0;
  svd::RowMatrixF P, Q, Y;  // users x k, items x k, items x k (SVD++ only, else empty)
  Eigen::VectorXf bu, bi;
};

class SvdModel : public Model {
 public:
  explicit SvdModel(const SvdOptions& opt) : opt_(opt) {}
  explicit SvdModel(Options& options) : SvdModel(SvdOptions::read(options)) {}
  std::string algorithm() const override { return "svd"; }

  void fit(const TrainingData& data, FitContext& ctx) override;
  MemoryEstimate estimated_memory(const TrainingSize& size) const override;
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  // Cosine similarity of item factor vectors.
  bool has_item_similarity() const override { return true; }
  std::vector<ScoredIndex> similar_items(int32_t item, size_t n) const override;

  const SvdOptions& options() const { return opt_; }
  const SvdParams& params() const { return params_; }
  // The vector the item factors are multiplied with and the user bias: precomputed for a
  // training user, folded in (regularised least squares against the fixed item side) for a
  // new one.
  void user_vector(const UserProfile& user, Eigen::VectorXf& z, float& bias) const;

 private:
  void prepare_serving(const RatingMatrix& m);
  const float* serving_row(int32_t u) const;

  SvdOptions opt_;
  SvdParams params_;
  svd::RowMatrixF implicit_users_;  // SVD++: P + |N(u)|^-1/2 sum_j y_j per training user
  Eigen::VectorXf item_norm_;
};

}  // namespace autorec
