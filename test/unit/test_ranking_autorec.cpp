// Unit tests for the ranking autoencoder (Mult-DAE): gradients of every layer against finite
// differences (double path, inputs with their dropout already applied, i.e. the mask held
// fixed), learning a planted problem, fold-in, serialization, the memory estimate, determinism,
// options and cancellation.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/models/autorec/ranking.hpp"
#include "core/models/autorec/ranking_network.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

// n_users random users over n_items: a dropped-out, normalised input and weighted targets.
MultBatch random_batch(size_t n_users, int32_t n_items, double density, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  MultBatch b;
  for (size_t j = 0; j < n_users; ++j) {
    for (int32_t i = 0; i < n_items; ++i) {
      if (u(rng) >= density) continue;
      b.target_item.push_back(i);
      b.target_weight.push_back(static_cast<float>(0.5 + u(rng)));
      if (j % 7 != 3 && u(rng) < 0.6) {  // user 3 (mod 7) keeps no input at all
        b.in_item.push_back(i);
        b.in_value.push_back(static_cast<float>(0.2 + u(rng)));
      }
    }
    b.end_user();
  }
  return b;
}

// Compares the gradient with central differences: on every parameter (sample 0), or on every
// bias and `sample` random weights.
void check_gradient(const std::vector<int32_t>& hidden, Activation act, int32_t n_items,
                    size_t n_users, size_t sample) {
  MultNet<double> net(n_items, hidden, act);
  net.init(7);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 0.1);
  for (size_t k = net.n_weights(); k < net.n_params(); ++k) net.params()[k] = noise(rng);
  MultBatch batch = random_batch(n_users, n_items, 0.15, 11);
  ThreadPool pool(2);
  MultWorkspace<double> ws;
  std::vector<double> grad(net.n_params());
  const double f0 = net.loss(batch, grad.data(), ws, pool);
  EXPECT_TRUE(std::isfinite(f0));
  std::vector<size_t> which;
  if (sample == 0 || sample >= net.n_params()) {
    for (size_t k = 0; k < net.n_params(); ++k) which.push_back(k);
  } else {
    // Every bias, and a sample of the weights of every layer.
    for (size_t k = net.n_weights(); k < net.n_params(); ++k) which.push_back(k);
    std::uniform_int_distribution<size_t> pick(0, net.n_weights() - 1);
    for (size_t s = 0; s < sample; ++s) which.push_back(pick(rng));
  }
  // The loss sums thousands of terms: with a smaller step, rounding dominates the difference.
  const double eps = 1e-4;
  double worst = 0;
  size_t nonzero = 0;
  for (size_t k : which) {
    const double keep = net.params()[k];
    net.params()[k] = keep + eps;
    const double fp = net.loss(batch, nullptr, ws, pool);
    net.params()[k] = keep - eps;
    const double fm = net.loss(batch, nullptr, ws, pool);
    net.params()[k] = keep;
    const double numeric = (fp - fm) / (2 * eps);
    const double rel = std::fabs(numeric - grad[k]) / std::max(1e-3, std::fabs(numeric));
    worst = std::max(worst, rel);
    if (std::fabs(grad[k]) > 1e-8) ++nonzero;
  }
  EXPECT_LT(worst, 1e-5) << "hidden layers " << hidden.size() << ", activation "
                         << activation_name(act);
  EXPECT_GT(nonzero, which.size() / 4);  // the check is not vacuous
}

// Users in 4 groups; a user rates about 60% of their group's 12 items (and one random item).
RatingMatrix planted(int32_t n_users, uint64_t seed, std::vector<int32_t>* group = nullptr) {
  const int32_t n_items = 48;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Triple> t;
  for (int32_t user = 0; user < n_users; ++user) {
    const int32_t g = user % 4;
    if (group) group->push_back(g);
    std::vector<bool> rated(n_items, false);
    for (int32_t k = 0; k < 12; ++k)
      if (u(rng) < 0.6) rated[g * 12 + k] = true;
    rated[static_cast<size_t>(u(rng) * n_items)] = true;
    for (int32_t i = 0; i < n_items; ++i)
      if (rated[i]) t.push_back({user, i, static_cast<float>(1 + std::floor(u(rng) * 5))});
  }
  return RatingMatrix(n_users, n_items, t);
}

std::unique_ptr<RankingAutoencoderModel> model_of(const std::string& json) {
  Options o = Options::parse(json);
  auto m = make_ranking_autorec_model(o);
  o.reject_unknown("ranking_autorec");
  return std::unique_ptr<RankingAutoencoderModel>(
      static_cast<RankingAutoencoderModel*>(m.release()));
}

std::vector<float> scores_of(const Model& m, const UserProfile& p, int32_t n_items) {
  std::vector<float> s(static_cast<size_t>(n_items));
  m.score(p, s.data());
  return s;
}

}  // namespace

TEST(RankingAutorecGradient, OneHiddenLayerEveryParameter) {
  check_gradient({4}, Activation::Tanh, 9, 5, 0);
}

TEST(RankingAutorecGradient, DeepNetworkEveryParameter) {
  // I -> 5 -> 3 -> 5 -> I: sparse input layer, two dense layers, dense output.
  check_gradient({5, 3}, Activation::Tanh, 11, 6, 0);
  check_gradient({5, 3}, Activation::Selu, 11, 6, 0);
}

TEST(RankingAutorecGradient, AcrossEveryBlockBoundary) {
  // 300 items (two item blocks), 40 users (two user blocks), 70 units (two row blocks).
  check_gradient({70, 6}, Activation::Tanh, 300, 40, 1500);
}

TEST(RankingAutorecGradient, SameForAnyThreadCount) {
  MultNet<float> net(300, {40, 8}, Activation::Tanh);
  net.init(5);
  MultBatch batch = random_batch(70, 300, 0.05, 2);
  std::vector<float> g1(net.n_params()), g3(net.n_params());
  MultWorkspace<float> ws;
  ThreadPool p1(1), p3(3);
  const double f1 = net.loss(batch, g1.data(), ws, p1);
  const double f3 = net.loss(batch, g3.data(), ws, p3);
  EXPECT_NEAR(f1, f3, 1e-6 * std::fabs(f1));
  double diff = 0, norm = 0;
  for (size_t k = 0; k < g1.size(); ++k) {
    diff = std::max(diff, double(std::fabs(g1[k] - g3[k])));
    norm = std::max(norm, double(std::fabs(g1[k])));
  }
  EXPECT_LE(diff, 1e-6 * norm);
  EXPECT_GT(norm, 0);
}

TEST(RankingAutorec, LearnsAPlantedProblem) {
  std::vector<int32_t> group;
  RatingMatrix m = planted(200, 1, &group);
  auto model = model_of(R"({"hidden": [16], "epochs": 30, "batch_size": 32, "learning_rate": 0.01})");
  TrainingData data{&m};
  FitContext ctx;
  ctx.threads = 2;
  model->fit(data, ctx);
  const auto& losses = model->losses();
  ASSERT_EQ(losses.size(), 30u);
  EXPECT_LT(losses.back(), 0.85 * losses.front());
  EXPECT_EQ(ctx.history.size(), 30u);
  // The best unrated item of a user is one of their group's.
  int hits = 0;
  for (int32_t u = 0; u < m.n_users(); ++u) {
    std::vector<float> s = scores_of(*model, {u, m.user(u)}, m.n_items());
    SparseRow r = m.user(u);
    for (size_t k = 0; k < r.n; ++k) s[r.index[k]] = -INFINITY;
    int32_t best = static_cast<int32_t>(std::max_element(s.begin(), s.end()) - s.begin());
    hits += best / 12 == group[u];
  }
  EXPECT_GT(hits, 0.9 * m.n_users());
}

TEST(RankingAutorec, FoldInOfATrainingUserEqualsTheirScores) {
  RatingMatrix m = planted(60, 2);
  auto model = model_of(R"({"hidden": [8, 4], "epochs": 3, "batch_size": 16})");
  TrainingData data{&m};
  FitContext ctx;
  model->fit(data, ctx);
  for (int32_t u : {0, 17, 59}) {
    std::vector<float> known = scores_of(*model, {u, m.user(u)}, m.n_items());
    // A new user given the same ratings at query time, from a copy of them.
    SparseRow r = m.user(u);
    std::vector<int32_t> idx(r.index, r.index + r.n);
    std::vector<float> val(r.value, r.value + r.n);
    std::vector<float> fresh =
        scores_of(*model, {-1, {idx.data(), val.data(), idx.size()}}, m.n_items());
    for (int32_t i = 0; i < m.n_items(); ++i) {
      EXPECT_NEAR(known[i], fresh[i], 1e-5f * (1 + std::fabs(known[i])));
      EXPECT_NEAR(model->predict({u, m.user(u)}, i), known[i], 1e-4 * (1 + std::fabs(known[i])));
    }
  }
  // No items: the output biases and the network's response to an empty input (finite).
  std::vector<float> empty = scores_of(*model, {-1, {}}, m.n_items());
  for (float s : empty) EXPECT_TRUE(std::isfinite(s));
}

TEST(RankingAutorec, ThresholdDropsLowRatings) {
  RatingMatrix m = planted(60, 3);
  auto model = model_of(R"({"hidden": [8], "epochs": 2, "threshold": 4})");
  TrainingData data{&m};
  FitContext ctx;
  model->fit(data, ctx);
  int32_t items[] = {0, 5};
  float low[] = {1, 3.5f}, high[] = {4, 5};
  std::vector<float> none = scores_of(*model, {-1, {}}, m.n_items());
  std::vector<float> only_low = scores_of(*model, {-1, {items, low, 2}}, m.n_items());
  std::vector<float> with_high = scores_of(*model, {-1, {items, high, 2}}, m.n_items());
  EXPECT_EQ(only_low, none);  // the same (empty) input through the same path
  EXPECT_NE(with_high, none);
}

TEST(RankingAutorec, SerializationRoundTrip) {
  RatingMatrix m = planted(50, 4);
  auto model = model_of(R"({"hidden": [8, 4], "activation": "selu", "epochs": 2, "threshold": 2})");
  TrainingData data{&m};
  FitContext ctx;
  model->fit(data, ctx);
  Writer w;
  model->save(w);
  Options none;
  auto loaded = make_ranking_autorec_model(none);
  Reader r(w.bytes().data(), w.bytes().size());
  loaded->load(r, data);
  EXPECT_EQ(r.remaining(), 0u);
  for (int32_t u : {0, 49}) {
    std::vector<float> a = scores_of(*model, {u, m.user(u)}, m.n_items());
    std::vector<float> b = scores_of(*loaded, {u, m.user(u)}, m.n_items());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6f * (1 + std::fabs(a[i])));
  }
  // Truncated or for another item count: a clear error, not a crash.
  for (size_t cut : {size_t{3}, w.bytes().size() / 2, w.bytes().size() - 1}) {
    Reader t(w.bytes().data(), cut);
    EXPECT_THROW(loaded->load(t, data), Error);
  }
  RatingMatrix other = planted(50, 4);
  std::vector<Triple> tr = other.triples();
  RatingMatrix wider(50, 60, tr);
  TrainingData wd{&wider};
  Reader t(w.bytes().data(), w.bytes().size());
  EXPECT_THROW(loaded->load(t, wd), Error);
}

TEST(RankingAutorec, EstimatedTrainingBytesIsAnHonestUpperBound) {
  RatingMatrix m = planted(300, 5);
  for (const char* json : {R"({"hidden": [32], "epochs": 1, "batch_size": 1000})",
                           R"({"hidden": [32, 8], "epochs": 1, "batch_size": 1000})",
                           R"({"hidden": [16], "epochs": 1, "batch_size": 64})"}) {
    auto model = model_of(json);
    TrainingData data{&m};
    FitContext ctx;
    model->fit(data, ctx);
    const size_t est = model->estimated_training_bytes(m.n_users(), m.n_items(), m.nnz());
    const size_t held = model->measured_training_bytes();
    EXPECT_GE(est, held) << json;
    // Parameters and Adam state alone are 16 bytes per parameter.
    EXPECT_GE(held, 16 * model->network().n_params()) << json;
    EXPECT_LE(est, 2 * held) << json;  // not a blanket over-estimate either
  }
}

TEST(RankingAutorec, DeterministicGivenSeedAndThreads) {
  RatingMatrix m = planted(120, 6);
  auto train = [&](int threads, uint64_t seed) {
    auto model = model_of(R"({"hidden": [12, 6], "epochs": 3, "batch_size": 40})");
    TrainingData data{&m};
    FitContext ctx;
    ctx.threads = threads;
    ctx.seed = seed;
    model->fit(data, ctx);
    return std::vector<float>(model->network().params().begin(),
                              model->network().params().end());
  };
  std::vector<float> a = train(2, 42), b = train(2, 42), c = train(1, 42), d = train(2, 43);
  EXPECT_EQ(a, b);  // same code path, same thread count
  ASSERT_EQ(a.size(), c.size());
  double diff = 0;
  for (size_t k = 0; k < a.size(); ++k) diff = std::max(diff, double(std::fabs(a[k] - c[k])));
  EXPECT_LT(diff, 1e-4);  // the work split does not depend on the thread count
  EXPECT_NE(a, d);
}

TEST(RankingAutorec, RejectsBadOptions) {
  for (const char* json :
       {R"({"hidden": []})", R"({"hidden": [0]})", R"({"hidden": [1,2,3,4,5,6,7,8,9]})",
        R"({"dropout": 0.95})", R"({"dropout": -0.1})", R"({"epochs": 0})",
        R"({"batch_size": 0})", R"({"learning_rate": 0})", R"({"lambda": -1})",
        R"({"activation": "softmax"})", R"({"threshold": "high"})", R"({"hidden_size": 3})"}) {
    EXPECT_THROW(model_of(json), Error) << json;
  }
  RatingMatrix m = planted(20, 7);
  auto model = model_of(R"({"threshold": 100})");
  TrainingData data{&m};
  FitContext ctx;
  EXPECT_THROW(model->fit(data, ctx), Error);  // no rating reaches the threshold
}

TEST(RankingAutorec, CancellationStopsTraining) {
  RatingMatrix m = planted(100, 8);
  auto model = model_of(R"({"hidden": [8], "epochs": 1000})");
  TrainingData data{&m};
  FitContext ctx;
  int polls = 0;
  ctx.interrupt_check = [&] { return ++polls > 5; };
  EXPECT_THROW(model->fit(data, ctx), Cancelled);
}
