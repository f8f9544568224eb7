// Unit tests for the shared core: options, ratings matrix, serialization, baseline, metrics.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "core/options.hpp"
#include "core/parallel.hpp"
#include "core/recommender.hpp"
#include "core/serialize.hpp"

using namespace autorec;

namespace {

RawRatings small_ratings() {
  // 3 users x 3 items, with a duplicate (10, 100) that is averaged to 4.
  RawRatings r;
  r.add(10, 100, 5);
  r.add(10, 100, 3);
  r.add(10, 200, 3);
  r.add(20, 100, 4);
  r.add(20, 300, 1);
  r.add(30, 200, 2);
  r.add(30, 300, 5);
  return r;
}

std::unique_ptr<Recommender> trained(const std::string& algo, const std::string& opts) {
  auto rec = Recommender::configure(algo, Options::parse(opts));
  FitContext ctx;
  rec->fit(small_ratings(), ctx);
  return rec;
}

}  // namespace

TEST(Options, TypedGettersAndErrors) {
  Options o = Options::parse(R"({"k": 40, "kind": "item", "hidden": [500, 250], "x": true})");
  EXPECT_EQ(o.integer("k", 1, 1, 100), 40);
  EXPECT_EQ(o.choice("kind", "user", {"item", "user"}), "item");
  EXPECT_EQ(o.integer_list("hidden", {1}, 1, 10000), (std::vector<int64_t>{500, 250}));
  EXPECT_THROW(o.reject_unknown("knn"), Error);  // "x" was never asked for
  EXPECT_TRUE(o.boolean("x", false));
  EXPECT_NO_THROW(o.reject_unknown("knn"));
  EXPECT_THROW(o.integer("k", 1, 50, 100), Error);
  EXPECT_THROW(Options::parse("[1]"), Error);
  EXPECT_THROW(Options::parse("{\"a\": "), Error);
  EXPECT_THROW(Options::parse(R"({"hidden": []})").integer_list("hidden", {1}, 1, 10), Error);
  try {
    Options::parse(R"({"kind": "diagonal"})").choice("kind", "item", {"item", "user"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kind"), std::string::npos);
    EXPECT_NE(e.hint().find("item, user"), std::string::npos);
  }
}

TEST(Ratings, DatasetMapsIdsAndAveragesDuplicates) {
  Dataset d = build_dataset(small_ratings());
  EXPECT_EQ(d.users.size(), 3);
  EXPECT_EQ(d.items.size(), 3);
  EXPECT_EQ(d.duplicates, 1u);
  EXPECT_EQ(d.matrix.nnz(), 6u);
  EXPECT_FLOAT_EQ(d.matrix.rating(d.users.find(10), d.items.find(100)), 4.0f);
  EXPECT_TRUE(std::isnan(d.matrix.rating(d.users.find(10), d.items.find(300))));
  EXPECT_EQ(d.users.find(999), -1);
  SparseRow c = d.matrix.item(d.items.find(300));
  ASSERT_EQ(c.n, 2u);
  EXPECT_FLOAT_EQ(c.value[0], 1.0f);
  EXPECT_FLOAT_EQ(c.value[1], 5.0f);
  RawRatings bad = small_ratings();
  bad.add(1, 1, std::nan(""));
  EXPECT_THROW(build_dataset(bad), Error);
  EXPECT_THROW(build_dataset(RawRatings{}), Error);
}

TEST(Baseline, MatchesHandComputedAls) {
  // One epoch by hand, items first (Surprise's order): mu = (4+3+4+1+2+5)/6 = 19/6.
  Dataset d = build_dataset(small_ratings());
  BiasOptions o;
  o.epochs = 1;
  o.reg_item = 1;
  o.reg_user = 2;
  Biases b = fit_biases(d.matrix, o);
  const double mu = 19.0 / 6.0;
  EXPECT_NEAR(b.mean, mu, 1e-9);
  // item 100: users 10 (4) and 20 (4), b_u = 0: (8 - 2 mu) / (1 + 2)
  double bi100 = (8 - 2 * mu) / 3, bi200 = (5 - 2 * mu) / 3, bi300 = (6 - 2 * mu) / 3;
  EXPECT_NEAR(b.item[d.items.find(100)], bi100, 1e-6);
  EXPECT_NEAR(b.item[d.items.find(200)], bi200, 1e-6);
  // user 10: items 100 (4) and 200 (3): (7 - 2 mu - bi100 - bi200) / (2 + 2)
  EXPECT_NEAR(b.user[d.users.find(10)], (7 - 2 * mu - bi100 - bi200) / 4, 1e-6);
  EXPECT_NEAR(b.user[d.users.find(30)], (7 - 2 * mu - bi200 - bi300) / 4, 1e-6);
}

TEST(Recommender, ServesAndRoundTrips) {
  auto rec = trained("baseline", "{}");
  auto top = rec->recommend(10, 10, true, nullptr);
  ASSERT_EQ(top.size(), 1u);  // user 10 rated 100 and 200
  EXPECT_EQ(top[0].id, 300);
  EXPECT_EQ(rec->recommend(10, 10, false, nullptr).size(), 3u);
  std::vector<int64_t> cand = {300, 300, 100, 12345};
  auto c = rec->recommend(10, 5, false, &cand);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(rec->recommend(999, 2, true, nullptr).size(), 2u);  // unknown user: popularity
  double p = rec->predict(20, 200);
  EXPECT_GE(p, 1.0);
  EXPECT_LE(p, 5.0);

  std::vector<uint8_t> bytes = rec->serialize();
  auto back = Recommender::deserialize(bytes.data(), bytes.size());
  EXPECT_EQ(back->algorithm(), "baseline");
  EXPECT_DOUBLE_EQ(back->predict(20, 200), p);
  EXPECT_EQ(back->users().ids(), rec->users().ids());
  EXPECT_EQ(back->ratings().nnz(), rec->ratings().nnz());
}

TEST(Recommender, FoldInAndCapabilities) {
  auto rec = trained("baseline", "{}");
  auto r = rec->recommend_for_ratings({100, 999}, {5.0, 1.0}, 10);
  ASSERT_EQ(r.size(), 2u);  // 100 is excluded, 999 unknown
  EXPECT_THROW(rec->similar_items(100, 5), Error);
  EXPECT_THROW(rec->explain(10, 300), Error);
  EXPECT_THROW(rec->recommend_for_ratings({1}, {1, 2}, 3), Error);
}

TEST(Recommender, RejectsBadConfiguration) {
  EXPECT_THROW(Recommender::configure("nope", Options()), Error);
  EXPECT_THROW(Recommender::configure("baseline", Options::parse(R"({"bogus": 1})")), Error);
  EXPECT_THROW(Recommender::configure("baseline", Options::parse(R"({"reg_user": -1})")), Error);
}

TEST(Serialization, DetectsCorruption) {
  std::vector<uint8_t> bytes = trained("baseline", "{}")->serialize();
  // Every truncation is an error.
  for (size_t n = 0; n < bytes.size(); n += 7)
    EXPECT_THROW(Recommender::deserialize(bytes.data(), n), Error) << "length " << n;
  // Every single flipped byte is an error (magic, header or checksum catches it).
  for (size_t k = 0; k < bytes.size(); ++k) {
    std::vector<uint8_t> b = bytes;
    b[k] ^= 0x5A;
    EXPECT_THROW(Recommender::deserialize(b.data(), b.size()), Error) << "byte " << k;
  }
}

TEST(Metrics, HandComputed) {
  EXPECT_NEAR(rmse({1, 2, 3}, {1, 2, 5}), std::sqrt(4.0 / 3), 1e-12);
  EXPECT_NEAR(mae({1, 2, 3}, {2, 2, 5}), 1.0, 1e-12);
  // recommended [a, b, c], relevant {b, d}, k = 3
  RankingScores s = rank_scores({1, 2, 3}, {2, 4}, 3);
  EXPECT_NEAR(s.precision, 1.0 / 3, 1e-12);
  EXPECT_NEAR(s.recall, 0.5, 1e-12);
  EXPECT_NEAR(s.ndcg, (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_NEAR(s.average_precision, (1.0 / 2) / 2, 1e-12);
}

TEST(Metrics, EvaluateCountsUsersAndCoverage) {
  auto rec = trained("baseline", "{}");
  RawRatings test;
  test.add(10, 300, 5);
  test.add(20, 200, 2);
  Evaluation ev = evaluate(*rec, test, 1, 4.0);
  EXPECT_EQ(ev.n_ratings, 2u);
  EXPECT_EQ(ev.n_users, 2u);
  EXPECT_DOUBLE_EQ(ev.precision_at_k, 1.0);  // user 10's only candidate is 300, relevant
  EXPECT_NEAR(ev.catalog_coverage, 1.0 / 3, 1e-12);
}

TEST(ThreadPool, RunsAllTasksAndPropagatesCancel) {
  ThreadPool pool(2);
  std::vector<int> hit(1000, 0);
  pool.run(hit.size(), [&](size_t t, int) { hit[t] = 1; });
  for (int h : hit) EXPECT_EQ(h, 1);
  FitContext ctx;
  ctx.interrupt_check = [] { return true; };
  EXPECT_THROW(pool.run(1000, [](size_t, int) {}, &ctx), Cancelled);
  EXPECT_THROW(pool.run(10, [](size_t t, int) {
    if (t == 3) throw Error(ErrorKind::Internal, "x");
  }), Error);
}

TEST(Ratings, IdsOfAnySpanMapInOrder) {
  // A small span uses a direct table, a huge one a hash map: both give sorted dense indices.
  for (int64_t far : {int64_t{50}, INT64_MAX}) {
    RawRatings r;
    r.add(far, 7, 1);
    r.add(INT64_MIN + (far == 50 ? INT64_MAX : 0), 7, 2);  // -1 or INT64_MIN
    r.add(3, -5, 3);
    r.add(3, -5, 5);  // duplicate pair
    Dataset d = build_dataset(r);
    ASSERT_EQ(d.users.size(), 3);
    EXPECT_LT(d.users.id(0), d.users.id(1));
    EXPECT_LT(d.users.id(1), d.users.id(2));
    EXPECT_EQ(d.users.find(far), 2);
    EXPECT_EQ(d.items.find(-5), 0);
    EXPECT_EQ(d.duplicates, 1u);
    EXPECT_FLOAT_EQ(d.matrix.rating(d.users.find(3), d.items.find(-5)), 4.0f);
  }
  RawRatings huge;
  huge.add(1, 1, 1e300);
  EXPECT_THROW(build_dataset(huge), Error);
}
