// Unit tests for the popularity family, and through it for what every ranking family gets:
// unclipped scores, the popularity fallback, no predicted ratings, no RMSE, no baseline.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "core/models/popularity/popularity.hpp"
#include "core/options/options.hpp"
#include "core/recommender.hpp"

using namespace autorec;

namespace {

// Item 1 is viewed 4 times (user 1 twice), item 2 three times, item 3 twice, item 4 once.
RawRatings views() {
  RawRatings r;
  r.implicit = true;
  for (auto [u, i] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 1}, {1, 1}, {2, 1}, {3, 1}, {2, 2}, {3, 2}, {4, 2}, {4, 3}, {5, 3}, {5, 4}})
    r.add(u, i, 1.0);
  return r;
}

std::unique_ptr<Recommender> popularity(const RawRatings& raw = views()) {
  auto rec = Recommender::configure("popularity", Options::parse("{}"));
  FitContext ctx;
  rec->fit(raw, ctx);
  return rec;
}

}  // namespace

TEST(Popularity, ScoresAreInteractionCounts) {
  auto rec = popularity();
  EXPECT_EQ(rec->score_kind(), ScoreKind::Ranking);
  EXPECT_TRUE(rec->baseline().item.empty());  // a ranking family that did not ask for it
  const auto& m = static_cast<const PopularityModel&>(rec->model());
  ASSERT_EQ(m.counts().size(), 4u);
  EXPECT_FLOAT_EQ(m.counts()[0], 4.0f);  // the repeated view counts
  EXPECT_FLOAT_EQ(m.counts()[1], 3.0f);
  EXPECT_FLOAT_EQ(m.counts()[2], 2.0f);
  EXPECT_FLOAT_EQ(m.counts()[3], 1.0f);
  // User 5 saw 3 and 4: gets 1 then 2, scored by their counts (not clipped to a rating range).
  std::vector<ScoredId> top = rec->recommend(5, 10, true, nullptr);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, 1);
  EXPECT_DOUBLE_EQ(top[0].score, 4.0);
  EXPECT_EQ(top[1].id, 2);
  EXPECT_DOUBLE_EQ(top[1].score, 3.0);
}

TEST(Popularity, WeightsAddUp) {
  RawRatings r;
  r.implicit = true;
  r.add(1, 1, 0.5);
  r.add(2, 1, 0.5);
  r.add(1, 2, 3.0);
  auto rec = popularity(r);
  std::vector<ScoredId> top = rec->recommend(99, 2, true, nullptr);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, 2);
  EXPECT_DOUBLE_EQ(top[0].score, 3.0);
  EXPECT_DOUBLE_EQ(top[1].score, 1.0);
}

TEST(Popularity, RatingsAreCountedNotAdded) {
  // Given ratings (explicit input), an item's popularity is its number of raters; duplicate
  // ratings are averaged as for any rating input.
  RawRatings r;
  r.add(1, 1, 5);
  r.add(1, 1, 3);
  r.add(2, 1, 1);
  r.add(2, 2, 5);
  auto rec = popularity(r);
  EXPECT_EQ(rec->duplicates(), 1u);
  EXPECT_FLOAT_EQ(rec->ratings().rating(0, 0), 4.0f);
  std::vector<ScoredId> top = rec->recommend(99, 2, true, nullptr);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, 1);
  EXPECT_DOUBLE_EQ(top[0].score, 2.0);
  EXPECT_DOUBLE_EQ(top[1].score, 1.0);
  // Saved and loaded, the same (the kind of input is saved with the model).
  std::vector<uint8_t> bytes = rec->serialize();
  auto back = Recommender::deserialize(bytes.data(), bytes.size());
  std::vector<ScoredId> again = back->recommend(99, 2, true, nullptr);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_DOUBLE_EQ(again[0].score, 2.0);
}

TEST(Popularity, UnknownUsersGetThePopularityRanking) {
  auto rec = popularity();
  std::vector<ScoredId> cold = rec->recommend(12345, 3, true, nullptr);
  ASSERT_EQ(cold.size(), 3u);
  EXPECT_EQ(cold[0].id, 1);
  EXPECT_EQ(cold[1].id, 2);
  EXPECT_EQ(cold[2].id, 3);
  EXPECT_DOUBLE_EQ(cold[0].score, 4.0);
  // A user described at query time: the same list without the given items.
  std::vector<ScoredId> q = rec->recommend_for_ratings({1}, {1.0}, 2);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].id, 2);
  EXPECT_EQ(q[1].id, 3);
}

TEST(Popularity, PredictIsNotARating) {
  auto rec = popularity();
  try {
    rec->predict(1, 2);
    FAIL() << "a ranking model predicted a rating";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotSupported);
    EXPECT_NE(std::string(e.what()).find("does not predict ratings"), std::string::npos);
    EXPECT_NE(e.hint().find("svd"), std::string::npos) << e.hint();
  }
}

TEST(Popularity, SerializationRoundTrip) {
  auto rec = popularity();
  std::vector<uint8_t> bytes = rec->serialize();
  auto back = Recommender::deserialize(bytes.data(), bytes.size());
  EXPECT_EQ(back->algorithm(), "popularity");
  EXPECT_EQ(back->score_kind(), ScoreKind::Ranking);
  EXPECT_TRUE(back->baseline().item.empty());
  EXPECT_EQ(static_cast<const PopularityModel&>(back->model()).counts(),
            static_cast<const PopularityModel&>(rec->model()).counts());
  auto a = rec->recommend(5, 3, true, nullptr), b = back->recommend(5, 3, true, nullptr);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k].id, b[k].id);
  EXPECT_EQ(back->serialize(), bytes);
}

TEST(Popularity, EvaluateHasNoRmseAndImplicitTestPairsAreRelevant) {
  auto rec = popularity();
  // User 5 (saw 3, 4) is recommended [1, 2]; user 4 (saw 2, 3) [1, 4]; user 77 (unknown) [1, 2].
  RawRatings test;
  test.implicit = true;
  test.add(5, 2, 1);
  test.add(4, 4, 1);
  test.add(77, 3, 1);
  Evaluation ev = evaluate(*rec, test, 2, 4.0);
  EXPECT_TRUE(std::isnan(ev.rmse));
  EXPECT_TRUE(std::isnan(ev.mae));
  EXPECT_EQ(ev.n_ratings, 3u);
  EXPECT_EQ(ev.n_users, 3u);
  // Hits: user 5 yes (2 is 2nd), user 4 yes (4 is 2nd), user 77 no: precision@2 = (1/2+1/2+0)/3.
  EXPECT_NEAR(ev.precision_at_k, 1.0 / 3, 1e-12);
  EXPECT_NEAR(ev.recall_at_k, 2.0 / 3, 1e-12);
  // Explicit test ratings for a ranking model: relevance by threshold, still no RMSE.
  RawRatings rated;
  rated.add(5, 2, 5);
  rated.add(4, 4, 2);
  Evaluation ev2 = evaluate(*rec, rated, 2, 4.0);
  EXPECT_TRUE(std::isnan(ev2.rmse));
  EXPECT_NEAR(ev2.precision_at_k, 0.5, 1e-12);  // only user 5 has a relevant item
}

TEST(Evaluate, ImplicitTestDataForARatingModel) {
  RawRatings train;
  for (int64_t u = 1; u <= 4; ++u)
    for (int64_t i = 1; i <= 4; ++i)
      if (u != i) train.add(u, i, static_cast<double>(1 + (u + i) % 5));
  auto rec = Recommender::configure("baseline", Options::parse("{}"));
  FitContext ctx;
  rec->fit(train, ctx);
  RawRatings test;
  test.implicit = true;
  test.add(1, 1, 1);
  test.add(2, 2, 1);
  Evaluation ev = evaluate(*rec, test, 1, 4.0);
  EXPECT_TRUE(std::isnan(ev.rmse));  // no test ratings to compare with
  // Each user has one unseen item left: it is both the list and the relevant item.
  EXPECT_DOUBLE_EQ(ev.precision_at_k, 1.0);
}
