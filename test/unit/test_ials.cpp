// Implicit ALS: the solves against a dense reference, the loss over epochs, fold-in,
// save/load, the memory estimate and the options.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/models/ials/ials.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

// Users who each rate a random ~25% of the items (ratings 1..5), with a planted preference:
// users of one half prefer the items of one half.
RatingMatrix synthetic(int32_t n_users, int32_t n_items, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0, 1);
  std::vector<Triple> t;
  for (int32_t u = 0; u < n_users; ++u)
    for (int32_t i = 0; i < n_items; ++i) {
      const bool same = (u < n_users / 2) == (i < n_items / 2);
      if (u01(rng) < (same ? 0.4 : 0.1))
        t.push_back({u, i, static_cast<float>(1 + static_cast<int>(u01(rng) * 5))});
    }
  return RatingMatrix(n_users, n_items, t);
}

IalsOptions small_options() {
  IalsOptions o;
  o.factors = 8;
  o.epochs = 12;
  o.lambda = 0.02;
  o.alpha0 = 0.3;
  o.nu = 1;
  o.init_std = 1.0;  // larger than the default, so the first solve has something to undo
  o.seed = 3;
  return o;
}

// The user's weighted least squares over ALL items, written out as one tall dense system and
// solved by QR in double: rows sqrt(alpha0) h_i -> 0 for every item, sqrt(c) h_i -> sqrt(c) for
// the observed ones, sqrt(penalty) e_j -> 0.
Eigen::VectorXd dense_user_solution(const IalsOptions& o, const RatingMatrix& m, int32_t u,
                                    const svd::RowMatrixF& V) {
  const int d = static_cast<int>(V.cols());
  const SparseRow r = m.user(u);
  const Eigen::Index rows = V.rows() + static_cast<Eigen::Index>(r.n) + d;
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(rows, d);
  Eigen::VectorXd y = Eigen::VectorXd::Zero(rows);
  Eigen::Index k = 0;
  for (Eigen::Index i = 0; i < V.rows(); ++i) A.row(k++) = std::sqrt(o.alpha0) * V.row(i).cast<double>();
  for (size_t j = 0; j < r.n; ++j) {
    const double c = std::sqrt(1.0 + o.alpha * r.value[j]);
    A.row(k) = c * V.row(r.index[j]).cast<double>();
    y[k++] = c;
  }
  const double lam = o.lambda * std::pow(static_cast<double>(r.n) + o.alpha0 * V.rows(), o.nu);
  for (int j = 0; j < d; ++j) A(k++, j) = std::sqrt(lam);
  return A.colPivHouseholderQr().solve(y);
}

void expect_user_half_step_solves(IalsOptions o) {
  const RatingMatrix m = synthetic(30, 24, 11);
  ThreadPool pool(2);
  ials::Trainer tr(m, o, pool, 5);
  tr.epoch();  // move away from the random start
  tr.half_step(true);
  for (int32_t u = 0; u < m.n_users(); ++u) {
    const Eigen::VectorXd ref = dense_user_solution(o, m, u, tr.V);
    const Eigen::VectorXd got = tr.U.row(u).transpose().cast<double>();
    EXPECT_LT((got - ref).norm(), 2e-3 * ref.norm() + 1e-5)
        << "user " << u << " cg_steps " << o.cg_steps << " alpha " << o.alpha;
  }
}

UserProfile training_profile(const RatingMatrix& m, int32_t u, int32_t index) {
  UserProfile p;
  p.index = index;
  p.ratings = m.user(u);
  return p;
}

std::unique_ptr<IalsModel> fitted(const RatingMatrix& m, const IalsOptions& o, int threads = 2) {
  auto model = std::make_unique<IalsModel>(o);
  TrainingData data;
  data.ratings = &m;
  FitContext ctx;
  ctx.threads = threads;
  model->fit(data, ctx);
  return model;
}

}  // namespace

TEST(Ials, ExactUserStepSolvesTheNormalEquations) {
  IalsOptions o = small_options();
  o.cg_steps = 0;
  expect_user_half_step_solves(o);
  o.alpha = 0.7;  // confidence-weighted observed pairs
  expect_user_half_step_solves(o);
  o.nu = 0;  // a plain lambda |w|^2
  o.lambda = 0.5;
  expect_user_half_step_solves(o);
}

TEST(Ials, EnoughConjugateGradientStepsSolveTheNormalEquations) {
  IalsOptions o = small_options();
  o.cg_steps = 40;
  expect_user_half_step_solves(o);
  o.alpha = 0.7;
  expect_user_half_step_solves(o);
}

TEST(Ials, LossDecreasesOverEpochs) {
  const RatingMatrix m = synthetic(60, 40, 12);
  for (int cg : {0, 1, 3}) {
    IalsOptions o = small_options();
    o.cg_steps = cg;
    o.alpha = cg == 1 ? 0.5 : 0.0;
    ThreadPool pool(2);
    ials::Trainer tr(m, o, pool, 9);
    const double first = tr.loss();
    double prev = first;
    for (int e = 0; e < 10; ++e) {
      tr.epoch();
      const double l = tr.loss();
      EXPECT_LE(l, prev * (1 + 1e-5)) << "epoch " << e << " cg_steps " << cg;
      prev = l;
    }
    EXPECT_LT(prev, 0.5 * first) << "cg_steps " << cg;
  }
}

TEST(Ials, ResultDoesNotDependOnTheThreadCount) {
  const RatingMatrix m = synthetic(50, 30, 13);
  IalsOptions o = small_options();
  auto a = fitted(m, o, 1), b = fitted(m, o, 2);
  EXPECT_LT((a->user_factors() - b->user_factors()).cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_LT((a->item_factors() - b->item_factors()).cwiseAbs().maxCoeff(), 1e-6);
}

TEST(Ials, FoldInOfATrainingUserApproximatesTheirFactors) {
  const RatingMatrix m = synthetic(80, 40, 14);
  IalsOptions o = small_options();
  o.epochs = 30;
  o.cg_steps = 0;
  auto model = fitted(m, o);
  double worst = 0;
  std::vector<float> s_known(40), s_new(40);
  for (int32_t u = 0; u < m.n_users(); ++u) {
    const Eigen::VectorXf known = model->user_vector(training_profile(m, u, u));
    const Eigen::VectorXf folded = model->user_vector(training_profile(m, u, -1));
    worst = std::max(worst, static_cast<double>((folded - known).norm() / known.norm()));
    // score() of the new user is the item factors times the folded-in vector.
    model->score(training_profile(m, u, -1), s_new.data());
    model->score(training_profile(m, u, u), s_known.data());
    for (int32_t i = 0; i < 40; ++i) {
      EXPECT_NEAR(s_new[i], model->item_factors().row(i).dot(folded), 1e-5);
      EXPECT_NEAR(s_known[i], model->predict(training_profile(m, u, u), i), 1e-5);
    }
  }
  EXPECT_LT(worst, 0.02);
  // A new user with no (known) items gets the penalty's minimum, zero; unknown items are ignored.
  UserProfile nobody;
  const int32_t bad_item = 1000;
  const float one = 1;
  nobody.ratings = SparseRow{&bad_item, &one, 1};
  EXPECT_EQ(model->user_vector(nobody).norm(), 0.0f);
}

TEST(Ials, SaveLoadRoundTrip) {
  const RatingMatrix m = synthetic(40, 30, 15);
  IalsOptions o = small_options();
  o.alpha = 0.3;
  auto model = fitted(m, o);
  Writer w;
  model->save(w);
  IalsModel loaded(IalsOptions{});  // other hyper-parameters: load restores the saved ones
  TrainingData data;
  data.ratings = &m;
  Reader r(w.bytes().data(), w.bytes().size());
  loaded.load(r, data);
  EXPECT_EQ(r.remaining(), 0u);
  std::vector<float> a(30), b(30);
  for (int32_t u = 0; u < m.n_users(); ++u)
    for (int32_t index : {u, -1}) {
      model->score(training_profile(m, u, index), a.data());
      loaded.score(training_profile(m, u, index), b.data());
      for (int i = 0; i < 30; ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
    }
  // Truncated data is an error, never a crash.
  for (size_t n : {size_t(0), size_t(5), w.bytes().size() / 2, w.bytes().size() - 1}) {
    Reader t(w.bytes().data(), n);
    IalsModel broken(IalsOptions{});
    EXPECT_THROW(broken.load(t, data), Error);
  }
}

TEST(Ials, EstimatedTrainingBytesBoundTheMeasuredPeak) {
  // Dense rows make the solvers' buffers matter: every user rates most items.
  for (auto [nu, ni] : {std::pair<int32_t, int32_t>{300, 60}, {40, 500}}) {
    const RatingMatrix m = synthetic(nu, ni, 16);
    IalsOptions o = small_options();
    o.factors = 40;
    o.epochs = 2;
    auto model = fitted(m, o);
    const size_t est = model->estimated_training_bytes(nu, ni, m.nnz());
    const size_t measured = model->measured_training_bytes();
    EXPECT_GE(est, measured);
    EXPECT_LT(est, 4 * measured + (2u << 20)) << "an estimate, not a blanket refusal";
  }
}

TEST(Ials, OptionsAreValidated) {
  Options ok = Options::parse(R"({"factors": 32, "lambda": 0.01, "alpha0": 0.2, "nu": 0.5,
                                  "alpha": 2, "cg_steps": 0, "epochs": 3, "seed": 4})");
  const IalsOptions o = IalsOptions::read(ok);
  EXPECT_EQ(o.factors, 32);
  EXPECT_EQ(o.cg_steps, 0);
  EXPECT_DOUBLE_EQ(o.alpha0, 0.2);
  EXPECT_NO_THROW(ok.reject_unknown("ials"));
  for (const char* bad : {R"({"factors": 0})", R"({"lambda": -1})", R"({"alpha0": "x"})",
                          R"({"nu": 9})", R"({"cg_steps": -1})", R"({"epochs": 0})"}) {
    Options b = Options::parse(bad);
    EXPECT_THROW(make_ials_model(b), Error) << bad;
  }
  Options unknown = Options::parse(R"({"learning_rate": 0.1})");
  make_ials_model(unknown);
  EXPECT_THROW(unknown.reject_unknown("ials"), Error);
}
