// Unit tests for the knn family: similarities and predictors against values computed by hand
// (and by an independent brute-force reference), pruning, scoring, explanations, fold-in,
// serialization and option checking.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/models/knn/knn.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

// 6 users x 12 items, 7 or 8 ratings each, so that every row has gaps.
const std::map<int64_t, std::map<int64_t, double>> kMatrix = {
    {1, {{101, 5}, {102, 3}, {103, 4}, {105, 1}, {107, 2}, {109, 5}, {111, 4}}},
    {2, {{101, 4}, {102, 2}, {104, 5}, {105, 2}, {106, 3}, {108, 4}, {110, 1}, {112, 3}}},
    {3, {{102, 5}, {103, 3}, {104, 4}, {106, 1}, {107, 4}, {109, 2}, {111, 5}, {112, 2}}},
    {4, {{101, 1}, {103, 2}, {104, 3}, {105, 5}, {108, 2}, {109, 4}, {110, 5}}},
    {5, {{101, 3}, {102, 4}, {105, 3}, {106, 5}, {107, 1}, {110, 2}, {111, 3}, {112, 4}}},
    {6, {{103, 5}, {104, 1}, {106, 2}, {107, 5}, {108, 3}, {109, 1}, {112, 5}}},
};

RawRatings matrix_ratings(int64_t skip_user = -1) {
  RawRatings r;
  for (const auto& [u, row] : kMatrix)
    if (u != skip_user)
      for (const auto& [i, v] : row) r.add(u, i, v);
  return r;
}

std::unique_ptr<Recommender> train(const std::string& opts, int64_t skip_user = -1) {
  Options o = Options::parse(opts);
  auto rec = Recommender::configure("knn", o);
  FitContext ctx;
  rec->fit(matrix_ratings(skip_user), ctx);
  return rec;
}

const KnnModel& knn(const Recommender& rec) { return dynamic_cast<const KnnModel&>(rec.model()); }

UserProfile profile(const Recommender& rec, int64_t user) {
  int32_t u = rec.users().find(user);
  return {u, rec.ratings().user(u)};
}

// Unclipped model prediction in external ids.
double raw_predict(const Recommender& rec, int64_t user, int64_t item) {
  return rec.model().predict(profile(rec, user), rec.items().find(item));
}

// The stored similarity of x -> y (external ids), 0 when y is not among x's neighbours.
double stored_sim(const Recommender& rec, int64_t x, int64_t y) {
  const KnnModel& m = knn(rec);
  const bool item = m.options().spec.kind == KnnKind::Item;
  const IdMap& ids = item ? rec.items() : rec.users();
  const int32_t xi = ids.find(x), yi = ids.find(y);
  for (const KnnNeighbor* p = m.graph().begin(xi); p != m.graph().end(xi); ++p)
    if (p->index == yi) return p->sim;
  return 0;
}

// An independent brute-force reference, written from the definitions (dense, pair by pair).
struct Reference {
  const Recommender& rec;
  std::string kind, sim, predictor;
  double shrinkage = 100;
  int min_support = 1;

  double rating(int32_t u, int32_t i) const { return rec.ratings().rating(u, i); }
  double user_mean(int32_t u) const {
    SparseRow r = rec.ratings().user(u);
    double s = 0;
    for (size_t k = 0; k < r.n; ++k) s += r.value[k];
    return s / r.n;
  }
  double item_mean(int32_t i) const {
    SparseRow c = rec.ratings().item(i);
    double s = 0;
    for (size_t k = 0; k < c.n; ++k) s += c.value[k];
    return s / c.n;
  }
  double sigma(bool of_item, int32_t x) const {
    SparseRow r = of_item ? rec.ratings().item(x) : rec.ratings().user(x);
    double m = of_item ? item_mean(x) : user_mean(x), ss = 0;
    for (size_t k = 0; k < r.n; ++k) ss += (r.value[k] - m) * (r.value[k] - m);
    double s = std::sqrt(ss / r.n);
    if (s > 1e-6) return s;
    double all = 0, sq = 0;
    for (float v : rec.ratings().user_values()) {
      all += v;
      sq += v * v;
    }
    double n = rec.ratings().nnz();
    return std::sqrt(sq / n - (all / n) * (all / n));
  }
  double transformed(int32_t u, int32_t i) const {
    double r = rating(u, i);
    if (sim == "adjusted_cosine") return kind == "item" ? r - user_mean(u) : r - item_mean(i);
    if (sim == "pearson_baseline") return r - rec.baseline().predict(u, i);
    return r;
  }
  // Similarity of rows x and y (items or users, dense indices).
  double similarity(int32_t x, int32_t y) const {
    const bool item = kind == "item";
    const int32_t n_other = item ? rec.ratings().n_users() : rec.ratings().n_items();
    std::vector<std::pair<double, double>> p;
    for (int32_t c = 0; c < n_other; ++c) {
      int32_t ux = item ? c : x, ix = item ? x : c, uy = item ? c : y, iy = item ? y : c;
      if (std::isnan(rating(ux, ix)) || std::isnan(rating(uy, iy))) continue;
      p.push_back({transformed(ux, ix), transformed(uy, iy)});
    }
    const int n = static_cast<int>(p.size());
    const int ms = sim == "pearson_baseline" ? std::max(2, min_support) : min_support;
    if (n == 0 || n < ms) return 0;
    if (sim == "msd") {
      double d = 0;
      for (auto [a, b] : p) d += (a - b) * (a - b);
      return 1 / (d / n + 1);
    }
    if (sim == "pearson") {
      double ma = 0, mb = 0;
      for (auto [a, b] : p) {
        ma += a / n;
        mb += b / n;
      }
      for (auto& [a, b] : p) {
        a -= ma;
        b -= mb;
      }
    }
    double ab = 0, aa = 0, bb = 0;
    for (auto [a, b] : p) {
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    if (aa * bb <= 1e-12) return 0;
    double s = ab / std::sqrt(aa * bb);
    if (sim == "pearson_baseline") s *= (n - 1.0) / (n - 1.0 + shrinkage);
    return s;
  }
  // Surprise's estimate: the k most similar among those that rated (item-based: the user's
  // rated items), positive similarities only.
  double predict(int32_t u, int32_t i, int k, int min_k, double damping = 0,
                 int* used = nullptr) const {
    const bool item = kind == "item";
    struct Cand {
      double s;
      int32_t n;
      double r;
    };
    std::vector<Cand> c;
    if (item) {
      for (int32_t j = 0; j < rec.ratings().n_items(); ++j)
        if (j != i && !std::isnan(rating(u, j))) c.push_back({similarity(i, j), j, rating(u, j)});
    } else {
      for (int32_t v = 0; v < rec.ratings().n_users(); ++v)
        if (v != u && !std::isnan(rating(v, i))) c.push_back({similarity(u, v), v, rating(v, i)});
    }
    std::sort(c.begin(), c.end(),
              [](const Cand& a, const Cand& b) { return a.s != b.s ? a.s > b.s : a.n < b.n; });
    if (static_cast<int>(c.size()) > k) c.resize(k);
    c.erase(std::remove_if(c.begin(), c.end(), [](const Cand& x) { return x.s <= 0; }), c.end());
    const Biases& b = rec.baseline();
    double num = 0, den = 0;
    for (const Cand& x : c) {
      double dev = x.r;
      if (predictor == "means") dev = x.r - (item ? item_mean(x.n) : user_mean(x.n));
      if (predictor == "zscore")
        dev = (x.r - (item ? item_mean(x.n) : user_mean(x.n))) / sigma(item, x.n);
      if (predictor == "baseline") dev = x.r - (item ? b.predict(u, x.n) : b.predict(x.n, i));
      num += x.s * dev;
      den += x.s;
    }
    const bool enough = static_cast<int>(c.size()) >= min_k;
    if (used) *used = static_cast<int>(c.size());
    if (predictor == "basic") return enough ? num / den : rec.ratings().mean();
    double base = predictor == "baseline" ? b.predict(u, i) : item ? item_mean(i) : user_mean(u);
    double scale = predictor == "zscore" ? sigma(item, item ? i : u) : 1.0;
    return enough ? base + scale * num / (den + damping) : base;
  }
};

std::string opts(const std::string& kind, const std::string& sim, const std::string& pred,
                 const std::string& extra = "") {
  return R"({"threads": 1, "kind": ")" + kind + R"(", "similarity": ")" + sim +
         R"(", "predictor": ")" + pred + "\"" + extra + "}";
}

const char* kSims[] = {"cosine", "pearson", "adjusted_cosine", "msd", "pearson_baseline"};
const char* kPredictors[] = {"basic", "means", "zscore", "baseline"};
const char* kKinds[] = {"item", "user"};

}  // namespace

// Literal values worked out from the definitions (with the arithmetic for the simple ones).
TEST(Knn, SimilaritiesMatchHandComputedValues) {
  // item cosine(101, 102): co-raters u1 (5, 3), u2 (4, 2), u5 (3, 4):
  // (15 + 8 + 12) / sqrt((25 + 16 + 9) (9 + 4 + 16)) = 35 / sqrt(1450)
  EXPECT_NEAR(stored_sim(*train(opts("item", "cosine", "basic")), 101, 102), 35 / std::sqrt(1450.0),
              1e-6);
  EXPECT_NEAR(stored_sim(*train(opts("item", "cosine", "basic")), 103, 107), 0.948683298, 1e-6);
  // item msd(101, 102): differences 2, 2, -1: 1 / (9 / 3 + 1)
  EXPECT_NEAR(stored_sim(*train(opts("item", "msd", "basic")), 101, 102), 0.25, 1e-6);
  EXPECT_NEAR(stored_sim(*train(opts("item", "msd", "basic")), 103, 107), 0.375, 1e-6);
  // item pearson(101, 102): centred (1, 0, -1) and (0, -1, 1): -1 / 2 < 0, so not stored.
  EXPECT_EQ(stored_sim(*train(opts("item", "pearson", "basic")), 101, 102), 0.0);
  EXPECT_NEAR(stored_sim(*train(opts("item", "pearson", "basic")), 103, 107), 0.327326835, 1e-6);
  EXPECT_EQ(stored_sim(*train(opts("item", "adjusted_cosine", "basic")), 101, 102), 0.0);
  EXPECT_NEAR(stored_sim(*train(opts("item", "adjusted_cosine", "basic")), 103, 107), 0.507332764,
              1e-6);
  EXPECT_NEAR(stored_sim(*train(opts("item", "pearson_baseline", "baseline")), 103, 107),
              0.009797517, 1e-6);
  // user cosine(1, 3): items 102 (3, 5), 103 (4, 3), 107 (2, 4), 109 (5, 2), 111 (4, 5).
  EXPECT_NEAR(stored_sim(*train(opts("user", "cosine", "basic")), 1, 3), 0.874079211, 1e-6);
  EXPECT_NEAR(stored_sim(*train(opts("user", "cosine", "basic")), 2, 5), 0.943658630, 1e-6);
  EXPECT_NEAR(stored_sim(*train(opts("user", "pearson", "basic")), 2, 5), 0.454545455, 1e-6);
  EXPECT_NEAR(stored_sim(*train(opts("user", "adjusted_cosine", "basic")), 2, 5), 0.047425647,
              1e-6);
  EXPECT_NEAR(stored_sim(*train(opts("user", "msd", "basic")), 1, 3), 0.208333333, 1e-6);
  EXPECT_NEAR(stored_sim(*train(opts("user", "pearson_baseline", "baseline")), 2, 5), 0.006488256,
              1e-6);
  // A larger shrinkage scales pearson_baseline by (n - 1) / (n - 1 + shrinkage).
  double s100 = stored_sim(*train(opts("user", "pearson_baseline", "baseline")), 2, 5);
  double s0 =
      stored_sim(*train(opts("user", "pearson_baseline", "baseline", R"(,"shrinkage":0)")), 2, 5);
  // users 2 and 5 share 101, 102, 105, 106, 110, 112: n = 6
  EXPECT_NEAR(s100, s0 * 5 / 105, 1e-6);
}

TEST(Knn, EverySimilarityMatchesBruteForce) {
  for (const char* kind : kKinds)
    for (const char* sim : kSims)
      for (int min_support : {1, 4}) {
        auto rec =
            train(opts(kind, sim, "basic", ",\"min_support\":" + std::to_string(min_support)));
        Reference ref{*rec, kind, sim, "basic", 100, min_support};
        const KnnGraph& g = knn(*rec).graph();
        const int32_t n_x =
            std::string(kind) == "item" ? rec->ratings().n_items() : rec->ratings().n_users();
        ASSERT_EQ(g.rows(), n_x);
        for (int32_t x = 0; x < n_x; ++x) {
          std::map<int32_t, float> row;
          for (const KnnNeighbor* p = g.begin(x); p != g.end(x); ++p) row[p->index] = p->sim;
          for (int32_t y = 0; y < n_x; ++y) {
            if (y == x) continue;
            double expect = ref.similarity(x, y);
            double got = row.count(y) ? row[y] : 0.0;
            // Only positive similarities are stored.
            EXPECT_NEAR(got, expect > 0 ? expect : 0.0, 1e-5)
                << kind << " " << sim << " min_support " << min_support << " " << x << "," << y;
          }
          // Best first.
          for (const KnnNeighbor* p = g.begin(x) + 1; p < g.end(x); ++p)
            EXPECT_GE(p[-1].sim, p->sim);
        }
      }
}

TEST(Knn, PredictorsMatchHandComputedValues) {
  struct Case {
    const char *kind, *sim, *pred;
    double u1_i104, u4_i112_k2;
  };
  // Worked out from Surprise's definitions, independently of this code.
  const Case cases[] = {
      {"item", "cosine", "basic", 3.505023522, 3.508475014},
      {"item", "pearson", "means", 5.083333333, 3.875000000},
      {"item", "msd", "zscore", 3.744869435, 1.913925659},
      {"item", "pearson_baseline", "baseline", 5.058975239, 2.708906114},
      {"item", "adjusted_cosine", "baseline", 4.465482112, 2.010258884},
      {"user", "cosine", "basic", 3.413200268, 2.964999183},
      {"user", "pearson", "means", 5.428571429, 3.142857143},
      {"user", "msd", "zscore", 4.645753778, 2.579894180},
      {"user", "pearson_baseline", "baseline", 5.128122089, 3.272390547},
  };
  for (const Case& c : cases) {
    // damping 0 is Surprise's formula (the default 0.2 is not).
    const std::string surprise = std::string(c.pred) == "basic" ? "" : R"(,"damping":0)";
    auto rec = train(opts(c.kind, c.sim, c.pred, surprise));
    EXPECT_NEAR(raw_predict(*rec, 1, 104), c.u1_i104, 1e-5) << c.kind << " " << c.sim;
    auto rec2 = train(opts(c.kind, c.sim, c.pred, R"(,"k":2)" + surprise));
    EXPECT_NEAR(raw_predict(*rec2, 4, 112), c.u4_i112_k2, 1e-5) << c.kind << " " << c.sim;
    // Recommender::predict clips to the training range [1, 5].
    EXPECT_NEAR(rec->predict(1, 104), std::min(5.0, c.u1_i104), 1e-5);
  }
}

TEST(Knn, EveryPredictorMatchesBruteForceAndScoreAgrees) {
  for (const char* kind : kKinds)
    for (const char* sim : kSims)
      for (const char* pred : kPredictors)
        for (int k : {2, 40}) {
          std::string extra = ",\"k\":" + std::to_string(k);
          if (std::string(pred) != "basic") extra += ",\"damping\":0.5";
          auto rec = train(opts(kind, sim, pred, extra));
          Reference ref{*rec, kind, sim, pred};
          std::vector<float> scores;
          for (int32_t u = 0; u < rec->ratings().n_users(); ++u) {
            rec->score_user(u, scores);
            UserProfile p{u, rec->ratings().user(u)};
            for (int32_t i = 0; i < rec->ratings().n_items(); ++i) {
              if (!std::isnan(rec->ratings().rating(u, i))) continue;
              double expect = ref.predict(u, i, k, 1, pred == std::string("basic") ? 0 : 0.5);
              double got = rec->model().predict(p, i);
              EXPECT_NEAR(got, expect, 1e-5)
                  << kind << " " << sim << " " << pred << " k " << k << " u " << u << " i " << i;
              EXPECT_NEAR(scores[i], got, 1e-4) << kind << " " << sim << " " << pred;
            }
          }
        }
}

TEST(Knn, FallsBackWithFewerThanMinKNeighbours) {
  // min_k = k = 40: no user has 40 neighbours here, so every prediction is the fallback.
  auto basic = train(opts("item", "cosine", "basic", R"(,"min_k":40)"));
  EXPECT_NEAR(raw_predict(*basic, 1, 104), basic->ratings().mean(), 1e-9);  // global mean
  auto means = train(opts("item", "pearson", "means", R"(,"min_k":40)"));
  // item 104: 5, 4, 3, 1 -> mean 3.25
  EXPECT_NEAR(raw_predict(*means, 1, 104), 3.25, 1e-6);
  auto umeans = train(opts("user", "pearson", "zscore", R"(,"min_k":40)"));
  EXPECT_NEAR(raw_predict(*umeans, 1, 104), 24.0 / 7, 1e-6);  // user 1's mean
  auto base = train(opts("item", "pearson_baseline", "baseline", R"(,"min_k":40)"));
  const int32_t u = base->users().find(1), i = base->items().find(104);
  EXPECT_NEAR(raw_predict(*base, 1, 104), base->baseline().predict(u, i), 1e-9);
  EXPECT_TRUE(base->model().explain(profile(*base, 1), i).empty());
}

TEST(Knn, PrunesToMaxNeighborsBySupportWeightedSimilarity) {
  for (const char* kind : kKinds)
    for (double beta : {0.0, 20.0}) {
      std::string extra = R"(,"k":3,"max_neighbors":3,"prune_shrinkage":)" + std::to_string(beta);
      auto rec = train(opts(kind, "msd", "basic", extra));
      auto full = train(opts(kind, "msd", "basic"));
      const KnnGraph& g = knn(*rec).graph();
      const KnnGraph& all = knn(*full).graph();
      const bool item = std::string(kind) == "item";
      for (int32_t x = 0; x < g.rows(); ++x) {
        // The kept ones are the 3 largest sim * n / (n + beta) of the full list ...
        std::vector<std::pair<double, int32_t>> keyed;
        for (const KnnNeighbor* p = all.begin(x); p != all.end(x); ++p) {
          int n = 0;  // co-ratings
          for (int32_t c = 0; c < (item ? rec->ratings().n_users() : rec->ratings().n_items());
               ++c) {
            bool a = !std::isnan(item ? rec->ratings().rating(c, x) : rec->ratings().rating(x, c));
            bool b = !std::isnan(item ? rec->ratings().rating(c, p->index)
                                      : rec->ratings().rating(p->index, c));
            n += a && b;
          }
          keyed.push_back(
              {-static_cast<double>(static_cast<float>(p->sim * (n / (n + beta)))), p->index});
        }
        std::sort(keyed.begin(), keyed.end());
        std::vector<int32_t> expect;
        for (size_t q = 0; q < std::min<size_t>(3, keyed.size()); ++q)
          expect.push_back(keyed[q].second);
        std::vector<int32_t> got;
        for (const KnnNeighbor* p = g.begin(x); p != g.end(x); ++p) got.push_back(p->index);
        ASSERT_LE(got.size(), 3u);
        std::sort(expect.begin(), expect.end());
        std::vector<int32_t> got_sorted = got;
        std::sort(got_sorted.begin(), got_sorted.end());
        EXPECT_EQ(got_sorted, expect) << kind << " beta " << beta << " row " << x;
        // ... stored with their own similarity, best first.
        for (const KnnNeighbor* p = g.begin(x) + 1; p < g.end(x); ++p) EXPECT_GE(p[-1].sim, p->sim);
      }
    }
  // Item 1 agrees perfectly with item 2 on one user (msd 1) and nearly with item 3 on four
  // (msd 1 / 1.25 = 0.8). With one slot, prune_shrinkage 0 keeps item 2, the default keeps 3
  // (0.8 * 4 / 24 > 1 * 1 / 21).
  RawRatings r;
  r.add(1, 1, 5);
  r.add(1, 2, 5);
  for (int u = 2; u <= 5; ++u) {
    r.add(u, 1, 4);
    r.add(u, 3, u % 2 ? 4.5 : 3.5);
  }
  for (const char* beta : {"0", "20"}) {
    auto rec = Recommender::configure(
        "knn", Options::parse(std::string(R"({"similarity":"msd","k":1,"max_neighbors":1,)") +
                              R"("prune_shrinkage":)" + beta + "}"));
    FitContext ctx;
    rec->fit(r, ctx);
    auto s = rec->similar_items(1, 5);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].id, std::string(beta) == "0" ? 2 : 3);
    EXPECT_NEAR(s[0].score, std::string(beta) == "0" ? 1.0 : 0.8, 1e-6);
  }
}

TEST(Knn, ScoreAgreesWithPredictWhenPruned) {
  // Pruned lists, several k: scoring must select exactly the neighbours predict() walks to.
  // (This matrix is small enough that scoring walks the lists; the inverted pass is checked
  // on a sparse matrix below.)
  for (const char* kind : kKinds)
    for (int k : {1, 2, 3, 5}) {
      auto rec = train(
          opts(kind, "cosine", "basic", ",\"k\":" + std::to_string(k) + ",\"max_neighbors\":5"));
      std::vector<float> scores;
      for (int32_t u = 0; u < rec->ratings().n_users(); ++u) {
        rec->score_user(u, scores);
        UserProfile p{u, rec->ratings().user(u)};
        for (int32_t i = 0; i < rec->ratings().n_items(); ++i)
          EXPECT_NEAR(scores[i], rec->model().predict(p, i), 1e-5) << kind << " k " << k;
      }
    }
}

TEST(Knn, ScoreAgreesWithPredictOnASparseMatrix) {
  // 400 items, users with 4 to 30 ratings of long-tailed popularity plus a few with 200: light
  // users take the inverted pass (with recounts from both ends of a list when a target has
  // more than k rated neighbours), heavy ones the walk. Every path must give predict()'s value.
  std::mt19937_64 rng(11);
  RawRatings raw;
  for (int64_t u = 0; u < 300; ++u) {
    const int n = u % 50 == 0 ? 200 : 4 + static_cast<int>(rng() % 27);
    for (int q = 0; q < n; ++q) {
      const double x = std::uniform_real_distribution<double>(0, 1)(rng);
      raw.add(u, static_cast<int64_t>(400 * x * x), 1 + static_cast<double>(rng() % 5));
    }
  }
  for (const char* sim : {"cosine", "pearson_baseline"})
    for (int k : {1, 3, 10, 40}) {
      auto rec = Recommender::configure(
          "knn", Options::parse(std::string(R"({"similarity":")") + sim +
                                R"(","predictor":"baseline","k":)" + std::to_string(k) + "}"));
      FitContext ctx;
      rec->fit(raw, ctx);
      std::vector<float> scores;
      for (int32_t u = 0; u < rec->ratings().n_users(); ++u) {
        rec->score_user(u, scores);
        UserProfile p{u, rec->ratings().user(u)};
        for (int32_t i = 0; i < rec->ratings().n_items(); ++i)
          ASSERT_NEAR(scores[i], rec->model().predict(p, i), 1e-4)
              << sim << " k " << k << " u " << u << " i " << i;
      }
    }
}

TEST(Knn, ExplainTermsSumToTheBasicPrediction) {
  for (const char* kind : kKinds) {
    auto rec = train(opts(kind, "cosine", "basic", R"(,"k":3)"));
    EXPECT_TRUE(rec->model().can_explain());
    EXPECT_EQ(rec->model().explains_with_users(), std::string(kind) == "user");
    int explained = 0;
    for (const auto& [user, row] : kMatrix)
      for (int64_t item = 101; item <= 112; ++item) {
        if (row.count(item)) continue;
        UserProfile p = profile(*rec, user);
        const int32_t i = rec->items().find(item);
        std::vector<Contribution> terms = rec->model().explain(p, i);
        if (terms.empty()) continue;
        ++explained;
        EXPECT_LE(terms.size(), 3u);
        double sum = 0;
        for (size_t t = 0; t < terms.size(); ++t) {
          sum += terms[t].contribution;
          if (t) EXPECT_GE(terms[t - 1].contribution, terms[t].contribution);
          EXPECT_GT(terms[t].similarity, 0);
        }
        EXPECT_NEAR(sum, rec->model().predict(p, i), 1e-6) << kind << " " << user << " " << item;
        // Each term: rating and similarity as stored.
        const Contribution& c = terms[0];
        if (std::string(kind) == "item") {
          EXPECT_DOUBLE_EQ(c.rating, row.at(rec->items().id(c.index)));
          EXPECT_NEAR(c.similarity, stored_sim(*rec, item, rec->items().id(c.index)), 1e-9);
        } else {
          EXPECT_DOUBLE_EQ(c.rating, kMatrix.at(rec->users().id(c.index)).at(item));
          EXPECT_NEAR(c.similarity, stored_sim(*rec, user, rec->users().id(c.index)), 1e-9);
        }
      }
    EXPECT_GT(explained, 20) << kind;
    // Through the Recommender, in external ids.
    auto ex = rec->explain(1, 104);
    ASSERT_FALSE(ex.empty());
    const IdMap& ids = std::string(kind) == "item" ? rec->items() : rec->users();
    EXPECT_GE(ids.find(ex[0].id), 0);
  }
  // For the baseline predictor the terms sum to the deviation from b_ui.
  auto rec = train(opts("item", "pearson_baseline", "baseline", R"(,"damping":1)"));
  UserProfile p = profile(*rec, 1);
  const int32_t i = rec->items().find(104);
  double sum = 0;
  for (const Contribution& c : rec->model().explain(p, i)) sum += c.contribution;
  EXPECT_NEAR(sum, rec->model().predict(p, i) - rec->baseline().predict(p.index, i), 1e-6);
}

TEST(Knn, SimilarItemsOnlyForItemBased) {
  auto rec = train(opts("item", "cosine", "basic"));
  EXPECT_TRUE(rec->model().has_item_similarity());
  auto s = rec->similar_items(103, 3);
  ASSERT_EQ(s.size(), 3u);
  for (size_t k = 1; k < s.size(); ++k) EXPECT_GE(s[k - 1].score, s[k].score);
  for (const ScoredId& x : s) EXPECT_NEAR(x.score, stored_sim(*rec, 103, x.id), 1e-9);
  EXPECT_NE(s[0].id, 103);
  auto user = train(opts("user", "cosine", "basic"));
  EXPECT_FALSE(user->model().has_item_similarity());
  EXPECT_THROW(user->similar_items(103, 3), Error);
}

TEST(Knn, NewUsersAreFoldedIn) {
  // Item-based basic: a new user with a training user's ratings is scored like that user.
  auto item = train(opts("item", "pearson", "basic"));
  std::vector<float> a(12), b(12);
  item->score_user(item->users().find(3), a);
  UserProfile p3 = profile(*item, 3);
  item->model().score(UserProfile{-1, p3.ratings}, b.data());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6);

  // User-based: train without user 6, then fold in 6's ratings; the neighbours are computed on
  // the fly and match the similarities a model trained with user 6 stores for 6.
  for (const char* sim : kSims)
    for (const char* pred : {"basic", "means", "zscore"}) {
      auto without = train(opts("user", sim, pred), 6);
      auto with = train(opts("user", sim, pred));
      const auto& row6 = kMatrix.at(6);
      std::vector<int32_t> idx;
      std::vector<float> val;
      for (const auto& [i, r] : row6) {
        idx.push_back(without->items().find(i));
        val.push_back(static_cast<float>(r));
      }
      UserProfile fresh{-1, {idx.data(), val.data(), idx.size()}};
      Reference ref{*with, "user", sim, pred};
      const int32_t u6 = with->users().find(6);
      for (int64_t item_id : {101, 102, 105, 110, 111}) {
        // the reference on the full data, user 6 being a row of it, gives the fold-in answer
        // because 6's similarities to the others use only co-ratings
        if (std::string(sim) == "adjusted_cosine" || std::string(sim) == "pearson_baseline")
          continue;  // their inputs (item means, biases) change when 6 is left out
        int used = 0;
        double expect = ref.predict(u6, with->items().find(item_id), 40, 1,
                                    knn(*with).options().damping, &used);
        // basic falls back to the global mean, which changes without user 6
        if (used == 0 && std::string(pred) == "basic") expect = without->ratings().mean();
        EXPECT_NEAR(without->model().predict(fresh, without->items().find(item_id)), expect, 1e-5)
            << sim << " " << pred << " item " << item_id;
      }
      std::vector<float> s(static_cast<size_t>(without->items().size()));
      without->model().score(fresh, s.data());
      for (int32_t i = 0; i < without->items().size(); ++i)
        EXPECT_NEAR(s[i], without->model().predict(fresh, i), 1e-5);
    }
  // Through the Recommender: recommendations for ratings given at query time.
  auto user = train(opts("user", "msd", "basic"));
  auto recs = user->recommend_for_ratings({101, 103, 999}, {5, 1, 3}, 4);
  ASSERT_EQ(recs.size(), 4u);
  for (const ScoredId& r : recs) EXPECT_TRUE(r.id != 101 && r.id != 103);
}

TEST(Knn, SerializationRoundTripGivesIdenticalPredictions) {
  for (const char* kind : kKinds)
    for (const char* pred : kPredictors) {
      std::string extra = R"(,"k":3,"max_neighbors":6)";
      if (std::string(pred) != "basic") extra += R"(,"damping":0.25)";
      auto rec = train(opts(kind, "pearson_baseline", pred, extra));
      std::vector<uint8_t> bytes = rec->serialize();
      auto back = Recommender::deserialize(bytes.data(), bytes.size());
      EXPECT_EQ(back->algorithm(), "knn");
      const KnnModel& a = knn(*rec);
      const KnnModel& b = knn(*back);
      EXPECT_EQ(b.options().k, 3);
      EXPECT_EQ(b.options().spec.max_neighbors, 6);
      EXPECT_EQ(b.options().damping, a.options().damping);
      EXPECT_EQ(a.graph().ptr, b.graph().ptr);
      for (const auto& [user, row] : kMatrix)
        for (int64_t item = 101; item <= 112; ++item)
          EXPECT_EQ(rec->predict(user, item), back->predict(user, item));
      std::vector<float> s1, s2;
      for (int32_t u = 0; u < rec->ratings().n_users(); ++u) {
        rec->score_user(u, s1);
        back->score_user(u, s2);
        EXPECT_EQ(s1, s2);
      }
      auto r1 = rec->recommend(2, 5, true, nullptr), r2 = back->recommend(2, 5, true, nullptr);
      ASSERT_EQ(r1.size(), r2.size());
      for (size_t k = 0; k < r1.size(); ++k) EXPECT_EQ(r1[k].id, r2[k].id);
    }
}

namespace {

// A knn payload written field by field, to feed load() corrupted values directly (the bytea's
// checksum would otherwise catch the change first).
struct Payload {
  uint8_t kind = 0, sim = 0, pred = 0;
  int32_t k = 2, min_k = 1, min_support = 1, max_neighbors = 3;
  double shrinkage = 100, prune = 20, damping = 0;
  std::vector<int64_t> ptr;
  std::vector<KnnNeighbor> nbr;
  uint32_t format = 1;

  std::vector<uint8_t> bytes() const {
    Writer w;
    w.put(format);
    w.put(kind);
    w.put(sim);
    w.put(pred);
    w.put(k);
    w.put(min_k);
    w.put(min_support);
    w.put(max_neighbors);
    w.put(shrinkage);
    w.put(prune);
    w.put(damping);
    w.put_vector(ptr);
    w.put_vector(nbr);
    return w.bytes();
  }
};

}  // namespace

TEST(Knn, LoadValidatesEveryIndex) {
  auto rec = train(opts("item", "cosine", "basic"));
  TrainingData data{&rec->ratings(), &rec->baseline()};
  const int32_t n = rec->ratings().n_items();  // 12
  auto base = [&] {
    Payload p;
    p.ptr.assign(static_cast<size_t>(n) + 1, 0);
    // item 0 -> {1: 0.9, 2: 0.5}, item 1 -> {0: 0.9}
    p.nbr = {{1, 0.9f}, {2, 0.5f}, {0, 0.9f}};
    for (int32_t x = 1; x <= n; ++x) p.ptr[x] = x == 1 ? 2 : 3;
    return p;
  };
  auto load = [&](const Payload& p) {
    std::vector<uint8_t> b = p.bytes();
    Reader r(b.data(), b.size());
    KnnModel m{KnnOptions{}};
    m.load(r, data);
    EXPECT_EQ(r.remaining(), 0u);
  };
  EXPECT_NO_THROW(load(base()));
  std::vector<std::pair<const char*, Payload>> bad;
  auto add = [&](const char* what, auto edit) {
    Payload p = base();
    edit(p);
    bad.push_back({what, p});
  };
  add("format", [](Payload& p) { p.format = 9; });
  add("kind", [](Payload& p) { p.kind = 2; });
  add("similarity", [](Payload& p) { p.sim = 5; });
  add("predictor", [](Payload& p) { p.pred = 4; });
  add("k = 0", [](Payload& p) { p.k = 0; });
  add("min_k > k", [](Payload& p) { p.min_k = 3; });
  add("k > max_neighbors", [](Payload& p) { p.k = 4; });
  add("negative shrinkage", [](Payload& p) { p.shrinkage = -1; });
  add("NaN damping", [](Payload& p) { p.damping = std::nan(""); });
  add("damping with basic", [](Payload& p) { p.damping = 1; });
  add("index out of range", [&](Payload& p) { p.nbr[1].index = n; });
  add("negative index", [](Payload& p) { p.nbr[1].index = -1; });
  add("self neighbour", [](Payload& p) { p.nbr[2].index = 1; });
  add("repeated neighbour", [](Payload& p) { p.nbr[1].index = 1; });
  add("unsorted similarities", [](Payload& p) { p.nbr[1].sim = 0.95f; });
  add("similarity > 1", [](Payload& p) { p.nbr[0].sim = 1.5f; });
  add("zero similarity", [](Payload& p) { p.nbr[1].sim = 0; });
  add("NaN similarity", [](Payload& p) { p.nbr[1].sim = std::nanf(""); });
  add("offsets decrease", [](Payload& p) { p.ptr[1] = 3, p.ptr[2] = 2; });
  add("offsets past the end", [](Payload& p) { p.ptr.back() = 4; });
  add("first offset", [](Payload& p) { p.ptr[0] = 1; });
  add("row longer than max_neighbors", [](Payload& p) { p.max_neighbors = 1, p.k = 1; });
  add("short offsets", [](Payload& p) { p.ptr.pop_back(); });
  for (auto& [what, p] : bad) {
    try {
      load(p);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::CorruptModel) << what;
    }
  }
}

TEST(Knn, RejectsBadOptions) {
  auto rejects = [](const std::string& json, const std::string& name) {
    try {
      Recommender::configure("knn", Options::parse(json));
      ADD_FAILURE() << "accepted " << json;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  rejects(R"({"kind": "diagonal"})", "kind");
  rejects(R"({"similarity": "jaccard"})", "similarity");
  rejects(R"({"predictor": "svd"})", "predictor");
  rejects(R"({"k": 0})", "k");
  rejects(R"({"k": 2.5})", "k");
  rejects(R"({"min_k": 0})", "min_k");
  rejects(R"({"k": 5, "min_k": 6})", "min_k");
  rejects(R"({"k": 300, "max_neighbors": 100})", "max_neighbors");
  rejects(R"({"max_neighbors": 0})", "max_neighbors");
  rejects(R"({"min_support": 0})", "min_support");
  rejects(R"({"similarity": "pearson_baseline", "shrinkage": -1})", "shrinkage");
  rejects(R"({"similarity": "cosine", "shrinkage": 50})", "shrinkage");
  rejects(R"({"predictor": "basic", "damping": 1})", "damping");
  rejects(R"({"predictor": "means", "damping": -1})", "damping");
  rejects(R"({"prune_shrinkage": -3})", "prune_shrinkage");
  rejects(R"({"neighbours": 20})", "neighbours");
  rejects(R"({"kind": 1})", "kind");
  EXPECT_NO_THROW(Recommender::configure(
      "knn", Options::parse(R"({"kind": "user", "similarity": "pearson_baseline",)"
                            R"( "shrinkage": 50, "k": 20, "min_k": 2, "predictor": "baseline",)"
                            R"( "damping": 0.3, "max_neighbors": 100, "min_support": 2})")));
  auto damping = [](const char* json) {
    Options o = Options::parse(json);
    return KnnOptions::read(o).damping;
  };
  EXPECT_EQ(damping(R"({})"), 0.0);  // basic: Surprise's weighted average
  for (const char* pred : {"means", "zscore", "baseline"})
    EXPECT_EQ(damping(("{\"predictor\": \"" + std::string(pred) + "\"}").c_str()), 0.2) << pred;
  EXPECT_EQ(damping(R"({"predictor": "baseline", "damping": 0})"), 0.0);
}

TEST(Knn, ThreadsGiveTheSameGraphAndCancelStops) {
  for (const char* kind : kKinds) {
    auto one = train(opts(kind, "pearson", "basic"));
    Options o = Options::parse(R"({"threads": 2, "similarity": "pearson", "kind": ")" +
                               std::string(kind) + "\"}");
    auto two = Recommender::configure("knn", o);
    FitContext ctx;
    two->fit(matrix_ratings(), ctx);
    const KnnGraph &a = knn(*one).graph(), &b = knn(*two).graph();
    ASSERT_EQ(a.ptr, b.ptr);
    for (size_t e = 0; e < a.nnz(); ++e) {
      EXPECT_EQ(a.nbr[e].index, b.nbr[e].index);
      EXPECT_EQ(a.nbr[e].sim, b.nbr[e].sim);
    }
  }
  // Cancellation is polled between blocks of rows while the similarities are computed.
  RawRatings big;
  for (int u = 0; u < 300; ++u)
    for (int i = 0; i < 200; i += 1 + (u % 3)) big.add(u, i, 1 + (u * 7 + i * 3) % 5);
  Dataset d = build_dataset(big);
  Biases b = fit_biases(d.matrix, BiasOptions{});
  KnnModel model{KnnOptions{}};
  FitContext ctx;
  ctx.threads = 2;
  ctx.interrupt_check = [] { return true; };
  EXPECT_THROW(model.fit(TrainingData{&d.matrix, &b}, ctx), Cancelled);
}

TEST(Knn, EstimatesTrainingMemoryFromTheNeighbourCap) {
  KnnOptions o;
  o.spec.max_neighbors = 250;
  KnnModel item{o};
  auto size = [](int32_t users, int32_t items, size_t nnz) {
    TrainingSize s;
    s.n_users = users;
    s.n_items = items;
    s.nnz = nnz;
    s.threads = 2;
    return s;
  };
  // 50,000 items x 250 neighbours: at least the graph and its transpose (8 + 12 bytes an entry).
  const size_t est = item.estimated_memory(size(40000, 50000, 2000000)).training;
  EXPECT_GE(est, size_t{50000} * 250 * 20);
  EXPECT_LE(est, size_t{2} << 30);  // what the benchmark shows fits in 2 GB
  o.spec.kind = KnnKind::User;
  KnnModel user{o};
  EXPECT_LT(user.estimated_memory(size(1000, 50000, 2000000)).training, est);
  // A small catalogue caps the neighbours at the other rows, not at max_neighbors.
  EXPECT_LT(item.estimated_memory(size(10, 12, 60)).training, size_t{12} * 250 * 20);
}
