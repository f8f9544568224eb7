// Unit tests for the itemknn family: the implicit cosine against a brute-force reference over
// whole columns, top-k selection, scoring as sums of neighbour similarities, fold-in,
// explanations, serialization and options.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/models/itemknn/itemknn.hpp"
#include "core/options/options.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

RatingMatrix random_matrix(int32_t users, int32_t items, double density, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> r(1, 5);
  std::vector<Triple> t;
  for (int32_t a = 0; a < users; ++a)
    for (int32_t i = 0; i < items; ++i)
      if (u(rng) < density * (1 + i % 3)) t.push_back({a, i, static_cast<float>(r(rng))});
  return RatingMatrix(users, items, t);
}

struct Fitted {
  RatingMatrix m;
  std::unique_ptr<Model> model;
  TrainingData td;
  const ItemKnnModel& knn() const { return dynamic_cast<const ItemKnnModel&>(*model); }
};

std::unique_ptr<Fitted> fit(const std::string& json, RatingMatrix m) {
  auto f = std::make_unique<Fitted>();
  f->m = std::move(m);
  std::string all = json;
  if (all.find("min_rating") == std::string::npos) all.insert(1, "\"min_rating\": -1e30, ");
  Options o = Options::parse(all);
  f->model = make_itemknn_model(o);  // every pair counts unless min_rating is given
  o.reject_unknown("itemknn");
  f->td.ratings = &f->m;
  f->td.explicit_ratings = true;  // the test matrices hold ratings 1..5
  FitContext ctx;
  ctx.threads = 2;
  f->model->fit(f->td, ctx);
  return f;
}

// s(i, j) over whole columns of the (weighted) matrix, straight from the definition.
double reference(const RatingMatrix& m, int32_t i, int32_t j, double shrink, double alpha,
                 bool values) {
  auto w = [&](float r) { return values ? static_cast<double>(r) : 1.0; };
  double ab = 0, aa = 0, bb = 0;
  for (int32_t u = 0; u < m.n_users(); ++u) {
    const float a = m.rating(u, i), b = m.rating(u, j);
    if (!std::isnan(a)) aa += w(a) * w(a);
    if (!std::isnan(b)) bb += w(b) * w(b);
    if (!std::isnan(a) && !std::isnan(b)) ab += w(a) * w(b);
  }
  return ab / (std::pow(aa, 1 - alpha) * std::pow(bb, alpha) + shrink);
}

float entry(const KnnGraph& g, int32_t i, int32_t j) {
  for (const KnnNeighbor* p = g.begin(i); p != g.end(i); ++p)
    if (p->index == j) return p->sim;
  return 0;
}

std::vector<float> scores(const Model& m, const UserProfile& p, int32_t n) {
  std::vector<float> s(static_cast<size_t>(n));
  m.score(p, s.data());
  return s;
}

}  // namespace

TEST(ItemKnn, SimilarityIsWholeColumnCosine) {
  struct Case {
    const char* json;
    double shrink, alpha;
    bool values;
  };
  for (const Case& c : {Case{"{\"k\": 100, \"shrinkage\": 0}", 0, 0.5, false},
                        Case{"{\"k\": 100, \"shrinkage\": 3, \"alpha\": 0.8}", 3, 0.8, false},
                        Case{"{\"k\": 100, \"shrinkage\": 1, \"weighting\": \"rating\"}", 1, 0.5,
                             true}}) {
    auto f = fit(c.json, random_matrix(40, 20, 0.1, 1));
    int positive = 0;
    for (int32_t i = 0; i < 20; ++i)
      for (int32_t j = 0; j < 20; ++j) {
        if (i == j) continue;
        const double want = reference(f->m, i, j, c.shrink, c.alpha, c.values);
        positive += want > 0;
        EXPECT_NEAR(entry(f->knn().graph(), i, j), want, 1e-6) << c.json << " " << i << "," << j;
      }
    EXPECT_GT(positive, 100);  // most pairs co-occur: the comparison is not all zeros
  }
  // Binary cosine of two 0/1 columns is not 1 just because they co-occur (the co-rated-only
  // cosine of the rating knn would be).
  auto f = fit("{\"shrinkage\": 0}", random_matrix(40, 20, 0.1, 1));
  EXPECT_LT(f->knn().graph().begin(0)->sim, 0.99f);
}

TEST(ItemKnn, KeepsTopK) {
  auto all = fit("{\"k\": 100, \"shrinkage\": 2}", random_matrix(60, 25, 0.1, 2));
  auto top = fit("{\"k\": 3, \"shrinkage\": 2}", random_matrix(60, 25, 0.1, 2));
  for (int32_t i = 0; i < 25; ++i) {
    const KnnGraph& g = top->knn().graph();
    ASSERT_EQ(g.end(i) - g.begin(i), 3);
    const KnnGraph& a = all->knn().graph();
    for (int q = 0; q < 3; ++q) {  // the 3 best of the full row, in order
      EXPECT_EQ(g.begin(i)[q].index, a.begin(i)[q].index);
      EXPECT_FLOAT_EQ(g.begin(i)[q].sim, a.begin(i)[q].sim);
    }
  }
  const auto sim = top->model->similar_items(4, 10);
  ASSERT_EQ(sim.size(), 3u);
  EXPECT_EQ(sim[0].index, top->knn().graph().begin(4)->index);
}

TEST(ItemKnn, ScoresAreSumsOfNeighbourSimilarities) {
  auto f = fit("{\"k\": 5, \"shrinkage\": 1}", random_matrix(50, 30, 0.08, 3));
  for (int32_t u : {0, 11, 42}) {
    const SparseRow r = f->m.user(u);
    const std::vector<float> s = scores(*f->model, {u, r}, 30);
    std::vector<int32_t> idx(r.index, r.index + r.n);
    std::vector<float> val(r.value, r.value + r.n);
    const std::vector<float> fresh = scores(*f->model, {-1, {idx.data(), val.data(), r.n}}, 30);
    for (int32_t j = 0; j < 30; ++j) {
      double want = 0;
      for (size_t k = 0; k < r.n; ++k) want += entry(f->knn().graph(), r.index[k], j);
      EXPECT_NEAR(s[j], want, 1e-5);
      EXPECT_NEAR(fresh[j], s[j], 1e-6);
      EXPECT_NEAR(f->model->predict({u, r}, j), want, 1e-5);
      double sum = 0;
      for (const Contribution& c : f->model->explain({u, r}, j)) sum += c.contribution;
      EXPECT_NEAR(sum, want, 1e-5);
    }
  }
}

TEST(ItemKnn, SaveLoadRoundTrip) {
  auto f = fit("{\"k\": 7, \"shrinkage\": 4, \"alpha\": 0.6, \"min_rating\": 3}",
               random_matrix(50, 30, 0.08, 4));
  Writer w;
  f->model->save(w);
  Options none;
  auto copy = make_itemknn_model(none);
  Reader r(w.bytes().data(), w.bytes().size());
  copy->load(r, f->td);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(dynamic_cast<const ItemKnnModel&>(*copy).options().k, 7);
  for (int32_t u = 0; u < 50; ++u) {
    const UserProfile p{u, f->m.user(u)};
    EXPECT_EQ(scores(*copy, p, 30), scores(*f->model, p, 30));
  }
  std::vector<uint8_t> bad = w.bytes();
  bad[7] = 0x7f;  // the high byte of k: far out of range
  Reader rb(bad.data(), bad.size());
  EXPECT_THROW(copy->load(rb, f->td), Error);
}

TEST(ItemKnn, OptionErrorsAndEstimate) {
  for (const char* bad : {"{\"k\": 0}", "{\"alpha\": 1.5}", "{\"shrinkage\": -1}",
                          "{\"weighting\": \"tfidf\"}"}) {
    Options o = Options::parse(bad);
    EXPECT_THROW(make_itemknn_model(o), Error) << bad;
  }
  Options o = Options::parse("{\"k\": 50}");
  auto m = make_itemknn_model(o);
  TrainingSize size;
  size.n_users = 6040;
  size.n_items = 3706;
  size.nnz = 900000;
  EXPECT_GE(m->estimated_memory(size).training, 16.0 * 3706 * 50);
  EXPECT_GE(m->estimated_memory(size).kept, 8.0 * 3706 * 50);
}

// min_rating (default 4) keeps the high ratings of explicit input; on interaction weights
// (implicit input, all 1 here) every pair counts, and what fit() decided is what is saved.
TEST(ItemKnn, MinRatingAppliesToRatingsOnly) {
  RatingMatrix ones = random_matrix(200, 60, 0.2, 5);
  std::vector<Triple> t = ones.triples();
  for (Triple& x : t) x.rating = 1.0f;
  RatingMatrix m(ones.n_users(), ones.n_items(), t);
  Options o;
  auto model = make_itemknn_model(o);
  TrainingData td;
  td.ratings = &m;
  FitContext ctx;
  model->fit(td, ctx);
  const auto& knn = dynamic_cast<const ItemKnnModel&>(*model);
  EXPECT_GT(knn.graph().ptr.back(), 0) << "implicit input: every pair counts";
  Options o2;
  auto rated = make_itemknn_model(o2);
  td.explicit_ratings = true;  // the same values read as ratings of 1: all below min_rating 4
  rated->fit(td, ctx);
  EXPECT_EQ(dynamic_cast<const ItemKnnModel&>(*rated).graph().ptr.back(), 0);
}
