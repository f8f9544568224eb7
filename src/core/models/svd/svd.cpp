// Latent-factor models: options, fitting, serving (precomputed user vectors, fold-in of new
// users), item similarity and serialization.
#include "core/models/svd/svd.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/models/baseline.hpp"
#include "core/models/svd/svd_train.hpp"
#include "core/options/options.hpp"
#include "core/serialize.hpp"

namespace autorec {

using svd::RowMatrixF;

namespace {

constexpr int kMaxFactors = 1000;
constexpr int kAlsCgSteps = 2;

// Options of algorithm 'svd' and their defaults.
//
//   method               'sgd' (default): biased MF, mu + b_u + b_i + q_i . p_u, by SGD as
//                        Surprise's SVD; 'als': the same model by alternating least squares;
//                        'svdpp': SVD++, q_i . (p_u + |N(u)|^-1/2 sum_{j in N(u)} y_j).
//                                                                 sgd     svdpp   als
//   factors              latent dimension k                       50      50      50
//   epochs               passes over the ratings                  20      20      10
//   learning_rate        every SGD learning rate                  0.05    0.05    -
//     lr_bias, lr_factors      per group, override learning_rate
//     lr_bu, lr_bi, lr_pu, lr_qi, lr_yj   per parameter (Surprise's names), override the group
//   lr_decay             rates are multiplied by this every epoch 0.85    0.85    -
//   regularization       every penalty (overrides the per-group defaults)
//     reg_bias           reg_bu, reg_bi                           0.02    0.02    0.1
//     reg_factors        reg_pu, reg_qi                           0.05    0.05    0.1
//     reg_yj             implicit factors (svdpp only)            -       0.01    -
//     reg_bu, reg_bi, reg_pu, reg_qi   per parameter, override the group
//   init_std             std. deviation of the initial factors    0.02    0.02    0.1
//   cg_steps             conjugate-gradient steps per solve       -       -       2
//                        (0 = exact Cholesky solves)
//   validation_fraction  share of the ratings held out to stop early (0 = off)   0
//   patience             epochs without a better validation RMSE before stopping  3
//
// The penalties are per rating (see svd::Hyper): each method minimises the same objective, so
// ALS's reg_factors means what SGD's does (ALS-WR's weighted lambda). ALS has no learning rate;
// giving one is an error.
//
// How the defaults were chosen: on validation splits (10% of each training set, the test sets
// untouched) of the five ML-100K training folds and of the ML-1M paper split's training part
// (bench_svd --validate). Surprise's defaults (100 factors, 20 epochs, lr 0.005, reg 0.02, no
// decay, init 0.1) leave SGD far from converged and under-regularised. A large step that decays
// geometrically (0.05 * 0.85^epoch) with small initial factors converges in ~20 epochs; the
// penalty that suits both data sets is 0.05 (ML-100K alone would take ~0.07, ML-1M ~0.05);
// 50 factors were within 0.001-0.002 RMSE of 100 at half the cost. ALS needs a larger penalty
// (~0.12 on ML-100K, ~0.08 on ML-1M; 0.1 is between) and converges in under 10 epochs; at 0.3
// all its factors collapse to zero.
//
// ALS by conjugate gradient: each least-squares problem gets cg_steps steps of (diagonally
// preconditioned) CG from the previous epoch's factors instead of an exact solve. Two steps
// gave the exact solver's test RMSE within 0.0004 on the ML-100K folds and the ML-1M split
// (reg 0.1 and 0.05, 50 and 100 factors, 10 and 15 epochs); one step was up to 0.001 worse. At
// 50 factors a step costs about 4 k flops per rating against k^2 for the Gram matrix of an
// exact solve (bench_svd: ALS 2-4 times faster).
//
// Reproducibility: sgd and als give bit-identical results for a given seed whatever the number
// of threads (sgd visits a grid of blocks that share no user or item; als solves each user and
// item independently, summing in a fixed order). svdpp runs users in parallel without locks, so
// with threads > 1 its result varies slightly from run to run; with threads = 1 it is exactly
// reproducible.
struct MethodDefaults {
  int factors, epochs;
  double lr_bias, lr_factors, lr_decay, reg_bias, reg_factors, reg_yj, init_std;
};

MethodDefaults defaults_for(SvdOptions::Method m) {
  switch (m) {
    case SvdOptions::Method::Als:
      return {50, 10, 0, 0, 1, 0.1, 0.1, 0, 0.1};
    case SvdOptions::Method::Svdpp:
      return {50, 20, 0.05, 0.05, 0.85, 0.02, 0.05, 0.01, 0.02};
    case SvdOptions::Method::Sgd:
    default:
      return {50, 20, 0.05, 0.05, 0.85, 0.02, 0.05, 0, 0.02};
  }
}

}  // namespace

const char* method_name(SvdOptions::Method m) {
  switch (m) {
    case SvdOptions::Method::Als:
      return "als";
    case SvdOptions::Method::Svdpp:
      return "svdpp";
    case SvdOptions::Method::Sgd:
    default:
      return "sgd";
  }
}

SvdOptions SvdOptions::read(Options& o) {
  SvdOptions s;
  const std::string m = o.choice("method", "sgd", {"sgd", "als", "svdpp"});
  s.method = m == "als" ? Method::Als : m == "svdpp" ? Method::Svdpp : Method::Sgd;
  const MethodDefaults d = defaults_for(s.method);
  const bool sgd_like = s.method != Method::Als;
  const bool implicit = s.method == Method::Svdpp;

  auto not_for = [&](const std::string& name, const std::string& why) {
    if (o.has(name))
      throw Error(ErrorKind::InvalidParameter,
                  "option \"" + name + "\" does not apply to method \"" + m + "\"", why);
  };
  for (const char* name : {"lr_yj", "reg_yj"})
    if (!implicit) not_for(name, "Only method 'svdpp' has implicit factors y_j.");
  if (!sgd_like)
    for (const char* name :
         {"learning_rate", "lr_bias", "lr_factors", "lr_bu", "lr_bi", "lr_pu", "lr_qi", "lr_decay"})
      not_for(name, "ALS solves each least-squares problem exactly and has no learning rate.");

  s.factors = static_cast<int>(o.integer("factors", d.factors, 1, kMaxFactors));
  s.epochs = static_cast<int>(o.integer("epochs", d.epochs, 1, 10000));

  // A group default (learning_rate, regularization) overrides the tuned per-term defaults; a
  // group override (lr_bias...) the former; a per-parameter one (lr_bu...) everything.
  auto grouped = [&](const char* all, double lo, double hi, double def_bias, double def_factors,
                     double def_implicit, const char* bias, const char* factors, const char* bu,
                     const char* bi, const char* pu, const char* qi, const char* yj, float* out) {
    // Unset, the group option has no value of its own (the spec shows no default).
    const std::optional<double> all_value = o.optional_number(all, lo, hi);
    const bool given = all_value.has_value();
    const double v = all_value.value_or(def_factors);
    const double b = o.number(bias, given ? v : def_bias, lo, hi);
    const double f = o.number(factors, given ? v : def_factors, lo, hi);
    out[0] = static_cast<float>(o.number(bu, b, lo, hi));
    out[1] = static_cast<float>(o.number(bi, b, lo, hi));
    out[2] = static_cast<float>(o.number(pu, f, lo, hi));
    out[3] = static_cast<float>(o.number(qi, f, lo, hi));
    // The implicit factors follow an explicit factor setting, else their own default.
    const double y = given || o.has(factors) ? f : def_implicit;
    out[4] = implicit ? static_cast<float>(o.number(yj, y, lo, hi)) : 0.0f;
  };
  float v[5];
  if (sgd_like) {
    grouped("learning_rate", 1e-6, 1.0, d.lr_bias, d.lr_factors, d.lr_factors, "lr_bias",
            "lr_factors", "lr_bu", "lr_bi", "lr_pu", "lr_qi", "lr_yj", v);
    s.hyper.lr_bu = v[0];
    s.hyper.lr_bi = v[1];
    s.hyper.lr_pu = v[2];
    s.hyper.lr_qi = v[3];
    s.hyper.lr_yj = v[4];
    s.lr_decay = o.number("lr_decay", d.lr_decay, 0.01, 1.0);
  }
  grouped("regularization", 0.0, 100.0, d.reg_bias, d.reg_factors, d.reg_yj, "reg_bias",
          "reg_factors", "reg_bu", "reg_bi", "reg_pu", "reg_qi", "reg_yj", v);
  s.hyper.reg_bu = v[0];
  s.hyper.reg_bi = v[1];
  s.hyper.reg_pu = v[2];
  s.hyper.reg_qi = v[3];
  s.hyper.reg_yj = v[4];
  s.init_std = o.number("init_std", d.init_std, 0.0, 1.0);
  if (sgd_like) not_for("cg_steps", "Only method 'als' solves least-squares problems.");
  s.cg_steps = sgd_like ? 0 : static_cast<int>(o.integer("cg_steps", kAlsCgSteps, 0, 1000));
  s.validation_fraction = o.number("validation_fraction", 0.0, 0.0, 0.5);
  s.patience = static_cast<int>(o.integer("patience", 3, 1, 1000));
  return s;
}

void SvdModel::fit(const TrainingData& data, FitContext& ctx) {
  const RatingMatrix& full = *data.ratings;
  const int k = opt_.factors;
  // The factors are saved in one bytea, which PostgreSQL caps at 1 GB.
  const double bytes = 4.0 * k *
                       (static_cast<double>(full.n_users()) +
                        full.n_items() * (opt_.method == SvdOptions::Method::Svdpp ? 2.0 : 1.0));
  if (bytes > 1e9)
    throw Error(ErrorKind::ResourceLimit,
                "an svd model with " + std::to_string(k) + " factors for " +
                    std::to_string(full.n_users()) + " users and " +
                    std::to_string(full.n_items()) + " items would take " +
                    std::to_string(static_cast<long long>(bytes / 1e6)) +
                    " MB, more than a model can hold (1 GB)",
                "Use fewer factors.");
  ValidationSplit split;
  const RatingMatrix* train = &training_part(full, opt_.validation_fraction, ctx.seed ^ 0x76A11DA7Eull, split);

  SvdParams& p = params_;
  p.mean = train->mean();
  const Eigen::Index nu = full.n_users(), ni = full.n_items();
  std::mt19937_64 rng(ctx.seed);
  std::normal_distribution<float> normal(0.0f, static_cast<float>(opt_.init_std));
  auto random = [&](Eigen::Index rows) {
    RowMatrixF m(rows, k);
    for (Eigen::Index j = 0; j < m.size(); ++j) m.data()[j] = normal(rng);
    return m;
  };
  p.P = random(nu);
  p.Q = random(ni);
  p.Y = opt_.method == SvdOptions::Method::Svdpp ? random(ni) : RowMatrixF();
  p.bu = Eigen::VectorXf::Zero(nu);
  p.bi = Eigen::VectorXf::Zero(ni);

  train_svd(opt_, *train, split.validation, full.min_rating(), full.max_rating(), p, ctx);

  if (train != &full) {
    // Users and items whose every rating went to validation were never trained: serve them
    // by the baseline alone (its biases are relative to the mean of all ratings).
    const float shift = static_cast<float>(data.baseline->mean - p.mean);
    for (int32_t u = 0; u < nu; ++u)
      if (train->user(u).n == 0) {
        p.P.row(u).setZero();
        p.bu[u] = data.baseline->user[u] + shift;
      }
    for (int32_t i = 0; i < ni; ++i)
      if (train->item(i).n == 0) {
        p.Q.row(i).setZero();
        if (p.Y.size()) p.Y.row(i).setZero();
        p.bi[i] = data.baseline->item[i];
      }
  }
  prepare_serving(full);
}

MemoryEstimate SvdModel::estimated_memory(const TrainingSize& size) const {
  const bool svdpp = opt_.method == SvdOptions::Method::Svdpp;
  const double users = size.n_users, items = size.n_items, k = opt_.factors;
  // P, Q (and Y) and the biases, as fit() allocates them.
  const double params = 4 * k * (users + items * (svdpp ? 2 : 1)) + 4 * (users + items);
  MemoryEstimate m;
  m.saved = static_cast<size_t>(params);
  // Serving: SVD++'s implicit user vectors, the item norms.
  m.kept = static_cast<size_t>(params + (svdpp ? 4 * k * users : 0) + 4 * items);
  // Training: the parameters, a best copy when validating, the split, the loop's workspace;
  // serving is prepared after the loop has freed its own.
  const bool validate = opt_.validation_fraction > 0;
  const size_t train = static_cast<size_t>(params * (validate ? 2 : 1)) +
                       validation_split_bytes(size.nnz, size.n_users, size.n_items,
                                              opt_.validation_fraction) +
                       svd_workspace_bytes(opt_, size);
  m.training = std::max(train, m.kept);
  return m;
}

void SvdModel::prepare_serving(const RatingMatrix& m) {
  const SvdParams& p = params_;
  if (opt_.method == SvdOptions::Method::Svdpp) {
    // The implicit set N(u) is the user's training items, all of them: serving after a fit
    // with validation and after a load then agree.
    implicit_users_ = p.P;
    for (int32_t u = 0; u < m.n_users(); ++u) {
      SparseRow r = m.user(u);
      if (r.n == 0) continue;
      Eigen::VectorXf s = Eigen::VectorXf::Zero(p.Q.cols());
      for (size_t j = 0; j < r.n; ++j) s += p.Y.row(r.index[j]).transpose();
      implicit_users_.row(u) += s.transpose() / std::sqrt(static_cast<float>(r.n));
    }
  } else {
    implicit_users_.resize(0, 0);
  }
  item_norm_ = p.Q.rowwise().norm();
}

const float* SvdModel::serving_row(int32_t u) const {
  const RowMatrixF& z = opt_.method == SvdOptions::Method::Svdpp ? implicit_users_ : params_.P;
  return z.data() + static_cast<size_t>(u) * static_cast<size_t>(z.cols());
}

void SvdModel::user_vector(const UserProfile& user, Eigen::VectorXf& z, float& bias) const {
  const SvdParams& p = params_;
  const int k = static_cast<int>(p.Q.cols());
  if (user.index >= 0 && user.index < p.P.rows()) {
    z = Eigen::Map<const Eigen::VectorXf>(serving_row(user.index), k);
    bias = p.bu[user.index];
    return;
  }
  // Fold-in: the regularised least-squares [p; b_u] against the fixed item factors and
  // biases, with the implicit term of the given items as a fixed offset (SVD++).
  const SparseRow& r = user.ratings;
  std::vector<size_t> ok;
  for (size_t j = 0; j < r.n; ++j)
    if (r.index[j] >= 0 && r.index[j] < p.Q.rows() && std::isfinite(r.value[j])) ok.push_back(j);
  Eigen::VectorXf s = Eigen::VectorXf::Zero(k);
  if (opt_.method == SvdOptions::Method::Svdpp && !ok.empty()) {
    for (size_t j : ok) s += p.Y.row(r.index[j]).transpose();
    s /= std::sqrt(static_cast<float>(ok.size()));
  }
  svd::LeastSquares ls(k + 1);
  ls.set_rows(ok.size());
  for (size_t a = 0; a < ok.size(); ++a) {
    const int32_t i = r.index[ok[a]];
    float* x = ls.row(a);
    Eigen::Map<Eigen::VectorXf>(x, k) = p.Q.row(i).transpose();
    x[k] = 1.0f;
    ls.target(a) = static_cast<float>(r.value[ok[a]] - p.mean - p.bi[i]) - p.Q.row(i).dot(s);
  }
  std::vector<double> reg(k + 1, opt_.hyper.reg_pu);
  reg[k] = opt_.hyper.reg_bu;
  Eigen::VectorXf sol(k + 1);
  ls.solve(reg.data(), sol.data());
  z = sol.head(k) + s;
  bias = sol[k];
}

double SvdModel::predict(const UserProfile& user, int32_t item) const {
  const SvdParams& p = params_;
  if (item < 0 || item >= p.Q.rows()) return p.mean;
  const int k = static_cast<int>(p.Q.cols());
  if (user.index >= 0 && user.index < p.P.rows()) {
    Eigen::Map<const Eigen::VectorXf> z(serving_row(user.index), k);
    return p.mean + p.bu[user.index] + p.bi[item] + p.Q.row(item).dot(z);
  }
  Eigen::VectorXf z;
  float b;
  user_vector(user, z, b);
  return p.mean + b + p.bi[item] + p.Q.row(item).dot(z);
}

void SvdModel::score(const UserProfile& user, float* out) const {
  const SvdParams& p = params_;
  const int k = static_cast<int>(p.Q.cols());
  Eigen::Map<Eigen::VectorXf> o(out, p.Q.rows());
  float b;
  if (user.index >= 0 && user.index < p.P.rows()) {
    b = p.bu[user.index];
    o.noalias() = p.Q * Eigen::Map<const Eigen::VectorXf>(serving_row(user.index), k);
  } else {
    Eigen::VectorXf z;
    user_vector(user, z, b);
    o.noalias() = p.Q * z;
  }
  o.array() += p.bi.array() + static_cast<float>(p.mean + b);
}

std::vector<ScoredIndex> SvdModel::similar_items(int32_t item, size_t n) const {
  const SvdParams& p = params_;
  if (item < 0 || item >= p.Q.rows() || n == 0 || item_norm_[item] <= 0) return {};
  Eigen::VectorXf dots = p.Q * p.Q.row(item).transpose();
  std::vector<ScoredIndex> all;
  all.reserve(static_cast<size_t>(p.Q.rows()));
  for (Eigen::Index j = 0; j < p.Q.rows(); ++j) {
    if (j == item || item_norm_[j] <= 0) continue;
    all.push_back(
        {static_cast<int32_t>(j),
         static_cast<double>(dots[j]) / (static_cast<double>(item_norm_[item]) * item_norm_[j])});
  }
  n = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [](const ScoredIndex& a, const ScoredIndex& b) {
                      return a.score != b.score ? a.score > b.score : a.index < b.index;
                    });
  all.resize(n);
  return all;
}

namespace {

void put_matrix(Writer& w, const RowMatrixF& m) {
  w.put_vector(std::vector<float>(m.data(), m.data() + m.size()));
}

template <typename M>
void get_matrix(Reader& r, M& m, Eigen::Index rows, Eigen::Index cols) {
  std::vector<float> v =
      r.get_vector_exact<float>(static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols));
  for (float x : v)
    if (!std::isfinite(x)) Reader::corrupt("non-finite svd parameter");
  m.resize(rows, cols);
  std::copy(v.begin(), v.end(), m.data());
}

}  // namespace

void SvdModel::save(Writer& w) const {
  const SvdParams& p = params_;
  w.put<uint8_t>(static_cast<uint8_t>(opt_.method));
  w.put<int32_t>(static_cast<int32_t>(p.Q.cols()));
  w.put<double>(p.mean);
  w.put<svd::Hyper>(opt_.hyper);  // the penalties are what fold-in needs
  put_matrix(w, p.P);
  put_matrix(w, p.Q);
  w.put_vector(std::vector<float>(p.bu.data(), p.bu.data() + p.bu.size()));
  w.put_vector(std::vector<float>(p.bi.data(), p.bi.data() + p.bi.size()));
  if (opt_.method == SvdOptions::Method::Svdpp) put_matrix(w, p.Y);
}

void SvdModel::load(Reader& r, const TrainingData& data) {
  const uint8_t method = r.get<uint8_t>();
  if (method > static_cast<uint8_t>(SvdOptions::Method::Svdpp)) Reader::corrupt("svd method");
  const int32_t k = r.get<int32_t>();
  if (k < 1 || k > kMaxFactors) Reader::corrupt("svd factor count");
  const double mean = r.get<double>();
  if (!std::isfinite(mean)) Reader::corrupt("svd mean");
  const svd::Hyper h = r.get<svd::Hyper>();
  for (float x : {h.lr_bu, h.lr_bi, h.lr_pu, h.lr_qi, h.lr_yj, h.reg_bu, h.reg_bi, h.reg_pu,
                  h.reg_qi, h.reg_yj})
    if (!std::isfinite(x) || x < 0) Reader::corrupt("svd hyper-parameters");
  const Eigen::Index nu = data.ratings->n_users(), ni = data.ratings->n_items();
  SvdParams p;
  p.mean = mean;
  get_matrix(r, p.P, nu, k);
  get_matrix(r, p.Q, ni, k);
  get_matrix(r, p.bu, nu, 1);
  get_matrix(r, p.bi, ni, 1);
  opt_.method = static_cast<SvdOptions::Method>(method);
  if (opt_.method == SvdOptions::Method::Svdpp) get_matrix(r, p.Y, ni, k);
  opt_.factors = k;
  opt_.hyper = h;
  params_ = std::move(p);
  prepare_serving(*data.ratings);
}

}  // namespace autorec
