// AutoRec benchmark: accuracy and speed on MovieLens 100K (official folds u1..u5), the sparse
// versus dense epoch, and optionally the paper's ML-1M protocol.
//
//   bench_autorec [ml-100k dir] [--folds N] [--threads N] [--opts JSON] [--no-timing]
//                 [--ml1m [dir]] [--splits N] [--ml1m-only]
//
// Run from /work/main (default data dirs ../shared/data/ml-100k and ../shared/data/ml-1m).
// --opts runs a single configuration (for tuning) instead of the standard table.
#include <Eigen/Core>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/models/autorec.hpp"
#include "core/parallel.hpp"
#include "core/recommender.hpp"
#include "movielens.hpp"

using namespace autorec;
using Clock = std::chrono::steady_clock;

namespace {

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

}  // namespace

int main(int argc, char** argv) {
  std::string dir100k = "../shared/data/ml-100k", dir1m = "../shared/data/ml-1m", opts;
  int folds = 5, splits = 5, threads = 0;
  bool timing = true, run1m = false, only1m = false;
  for (int a = 1; a < argc; ++a) {
    std::string s = argv[a];
    auto next = [&]() -> std::string {
      if (a + 1 >= argc) throw std::runtime_error("missing value after " + s);
      return argv[++a];
    };
    if (s == "--folds") folds = std::stoi(next());
    else if (s == "--splits") splits = std::stoi(next());
    else if (s == "--threads") threads = std::stoi(next());
    else if (s == "--opts") opts = next();
    else if (s == "--no-timing") timing = false;
    else if (s == "--ml1m-only") run1m = only1m = true;
    else if (s == "--ml1m") {
      run1m = true;
      if (a + 1 < argc && argv[a + 1][0] != '-') dir1m = argv[++a];
    } else dir100k = s;
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
  return 0;
}
