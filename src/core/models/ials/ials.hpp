// Implicit ALS (algorithm 'ials'): a ranking model of which items a user interacted with.
// Hu, Koren, Volinsky, "Collaborative Filtering for Implicit Feedback Datasets" (ICDM 2008),
// with the unobserved weight and the frequency-scaled regularisation of Rendle, Krichene,
// Zhang, Koren, "Revisiting the Performance of iALS on Item Recommendation Benchmarks"
// (RecSys 2022). Minimises, over user factors w_u and item factors h_i (d each),
//   sum_{(u,i) observed} c_ui (1 - <w_u, h_i>)^2 + alpha0 sum_{all (u,i)} <w_u, h_i>^2
//   + lambda sum_u (|I_u| + alpha0 |I|)^nu |w_u|^2 + lambda sum_i (|U_i| + alpha0 |U|)^nu |h_i|^2
// with c_ui = 1 + alpha * r_ui (alpha = 0: every observed pair counts once, as in Rendle et al.).
// Alternating exact least squares on each side: the all-pairs term of a user's system is
// alpha0 H^T H, the same for every user (the "Gramian trick"), so a solve reads only the
// user's own items.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/models/svd/svd_kernels.hpp"

namespace autorec {

class Options;
class ThreadPool;

struct IalsOptions {
  int factors = 64;
  int epochs = 16;
  double lambda = 0.01;   // reg
  double alpha0 = 0.3;    // weight of every (unobserved) pair
  double nu = 1;          // exponent of the frequency scaling of the penalty
  double alpha = 0;       // confidence: an observed pair weighs 1 + alpha * rating
  int cg_steps = 3;       // conjugate-gradient steps per solve, 0 = exact (Cholesky) solves
  double init_std = 0.1;  // the initial factors are N(0, (init_std / sqrt(factors))^2)
  int64_t seed = -1;      // -1: the training's seed (FitContext::seed)

  // Reads and validates the options of algorithm 'ials' (see the comment block in ials.cpp).
  static IalsOptions read(Options& o);
};

std::unique_ptr<Model> make_ials_model(Options& options);

namespace ials {

// The penalty lambda (n + alpha0 n_other)^nu of a user with n items among n_other items (or
// of an item with n users among n_other users).
double penalty(const IalsOptions& o, size_t n, size_t n_other);

// G = alpha0 X^T X (d x d, both triangles, row-major, rows of d floats).
std::vector<float> gramian(const svd::RowMatrixF& X, double alpha0);

// One worker's buffers for the solves.
struct Scratch {
  explicit Scratch(int d) : ls(d), reg(static_cast<size_t>(d)) {}
  svd::LeastSquares ls;
  std::vector<double> reg;
};

// Solves the least-squares problem of one user (or item) whose observed items (users) and
// ratings are r, against the other side's factors `other` and its Gramian `gram` (from
// gramian(other, alpha0)): `cg_steps` conjugate-gradient steps from w (d floats, in and out),
// or an exact solve when cg_steps = 0.
void solve_row(const IalsOptions& o, const SparseRow& r, const svd::RowMatrixF& other,
               const std::vector<float>& gram, int cg_steps, Scratch& s, float* w);

// Alternating least squares on one rating matrix, a half step at a time (fit() runs it; the
// tests step it by hand).
class Trainer {
 public:
  Trainer(const RatingMatrix& m, const IalsOptions& o, ThreadPool& pool, uint64_t seed);
  // Solves every user (users = true) or item against the other side.
  void half_step(bool users, const FitContext* ctx = nullptr);
  void epoch(const FitContext* ctx = nullptr) {
    half_step(true, ctx);
    half_step(false, ctx);
  }
  // The objective in the header comment, in double.
  double loss() const;
  // Bytes of the solvers' buffers now.
  size_t scratch_bytes() const;

  svd::RowMatrixF U, V;  // users x d, items x d

 private:
  const RatingMatrix& m_;
  IalsOptions o_;
  ThreadPool& pool_;
  std::vector<Scratch> scratch_;  // one per worker
};

}  // namespace ials

class IalsModel : public Model {
 public:
  explicit IalsModel(const IalsOptions& opt) : opt_(opt) {}
  std::string algorithm() const override { return "ials"; }

  void fit(const TrainingData& data, FitContext& ctx) override;
  // The peak of fit() (what estimated_memory() reports as training).
  size_t estimated_training_bytes(int32_t n_users, int32_t n_items, size_t nnz) const;
  MemoryEstimate estimated_memory(const TrainingSize& size) const override;
  // The score <w_u, h_i> (a ranking score near [0, 1], not a rating).
  double predict(const UserProfile& user, int32_t item) const override;
  void score(const UserProfile& user, float* out) const override;
  void save(Writer& w) const override;
  void load(Reader& r, const TrainingData& data) override;

  const IalsOptions& options() const { return opt_; }
  const svd::RowMatrixF& user_factors() const { return U_; }
  const svd::RowMatrixF& item_factors() const { return V_; }
  // The user's factors: stored for a training user, solved exactly against the item factors
  // for a new one (index -1; items outside the model are ignored).
  Eigen::VectorXf user_vector(const UserProfile& user) const;
  // Peak bytes the last fit() held in factors, Gramians and solver buffers (for the tests of
  // estimated_training_bytes()).
  size_t measured_training_bytes() const { return measured_bytes_; }

 private:
  IalsOptions opt_;
  svd::RowMatrixF U_, V_;
  std::vector<float> item_gram_;  // alpha0 V^T V, for fold-in
  size_t measured_bytes_ = 0;
};

}  // namespace autorec
