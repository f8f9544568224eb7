// Benchmark of the knn family: accuracy and speed on the ML-100K folds u1..u5, the AutoRec
// paper's ML-1M 90/10 split, and a synthetic 50,000-item set for peak memory and model size.
//
//   bench_knn [ml100k_dir] [ml1m_ratings.dat]   ML-100K table (+ ML-1M when a path is given)
//   bench_knn --ml1m [ml1m_ratings.dat] [opts]   ML-1M only (default ../shared/data/ml-1m/...)
//   bench_knn --memory                           synthetic set only (run alone: peak RSS)
//   bench_knn --options '{"k": 20}' [dir]        one variant of your own on ML-100K
//   bench_knn --select-damping [dir]             choose damping on validation splits only
//   bench_knn --score [dir]                      recommend()'s scoring on all of u.data
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/recommender.hpp"
#include "movielens.hpp"
#include "timing.hpp"

using namespace autorec;
using namespace autorec::bench;

namespace {

struct Run {
  double rmse = 0, mae = 0, fit_s = 0, predict_s = 0, score_ms = 0, bytes = 0;
};

// Trains on `train`, predicts every rating of `test`, scores all items for every test user.
Run run_once(const std::string& options, const RawRatings& train, const RawRatings& test) {
  Run r;
  auto rec = Recommender::configure("knn", Options::parse(options));
  FitContext ctx;
  double t0 = now();
  rec->fit(train, ctx);
  r.fit_s = now() - t0;
  std::vector<double> pred(test.size()), actual(test.ratings);
  t0 = now();
  for (size_t k = 0; k < test.size(); ++k) pred[k] = rec->predict(test.users[k], test.items[k]);
  r.predict_s = now() - t0;
  r.rmse = rmse(pred, actual);
  r.mae = mae(pred, actual);
  // The recommend() hot path: scores of all items for each training user of the test set.
  std::vector<float> scores;
  std::vector<int32_t> users;
  for (size_t k = 0; k < test.size(); ++k) {
    int32_t u = rec->users().find(test.users[k]);
    if (u >= 0) users.push_back(u);
  }
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  t0 = thread_cpu();
  for (int32_t u : users) rec->score_user(u, scores);
  r.score_ms = users.empty() ? 0 : (thread_cpu() - t0) * 1000 / static_cast<double>(users.size());
  r.bytes = static_cast<double>(rec->serialize().size());
  return r;
}

void print_header() {
  std::printf("%-52s %7s %7s %7s %8s %9s %10s\n", "variant (options)", "RMSE", "MAE", "fit s",
              "pred s", "score ms", "model KB");
}

void print_row(const std::string& name, const Run& r) {
  std::printf("%-52s %7.4f %7.4f %7.3f %8.3f %9.3f %10.1f\n", name.c_str(), r.rmse, r.mae, r.fit_s,
              r.predict_s, r.score_ms, r.bytes / 1024);
  std::fflush(stdout);
}

void ml100k(const std::string& dir, const char* custom) {
  struct Variant {
    const char* label;
    const char* options;
    const char* target;
  };
  const Variant variants[] = {
      {"item pearson_baseline + baseline",
       R"({"kind":"item","similarity":"pearson_baseline","predictor":"baseline"})",
       "<= 0.918 (Surprise KNNBaseline 0.9204)"},
      {"item pearson_baseline + baseline, damping 0 (Surprise)",
       R"({"kind":"item","similarity":"pearson_baseline","predictor":"baseline","damping":0})", ""},
      {"user msd + basic", R"({"kind":"user","similarity":"msd","predictor":"basic"})",
       "<= 0.980 (Surprise KNNBasic 0.9801)"},
      {"item pearson + means", R"({"kind":"item","similarity":"pearson","predictor":"means"})",
       "<= 0.942 (Surprise KNNWithMeans 0.9425)"},
      {"item cosine + basic (defaults)", R"({})", ""},
      {"item adjusted_cosine + baseline",
       R"({"kind":"item","similarity":"adjusted_cosine","predictor":"baseline"})", ""},
      {"item msd + zscore", R"({"kind":"item","similarity":"msd","predictor":"zscore"})", ""},
      {"user pearson_baseline + baseline",
       R"({"kind":"user","similarity":"pearson_baseline","predictor":"baseline"})", ""},
      {"user pearson + zscore", R"({"kind":"user","similarity":"pearson","predictor":"zscore"})",
       ""},
  };
  std::vector<Variant> list(std::begin(variants), std::end(variants));
  if (custom) list = {{custom, custom, ""}};
  std::vector<RawRatings> base, test;
  for (int f = 1; f <= 5; ++f) {
    base.push_back(bench::load_ratings(dir + "/u" + std::to_string(f) + ".base"));
    test.push_back(bench::load_ratings(dir + "/u" + std::to_string(f) + ".test"));
  }
  std::printf(
      "ML-100K, mean over folds u1..u5 (pred s = predicting the test fold, score ms = "
      "CPU time to score all items for one user)\n");
  print_header();
  for (const Variant& v : list) {
    Run mean;
    for (int f = 0; f < 5; ++f) {
      Run r = run_once(v.options, base[f], test[f]);
      mean.rmse += r.rmse / 5;
      mean.mae += r.mae / 5;
      mean.fit_s += r.fit_s / 5;
      mean.predict_s += r.predict_s / 5;
      mean.score_ms += r.score_ms / 5;
      mean.bytes += r.bytes / 5;
    }
    print_row(v.label, mean);
    if (*v.target) std::printf("    target RMSE %s\n", v.target);
  }
}

void ml1m(const std::string& path, const char* custom = nullptr) {
  RawRatings all = bench::load_ratings(path), train, test;
  bench::split_90_10(all, 1, train, test);
  std::printf("\nML-1M, random 90/10 split seed 1 (%zu train, %zu test ratings)\n", train.size(),
              test.size());
  print_header();
  const char* variants[][2] = {
      {"item pearson_baseline + baseline",
       R"({"kind":"item","similarity":"pearson_baseline","predictor":"baseline"})"},
      {"item pearson_baseline + baseline, damping 0 (Surprise)",
       R"({"kind":"item","similarity":"pearson_baseline","predictor":"baseline","damping":0})"}};
  for (const auto& v : variants) {
    if (custom && v != variants[0]) break;
    print_row(custom ? custom : v[0], run_once(custom ? custom : v[1], train, test));
    std::printf("    peak RSS of this process so far: %.0f MB\n", peak_rss_mb());
  }
  std::printf(
      "    target RMSE <= 0.852 (Surprise KNNBaseline 0.8538, fit 18.6 s, predict 33.7 s, "
      "973 MB)\n");
}

// 50,000 items, 2,000,000 ratings from a low-rank model with skewed item popularity and user
// activity (fixed seed), to bound training memory and model size.
void memory() {
  const int n_items = 50000, n_users = 40000, factors = 8;
  const size_t n_ratings = 2000000;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> uf(static_cast<size_t>(n_users) * factors),
      vf(static_cast<size_t>(n_items) * factors);
  for (double& x : uf) x = g(rng) * 0.4;
  for (double& x : vf) x = g(rng) * 0.4;
  // Zipf-like item popularity and lognormal user activity through cumulative weights.
  auto cumulative = [](std::vector<double> w) {
    for (size_t k = 1; k < w.size(); ++k) w[k] += w[k - 1];
    return w;
  };
  std::vector<double> iw(n_items), uw(n_users);
  for (int i = 0; i < n_items; ++i) iw[i] = 1.0 / std::pow(i + 10.0, 0.9);
  std::lognormal_distribution<double> act(0, 1);
  for (int u = 0; u < n_users; ++u) uw[u] = act(rng);
  std::vector<double> ic = cumulative(iw), uc = cumulative(uw);
  auto draw = [&](const std::vector<double>& c) {
    double x = std::uniform_real_distribution<double>(0, c.back())(rng);
    return static_cast<int>(std::lower_bound(c.begin(), c.end(), x) - c.begin());
  };
  RawRatings raw;
  for (size_t k = 0; k < n_ratings; ++k) {
    int u = draw(uc), i = draw(ic);
    double r = 3.5 + g(rng) * 0.8;
    for (int f = 0; f < factors; ++f) r += uf[u * factors + f] * vf[i * factors + f];
    raw.add(u, i, std::min(5.0, std::max(1.0, std::round(r))));
  }
  std::printf(
      "synthetic: %d users, %d items, %zu ratings drawn (seed 7); peak RSS after "
      "generating %.0f MB\n",
      n_users, n_items, raw.size(), peak_rss_mb());
  // pearson_baseline (support >= 2) and cosine (every co-rated pair counts: full lists).
  const char* variants[][2] = {
      {"item pearson_baseline + baseline",
       R"({"kind":"item","similarity":"pearson_baseline","predictor":"baseline"})"},
      {"item cosine + basic", R"({"kind":"item","similarity":"cosine"})"}};
  for (const auto& v : variants) {
    auto rec = Recommender::configure("knn", Options::parse(v[1]));
    FitContext ctx;
    ctx.notice_sink = [](const std::string& m) { std::printf("  %s\n", m.c_str()); };
    double t0 = now();
    rec->fit(raw, ctx);
    const double fit_s = now() - t0;
    std::vector<float> scores;
    const int n_score = 200;
    t0 = thread_cpu();
    for (int u = 0; u < n_score; ++u) rec->score_user(u * (rec->users().size() / n_score), scores);
    const double score_ms = (thread_cpu() - t0) * 1000 / n_score;
    const size_t bytes = rec->serialize().size();
    std::printf(
        "%s: %d items, %zu ratings kept, fit %.2f s, score %.3f ms/user (CPU), model "
        "%.1f MB, peak RSS so far %.0f MB\n",
        v[0], rec->items().size(), rec->ratings().nnz(), fit_s, score_ms,
        static_cast<double>(bytes) / (1 << 20), peak_rss_mb());
  }
  std::printf("    targets: peak RSS < 2048 MB, model < 200 MB\n");
}

// Model selection for the damping default without the test folds: each fold's training part
// is split 90/10 (seed = fold), the models train on the 90% and are scored on the 10%.
void select_damping(const std::string& dir) {
  const double values[] = {0, 0.1, 0.2, 0.3, 0.5, 1, 2};
  const char* models[][2] = {
      {"item pearson_baseline + baseline",
       R"("kind":"item","similarity":"pearson_baseline","predictor":"baseline")"},
      {"item pearson + means", R"("kind":"item","similarity":"pearson","predictor":"means")"},
      {"item msd + zscore", R"("kind":"item","similarity":"msd","predictor":"zscore")"}};
  std::vector<RawRatings> train(5), valid(5);
  for (int f = 1; f <= 5; ++f)
    bench::split_90_10(bench::load_ratings(dir + "/u" + std::to_string(f) + ".base"),
                       static_cast<uint64_t>(f), train[f - 1], valid[f - 1]);
  std::printf("ML-100K: validation RMSE (10%% of each u1..u5 training part), mean of 5\n");
  std::printf("%-36s", "variant \\ damping");
  for (double d : values) std::printf(" %7.2f", d);
  std::printf("\n");
  for (const auto& m : models) {
    std::printf("%-36s", m[0]);
    for (double d : values) {
      double mean = 0;
      for (int f = 0; f < 5; ++f) {
        char options[256];
        std::snprintf(options, sizeof options, "{%s,\"damping\":%g}", m[1], d);
        mean += run_once(options, train[f], valid[f]).rmse / 5;
      }
      std::printf(" %7.4f", mean);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
}

// The CPU cost of recommend()'s scoring step on the model bench/latency.sh serves (all of
// u.data): every user scored `rounds` times; mean per user over all rounds and in the fastest
// round (the least disturbed by other processes), and the slowest single user.
void score_cost(const std::string& dir) {
  RawRatings all = bench::load_ratings(dir + "/u.data");
  const char* variants[][2] = {
      {"item pearson_baseline + baseline",
       R"({"kind":"item","similarity":"pearson_baseline","predictor":"baseline"})"},
      {"item cosine + basic (defaults)", R"({})"},
      {"item pearson + means", R"({"kind":"item","similarity":"pearson","predictor":"means"})"}};
  const int rounds = 10;
  std::printf("ML-100K u.data: CPU time to score all items for one user (%d rounds)\n", rounds);
  std::printf("%-36s %10s %10s %10s\n", "variant", "mean ms", "best round", "worst ms");
  for (const auto& v : variants) {
    auto rec = Recommender::configure("knn", Options::parse(v[1]));
    FitContext ctx;
    rec->fit(all, ctx);
    std::vector<float> scores;
    const int32_t n = static_cast<int32_t>(rec->users().size());
    double total = 0, best_round = 1e300, worst = 0;
    for (int round = 0; round < rounds; ++round) {
      double round_total = 0;
      for (int32_t u = 0; u < n; ++u) {
        const double t0 = thread_cpu();
        rec->score_user(u, scores);
        const double t = thread_cpu() - t0;
        round_total += t;
        worst = std::max(worst, t);
      }
      total += round_total;
      best_round = std::min(best_round, round_total);
    }
    std::printf("%-36s %10.4f %10.4f %10.4f\n", v[0], total * 1000 / (rounds * n),
                best_round * 1000 / n, worst * 1000);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::strcmp(argv[1], "--memory") == 0) {
      memory();
      return 0;
    }
    if (argc > 1 && std::strcmp(argv[1], "--ml1m") == 0) {
      ml1m(argc > 2 ? argv[2] : "../shared/data/ml-1m/ratings.dat", argc > 3 ? argv[3] : nullptr);
      return 0;
    }
    if (argc > 1 && std::strcmp(argv[1], "--select-damping") == 0) {
      select_damping(argc > 2 ? argv[2] : "../shared/data/ml-100k");
      return 0;
    }
    if (argc > 1 && std::strcmp(argv[1], "--score") == 0) {
      score_cost(argc > 2 ? argv[2] : "../shared/data/ml-100k");
      return 0;
    }
    if (argc > 2 && std::strcmp(argv[1], "--options") == 0) {
      ml100k(argc > 3 ? argv[3] : "../shared/data/ml-100k", argv[2]);
      return 0;
    }
    ml100k(bench::ml100k_dir(argc, argv), nullptr);
    if (argc > 2) ml1m(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_knn: %s\n", e.what());
    return 1;
  }
  return 0;
}
