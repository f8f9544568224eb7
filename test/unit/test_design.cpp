// Unit tests for what every family shares: the registry (one factory shape, what the scores
// are), implicit input and the rating families' refusal of it.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/error.hpp"
#include "core/options/options.hpp"
#include "core/ratings.hpp"
#include "core/recommender.hpp"
#include "core/registry.hpp"

using namespace autorec;

namespace {

RawRatings implicit_rows() {
  RawRatings r;
  r.implicit = true;
  r.add(1, 10, 1);
  r.add(1, 10, 1);  // a repeated view: the weights add up
  r.add(1, 20, 2.5);
  r.add(2, 10, 1);
  r.add(3, 30, 1);
  return r;
}

}  // namespace

TEST(Registry, EveryFamilyHasOneFactoryAndADescription) {
  std::set<std::string> names;
  for (const Family& f : families()) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name << " is registered twice";
    EXPECT_GT(std::string(f.description).size(), 10u) << f.name;
    Options none;
    std::unique_ptr<Model> m = f.make(none);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->algorithm(), f.name);
    EXPECT_EQ(&find_family(f.name), &f);
  }
  EXPECT_EQ(names.size(), algorithm_names().size());
  try {
    find_family("nope");
    FAIL() << "an unknown algorithm was found";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
    EXPECT_NE(e.hint().find("svd"), std::string::npos) << e.hint();
  }
}

TEST(Registry, RatingFamiliesGetTheBaselineAndShowClippedScores) {
  for (const Family& f : families()) {
    if (f.scores != ScoreKind::Rating) continue;
    // content needs features; the others train on ratings alone.
    if (std::string(f.name) == "content") continue;
    RawRatings r;
    for (int u = 1; u <= 6; ++u)
      for (int i = 1; i <= 5; ++i)
        if ((u + i) % 3) r.add(u, i, 1 + (u * i) % 5);
    // Ranked by rating (rank_by 'rating'), a rating family shows clipped predicted ratings.
    auto rec = Recommender::configure(f.name, Options::parse(R"({"rank_by": "rating"})"));
    FitContext ctx;
    rec->fit(r, ctx);
    EXPECT_EQ(rec->score_kind(), ScoreKind::Rating);
    EXPECT_EQ(rec->baseline().item.size(), 5u) << f.name;
    for (const ScoredId& s : rec->recommend(1, 5, false, nullptr)) {
      EXPECT_GE(s.score, 1.0) << f.name;
      EXPECT_LE(s.score, 5.0) << f.name;
    }
    // An unknown user gets the items by mu + b_i.
    std::vector<ScoredId> cold = rec->recommend(999, 5, false, nullptr);
    ASSERT_EQ(cold.size(), 5u);
    for (size_t k = 0; k < cold.size(); ++k) {
      const int32_t i = rec->items().find(cold[k].id);
      EXPECT_NEAR(cold[k].score, rec->clip(rec->baseline().predict(-1, i)), 1e-5) << f.name;
    }
  }
}

TEST(Registry, RatingFamiliesRefuseImplicitInput) {
  for (const Family& f : families()) {
    if (f.scores != ScoreKind::Rating) continue;
    // content needs a feature source named (the refusal comes before any is read).
    const char* opts = std::string(f.name) == "content" ? R"({"item_features": "items"})" : "{}";
    auto rec = Recommender::configure(f.name, Options::parse(opts));
    FitContext ctx;
    try {
      rec->fit(implicit_rows(), ctx);
      FAIL() << f.name << " trained on implicit input";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter);
      EXPECT_NE(std::string(e.what()).find("needs a rating column"), std::string::npos) << e.what();
      EXPECT_NE(e.hint().find(algorithm_list(ScoreKind::Ranking)), std::string::npos) << e.hint();
    }
  }
}

TEST(ImplicitInput, WeightsAddUpAndMustBePositive) {
  Dataset d = build_dataset(implicit_rows());
  EXPECT_EQ(d.duplicates, 1u);
  EXPECT_FLOAT_EQ(d.matrix.rating(d.users.find(1), d.items.find(10)), 2.0f);
  EXPECT_FLOAT_EQ(d.matrix.rating(d.users.find(1), d.items.find(20)), 2.5f);
  std::vector<float> pop = item_interactions(d.matrix);
  EXPECT_FLOAT_EQ(pop[static_cast<size_t>(d.items.find(10))], 3.0f);
  EXPECT_FLOAT_EQ(pop[static_cast<size_t>(d.items.find(20))], 2.5f);
  EXPECT_FLOAT_EQ(pop[static_cast<size_t>(d.items.find(30))], 1.0f);
  for (double bad : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    RawRatings r = implicit_rows();
    r.add(4, 40, bad);
    try {
      build_dataset(r);
      FAIL() << "weight " << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::DataError);
      EXPECT_NE(std::string(e.what()).find("weight of user 4 for item 40"), std::string::npos)
          << e.what();
    }
  }
  // Explicit input keeps averaging duplicates, and a rating of 0 or below is a rating.
  RawRatings e;
  e.add(1, 10, 4);
  e.add(1, 10, 2);
  e.add(2, 10, -1);
  Dataset de = build_dataset(e);
  EXPECT_FLOAT_EQ(de.matrix.rating(0, 0), 3.0f);
  RawRatings none;
  none.implicit = true;
  try {
    build_dataset(none);
    FAIL();
  } catch (const Error& err) {
    EXPECT_STREQ(err.what(), "the source has no interactions");
  }
}
