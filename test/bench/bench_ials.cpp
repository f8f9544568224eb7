// Benchmark of the ials family (implicit ALS): top-N quality with the project's protocol
// (every item the user has not rated in training is ranked, relevant = test rating >= 4,
// k = 10, mean over users with at least one relevant test item), train seconds and score()
// microseconds. Defaults are chosen on validation splits only (10% of u1.base and of the
// ML-1M 90% training part held out, seed 7); the test folds are used once, for the defaults.
//
//   bench_ials [ml100k_dir] [ml1m_ratings.dat]        validation grid, then the test table
//   bench_ials --stage2 '<json>' [dirs]               stage 2 of the grid only, from <json>
//   bench_ials --test [ml100k_dir] [ml1m_ratings.dat]  the test table for the defaults only
//   bench_ials --options '{"factors": 128}' [dirs]   the test table for one variant
//
// The model is used directly (no Recommender: the registry line is the lead's), so the
// ranking is written out here: score() for every item, training items excluded, top 10;
// a user unknown to the training gets the most popular items (as recommend() falls back).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/model.hpp"
#include "core/models/ials/ials.hpp"
#include "core/options/options.hpp"
#include "core/registry.hpp"
#include "movielens.hpp"
#include "timing.hpp"

using namespace autorec;
using namespace autorec::bench;

namespace {

struct Result {
  double precision = 0, recall = 0, ndcg = 0, fit_s = 0, score_us = 0, fold_in_us = 0;
  size_t users = 0;
};

Result run(const std::string& options, const RawRatings& train_raw, const RawRatings& test) {
  Result res;
  const Dataset ds = build_dataset(train_raw);
  const RatingMatrix& m = ds.matrix;
  Options opts = Options::parse(options);
  auto model = create_model("ials", opts);  // at the instruction-set level in use (core/isa.hpp)
  opts.reject_unknown("ials");
  TrainingData data;
  data.ratings = &m;
  FitContext ctx;
  ctx.threads = 0;  // all cores
  double t0 = now();
  model->fit(data, ctx);
  res.fit_s = now() - t0;

  std::vector<int32_t> popular(static_cast<size_t>(m.n_items()));
  std::iota(popular.begin(), popular.end(), 0);
  std::stable_sort(popular.begin(), popular.end(),
                   [&](int32_t a, int32_t b) { return m.item(a).n > m.item(b).n; });

  std::map<int64_t, std::vector<size_t>> by_user;
  for (size_t r = 0; r < test.size(); ++r) by_user[test.users[r]].push_back(r);
  std::vector<float> scores(static_cast<size_t>(m.n_items()));
  std::vector<int32_t> order(static_cast<size_t>(m.n_items()));
  double score_s = 0, fold_s = 0;
  size_t scored = 0;
  const size_t k = 10;
  for (const auto& [user, rows] : by_user) {
    std::vector<int64_t> relevant;
    for (size_t r : rows)
      if (test.ratings[r] >= 4) relevant.push_back(test.items[r]);
    if (relevant.empty()) continue;
    std::vector<int64_t> rec;
    const int32_t u = ds.users.find(user);
    if (u < 0) {
      for (size_t j = 0; j < k && j < popular.size(); ++j) rec.push_back(ds.items.id(popular[j]));
    } else {
      UserProfile p;
      p.index = u;
      p.ratings = m.user(u);
      const double s0 = now();
      model->score(p, scores.data());
      score_s += now() - s0;
      ++scored;
      // The same user as a new one (index -1): fold-in, then the same product.
      UserProfile fresh = p;
      fresh.index = -1;
      const double s1 = now();
      model->score(fresh, scores.data());
      fold_s += now() - s1;
      model->score(p, scores.data());
      for (size_t j = 0; j < p.ratings.n; ++j) scores[p.ratings.index[j]] = -1e30f;
      std::iota(order.begin(), order.end(), 0);
      const size_t top = std::min(k, order.size());
      std::partial_sort(order.begin(), order.begin() + top, order.end(),
                        [&](int32_t a, int32_t b) { return scores[a] > scores[b]; });
      for (size_t j = 0; j < top; ++j) rec.push_back(ds.items.id(order[j]));
    }
    const RankingScores s = rank_scores(rec, relevant, k);
    res.precision += s.precision;
    res.recall += s.recall;
    res.ndcg += s.ndcg;
    ++res.users;
  }
  if (res.users) {
    res.precision /= res.users;
    res.recall /= res.users;
    res.ndcg /= res.users;
  }
  res.score_us = scored ? 1e6 * score_s / scored : 0;
  res.fold_in_us = scored ? 1e6 * fold_s / scored : 0;
  return res;
}

std::string ml1m_path(int argc, char** argv, int first) {
  return argc > first + 1 ? argv[first + 1] : "/work/shared/data/ml-1m/ratings.dat";
}

void test_table(const std::string& options, const std::string& dir100k, const std::string& ml1m) {
  std::printf("\nTEST, options %s\n", options.c_str());
  std::printf("%-22s %7s %7s %8s %8s %10s %11s\n", "data", "P@10", "R@10", "NDCG@10", "train s",
              "score us", "fold-in us");
  Result mean;
  for (int f = 1; f <= 5; ++f) {
    const std::string b = dir100k + "/u" + std::to_string(f);
    const Result r = run(options, bench::load_ratings(b + ".base"), bench::load_ratings(b + ".test"));
    std::printf("%-22s %7.4f %7.4f %8.4f %8.2f %10.1f %11.1f\n",
                ("ML-100K u" + std::to_string(f)).c_str(), r.precision, r.recall, r.ndcg, r.fit_s,
                r.score_us, r.fold_in_us);
    mean.precision += r.precision / 5;
    mean.recall += r.recall / 5;
    mean.ndcg += r.ndcg / 5;
    mean.fit_s += r.fit_s / 5;
    mean.score_us += r.score_us / 5;
    mean.fold_in_us += r.fold_in_us / 5;
  }
  std::printf("%-22s %7.4f %7.4f %8.4f %8.2f %10.1f %11.1f\n", "ML-100K mean u1..u5",
              mean.precision, mean.recall, mean.ndcg, mean.fit_s, mean.score_us, mean.fold_in_us);
  RawRatings train, test;
  bench::split_90_10(bench::load_ratings(ml1m), 1, train, test);
  const Result r = run(options, train, test);
  std::printf("%-22s %7.4f %7.4f %8.4f %8.2f %10.1f %11.1f\n", "ML-1M 90/10 seed 1", r.precision,
              r.recall, r.ndcg, r.fit_s, r.score_us, r.fold_in_us);
  std::fflush(stdout);
}

// The validation grid: each configuration on 10% of u1.base and of the ML-1M training part
// (seed 7); the chosen one has the best mean of the two NDCG@10.
std::string validate(const std::string& dir100k, const std::string& ml1m,
                     const std::string& stage2_from) {
  RawRatings fit100, val100, train1m, test1m, fit1m, val1m;
  bench::split_90_10(bench::load_ratings(dir100k + "/u1.base"), 7, fit100, val100);
  bench::split_90_10(bench::load_ratings(ml1m), 1, train1m, test1m);
  bench::split_90_10(train1m, 7, fit1m, val1m);
  std::vector<std::string> grid;
  for (int factors : {64, 128})
    for (double alpha0 : {0.03, 0.1, 0.3, 1.0})
      for (double lambda : {0.001, 0.003, 0.01, 0.03, 0.1}) {
        char buf[160];
        std::snprintf(buf, sizeof buf, R"({"factors": %d, "alpha0": %g, "lambda": %g})", factors,
                      alpha0, lambda);
        grid.push_back(buf);
      }
  std::printf("VALIDATION (10%% of u1.base / of the ML-1M 90%% train held out, seed 7)\n");
  std::printf("%-52s %7s %8s %7s %8s %7s\n", "options", "100K P", "100K N", "1M P", "1M N",
              "1M s");
  std::string best;
  double best_score = -1;
  auto consider = [&](const std::string& g) {
    const Result a = run(g, fit100, val100), b = run(g, fit1m, val1m);
    std::printf("%-52s %7.4f %8.4f %7.4f %8.4f %7.2f\n", g.c_str(), a.precision, a.ndcg,
                b.precision, b.ndcg, b.fit_s);
    std::fflush(stdout);
    if ((a.ndcg + b.ndcg) / 2 > best_score) {
      best_score = (a.ndcg + b.ndcg) / 2;
      best = g;
    }
  };
  if (stage2_from.empty())
    for (const std::string& g : grid) consider(g);
  else
    consider(stage2_from);
  // Stage 2, from the best of the grid: confidence weighting by rating (Hu et al.'s alpha,
  // which favours the pairs rated >= 4 the test counts as relevant) and the epoch count.
  const std::string base = best.substr(0, best.size() - 1);
  for (const char* extra : {R"(, "alpha": 0.3})", R"(, "alpha": 1})", R"(, "epochs": 8})",
                            R"(, "epochs": 32})"})
    consider(base + extra);
  std::printf("chosen on validation: %s (mean NDCG@10 %.4f)\n", best.c_str(), best_score);
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    int first = 1;
    std::string options = "{}";
    bool grid = true;
    std::string stage2_from;
    if (argc > 1 && !std::strcmp(argv[1], "--test")) {
      grid = false;
      first = 2;
    } else if (argc > 2 && !std::strcmp(argv[1], "--stage2")) {
      stage2_from = argv[2];
      first = 3;
    } else if (argc > 2 && !std::strcmp(argv[1], "--options")) {
      grid = false;
      options = argv[2];
      first = 3;
    }
    const std::string dir100k = argc > first ? argv[first] : "/work/shared/data/ml-100k";
    const std::string ml1m = ml1m_path(argc, argv, first);
    // The grid's choice, or the model's defaults / the given variant.
    test_table(grid ? validate(dir100k, ml1m, stage2_from) : options, dir100k, ml1m);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ials: %s\n", e.what());
    return 1;
  }
  return 0;
}
