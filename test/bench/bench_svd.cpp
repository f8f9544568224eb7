// Benchmark of the latent-factor family (algorithm 'svd'): accuracy and speed on MovieLens
// 100K (official folds u1..u5), optionally ML-1M (the AutoRec paper's 90/10 split, seed 1) and
// a synthetic ML-10M-shaped data set for training speed.
//
//   build-svd/bench_svd [ml-100k dir]             ML-100K, methods sgd, als, svdpp (defaults)
//     --config '{"method":"sgd",...}'              replace the configurations (repeatable)
//     --validate                                   tuning mode: no test data; fit on 90% of each
//                                                  training fold, print the validation RMSE per
//                                                  epoch (mean over the folds)
//     --curves                                     with --validate: print every epoch
//     --folds N                                    only folds 1..N
//     --ml1m DIR                                   also ML-1M, 90/10 split with seed 1
//     --splits N                                   ML-1M: mean over the splits with seeds 1..N
//                                                  (the AutoRec paper's protocol repeats 5)
//     --scale                                      also the synthetic 10M-rating speed test
//     --scale-method M                             the same for method M only (repeatable; M may
//                                                  also be a whole configuration)
//     --scale-file F                               the speed test on F's ratings instead (lines
//                                                  "user item rating", e.g. bench/scale.sh's table)
//     --no100k                                     skip ML-100K
// Run from /work/main: the default data path is ../shared/data/ml-100k.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
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

double cpu() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

struct Run {
  double rmse = 0, mae = 0, fit_s = 0, fit_cpu = 0, eval_s = 0, bytes = 0;
  double score_us = 0, foldin_us = 0;  // score all items for a known user / a folded-in one
  int epochs = 0;
  std::vector<EpochStats> history;
};

// Adds r / n to the mean m of n runs (epochs: the last run's).
void add_to_mean(Run& m, const Run& r, int n) {
  m.rmse += r.rmse / n;
  m.mae += r.mae / n;
  m.fit_s += r.fit_s / n;
  m.fit_cpu += r.fit_cpu / n;
  m.eval_s += r.eval_s / n;
  m.score_us += r.score_us / n;
  m.foldin_us += r.foldin_us / n;
  m.bytes += r.bytes / n;
  m.epochs = r.epochs;
}

Run run_one(const std::string& config, const RawRatings& train, const RawRatings* test) {
  Run r;
  auto rec = Recommender::configure("svd", Options::parse(config));
  FitContext ctx;
  double t0 = now(), c0 = cpu();
  rec->fit(train, ctx);
  r.fit_s = now() - t0;
  r.fit_cpu = cpu() - c0;
  r.history = rec->history();
  r.epochs = static_cast<int>(r.history.size());
  if (test) {
    t0 = now();
    Evaluation ev = evaluate(*rec, *test, 10, 4.0);
    r.eval_s = now() - t0;
    r.rmse = ev.rmse;
    r.mae = ev.mae;
    // Serving: score() for every training user; recommend_for_ratings() (fold-in, then score
    // and top 10) for the first 100 users' training ratings.
    std::vector<float> out;
    const int32_t nu = rec->users().size();
    t0 = now();
    for (int32_t u = 0; u < nu; ++u) rec->score_user(u, out);
    r.score_us = (now() - t0) / nu * 1e6;
    const int32_t nf = std::min<int32_t>(nu, 100);
    t0 = now();
    for (int32_t u = 0; u < nf; ++u) {
      SparseRow row = rec->ratings().user(u);
      std::vector<int64_t> items;
      std::vector<double> values;
      for (size_t j = 0; j < row.n; ++j) {
        items.push_back(rec->items().id(row.index[j]));
        values.push_back(row.value[j]);
      }
      rec->recommend_for_ratings(items, values, 10);
    }
    r.foldin_us = (now() - t0) / nf * 1e6;
  }
  r.bytes = static_cast<double>(rec->serialize().size());
  return r;
}

// Adds validation_fraction/patience for the tuning mode: every epoch runs, none is kept back.
std::string with_validation(const std::string& config) {
  std::string c = config;
  size_t close = c.rfind('}');
  std::string sep = c.find(':') == std::string::npos ? "" : ", ";
  c.insert(close, sep + "\"validation_fraction\": 0.1, \"patience\": 1000");
  return c;
}

bool g_curves = false;  // --curves: print every epoch in validation mode

void print_history(const std::vector<std::vector<EpochStats>>& runs) {
  size_t n = 0;
  for (auto& h : runs) n = std::max(n, h.size());
  if (g_curves) std::printf("  epoch  train RMSE  valid RMSE\n");
  double best = 1e9;
  size_t best_e = 0;
  for (size_t e = 0; e < n; ++e) {
    double tr = 0, va = 0;
    int c = 0;
    for (auto& h : runs)
      if (e < h.size()) {
        tr += h[e].train_rmse;
        va += h[e].validation_rmse;
        ++c;
      }
    if (c != static_cast<int>(runs.size())) break;
    tr /= c;
    va /= c;
    if (va < best) best = va, best_e = e + 1;
    if (g_curves) std::printf("  %5zu  %10.4f  %10.4f\n", e + 1, tr, va);
  }
  std::printf("  best mean validation RMSE %.4f at epoch %zu\n", best, best_e);
}

void ml100k(const std::string& dir, const std::vector<std::string>& configs, bool validate,
            int folds) {
  std::vector<RawRatings> bases, tests;
  for (int f = 1; f <= folds; ++f) {
    bases.push_back(bench::load_ratings(dir + "/u" + std::to_string(f) + ".base"));
    if (!validate) tests.push_back(bench::load_ratings(dir + "/u" + std::to_string(f) + ".test"));
  }
  std::printf("\nML-100K, folds u1..u%d%s\n", folds,
              validate ? " (validation mode: 10% of each training fold held out)" : "");
  if (!validate)
    std::printf("%-36s %7s %7s %7s %7s %7s %8s %8s %6s %6s\n", "config", "RMSE", "MAE", "fit s",
                "cpu s", "eval s", "score us", "foldin us", "MB", "epochs");
  for (const std::string& c : configs) {
    if (validate) {
      std::printf("%s\n", c.c_str());
      std::vector<std::vector<EpochStats>> hist;
      double fit = 0;
      for (int f = 0; f < folds; ++f) {
        Run r = run_one(with_validation(c), bases[f], nullptr);
        hist.push_back(r.history);
        fit += r.fit_s;
      }
      print_history(hist);
      std::printf("  fit s per fold %.3f\n", fit / folds);
      std::fflush(stdout);
      continue;
    }
    Run m;
    for (int f = 0; f < folds; ++f) {
      add_to_mean(m, run_one(c, bases[f], &tests[f]), folds);
    }
    std::printf("%-36s %7.4f %7.4f %7.3f %7.3f %7.3f %8.1f %8.1f %6.2f %6d\n", c.c_str(), m.rmse,
                m.mae, m.fit_s, m.fit_cpu, m.eval_s, m.score_us, m.foldin_us, m.bytes / 1e6,
                m.epochs);
    std::fflush(stdout);
  }
  if (!validate)
    std::printf(
        "(per fold: fit s = wall time of the whole Recommender::fit incl. id mapping and"
        " baseline, cpu s = its CPU time over all threads; eval s = RMSE/MAE plus top-10 for"
        " every test user; score us = score() of all items for one known user; foldin us ="
        " recommend_for_ratings() with a user's ratings: fold-in, score, top 10)\n");
}

void ml1m(const std::string& dir, const std::vector<std::string>& configs, bool validate,
          int splits) {
  RawRatings all = bench::load_ratings(dir + "/ratings.dat");
  std::vector<RawRatings> trains(splits), tests(splits);
  for (int s = 0; s < splits; ++s) bench::split_90_10(all, s + 1, trains[s], tests[s]);
  std::printf(
      "\nML-1M, random 90/10 splits with seeds 1..%d (%zu train, %zu test in the first)%s\n",
      splits, trains[0].size(), tests[0].size(),
      validate ? ", validation mode (10% of train held out)" : "");
  for (const std::string& c : configs) {
    if (validate) {
      std::printf("%s\n", c.c_str());
      Run r = run_one(with_validation(c), trains[0], nullptr);
      print_history({r.history});
      std::printf("  fit s %.2f\n", r.fit_s);
      std::fflush(stdout);
      continue;
    }
    Run m;
    std::string per_split;
    for (int s = 0; s < splits; ++s) {
      Run r = run_one(c, trains[s], &tests[s]);
      add_to_mean(m, r, splits);
      char buf[32];
      std::snprintf(buf, sizeof buf, " %.4f", r.rmse);
      per_split += buf;
    }
    std::printf(
        "%-36s RMSE %.4f  MAE %.4f  fit %.2f s (cpu %.2f s)  eval %.2f s  %.1f MB  %d epochs"
        "%s%s\n",
        c.c_str(), m.rmse, m.mae, m.fit_s, m.fit_cpu, m.eval_s, m.bytes / 1e6, m.epochs,
        splits > 1 ? "  per split:" : "", splits > 1 ? per_split.c_str() : "");
    std::fflush(stdout);
  }
  if (!validate && splits > 1)
    std::printf("(mean over the splits; fit and eval seconds per split)\n");
}

// 70,000 users x 10,000 items, 10M distinct ratings: item popularity and user activity are
// long-tailed (Zipf-like), ratings come from a rank-10 model plus noise, rounded to 1..5.
RawRatings synthetic_10m(uint64_t seed) {
  const int n_users = 70000, n_items = 10000, rank = 10;
  const size_t target = 10000000;
  std::mt19937_64 rng(seed);
  std::vector<double> item_w(n_items), user_w(n_users);
  for (int i = 0; i < n_items; ++i) item_w[i] = 1.0 / std::pow(i + 10.0, 0.9);
  for (int u = 0; u < n_users; ++u) user_w[u] = 1.0 / std::pow(u + 50.0, 0.6);
  std::shuffle(item_w.begin(), item_w.end(), rng);
  double su = 0;
  for (double w : user_w) su += w;
  std::vector<double> cum(n_items);
  double acc = 0;
  for (int i = 0; i < n_items; ++i) cum[i] = (acc += item_w[i]);
  std::normal_distribution<float> nd(0, 1);
  std::vector<float> uf(static_cast<size_t>(n_users) * rank),
      vf(static_cast<size_t>(n_items) * rank);
  for (float& x : uf) x = nd(rng) * 0.4f;
  for (float& x : vf) x = nd(rng) * 0.4f;
  std::vector<float> ib(n_items);
  for (float& x : ib) x = nd(rng) * 0.4f;
  RawRatings r;
  r.users.reserve(target);
  r.items.reserve(target);
  r.ratings.reserve(target);
  std::vector<char> seen(n_items, 0);
  std::vector<int> mine;
  std::uniform_real_distribution<double> unif(0, acc);
  // Ratings per user: proportional to the weights (at least 20, at most half the items), the
  // rounding remainder spread one by one so that the total is exactly `target`.
  std::vector<size_t> count(n_users);
  size_t total = 0;
  for (int u = 0; u < n_users; ++u) {
    count[u] = std::min<size_t>(std::max<size_t>(20, static_cast<size_t>(target * user_w[u] / su)),
                                n_items / 2);
    total += count[u];
  }
  for (int u = 0; total < target; u = (u + 1) % n_users)
    if (count[u] < static_cast<size_t>(n_items / 2)) ++count[u], ++total;
  for (int u = 0; u < n_users; ++u) {
    const size_t want = count[u];
    mine.clear();
    while (mine.size() < want) {
      int i = static_cast<int>(std::lower_bound(cum.begin(), cum.end(), unif(rng)) - cum.begin());
      i = std::min(i, n_items - 1);
      if (seen[i]) continue;
      seen[i] = 1;
      mine.push_back(i);
    }
    for (int i : mine) {
      seen[i] = 0;
      float d = 3.6f + ib[i];
      for (int f = 0; f < rank; ++f)
        d += uf[static_cast<size_t>(u) * rank + f] * vf[static_cast<size_t>(i) * rank + f];
      d += nd(rng) * 0.8f;
      r.add(u, i, std::min(5.0f, std::max(1.0f, std::round(d))));
    }
  }
  return r;
}

void scale_test(const std::vector<std::string>& methods, const std::string& file) {
  double t0 = now();
  RawRatings r = file.empty() ? synthetic_10m(7) : bench::load_ratings(file);
  if (file.empty())
    std::printf(
        "\nSynthetic ML-10M shape: %zu ratings, 70,000 users, 10,000 items (generated in "
        "%.1f s)\n",
        r.size(), now() - t0);
  else
    std::printf("\n%s: %zu ratings (read in %.1f s)\n", file.c_str(), r.size(), now() - t0);
  for (const std::string& m : methods) {
    std::string c =
        m.front() == '{' ? m : "{\"method\": \"" + m + "\", \"factors\": 50, \"epochs\": 15}";
    auto rec = Recommender::configure("svd", Options::parse(c));
    FitContext ctx;
    t0 = now();
    const double c0 = cpu();
    rec->fit(r, ctx);
    double total = now() - t0, total_cpu = cpu() - c0, model = 0;
    for (const EpochStats& e : rec->history()) model += e.seconds;
    std::printf(
        "%-48s fit %.2f s wall, %.2f s cpu; epochs alone %.2f s wall; final train RMSE "
        "%.4f\n",
        c.c_str(), total, total_cpu, model, rec->history().back().train_rmse);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "../shared/data/ml-100k", ml1m_dir;
  std::vector<std::string> configs;
  std::vector<std::string> scale_methods;
  std::string scale_file;
  bool validate = false, scale = false, skip100k = false;
  int folds = 5, splits = 1;
  for (int a = 1; a < argc; ++a) {
    std::string s = argv[a];
    if (s == "--config" && a + 1 < argc)
      configs.push_back(argv[++a]);
    else if (s == "--validate")
      validate = true;
    else if (s == "--scale")
      scale = true;
    else if (s == "--scale-file" && a + 1 < argc)
      scale = true, scale_file = argv[++a];
    else if (s == "--scale-method" && a + 1 < argc)
      scale = true, scale_methods.push_back(argv[++a]);
    else if (s == "--curves")
      g_curves = true;
    else if (s == "--no100k")
      skip100k = true;
    else if (s == "--folds" && a + 1 < argc)
      folds = std::max(1, std::min(5, std::atoi(argv[++a])));
    else if (s == "--splits" && a + 1 < argc)
      splits = std::max(1, std::min(20, std::atoi(argv[++a])));
    else if (s == "--ml1m" && a + 1 < argc)
      ml1m_dir = argv[++a];
    else if (s.rfind("--", 0) != 0)
      dir = s;
    else {
      std::fprintf(stderr, "unknown argument %s\n", s.c_str());
      return 2;
    }
  }
  if (configs.empty())
    configs = {R"({"method": "sgd"})", R"({"method": "als"})", R"({"method": "svdpp"})"};
  try {
    if (!skip100k) ml100k(dir, configs, validate, folds);
    if (!ml1m_dir.empty()) ml1m(ml1m_dir, configs, validate, splits);
    if (scale)
      scale_test(scale_methods.empty() ? std::vector<std::string>{"sgd", "als"} : scale_methods,
                 scale_file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  if (!skip100k && !validate)
    std::printf(
        "\nSurprise 1.1.4 on the same folds: SVD 0.9380 / 0.7390 (0.61 s fit), SVD++ "
        "0.9218 / 0.7238 (16 s fit)\n");
  return 0;
}
