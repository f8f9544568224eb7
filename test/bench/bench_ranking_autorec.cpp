// Benchmark of the ranking autoencoder (Mult-DAE): top-N quality by the project's protocol
// (every item the user has not rated in training is ranked, relevant = test rating >= 4,
// k = 10, mean over users with a relevant test item), training time and score() time.
//
//   bench_ranking_autorec [ml100k_dir] [ml1m_ratings.dat]   test table for the defaults
//   bench_ranking_autorec --select R [ml100k_dir] [ml1m]     validation grid, round R (10% of
//                                                             the training data held out, seed 7)
//   bench_ranking_autorec --options '{...}' [dir] [ml1m]     test table for other options
//                                                             (repeatable)
// The model is not registered yet, so this evaluates it directly with rank_scores().
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/model.hpp"
#include "core/models/autorec/ranking.hpp"
#include "core/options/options.hpp"
#include "movielens.hpp"
#include "timing.hpp"

using namespace autorec;

namespace {

using bench::now;
using bench::thread_cpu;

// CPU seconds of all threads of this process: the training's work, which other processes on a
// loaded machine do not inflate (its wall time on 2 idle cores is about half of it).
double process_cpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Result {
  double precision = 0, recall = 0, ndcg = 0, fit_s = 0, fit_cpu_s = 0, score_us = 0;
  size_t users = 0;
};

// The top 10 of `scores` among the items the user did not rate in training, as external ids.
std::vector<int64_t> top10(std::vector<float>& scores, const SparseRow& rated, const IdMap& items) {
  for (size_t k = 0; k < rated.n; ++k) scores[rated.index[k]] = -INFINITY;
  std::vector<int32_t> idx(scores.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int32_t>(i);
  const size_t n = std::min<size_t>(10, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n), idx.end(),
                    [&](int32_t a, int32_t b) { return scores[a] != scores[b] ? scores[a] > scores[b] : a < b; });
  std::vector<int64_t> out;
  for (size_t k = 0; k < n; ++k)
    if (scores[idx[k]] > -INFINITY) out.push_back(items.id(idx[k]));
  return out;
}

// Trains `options` on `train` (popularity = count of training ratings when options is
// "popular") and ranks for every test user with a relevant item.
Result run(const std::string& options, const RawRatings& train, const RawRatings& test,
           int threads) {
  Result res;
  Dataset d = build_dataset(train);
  TrainingData data{&d.matrix, nullptr, &d.users, &d.items};
  std::unique_ptr<Model> model;
  std::vector<float> popularity;
  double t0 = now(), c0 = process_cpu();
  if (options == "popular") {
    popularity.resize(static_cast<size_t>(d.matrix.n_items()));
    for (int32_t i = 0; i < d.matrix.n_items(); ++i)
      popularity[i] = static_cast<float>(d.matrix.item(i).n);
  } else {
    Options o = Options::parse(options);
    model = make_ranking_autorec_model(o);
    o.reject_unknown("ranking_autorec");
    FitContext ctx;
    ctx.threads = threads;
    ctx.seed = 42;
    model->fit(data, ctx);
  }
  res.fit_s = now() - t0;
  res.fit_cpu_s = process_cpu() - c0;

  std::map<int64_t, std::vector<int64_t>> relevant;
  for (size_t k = 0; k < test.size(); ++k)
    if (test.ratings[k] >= 4) relevant[test.users[k]].push_back(test.items[k]);
  std::vector<float> s(static_cast<size_t>(d.matrix.n_items()));
  double score_cpu = 0;
  for (auto& [uid, rel] : relevant) {
    const int32_t u = d.users.find(uid);
    UserProfile p{u, u >= 0 ? d.matrix.user(u) : SparseRow{}};
    double c0 = thread_cpu();
    if (model)
      model->score(p, s.data());
    else
      s = popularity;
    score_cpu += thread_cpu() - c0;
    RankingScores r = rank_scores(top10(s, p.ratings, d.items), rel, 10);
    res.precision += r.precision;
    res.recall += r.recall;
    res.ndcg += r.ndcg;
    ++res.users;
  }
  if (res.users) {
    res.precision /= static_cast<double>(res.users);
    res.recall /= static_cast<double>(res.users);
    res.ndcg /= static_cast<double>(res.users);
    res.score_us = 1e6 * score_cpu / static_cast<double>(res.users);
  }
  return res;
}

struct Data {
  std::vector<RawRatings> folds_train, folds_test;  // ML-100K u1..u5
  RawRatings ml1m_train, ml1m_test;                 // 90/10 seed 1
  bool has_ml1m = false;
};

Data load(const std::string& dir, const std::string& ml1m) {
  Data d;
  for (int f = 1; f <= 5; ++f) {
    d.folds_train.push_back(bench::load_ratings(dir + "/u" + std::to_string(f) + ".base"));
    d.folds_test.push_back(bench::load_ratings(dir + "/u" + std::to_string(f) + ".test"));
  }
  if (!ml1m.empty()) {
    bench::split_90_10(bench::load_ratings(ml1m), 1, d.ml1m_train, d.ml1m_test);
    d.has_ml1m = true;
  }
  return d;
}

// Validation: 10% of a training set held out (seed 7), the rest trains.
Result validate(const std::string& options, const RawRatings& train, int threads) {
  RawRatings fit, val;
  bench::split_90_10(train, 7, fit, val);
  return run(options, fit, val, threads);
}

// The validation grids, in the order they were run: round 1 varies one thing at a time around
// [200], 40 epochs, dropout 0.5, batch 128, learning rate 0.002; round 2 combines what helped
// (more dropout, the threshold, fewer epochs on ML-1M) and tries a stronger L2 penalty; round 3
// refines around the best of round 2; round 4 looks for fewer or smaller steps (ML-1M, with
// 6 times ML-100K's users, overfits at the defaults).
const std::vector<std::vector<std::string>> kGrids = {
    {
        "popular",
        R"({"hidden": [200], "epochs": 40})",
        R"({"hidden": [600, 200], "epochs": 40})",
        R"({"hidden": [600], "epochs": 40})",
        R"({"hidden": [200], "epochs": 20})",
        R"({"hidden": [200], "epochs": 80})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.2})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7})",
        R"({"hidden": [200], "epochs": 40, "batch_size": 500, "learning_rate": 0.001})",
        R"({"hidden": [200], "epochs": 40, "threshold": 3.5})",
        R"({"hidden": [200], "epochs": 40, "lambda": 0.0001})",
    },
    {
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7, "threshold": 3.5})",
        R"({"hidden": [200], "epochs": 20, "dropout": 0.7, "threshold": 3.5})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.8, "threshold": 3.5})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7, "threshold": 3.5, "lambda": 0.1})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7, "threshold": 3.5, "lambda": 1})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7, "threshold": 3.5, "lambda": 10})",
        R"({"hidden": [600], "epochs": 40, "dropout": 0.7, "threshold": 3.5})",
        R"({"hidden": [600], "epochs": 40, "dropout": 0.7, "threshold": 3.5, "lambda": 1})",
    },
    {
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7, "threshold": 3.5, "lambda": 0.001})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7, "threshold": 3.5, "lambda": 0.01})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.6, "threshold": 3.5})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7, "threshold": 3.5, "learning_rate": 0.001})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7, "threshold": 3.5, "batch_size": 64})",
        R"({"hidden": [400], "epochs": 30, "dropout": 0.7, "threshold": 3.5})",
        R"({"hidden": [200], "epochs": 40, "dropout": 0.7})",
    },
    {
        R"({"hidden": [200], "epochs": 20, "threshold": 3.5, "learning_rate": 0.001})",
        R"({"hidden": [200], "epochs": 40, "threshold": 3.5, "learning_rate": 0.0005})",
        R"({"hidden": [600], "epochs": 20, "threshold": 3.5, "dropout": 0.8, "learning_rate": 0.001})",
        R"({"hidden": [200], "epochs": 40, "threshold": 3.5, "batch_size": 500})",
        R"({"hidden": [200], "epochs": 100, "threshold": 3.5, "batch_size": 500, "learning_rate": 0.001})",
    },
};

void select(const Data& d, size_t round, int threads) {
  const std::vector<std::string>& grid = kGrids.at(round - 1);
  std::printf("validation (10%% of the training data held out, seed 7), k = 10\n");
  std::printf("%-72s | %-13s | %-13s | %-6s\n", "configuration", "ML-100K u1", "ML-1M", "ML-1M");
  std::printf("%-72s | %6s %6s | %6s %6s | %6s\n", "", "P@10", "NDCG", "P@10", "NDCG", "fit s");
  for (const std::string& o : grid) {
    Result a = validate(o, d.folds_train[0], threads);
    Result b;
    if (d.has_ml1m) b = validate(o, d.ml1m_train, threads);
    std::printf("%-72s | %6.4f %6.4f | %6.4f %6.4f | %6.1f\n", o.c_str(), a.precision, a.ndcg,
                b.precision, b.ndcg, b.fit_s);
    std::fflush(stdout);
  }
}

void test_table(const Data& d, const std::vector<std::string>& configs, int threads) {
  std::printf("test, k = 10 (ML-100K: mean of u1..u5; ML-1M: 90/10 split seed 1), %d threads\n",
              threads);
  std::printf("%-40s | %-6s %6s %6s %6s %8s %9s %9s\n", "configuration", "data", "P@10", "R@10",
              "NDCG", "fit s", "fit cpu s", "score us");
  for (const std::string& o : configs) {
    Result m;
    for (size_t f = 0; f < d.folds_train.size(); ++f) {
      Result r = run(o, d.folds_train[f], d.folds_test[f], threads);
      m.precision += r.precision / 5;
      m.recall += r.recall / 5;
      m.ndcg += r.ndcg / 5;
      m.fit_s += r.fit_s / 5;
      m.fit_cpu_s += r.fit_cpu_s / 5;
      m.score_us += r.score_us / 5;
    }
    std::printf("%-40s | %-6s %6.4f %6.4f %6.4f %8.2f %9.2f %9.1f\n", o.c_str(), "100K",
                m.precision, m.recall, m.ndcg, m.fit_s, m.fit_cpu_s, m.score_us);
    std::fflush(stdout);
    if (!d.has_ml1m) continue;
    Result r = run(o, d.ml1m_train, d.ml1m_test, threads);
    std::printf("%-40s | %-6s %6.4f %6.4f %6.4f %8.2f %9.2f %9.1f\n", o.c_str(), "1M",
                r.precision, r.recall, r.ndcg, r.fit_s, r.fit_cpu_s, r.score_us);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t do_select = 0;  // the grid's round
  std::vector<std::string> configs{"popular"};
  std::vector<std::string> paths;
  for (size_t k = 0; k < args.size(); ++k) {
    if (args[k] == "--select" && k + 1 < args.size())
      do_select = std::stoul(args[++k]);
    else if (args[k] == "--options" && k + 1 < args.size())
      configs.push_back(args[++k]);
    else
      paths.push_back(args[k]);
  }
  const std::string dir = paths.size() > 0 ? paths[0] : "../shared/data/ml-100k";
  const std::string ml1m = paths.size() > 1 ? paths[1] : "";
  const int threads = 2;
  try {
    Data d = load(dir, ml1m);
    if (do_select) {
      select(d, do_select, threads);
      return 0;
    }
    // The defaults, and with MovieLens's ratings >= 4 as the items (chosen on validation; not
    // the default, which must suit implicit data too).
    if (configs.size() == 1) configs.insert(configs.end(), {"{}", R"({"threshold": 3.5})"});
    test_table(d, configs, threads);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
