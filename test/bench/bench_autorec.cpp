// AutoRec benchmark: accuracy and speed on MovieLens 100K (official folds u1..u5), the sparse
// versus dense epoch, and optionally the paper's ML-1M protocol.
//
//   bench_autorec [ml-100k dir] [--folds N] [--threads N] [--all] [--no-timing]
//                 [--ml1m [dir]] [--ml1m-only] [--splits N]
//                 [--opts JSON] [--verbose] [--timing-only] [--sparse-only] [--repeats N]
//
// Run from /work/main (default data dirs ../shared/data/ml-100k and ../shared/data/ml-1m).
// The standard run prints I-AutoRec (defaults), U-AutoRec and the deep model over the five
// folds, then the sparse vs dense epoch; --all adds the other optimizers, tied weights,
// denoising, pretraining and the ablation of residual + refit; --ml1m adds the paper's ML-1M
// protocol (model selection on the validation part of the training data, never on the test
// split). --opts runs one configuration with per-fold rows (for tuning); --verbose prints
// every epoch.
#include "core/eigen.hpp"
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/models/autorec/autorec.hpp"
#include "core/parallel.hpp"
#include "core/recommender.hpp"
#include "movielens.hpp"

using namespace autorec;
using Clock = std::chrono::steady_clock;

namespace {

bool g_verbose = false, g_sparse_only = false;

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct RunResult {
  double rmse = 0, mae = 0, fit_s = 0, predict_s = 0, epochs = 0, best_epoch = 0, epoch_s = 0,
         bytes = 0, score_ms = 0, val_rmse = 0;
};

RunResult run_one(const std::string& opts, const RawRatings& train, const RawRatings& test,
                  int threads) {
  Options o = Options::parse(opts);
  auto rec = Recommender::configure("autorec", o);
  FitContext ctx;
  ctx.threads = threads;
  if (g_verbose) ctx.notice_sink = [](const std::string& m) { std::printf("    %s\n", m.c_str()); };
  auto t0 = Clock::now();
  rec->fit(train, ctx);
  RunResult r;
  r.fit_s = since(t0);
  const auto& h = rec->history();
  r.epochs = static_cast<double>(h.size());
  double sum = 0;
  for (const auto& e : h) sum += e.seconds;
  r.epoch_s = h.empty() ? 0 : sum / static_cast<double>(h.size());
  const auto& m = dynamic_cast<const AutoRecModel&>(rec->model());
  r.best_epoch = m.train_result().best_epoch;
  r.val_rmse = m.train_result().best_validation_rmse;
  auto t1 = Clock::now();
  Evaluation ev = evaluate(*rec, test, 0, 4.0, nullptr, threads);
  r.predict_s = since(t1);
  r.rmse = ev.rmse;
  r.mae = ev.mae;
  r.bytes = static_cast<double>(rec->serialize().size());
  // Serving speed: score() for every training user, one thread.
  std::vector<float> s;
  auto t2 = Clock::now();
  const int32_t n_users = rec->users().size();
  for (int32_t u = 0; u < n_users; ++u) rec->score_user(u, s);
  r.score_ms = since(t2) * 1000 / n_users;
  return r;
}

void add(RunResult& a, const RunResult& b) {
  a.rmse += b.rmse, a.mae += b.mae, a.fit_s += b.fit_s, a.predict_s += b.predict_s;
  a.epochs += b.epochs, a.best_epoch += b.best_epoch, a.epoch_s += b.epoch_s, a.bytes += b.bytes;
  a.score_ms += b.score_ms, a.val_rmse += b.val_rmse;
}

void divide(RunResult& a, double n) {
  a.rmse /= n, a.mae /= n, a.fit_s /= n, a.predict_s /= n, a.epochs /= n, a.best_epoch /= n;
  a.epoch_s /= n, a.bytes /= n, a.score_ms /= n, a.val_rmse /= n;
}

void print_header(const char* what) {
  std::printf("\n%s\n", what);
  std::printf("%-46s %7s %7s %8s %8s %7s %6s %8s %9s %8s %9s\n", "model", "RMSE", "MAE", "val", "fit s",
              "epochs", "best", "s/epoch", "predict s", "score ms", "MB");
}

void print_row(const std::string& name, const RunResult& r) {
  std::printf("%-46s %7.4f %7.4f %8.4f %8.2f %7.1f %6.1f %8.3f %9.2f %8.3f %9.2f\n", name.c_str(),
              r.rmse, r.mae, r.val_rmse, r.fit_s, r.epochs, r.best_epoch, r.epoch_s, r.predict_s,
              r.score_ms, r.bytes / 1e6);
  std::fflush(stdout);
}

RunResult ml100k(const std::string& dir, const std::string& opts, int folds, int threads,
                 bool per_fold) {
  RunResult mean;
  for (int f = 1; f <= folds; ++f) {
    RawRatings train = bench::load_ratings(dir + "/u" + std::to_string(f) + ".base");
    RawRatings test = bench::load_ratings(dir + "/u" + std::to_string(f) + ".test");
    RunResult r = run_one(opts, train, test, threads);
    if (per_fold) print_row("  fold u" + std::to_string(f), r);
    add(mean, r);
  }
  divide(mean, folds);
  return mean;
}

RunResult ml1m(const std::string& dir, const std::string& opts, int splits, int threads,
               bool per_split) {
  RawRatings all = bench::load_ratings(dir + "/ratings.dat");
  RunResult mean;
  for (int s = 1; s <= splits; ++s) {
    RawRatings train, test;
    bench::split_90_10(all, static_cast<uint64_t>(s), train, test);
    RunResult r = run_one(opts, train, test, threads);
    if (per_split) print_row("  split seed " + std::to_string(s), r);
    add(mean, r);
  }
  divide(mean, splits);
  return mean;
}

// One training epoch (loss and gradient over all ratings) of I-AutoRec with one hidden layer:
// the sparse passes against the dense products, on the same weights.
void epoch_timing(const std::string& name, const RawRatings& raw, int hidden, int threads,
                  int repeats) {
  Dataset d = build_dataset(raw);
  SparseExamples ex = SparseExamples::from(d.matrix, true);
  NetShape shape{d.matrix.n_users(), {hidden}, Activation::Sigmoid, Activation::Identity, false};
  AutoRecNet<float> net(shape);
  net.init(1, 0.02, d.matrix.mean());
  ThreadPool pool(threads);
  std::vector<int32_t> all(static_cast<size_t>(ex.n_examples));
  for (size_t j = 0; j < all.size(); ++j) all[j] = static_cast<int32_t>(j);
  Batch batch;
  batch.build(ex, all.data(), all.size());
  NetWorkspace<float> ws;
  AlignedVector<float> grad(net.n_params());
  auto sparse = [&] {
    std::fill(grad.begin(), grad.end(), 0.f);
    return net.loss(ex, ex.value.data(), ex.value.data(), batch, grad.data(), ws, pool);
  };
  Eigen::MatrixXf R = Eigen::MatrixXf::Zero(ex.n_features, ex.n_examples);
  Eigen::MatrixXf M = Eigen::MatrixXf::Zero(ex.n_features, ex.n_examples);
  for (int32_t e = 0; e < ex.n_examples; ++e)
    for (int64_t p = ex.ptr[e]; p < ex.ptr[e + 1]; ++p) {
      R(ex.feature[p], e) = ex.value[p];
      M(ex.feature[p], e) = 1;
    }
  auto dense = [&] {
    std::fill(grad.begin(), grad.end(), 0.f);
    return net.dense_loss(R, M, grad.data(), pool);
  };
  auto best_of = [&](auto&& fn, double* loss) {
    double best = 1e30;
    for (int k = 0; k < repeats; ++k) {
      auto t = Clock::now();
      *loss = fn();
      best = std::min(best, since(t));
    }
    return best;
  };
  double ls = 0, ld = 0, dummy = 0;
  const double ts = best_of(sparse, &ls), td = g_sparse_only ? 1.0 : best_of(dense, &ld);
  const double t_fwd = best_of([&] {
    net.forward(ex, ex.value.data(), batch, ws, pool);
    return 0.0;
  }, &dummy);
  const double t_out = best_of([&] {
    return net.loss(ex, ex.value.data(), ex.value.data(), batch, nullptr, ws, pool);
  }, &dummy);
  const double fs = sparse_epoch_flops(shape, ex.nnz(), static_cast<size_t>(ex.n_examples));
  const double fd = dense_epoch_flops(shape, static_cast<size_t>(ex.n_examples));
  std::printf("%-34s %6s %10s %10s %9s %9s\n", name.c_str(), "", "seconds", "GFLOP", "GFLOP/s",
              "loss");
  std::printf("%-34s %6s %10.4f %10.3f %9.2f %9.1f\n", "  sparse epoch (observed only)", "",
              ts, fs / 1e9, fs / ts / 1e9, ls);
  std::printf("%-34s %6s %10.4f %10.3f %9.2f %9.1f\n", "  dense epoch (full matrices)", "", td,
              fd / 1e9, fd / td / 1e9, ld);
  std::printf("  sparse passes: input layer %.4f s, output layer %.4f s, backward %.4f s\n", t_fwd,
              t_out - t_fwd, ts - t_out);
  std::printf("  speed-up of the sparse epoch: %.1fx (%zu ratings, %d x %d, hidden %d, %d threads)\n",
              td / ts, ex.nnz(), ex.n_features, ex.n_examples, hidden, pool.size());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir100k = "../shared/data/ml-100k", dir1m = "../shared/data/ml-1m", opts;
  int folds = 5, splits = 5, threads = 0, repeats = 5;
  bool timing = true, run1m = false, only1m = false, timing_only = false, all = false;
  for (int a = 1; a < argc; ++a) {
    std::string s = argv[a];
    auto next = [&]() -> std::string {
      if (a + 1 >= argc) throw std::runtime_error("missing value after " + s);
      return argv[++a];
    };
    if (s == "--folds") folds = std::stoi(next());
    else if (s == "--splits") splits = std::stoi(next());
    else if (s == "--threads") threads = std::stoi(next());
    else if (s == "--repeats") repeats = std::stoi(next());
    else if (s == "--opts") opts = next();
    else if (s == "--no-timing") timing = false;
    else if (s == "--verbose") g_verbose = true;
    else if (s == "--sparse-only") g_sparse_only = true;
    else if (s == "--timing-only") timing_only = true;
    else if (s == "--all") all = true;
    else if (s == "--ml1m-only") run1m = only1m = true;
    else if (s == "--ml1m") {
      run1m = true;
      if (a + 1 < argc && argv[a + 1][0] != '-') dir1m = argv[++a];
    } else dir100k = s;
  }
  if (timing_only) {
    epoch_timing("ML-100K u1.base, I-AutoRec [500]", bench::load_ratings(dir100k + "/u1.base"), 500,
                 threads, repeats);
    return 0;
  }
  if (!opts.empty()) {
    if (only1m) {
      print_header(("ML-1M " + opts).c_str());
      print_row("mean", ml1m(dir1m, opts, splits, threads, true));
    } else {
      print_header(("ML-100K " + opts).c_str());
      print_row("mean", ml100k(dir100k, opts, folds, threads, true));
    }
    return 0;
  }
  std::printf("AutoRec benchmark: %s threads, load average at start %s\n",
              threads > 0 ? std::to_string(threads).c_str() : "all", load_average().c_str());
  struct Config {
    const char* name;
    const char* opts;
  };
  std::vector<Config> rows = {
      {"I-AutoRec (defaults: [500], lbfgs)", "{}"},
      {"U-AutoRec", R"({"variant": "user"})"},
      {"I-AutoRec deep [500, 250, 500]", R"({"hidden": [500, 250, 500]})"},
  };
  if (all) {
    rows.push_back({"I-AutoRec, rprop", R"({"optimizer": "rprop"})"});
    rows.push_back({"I-AutoRec, adam", R"({"optimizer": "adam"})"});
    rows.push_back({"I-AutoRec, tied weights", R"({"tied_weights": true})"});
    rows.push_back({"I-AutoRec, denoising 0.2 (rprop)", R"({"denoising": 0.2, "optimizer": "rprop"})"});
    rows.push_back({"I-AutoRec, no residual, no refit", R"({"residual": false, "refit": false})"});
    rows.push_back({"I-AutoRec deep, pretrained", R"({"hidden": [500, 250, 500], "pretrain": true})"});
  }
  if (!only1m) {
    char title[160];
    std::snprintf(title, sizeof title,
                  "ML-100K: mean over folds u1..u%d (val = validation RMSE at the chosen epoch)", folds);
    print_header(title);
    for (const Config& c : rows) print_row(c.name, ml100k(dir100k, c.opts, folds, threads, false));
    if (timing) {
      std::printf("\nOne training epoch, sparse passes vs dense products (best of %d)\n", repeats);
      epoch_timing("ML-100K u1.base, I-AutoRec [500]", bench::load_ratings(dir100k + "/u1.base"),
                   500, threads, repeats);
    }
  }
  if (run1m) {
    char title[200];
    std::snprintf(title, sizeof title,
                  "ML-1M, the paper's protocol: random 90/10 splits, seeds 1..%d, 10%% of the "
                  "training part for validation",
                  splits);
    print_header(title);
    for (size_t k = 0; k < (all ? rows.size() : 3); ++k)
      print_row(rows[k].name, ml1m(dir1m, rows[k].opts, splits, threads, splits > 1));
    if (timing) {
      RawRatings all1m = bench::load_ratings(dir1m + "/ratings.dat"), train, test;
      bench::split_90_10(all1m, 1, train, test);
      std::printf("\nOne training epoch, sparse passes vs dense products (best of 2)\n");
      epoch_timing("ML-1M split 1, I-AutoRec [500]", train, 500, threads, 2);
    }
  }
  return 0;
}
