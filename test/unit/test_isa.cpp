// Unit tests of the instruction-set levels (core/isa.hpp): the levels this build and CPU have,
// and every model family trained and served at each level against the same family at the
// "default" level (the library's own flags). The levels compute in different orders (vector
// widths, FMA), so results agree within tolerances, never bit for bit. In a build for one CPU
// there is one level and the comparison is trivial; scripts/test.sh runs these tests in the
// portable build (OPTFLAGS=""), where there are three on an AVX-512 machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/isa.hpp"
#include "core/options/options.hpp"
#include "core/ratings.hpp"
#include "core/recommender.hpp"

using namespace autorec;

namespace {

// Restores the level in use when a test ends.
struct LevelGuard {
  std::string saved = isa_level();
  ~LevelGuard() { set_isa_level(saved); }
};

// 80 users x 60 items, 40% observed, ratings 1..5 from a rank-3 model plus noise (fixed seed).
RawRatings synthetic() {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int users = 80, items = 60, rank = 3;
  std::vector<double> p(users * rank), q(items * rank);
  for (double& v : p) v = normal(rng);
  for (double& v : q) v = normal(rng);
  RawRatings r;
  for (int u = 0; u < users; ++u)
    for (int i = 0; i < items; ++i) {
      if (unit(rng) > 0.4) continue;
      double s = 3.2 + 0.3 * normal(rng);
      for (int f = 0; f < rank; ++f) s += 0.5 * p[u * rank + f] * q[i * rank + f];
      r.add(u + 1, i + 1, std::clamp(std::round(s), 1.0, 5.0));
    }
  return r;
}

struct Served {
  std::vector<double> predictions;  // rating families: every (user, item) of a grid
  std::vector<std::vector<ScoredId>> lists;  // top 10 of some users
};

Served train_and_serve(const std::string& algorithm, const std::string& options,
                       const RawRatings& data) {
  auto rec = Recommender::configure(algorithm, Options::parse(options));
  FitContext ctx;
  rec->fit(data, ctx);
  Served s;
  for (int64_t u = 1; u <= 80; u += 7) {
    s.lists.push_back(rec->recommend(u, 10, true, nullptr));
    if (rec->score_kind() == ScoreKind::Rating)
      for (int64_t i = 1; i <= 60; i += 3) s.predictions.push_back(rec->predict(u, i));
  }
  return s;
}

struct Case {
  const char* algorithm;
  const char* options;
};

// Small configurations of every family (but content, which needs feature tables and is not
// dispatched); one thread, so that only the level differs.
const Case kCases[] = {
    {"baseline", R"({"threads": 1})"},
    {"knn", R"({"threads": 1, "similarity": "pearson_baseline", "predictor": "baseline"})"},
    {"svd", R"({"threads": 1, "method": "sgd", "factors": 20, "epochs": 10})"},
    {"svd", R"({"threads": 1, "method": "als", "factors": 20, "epochs": 5})"},
    {"svd", R"({"threads": 1, "method": "svdpp", "factors": 10, "epochs": 5})"},
    {"autorec", R"({"threads": 1, "hidden": [40], "optimizer": "adam", "epochs": 20})"},
    {"ease", R"({"threads": 1})"},
    {"ials", R"({"threads": 1, "factors": 16, "epochs": 5})"},
    {"itemknn", R"({"threads": 1})"},
    {"popularity", R"({"threads": 1})"},
    {"ranking_autorec", R"({"threads": 1, "hidden": [32], "epochs": 5})"},
};

}  // namespace

TEST(IsaLevels, ListsTheLevelsOfThisBuildAndRefusesOthers) {
  LevelGuard guard;
  const std::vector<std::string> levels = isa_levels();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.back(), "default");
  EXPECT_NE(std::find(levels.begin(), levels.end(), isa_level()), levels.end());
  std::string listed;
  for (const std::string& l : levels) listed += " " + l;
  std::printf("instruction-set levels on this CPU:%s; in use: %s\n", listed.c_str(),
              isa_level().c_str());
  EXPECT_THROW(set_isa_level("x86-64-v9"), Error);
#ifdef AUTOREC_TEST_ISA_VARIANTS
  // A portable build: every variant it was built with that this CPU runs is offered, and the
  // best one is the default choice (unless AUTOREC_ISA forces one).
  std::istringstream built(AUTOREC_TEST_ISA_VARIANTS);
  for (std::string level; built >> level;) {
    __builtin_cpu_init();
    const bool cpu = (level == "x86-64-v3" && __builtin_cpu_supports("x86-64-v3")) ||
                     (level == "x86-64-v4" && __builtin_cpu_supports("x86-64-v4"));
    EXPECT_EQ(std::find(levels.begin(), levels.end(), level) != levels.end(), cpu) << level;
  }
#endif
}

TEST(IsaLevels, EveryFamilyAgreesAtEveryLevel) {
  LevelGuard guard;
  const RawRatings data = synthetic();
  const std::vector<std::string> levels = isa_levels();
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(c.algorithm) + " " + c.options);
    set_isa_level("default");
    const Served ref = train_and_serve(c.algorithm, c.options, data);
    for (const std::string& level : levels) {
      if (level == "default") continue;
      SCOPED_TRACE(level);
      set_isa_level(level);
      ASSERT_EQ(isa_level(), level);
      const Served got = train_and_serve(c.algorithm, c.options, data);
      ASSERT_EQ(got.predictions.size(), ref.predictions.size());
      double worst = 0;
      for (size_t k = 0; k < ref.predictions.size(); ++k)
        worst = std::max(worst, std::fabs(got.predictions[k] - ref.predictions[k]));
      // Ratings 1..5: the levels' rounding differences, grown over the epochs, stay far below
      // what would change a recommendation.
      EXPECT_LT(worst, 0.02) << "largest prediction difference";
      double worst_score = 0;
      for (size_t u = 0; u < std::min(got.lists.size(), ref.lists.size()); ++u)
        for (size_t k = 0; k < std::min(got.lists[u].size(), ref.lists[u].size()); ++k)
          worst_score =
              std::max(worst_score, std::fabs(got.lists[u][k].score - ref.lists[u][k].score));
      std::printf("%s %s at %s: largest difference from default: prediction %.2g, score %.2g\n",
                  c.algorithm, c.options, level.c_str(), worst, worst_score);
      ASSERT_EQ(got.lists.size(), ref.lists.size());
      for (size_t u = 0; u < ref.lists.size(); ++u) {
        ASSERT_EQ(got.lists[u].size(), ref.lists[u].size());
        // The same items with nearly the same scores; near-ties may swap places.
        double scale = 1e-6;
        for (const ScoredId& s : ref.lists[u]) scale = std::max(scale, std::fabs(s.score));
        for (size_t k = 0; k < ref.lists[u].size(); ++k) {
          EXPECT_NEAR(got.lists[u][k].score, ref.lists[u][k].score, 0.01 * scale) << "rank " << k;
          auto it = std::find_if(got.lists[u].begin(), got.lists[u].end(),
                                 [&](const ScoredId& s) { return s.id == ref.lists[u][k].id; });
          if (it == got.lists[u].end())  // dropped out: must have been at the tie edge
            EXPECT_NEAR(ref.lists[u][k].score, got.lists[u].back().score, 0.01 * scale);
        }
      }
    }
  }
}
