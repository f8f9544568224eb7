// Unit tests for AutoRec: gradients of every layer against finite differences (double path),
// the dense reference, optimisers, tied weights, denoising, learning, serialization, cancellation.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "core/models/autorec/autorec.hpp"
#include "core/models/autorec/autorec_network.hpp"
#include "core/models/autorec/autorec_train.hpp"
#include "core/optim/optimizers.hpp"
#include "core/options/options.hpp"
#include "core/parallel.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

// A random sparse problem: n_examples vectors over n_features, about `density` observed.
SparseExamples random_examples(int32_t n_examples, int32_t n_features, double density,
                               uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  SparseExamples d;
  d.n_examples = n_examples;
  d.n_features = n_features;
  d.ptr.push_back(0);
  for (int32_t e = 0; e < n_examples; ++e) {
    for (int32_t f = 0; f < n_features; ++f)
      if (u(rng) < density) {
        d.feature.push_back(f);
        d.value.push_back(static_cast<float>(1 + std::floor(u(rng) * 5)));
      }
    d.ptr.push_back(static_cast<int64_t>(d.value.size()));
  }
  return d;
}

std::vector<int32_t> all_examples(const SparseExamples& d) {
  std::vector<int32_t> v(static_cast<size_t>(d.n_examples));
  for (size_t j = 0; j < v.size(); ++j) v[j] = static_cast<int32_t>(j);
  return v;
}

// Objective = data loss + L2, in double.
double objective(const AutoRecNet<double>& net, const SparseExamples& d,
                 const std::vector<float>& input, const std::vector<float>& target, const Batch& b,
                 double lambda, double* grad, ThreadPool& pool, const Dropout& dropout = {}) {
  NetWorkspace<double> ws;
  return net.loss(d, input.data(), target.data(), b, grad, ws, pool, dropout) +
         net.l2(lambda, grad);
}

// Compares the analytic gradient with central differences for every parameter (with a
// dropout mask, the same mask in every evaluation: it depends only on the seed).
void check_gradient(const NetShape& shape, uint64_t seed, int threads = 1,
                    const Dropout& dropout = {}) {
  SparseExamples d = random_examples(7, shape.n_features, 0.5, seed);
  std::vector<float> input = d.value, target(d.value.size());
  for (size_t p = 0; p < target.size(); ++p)
    target[p] = shape.decoder == Activation::Sigmoid ? (d.value[p] - 1) / 4 : d.value[p];
  AutoRecNet<double> net(shape);
  net.init(seed, 0.3, 0.5);
  // Non-zero biases everywhere, so that bias gradients are exercised at a generic point.
  std::mt19937_64 rng(seed + 1);
  std::normal_distribution<double> n01(0, 0.3);
  for (int l = 0; l <= net.depth(); ++l)
    for (int32_t q = 0; q < net.layer(l).rows; ++q) net.params()[net.layer(l).b + q] += n01(rng);
  // A batch of a subset of examples, in a shuffled order.
  std::vector<int32_t> ex = {5, 0, 3, 6, 1};
  Batch b;
  b.build(d, ex.data(), ex.size());
  ThreadPool pool(threads);
  const double lambda = 0.37;
  std::vector<double> grad(net.n_params(), 0.0);
  objective(net, d, input, target, b, lambda, grad.data(), pool, dropout);
  const double h = 1e-6;
  double worst = 0;
  for (size_t k = 0; k < net.n_params(); ++k) {
    const double x0 = net.params()[k];
    net.params()[k] = x0 + h;
    const double fp = objective(net, d, input, target, b, lambda, nullptr, pool, dropout);
    net.params()[k] = x0 - h;
    const double fm = objective(net, d, input, target, b, lambda, nullptr, pool, dropout);
    net.params()[k] = x0;
    const double num = (fp - fm) / (2 * h);
    const double err = std::abs(num - grad[k]) / std::max(1.0, std::abs(num));
    worst = std::max(worst, err);
    ASSERT_LT(err, 1e-5) << "parameter " << k << ": analytic " << grad[k] << ", numeric " << num;
  }
  EXPECT_LT(worst, 1e-5);
}

RawRatings planted(int n_users, int n_items, double density, uint64_t seed, RawRatings* test) {
  // Ratings from a rank-2 model, rounded to stars: the signal a small network must pick up.
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> pu(static_cast<size_t>(n_users) * 2), qi(static_cast<size_t>(n_items) * 2);
  for (double& x : pu) x = n01(rng);
  for (double& x : qi) x = n01(rng);
  RawRatings train;
  for (int a = 0; a < n_users; ++a)
    for (int i = 0; i < n_items; ++i) {
      if (u(rng) >= density) continue;
      double r = 3 + 0.9 * (pu[2 * a] * qi[2 * i] + pu[2 * a + 1] * qi[2 * i + 1]);
      r = std::min(5.0, std::max(1.0, std::round(r)));
      (test && u(rng) < 0.15 ? *test : train).add(100 + a, 1000 + i, r);
    }
  return train;
}

std::unique_ptr<Recommender> fit_autorec(const std::string& opts, const RawRatings& train,
                                         int threads = 1) {
  auto rec = Recommender::configure("autorec", Options::parse(opts));
  FitContext ctx;
  ctx.threads = threads;
  rec->fit(train, ctx);
  return rec;
}

double test_rmse(const Recommender& rec, const RawRatings& test) {
  double sse = 0;
  for (size_t k = 0; k < test.size(); ++k) {
    const double e = rec.predict(test.users[k], test.items[k]) - test.ratings[k];
    sse += e * e;
  }
  return std::sqrt(sse / static_cast<double>(test.size()));
}

}  // namespace

TEST(AutoRecActivation, DerivativesMatchFiniteDifferences) {
  const std::vector<double> z = {-3.1, -0.7, -0.05, 0.04, 0.6, 2.9};
  for (size_t k = 0; k < activation_names().size(); ++k) {
    const Activation f = static_cast<Activation>(k);
    std::vector<double> a(z.size()), g(z.size(), 1.0);
    activate(f, z.data(), a.data(), z.size());
    multiply_derivative(f, z.data(), a.data(), g.data(), z.size());
    for (size_t q = 0; q < z.size(); ++q) {
      const double h = 1e-6;
      const double num = (activate1(f, z[q] + h) - activate1(f, z[q] - h)) / (2 * h);
      EXPECT_NEAR(g[q], num, 1e-6) << activation_names()[k] << " at " << z[q];
      EXPECT_NEAR(a[q], activate1(f, z[q]), 1e-12) << activation_names()[k];
      EXPECT_NEAR(derivative1(f, z[q], a[q]), num, 1e-6) << activation_names()[k];
    }
  }
  EXPECT_THROW(activation_from_name("softmax"), Error);
}

TEST(AutoRecGradient, ShallowEveryEncoderActivation) {
  for (size_t k = 0; k < activation_names().size(); ++k) {
    SCOPED_TRACE(activation_names()[k]);
    check_gradient({9, {4}, static_cast<Activation>(k), Activation::Identity, false}, 11 + k);
  }
}

TEST(AutoRecGradient, SigmoidDecoderAndMaskedLoss) {
  check_gradient({9, {4}, Activation::Sigmoid, Activation::Sigmoid, false}, 3);
  check_gradient({8, {5}, Activation::Tanh, Activation::Sigmoid, false}, 4, 2);
}

TEST(AutoRecGradient, DeepNetworkEveryLayer) {
  check_gradient({8, {5, 3, 5}, Activation::Sigmoid, Activation::Identity, false}, 5);
  check_gradient({8, {4, 3}, Activation::Elu, Activation::Identity, false}, 6, 2);
  check_gradient({8, {4, 6, 3, 4}, Activation::Selu, Activation::Sigmoid, false}, 7);
}

TEST(AutoRecGradient, TiedWeights) {
  NetShape tied{8, {5, 3, 5}, Activation::Sigmoid, Activation::Identity, true};
  AutoRecNet<double> net(tied);
  // The output layer shares the input layer's matrix and layer 2 shares layer 1's, transposed.
  EXPECT_EQ(net.layer(3).w, net.layer(0).w);
  EXPECT_EQ(net.layer(2).w, net.layer(1).w);
  EXPECT_TRUE(net.layer(2).transposed);
  AutoRecNet<double> untied(NetShape{8, {5, 3, 5}, Activation::Sigmoid, Activation::Identity, false});
  EXPECT_EQ(untied.n_params() - net.n_params(), 8u * 5 + 5u * 3);
  check_gradient(tied, 8);
  check_gradient({9, {4}, Activation::Relu, Activation::Identity, true}, 9);
  check_gradient({8, {4, 3, 3, 4}, Activation::Tanh, Activation::Identity, true}, 10);
  EXPECT_THROW(
      AutoRecNet<double>(NetShape{8, {5, 3}, Activation::Sigmoid, Activation::Identity, true}),
      Error);
}

TEST(AutoRecGradient, DropoutWithTheMaskHeldFixed) {
  // Every hidden layer position: the first, a dense middle one, the last (the code the decoder
  // reads), the only one of a shallow network; activations whose derivative needs the
  // undropped value (sigmoid, tanh, selu) and a tied network.
  auto drop = [](int layer, double rate, uint64_t seed) { return Dropout{layer, rate, seed}; };
  check_gradient({8, {5, 3, 5}, Activation::Sigmoid, Activation::Identity, false}, 31, 1,
                 drop(1, 0.5, 3));
  check_gradient({8, {5, 3, 5}, Activation::Selu, Activation::Identity, false}, 32, 2,
                 drop(0, 0.3, 4));
  check_gradient({8, {5, 3, 5}, Activation::Tanh, Activation::Sigmoid, false}, 33, 1,
                 drop(2, 0.4, 5));
  check_gradient({9, {6}, Activation::Sigmoid, Activation::Identity, false}, 34, 2,
                 drop(0, 0.5, 6));
  check_gradient({8, {5, 3, 5}, Activation::Elu, Activation::Identity, true}, 35, 1,
                 drop(1, 0.5, 7));
}

TEST(AutoRecDropout, MaskIsInvertedSeededAndServingIsClean) {
  SparseExamples d = random_examples(40, 12, 0.4, 41);
  NetShape shape{12, {16, 200, 16}, Activation::Sigmoid, Activation::Identity, false};
  AutoRecNet<float> net(shape);
  net.init(2, 0.3, 3.0);
  std::vector<int32_t> ex = all_examples(d);
  Batch all;
  all.build(d, ex.data(), ex.size());
  ThreadPool pool1(1), pool2(2);
  const Dropout drop{1, 0.25, 99};
  NetWorkspace<float> ws, clean;
  net.forward(d, d.value.data(), all, ws, pool1, drop);
  net.forward(d, d.value.data(), all, clean, pool1);
  // Multipliers are 0 or 1 / (1 - rate), about `rate` of them 0; the next layer reads the
  // dropped activations, while a[1] keeps the undropped ones.
  size_t zeros = 0;
  for (Eigen::Index q = 0; q < ws.mask.size(); ++q) {
    const float v = ws.mask.data()[q];
    if (v == 0.f)
      ++zeros;
    else
      ASSERT_FLOAT_EQ(v, 1.f / 0.75f);
  }
  EXPECT_NEAR(static_cast<double>(zeros) / ws.mask.size(), 0.25, 0.02);
  EXPECT_EQ(ws.a[0], clean.a[0]);
  EXPECT_EQ(ws.a[1], clean.a[1]);
  EXPECT_EQ(ws.dropped, ws.a[1].cwiseProduct(ws.mask));
  EXPECT_NE(ws.a[2], clean.a[2]);
  // The same mask for the same seed, whatever the thread count and whatever batch an example
  // is in; another seed gives another mask.
  NetWorkspace<float> ws2;
  net.forward(d, d.value.data(), all, ws2, pool2, drop);
  EXPECT_EQ(ws.mask, ws2.mask);
  std::vector<int32_t> some = {7, 3, 30};
  Batch part;
  part.build(d, some.data(), some.size());
  net.forward(d, d.value.data(), part, ws2, pool2, drop);
  for (size_t j = 0; j < some.size(); ++j)
    EXPECT_EQ(ws2.mask.col(static_cast<Eigen::Index>(j)), ws.mask.col(some[j]));
  net.forward(d, d.value.data(), all, ws2, pool1, Dropout{1, 0.25, 100});
  EXPECT_NE(ws.mask, ws2.mask);
  // A rate of 0 is no dropout: the loss and gradient are those of the plain network.
  std::vector<float> g0(net.n_params(), 0.f), g1(net.n_params(), 0.f);
  const double l0 = net.loss(d, d.value.data(), d.value.data(), all, g0.data(), ws, pool2);
  const double l1 =
      net.loss(d, d.value.data(), d.value.data(), all, g1.data(), ws2, pool2, Dropout{1, 0, 5});
  // Two code paths (with and without the mask multiply): the compiler may fuse or vectorise
  // them differently (AVX-512 vs AVX2), so they agree to rounding, not bit for bit.
  EXPECT_NEAR(l0, l1, 1e-6 * std::abs(l0));
  ASSERT_EQ(g0.size(), g1.size());
  for (size_t q = 0; q < g0.size(); ++q)
    ASSERT_NEAR(g0[q], g1[q], 1e-5f * (1.f + std::abs(g0[q]))) << "parameter " << q;
  // encode() (serving) is the network without dropout.
  std::vector<float> code(16);
  for (int32_t e = 0; e < d.n_examples; e += 9) {
    const int64_t p0 = d.ptr[e];
    net.encode(d.feature.data() + p0, d.value.data() + p0, static_cast<size_t>(d.ptr[e + 1] - p0),
               code.data());
    for (int i = 0; i < 16; ++i) EXPECT_NEAR(code[i], clean.a[2](i, e), 1e-5);
  }
}

TEST(AutoRecDropout, TrainsDeterministicallyAndZeroIsOff) {
  EXPECT_EQ(dropout_layer(1), 0);
  EXPECT_EQ(dropout_layer(2), 0);
  EXPECT_EQ(dropout_layer(3), 1);
  EXPECT_EQ(dropout_layer(5), 2);
  RawRatings test;
  RawRatings train = planted(60, 40, 0.5, 12, &test);
  auto scores = [](const Recommender& rec) {
    std::vector<float> all, s;
    for (int32_t u = 0; u < rec.users().size(); u += 5) {
      rec.score_user(u, s);
      all.insert(all.end(), s.begin(), s.end());
    }
    return all;
  };
  for (const char* opt : {"adam", "rprop"}) {
    SCOPED_TRACE(opt);
    const std::string base = std::string(R"({"hidden": [12, 6, 12], "epochs": 40, "lambda": 1,
        "batch_size": 8, "optimizer": ")") +
                             opt + "\"";
    // "dropout": 0 is exactly the model without the option.
    auto plain = fit_autorec(base + "}", train);
    auto zero = fit_autorec(base + R"(, "dropout": 0})", train);
    EXPECT_EQ(scores(*plain), scores(*zero));
    // Dropout changes training and gives the same model at any thread count.
    auto a = fit_autorec(base + R"(, "dropout": 0.5})", train, 1);
    auto b = fit_autorec(base + R"(, "dropout": 0.5})", train, 2);
    EXPECT_EQ(scores(*a), scores(*b));
    EXPECT_NE(scores(*a), scores(*plain));

    const auto& m = dynamic_cast<const AutoRecModel&>(a->model());
    EXPECT_EQ(m.config().train.dropout, 0.5);
    EXPECT_TRUE(std::isfinite(m.train_result().best_validation_rmse));
    // Serialization keeps the rate, and the reloaded model serves the same scores.
    std::vector<uint8_t> bytes = a->serialize();
    auto back = Recommender::deserialize(bytes.data(), bytes.size());
    EXPECT_EQ(dynamic_cast<const AutoRecModel&>(back->model()).config().train.dropout, 0.5);
    EXPECT_EQ(scores(*a), scores(*back));
    EXPECT_EQ(back->serialize(), bytes);
  }
}

TEST(AutoRecGradient, SparseMatchesDenseReference) {
  // The dense epoch the benchmark compares against computes the same loss and gradient.
  SparseExamples d = random_examples(12, 10, 0.3, 21);
  NetShape shape{10, {6}, Activation::Sigmoid, Activation::Identity, false};
  AutoRecNet<float> net(shape);
  net.init(1, 0.2, 3.0);
  ThreadPool pool(2);
  Eigen::MatrixXf R = Eigen::MatrixXf::Zero(10, 12), M = Eigen::MatrixXf::Zero(10, 12);
  for (int32_t e = 0; e < d.n_examples; ++e)
    for (int64_t p = d.ptr[e]; p < d.ptr[e + 1]; ++p) {
      R(d.feature[p], e) = d.value[p];
      M(d.feature[p], e) = 1;
    }
  std::vector<int32_t> ex = all_examples(d);
  Batch b;
  b.build(d, ex.data(), ex.size());
  NetWorkspace<float> ws;
  std::vector<float> gs(net.n_params(), 0.f), gd(net.n_params(), 0.f);
  const double ls = net.loss(d, d.value.data(), d.value.data(), b, gs.data(), ws, pool);
  const double ld = net.dense_loss(R, M, gd.data(), pool);
  EXPECT_NEAR(ls, ld, 1e-4 * ld);
  for (size_t k = 0; k < gs.size(); ++k) EXPECT_NEAR(gs[k], gd[k], 1e-3 * (1 + std::abs(gd[k])));
}

TEST(AutoRecOptimizers, MinimiseAQuadraticAndRosenbrock) {
  // f(x) = sum_k c_k (x_k - k)^2 with very different curvatures.
  const size_t n = 6;
  auto quad = [n](const double* x, double* g) {
    double f = 0;
    for (size_t k = 0; k < n; ++k) {
      const double c = std::pow(10.0, static_cast<double>(k) - 2), e = x[k] - static_cast<double>(k);
      f += c * e * e;
      g[k] = 2 * c * e;
    }
    return f;
  };
  AlignedVector<double> x(n, 0.0), g(n);
  Adam<double> adam(n, 0.05);
  for (int t = 0; t < 3000; ++t) {
    quad(x.data(), g.data());
    adam.step(x.data(), g.data());
  }
  for (size_t k = 0; k < n; ++k) EXPECT_NEAR(x[k], static_cast<double>(k), 1e-2);
  std::fill(x.begin(), x.end(), 0.0);
  RProp<double> rprop(n, 0.1, 1e-9, 10.0);
  for (int t = 0; t < 300; ++t) {
    quad(x.data(), g.data());
    rprop.step(x.data(), g.data());
  }
  for (size_t k = 0; k < n; ++k) EXPECT_NEAR(x[k], static_cast<double>(k), 1e-4);
  // L-BFGS on Rosenbrock from (-1.2, 1).
  Lbfgs<double> lbfgs(2, 5);
  AlignedVector<double> y = {-1.2, 1.0}, gy(2);
  auto rosen = [](const double* v, double* gr) {
    const double a = 1 - v[0], b = v[1] - v[0] * v[0];
    gr[0] = -2 * a - 400 * v[0] * b;
    gr[1] = 200 * b;
    return a * a + 100 * b * b;
  };
  double f = rosen(y.data(), gy.data());
  for (int t = 0; t < 200 && lbfgs.iterate(y, f, gy, rosen, 0.1) > 0; ++t) {
  }
  EXPECT_NEAR(y[0], 1.0, 1e-4);
  EXPECT_NEAR(y[1], 1.0, 1e-4);
}

TEST(AutoRecDenoising, CorruptsInputsOnly) {
  std::vector<float> clean(20000, 3.f), noisy;
  corrupt_inputs(clean, 0.25, 7, noisy);
  size_t dropped = 0;
  for (float v : noisy) {
    if (v == 0.f) ++dropped;
    else EXPECT_FLOAT_EQ(v, 4.f);  // 3 / (1 - 0.25)
  }
  EXPECT_NEAR(static_cast<double>(dropped) / clean.size(), 0.25, 0.02);
  for (float v : clean) ASSERT_EQ(v, 3.f);
  // Training with noise still reproduces the clean ratings: the recorded train RMSE compares
  // outputs with the clean targets. Were dropped entries their own (zero) targets, it could
  // not fall below about sqrt(0.3) * 3.
  RawRatings train = planted(40, 30, 0.6, 3, nullptr);
  auto rec = fit_autorec(R"({"hidden": [16], "optimizer": "adam", "learning_rate": 0.01,
      "denoising": 0.3, "epochs": 150, "batch_size": 8, "lambda": 0.01,
      "validation_fraction": 0})", train);
  ASSERT_EQ(rec->history().size(), 150u);
  EXPECT_LT(rec->history().back().train_rmse, 0.75);
}

TEST(AutoRec, LearnsAPlantedProblem) {
  RawRatings test;
  RawRatings train = planted(80, 60, 0.5, 1, &test);
  // What the baseline (means and biases) achieves: the network must do clearly better.
  auto base = Recommender::configure("baseline", Options());
  FitContext ctx;
  base->fit(train, ctx);
  const double base_rmse = test_rmse(*base, test);
  for (const char* opts :
       {R"({"hidden": [20], "lambda": 1, "epochs": 300})",
        R"({"hidden": [20], "lambda": 1, "variant": "user", "epochs": 300})",
        R"({"hidden": [20], "lambda": 0.5, "optimizer": "lbfgs", "epochs": 200})",
        R"({"hidden": [20], "lambda": 0.3, "optimizer": "adam", "learning_rate": 0.01,
            "batch_size": 8, "epochs": 200})",
        R"({"hidden": [20, 10, 20], "lambda": 1, "epochs": 300, "pretrain": true,
            "pretrain_lambda": 1})",
        R"({"hidden": [20], "lambda": 1, "epochs": 300, "tied_weights": true})"}) {
    auto rec = fit_autorec(opts, train);
    const double r = test_rmse(*rec, test);
    EXPECT_LT(r, 0.8 * base_rmse) << opts << ": " << r << " vs baseline " << base_rmse;
    // History: one entry per epoch, with validation RMSE (10% held out by default).
    ASSERT_FALSE(rec->history().empty());
    EXPECT_FALSE(std::isnan(rec->history().front().validation_rmse));
  }
}

TEST(AutoRec, ServingMatchesPredictAndFoldsInNewUsers) {
  RawRatings train = planted(60, 40, 0.5, 2, nullptr);
  for (const char* opts : {R"({"hidden": [12], "epochs": 100, "lambda": 1})",
                           R"({"hidden": [12], "variant": "user", "epochs": 100, "lambda": 1})",
                           R"({"hidden": [12], "decoder": "sigmoid", "epochs": 100, "lambda": 0.1})"}) {
    SCOPED_TRACE(opts);
    auto rec = fit_autorec(opts, train);
    const Model& m = rec->model();
    std::vector<float> s;
    for (int32_t u = 0; u < 5; ++u) {
      rec->score_user(u, s);
      UserProfile p{u, rec->ratings().user(u)};
      for (int32_t i = 0; i < rec->items().size(); i += 7) EXPECT_NEAR(s[i], m.predict(p, i), 1e-4);
    }
    // A new user who rated like training user 3 is scored close to user 3.
    UserProfile known{3, rec->ratings().user(3)};
    UserProfile fresh{-1, rec->ratings().user(3)};
    std::vector<float> a(static_cast<size_t>(rec->items().size())), b(a.size());
    m.score(known, a.data());
    m.score(fresh, b.data());
    double diff = 0, spread = 0, mean = 0;
    for (float v : a) mean += v / a.size();
    for (size_t i = 0; i < a.size(); ++i) {
      diff += (a[i] - b[i]) * (a[i] - b[i]);
      spread += (a[i] - mean) * (a[i] - mean);
    }
    EXPECT_LT(diff, 0.5 * spread);
    for (size_t i = 0; i < b.size(); i += 5) EXPECT_NEAR(b[i], m.predict(fresh, static_cast<int32_t>(i)), 1e-3);
    // Nothing known about a user: the baseline estimate, item by item.
    UserProfile nobody{-1, {}};
    m.score(nobody, b.data());
    for (size_t i = 0; i < b.size(); ++i)
      EXPECT_NEAR(b[i], rec->baseline().predict(-1, static_cast<int32_t>(i)), 1e-5);
    // recommend_for_ratings goes through the same fold-in.
    auto top = rec->recommend_for_ratings({1000, 1001}, {5.0, 1.0}, 5);
    EXPECT_EQ(top.size(), 5u);
  }
}

TEST(AutoRec, SerializationRoundTrip) {
  RawRatings train = planted(30, 20, 0.5, 4, nullptr);
  for (const char* opts : {R"({"hidden": [6], "epochs": 30})",
                           R"({"hidden": [6, 3, 6], "variant": "user", "tied_weights": true,
                               "epochs": 30, "decoder": "sigmoid", "encoder": "elu"})"}) {
    SCOPED_TRACE(opts);
    auto rec = fit_autorec(opts, train);
    std::vector<uint8_t> bytes = rec->serialize();
    auto back = Recommender::deserialize(bytes.data(), bytes.size());
    std::vector<float> s1, s2;
    for (int32_t u = 0; u < rec->users().size(); ++u) {
      rec->score_user(u, s1);
      back->score_user(u, s2);
      for (size_t i = 0; i < s1.size(); ++i) ASSERT_FLOAT_EQ(s1[i], s2[i]);
    }
    EXPECT_DOUBLE_EQ(rec->predict(101, 1003), back->predict(101, 1003));
    EXPECT_EQ(back->serialize(), bytes);
    for (size_t n = 0; n < bytes.size(); n += 97)
      EXPECT_THROW(Recommender::deserialize(bytes.data(), n), Error);
  }
}

TEST(AutoRec, LoadsVersion1Payloads) {
  // Payloads written before the dropout and pretrain_lambda options (version 1) load with
  // dropout 0 and the first pretraining stage's penalty as it was, the training one.
  RawRatings train = planted(30, 20, 0.5, 4, nullptr);
  auto rec = fit_autorec(R"({"hidden": [6], "epochs": 30})", train);
  const auto& m = dynamic_cast<const AutoRecModel&>(rec->model());
  Writer w, c, h;
  m.save(w);
  m.config().save(c);
  const std::vector<uint8_t>& v2 = w.bytes();
  const size_t cfg = c.bytes().size();  // ends with the two new doubles
  h.put<int32_t>(1);
  std::vector<uint8_t> v1 = h.bytes();
  v1.insert(v1.end(), v2.begin() + 4, v2.begin() + static_cast<std::ptrdiff_t>(4 + cfg - 16));
  v1.insert(v1.end(), v2.begin() + static_cast<std::ptrdiff_t>(4 + cfg), v2.end());
  TrainingData data;
  data.ratings = &rec->ratings();
  data.baseline = &rec->baseline();
  AutoRecModel old;
  Reader r(v1.data(), v1.size());
  old.load(r, data);
  EXPECT_EQ(old.config().train.dropout, 0.0);
  EXPECT_EQ(m.config().pretrain_lambda, 300.0);
  EXPECT_EQ(old.config().pretrain_lambda, m.config().train.lambda);
  std::vector<float> s1(static_cast<size_t>(rec->items().size())), s2(s1.size());
  for (int32_t u = 0; u < 5; ++u) {
    UserProfile p{u, rec->ratings().user(u)};
    m.score(p, s1.data());
    old.score(p, s2.data());
    EXPECT_EQ(s1, s2);
  }
  // An unknown version is refused.
  std::vector<uint8_t> bad = v2;
  bad[0] = 3;
  AutoRecModel other;
  Reader r3(bad.data(), bad.size());
  EXPECT_THROW(other.load(r3, data), Error);
}

TEST(AutoRec, CancellationStopsTraining) {
  RawRatings train = planted(30, 20, 0.5, 5, nullptr);
  for (const char* opt : {"rprop", "lbfgs", "adam"}) {
    auto rec = Recommender::configure(
        "autorec", Options::parse(std::string(R"({"hidden": [8], "epochs": 1000, "optimizer": ")") +
                                  opt + "\"}"));
    FitContext ctx;
    int calls = 0;
    ctx.interrupt_check = [&calls] { return ++calls > 20; };
    EXPECT_THROW(rec->fit(train, ctx), Cancelled) << opt;
    EXPECT_LT(ctx.history.size(), 30u);
  }
}

TEST(AutoRec, DeterministicAcrossThreadCounts) {
  RawRatings train = planted(50, 30, 0.5, 6, nullptr);
  const char* opts = R"({"hidden": [10], "epochs": 40, "optimizer": "adam", "batch_size": 8})";
  auto a = fit_autorec(opts, train, 1), b = fit_autorec(opts, train, 2);
  std::vector<float> s1, s2;
  a->score_user(7, s1);
  b->score_user(7, s2);
  ASSERT_EQ(s1.size(), s2.size());
  for (size_t i = 0; i < s1.size(); ++i) EXPECT_EQ(s1[i], s2[i]);
}

TEST(AutoRec, RejectsBadOptions) {
  auto bad = [](const std::string& json, const std::string& name) {
    try {
      Recommender::configure("autorec", Options::parse(json));
      ADD_FAILURE() << json << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  bad(R"({"hidden": []})", "hidden");
  bad(R"({"hidden": [0]})", "hidden");
  bad(R"({"lambda": -1})", "lambda");
  bad(R"({"variant": "both"})", "variant");
  bad(R"({"encoder": "softmax"})", "encoder");
  bad(R"({"decoder": "relu"})", "decoder");
  bad(R"({"optimizer": "sgd"})", "optimizer");
  bad(R"({"learning_rate": 0})", "learning_rate");
  bad(R"({"validation_fraction": 1})", "validation_fraction");
  bad(R"({"denoising": 1})", "denoising");
  bad(R"({"denoising": 0.2, "optimizer": "lbfgs"})", "denoising");
  bad(R"({"dropout": 0.95001, "optimizer": "adam"})", "dropout");
  bad(R"({"dropout": -0.1, "optimizer": "adam"})", "dropout");
  bad(R"({"dropout": "high", "optimizer": "adam"})", "dropout");
  bad(R"({"dropout": 0.5})", "dropout");  // the default optimizer is L-BFGS
  bad(R"({"dropout": 0.5, "optimizer": "lbfgs"})", "dropout");
  bad(R"({"pretrain": true, "pretrain_lambda": -1})", "pretrain_lambda");
  bad(R"({"hidden": [500, 250], "tied_weights": true})", "tied_weights");
  bad(R"({"hiden": [5]})", "hiden");
  EXPECT_NO_THROW(Recommender::configure(
      "autorec", Options::parse(R"({"hidden": [500, 250, 500], "tied_weights": true,
          "pretrain": true, "denoising": 0.1, "optimizer": "rprop", "patience": 3,
          "seed": 7})")));
  EXPECT_NO_THROW(Recommender::configure(
      "autorec", Options::parse(R"({"hidden": [500, 250, 500], "dropout": 0.8,
          "optimizer": "adam", "encoder": "selu"})")));
}
