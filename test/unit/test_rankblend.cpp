// Unit tests of the ranking blend of the rating families (Recommender::ranking_scores): an
// implicit companion trained in the same call, the blend of its score and the predicted
// rating, rank_by 'rating', serialization (old payloads rank by rating) and the memory estimate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/options/options.hpp"
#include "core/ratings.hpp"
#include "core/recommender.hpp"
#include "core/registry.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

constexpr int64_t kPopular = 100, kObscure = 200;

// Users 1..30 rate items 1..10 (4 or 5). The popular item 100 is rated 4 by users 2..30, the
// obscure item 200 is rated 5 by users 29 and 30 only; item 300 is rated 1 by users 2..5 (so
// that the training range is 1..5). User 1 has rated neither 100 nor 200.
RawRatings popular_vs_obscure() {
  RawRatings r;
  for (int u = 1; u <= 30; ++u) {
    for (int i = 1; i <= 10; ++i) r.add(u, i, 4 + (u + i) % 2);
    if (u >= 2) r.add(u, kPopular, 4);
    if (u >= 29) r.add(u, kObscure, 5);
    if (u >= 2 && u <= 5) r.add(u, 300, 1);
  }
  return r;
}

std::unique_ptr<Recommender> trained(const std::string& family, const std::string& options,
                                     const RawRatings& r) {
  auto rec = Recommender::configure(family, Options::parse(options));
  FitContext ctx;
  rec->fit(r, ctx);
  return rec;
}

size_t position(const std::vector<ScoredId>& list, int64_t id) {
  for (size_t k = 0; k < list.size(); ++k)
    if (list[k].id == id) return k;
  return list.size();
}

}  // namespace

TEST(RankBlend, PopularLikedItemAboveAnObscureOneWithAHigherPredictedRating) {
  const RawRatings r = popular_vs_obscure();
  auto blend = trained("baseline", "{}", r);
  auto rating = trained("baseline", R"({"rank_by": "rating"})", r);
  // The premise: the obscure item's predicted rating is (slightly) higher.
  const double p_pop = blend->predict(1, kPopular), p_obs = blend->predict(1, kObscure);
  ASSERT_GT(p_obs, p_pop);
  ASSERT_LT(p_obs - p_pop, 1.0);
  // The blend (the default) puts the popular item first; ranking by rating, the obscure one.
  const std::vector<ScoredId> b = blend->recommend(1, 3, true, nullptr);
  const std::vector<ScoredId> o = rating->recommend(1, 3, true, nullptr);
  EXPECT_LT(position(b, kPopular), position(b, kObscure));
  EXPECT_LT(position(o, kObscure), position(o, kPopular));
  // The same for a user described at query time (user 1's ratings).
  std::vector<int64_t> items;
  std::vector<double> values;
  for (int i = 1; i <= 10; ++i) {
    items.push_back(i);
    values.push_back(4 + (1 + i) % 2);
  }
  const std::vector<ScoredId> f = blend->recommend_for_ratings(items, values, 3);
  EXPECT_LT(position(f, kPopular), position(f, kObscure));
  // The shown scores are the blend, best first; predictions are unchanged.
  for (size_t k = 1; k < b.size(); ++k) EXPECT_GE(b[k - 1].score, b[k].score);
  EXPECT_NEAR(rating->predict(1, kPopular), p_pop, 1e-9);
  EXPECT_NEAR(rating->predict(1, kObscure), p_obs, 1e-9);
}

TEST(RankBlend, EveryRatingFamilyBlendsByDefaultAndPredictsTheSame) {
  const RawRatings r = popular_vs_obscure();
  for (const Family& f : families()) {
    if (f.scores != ScoreKind::Rating || std::string(f.name) == "content") continue;
    auto blend = trained(f.name, "{}", r);
    auto rating = trained(f.name, R"({"rank_by": "rating"})", r);
    ASSERT_NE(blend->companion(), nullptr) << f.name;
    EXPECT_EQ(rating->companion(), nullptr) << f.name;
    // predict_rating (and so RMSE) does not depend on rank_by.
    for (int64_t u : {1, 7, 30})
      for (int64_t i : {int64_t{1}, int64_t{5}, kPopular, kObscure, int64_t{300}})
        EXPECT_NEAR(blend->predict(u, i), rating->predict(u, i), 1e-4) << f.name;
  }
}

TEST(RankBlend, RankByRatingGivesThePredictedRatingOrder) {
  auto rec = trained("svd", R"({"rank_by": "rating", "seed": 3})", popular_vs_obscure());
  const int32_t u = rec->users().find(1);
  std::vector<float> s;
  rec->score_user(u, s);
  const std::vector<ScoredId> list = rec->recommend(1, 20, false, nullptr);
  ASSERT_EQ(list.size(), static_cast<size_t>(rec->items().size()));
  for (size_t k = 0; k < list.size(); ++k) {
    const int32_t i = rec->items().find(list[k].id);
    EXPECT_NEAR(list[k].score, rec->clip(s[i]), 1e-6);
    if (k > 0) {
      const int32_t prev = rec->items().find(list[k - 1].id);
      EXPECT_GE(s[prev], s[i]);
    }
  }
}

TEST(RankBlend, BlendFormula) {
  // g = (clip(r) - 1) / 4; eps = 1e-3 max c.
  const float r[] = {5, 3, 1, 7, 0};
  const float c[] = {2, 4, 9, 0, 1};
  float out[5];
  Recommender::blend_scores(r, c, 5, 1, 5, 2, out);
  const double eps = 9e-3;
  EXPECT_NEAR(out[0], (2 + eps) * 1.0, 1e-5);
  EXPECT_NEAR(out[1], (4 + eps) * 0.25, 1e-5);
  EXPECT_NEAR(out[2], 0.0, 1e-6);
  EXPECT_NEAR(out[3], eps, 1e-6);  // above the range: clipped to g = 1
  EXPECT_NEAR(out[4], 0.0, 1e-6);
  // No companion support at all: the predicted rating's order.
  const float zero[] = {0, 0, 0, 0, 0};
  Recommender::blend_scores(r, zero, 5, 1, 5, 1, out);
  EXPECT_NEAR(out[0], 1.0, 1e-6);
  EXPECT_NEAR(out[1], 0.5, 1e-6);
  // beta = 0: the companion alone (plus eps) for items above the minimum rating.
  Recommender::blend_scores(r, c, 5, 1, 5, 0, out);
  EXPECT_NEAR(out[1], 4 + eps, 1e-5);
}

TEST(RankBlend, SerializationKeepsTheCompanion) {
  auto rec = trained("knn", R"({"rank_beta": 2.5})", popular_vs_obscure());
  const std::vector<uint8_t> bytes = rec->serialize();
  auto back = Recommender::deserialize(bytes.data(), bytes.size());
  ASSERT_NE(back->companion(), nullptr);
  EXPECT_EQ(back->rank_beta(), 2.5);
  for (int64_t u : {1, 2, 29}) {
    const std::vector<ScoredId> a = rec->recommend(u, 5, true, nullptr);
    const std::vector<ScoredId> b = back->recommend(u, 5, true, nullptr);
    ASSERT_EQ(a.size(), b.size());
    for (size_t k = 0; k < a.size(); ++k) {
      EXPECT_EQ(a[k].id, b[k].id);
      EXPECT_NEAR(a[k].score, b[k].score, 1e-6);
    }
  }
  // Damage in the section after the model is refused.
  const uint8_t* payload;
  size_t len;
  ModelHeader h = unframe_model(bytes.data(), bytes.size(), &payload, &len);
  Writer cw;
  rec->companion()->save(cw);
  std::vector<uint8_t> p(payload, payload + len);
  const size_t section = p.size() - cw.bytes().size() - sizeof(uint32_t) - sizeof(double);
  p[section] ^= 0xff;  // the section's tag
  const std::vector<uint8_t> bad = frame_model(h, p);
  EXPECT_THROW(Recommender::deserialize(bad.data(), bad.size()), Error);
}

TEST(RankBlend, APayloadWithoutTheCompanionRanksByRating) {
  // A payload as saved before the blend existed: the options without rank_by, nothing after
  // the model's own bytes.
  auto rec = trained("baseline", "{}", popular_vs_obscure());
  const std::vector<uint8_t> bytes = rec->serialize();
  const uint8_t* payload;
  size_t len;
  ModelHeader h = unframe_model(bytes.data(), bytes.size(), &payload, &len);
  Writer cw;
  rec->companion()->save(cw);
  const size_t cut = cw.bytes().size() + sizeof(uint32_t) + sizeof(double);
  ASSERT_GT(len, cut);
  const std::vector<uint8_t> old = frame_model(h, std::vector<uint8_t>(payload, payload + len - cut));
  auto back = Recommender::deserialize(old.data(), old.size());
  EXPECT_EQ(back->companion(), nullptr);
  const std::vector<ScoredId> list = back->recommend(1, 3, true, nullptr);
  EXPECT_LT(position(list, kObscure), position(list, kPopular));
  for (const ScoredId& s : list) {
    EXPECT_NEAR(s.score, back->predict(1, s.id), 1e-6);  // predicted ratings, as before
  }
}

TEST(RankBlend, TheEstimateIncludesTheCompanion) {
  auto blend = Recommender::configure("svd", Options::parse("{}"));
  auto rating = Recommender::configure("svd", Options::parse(R"({"rank_by": "rating"})"));
  Options none;
  auto companion = create_model("itemknn", none);
  for (int32_t scale : {1, 10}) {
    TrainingSize size;
    size.n_users = 1000 * scale;
    size.n_items = 500 * scale;
    size.nnz = 50000u * static_cast<size_t>(scale);
    const MemoryEstimate c = companion->estimated_memory(size);
    EXPECT_GT(c.training, 0u);
    const size_t with = blend->estimated_training_bytes(size, size.nnz);
    const size_t without = rating->estimated_training_bytes(size, size.nnz);
    // The companion's kept graph and its saved copies at least, its training peak at most.
    EXPECT_GE(with, without + c.kept) << scale;
    EXPECT_GE(with, c.training) << scale;
  }
}

TEST(RankBlend, BadOptions) {
  for (const char* o : {R"({"rank_by": "popularity"})", R"({"rank_beta": -1})",
                        R"({"rank_beta": "x"})"}) {
    try {
      Recommender::configure("svd", Options::parse(o));
      FAIL() << o;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter) << o;
    }
  }
  // Ranking families have no rank_by.
  EXPECT_THROW(Recommender::configure("itemknn", Options::parse(R"({"rank_by": "rating"})")),
               Error);
}
