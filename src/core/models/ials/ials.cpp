// Implicit ALS: options, the alternating least squares (Gramian trick + conjugate gradient,
// the solver of the svd family), serving (dot products, fold-in) and the saved format.
#include "core/models/ials/ials.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>

#include "core/error.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/serialize.hpp"

namespace autorec {

using svd::RowMatrixF;

namespace {

constexpr int kMaxFactors = 1000;
constexpr uint8_t kPayloadVersion = 1;

size_t task_count(size_t n) { return std::min<size_t>(n, 256); }

int worker_threads(int requested) {
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return requested <= 0 ? hw : std::min(requested, hw);
}

}  // namespace

// Options of algorithm 'ials' and their defaults.
//
//   factors      latent dimension d                                          64
//   epochs       alternations (a user half and an item half each)            16
//   lambda       regularisation: the penalty of w_u is                       0.01
//                lambda (|I_u| + alpha0 |I|)^nu |w_u|^2 (items likewise)
//   alpha0       weight of every user-item pair's <w_u, h_i>^2 (the          0.3
//                unobserved weight)
//   nu           exponent of the frequency scaling above (0 = a plain        1
//                lambda |w|^2, 1 = Rendle et al.)
//   alpha        confidence: an observed pair weighs 1 + alpha * rating      0
//                (Hu et al.; 0 = every observed pair weighs 1)
//   cg_steps     conjugate-gradient steps per solve, warm-started from the   3
//                previous factors (0 = exact Cholesky solves)
//   init_std     the initial factors are N(0, (init_std / sqrt(d))^2)        0.1
//                (Rendle et al.'s 0.1 / sqrt(d))
//   seed         seed of the initial factors (-1 = the training's seed)      -1
//
// How the defaults were chosen: on validation splits only (10% of the ratings of ML-100K's
// u1.base and of the ML-1M 90/10 seed-1 training part held out, seed 7; every unrated item
// ranked, relevant = rating >= 4, NDCG@10), by test/bench/bench_ials.cpp (grid, then --stage2);
// the criterion is the mean of the two validation NDCG@10s. Grid: factors {64, 128} x alpha0
// {0.03, 0.1, 0.3, 1} x lambda {0.001, 0.003, 0.01, 0.03, 0.1} (16 epochs, 3 CG steps, nu 1,
// alpha 0). Best: 64 / 0.3 / 0.01 (validation NDCG@10 0.215 ML-100K, 0.211 ML-1M); 128 factors
// were no better (0.209 / 0.212) at twice the time; lambda is sharp (0.03 or 0.003 lose
// 0.01-0.05). Stage 2 from there: confidence alpha 0.3 / 1 (0.194 / 0.213, 0.167 / 0.189:
// weighting by rating does not pay off here) and epochs 8 / 32 (0.214 / 0.208, 0.209 / 0.212)
// changed nothing worth keeping. Test numbers of the defaults: see bench_ials --test.
IalsOptions IalsOptions::read(Options& o) {
  IalsOptions s;
  s.factors = static_cast<int>(o.integer("factors", s.factors, 1, kMaxFactors));
  s.epochs = static_cast<int>(o.integer("epochs", s.epochs, 1, 1000));
  s.lambda = o.number("lambda", s.lambda, 0.0, 1e6);
  s.alpha0 = o.number("alpha0", s.alpha0, 0.0, 1e6);
  s.nu = o.number("nu", s.nu, 0.0, 4.0);
  s.alpha = o.number("alpha", s.alpha, 0.0, 1e6);
  s.cg_steps = static_cast<int>(o.integer("cg_steps", s.cg_steps, 0, 1000));
  s.init_std = o.number("init_std", s.init_std, 0.0, 10.0);
  s.seed = o.integer("seed", s.seed, -1, int64_t(1) << 53);
  return s;
}

std::unique_ptr<Model> make_ials_model(Options& options) {
  return std::make_unique<IalsModel>(IalsOptions::read(options));
}

namespace ials {

double penalty(const IalsOptions& o, size_t n, size_t n_other) {
  const double base = static_cast<double>(n) + o.alpha0 * static_cast<double>(n_other);
  return o.nu == 0 ? o.lambda : o.lambda * std::pow(base, o.nu);
}

std::vector<float> gramian(const RowMatrixF& X, double alpha0) {
  const Eigen::MatrixXf g = X.transpose() * X;  // d x d, symmetric
  const int d = static_cast<int>(X.cols());
  std::vector<float> out(static_cast<size_t>(d) * d);
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < d; ++j)
      out[static_cast<size_t>(i) * d + j] = static_cast<float>(alpha0 * g(i, j));
  return out;
}

void solve_row(const IalsOptions& o, const SparseRow& r, const RowMatrixF& other,
               const std::vector<float>& gram, int cg_steps, Scratch& s, float* w) {
  const int d = static_cast<int>(other.cols());
  svd::LeastSquares& ls = s.ls;
  // Rows sqrt(c) h_i with targets sqrt(c): the observed part c (1 - <w, h_i>)^2.
  ls.set_rows(r.n);
  for (size_t j = 0; j < r.n; ++j) {
    const float* h = other.data() + static_cast<size_t>(r.index[j]) * d;
    float* x = ls.row(j);
    if (o.alpha == 0) {
      svd::copy_floats(x, h, d);
      ls.target(j) = 1.0f;
    } else {
      const float c = std::sqrt(std::max(0.0f, 1.0f + static_cast<float>(o.alpha) * r.value[j]));
      for (int f = 0; f < d; ++f) x[f] = c * h[f];
      ls.target(j) = c;
    }
  }
  // LeastSquares scales its penalty by the row count: pass the absolute penalty divided by it.
  const double lam = penalty(o, r.n, static_cast<size_t>(other.rows()));
  std::fill(s.reg.begin(), s.reg.end(), r.n ? lam / static_cast<double>(r.n) : 0.0);
  ls.set_prior(gram.data(), d);
  if (cg_steps > 0)
    ls.solve_cg(s.reg.data(), w, cg_steps);
  else
    ls.solve(s.reg.data(), w);
}

Trainer::Trainer(const RatingMatrix& m, const IalsOptions& o, ThreadPool& pool, uint64_t seed)
    : m_(m), o_(o), pool_(pool) {
  const int d = o.factors;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, static_cast<float>(o.init_std / std::sqrt(d)));
  U.resize(m.n_users(), d);
  V.resize(m.n_items(), d);
  for (Eigen::Index j = 0; j < U.size(); ++j) U.data()[j] = normal(rng);
  for (Eigen::Index j = 0; j < V.size(); ++j) V.data()[j] = normal(rng);
  for (int w = 0; w < pool.size(); ++w) scratch_.emplace_back(d);
}

void Trainer::half_step(bool users, const FitContext* ctx) {
  const RowMatrixF& other = users ? V : U;
  RowMatrixF& self = users ? U : V;
  const int d = static_cast<int>(self.cols());
  const std::vector<float> gram = gramian(other, o_.alpha0);  // once per half step
  const size_t n = static_cast<size_t>(self.rows());
  const size_t tasks = task_count(n);
  pool_.run(
      tasks,
      [&](size_t t, int worker) {
        auto [b, e] = chunk_range(n, tasks, t);
        Scratch& s = scratch_[static_cast<size_t>(worker)];
        for (size_t a = b; a < e; ++a) {
          const int32_t idx = static_cast<int32_t>(a);
          solve_row(o_, users ? m_.user(idx) : m_.item(idx), other, gram, o_.cg_steps, s,
                    self.data() + a * d);
        }
      },
      ctx);
}

double Trainer::loss() const {
  double data = 0, reg = 0;
  for (int32_t u = 0; u < m_.n_users(); ++u) {
    SparseRow r = m_.user(u);
    for (size_t j = 0; j < r.n; ++j) {
      const double y = U.row(u).dot(V.row(r.index[j]));
      const double c = std::max(0.0, 1.0 + o_.alpha * r.value[j]);
      data += c * (1 - y) * (1 - y);
    }
    reg += penalty(o_, r.n, static_cast<size_t>(m_.n_items())) *
           U.row(u).cast<double>().squaredNorm();
  }
  for (int32_t i = 0; i < m_.n_items(); ++i)
    reg += penalty(o_, m_.item(i).n, static_cast<size_t>(m_.n_users())) *
           V.row(i).cast<double>().squaredNorm();
  // sum over all pairs <w_u, h_i>^2 = trace(U^T U V^T V)
  const Eigen::MatrixXd gu = U.cast<double>().transpose() * U.cast<double>();
  const Eigen::MatrixXd gv = V.cast<double>().transpose() * V.cast<double>();
  return data + o_.alpha0 * gu.cwiseProduct(gv).sum() + reg;
}

size_t Trainer::scratch_bytes() const {
  size_t b = 0;
  for (const Scratch& s : scratch_) b += s.ls.bytes() + s.reg.capacity() * sizeof(double);
  return b;
}

}  // namespace ials

void IalsModel::fit(const TrainingData& data, FitContext& ctx) {
  const RatingMatrix& m = *data.ratings;
  const int d = opt_.factors;
  // The factors are saved in one bytea, which PostgreSQL caps at 1 GB.
  const double bytes = 4.0 * d * (static_cast<double>(m.n_users()) + m.n_items());
  if (bytes > 1e9)
    throw Error(ErrorKind::ResourceLimit,
                "an ials model with " + std::to_string(d) + " factors for " +
                    std::to_string(m.n_users()) + " users and " + std::to_string(m.n_items()) +
                    " items would take " + std::to_string(static_cast<long long>(bytes / 1e6)) +
                    " MB, more than a model can hold (1 GB)",
                "Use fewer factors.");
  const uint64_t seed = opt_.seed >= 0 ? static_cast<uint64_t>(opt_.seed) : ctx.seed;
  ThreadPool pool(worker_threads(ctx.threads));
  ials::Trainer tr(m, opt_, pool, seed);
  for (int e = 0; e < opt_.epochs; ++e) {
    ctx.check_interrupt();
    const auto t0 = std::chrono::steady_clock::now();
    tr.epoch(&ctx);
    EpochStats s;
    s.epoch = e + 1;
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ctx.epoch_done(s, opt_.epochs);
  }
  // Factors, the two Gramians of a half step (Eigen's product and the copy) and the solvers.
  measured_bytes_ = sizeof(float) * (static_cast<size_t>(tr.U.size() + tr.V.size()) +
                                     2 * static_cast<size_t>(d) * d) +
                    tr.scratch_bytes();
  char buf[160];
  std::snprintf(buf, sizeof buf, "ials: loss %.6g after %d epochs", tr.loss(), opt_.epochs);
  ctx.notice(buf);
  U_ = std::move(tr.U);
  V_ = std::move(tr.V);
  item_gram_ = ials::gramian(V_, opt_.alpha0);
}

size_t IalsModel::estimated_training_bytes(int32_t n_users, int32_t n_items, size_t nnz) const {
  const double d = opt_.factors, ld = svd::cholesky_stride(opt_.factors);
  const double workers = worker_threads(0);
  // The largest system: a user's items or an item's users.
  const double rows = std::min<double>(static_cast<double>(nnz), std::max(n_users, n_items));
  // Per worker, LeastSquares: rows of ld floats and targets (grown by doubling: at most twice
  // the largest system), the Cholesky matrix and right-hand side, CG's six vectors; the
  // penalties; the LDLT fallback's double matrix and vectors.
  const double per_worker = 4 * (2 * rows * (ld + 1) + (d + 4) * ld + ld + 6 * (d + 8)) + 8 * d +
                            8 * (d * d + 4 * d);
  // Factors; the Gramian of a half step (Eigen's product, the copy), the fold-in one, the
  // loss's two double Gramians; 1 MiB for Eigen's product blocking and the thread pool.
  const double total = 4 * d * (static_cast<double>(n_users) + n_items) + 3 * 4 * d * d +
                       2 * 8 * d * d + workers * per_worker + (1 << 20);
  return static_cast<size_t>(total);
}

MemoryEstimate IalsModel::estimated_memory(const TrainingSize& size) const {
  const double d = opt_.factors;
  const double factors = 4 * d * (static_cast<double>(size.n_users) + size.n_items);
  MemoryEstimate m;
  m.training = estimated_training_bytes(size.n_users, size.n_items, size.nnz);
  m.kept = bytes_of<char>(factors + 4 * d * d);  // the factors and the fold-in Gramian
  m.saved = bytes_of<char>(factors);
  return m;
}

Eigen::VectorXf IalsModel::user_vector(const UserProfile& user) const {
  if (user.index >= 0 && user.index < U_.rows()) return U_.row(user.index).transpose();
  std::vector<int32_t> items;
  std::vector<float> values;
  items.reserve(user.ratings.n);
  values.reserve(user.ratings.n);
  for (size_t j = 0; j < user.ratings.n; ++j)
    if (user.ratings.index[j] >= 0 && user.ratings.index[j] < V_.rows()) {
      items.push_back(user.ratings.index[j]);
      values.push_back(user.ratings.value[j]);
    }
  ials::Scratch s(static_cast<int>(V_.cols()));
  Eigen::VectorXf w = Eigen::VectorXf::Zero(V_.cols());
  ials::solve_row(opt_, SparseRow{items.data(), values.data(), items.size()}, V_, item_gram_, 0,
                  s, w.data());
  return w;
}

double IalsModel::predict(const UserProfile& user, int32_t item) const {
  if (item < 0 || item >= V_.rows()) return 0;
  return V_.row(item).dot(user_vector(user).transpose());
}

void IalsModel::score(const UserProfile& user, float* out) const {
  Eigen::Map<Eigen::VectorXf> s(out, V_.rows());
  if (user.index >= 0 && user.index < U_.rows())
    s.noalias() = V_ * U_.row(user.index).transpose();
  else
    s.noalias() = V_ * user_vector(user);
}

namespace {

void put_matrix(Writer& w, const RowMatrixF& m) {
  w.put_vector(std::vector<float>(m.data(), m.data() + m.size()));
}

void get_matrix(Reader& r, RowMatrixF& m, int64_t rows, int cols) {
  std::vector<float> v =
      r.get_vector_exact<float>(static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols));
  for (float x : v)
    if (!std::isfinite(x)) Reader::corrupt("non-finite ials factor");
  m = Eigen::Map<RowMatrixF>(v.data(), rows, cols);
}

}  // namespace

void IalsModel::save(Writer& w) const {
  w.put<uint8_t>(kPayloadVersion);
  w.put<int32_t>(static_cast<int32_t>(V_.cols()));
  // What fold-in needs besides the factors.
  w.put<double>(opt_.lambda);
  w.put<double>(opt_.alpha0);
  w.put<double>(opt_.nu);
  w.put<double>(opt_.alpha);
  put_matrix(w, U_);
  put_matrix(w, V_);
}

void IalsModel::load(Reader& r, const TrainingData& data) {
  if (r.get<uint8_t>() != kPayloadVersion) Reader::corrupt("unknown ials payload version");
  const int32_t d = r.get<int32_t>();
  if (d < 1 || d > kMaxFactors) Reader::corrupt("ials factor count out of range");
  IalsOptions o = opt_;
  o.factors = d;
  o.lambda = r.get<double>();
  o.alpha0 = r.get<double>();
  o.nu = r.get<double>();
  o.alpha = r.get<double>();
  if (!(o.lambda >= 0) || !(o.alpha0 >= 0) || !(o.nu >= 0) || !(o.alpha >= 0))
    Reader::corrupt("ials hyper-parameters out of range");
  get_matrix(r, U_, data.ratings->n_users(), d);
  get_matrix(r, V_, data.ratings->n_items(), d);
  opt_ = o;
  item_gram_ = ials::gramian(V_, opt_.alpha0);
}

}  // namespace autorec
