// Unit tests for the latent-factor family (algorithm 'svd'): gradients, the ALS solve,
// convergence on a synthetic low-rank matrix, fold-in, determinism, serialization and options.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/models/svd/svd.hpp"
#include "core/models/svd/svd_kernels.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;
using svd::Hyper;

namespace {

Hyper some_hyper() {
  Hyper h;
  h.lr_bu = 0.011f;
  h.lr_bi = 0.013f;
  h.lr_pu = 0.017f;
  h.lr_qi = 0.019f;
  h.lr_yj = 0.023f;
  h.reg_bu = 0.05f;
  h.reg_bi = 0.07f;
  h.reg_pu = 0.11f;
  h.reg_qi = 0.13f;
  h.reg_yj = 0.17f;
  return h;
}

std::vector<double> random_vec(size_t n, std::mt19937_64& rng, double sd = 0.5) {
  std::normal_distribution<double> d(0, sd);
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

// Ratings of a rank-3 matrix plus N(0, noise) noise: `density` of the cells observed, split
// at random into train and test.
struct LowRank {
  RawRatings train, test;
};
LowRank low_rank(int users, int items, double density, double noise, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int rank = 3;
  std::vector<double> u = random_vec(static_cast<size_t>(users) * rank, rng, 0.7);
  std::vector<double> v = random_vec(static_cast<size_t>(items) * rank, rng, 0.7);
  std::vector<double> bi = random_vec(static_cast<size_t>(items), rng, 0.3);
  std::normal_distribution<double> eps(0, noise);
  std::uniform_real_distribution<double> unif(0, 1);
  LowRank out;
  for (int a = 0; a < users; ++a)
    for (int b = 0; b < items; ++b) {
      if (unif(rng) >= density) continue;
      double r = 3 + bi[b];
      for (int f = 0; f < rank; ++f) r += u[a * rank + f] * v[b * rank + f];
      r += eps(rng);
      (unif(rng) < 0.1 ? out.test : out.train).add(a, b, r);
    }
  return out;
}

std::unique_ptr<Recommender> fit(const RawRatings& data, const std::string& opts,
                                 FitContext* out_ctx = nullptr) {
  auto rec = Recommender::configure("svd", Options::parse(opts));
  FitContext ctx;
  rec->fit(data, ctx);
  if (out_ctx) *out_ctx = ctx;
  return rec;
}

double test_rmse(const Recommender& rec, const RawRatings& test) {
  double sse = 0;
  for (size_t k = 0; k < test.size(); ++k) {
    double e = rec.predict(test.users[k], test.items[k]) - test.ratings[k];
    sse += e * e;
  }
  return std::sqrt(sse / static_cast<double>(test.size()));
}

const SvdModel& svd_of(const Recommender& rec) {
  return dynamic_cast<const SvdModel&>(rec.model());
}

}  // namespace

TEST(Svd, MfGradientMatchesFiniteDifferences) {
  std::mt19937_64 rng(1);
  const int k = 5;
  std::vector<double> p = random_vec(k, rng), q = random_vec(k, rng);
  double bu = 0.3, bi = -0.2, r = 4.0, mu = 3.5;
  Hyper h = some_hyper();
  double gbu, gbi;
  std::vector<double> gp(k), gq(k);
  svd::mf_rating_gradient(r, mu, bu, bi, p.data(), q.data(), k, h, &gbu, &gbi, gp.data(),
                          gq.data());
  double d1, d2;
  std::vector<double> s1(k), s2(k);
  auto loss = [&] {
    return svd::mf_rating_gradient(r, mu, bu, bi, p.data(), q.data(), k, h, &d1, &d2, s1.data(),
                                   s2.data());
  };
  const double eps = 1e-6;
  auto numeric = [&](double& x) {
    const double keep = x;
    x = keep + eps;
    const double up = loss();
    x = keep - eps;
    const double down = loss();
    x = keep;
    return (up - down) / (2 * eps);
  };
  EXPECT_NEAR(numeric(bu), gbu, 1e-7);
  EXPECT_NEAR(numeric(bi), gbi, 1e-7);
  for (int f = 0; f < k; ++f) {
    EXPECT_NEAR(numeric(p[f]), gp[f], 1e-7) << f;
    EXPECT_NEAR(numeric(q[f]), gq[f], 1e-7) << f;
  }
}

TEST(Svd, SgdStepMovesAgainstTheGradient) {
  // k = 21 exercises both the vector loop and its scalar tail.
  std::mt19937_64 rng(2);
  const int k = 21;
  std::vector<double> pd = random_vec(k, rng), qd = random_vec(k, rng);
  std::vector<float> p(pd.begin(), pd.end()), q(qd.begin(), qd.end());
  float bu = 0.25f, bi = -0.5f;
  const float r = 2.0f, mu = 3.25f;
  Hyper h = some_hyper();
  float gbu, gbi;
  std::vector<float> gp(k), gq(k);
  svd::mf_rating_gradient(r, mu, bu, bi, p.data(), q.data(), k, h, &gbu, &gbi, gp.data(),
                          gq.data());
  std::vector<float> p0 = p, q0 = q;
  const float bu0 = bu, bi0 = bi;
  float err = svd::mf_sgd_step(r, mu, bu, bi, p.data(), q.data(), k, h);
  EXPECT_NEAR(err, r - (mu + bu0 + bi0 + svd::dot(p0.data(), q0.data(), k)), 1e-5);
  EXPECT_NEAR(bu - bu0, -h.lr_bu * gbu, 1e-6);
  EXPECT_NEAR(bi - bi0, -h.lr_bi * gbi, 1e-6);
  for (int f = 0; f < k; ++f) {
    EXPECT_NEAR(p[f] - p0[f], -h.lr_pu * gp[f], 1e-6) << f;
    EXPECT_NEAR(q[f] - q0[f], -h.lr_qi * gq[f], 1e-6) << f;
  }
}

TEST(Svd, SvdppGradientMatchesFiniteDifferences) {
  std::mt19937_64 rng(3);
  const int k = 4;
  const size_t n = 3;
  std::vector<double> p = random_vec(k, rng), q = random_vec(k, rng), y = random_vec(n * k, rng);
  double bu = -0.1, bi = 0.4, r = 1.5, mu = 3.0;
  Hyper h = some_hyper();
  double gbu, gbi;
  std::vector<double> gp(k), gq(k), gy(n * k);
  svd::svdpp_rating_gradient(r, mu, bu, bi, p.data(), q.data(), y.data(), n, k, h, &gbu, &gbi,
                             gp.data(), gq.data(), gy.data());
  double d1, d2;
  std::vector<double> s1(k), s2(k), s3(n * k);
  auto loss = [&] {
    return svd::svdpp_rating_gradient(r, mu, bu, bi, p.data(), q.data(), y.data(), n, k, h, &d1,
                                      &d2, s1.data(), s2.data(), s3.data());
  };
  const double eps = 1e-6;
  auto numeric = [&](double& x) {
    const double keep = x;
    x = keep + eps;
    const double up = loss();
    x = keep - eps;
    const double down = loss();
    x = keep;
    return (up - down) / (2 * eps);
  };
  EXPECT_NEAR(numeric(bu), gbu, 1e-7);
  EXPECT_NEAR(numeric(bi), gbi, 1e-7);
  for (int f = 0; f < k; ++f) {
    EXPECT_NEAR(numeric(p[f]), gp[f], 1e-7);
    EXPECT_NEAR(numeric(q[f]), gq[f], 1e-7);
  }
  for (size_t j = 0; j < n * k; ++j) EXPECT_NEAR(numeric(y[j]), gy[j], 1e-7) << j;
}

TEST(Svd, SvdppUserStepIsTheSumOfPerRatingGradients) {
  // With a tiny learning rate, one per-user pass moves every parameter by -lr times the sum of
  // the per-rating gradients at the starting point (up to O(lr^2)).
  std::mt19937_64 rng(4);
  const int k = 11, n_items = 6;
  const std::vector<int32_t> items = {0, 2, 3, 5};
  const std::vector<float> values = {4, 2, 5, 3};
  const size_t n = items.size();
  auto rf = [&](size_t m) {
    std::vector<double> d = random_vec(m, rng);
    return std::vector<float>(d.begin(), d.end());
  };
  std::vector<float> p = rf(k), Q = rf(n_items * k), Y = rf(n_items * k), bi = rf(n_items);
  float bu = 0.2f;
  const float mu = 3.5f;
  Hyper h = some_hyper();
  const float lr = 1e-4f;
  h.lr_bu = h.lr_bi = h.lr_pu = h.lr_qi = h.lr_yj = lr;

  // Expected: summed per-rating gradients (double) at the start.
  std::vector<double> pd(p.begin(), p.end()), yd;
  for (int32_t j : items) yd.insert(yd.end(), Y.begin() + j * k, Y.begin() + (j + 1) * k);
  double sum_gbu = 0;
  std::vector<double> sum_gbi(n_items, 0), sum_gp(k, 0), sum_gq(n_items * k, 0), sum_gy(n * k, 0);
  for (size_t t = 0; t < n; ++t) {
    const int32_t i = items[t];
    std::vector<double> qd(Q.begin() + i * k, Q.begin() + (i + 1) * k);
    double gbu, gbi;
    std::vector<double> gp(k), gq(k), gy(n * k);
    svd::svdpp_rating_gradient<double>(values[t], mu, bu, bi[i], pd.data(), qd.data(), yd.data(), n,
                                       k, h, &gbu, &gbi, gp.data(), gq.data(), gy.data());
    sum_gbu += gbu;
    sum_gbi[i] += gbi;
    for (int f = 0; f < k; ++f) {
      sum_gp[f] += gp[f];
      sum_gq[i * k + f] += gq[f];
    }
    for (size_t j = 0; j < n * k; ++j) sum_gy[j] += gy[j];
  }
  std::vector<float> p0 = p, Q0 = Q, Y0 = Y, bi0 = bi;
  const float bu0 = bu;
  svd::SvdppScratch w(k);
  svd::svdpp_user_step(items.data(), values.data(), n, nullptr, mu, bu, bi.data(), p.data(),
                       Q.data(), Y.data(), k, h, w);
  auto close = [&](double got, double want) {
    EXPECT_NEAR(got, want, 2e-3 * std::abs(want) + 3e-7);
  };
  close(bu - bu0, -lr * sum_gbu);
  for (int f = 0; f < k; ++f) close(p[f] - p0[f], -lr * sum_gp[f]);
  for (int i = 0; i < n_items; ++i) {
    close(bi[i] - bi0[i], -lr * sum_gbi[i]);
    for (int f = 0; f < k; ++f) close(Q[i * k + f] - Q0[i * k + f], -lr * sum_gq[i * k + f]);
  }
  for (size_t t = 0; t < n; ++t)
    for (int f = 0; f < k; ++f) {
      const size_t at = static_cast<size_t>(items[t]) * k + f;
      close(Y[at] - Y0[at], -lr * sum_gy[t * k + f]);
    }
  // Items the user did not rate are untouched.
  for (int f = 0; f < k; ++f) EXPECT_EQ(Y[1 * k + f], Y0[1 * k + f]);
}

TEST(Svd, AlsSolveMatchesDenseSolve) {
  // d = 7 and d = 51 (k = 50): one tile and several, for the Gram matrix and the Cholesky.
  for (const int d : {7, 51}) {
    std::mt19937_64 rng(5 + d);
    const int n = 80;
    svd::RowMatrixF x(n, d);
    Eigen::VectorXf t(n);
    std::normal_distribution<float> nd(0, 1);
    std::uniform_real_distribution<double> ur(0.01, 0.4);
    for (int a = 0; a < n; ++a) {
      for (int b = 0; b < d - 1; ++b) x(a, b) = nd(rng);
      x(a, d - 1) = 1;
      t[a] = nd(rng) + 2;
    }
    std::vector<double> reg(d);
    for (double& r : reg) r = ur(rng);
    svd::LeastSquares ls(d);
    auto load = [&](int rows) {
      ls.set_rows(rows);
      for (int a = 0; a < rows; ++a) {
        for (int b = 0; b < d; ++b) ls.row(a)[b] = x(a, b);
        ls.target(a) = t[a];
      }
    };
    load(n);
    Eigen::VectorXf got(d);
    ls.solve(reg.data(), got.data());
    // The same problem as an ordinary least-squares one: [X; sqrt(n reg) I] w = [t; 0].
    Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n + d, d);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(n + d);
    a.topRows(n) = x.cast<double>();
    b.head(n) = t.cast<double>();
    for (int j = 0; j < d; ++j) a(n + j, j) = std::sqrt(n * reg[j]);
    Eigen::VectorXd want = a.colPivHouseholderQr().solve(b);
    for (int j = 0; j < d; ++j) EXPECT_NEAR(got[j], want[j], 1e-4) << d << " " << j;
    const double rss = (b.head(n) - a.topRows(n) * got.cast<double>()).squaredNorm();
    EXPECT_NEAR(ls.residual(got.data()), rss, 1e-3 * rss);
    // After a larger problem has used the buffers, the same rows give the same answer.
    ls.set_rows(3 * n);
    for (int r = 0; r < 3 * n; ++r) {
      for (int c = 0; c < d; ++c) ls.row(r)[c] = nd(rng);
      ls.target(r) = nd(rng);
    }
    ls.solve(reg.data(), got.data());
    load(n);
    ls.solve(reg.data(), got.data());
    for (int j = 0; j < d; ++j) EXPECT_NEAR(got[j], want[j], 1e-4) << d << " " << j;
    // Without a penalty and with fewer rows than unknowns the system is singular: the result
    // is still finite and fits the rows.
    const std::vector<double> zero(d, 0.0);
    load(3);
    ls.solve(zero.data(), got.data());
    EXPECT_TRUE(got.allFinite());
    EXPECT_LT(ls.residual(got.data()), 1e-2);
    // No rows: the penalty alone, minimised at zero.
    ls.set_rows(0);
    ls.solve(reg.data(), got.data());
    EXPECT_EQ(got.norm(), 0.0f);
  }
}

TEST(Svd, AlsConjugateGradientMatchesDenseSolve) {
  // d = 7, 51 (the default), 80 (more vectors than the default) and 140 (the generic loops).
  for (const int d : {7, 51, 80, 140}) {
    std::mt19937_64 rng(11 + d);
    const int n = 60;  // fewer rows than unknowns for d = 80, 140: the penalty makes it definite
    std::normal_distribution<float> nd(0, 1);
    std::uniform_real_distribution<double> ur(0.05, 0.4);
    std::vector<double> reg(d);
    for (double& r : reg) r = ur(rng);
    svd::LeastSquares ls(d);
    ls.set_rows(n);
    for (int a = 0; a < n; ++a) {
      for (int b = 0; b < d - 1; ++b) ls.row(a)[b] = 0.3f * nd(rng);
      ls.row(a)[d - 1] = 1;
      ls.target(a) = nd(rng) + 1;
    }
    Eigen::VectorXf want(d), got = Eigen::VectorXf::Zero(d);
    ls.solve(reg.data(), want.data());
    // Enough steps from zero reach the exact solution; a few from it stay there.
    ls.solve_cg(reg.data(), got.data(), 3 * d);
    for (int j = 0; j < d; ++j) EXPECT_NEAR(got[j], want[j], 1e-4) << d << " " << j;
    ls.solve_cg(reg.data(), got.data(), 2);
    for (int j = 0; j < d; ++j) EXPECT_NEAR(got[j], want[j], 1e-4) << d << " " << j;
    // Two steps from zero already lower the objective.
    auto objective = [&](const Eigen::VectorXf& w) {
      double o = ls.residual(w.data());
      for (int j = 0; j < d; ++j) o += n * reg[j] * w[j] * w[j];
      return o;
    };
    Eigen::VectorXf two = Eigen::VectorXf::Zero(d);
    ls.solve_cg(reg.data(), two.data(), 2);
    EXPECT_LT(objective(two), objective(Eigen::VectorXf::Zero(d)));
    EXPECT_GE(objective(two), objective(want) - 1e-3);
    // No rows: zero.
    ls.set_rows(0);
    ls.solve_cg(reg.data(), two.data(), 2);
    EXPECT_EQ(two.norm(), 0.0f);
  }
}

TEST(Svd, AlsByConjugateGradientFollowsExactAls) {
  // With many steps per solve, ALS-CG (per-user solves, item blocks swept user by user) takes
  // the same path as exact ALS; with the default two steps it ends close to it.
  LowRank d = low_rank(300, 200, 0.3, 0.3, 12);
  for (const int k : {4, 70, 140}) {
    const std::string base = R"({"method": "als", "epochs": 3, "factors": )" + std::to_string(k);
    auto exact = fit(d.train, base + R"(, "cg_steps": 0})");
    auto many = fit(d.train, base + R"(, "cg_steps": 200})");
    auto two = fit(d.train, base + "}");
    const SvdParams& a = svd_of(*exact).params();
    const SvdParams& b = svd_of(*many).params();
    EXPECT_LT((a.P - b.P).cwiseAbs().maxCoeff(), 2e-3) << k;
    EXPECT_LT((a.Q - b.Q).cwiseAbs().maxCoeff(), 2e-3) << k;
    EXPECT_LT((a.bu - b.bu).cwiseAbs().maxCoeff(), 2e-3) << k;
    EXPECT_LT((a.bi - b.bi).cwiseAbs().maxCoeff(), 2e-3) << k;
    EXPECT_NEAR(exact->history().back().train_rmse, many->history().back().train_rmse, 1e-4);
    EXPECT_NEAR(test_rmse(*two, d.test), test_rmse(*exact, d.test), 0.01) << k;
  }
}

TEST(Svd, RecoversLowRankMatrixToNoiseLevel) {
  const double noise = 0.1;
  LowRank d = low_rank(300, 200, 0.3, noise, 6);
  FitContext base_ctx;
  auto base = Recommender::configure("baseline", Options());
  base->fit(d.train, base_ctx);
  const double baseline_rmse = test_rmse(*base, d.test);
  for (const char* opts :
       {R"({"method": "als", "factors": 5, "epochs": 12, "regularization": 0.01, "threads": 1})",
        R"({"method": "sgd", "factors": 5, "epochs": 60, "learning_rate": 0.02,
            "regularization": 0.01, "lr_decay": 1, "threads": 1})",
        R"({"method": "svdpp", "factors": 5, "epochs": 60, "learning_rate": 0.02,
            "regularization": 0.01, "lr_decay": 1, "threads": 1})"}) {
    auto rec = fit(d.train, opts);
    const double r = test_rmse(*rec, d.test);
    EXPECT_LT(r, 1.3 * noise) << opts << " (baseline " << baseline_rmse << ")";
    EXPECT_LT(r, 0.3 * baseline_rmse) << opts;
    // Train RMSE is recorded every epoch, no validation without a held-out set.
    EXPECT_FALSE(rec->history().empty());
    for (const EpochStats& e : rec->history()) {
      EXPECT_TRUE(std::isfinite(e.train_rmse));
      EXPECT_TRUE(std::isnan(e.validation_rmse));
    }
    EXPECT_LT(rec->history().back().train_rmse, rec->history().front().train_rmse);
  }
}

TEST(Svd, FoldInReproducesATrainingUser) {
  LowRank d = low_rank(200, 150, 0.3, 0.1, 7);
  for (const char* opts :
       {R"({"method": "als", "factors": 4, "epochs": 10, "regularization": 0.02})",
        R"({"method": "sgd", "factors": 4, "epochs": 60, "learning_rate": 0.02,
            "regularization": 0.02, "lr_decay": 1})",
        R"({"method": "svdpp", "factors": 4, "epochs": 60, "learning_rate": 0.02,
            "regularization": 0.02, "lr_decay": 1})"}) {
    auto rec = fit(d.train, opts);
    const SvdModel& m = svd_of(*rec);
    const int32_t n_items = rec->items().size();
    double worst = 0, spread = 0;
    for (int32_t u = 0; u < 20; ++u) {
      UserProfile known{u, rec->ratings().user(u)};
      UserProfile fresh{-1, rec->ratings().user(u)};
      std::vector<float> a(n_items), b(n_items);
      m.score(known, a.data());
      m.score(fresh, b.data());
      for (int32_t i = 0; i < n_items; ++i) {
        worst = std::max(worst, static_cast<double>(std::abs(a[i] - b[i])));
        spread = std::max(spread, static_cast<double>(std::abs(a[i] - a[0])));
        EXPECT_NEAR(m.predict(fresh, i), b[i], 1e-4);
      }
    }
    // Predictions spread over more than a rating point; the folded-in user is within 0.1.
    EXPECT_GT(spread, 1.0) << opts;
    EXPECT_LT(worst, 0.1) << opts;
    // An empty profile folds in to the item biases alone.
    UserProfile none{-1, {}};
    std::vector<float> s(n_items);
    m.score(none, s.data());
    EXPECT_NEAR(s[3], m.params().mean + m.params().bi[3], 1e-5);
  }
}

TEST(Svd, SgdAndAlsDoNotDependOnThreads) {
  LowRank d = low_rank(400, 300, 0.25, 0.3, 8);  // large enough for a multi-block SGD grid
  ASSERT_GT(d.train.size(), 20000u);
  for (const char* m : {"sgd", "als"}) {
    std::string base = std::string(R"({"method": ")") + m + R"(", "factors": 8, "epochs": 3, )";
    auto one = fit(d.train, base + R"("threads": 1})");
    auto two = fit(d.train, base + R"("threads": 2})");
    const SvdParams& a = svd_of(*one).params();
    const SvdParams& b = svd_of(*two).params();
    EXPECT_TRUE(a.P == b.P) << m;
    EXPECT_TRUE(a.Q == b.Q) << m;
    EXPECT_TRUE(a.bu == b.bu) << m;
    EXPECT_TRUE(a.bi == b.bi) << m;
    auto other_seed = fit(d.train, base + R"("threads": 1, "seed": 7})");
    if (std::string(m) == "sgd") EXPECT_FALSE(svd_of(*other_seed).params().Q == a.Q);
  }
}

TEST(Svd, EarlyStoppingKeepsTheBestEpoch) {
  LowRank d = low_rank(150, 100, 0.3, 0.5, 9);
  // Many factors, no penalty, a large step: validation RMSE soon gets worse.
  FitContext ctx;
  auto rec = fit(d.train,
                 R"({"method": "sgd", "factors": 40, "epochs": 200, "learning_rate": 0.03,
                     "regularization": 0, "lr_decay": 1, "validation_fraction": 0.2,
                     "patience": 4, "threads": 1})",
                 &ctx);
  const auto& h = rec->history();
  ASSERT_LT(h.size(), 200u);
  size_t best = 0;
  for (size_t e = 0; e < h.size(); ++e) {
    EXPECT_TRUE(std::isfinite(h[e].validation_rmse));
    if (h[e].validation_rmse < h[best].validation_rmse) best = e;
  }
  EXPECT_EQ(h.size(), best + 1 + 4);  // stopped after `patience` epochs without improvement
  // The kept parameters are the best epoch's: retraining for exactly best + 1 epochs with the
  // same held-out split gives the same model.
  auto again =
      fit(d.train, R"({"method": "sgd", "factors": 40, "epochs": )" + std::to_string(best + 1) +
                       R"(, "learning_rate": 0.03, "regularization": 0, "lr_decay": 1,
                       "validation_fraction": 0.2, "patience": 4, "threads": 1})");
  EXPECT_TRUE(svd_of(*again).params().Q == svd_of(*rec).params().Q);
  EXPECT_TRUE(svd_of(*again).params().bu == svd_of(*rec).params().bu);
}

TEST(Svd, SerializationRoundTrip) {
  LowRank d = low_rank(60, 40, 0.4, 0.2, 10);
  for (const char* m : {"sgd", "als", "svdpp"}) {
    auto rec = fit(d.train, std::string(R"({"method": ")") + m +
                                R"(", "factors": 6, "epochs": 5, "threads": 1})");
    std::vector<uint8_t> bytes = rec->serialize();
    auto back = Recommender::deserialize(bytes.data(), bytes.size());
    EXPECT_EQ(back->algorithm(), "svd");
    for (int64_t u = 0; u < 60; u += 7)
      for (int64_t i = 0; i < 40; i += 3) EXPECT_EQ(back->predict(u, i), rec->predict(u, i)) << m;
    auto r1 = rec->recommend(3, 5, true, nullptr), r2 = back->recommend(3, 5, true, nullptr);
    ASSERT_EQ(r1.size(), r2.size());
    for (size_t k = 0; k < r1.size(); ++k) EXPECT_EQ(r1[k].id, r2[k].id);
    auto f1 = rec->recommend_for_ratings({1, 2, 5}, {5, 1, 4}, 5);
    auto f2 = back->recommend_for_ratings({1, 2, 5}, {5, 1, 4}, 5);
    ASSERT_EQ(f1.size(), f2.size());
    for (size_t k = 0; k < f1.size(); ++k) {
      EXPECT_EQ(f1[k].id, f2[k].id);
      EXPECT_EQ(f1[k].score, f2[k].score);
    }
    auto s1 = rec->similar_items(4, 3), s2 = back->similar_items(4, 3);
    ASSERT_EQ(s1.size(), 3u);
    for (size_t k = 0; k < s1.size(); ++k) EXPECT_EQ(s1[k].id, s2[k].id);
    EXPECT_EQ(back->serialize(), bytes);
  }
}

TEST(Svd, LoadRejectsBadModelData) {
  LowRank d = low_rank(30, 20, 0.5, 0.2, 11);
  auto rec = fit(d.train, R"({"method": "svdpp", "factors": 3, "epochs": 2})");
  const SvdModel& m = svd_of(*rec);
  Writer w;
  m.save(w);
  const std::vector<uint8_t> good = w.bytes();
  TrainingData data{&rec->ratings(), &rec->baseline()};
  auto load = [&](std::vector<uint8_t> b) {
    SvdModel fresh{SvdOptions{}};
    Reader r(b.data(), b.size());
    fresh.load(r, data);
    return r.remaining();
  };
  EXPECT_EQ(load(good), 0u);
  std::vector<uint8_t> b = good;
  b[0] = 9;  // method
  EXPECT_THROW(load(b), Error);
  b = good;
  b[1] = 0, b[2] = 0, b[3] = 0, b[4] = 0;  // k = 0
  EXPECT_THROW(load(b), Error);
  b = good;
  b[1] = 4;  // k = 4: the arrays no longer match the dimensions
  EXPECT_THROW(load(b), Error);
  b = good;
  const float nan = std::nanf("");
  // First element of P: after method, k, mean, hyper-parameters and P's length.
  std::memcpy(b.data() + 1 + 4 + 8 + sizeof(Hyper) + 8, &nan, sizeof nan);
  EXPECT_THROW(load(b), Error);
  for (size_t n = 0; n < good.size(); n += 13)
    EXPECT_THROW(load(std::vector<uint8_t>(good.begin(), good.begin() + n)), Error);
}

TEST(Svd, SimilarItemsUsesFactorCosine) {
  // Items 0 and 1 have identical columns, so ALS gives them identical factors.
  RawRatings r;
  std::mt19937_64 rng(12);
  std::uniform_int_distribution<int> star(1, 5);
  for (int u = 0; u < 40; ++u) {
    int v = star(rng);
    r.add(u, 0, v);
    r.add(u, 1, v);
    for (int i = 2; i < 12; ++i)
      if ((u + i) % 3) r.add(u, i, star(rng));
  }
  auto rec = fit(r, R"({"method": "als", "factors": 4, "epochs": 5})");
  auto s = rec->similar_items(0, 3);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].id, 1);
  EXPECT_NEAR(s[0].score, 1.0, 1e-5);
  EXPECT_GE(s[0].score, s[1].score);
  EXPECT_GE(s[1].score, s[2].score);
}

TEST(Svd, RejectsBadOptions) {
  auto expect_error = [](const std::string& json, const std::string& name) {
    try {
      Recommender::configure("svd", Options::parse(json));
      ADD_FAILURE() << json << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  expect_error(R"({"method": "nmf"})", "method");
  expect_error(R"({"factors": 0})", "factors");
  expect_error(R"({"factors": 100000})", "factors");
  expect_error(R"({"epochs": 0})", "epochs");
  expect_error(R"({"learning_rate": -0.1})", "learning_rate");
  expect_error(R"({"lr_bu": 2})", "lr_bu");
  expect_error(R"({"regularization": -1})", "regularization");
  expect_error(R"({"reg_qi": "x"})", "reg_qi");
  expect_error(R"({"validation_fraction": 0.9})", "validation_fraction");
  expect_error(R"({"patience": 0})", "patience");
  expect_error(R"({"init_std": 5})", "init_std");
  expect_error(R"({"method": "als", "learning_rate": 0.01})", "learning_rate");
  expect_error(R"({"method": "als", "lr_decay": 0.9})", "lr_decay");
  expect_error(R"({"method": "sgd", "cg_steps": 2})", "cg_steps");
  expect_error(R"({"method": "als", "cg_steps": -1})", "cg_steps");
  expect_error(R"({"method": "sgd", "reg_yj": 0.1})", "reg_yj");
  expect_error(R"({"factor": 10})", "factor");
  EXPECT_NO_THROW(Recommender::configure(
      "svd", Options::parse(R"({"method": "svdpp", "lr_yj": 0.01, "reg_yj": 0.1})")));
  EXPECT_NO_THROW(Recommender::configure(
      "svd", Options::parse(R"({"method": "als", "reg_factors": 0.2, "reg_bias": 1})")));
}

TEST(Svd, PerTermOptionsOverrideGroups) {
  Options o = Options::parse(
      R"({"method": "svdpp", "learning_rate": 0.01, "lr_bias": 0.02, "lr_qi": 0.03,
          "regularization": 0.1, "reg_factors": 0.2, "reg_yj": 0.3})");
  SvdOptions s = SvdOptions::read(o);
  EXPECT_FLOAT_EQ(s.hyper.lr_bu, 0.02f);
  EXPECT_FLOAT_EQ(s.hyper.lr_bi, 0.02f);
  EXPECT_FLOAT_EQ(s.hyper.lr_pu, 0.01f);
  EXPECT_FLOAT_EQ(s.hyper.lr_qi, 0.03f);
  EXPECT_FLOAT_EQ(s.hyper.lr_yj, 0.01f);
  EXPECT_FLOAT_EQ(s.hyper.reg_bu, 0.1f);
  EXPECT_FLOAT_EQ(s.hyper.reg_pu, 0.2f);
  EXPECT_FLOAT_EQ(s.hyper.reg_yj, 0.3f);
  // The implicit factors have their own default penalty unless the factors' one is set.
  Options none = Options::parse(R"({"method": "svdpp"})");
  SvdOptions d = SvdOptions::read(none);
  EXPECT_NE(d.hyper.reg_yj, d.hyper.reg_qi);
  Options f = Options::parse(R"({"method": "svdpp", "reg_factors": 0.3})");
  EXPECT_FLOAT_EQ(SvdOptions::read(f).hyper.reg_yj, 0.3f);
  EXPECT_EQ(SvdOptions::read(f).hyper.lr_yj, d.hyper.lr_qi);
}
