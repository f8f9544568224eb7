// The AutoRec training loop: full-batch RProp / L-BFGS or mini-batch Adam on the network's exact
// gradient, with validation early stopping that keeps the best weights.
#include "core/models/autorec/autorec_train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>

#include "core/model.hpp"
#include "core/optim/optimizers.hpp"
#include "core/parallel.hpp"
#include "core/training/early_stopping.hpp"

namespace autorec {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Runs fn(begin, end) over disjoint ranges of [0, n) on the pool. The ranges have a fixed size
// (a multiple of the SIMD width), not one per thread, so that which elements take Eigen's
// vectorised or scalar path, and so the rounding, does not depend on the thread count.
template <typename F>
void parallel_ranges(ThreadPool& pool, size_t n, F&& fn) {
  constexpr size_t kRange = 1 << 14;
  const size_t chunks = (n + kRange - 1) / kRange;
  pool.run(chunks, [&](size_t c, int) { fn(c * kRange, std::min(n, (c + 1) * kRange)); });
}

}  // namespace

void corrupt_inputs(const std::vector<float>& clean, double rate, uint64_t seed,
                    std::vector<float>& out) {
  out.resize(clean.size());
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const float keep = static_cast<float>(1.0 / (1.0 - rate));
  for (size_t p = 0; p < clean.size(); ++p) out[p] = u(rng) < rate ? 0.f : clean[p] * keep;
}

double validation_rmse(const AutoRecNet<float>& net, const Eigen::MatrixXf& codes,
                       const TrainProblem& p, Activation decoder) {
  const size_t n = p.val_rating.size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double sse = 0;
  for (size_t k = 0; k < n; ++k) {
    const float o = net.output(codes.col(p.val_example[k]).data(), p.val_feature[k]);
    double r = p.offset + p.scale * static_cast<double>(activate1(decoder, o));
    if (!p.example_offset.empty()) r += p.example_offset[p.val_example[k]];
    r = std::min(std::max(r, p.lo), p.hi);
    const double e = r - static_cast<double>(p.val_rating[k]);
    sse += e * e;
  }
  return std::sqrt(sse / static_cast<double>(n));
}

TrainResult train_network(AutoRecNet<float>& net, const TrainProblem& problem,
                          const TrainSettings& s, FitContext& ctx, ThreadPool& pool, bool record,
                          const std::string& stage) {
  const SparseExamples& data = *problem.data;
  const Activation decoder = net.shape().decoder;
  const size_t n_params = net.n_params();
  const double nnz = std::max<double>(1.0, static_cast<double>(data.nnz()));
  AlignedVector<float>& x = net.params();
  AlignedVector<float> grad(n_params, 0.f);
  NetWorkspace<float> ws;
  ws.ctx = &ctx;
  std::vector<int32_t> order(static_cast<size_t>(data.n_examples));
  std::iota(order.begin(), order.end(), 0);
  Batch full;
  full.build(data, order.data(), order.size());

  std::mt19937_64 rng(s.seed ^ 0x5DEECE66DULL);
  std::vector<float> noisy;
  // A fresh dropout mask per epoch (none when s.dropout is 0).
  auto epoch_dropout = [&](int e) {
    Dropout d;
    if (s.dropout > 0) {
      d.layer = dropout_layer(net.depth());
      d.rate = s.dropout;
      d.seed = (s.seed ^ 0xA0761D6478BD642Full) + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(e);
    }
    return d;
  };
  // Training passes are noisy with denoising or dropout: validation then needs a clean pass.
  const bool stochastic = s.denoising > 0 || s.dropout > 0;
  auto epoch_input = [&]() -> const float* {
    if (s.denoising <= 0) return problem.input.data();
    corrupt_inputs(problem.input, s.denoising, rng(), noisy);
    return noisy.data();
  };
  auto zero_grad = [&] {
    parallel_ranges(pool, n_params, [&](size_t b, size_t e) {
      std::fill(grad.begin() + static_cast<std::ptrdiff_t>(b),
                grad.begin() + static_cast<std::ptrdiff_t>(e), 0.f);
    });
  };
  // Full objective at the current weights; leaves the codes of all examples in ws.
  auto full_objective = [&](const float* input, float* g, double* sse_out, const Dropout& dropout) {
    double sse = net.loss(data, input, problem.target.data(), full, g, ws, pool, dropout);
    if (sse_out) *sse_out = sse;
    return sse + net.l2(s.lambda, g);
  };

  const bool has_val = !problem.val_rating.empty();
  TrainResult res;
  // Improvements smaller than 1e-7 are rounding noise, not progress.
  EarlyStopping stopping(s.patience, 1e-7);
  AlignedVector<float> best_params;
  // Book-keeping after epoch `e`, when ws holds the codes of the weights it produced.
  // Returns true when training should stop.
  auto end_epoch = [&](int e, double train_sse, Clock::time_point start) {
    EpochStats st;
    st.epoch = e;
    st.train_rmse = std::sqrt(train_sse / nnz) * problem.scale;
    st.validation_rmse = validation_rmse(net, ws.a.back(), problem, decoder);
    st.seconds = seconds_since(start);
    res.epochs_run = e;
    if (record) {
      ctx.epoch_done(st, s.epochs);
    } else if (e % 10 == 0) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "%s epoch %d of %d: train RMSE %.4f", stage.c_str(), e,
                    s.epochs, st.train_rmse);
      ctx.progress(buf);
    }
    ctx.check_interrupt();
    if (!has_val) {
      res.best_epoch = e;
      res.train_rmse = st.train_rmse;
      return false;
    }
    const EarlyStopping::Verdict verdict = stopping.offer(st.validation_rmse);
    if (verdict == EarlyStopping::Verdict::Improved) {
      best_params = x;
      res.best_epoch = e;
      res.best_validation_rmse = stopping.best();
      res.train_rmse = st.train_rmse;
      return false;
    }
    return verdict == EarlyStopping::Verdict::Stop;
  };

  if (s.optimizer == OptimizerKind::Adam) {
    Adam<float> adam(n_params, s.learning_rate);
    const size_t bs = static_cast<size_t>(std::max(1, s.batch_size));
    Batch batch;
    for (int e = 1; e <= s.epochs; ++e) {
      const auto start = Clock::now();
      std::shuffle(order.begin(), order.end(), rng);
      const float* input = epoch_input();
      const Dropout dropout = epoch_dropout(e);
      double sse = 0;
      for (size_t b0 = 0; b0 < order.size(); b0 += bs) {
        const size_t n = std::min(bs, order.size() - b0);
        batch.build(data, order.data() + b0, n);
        zero_grad();
        sse += net.loss(data, input, problem.target.data(), batch, grad.data(), ws, pool, dropout);
        // The penalty is spread over the batches so that one epoch applies it once.
        net.l2(s.lambda * static_cast<double>(n) / static_cast<double>(order.size()),
               grad.data());
        adam.begin_step();
        parallel_ranges(pool, n_params,
                        [&](size_t b, size_t end) { adam.update(x.data(), grad.data(), b, end); });
        ctx.check_interrupt();
      }
      net.forward(data, problem.input.data(), full, ws, pool);
      if (end_epoch(e, sse, start)) break;
    }
  } else if (s.optimizer == OptimizerKind::Rprop) {
    RProp<float> rprop(n_params, s.learning_rate);
    double sse = 0;
    zero_grad();
    full_objective(epoch_input(), grad.data(), &sse, epoch_dropout(0));
    // The clean codes of the current weights, for validation.
    auto clean_codes = [&] {
      if (stochastic && has_val) net.forward(data, problem.input.data(), full, ws, pool);
    };
    if (has_val) {
      // The initial weights compete too, so that a run that only gets worse keeps them.
      clean_codes();
      stopping.start_from(validation_rmse(net, ws.a.back(), problem, decoder));
      best_params = x;
    }
    for (int e = 1; e <= s.epochs; ++e) {
      const auto start = Clock::now();
      parallel_ranges(pool, n_params,
                      [&](size_t b, size_t end) { rprop.update(x.data(), grad.data(), b, end); });
      zero_grad();
      full_objective(epoch_input(), grad.data(), &sse, epoch_dropout(e));
      clean_codes();
      if (end_epoch(e, sse, start)) break;
    }
  } else {
    Lbfgs<float> lbfgs(n_params);
    lbfgs.set_runner([&pool](size_t ranges, const std::function<void(size_t)>& body) {
      pool.run(ranges, [&body](size_t r, int) { body(r); });
    });
    double sse = 0;
    auto objective = [&](const float* xp, float* g) {
      if (xp != x.data()) std::copy(xp, xp + n_params, x.begin());
      std::fill(g, g + n_params, 0.f);
      return full_objective(problem.input.data(), g, &sse, Dropout{});
    };
    double f = objective(x.data(), grad.data());
    if (has_val) {
      stopping.start_from(validation_rmse(net, ws.a.back(), problem, decoder));
      best_params = x;
    }
    AlignedVector<float> xv = x;
    for (int e = 1; e <= s.epochs; ++e) {
      const auto start = Clock::now();
      // The objective writes every trial point into the network's weights; the accepted
      // point is always the last one evaluated, so the workspace's codes are its codes.
      const int evals = lbfgs.iterate(xv, f, grad, objective, s.learning_rate);
      if (evals == 0) {
        x = xv;
        break;
      }
      if (end_epoch(e, sse, start)) break;
    }
  }
  if (has_val && !best_params.empty()) x = best_params;
  return res;
}

}  // namespace autorec
