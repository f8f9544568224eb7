// Unit tests for the ease family: B against the textbook dense solve, weighting, pruning,
// fold-in, explanations, serialization, the memory estimate and its refusals, options.
#include <gtest/gtest.h>

#include "core/eigen.hpp"
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/models/ease/ease.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

// Each user rates each item with probability `density`, ratings 1..5.
RatingMatrix random_matrix(int32_t users, int32_t items, double density, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> r(1, 5);
  std::vector<Triple> t;
  for (int32_t a = 0; a < users; ++a)
    for (int32_t i = 0; i < items; ++i)
      if (u(rng) < density) t.push_back({a, i, static_cast<float>(r(rng))});
  return RatingMatrix(users, items, t);
}

struct Fitted {
  RatingMatrix m;
  std::unique_ptr<Model> model;
  TrainingData td;
  const EaseModel& ease() const { return dynamic_cast<const EaseModel&>(*model); }
};

std::unique_ptr<Fitted> fit(const std::string& json, RatingMatrix m, int threads = 2) {
  auto f = std::make_unique<Fitted>();
  f->m = std::move(m);
  Options o = Options::parse(json);
  f->model = make_ease_model(o);
  o.reject_unknown("ease");
  f->td.ratings = &f->m;
  f->td.explicit_ratings = true;  // the test matrices hold ratings 1..5
  FitContext ctx;
  ctx.threads = threads;
  f->model->fit(f->td, ctx);
  return f;
}

// The textbook formula in double: P = (X^T X + lambda I)^-1, B = I - P diag(1 / diag(P)).
Eigen::MatrixXd reference_b(const RatingMatrix& m, double lambda, bool values, double min_rating) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(m.n_users(), m.n_items());
  for (const Triple& t : m.triples())
    if (t.rating >= min_rating) x(t.user, t.item) = values ? t.rating : 1.0;
  Eigen::MatrixXd g = x.transpose() * x;
  g.diagonal().array() += lambda;
  const Eigen::MatrixXd p = g.inverse();
  Eigen::MatrixXd b = Eigen::MatrixXd::Identity(m.n_items(), m.n_items()) -
                      p * p.diagonal().cwiseInverse().asDiagonal();
  b.diagonal().setZero();
  return b;
}

void expect_matches(const EaseModel& e, const Eigen::MatrixXd& b, double tol) {
  double worst = 0;
  for (int32_t i = 0; i < b.rows(); ++i)
    for (int32_t j = 0; j < b.cols(); ++j)
      worst = std::max(worst, std::fabs(e.weight(i, j) - b(i, j)));
  const double scale = b.cwiseAbs().maxCoeff();
  EXPECT_LT(worst, tol * scale) << "largest |B| " << scale;
  EXPECT_GT(scale, 1e-3);  // the comparison is not between two zero matrices
}

std::vector<float> scores(const Model& m, const UserProfile& p, int32_t n) {
  std::vector<float> s(static_cast<size_t>(n));
  m.score(p, s.data());
  return s;
}

}  // namespace

TEST(Ease, MatchesDenseSolveSmall) {
  auto f = fit("{\"lambda\": 2, \"weighting\": \"binary\"}", random_matrix(30, 12, 0.4, 1));
  expect_matches(f->ease(), reference_b(f->m, 2, false, -1e9), 1e-5);
}

// More items than one block of the parallel inverse (128), with a ragged last block.
TEST(Ease, MatchesDenseSolveBlocked) {
  auto f = fit("{\"lambda\": 5, \"weighting\": \"binary\"}", random_matrix(500, 300, 0.08, 2));
  expect_matches(f->ease(), reference_b(f->m, 5, false, -1e9), 1e-4);
  auto one = fit("{\"lambda\": 5, \"weighting\": \"binary\"}", random_matrix(500, 300, 0.08, 2), 1);
  expect_matches(one->ease(), reference_b(one->m, 5, false, -1e9), 1e-4);
}

TEST(Ease, DoublePrecisionAndWeighting) {
  auto f = fit("{\"lambda\": 3, \"precision\": \"double\", \"weighting\": \"rating\"}",
               random_matrix(300, 200, 0.1, 3));
  expect_matches(f->ease(), reference_b(f->m, 3, true, -1e9), 1e-6);
  auto g = fit("{\"lambda\": 3, \"min_rating\": 4, \"weighting\": \"binary\"}", random_matrix(300, 200, 0.1, 3));
  expect_matches(g->ease(), reference_b(g->m, 3, false, 4), 1e-4);
}

TEST(Ease, FoldInScoresLikeTrainingUser) {
  auto f = fit("{\"lambda\": 4}", random_matrix(60, 40, 0.2, 4));
  for (int32_t u : {0, 7, 31}) {
    const SparseRow r = f->m.user(u);
    const std::vector<float> known = scores(*f->model, {u, r}, 40);
    // A copy of the ratings, as a query-time profile would hold them.
    std::vector<int32_t> idx(r.index, r.index + r.n);
    std::vector<float> val(r.value, r.value + r.n);
    const std::vector<float> fresh = scores(*f->model, {-1, {idx.data(), val.data(), r.n}}, 40);
    for (int32_t j = 0; j < 40; ++j) {
      EXPECT_NEAR(fresh[j], known[j], 1e-6);
      EXPECT_NEAR(f->model->predict({-1, {idx.data(), val.data(), r.n}}, j), known[j], 1e-5);
      double sum = 0;
      for (const Contribution& c : f->model->explain({u, r}, j)) {
        EXPECT_NEAR(c.similarity, f->ease().weight(c.index, j), 1e-7);
        sum += c.contribution;
      }
      EXPECT_NEAR(sum, known[j], 1e-5);
    }
  }
}

TEST(Ease, SimilarItemsAreRowsOfB) {
  auto f = fit("{\"lambda\": 4}", random_matrix(80, 30, 0.25, 5));
  const auto sim = f->model->similar_items(3, 5);
  ASSERT_EQ(sim.size(), 5u);
  for (size_t k = 0; k < sim.size(); ++k) {
    EXPECT_NE(sim[k].index, 3);
    EXPECT_FLOAT_EQ(sim[k].score, f->ease().weight(3, sim[k].index));
    if (k) EXPECT_GE(sim[k - 1].score, sim[k].score);
  }
  for (int32_t j = 0; j < 30; ++j)  // nothing better was left out
    if (j != 3) EXPECT_LE(f->ease().weight(3, j), sim[0].score);
}

TEST(Ease, PruneKeepsLargestMagnitudes) {
  RatingMatrix m = random_matrix(80, 30, 0.25, 6);
  auto dense = fit("{\"lambda\": 4}", m);
  auto pruned = fit("{\"lambda\": 4, \"prune_to\": 4}", m);
  for (int32_t i = 0; i < 30; ++i) {
    std::vector<float> mag;
    for (int32_t j = 0; j < 30; ++j) mag.push_back(std::fabs(dense->ease().weight(i, j)));
    std::sort(mag.rbegin(), mag.rend());
    int kept = 0;
    for (int32_t j = 0; j < 30; ++j) {
      const float w = pruned->ease().weight(i, j);
      if (w == 0) continue;
      ++kept;
      EXPECT_NEAR(w, dense->ease().weight(i, j), 1e-6);
      EXPECT_GE(std::fabs(w), mag[3] - 1e-6);
    }
    EXPECT_EQ(kept, 4);
  }
  // Scores are sums of the kept entries.
  const UserProfile p{5, m.user(5)};
  const std::vector<float> s = scores(*pruned->model, p, 30);
  for (int32_t j = 0; j < 30; ++j) EXPECT_NEAR(s[j], pruned->model->predict(p, j), 1e-5);
}

TEST(Ease, SaveLoadRoundTrip) {
  for (const char* json : {"{\"lambda\": 4}", "{\"lambda\": 4, \"prune_to\": 5, \"weighting\": "
                                              "\"rating\", \"min_rating\": 2}"}) {
    auto f = fit(json, random_matrix(50, 25, 0.3, 7));
    Writer w;
    f->model->save(w);
    Options none;
    auto copy = make_ease_model(none);
    Reader r(w.bytes().data(), w.bytes().size());
    copy->load(r, f->td);
    EXPECT_EQ(r.remaining(), 0u);
    for (int32_t u = 0; u < 50; ++u) {
      const UserProfile p{u, f->m.user(u)};
      EXPECT_EQ(scores(*copy, p, 25), scores(*f->model, p, 25)) << json;
    }
    // Truncated or for other dimensions: a clear error.
    Reader cut(w.bytes().data(), w.bytes().size() - 3);
    EXPECT_THROW(copy->load(cut, f->td), Error);
    RatingMatrix other = random_matrix(50, 26, 0.3, 7);
    TrainingData td2;
    td2.ratings = &other;
    Reader r2(w.bytes().data(), w.bytes().size());
    try {
      copy->load(r2, td2);
      ADD_FAILURE() << "loaded a model for other dimensions";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::CorruptModel);
    }
  }
}

TEST(Ease, MemoryEstimateAndMaxItems) {
  Options o;
  auto m = make_ease_model(o);
  auto training = [](const Model& model, int32_t n_users, int32_t n_items, size_t nnz) {
    TrainingSize size;
    size.n_users = n_users;
    size.n_items = n_items;
    size.nnz = nnz;
    return model.estimated_memory(size).training;
  };
  for (int32_t n : {10, 3706, 20000}) {
    const size_t est = training(*m, 6040, n, 1000000);
    EXPECT_GE(static_cast<double>(est), 8.0 * n * n);               // two float n x n matrices
    EXPECT_LT(static_cast<double>(est), 8.0 * n * n + 100e6);       // and not much else
    EXPECT_EQ(ease_max_items(static_cast<size_t>(ease_dense_bytes(n, false))), n);
    EXPECT_EQ(ease_max_items(static_cast<size_t>(ease_dense_bytes(n, false)) - 1), n - 1);
  }
  EXPECT_EQ(ease_max_items(0), 0);
  Options d = Options::parse("{\"precision\": \"double\"}");
  auto md = make_ease_model(d);
  EXPECT_GE(static_cast<double>(training(*md, 100, 3000, 1000)),
            16.0 * 3000 * 3000);
  // 1 GB holds 2 float matrices of 11585 items (8 x 11585^2 = 1.07e9 > 2^30 > 8 x 11584^2).
  EXPECT_EQ(ease_max_items(size_t(1) << 30), 11585);
  const std::string hint = ease_memory_hint(size_t(1) << 30);
  EXPECT_NE(hint.find("11585 items"), std::string::npos) << hint;
}

// The Recommender gives the estimate to FitContext::memory_check before anything is
// allocated, with the model: the glue's refusal (autorec.max_training_memory) uses its hint,
// which says how many items fit.
TEST(Ease, MemoryCheckRefusesBeforeTraining) {
  const size_t budget = 64u << 20;
  auto train = [&](int32_t n_items) {
    RawRatings raw;
    raw.implicit = true;
    for (int32_t i = 0; i < n_items; ++i) raw.add(i % 50, i, 1.0);
    auto rec = Recommender::configure("ease", Options());
    FitContext ctx;
    ctx.memory_check = [&](size_t est, const Model& model) {
      if (est > budget)
        throw Error(ErrorKind::ResourceLimit, "too much memory", model.memory_hint(budget));
    };
    rec->fit(raw, ctx);
  };
  std::string hint;
  try {
    train(3000);
    ADD_FAILURE() << "3000 items fit in 64 MB?";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit);
    hint = e.hint();
  }
  // The hint's number of items is right: that many train within the budget, a fifth more not.
  const size_t at = hint.find("fits at most about ");
  ASSERT_NE(at, std::string::npos) << hint;
  const int32_t fits = std::stoi(hint.substr(at + 19));
  EXPECT_GT(fits, 1000) << hint;
  EXPECT_NO_THROW(train(fits)) << hint;
  EXPECT_THROW(train(fits + fits / 5), Error) << hint;
}

// A dense B over the bytea limit is refused by fit() itself, before anything is allocated.
TEST(Ease, TooManyItemsForDenseModel) {
  const int32_t n = 20000;
  std::vector<Triple> t;
  for (int32_t i = 0; i < n; ++i) t.push_back({i % 7, i, 1.0f});
  RatingMatrix m(7, n, t);
  Options o;
  auto model = make_ease_model(o);
  TrainingData td;
  td.ratings = &m;
  FitContext ctx;
  try {
    model->fit(td, ctx);
    ADD_FAILURE() << "trained a 1.6 GB dense model";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ResourceLimit);
    EXPECT_NE(e.hint().find("prune_to"), std::string::npos);
  }
}

TEST(Ease, OptionErrors) {
  for (const char* bad : {"{\"lambda\": 0}", "{\"lambda\": -1}", "{\"precision\": \"half\"}",
                          "{\"weighting\": \"log\"}", "{\"prune_to\": -1}", "{\"lambda\": \"a\"}"}) {
    Options o = Options::parse(bad);
    try {
      make_ease_model(o);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter) << bad;
    }
  }
  Options o = Options::parse("{\"lamda\": 3}");
  make_ease_model(o);
  EXPECT_THROW(o.reject_unknown("ease"), Error);
}
